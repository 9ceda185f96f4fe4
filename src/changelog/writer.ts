// ChangelogWriter: writes the records of one changelog file. Invariant: a consumer never sees
// a half-written changelog — records go to a hidden temp file in the same directory, which is
// fsync'd, published under its final name without replacing any file, and the directory fsync'd.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GeorepError, hasErrno } from '../errors.js';
import { changelogName } from './changelog-name.js';
import type { ChangelogName, ChangelogPrefix } from './changelog-name.js';
import { formatRecord } from './format.js';
import { fsCall, ioError } from './fs-call.js';
import type { Change } from './record.js';

/** Buffered bytes written out at once: one write syscall per ~64 KiB of records. */
const FLUSH_CHARS = 64 * 1024;

export class ChangelogWriter {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingChars = 0;
  private records = 0;
  private written = 0;

  private constructor(
    readonly dir: string,
    readonly prefix: ChangelogPrefix,
    readonly ts: number,
    private readonly firstSeq: number,
    private readonly tmpPath: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Starts `<dir>/<prefix>.<tsSeconds>` (published by close()); `dir` must exist. With `after`,
   * the name sorts after it (same second, next seq; or its second if the clock is behind it):
   * a consumer that deletes what it processed frees names, and a reused name would sort as
   * already processed.
   */
  static open(dir: string, prefix: ChangelogPrefix, tsSeconds: number, after?: ChangelogName): ChangelogWriter {
    if (!Number.isSafeInteger(tsSeconds) || tsSeconds < 0) {
      throw new GeorepError('CONFIG_INVALID', `changelog timestamp must be whole unix seconds, got ${tsSeconds}`);
    }
    const first = nameAfter(prefix, tsSeconds, after);
    // Dot-prefixed and suffixed so it can never match a changelog name (changelog-name.ts).
    const tmp = path.join(dir, `.${prefix}.${first.ts}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fd = fsCall('creating changelog', tmp, () => fs.openSync(tmp, 'wx', 0o644));
    return new ChangelogWriter(dir, prefix, first.ts, first.seq, tmp, fd);
  }

  /** Records appended so far. */
  get count(): number {
    return this.records;
  }

  /** Bytes of the file so far (records and newlines, including ones not yet flushed). */
  get bytes(): number {
    return this.written;
  }

  append(c: Change): void {
    this.appendLine(formatRecord(c));
  }

  /** Appends one record already formatted by formatRecord (the recorder's journal holds lines). */
  appendLine(record: string): void {
    this.openFd();
    const line = record + '\n';
    this.pending.push(line);
    this.pendingChars += line.length;
    this.records += 1;
    this.written += Buffer.byteLength(line);
    if (this.pendingChars >= FLUSH_CHARS) this.flush();
  }

  /**
   * Makes the file durable and visible; returns its final path. An empty file is published
   * too (callers that want no empty changelogs call discard() when count is 0).
   */
  close(): string {
    const fd = this.openFd();
    let published: string | undefined;
    try {
      this.flush();
      fsCall('fsync of changelog', this.tmpPath, () => fs.fsyncSync(fd));
      this.fd = undefined; // before closeSync: a failed close must not be retried by discard()
      fsCall('closing changelog', this.tmpPath, () => fs.closeSync(fd));
      published = this.publish();
      const dirFd = fsCall('opening changelog directory', this.dir, () => fs.openSync(this.dir, 'r'));
      try {
        fsCall('fsync of changelog directory', this.dir, () => fs.fsyncSync(dirFd));
      } finally {
        fs.closeSync(dirFd);
      }
      return published;
    } finally {
      if (published === undefined) this.discard();
    }
  }

  /** Drops the unpublished file (after a failure, or when there is nothing to publish). */
  discard(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fsCall('closing changelog', this.tmpPath, () => fs.closeSync(fd));
    this.pending = [];
    try {
      fs.unlinkSync(this.tmpPath);
    } catch (e) {
      if (!hasErrno(e, 'ENOENT')) throw ioError('removing changelog temp file', this.tmpPath, e); // ENOENT: already gone
    }
  }

  private openFd(): number {
    // A programming error, not an operational one: the writer was already closed.
    if (this.fd === undefined) throw new Error(`changelog writer for ${this.tmpPath} is closed`);
    return this.fd;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const fd = this.openFd();
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    fsCall('writing changelog', this.tmpPath, () => {
      for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off);
    });
  }

  /** Gives the temp file its final name, adding `.<n>` when that second already has a file. */
  private publish(): string {
    for (let seq = this.firstSeq; ; seq++) {
      const final = path.join(this.dir, changelogName(this.prefix, this.ts, seq));
      // link() never replaces an existing file (rename() would), so two writers in one
      // second, in one process or two, each get their own name.
      try {
        fs.linkSync(this.tmpPath, final);
      } catch (e) {
        if (hasErrno(e, 'EEXIST')) continue;
        if (hasErrno(e, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP')) return this.publishByRename(seq);
        throw ioError('publishing changelog', final, e);
      }
      fsCall('removing changelog temp file', this.tmpPath, () => fs.unlinkSync(this.tmpPath));
      return final;
    }
  }

  /** For filesystems without hard links: check-then-rename (safe with one writer per dir). */
  private publishByRename(fromSeq: number): string {
    for (let seq = fromSeq; ; seq++) {
      const final = path.join(this.dir, changelogName(this.prefix, this.ts, seq));
      if (fs.existsSync(final)) continue;
      fsCall('publishing changelog', final, () => fs.renameSync(this.tmpPath, final));
      return final;
    }
  }
}

/** The first name of `prefix` at `tsSeconds` that sorts after `after` (the name itself when none). */
export function nameAfter(prefix: ChangelogPrefix, tsSeconds: number, after?: ChangelogName): ChangelogName {
  if (after === undefined || tsSeconds > after.ts) return { prefix, ts: tsSeconds, seq: 0 };
  return { prefix, ts: after.ts, seq: after.seq + 1 };
}
