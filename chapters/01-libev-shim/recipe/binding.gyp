{
  "targets": [
    {
      "target_name": "recipe",
      "sources": ["recipe.cc"],
      "include_dirs": ["<!(node -e \"require('nan')\")"],
      "cflags_cc": ["-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-exceptions"],
      "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES"},
      "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1}}
    }
  ]
}
