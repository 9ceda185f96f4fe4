// removeTree: rm -rf of one entry, by descriptor. Invariant: every child is removed relative to
// a descriptor of the directory that holds it, and a directory is entered only with
// O_NOFOLLOW|O_DIRECTORY: a subdirectory swapped for a symlink while the removal runs is
// unlinked itself, never entered. (Node's rmSync lstat()s each entry but then goes on by path,
// resolved again from the top, so a swap between its lstat and its readdir leads it outside.)

import { constants as osConstants } from 'node:os';
import type { AtFs } from './fs-at.js';
import { sysError } from './fs-at.js';

const { ENOENT, EISDIR, ENOTDIR, ELOOP, ENOTEMPTY } = osConstants.errno;

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
}

/** A local user racing the removal (a directory turning into a file and back) gets this many retries. */
const RETRIES = 3;

/** Removes `name` in directory `dirFd` and, if it is a directory, everything below it. Missing: nothing to do. */
export function removeTree(fs: AtFs, dirFd: number, name: Buffer): void {
  const stack: Frame[] = [];
  const dirFlags = fs.c.O_PATH | fs.c.O_DIRECTORY | fs.c.O_NOFOLLOW;
  /** unlink `child`; if it is a directory, push it (its contents go first). */
  const removeOrEnter = (parent: number, child: Buffer): void => {
    for (let attempt = 0; ; attempt++) {
      const r = fs.tryUnlink(parent, child, 0);
      if (r === 0 || r === -ENOENT) return;
      if (r !== -EISDIR || attempt === RETRIES) throw sysError(r, 'unlinkat', child);
      const fd = fs.tryOpen(parent, child, dirFlags);
      if (fd >= 0) {
        stack.push({ fd, names: undefined, next: 0, parent, name: child, relisted: 0 });
        return;
      }
      if (fd === -ENOENT) return;
      // No longer a directory (a symlink or file took its place): unlink that instead.
      if (fd !== -ENOTDIR && fd !== -ELOOP) throw sysError(fd, 'openat', child);
    }
  };
  try {
    removeOrEnter(dirFd, name);
    while (stack.length > 0) {
      const top = stack.at(-1) as Frame; // the loop runs only while the stack holds a frame
      top.names ??= fs.readdir(top.fd);
      const child = top.names[top.next];
      if (child !== undefined) {
        top.next++;
        removeOrEnter(top.fd, child);
        continue;
      }
      const r = fs.tryUnlink(top.parent, top.name, fs.c.AT_REMOVEDIR);
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
