import type { Aead } from '../crypto/provider.js';
import type { RawRecord } from './deframer.js';

/**
 * One direction's record cipher under one key: what SendProtection and
 * ReceiveProtection delegate to. The sequence number is owned by the caller.
 * Implementations: Tls13Cipher (protection13.ts), Tls12AeadCipher (protection12.ts).
 */
export interface RecordCipher {
  readonly version: '1.2' | '1.3';
  /** Size of the sealed record (header included) for `dataLength` bytes and `padding`. */
  sealedLength(dataLength: number, padding: number): number;
  /** Write one protected record, header included, at out[offset..]; returns the end offset. */
  sealInto(out: Uint8Array, offset: number, seq: bigint, type: number, data: Uint8Array, padding: number): number;
  /** Authenticate and decrypt one record. @throws {TlsError} */
  open(seq: bigint, rec: RawRecord): { type: number; data: Uint8Array };
  /** Largest padding that keeps a record of `dataLength` bytes legal (0 when the version has none). */
  maxPadding(dataLength: number): number;
  /** Overwrite this cipher's keys; it is not used again. */
  wipe(): void;
}

/**
 * ciphertext || tag of `plaintext` at out[offset..]: the AEAD's sealTo when it
 * has one (`plaintext` may then be the very bytes at out[offset..], sealed in
 * place), else seal() and a copy.
 */
export function aeadSealTo(aead: Aead, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
  if (aead.sealTo) aead.sealTo(nonce, plaintext, aad, out, offset);
  else out.set(aead.seal(nonce, plaintext, aad), offset);
}

/** RFC 8446 §5.3 / RFC 5246 §6.1: the sequence number is a uint64 and must not wrap. */
export const MAX_SEQUENCE = 0xffff_ffff_ffff_ffffn;

/** legacy_record_version for every protected record (RFC 8446 §5.1, RFC 5246 for TLS 1.2). */
export const RECORD_VERSION_12 = 0x0303;

/**
 * RFC 8446 §5.3: per-record nonce = iv XOR the sequence number, left-padded
 * to the iv length; written into `out` (a cipher's own scratch, so a record
 * allocates none), which is returned.
 */
export function xorNonce(iv: Uint8Array, seq: bigint, out: Uint8Array = new Uint8Array(iv.length)): Uint8Array {
  const n = out;
  n.set(iv);
  const e = n.length;
  const lo = Number(seq & 0xffffffffn);
  const hi = Number(seq >> 32n);
  n[e - 1] ^= lo;
  n[e - 2] ^= lo >>> 8;
  n[e - 3] ^= lo >>> 16;
  n[e - 4] ^= lo >>> 24;
  n[e - 5] ^= hi;
  n[e - 6] ^= hi >>> 8;
  n[e - 7] ^= hi >>> 16;
  n[e - 8] ^= hi >>> 24;
  return n;
}

/** The sequence number as 8 big-endian bytes at out[offset..]. */
export function writeSeq(out: Uint8Array, offset: number, seq: bigint): void {
  const lo = Number(seq & 0xffffffffn);
  const hi = Number(seq >> 32n);
  out[offset] = hi >>> 24;
  out[offset + 1] = hi >>> 16;
  out[offset + 2] = hi >>> 8;
  out[offset + 3] = hi;
  out[offset + 4] = lo >>> 24;
  out[offset + 5] = lo >>> 16;
  out[offset + 6] = lo >>> 8;
  out[offset + 7] = lo;
}

/** Write a 5-byte record header at out[offset..]. */
export function writeHeader(out: Uint8Array, offset: number, type: number, version: number, length: number): void {
  out[offset] = type;
  out[offset + 1] = version >>> 8;
  out[offset + 2] = version;
  out[offset + 3] = length >>> 8;
  out[offset + 4] = length;
}

