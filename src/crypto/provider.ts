import type { NamedGroup } from '../common/constants.js';

/**
 * The CryptoProvider is the only door to cryptography, randomness and the
 * clock. The default (`nobleProvider`) is pure @noble; node:crypto may only be
 * used behind this interface as an opt-in, and in tests as an oracle.
 */

export type HashAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const hashLength: Record<HashAlgorithm, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** An incremental hash. `digest()` does not finish it: more may be added after. */
export interface HashContext {
  readonly algorithm: HashAlgorithm;
  update(data: Uint8Array): void;
  /** Hash of everything so far; the context stays usable. */
  digest(): Uint8Array;
  clone(): HashContext;
}

export type AeadAlgorithm = 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305';

/** An AEAD bound to one key: set up once per key, used for many records. */
export interface Aead {
  readonly algorithm: AeadAlgorithm;
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Optional, the record layer's fast path: write ciphertext || tag at
   * out[offset..offset + plaintext.length + 16). `plaintext` may be exactly
   * out.subarray(offset, offset + plaintext.length) (sealing in place), so
   * no record needs a buffer of its own. Without it the record layer calls
   * seal() and copies.
   */
  sealTo?(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void;
  /** Returns the plaintext, or null when authentication fails. Never throws on bad input. */
  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

export const aeadKeyLength: Record<AeadAlgorithm, number> = {
  'AES-128-GCM': 16,
  'AES-256-GCM': 32,
  'CHACHA20-POLY1305': 32,
};
export const AEAD_TAG_LENGTH = 16;
export const AEAD_NONCE_LENGTH = 12;

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

export type PublicKey =
  | { readonly type: 'rsa'; readonly n: bigint; readonly e: bigint }
  /** point: SEC1 uncompressed encoding (0x04 || X || Y) */
  | { readonly type: 'ec'; readonly curve: EcCurve; readonly point: Uint8Array }
  | { readonly type: 'ed25519'; readonly key: Uint8Array };

export type PrivateKey =
  | {
      readonly type: 'rsa';
      readonly n: bigint;
      readonly e: bigint;
      readonly d: bigint;
      readonly p: bigint;
      readonly q: bigint;
      readonly dp: bigint;
      readonly dq: bigint;
      readonly qi: bigint;
    }
  | { readonly type: 'ec'; readonly curve: EcCurve; readonly d: Uint8Array; readonly point: Uint8Array }
  | { readonly type: 'ed25519'; readonly seed: Uint8Array; readonly key: Uint8Array };

/**
 * A signature algorithm independent of TLS code points, so X.509 (which may
 * pair any curve with any hash) and TLS share one interface.
 * ECDSA signatures are DER-encoded (X9.62 Ecdsa-Sig-Value), as on the wire.
 */
export type SignatureAlgorithm =
  | { readonly type: 'rsa-pkcs1'; readonly hash: HashAlgorithm }
  | { readonly type: 'rsa-pss'; readonly hash: HashAlgorithm; readonly saltLength: number }
  | { readonly type: 'ecdsa'; readonly hash: HashAlgorithm }
  | { readonly type: 'ed25519' };

/** One ephemeral key exchange: our share is made at creation. */
export interface KeyExchange {
  readonly group: NamedGroup;
  /** Our key_share bytes as sent on the wire. */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret. Throws TlsError(illegal_parameter) when the peer's share
   * is malformed or invalid (RFC 8446 §4.2.8.2, §7.4.2 all-zero X25519 output).
   */
  complete(peerPublicKey: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  /** Cryptographically secure random bytes (or a seeded stream in tests). */
  randomBytes(length: number): Uint8Array;
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;

  hash(algorithm: HashAlgorithm): HashContext;
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfExtract(algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  hkdfExpand(algorithm: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead;
  /**
   * Optional: the AEADs fastest first on this provider. A server with
   * `aeadPreference: 'speed'` picks the first of these the client offers.
   * Without it, the suite order alone decides.
   */
  readonly aeadSpeedOrder?: readonly AeadAlgorithm[];

  /** Groups this provider can do, in no particular order. */
  readonly groups: readonly NamedGroup[];
  /** Start a key exchange; the private key is drawn from randomBytes(). */
  keyExchange(group: NamedGroup): KeyExchange;

  /** Sign. Randomness (PSS salt) is drawn from randomBytes(). */
  sign(key: PrivateKey, algorithm: SignatureAlgorithm, message: Uint8Array): Uint8Array;
  /** Verify; false on any mismatch or malformed signature, never throws for bad signatures. */
  verify(key: PublicKey, algorithm: SignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean;
}

/** `check(key, algorithm, message, signature)`, or false for anything it throws: CryptoProvider.verify's contract. */
export function verifyOrFalse(
  check: CryptoProvider['verify'],
  key: PublicKey,
  algorithm: SignatureAlgorithm,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return check(key, algorithm, message, signature);
  } catch {
    return false;
  }
}
