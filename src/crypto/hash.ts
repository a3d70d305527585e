/**
 * Hashes, HMAC and HKDF over @noble/hashes.
 */
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import type { HashAlgorithm, HashContext } from './provider.js';

/** The part of a noble hash instance we use. */
interface NobleHashState {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHashState;
}

/** A noble one-shot hash with `.create()`, as accepted by noble's hmac/hkdf. */
type NobleHash = typeof sha256 | typeof sha384 | typeof sha512 | typeof sha1;

const HASHES: Record<HashAlgorithm, NobleHash> = { sha1, sha256, sha384, sha512 };

/** The noble hash function for `algorithm`; TypeError for an unknown name. */
export function nobleHash(algorithm: HashAlgorithm): NobleHash {
  const h = Object.prototype.hasOwnProperty.call(HASHES, algorithm) ? HASHES[algorithm] : undefined;
  if (!h) throw new TypeError(`unsupported hash algorithm: ${String(algorithm)}`);
  return h;
}

/** One-shot digest. */
export function digest(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  return nobleHash(algorithm)(data);
}

class NobleHashContext implements HashContext {
  constructor(
    readonly algorithm: HashAlgorithm,
    private readonly state: NobleHashState,
  ) {}

  update(data: Uint8Array): void {
    this.state.update(data);
  }

  /** Finishes a copy, so this context can take more data afterwards. */
  digest(): Uint8Array {
    return this.state.clone().digest();
  }

  clone(): HashContext {
    return new NobleHashContext(this.algorithm, this.state.clone());
  }
}

export function createHash(algorithm: HashAlgorithm): HashContext {
  return new NobleHashContext(algorithm, nobleHash(algorithm).create());
}

export function hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(nobleHash(algorithm), key, data);
}

/** RFC 5869 §2.2. An empty salt is the same as HashLen zeros (HMAC zero-pads keys). */
export function hkdfExtract(algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(nobleHash(algorithm), ikm, salt);
}

/** RFC 5869 §2.3; length at most 255 * HashLen. */
export function hkdfExpand(algorithm: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return expand(nobleHash(algorithm), prk, info, length);
}
