/**
 * What a TlsSocket received and has not yet given to its Connection: chunks
 * in order, taken in pieces of at most a given size (never joined: a piece
 * is one chunk or part of one).
 */
export class Inbox {
  private chunks: Uint8Array[] = [];
  /** How much of the head chunk was taken already. */
  private offset = 0;
  private total = 0;

  /** Bytes waiting. */
  get bytes(): number {
    return this.total;
  }

  push(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) {
      if (c.length === 0) continue;
      this.chunks.push(c);
      this.total += c.length;
    }
  }

  /** The next at most `max` bytes; only when `bytes > 0`. */
  take(max: number): Uint8Array {
    const head = this.chunks[0]!;
    const rest = head.length - this.offset;
    let piece: Uint8Array;
    if (rest <= max) {
      piece = this.offset === 0 ? head : head.subarray(this.offset);
      this.chunks.shift();
      this.offset = 0;
    } else {
      piece = head.subarray(this.offset, this.offset + max);
      this.offset += max;
    }
    this.total -= piece.length;
    return piece;
  }

  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.total = 0;
  }
}
