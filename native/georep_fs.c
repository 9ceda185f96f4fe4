// georep_fs: the *at system calls the slave agent needs and Node's fs does not have, and one
// call the master's walks use for speed (lstatdir: a directory's names with their lstat; the
// agent's verify listings use it too, from a descriptor: lstatdirat).
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

// The fields of one entry as Node's lstat (statx) gives them, into STAT_FIELDS slots: dev, ino,
// mode, nlink, uid, gid, rdev, size, blocks, atime (s, ns), mtime (s, ns), ctime (s, ns),
// blksize, birth time (s, ns; 0 where the filesystem keeps none, as Node has it).
#define STAT_FIELDS 18
static void pack_statx(const struct statx *st, int64_t *o) {
  o[0] = (int64_t)makedev(st->stx_dev_major, st->stx_dev_minor);
  o[1] = (int64_t)st->stx_ino;
  o[2] = (int64_t)st->stx_mode;
  o[3] = (int64_t)st->stx_nlink;
  o[4] = (int64_t)st->stx_uid;
  o[5] = (int64_t)st->stx_gid;
  o[6] = (int64_t)makedev(st->stx_rdev_major, st->stx_rdev_minor);
  o[7] = (int64_t)st->stx_size;
  o[8] = (int64_t)st->stx_blocks;
  o[9] = (int64_t)st->stx_atime.tv_sec;
  o[10] = (int64_t)st->stx_atime.tv_nsec;
  o[11] = (int64_t)st->stx_mtime.tv_sec;
  o[12] = (int64_t)st->stx_mtime.tv_nsec;
  o[13] = (int64_t)st->stx_ctime.tv_sec;
  o[14] = (int64_t)st->stx_ctime.tv_nsec;
  o[15] = (int64_t)st->stx_blksize;
  o[16] = (int64_t)st->stx_btime.tv_sec;
  o[17] = (int64_t)st->stx_btime.tv_nsec;
}

#define STATX_FLAGS_MASK (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)

// fstatat(dirfd, name, flags, out: BigInt64Array(STAT_FIELDS)); an empty name with AT_EMPTY_PATH
// stats dirfd itself. Through statx, for the same fields as lstatdir.
static napi_value f_fstatat(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT(0, dirfd);
  PATH(1, name);
  INT(2, flags);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[3], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_bigint64_array || length < STAT_FIELDS)
    return bad_call(env, "georep_fs: fstatat needs a BigInt64Array of 18");
  struct statx st;
  if (statx((int)dirfd, name.s, ((int)flags & STATX_FLAGS_MASK) | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME,
            &st) < 0)
    return ret_int(env, -errno);
  pack_statx(&st, data);
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

// Names collected end to end, for the listings' reply: one Buffer of every name and a
// Uint32Array of where each ends (one N-API Buffer per name costs more than the listing).
typedef struct {
  char *text;
  size_t len, cap;
  uint32_t *ends;
  size_t n, ends_cap;
} name_list;

static int names_init(name_list *l) {
  l->len = l->n = 0;
  l->cap = 4096;
  l->ends_cap = 64;
  l->text = malloc(l->cap);
  l->ends = malloc(l->ends_cap * sizeof(uint32_t));
  return l->text == NULL || l->ends == NULL ? ENOMEM : 0;
}

static void names_free(name_list *l) {
  free(l->text);
  free(l->ends);
}

/** Appends a name: 0, or ENOMEM. */
static int names_add(name_list *l, const char *s) {
  size_t len = strlen(s);
  if (l->n == l->ends_cap) {
    uint32_t *more = realloc(l->ends, l->ends_cap * 2 * sizeof(uint32_t));
    if (more == NULL) return ENOMEM;
    l->ends = more;
    l->ends_cap *= 2;
  }
  if (l->len + len > l->cap) {
    size_t cap = l->cap;
    while (l->len + len > cap) cap *= 2;
    char *longer = realloc(l->text, cap);
    if (longer == NULL) return ENOMEM;
    l->text = longer;
    l->cap = cap;
  }
  memcpy(l->text + l->len, s, len);
  l->len += len;
  l->ends[l->n++] = (uint32_t)l->len;
  return 0;
}

/** The list as a Buffer and a Uint32Array; 0 when a JS exception is pending. */
static int names_to_js(napi_env env, const name_list *l, napi_value *names, napi_value *ends) {
  napi_value ab;
  void *names_data, *ends_data;
  if (napi_create_buffer_copy(env, l->len, l->len > 0 ? l->text : "", &names_data, names) != napi_ok ||
      napi_create_arraybuffer(env, l->n * sizeof(uint32_t), &ends_data, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, l->n, ab, 0, ends) != napi_ok)
    return 0;
  if (l->n > 0) memcpy(ends_data, l->ends, l->n * sizeof(uint32_t));
  return 1;
}

/** A directory stream on `fd` (closed with it), or NULL with errno set and `fd` closed. */
static DIR *open_stream(int fd) {
  if (fd < 0) return NULL;
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    int e = errno;
    close(fd);
    errno = e;
  }
  return dir;
}

/** The next entry of `dir` but "." and ".."; NULL at the end (errno 0) or on an error (errno set). */
static struct dirent *next_entry(DIR *dir) {
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(dir);
    if (de == NULL) return NULL;
    const char *s = de->d_name;
    if (!(s[0] == '.' && (s[1] == 0 || (s[1] == '.' && s[2] == 0)))) return de;
  }
}

/** The next name of `dir` but "." and ".."; NULL at the end (errno 0) or on an error (errno set). */
static const char *next_name(DIR *dir) {
  struct dirent *de = next_entry(dir);
  return de == NULL ? NULL : de->d_name;
}

