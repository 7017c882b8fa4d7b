{
  "targets": [
    {
      "target_name": "texample",
      "sources": ["texample.cc"],
      "include_dirs": ["<!(node -p \"require('node:path').dirname(require.resolve('nan/nan.h'))\")", "../../common"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"]
    }
  ]
}
