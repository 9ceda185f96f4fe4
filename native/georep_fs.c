// georep_fs: the *at system calls the slave agent needs and Node's fs does not have, and one
// call the master's walks use for speed (lstatdir: a directory's names with their lstat).
//
// Why: the agent must walk every path from its root one component at a time, never following a
// symlink, and act on the directory it verified rather than on a path that is resolved again
// (a local user may swap a directory for a symlink between two calls). That takes openat with
// O_NOFOLLOW and the *at calls relative to the descriptor; Node's fs has none of them. It also
// sets times with utimensat from an exact timespec: Node's utimes passes seconds as a double
// (sub-microsecond digits are lost) and turns a negative time (before 1970) into "now".
//
// Shape: thin and synchronous. Every call returns an int (or, for the listings, its answer or
// an int): >= 0 on success (a descriptor, or 0), -errno on failure; the TypeScript side (src/slave/fs-at.ts) names the errno and builds the
// error, and decides which errnos are expected (ENOENT on a probe) without paying for an
// exception. Names and targets are Buffers (any bytes but NUL; a NUL inside is EINVAL). Every
// descriptor is opened O_CLOEXEC, so rsync and other children never inherit one.

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

// fchmodat2 (Linux 6.6) takes AT_SYMLINK_NOFOLLOW; glibc 2.36 has no wrapper or number for it.
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#define MAX_ARGS 8
// A path argument: a name, a symlink target, or the absolute root at the start (PATH_MAX with NUL).
typedef struct {
  char s[PATH_MAX];
} cpath;

// Throws a TypeError for a call the TypeScript wrapper should never make (a bug, not an errno).
static napi_value bad_call(napi_env env, const char *what) {
  napi_throw_type_error(env, NULL, what);
  return NULL;
}

static napi_value ret_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

/** Reads args; NULL (a JS exception pending) when fewer than `want` were given. */
static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return 0;
  return 1;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/** Copies a Buffer into a NUL-terminated string: 0, -ENAMETOOLONG, -EINVAL (NUL inside), or 1 (not a Buffer). */
static int get_path(napi_env env, napi_value v, cpath *out) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) return 1;
  if (len >= sizeof(out->s)) return -ENAMETOOLONG;
  if (memchr(data, 0, len) != NULL) return -EINVAL;
  memcpy(out->s, data, len);
  out->s[len] = 0;
  return 0;
}

#define ARGS(n)                                                                  \
  napi_value argv[MAX_ARGS];                                                     \
  if (!get_args(env, info, (n), argv)) return bad_call(env, "georep_fs: too few arguments");
#define INT(i, var)                                                              \
  int64_t var;                                                                   \
  if (!get_i64(env, argv[i], &var)) return bad_call(env, "georep_fs: argument " #i " must be a number");
#define PATH(i, var)                                                             \
  cpath var;                                                                     \
  {                                                                              \
    int r_ = get_path(env, argv[i], &var);                                       \
    if (r_ == 1) return bad_call(env, "georep_fs: argument " #i " must be a Buffer"); \
    if (r_ < 0) return ret_int(env, r_);                                         \
  }
#define SYS(expr) ret_int(env, (expr) < 0 ? -errno : 0)

// openat(dirfd, name, flags, mode) -> fd
static napi_value f_openat(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, flags);
  INT(3, mode);
  int fd = openat((int)dirfd, name.s, (int)flags | O_CLOEXEC, (mode_t)mode);
  return ret_int(env, fd < 0 ? -errno : fd);
}

// openBeneath(dirfd, path, flags) -> fd: the whole relative path in one call, openat2 with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS: the kernel refuses a symlink at any component (ELOOP) and
// any way out of dirfd, atomically, where a walk takes one openat per component. -ENOSYS when
// the kernel (before 5.6) or a seccomp filter (which may answer EPERM) does not offer openat2.
static napi_value f_open_beneath(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT(0, dirfd);
  PATH(1, path);
  INT(2, flags);
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  long fd = syscall(SYS_openat2, (int)dirfd, path.s, &how, sizeof how);
  if (fd >= 0) return ret_int(env, fd);
  return ret_int(env, errno == ENOSYS || errno == EPERM ? -ENOSYS : -errno);
}

// close(fd)
static napi_value f_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  INT(0, fd);
  return SYS(close((int)fd));
}

