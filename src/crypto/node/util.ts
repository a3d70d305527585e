/** Byte, JWK and hash-name helpers shared by the node:crypto provider's modules. */
import { hashLength, type HashAlgorithm } from '../provider.js';

/** A plain Uint8Array over a Buffer's bytes (no copy), so `.slice()` copies as on any Uint8Array. */
export function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

export function unb64u(s: string | undefined): Uint8Array {
  if (s === undefined) throw new Error('node:crypto: JWK member missing');
  return plain(Buffer.from(s, 'base64url'));
}

/** A positive integer as a JWK base64url value (big-endian, no leading zeros). */
export function b64uInt(x: bigint): string {
  let hex = x.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function isHash(h: unknown): h is HashAlgorithm {
  return typeof h === 'string' && Object.prototype.hasOwnProperty.call(hashLength, h);
}

export function checkHash(h: unknown): HashAlgorithm {
  if (!isHash(h)) throw new TypeError(`unsupported hash algorithm: ${String(h)}`);
  return h;
}

export function leftPad(b: Buffer, length: number): Uint8Array {
  if (b.length === length) return plain(b);
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}
