// Tree mutations for convergence tests: the changes a replicator must carry over, including
// the two that defeat rsync's default quick check (same-size rewrite within the same second,
// and a rewrite whose mtime is put back the way `cp -p`, tar and backup tools do).

import * as fs from 'node:fs';
import { displayPath, joinBytes, setTimesNs, timeOfNs } from './tree-bytes.js';
import type { RelPath } from './tree-bytes.js';

export type MutateOp =
  /** Removes a file, symlink or FIFO, or a whole directory tree. */
  | { readonly op: 'delete'; readonly path: RelPath }
  /** rename(2) of a file or directory (the target's parent must exist). */
  | { readonly op: 'rename'; readonly from: RelPath; readonly to: RelPath }
  /** Removes a directory tree and creates a regular file under the same name. */
  | { readonly op: 'replace-dir-with-file'; readonly path: RelPath; readonly content: string | Buffer }
  /** Removes a file and creates a directory (holding one file) under the same name. */
  | { readonly op: 'replace-file-with-dir'; readonly path: RelPath }
  /** New content of the same size; mtime stays in the same second (only the ns move). */
  | { readonly op: 'rewrite-same-second'; readonly path: RelPath }
  /** New content of the same size; atime and mtime put back exactly (`cp -p` style). */
  | { readonly op: 'rewrite-keep-mtime'; readonly path: RelPath }
  | { readonly op: 'chmod'; readonly path: RelPath; readonly mode: number }
  | { readonly op: 'set-mtime'; readonly path: RelPath; readonly sec: number; readonly nsec: number }
  /** A new regular file (parents created); `mode` applied with chmod, past the umask. */
  | { readonly op: 'add-file'; readonly path: RelPath; readonly content: string | Buffer; readonly mode?: number }
  | { readonly op: 'add-dir'; readonly path: RelPath }
  | { readonly op: 'add-symlink'; readonly path: RelPath; readonly target: RelPath }
  /** A new hard link `path` to the existing `existing`. */
  | { readonly op: 'add-link'; readonly existing: RelPath; readonly path: RelPath }
  /** rm + ln -s under the same name, on the same inode when the filesystem allows (retargetSymlink). */
  | { readonly op: 'retarget-symlink'; readonly path: RelPath; readonly target: RelPath };

/** Most symlinks made to fill lower free inodes before the freed one comes back. */
const MAX_FILLERS = 64;

/**
 * Retargets the symlink at `p` the way tools do (unlink, then symlink under the same name) and
 * tries to make the new symlink reuse the old one's inode, the case a replicator cannot tell
 * from an attribute change by inode and size alone. ext4 hands out the lowest free inode of the
 * parent's group, so symlinks are made (and parked under filler names) until the freed inode
 * comes back; the fillers are removed at the end. Returns whether the inode was reused (not
 * guaranteed: the allocator may pick another group).
 */
export function retargetSymlink(p: Buffer, target: Buffer): boolean {
  const ino = fs.lstatSync(p, { bigint: true }).ino;
  if (!fs.lstatSync(p).isSymbolicLink()) throw new Error(`mutate: ${displayPath(p)} is not a symlink`);
  fs.unlinkSync(p);
  const fillers: Buffer[] = [];
  let reused = false;
  try {
    for (let i = 0; ; i++) {
      fs.symlinkSync(target, p);
      reused = fs.lstatSync(p, { bigint: true }).ino === ino;
      if (reused || i >= MAX_FILLERS) return reused;
      const filler = Buffer.concat([p, Buffer.from(`.filler-${i}`)]);
      fs.renameSync(p, filler);
      fillers.push(filler);
    }
  } finally {
    for (const f of fillers) fs.unlinkSync(f);
  }
}

/** Inverts every byte of a non-empty regular file in place: same size, different content. */
function invertContent(p: Buffer): void {
  const data = fs.readFileSync(p);
  if (data.length === 0) throw new Error(`mutate: ${displayPath(p)} is empty; a same-size rewrite needs bytes`);
  for (let i = 0; i < data.length; i++) data[i] = 0xff - (data[i] ?? 0);
  const st = fs.statSync(p);
  if ((st.mode & 0o200) === 0) fs.chmodSync(p, st.mode | 0o200);
  fs.writeFileSync(p, data);
  if ((st.mode & 0o200) === 0) fs.chmodSync(p, st.mode & 0o7777);
}

