{
  "target_defaults": {
    "sources": ["texample.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../../common"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
    "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"]
  },
  "targets": [
    { "target_name": "texample" },
    { "target_name": "texample_symmetric", "defines": ["TEXAMPLE_SYMMETRIC_FENCES"] },
    { "target_name": "texample_no_prefetch", "defines": ["TEXAMPLE_NO_PREFETCH"] }
  ]
}
