{
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
    "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"]
  },
  "targets": [
    {
      "target_name": "floor",
      "sources": ["floor.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "floor_v8",
      "sources": ["floor-v8.cc"],
      "include_dirs": ["<!(node -p \"require('node:path').dirname(require.resolve('nan/nan.h'))\")"]
    }
  ]
}