// fstatat(dirfd, name, flags, out: BigInt64Array(16)); an empty name with AT_EMPTY_PATH stats dirfd itself.
static napi_value f_fstatat(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, flags);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[3], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_bigint64_array || length < 16)
    return bad_call(env, "georep_fs: fstatat needs a BigInt64Array of 16");
  struct stat st;
  if (fstatat((int)dirfd, name.s, &st, (int)flags) < 0) return ret_int(env, -errno);
  int64_t *o = data;
  o[0] = (int64_t)st.st_dev;
  o[1] = (int64_t)st.st_ino;
  o[2] = (int64_t)st.st_mode;
  o[3] = (int64_t)st.st_nlink;
  o[4] = (int64_t)st.st_uid;
  o[5] = (int64_t)st.st_gid;
  o[6] = (int64_t)st.st_rdev;
  o[7] = (int64_t)st.st_size;
  o[8] = (int64_t)st.st_blocks;
  o[9] = (int64_t)st.st_atim.tv_sec;
  o[10] = (int64_t)st.st_atim.tv_nsec;
  o[11] = (int64_t)st.st_mtim.tv_sec;
  o[12] = (int64_t)st.st_mtim.tv_nsec;
  o[13] = (int64_t)st.st_ctim.tv_sec;
  o[14] = (int64_t)st.st_ctim.tv_nsec;
  o[15] = (int64_t)st.st_blksize;
  return ret_int(env, 0);
}

// mkdirat(dirfd, name, mode)
static napi_value f_mkdirat(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, mode);
  return SYS(mkdirat((int)dirfd, name.s, (mode_t)mode));
}

// mknodat(dirfd, name, mode, rdev): FIFOs and device nodes; rdev as stat() reports it.
static napi_value f_mknodat(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, mode);
  INT(3, rdev);
  return SYS(mknodat((int)dirfd, name.s, (mode_t)mode, (dev_t)rdev));
}

// symlinkat(target, dirfd, name)
static napi_value f_symlinkat(napi_env env, napi_callback_info info) {
  ARGS(3);
  PATH(0, target);
  INT(1, dirfd);
  PATH(2, name);
  return SYS(symlinkat(target.s, (int)dirfd, name.s));
}

// linkat(olddirfd, oldname, newdirfd, newname): flags 0, so a symlink source is linked itself.
static napi_value f_linkat(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT(0, olddirfd);
  PATH(1, oldname);
  INT(2, newdirfd);
  PATH(3, newname);
  return SYS(linkat((int)olddirfd, oldname.s, (int)newdirfd, newname.s, 0));
}

// renameat(olddirfd, oldname, newdirfd, newname)
static napi_value f_renameat(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT(0, olddirfd);
  PATH(1, oldname);
  INT(2, newdirfd);
  PATH(3, newname);
  return SYS(renameat((int)olddirfd, oldname.s, (int)newdirfd, newname.s));
}

// unlinkat(dirfd, name, flags): AT_REMOVEDIR for an empty directory.
static napi_value f_unlinkat(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, flags);
  return SYS(unlinkat((int)dirfd, name.s, (int)flags));
}

// fchownat(dirfd, name, uid, gid, flags): AT_SYMLINK_NOFOLLOW, or AT_EMPTY_PATH for dirfd itself.
static napi_value f_fchownat(napi_env env, napi_callback_info info) {
  ARGS(5);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, uid);
  INT(3, gid);
  INT(4, flags);
  return SYS(fchownat((int)dirfd, name.s, (uid_t)uid, (gid_t)gid, (int)flags));
}

// chmod of the entry `name` in dirfd (dirfd itself when name is empty), never through a symlink
// (a symlink: EOPNOTSUPP). Linux has no lchmod; fchmodat2 (Linux 6.6) does it in one call. On
// older kernels, what glibc does for fchmodat's AT_SYMLINK_NOFOLLOW: open the entry itself with
// O_PATH|O_NOFOLLOW, refuse a symlink, and chmod that very inode through its /proc/self/fd link,
// so nothing is resolved by name between the check and the change.
static int chmod_proc(int dirfd, const char *name, mode_t mode) {
  int fd = name[0] == 0 ? dirfd : openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  int r = fstat(fd, &st) < 0 ? -errno : 0;
  if (r == 0 && S_ISLNK(st.st_mode)) r = -EOPNOTSUPP;
  if (r == 0) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (chmod(proc, mode) < 0) r = -errno;
  }
  if (fd != dirfd) close(fd);
  return r;
}

