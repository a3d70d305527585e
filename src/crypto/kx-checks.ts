/**
 * The key-share rules both providers' key exchanges follow (kx.ts,
 * node/kx.ts), so that they draw the same private keys from the same random
 * stream and refuse the same peer shares with the same TlsError
 * (illegal_parameter, RFC 8446 §4.2.8 / §7.4.2, RFC 7748 §6).
 */
import { TlsError } from '../common/errors.js';
import { draw, type RandomBytes } from './random-source.js';
import { bytesToBigInt } from './rsa.js';

/**
 * A P-curve private scalar: `size` random bytes with the bits above the
 * order's bit length (`orderBits`) cleared (so P-521's 66 bytes are not
 * rejected half the time), redrawn while 0 or >= order, at most 128 times.
 */
export function drawScalar(
  name: string,
  randomBytes: RandomBytes,
  size: number,
  orderBits: number,
  order: bigint,
): Uint8Array {
  const excessBits = size * 8 - orderBits;
  for (let attempt = 0; attempt < 128; attempt++) {
    const r = draw(randomBytes, size);
    r[0] &= 0xff >>> excessBits;
    const d = bytesToBigInt(r);
    if (d !== 0n && d < order) return r;
    r.fill(0);
  }
  throw TlsError.internal(`${name}: random source gave no valid scalar in 128 tries`);
}

/**
 * X25519 / X448: the shared secret from `derive(peerPublicKey)`, after the
 * checks: the share must be `length` bytes; `derive` throwing means a
 * low-order point; an all-zero (or wrong-length) output is refused.
 */
export function montgomeryShared(
  name: string,
  length: number,
  peerPublicKey: Uint8Array,
  derive: (peerPublicKey: Uint8Array) => Uint8Array,
): Uint8Array {
  if (peerPublicKey.length !== length) {
    throw TlsError.illegal(`${name} key share must be ${length} bytes, got ${peerPublicKey.length}`);
  }
  let shared: Uint8Array;
  try {
    shared = derive(peerPublicKey);
  } catch {
    throw TlsError.illegal(`${name} key share is a low-order point`);
  }
  let acc = 0;
  for (let i = 0; i < shared.length; i++) acc |= shared[i]!;
  if (acc === 0 || shared.length !== length) throw TlsError.illegal(`${name} shared secret is all zeros`);
  return shared;
}

/**
 * ECDHE on a P-curve: the shared secret from `derive(peerPublicKey)`, after
 * the checks: the share must be SEC1 uncompressed (0x04 || X || Y) of
 * `shareLength` bytes; `derive` throwing means it is not on the curve.
 */
export function weierstrassShared<T extends Uint8Array>(
  name: string,
  shareLength: number,
  peerPublicKey: Uint8Array,
  derive: (peerPublicKey: Uint8Array) => T,
): T {
  if (peerPublicKey.length !== shareLength || peerPublicKey[0] !== 0x04) {
    throw TlsError.illegal(`${name} key share must be an uncompressed point of ${shareLength} bytes`);
  }
  try {
    return derive(peerPublicKey);
  } catch {
    throw TlsError.illegal(`${name} key share is not a point on the curve`);
  }
}
