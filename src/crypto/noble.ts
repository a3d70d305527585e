/**
 * The default CryptoProvider: pure @noble for hashes, AEADs, curves and
 * Ed25519; RSA and FFDHE on BigInt. This module (with random.ts) is the only
 * place the library touches the system's randomness and clock.
 */
import { createAead } from './aead.js';
import { createHash, hkdfExpand, hkdfExtract, hmac } from './hash.js';
import { keyExchange, SUPPORTED_GROUPS } from './kx.js';
import type { CryptoProvider } from './provider.js';
import { checkedRandom } from './random-source.js';
import { sign, verify } from './signature.js';

export interface NobleProviderOptions {
  /** Source of random bytes; default: globalThis.crypto.getRandomValues. */
  readonly random?: (n: number) => Uint8Array;
  /** Milliseconds since the epoch; default: Date.now. */
  readonly clock?: () => number;
}

/** getRandomValues refuses more than 65536 bytes per call. */
const RANDOM_CHUNK = 65536;

/** The system CSPRNG (Web Crypto getRandomValues). */
export function systemRandom(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + RANDOM_CHUNK)));
  }
  return out;
}

export function systemClock(): number {
  return Date.now();
}

export function nobleProvider(options: NobleProviderOptions = {}): CryptoProvider {
  const source = options.random ?? systemRandom;
  const clock = options.clock ?? systemClock;

  const randomBytes = checkedRandom(source);

  return Object.freeze({
    randomBytes,
    nowMs: () => clock(),
    hash: createHash,
    hmac,
    hkdfExtract,
    hkdfExpand,
    aead: createAead,
    groups: SUPPORTED_GROUPS,
    keyExchange: (group: number) => keyExchange(group, randomBytes),
    sign: (key, algorithm, message) => sign(key, algorithm, message, randomBytes),
    verify,
  } satisfies CryptoProvider);
}