static napi_value f_chmodat(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, mode);
  int flags = AT_SYMLINK_NOFOLLOW | (name.s[0] == 0 ? AT_EMPTY_PATH : 0);
  if (syscall(SYS_fchmodat2, (int)dirfd, name.s, (mode_t)mode, flags) == 0) return ret_int(env, 0);
  // ENOSYS: a kernel before 6.6; EPERM too: some container seccomp filters answer an unknown
  // syscall so (a real EPERM comes back from the fallback all the same).
  if (errno != ENOSYS && errno != EPERM) return ret_int(env, -errno);
  return ret_int(env, chmod_proc((int)dirfd, name.s, (mode_t)mode));
}

// The fallback of chmodat alone, so that tests exercise it on kernels that have fchmodat2.
static napi_value f_chmodat_proc(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, mode);
  return ret_int(env, chmod_proc((int)dirfd, name.s, (mode_t)mode));
}

// utimensat(dirfd, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec, flags): exact nanoseconds,
// any time_t (before 1970 included). An empty name sets dirfd's own times (AT_EMPTY_PATH, which
// utimensat only takes since Linux 5.8, is avoided: the /proc/self/fd link of dirfd is used).
static napi_value f_utimensat(napi_env env, napi_callback_info info) {
  ARGS(7);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, asec);
  INT(3, ansec);
  INT(4, msec);
  INT(5, mnsec);
  INT(6, flags);
  struct timespec ts[2] = {{(time_t)asec, (long)ansec}, {(time_t)msec, (long)mnsec}};
  if (name.s[0] != 0) return SYS(utimensat((int)dirfd, name.s, ts, (int)flags));
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", (int)dirfd);
  return SYS(utimensat(AT_FDCWD, proc, ts, 0));
}

// readlinkat(dirfd, name) -> Buffer, or -errno
static napi_value f_readlinkat(napi_env env, napi_callback_info info) {
  ARGS(2);
  INT(0, dirfd);
  PATH(1, name);
  char buf[PATH_MAX];
  ssize_t n = readlinkat((int)dirfd, name.s, buf, sizeof buf);
  if (n < 0) return ret_int(env, -errno);
  if ((size_t)n >= sizeof buf) return ret_int(env, -ENAMETOOLONG);
  napi_value out;
  void *copy;
  if (napi_create_buffer_copy(env, (size_t)n, buf, &copy, &out) != napi_ok) return NULL;
  return out;
}

// readdir(dirfd) -> [names: Buffer, ends: Uint32Array]: the names in the directory dirfd (an
// O_PATH descriptor will do: it is reopened as "." for reading), "." and ".." left out, end to
// end in one Buffer, name i ending at ends[i] (one Buffer per name cost more than the listing);
// or -errno.
static napi_value f_readdir(napi_env env, napi_callback_info info) {
  ARGS(1);
  INT(0, dirfd);
  int fd = openat((int)dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ret_int(env, -errno);
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    int e = errno;
    close(fd);
    return ret_int(env, -e);
  }
  size_t cap = 64, n = 0, text_cap = 4096, text_len = 0;
  uint32_t *ends = malloc(cap * sizeof(uint32_t));
  char *text = malloc(text_cap);
  int err = ends == NULL || text == NULL ? ENOMEM : 0;
  while (err == 0) {
    errno = 0;
    struct dirent *de = readdir(dir);
    if (de == NULL) {
      err = errno;
      break;
    }
    const char *s = de->d_name;
    if (s[0] == '.' && (s[1] == 0 || (s[1] == '.' && s[2] == 0))) continue;
    size_t len = strlen(s);
    if (n == cap) {
      uint32_t *more = realloc(ends, cap * 2 * sizeof(uint32_t));
      if (more == NULL) {
        err = ENOMEM;
        break;
      }
      ends = more;
      cap *= 2;
    }
    if (text_len + len > text_cap) {
      while (text_len + len > text_cap) text_cap *= 2;
      char *longer = realloc(text, text_cap);
      if (longer == NULL) {
        err = ENOMEM;
        break;
      }
      text = longer;
    }
    memcpy(text + text_len, s, len);
    text_len += len;
    ends[n++] = (uint32_t)text_len;
  }
  closedir(dir);
  napi_value result = NULL;
  if (err != 0) result = ret_int(env, -err);
  else {
    napi_value names, ends_ab, ends_arr, pair;
    void *names_data, *ends_data;
    if (napi_create_buffer_copy(env, text_len, text_len > 0 ? text : "", &names_data, &names) == napi_ok &&
        napi_create_arraybuffer(env, n * sizeof(uint32_t), &ends_data, &ends_ab) == napi_ok &&
        napi_create_typedarray(env, napi_uint32_array, n, ends_ab, 0, &ends_arr) == napi_ok &&
        napi_create_array_with_length(env, 2, &pair) == napi_ok) {
      if (n > 0) memcpy(ends_data, ends, n * sizeof(uint32_t));
      napi_set_element(env, pair, 0, names);
      napi_set_element(env, pair, 1, ends_arr);
      result = pair;
    }
  }
  free(ends);
  free(text);
  return result;
}

