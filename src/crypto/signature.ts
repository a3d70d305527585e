/**
 * Signatures behind CryptoProvider.sign/verify: RSA (rsa.ts), ECDSA on the
 * NIST P-curves with any hash (we hash, noble signs the digest), Ed25519 (pure,
 * RFC 8032).
 *
 * ECDSA signatures are DER (X9.62 Ecdsa-Sig-Value). Signing is RFC 6979
 * deterministic (it draws nothing from the provider's random stream) and emits
 * low-S; verification also accepts high-S, as OpenSSL emits both.
 * Ed25519 verification is RFC 8032 strict (not ZIP-215), as in OpenSSL.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { digest } from './hash.js';
import {
  hashLength,
  verifyOrFalse,
  type EcCurve,
  type HashAlgorithm,
  type PrivateKey,
  type PublicKey,
  type SignatureAlgorithm,
} from './provider.js';
import { bigIntToBytes, bytesToBigInt, rsaPkcs1Sign, rsaPkcs1Verify, rsaPssSign, rsaPssVerify } from './rsa.js';

type RandomBytes = (n: number) => Uint8Array;

const CURVES: Record<EcCurve, typeof p256> = { 'P-256': p256, 'P-384': p384, 'P-521': p521 };

function curveOf(name: EcCurve): typeof p256 | undefined {
  return Object.prototype.hasOwnProperty.call(CURVES, name) ? CURVES[name] : undefined;
}

function isHash(h: unknown): h is HashAlgorithm {
  return typeof h === 'string' && Object.prototype.hasOwnProperty.call(hashLength, h);
}

function mismatch(key: { type: string }, alg: { type: string }): TypeError {
  return new TypeError(`cannot sign ${alg.type} with a ${key.type} key`);
}

/** Sign `message`; TypeError when the key cannot do `algorithm`. Only the PSS salt uses randomBytes. */
export function sign(
  key: PrivateKey,
  algorithm: SignatureAlgorithm,
  message: Uint8Array,
  randomBytes: RandomBytes,
): Uint8Array {
  switch (algorithm.type) {
    case 'rsa-pkcs1':
    case 'rsa-pss': {
      if (key.type !== 'rsa') throw mismatch(key, algorithm);
      if (!isHash(algorithm.hash)) throw new TypeError(`unsupported hash: ${String(algorithm.hash)}`);
      return algorithm.type === 'rsa-pkcs1'
        ? rsaPkcs1Sign(key, algorithm.hash, message)
        : rsaPssSign(key, algorithm.hash, algorithm.saltLength, message, randomBytes);
    }
    case 'ecdsa': {
      if (key.type !== 'ec') throw mismatch(key, algorithm);
      if (!isHash(algorithm.hash)) throw new TypeError(`unsupported hash: ${String(algorithm.hash)}`);
      const curve = curveOf(key.curve);
      if (!curve) throw new TypeError(`unsupported curve: ${String(key.curve)}`);
      const size = curve.Point.Fn.BYTES;
      // Accept a private scalar given with or without leading zeros.
      const d = key.d.length === size ? key.d : bigIntToBytes(bytesToBigInt(key.d), size);
      return curve.sign(digest(algorithm.hash, message), d, { prehash: false, format: 'der' });
    }
    case 'ed25519': {
      if (key.type !== 'ed25519') throw mismatch(key, algorithm);
      return ed25519.sign(message, key.seed);
    }
    default:
      throw new TypeError(`unsupported signature algorithm: ${String((algorithm as { type: unknown }).type)}`);
  }
}

function verifyUnchecked(key: PublicKey, algorithm: SignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
  switch (algorithm.type) {
    case 'rsa-pkcs1':
      return key.type === 'rsa' && isHash(algorithm.hash) && rsaPkcs1Verify(key, algorithm.hash, message, signature);
    case 'rsa-pss':
      return (
        key.type === 'rsa' &&
        isHash(algorithm.hash) &&
        rsaPssVerify(key, algorithm.hash, algorithm.saltLength, message, signature)
      );
    case 'ecdsa': {
      if (key.type !== 'ec' || !isHash(algorithm.hash)) return false;
      const curve = curveOf(key.curve);
      if (!curve) return false;
      return curve.verify(signature, digest(algorithm.hash, message), key.point, {
        prehash: false,
        lowS: false,
        format: 'der',
      });
    }
    case 'ed25519':
      if (key.type !== 'ed25519' || signature.length !== 64 || key.key.length !== 32) return false;
      return ed25519.verify(signature, message, key.key, { zip215: false });
    default:
      return false;
  }
}

/**
 * Verify; false for any mismatch or malformed input, never throws. RSA keys
 * outside rsa.ts's bounds (modulus 1024..8192 bits, odd 3 <= e < 2^32) are
 * false before any arithmetic (the primitive throws, caught here).
 */
export function verify(key: PublicKey, algorithm: SignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyOrFalse(verifyUnchecked, key, algorithm, message, signature);
}
