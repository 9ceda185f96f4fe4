{
  "targets": [
    {
      "target_name": "georep_fs",
      "sources": ["georep_fs.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