// lstatdir(path) -> [names: Buffer, ends: Uint32Array, stats: BigInt64Array] for every entry of
// the directory at `path` ("." and ".." left out), or -errno when it cannot be listed. One call
// per directory for the master's walks (the recorder's reconcile, verify): statx relative to
// the directory's descriptor, no path built per name, no BigIntStats made per entry. The names
// come back end to end in one Buffer, entry i ending at ends[i] (one Buffer per name costs
// more than the statx). Each entry has LSTATDIR_FIELDS slots in `stats`, in the order below,
// the fields and values Node's lstat (statx) gives; an entry that went between readdir and
// statx has mode 0 and -errno in its ino slot.
#define LSTATDIR_FIELDS 17
static napi_value f_lstatdir(napi_env env, napi_callback_info info) {
  ARGS(1);
  PATH(0, path);
  int fd = open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ret_int(env, -errno);
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    int e = errno;
    close(fd);
    return ret_int(env, -e);
  }
  size_t cap = 64, n = 0, text_cap = 4096, text_len = 0;
  int64_t *out = malloc(cap * LSTATDIR_FIELDS * sizeof(int64_t));
  uint32_t *ends = malloc(cap * sizeof(uint32_t));
  char *text = malloc(text_cap);
  int err = out == NULL || ends == NULL || text == NULL ? ENOMEM : 0;
  while (err == 0) {
    errno = 0;
    struct dirent *de = readdir(dir);
    if (de == NULL) {
      err = errno;
      break;
    }
    const char *s = de->d_name;
    if (s[0] == '.' && (s[1] == 0 || (s[1] == '.' && s[2] == 0))) continue;
    size_t len = strlen(s);
    if (n == cap) {
      int64_t *bigger = realloc(out, cap * 2 * LSTATDIR_FIELDS * sizeof(int64_t));
      if (bigger != NULL) out = bigger;
      uint32_t *more = bigger == NULL ? NULL : realloc(ends, cap * 2 * sizeof(uint32_t));
      if (more == NULL) {
        err = ENOMEM;
        break;
      }
      ends = more;
      cap *= 2;
    }
    if (text_len + len > text_cap) {
      while (text_len + len > text_cap) text_cap *= 2;
      char *longer = realloc(text, text_cap);
      if (longer == NULL) {
        err = ENOMEM;
        break;
      }
      text = longer;
    }
    memcpy(text + text_len, s, len);
    text_len += len;
    ends[n] = (uint32_t)text_len;
    int64_t *o = out + n * LSTATDIR_FIELDS;
    struct statx st;
    if (statx(fd, s, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME, &st) < 0) {
      memset(o, 0, LSTATDIR_FIELDS * sizeof(int64_t));
      o[1] = -errno;
    } else {
      o[0] = (int64_t)makedev(st.stx_dev_major, st.stx_dev_minor);
      o[1] = (int64_t)st.stx_ino;
      o[2] = (int64_t)st.stx_mode;
      o[3] = (int64_t)st.stx_nlink;
      o[4] = (int64_t)st.stx_uid;
      o[5] = (int64_t)st.stx_gid;
      o[6] = (int64_t)makedev(st.stx_rdev_major, st.stx_rdev_minor);
      o[7] = (int64_t)st.stx_size;
      o[8] = (int64_t)st.stx_blocks;
      o[9] = (int64_t)st.stx_mtime.tv_sec;
      o[10] = (int64_t)st.stx_mtime.tv_nsec;
      o[11] = (int64_t)st.stx_ctime.tv_sec;
      o[12] = (int64_t)st.stx_ctime.tv_nsec;
      o[13] = (int64_t)st.stx_btime.tv_sec; // 0 where the filesystem keeps none, as Node has it
      o[14] = (int64_t)st.stx_btime.tv_nsec;
      o[15] = (int64_t)st.stx_atime.tv_sec;
      o[16] = (int64_t)st.stx_atime.tv_nsec;
    }
    n++;
  }
  closedir(dir);
  napi_value result = NULL;
  if (err != 0) result = ret_int(env, -err);
  else {
    napi_value names, ends_ab, ends_arr, stats_ab, stats, triple;
    void *names_data, *ends_data, *stats_data;
    if (napi_create_buffer_copy(env, text_len, text_len > 0 ? text : "", &names_data, &names) == napi_ok &&
        napi_create_arraybuffer(env, n * sizeof(uint32_t), &ends_data, &ends_ab) == napi_ok &&
        napi_create_typedarray(env, napi_uint32_array, n, ends_ab, 0, &ends_arr) == napi_ok &&
        napi_create_arraybuffer(env, n * LSTATDIR_FIELDS * sizeof(int64_t), &stats_data, &stats_ab) == napi_ok &&
        napi_create_typedarray(env, napi_bigint64_array, n * LSTATDIR_FIELDS, stats_ab, 0, &stats) == napi_ok &&
        napi_create_array_with_length(env, 3, &triple) == napi_ok) {
      if (n > 0) {
        memcpy(ends_data, ends, n * sizeof(uint32_t));
        memcpy(stats_data, out, n * LSTATDIR_FIELDS * sizeof(int64_t));
      }
      napi_set_element(env, triple, 0, names);
      napi_set_element(env, triple, 1, ends_arr);
      napi_set_element(env, triple, 2, stats);
      result = triple;
    }
  }
  free(out);
  free(ends);
  free(text);
  return result;
}

