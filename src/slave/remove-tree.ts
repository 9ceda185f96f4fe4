// removeTree: rm -rf of one entry, by descriptor. Invariant: every child is removed relative to
// a descriptor of the directory that holds it, and a directory is entered only with
// O_NOFOLLOW|O_DIRECTORY: a subdirectory swapped for a symlink while the removal runs is
// unlinked itself, never entered. (Node's rmSync lstat()s each entry but then goes on by path,
// resolved again from the top, so a swap between its lstat and its readdir leads it outside.)

import { constants as osConstants } from 'node:os';
import type { AtFs } from './fs-at.js';
import { sysError } from './fs-at.js';
import { hasErrno } from '../errors.js';

const { ENOENT, EISDIR, ENOTDIR, ELOOP, ENOTEMPTY, EACCES, EPERM } = osConstants.errno;

/** A directory being emptied: its descriptor, its names, and where it sits (to rmdir it after). */
interface Frame {
  readonly fd: number;
  /** Undefined until listed. */
  names: Buffer[] | undefined;
  next: number;
  readonly parent: number;
  readonly name: Buffer;
  /** Times its listing was read again because something appeared in it meanwhile. */
  relisted: number;
  /** Given u+rwx already (a non-root agent emptying a directory of mode 0500 or 000). */
  opened: boolean;
}

/** EACCES or EPERM: what a non-root agent gets in a directory without read or write for it. */
const denied = (r: number): boolean => r === -EACCES || r === -EPERM;

/** A local user racing the removal (a directory turning into a file and back) gets this many retries. */
const RETRIES = 3;

/** Removes `name` in directory `dirFd` and, if it is a directory, everything below it. Missing: nothing to do. */
export function removeTree(fs: AtFs, dirFd: number, name: Buffer): void {
  const stack: Frame[] = [];
  const dirFlags = fs.c.O_PATH | fs.c.O_DIRECTORY | fs.c.O_NOFOLLOW;
  /**
   * A directory of the tree that a non-root agent may not change or list (mode 0500 or 000,
   * as copied from the master): it gets u+rwx, as it is going anyway. Without this a seed copy
   * of such a tree could never be removed, and every later run failed at its start (probe).
   * False when already done (the error is then another one).
   */
  const open = (frame: Frame | undefined): boolean => {
    if (frame === undefined || frame.opened) return false;
    frame.opened = true;
    fs.chmod(frame.parent, frame.name, 0o700);
    return true;
  };
  /** unlink `child` of `parent` (the directory of `frame`); if it is a directory, push it (its contents go first). */
  const removeOrEnter = (parent: number, child: Buffer, frame?: Frame): void => {
    for (let attempt = 0; ; attempt++) {
      const r = fs.tryUnlink(parent, child, 0);
      if (r === 0 || r === -ENOENT) return;
      if (denied(r) && open(frame)) continue;
      if (r !== -EISDIR || attempt === RETRIES) throw sysError(r, 'unlinkat', child);
      const fd = fs.tryOpen(parent, child, dirFlags);
      if (fd >= 0) {
        stack.push({ fd, names: undefined, next: 0, parent, name: child, relisted: 0, opened: false });
        return;
      }
      if (fd === -ENOENT) return;
      // No longer a directory (a symlink or file took its place): unlink that instead.
      if (fd !== -ENOTDIR && fd !== -ELOOP) throw sysError(fd, 'openat', child);
    }
  };
  const listing = (frame: Frame): Buffer[] => {
    try {
      return fs.readdir(frame.fd);
    } catch (e) {
      if (!(hasErrno(e, 'EACCES', 'EPERM') && open(frame))) throw e;
      return fs.readdir(frame.fd);
    }
  };
  try {
    removeOrEnter(dirFd, name);
    while (stack.length > 0) {
      const top = stack.at(-1) as Frame; // the loop runs only while the stack holds a frame
      top.names ??= listing(top);
      const child = top.names[top.next];
      if (child !== undefined) {
        top.next++;
        removeOrEnter(top.fd, child, top);
        continue;
      }
      const r = fs.tryUnlink(top.parent, top.name, fs.c.AT_REMOVEDIR);
      if (denied(r) && open(stack.at(-2))) continue; // its parent, when it is one of the tree
      if (r === -ENOTEMPTY && top.relisted < RETRIES) {
        // Something was made in it meanwhile: empty it again.
        top.names = undefined;
        top.next = 0;
        top.relisted++;
        continue;
      }
      stack.pop();
      fs.close(top.fd);
      if (r !== 0 && r !== -ENOENT) throw sysError(r, 'rmdir', top.name);
    }
  } finally {
    for (const frame of stack) fs.close(frame.fd);
  }
}
