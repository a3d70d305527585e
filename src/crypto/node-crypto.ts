/**
 * An opt-in CryptoProvider on node:crypto (OpenSSL), for speed:
 *
 *   import { nodeCryptoProvider } from 'puretls/node-crypto';
 *   new TlsContext({ provider: nodeCryptoProvider() });
 *
 * It reproduces the default (@noble) provider's interface exactly: the same
 * key share encodings and shared secrets, the same private keys from the same
 * randomBytes() stream (X25519/X448 secrets, P-curve scalars, FFDHE exponents
 * and the RSA-PSS salt are all drawn from it, as nobleProvider does), the same
 * peer-share checks with the same TlsError (illegal_parameter), and AEAD open /
 * signature verify that return null / false and never throw on bad input.
 *
 * Differences in output, by design of the underlying libraries:
 * - ECDSA signatures are randomized by OpenSSL (noble's are RFC 6979
 *   deterministic and low-S); either verifies with the other provider.
 * - Everything else (hashes, HMAC, HKDF, AEAD output, shared secrets, RSA
 *   PKCS#1 v1.5, RSA-PSS given the same random stream, Ed25519) is
 *   byte-identical.
 *
 * The pieces live in src/crypto/node/ (hash-aead.ts, kx.ts, signature.ts);
 * this module and those are the only ones of src/ besides src/node/ that
 * import node:crypto.
 */
import { randomFillSync } from 'node:crypto';
import { aead, hash, hkdfExpand, hkdfExtract, hmac } from './node/hash-aead.js';
import { GROUPS, keyExchange } from './node/kx.js';
import { sign, verify } from './node/signature.js';
import type { CryptoProvider } from './provider.js';
import { checkedRandom, pooledRandom } from './random-source.js';

export interface NodeCryptoProviderOptions {
  /** Source of random bytes; default: node:crypto's randomFillSync (the OpenSSL CSPRNG), drawn 4 KiB at a time. */
  readonly random?: (n: number) => Uint8Array;
  /** Milliseconds since the epoch; default: Date.now. */
  readonly clock?: () => number;
}

/** The system CSPRNG through node:crypto. */
export function nodeRandom(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

/** nodeRandom's bytes a 4 KiB pool at a time: the default source (pooledRandom). */
const pooledNodeRandom = pooledRandom((into) => randomFillSync(into));

/**
 * A CryptoProvider on node:crypto. Opt in with
 * `new TlsContext({ provider: nodeCryptoProvider() })` (or the Node adapter's
 * `provider` option); the default stays the pure-@noble one.
 */
export function nodeCryptoProvider(options: NodeCryptoProviderOptions = {}): CryptoProvider {
  const source = options.random ?? pooledNodeRandom;
  const clock = options.clock ?? Date.now;

  const randomBytes = checkedRandom(source);

  return Object.freeze({
    randomBytes,
    nowMs: () => clock(),
    hash,
    hmac,
    hkdfExtract,
    hkdfExpand,
    aead,
    // OpenSSL with AES instructions: AES-GCM first.
    aeadSpeedOrder: Object.freeze(['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as const),
    groups: GROUPS,
    keyExchange: (group: number) => keyExchange(group, randomBytes),
    sign: (key, algorithm, message) => sign(key, algorithm, message, randomBytes),
    verify,
  } satisfies CryptoProvider);
}
