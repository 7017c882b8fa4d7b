{
  "targets": [
    {
      "target_name": "texample",
      "sources": ["texample.cc", "library/feed.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../../common", "."],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fno-gnu-unique"],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