static void add_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

static void add_const(napi_env env, napi_value obj, const char *name, int64_t v) {
  napi_value n;
  napi_create_int64(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

static napi_value init(napi_env env, napi_value exports) {
  add_fn(env, exports, "openat", f_openat);
  add_fn(env, exports, "openBeneath", f_open_beneath);
  add_fn(env, exports, "close", f_close);
  add_fn(env, exports, "fstatat", f_fstatat);
  add_fn(env, exports, "mkdirat", f_mkdirat);
  add_fn(env, exports, "mknodat", f_mknodat);
  add_fn(env, exports, "symlinkat", f_symlinkat);
  add_fn(env, exports, "linkat", f_linkat);
  add_fn(env, exports, "renameat", f_renameat);
  add_fn(env, exports, "unlinkat", f_unlinkat);
  add_fn(env, exports, "fchownat", f_fchownat);
  add_fn(env, exports, "chmodat", f_chmodat);
  add_fn(env, exports, "chmodatProc", f_chmodat_proc);
  add_fn(env, exports, "utimensat", f_utimensat);
  add_fn(env, exports, "readlinkat", f_readlinkat);
  add_fn(env, exports, "readdir", f_readdir);
  add_fn(env, exports, "lstatdir", f_lstatdir);
  napi_value c;
  napi_create_object(env, &c);
  add_const(env, c, "AT_FDCWD", AT_FDCWD);
  add_const(env, c, "AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW);
  add_const(env, c, "AT_REMOVEDIR", AT_REMOVEDIR);
  add_const(env, c, "AT_EMPTY_PATH", AT_EMPTY_PATH);
  add_const(env, c, "O_PATH", O_PATH);
  add_const(env, c, "O_NOFOLLOW", O_NOFOLLOW);
  add_const(env, c, "O_DIRECTORY", O_DIRECTORY);
  add_const(env, c, "O_RDONLY", O_RDONLY);
  add_const(env, c, "O_WRONLY", O_WRONLY);
  add_const(env, c, "O_CREAT", O_CREAT);
  add_const(env, c, "O_EXCL", O_EXCL);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
