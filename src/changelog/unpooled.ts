// unpooled: a copy of a Buffer in memory of its own. Node serves small Buffers
// (Buffer.concat, Buffer.from, allocUnsafe under 4 KiB) as views into a shared 8 KiB pool
// slab, so one short path kept in a long-lived cache keeps a whole slab alive. The path
// caches of the master's index and of the slave agent's held 17 and 33 MB of slabs for about
// 5,000 directories in a one-shot sync of 200k files (bench/oneshot-rss.ts).

/** `b` itself when it already owns its memory, else a copy that does. */
export function unpooled(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}
