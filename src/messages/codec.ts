import { TlsError } from '../common/errors.js';

/**
 * Strict reader for TLS presentation-language vectors. Every failure is a
 * decode_error TlsError naming the field. Slices are subarrays (no copies).
 */
export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }
  get offset(): number {
    return this.pos;
  }

  private need(n: number, field: string): void {
    if (this.buf.length - this.pos < n) throw TlsError.decode(`${field}: truncated`);
  }

  u8(field = 'u8'): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }
  u16(field = 'u16'): number {
    this.need(2, field);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u24(field = 'u24'): number {
    this.need(3, field);
    const b = this.buf;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }
  u32(field = 'u32'): number {
    this.need(4, field);
    const b = this.buf;
    const v = ((b[this.pos]! << 24) >>> 0) + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!);
    this.pos += 4;
    return v;
  }
  u64(field = 'u64'): bigint {
    const hi = this.u32(field);
    const lo = this.u32(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Exactly `n` bytes. */
  bytes(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The rest of the buffer. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  private vec(lenBytes: 1 | 2 | 3, field: string, min: number, max: number): Uint8Array {
    const n = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field);
    if (n < min || n > max) throw TlsError.decode(`${field}: length ${n} outside ${min}..${max}`);
    return this.bytes(n, field);
  }
  /** opaque field<min..max> with a 1-byte length. */
  vec8(field: string, min = 0, max = 0xff): Uint8Array {
    return this.vec(1, field, min, max);
  }
  vec16(field: string, min = 0, max = 0xffff): Uint8Array {
    return this.vec(2, field, min, max);
  }
  vec24(field: string, min = 0, max = 0xffffff): Uint8Array {
    return this.vec(3, field, min, max);
  }

  /** A sub-reader over a length-prefixed vector. */
  sub8(field: string, min = 0, max = 0xff): Reader {
    return new Reader(this.vec8(field, min, max));
  }
  sub16(field: string, min = 0, max = 0xffff): Reader {
    return new Reader(this.vec16(field, min, max));
  }
  sub24(field: string, min = 0, max = 0xffffff): Reader {
    return new Reader(this.vec24(field, min, max));
  }

  /** Parse a list of items inside a length-prefixed vector until it is used up. */
  list8<T>(field: string, item: (r: Reader) => T, opts: { minBytes?: number; maxBytes?: number } = {}): T[] {
    return Reader.items(this.sub8(field, opts.minBytes ?? 0, opts.maxBytes ?? 0xff), item);
  }
  list16<T>(field: string, item: (r: Reader) => T, opts: { minBytes?: number; maxBytes?: number } = {}): T[] {
    return Reader.items(this.sub16(field, opts.minBytes ?? 0, opts.maxBytes ?? 0xffff), item);
  }
  list24<T>(field: string, item: (r: Reader) => T, opts: { minBytes?: number; maxBytes?: number } = {}): T[] {
    return Reader.items(this.sub24(field, opts.minBytes ?? 0, opts.maxBytes ?? 0xffffff), item);
  }
  private static items<T>(r: Reader, item: (r: Reader) => T): T[] {
    const out: T[] = [];
    while (r.remaining > 0) out.push(item(r));
    return out;
  }

  /** Require that the input is used up: trailing bytes are a decode_error. */
  end(field = 'message'): void {
    if (this.pos !== this.buf.length) throw TlsError.decode(`${field}: ${this.buf.length - this.pos} trailing bytes`);
  }
}

/**
 * Writer with nested length prefixes through callbacks, so no length is
 * counted by hand. Grows geometrically.
 */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // At least 64: doubling a zero-capacity buffer (new Writer(0)) would never grow, and loop forever.
    let size = Math.max(this.buf.length * 2, 64);
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  get length(): number {
    return this.pos;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u24(v: number): this {
    this.ensure(3);
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf[this.pos++] = (v >>> 24) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u64(v: bigint): this {
    this.u32(Number((v >> 32n) & 0xffffffffn));
    return this.u32(Number(v & 0xffffffffn));
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  private prefixed(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const max = lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff;
    this.ensure(lenBytes);
    const at = this.pos;
    this.pos += lenBytes;
    body(this);
    const n = this.pos - at - lenBytes;
    if (n > max) throw new RangeError(`Writer: vector of ${n} bytes exceeds ${max}`);
    for (let i = lenBytes - 1; i >= 0; i--) this.buf[at + (lenBytes - 1 - i)] = (n >>> (8 * i)) & 0xff;
    return this;
  }
  vec8(body: (w: this) => void): this {
    return this.prefixed(1, body);
  }
  vec16(body: (w: this) => void): this {
    return this.prefixed(2, body);
  }
  vec24(body: (w: this) => void): this {
    return this.prefixed(3, body);
  }
  /** Shorthands for an opaque vector. */
  opaque8(b: Uint8Array): this {
    return this.vec8((w) => w.bytes(b));
  }
  opaque16(b: Uint8Array): this {
    return this.vec16((w) => w.bytes(b));
  }
  opaque24(b: Uint8Array): this {
    return this.vec24((w) => w.bytes(b));
  }

  /** The bytes written (a copy-free view of the internal buffer). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Encode with a fresh Writer. */
export function encode(body: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  body(w);
  return w.finish();
}