/** Whether entry `de` of `dir` is a directory: its d_type, or an lstat where that is unknown. */
static int is_subdir(DIR *dir, const struct dirent *de) {
  if (de->d_type != DT_UNKNOWN) return de->d_type == DT_DIR;
  struct stat st;
  return fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/**
 * [names: Buffer, ends: Uint32Array] of the entries of `dir` (closed here; NULL with errno set
 * when it could not be opened), every one or only the subdirectories; or -errno.
 */
static napi_value names_of(napi_env env, DIR *dir, int dirs_only) {
  if (dir == NULL) return ret_int(env, -errno);
  name_list l;
  int err = names_init(&l);
  for (struct dirent *de; err == 0 && (de = next_entry(dir)) != NULL;) {
    if (!dirs_only || is_subdir(dir, de)) err = names_add(&l, de->d_name);
  }
  if (err == 0) err = errno;
  closedir(dir);
  napi_value result = NULL, names, ends;
  if (err != 0) result = ret_int(env, -err);
  else if (names_to_js(env, &l, &names, &ends) && napi_create_array_with_length(env, 2, &result) == napi_ok) {
    napi_set_element(env, result, 0, names);
    napi_set_element(env, result, 1, ends);
  }
  names_free(&l);
  return result;
}

// readdir(dirfd) -> [names: Buffer, ends: Uint32Array]: the names in the directory dirfd (an
// O_PATH descriptor will do: it is reopened as "." for reading), "." and ".." left out (see
// name_list); or -errno.
static napi_value f_readdir(napi_env env, napi_callback_info info) {
  ARGS(1);
  INT(0, dirfd);
  return names_of(env, open_stream(openat((int)dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)), 0);
}

// subdirs(path) -> [names: Buffer, ends: Uint32Array]: the names of the subdirectories of the
// directory at `path` (opened O_NOFOLLOW), by the entries' d_type (an lstat relative to the
// directory where the filesystem leaves it unknown); or -errno. The recorder's watch walk at
// every start: node:fs's readdir with types made a Dirent and a Buffer for each of 50,000
// files to find 1,251 directories (0.17 s of the start).
static napi_value f_subdirs(napi_env env, napi_callback_info info) {
  ARGS(1);
  PATH(0, path);
  return names_of(env, open_stream(open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)), 1);
}

// lstatdir(path) -> [names: Buffer, ends: Uint32Array, stats: BigInt64Array] for every entry of
// the directory at `path` ("." and ".." left out; names as readdir gives them), or -errno when
// it cannot be listed. One call per directory for the master's walks (the recorder's
// reconcile, verify): statx relative to the directory's descriptor, no path built per name, no
// BigIntStats made per entry. Each entry has STAT_FIELDS slots in `stats` (pack_statx); an
// entry that went between readdir and statx has mode 0 and -errno in its ino slot.
static napi_value list_stats(napi_env env, int fd);
static napi_value f_lstatdir(napi_env env, napi_callback_info info) {
  ARGS(1);
  PATH(0, path);
  return list_stats(env, open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
}

// lstatdirat(dirfd) -> as lstatdir, for the directory dirfd (an O_PATH descriptor will do: it is
// reopened as "." for reading). The slave agent's listDir: its directories are reached from its
// root without following a symlink (src/slave/confine.ts), never by path.
static napi_value f_lstatdirat(napi_env env, napi_callback_info info) {
  ARGS(1);
  INT(0, dirfd);
  return list_stats(env, openat((int)dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

/** lstatdir's answer for the directory open at `fd` (taken: closed here), or -errno. */
static napi_value list_stats(napi_env env, int fd) {
  DIR *dir = open_stream(fd);
  if (dir == NULL) return ret_int(env, -errno);
  name_list l;
  size_t cap = 64;
  int64_t *out = malloc(cap * STAT_FIELDS * sizeof(int64_t));
  int err = names_init(&l);
  if (err == 0 && out == NULL) err = ENOMEM;
  for (const char *s; err == 0 && (s = next_name(dir)) != NULL;) {
    if (l.n == cap) {
      int64_t *bigger = realloc(out, cap * 2 * STAT_FIELDS * sizeof(int64_t));
      if (bigger == NULL) {
        err = ENOMEM;
        break;
      }
      out = bigger;
      cap *= 2;
    }
    int64_t *o = out + l.n * STAT_FIELDS;
    if ((err = names_add(&l, s)) != 0) break;
    struct statx st;
    if (statx(fd, s, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME, &st) < 0) {
      memset(o, 0, STAT_FIELDS * sizeof(int64_t));
      o[1] = -errno;
      continue;
    }
    pack_statx(&st, o);
    errno = 0; // next_name tells its end from an error by errno
  }
  if (err == 0) err = errno;
  closedir(dir);
  napi_value result = NULL, names, ends, ab, stats;
  void *data;
  if (err != 0) result = ret_int(env, -err);
  else if (names_to_js(env, &l, &names, &ends) &&
           napi_create_arraybuffer(env, l.n * STAT_FIELDS * sizeof(int64_t), &data, &ab) == napi_ok &&
           napi_create_typedarray(env, napi_bigint64_array, l.n * STAT_FIELDS, ab, 0, &stats) == napi_ok &&
           napi_create_array_with_length(env, 3, &result) == napi_ok) {
    if (l.n > 0) memcpy(data, out, l.n * STAT_FIELDS * sizeof(int64_t));
    napi_set_element(env, result, 0, names);
    napi_set_element(env, result, 1, ends);
    napi_set_element(env, result, 2, stats);
  }
  free(out);
  names_free(&l);
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
  add_fn(env, exports, "subdirs", f_subdirs);
  add_fn(env, exports, "lstatdirat", f_lstatdirat);
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
