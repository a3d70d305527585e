/** Byte helpers. Typed-array methods only; no per-byte JS loops on bulk data. */

export const EMPTY = new Uint8Array(0);

/**
 * The same bytes as a plain Uint8Array view (no copy). A node Buffer's
 * `slice()` is a view, not a copy; through this view `slice()` copies, as
 * the code here expects wherever it keeps what it was given.
 */
export function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Equality that does not exit early (for MACs, Finished and secrets). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const h = hex.replace(/[\s:]/g, '');
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new TypeError('fromHex: not a hex string');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** Overwrite a retired secret. */
export function wipe(...bufs: (Uint8Array | undefined | null)[]): void {
  for (const b of bufs) b?.fill(0);
}

/** A growable byte queue: append chunks, take a prefix, without quadratic copying. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  private len = 0;

  get length(): number {
    return this.len;
  }

  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.len += b.length;
  }

  /** Copy of the first `n` bytes without consuming them (n <= length). */
  peek(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = new Uint8Array(n);
    let o = 0;
    let h = this.head;
    for (const c of this.chunks) {
      const take = Math.min(n - o, c.length - h);
      out.set(c.subarray(h, h + take), o);
      o += take;
      h = 0;
      if (o === n) break;
    }
    return out;
  }

  /** Remove and return the first `n` bytes (n <= length). */
  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    this.len -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const avail = c.length - this.head;
      if (avail > n) {
        this.head += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Everything, consumed. */
  takeAll(): Uint8Array {
    return this.take(this.len);
  }
}
