/** A small DER writer (X.690 §10): what the certificate generator and key encoders need. */
import { Tag } from './der-tags.js';

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV with the given identifier octet and contents. */
export function derEncode(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of contents) n += c.length;
  const len = encodeLength(n);
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  let o = 1 + len.length;
  for (const c of contents) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export function derSequence(...items: Uint8Array[]): Uint8Array {
  return derEncode(Tag.SEQUENCE, ...items);
}

export function derInteger(n: bigint): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  for (;;) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
    if ((v === 0n && bytes[0]! < 0x80) || (v === -1n && bytes[0]! >= 0x80)) break;
  }
  return derEncode(Tag.INTEGER, Uint8Array.from(bytes));
}

export function derOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new RangeError(`derOid: bad OID ${oid}`);
  const subs = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const s of subs) {
    const chunk: number[] = [Number(s & 0x7fn)];
    for (let v = s >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return derEncode(Tag.OID, Uint8Array.from(out));
}

export function derOctetString(b: Uint8Array): Uint8Array {
  return derEncode(Tag.OCTET_STRING, b);
}

export function derBitString(b: Uint8Array, unusedBits = 0): Uint8Array {
  return derEncode(Tag.BIT_STRING, Uint8Array.of(unusedBits), b);
}

export function derNull(): Uint8Array {
  return Uint8Array.of(Tag.NULL, 0);
}

export function derBoolean(b: boolean): Uint8Array {
  return Uint8Array.of(Tag.BOOLEAN, 1, b ? 0xff : 0);
}

export function derUtf8String(s: string): Uint8Array {
  return derEncode(Tag.UTF8String, new TextEncoder().encode(s));
}
