/**
 * Ephemeral key exchange for every NamedGroup we know (RFC 8446 §4.2.7):
 * X25519 / X448 (RFC 7748), the NIST P-curves (SEC1, RFC 8446 §4.2.8.2) and
 * the RFC 7919 finite-field groups (ffdhe.ts). Private keys come only from the
 * given randomBytes.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { x448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { NamedGroup } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { FFDHE_GROUPS, ffdheGroupName, ffdheKeyExchange } from './ffdhe.js';
import { drawScalar, montgomeryShared, weierstrassShared } from './kx-checks.js';
import type { KeyExchange } from './provider.js';
import { draw, type RandomBytes } from './random-source.js';

type Montgomery = typeof x25519;
type Weierstrass = typeof p256;

const MONTGOMERY: ReadonlyMap<number, { name: string; fn: Montgomery; length: number }> = new Map([
  [NamedGroup.x25519, { name: 'x25519', fn: x25519, length: 32 }],
  [NamedGroup.x448, { name: 'x448', fn: x448, length: 56 }],
]);

const WEIERSTRASS: ReadonlyMap<number, { name: string; curve: Weierstrass }> = new Map([
  [NamedGroup.secp256r1, { name: 'secp256r1', curve: p256 }],
  [NamedGroup.secp384r1, { name: 'secp384r1', curve: p384 }],
  [NamedGroup.secp521r1, { name: 'secp521r1', curve: p521 }],
]);

/** Every group keyExchange() can do. */
export const SUPPORTED_GROUPS: readonly number[] = [...MONTGOMERY.keys(), ...WEIERSTRASS.keys(), ...FFDHE_GROUPS];

/**
 * X25519 / X448. The private key is `length` random bytes (clamped by the
 * ladder). A peer share of the wrong length, or one of low order (noble refuses
 * those before the ladder) or giving the all-zero output, is illegal_parameter
 * (RFC 8446 §7.4.2, RFC 7748 §6).
 */
function montgomeryExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  const { name, fn, length } = MONTGOMERY.get(group)!;
  const secret = draw(randomBytes, length);
  const publicKey = fn.getPublicKey(secret);
  return {
    group,
    publicKey,
    complete: (peerPublicKey: Uint8Array): Uint8Array =>
      montgomeryShared(name, length, peerPublicKey, (peer) => fn.getSharedSecret(secret, peer)),
  };
}

/**
 * ECDHE on a P-curve. The private scalar is drawn as Fn.BYTES random bytes with
 * the bits above the order's bit length cleared (so P-521's 66 bytes are not
 * rejected half the time), retried while 0 or >= n. The share is SEC1
 * uncompressed; the peer's must be too (0x04 || X || Y, RFC 8446 §4.2.8.2) and
 * on the curve. The shared secret is the x coordinate (RFC 8446 §7.4.2).
 */
function weierstrassExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  const { name, curve } = WEIERSTRASS.get(group)!;
  const { Fn, Fp } = curve.Point;
  const sk = drawScalar(name, randomBytes, Fn.BYTES, Fn.BITS, Fn.ORDER);
  const publicKey = curve.getPublicKey(sk, false);
  const shareLength = 1 + 2 * Fp.BYTES;
  return {
    group,
    publicKey,
    // The shared secret without the compressed-point prefix: the x coordinate, Fp.BYTES long.
    complete: (peerPublicKey: Uint8Array): Uint8Array =>
      weierstrassShared(name, shareLength, peerPublicKey, (peer) => curve.getSharedSecret(sk, peer, true)).slice(1),
  };
}

/** Start a key exchange for `group`; handshake_failure when we do not know it. */
export function keyExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  if (MONTGOMERY.has(group)) return montgomeryExchange(group, randomBytes);
  if (WEIERSTRASS.has(group)) return weierstrassExchange(group, randomBytes);
  if (ffdheGroupName(group) !== undefined) return ffdheKeyExchange(group, randomBytes);
  throw TlsError.handshakeFailure(`unsupported key exchange group 0x${group.toString(16).padStart(4, '0')}`);
}
