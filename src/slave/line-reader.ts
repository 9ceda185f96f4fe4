// LineReader: splits a byte stream into newline-terminated lines, bounded by a byte limit.
// Invariant: it never holds more than `maxBytes` of one line; an oversize line is discarded up
// to its newline and reported once (with its first bytes, so the caller can read its id).

export type LineEvent =
  | { readonly kind: 'line'; readonly text: string }
  | { readonly kind: 'oversize'; readonly head: string; readonly bytes: number };

const NEWLINE = 0x0a;
const HEAD_BYTES = 64;

export class LineReader {
  private parts: Buffer[] = [];
  private held = 0;
  /** While discarding an oversize line: its first bytes and how many bytes it had so far. */
  private discarding: { head: string; bytes: number } | undefined;

  constructor(private readonly maxBytes: number) {}

  /** Feeds one chunk; returns the complete lines (and oversize reports) it finished, in order. */
  push(chunk: Buffer): LineEvent[] {
    const out: LineEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (nl === -1) {
        this.hold(piece);
        return out;
      }
      out.push(this.finish(piece));
      start = nl + 1;
    }
  }

  /** End of input: a last line without a newline still counts. */
  end(): LineEvent[] {
    if (this.discarding === undefined && this.held === 0) return [];
    return [this.finish(Buffer.alloc(0))];
  }

  private hold(piece: Buffer): void {
    if (this.discarding !== undefined) {
      this.discarding.bytes += piece.length;
      return;
    }
    if (this.held + piece.length > this.maxBytes) {
      this.startDiscarding(piece);
      return;
    }
    if (piece.length > 0) this.parts.push(piece);
    this.held += piece.length;
  }

  private startDiscarding(piece: Buffer): void {
    const all = Buffer.concat([...this.parts, piece.subarray(0, HEAD_BYTES)]);
    this.discarding = { head: all.subarray(0, HEAD_BYTES).toString('utf8'), bytes: this.held + piece.length };
    this.parts = [];
    this.held = 0;
  }

  private finish(piece: Buffer): LineEvent {
    if (this.discarding === undefined && this.held + piece.length > this.maxBytes) this.startDiscarding(piece);
    else if (this.discarding !== undefined) this.discarding.bytes += piece.length;
    const d = this.discarding;
    if (d !== undefined) {
      this.discarding = undefined;
      return { kind: 'oversize', head: d.head, bytes: d.bytes };
    }
    const text =
      this.parts.length === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8');
    this.parts = [];
    this.held = 0;
    return { kind: 'line', text };
  }
}
