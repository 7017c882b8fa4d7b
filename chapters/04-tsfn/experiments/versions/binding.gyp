{
  "target_defaults": {
    "sources": ["versions.c"],
    "cflags": ["-Wall", "-Wextra"]
  },
  "targets": [
    { "target_name": "api8", "defines": ["NAPI_VERSION=8"] },
    { "target_name": "api10", "defines": ["NAPI_VERSION=10"] }
  ]
}
