{
  "target_defaults": {
    "include_dirs": ["../../common"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
    "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"]
  },
  "targets": [
    {
      "target_name": "texample",
      "sources": ["texample.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"]
    },
    {
      "target_name": "texample_progress_worker",
      "sources": ["texample.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "TEXAMPLE_LATEST_ONLY"
      ]
    },
    {
      "target_name": "texample_nan",
      "sources": ["texample-nan.cc"],
      "include_dirs": ["<!(node -p \"require('node:path').dirname(require.resolve('nan/nan.h'))\")"]
    }
  ]
}
