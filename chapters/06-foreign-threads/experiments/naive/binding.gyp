{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../../../../common", "../.."],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-g"],
    "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"]
  },
  "targets": [
    { "target_name": "naive", "sources": ["naive.cc", "library.cc"] },
    {
      "target_name": "naive_asan", "sources": ["naive.cc", "library.cc"],
      "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1"], "ldflags": ["-fsanitize=address"]
    },
    {
      "target_name": "naive_tsan", "sources": ["naive.cc", "library.cc"],
      "cflags_cc": ["-fsanitize=thread", "-fno-omit-frame-pointer", "-O1"], "ldflags": ["-fsanitize=thread"]
    },
    {
      "target_name": "chapter_asan", "sources": ["chapter.cc", "library.cc"],
      "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1"], "ldflags": ["-fsanitize=address"]
    },
    {
      "target_name": "chapter_tsan", "sources": ["chapter.cc", "library.cc"],
      "cflags_cc": ["-fsanitize=thread", "-fno-omit-frame-pointer", "-O1"], "ldflags": ["-fsanitize=thread"]
    }
  ]
}