function mkParents(p: Buffer): void {
  const i = p.lastIndexOf(0x2f);
  if (i > 0) fs.mkdirSync(p.subarray(0, i), { recursive: true });
}

function applyOne(root: string, op: MutateOp): void {
  switch (op.op) {
    case 'delete':
      fs.rmSync(joinBytes(root, op.path), { recursive: true });
      return;
    case 'rename':
      fs.renameSync(joinBytes(root, op.from), joinBytes(root, op.to));
      return;
    case 'replace-dir-with-file': {
      const p = joinBytes(root, op.path);
      if (!fs.lstatSync(p).isDirectory()) throw new Error(`mutate: ${displayPath(p)} is not a directory`);
      fs.rmSync(p, { recursive: true });
      fs.writeFileSync(p, op.content);
      return;
    }
    case 'replace-file-with-dir': {
      const p = joinBytes(root, op.path);
      fs.unlinkSync(p);
      fs.mkdirSync(p);
      fs.writeFileSync(joinBytes(p, 'was-a-file.txt'), 'now a directory\n');
      return;
    }
    case 'rewrite-same-second': {
      const p = joinBytes(root, op.path);
      const before = fs.lstatSync(p, { bigint: true });
      invertContent(p);
      const sec = before.mtimeNs / 1_000_000_000n;
      const nsec = ((before.mtimeNs % 1_000_000_000n) + 1_000_001n) % 1_000_000_000n;
      setTimesNs(p, timeOfNs(sec * 1_000_000_000n + nsec));
      return;
    }
    case 'rewrite-keep-mtime': {
      const p = joinBytes(root, op.path);
      const before = fs.lstatSync(p, { bigint: true });
      invertContent(p);
      setTimesNs(p, timeOfNs(before.atimeNs), 'atime');
      setTimesNs(p, timeOfNs(before.mtimeNs));
      return;
    }
    case 'chmod':
      fs.chmodSync(joinBytes(root, op.path), op.mode);
      return;
    case 'set-mtime':
      setTimesNs(joinBytes(root, op.path), { sec: op.sec, nsec: op.nsec });
      return;
    case 'add-file': {
      const p = joinBytes(root, op.path);
      mkParents(p);
      fs.writeFileSync(p, op.content, { flag: 'wx' });
      if (op.mode !== undefined) fs.chmodSync(p, op.mode);
      return;
    }
    case 'add-dir':
      fs.mkdirSync(joinBytes(root, op.path), { recursive: true });
      return;
    case 'add-symlink': {
      const p = joinBytes(root, op.path);
      mkParents(p);
      fs.symlinkSync(typeof op.target === 'string' ? Buffer.from(op.target) : op.target, p);
      return;
    }
    case 'add-link': {
      const p = joinBytes(root, op.path);
      mkParents(p);
      fs.linkSync(joinBytes(root, op.existing), p);
      return;
    }
    case 'retarget-symlink':
      retargetSymlink(joinBytes(root, op.path), typeof op.target === 'string' ? Buffer.from(op.target) : op.target);
      return;
    default:
      assertNever(op);
  }
}

function assertNever(x: never): never {
  throw new Error(`mutate: unknown op ${JSON.stringify(x)}`);
}

/** A symlink retargeted by rm + ln -s, landing on the freed inode where it can (retargetSymlink). */
export const retargetOps = (link: RelPath, target: RelPath): MutateOp[] => [
  { op: 'retarget-symlink', path: link, target },
];

/** A symlink replaced by ln -s to a temporary name and a rename over it: another inode for sure. */
export const replaceSymlinkOps = (link: string, target: RelPath): MutateOp[] => [
  { op: 'add-symlink', path: `${link}.tmp`, target },
  { op: 'rename', from: `${link}.tmp`, to: link },
];

/** Applies `ops` to the tree at `root`, in order. */
export function mutate(root: string, ops: readonly MutateOp[]): void {
  for (const op of ops) applyOne(root, op);
}
