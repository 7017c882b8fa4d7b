{
  "targets": [
    {
      "target_name": "canary",
      "sources": ["canary.cc"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "cflags_cc!": ["-std=gnu++17"]
    }
  ]
}
