/**
 * Reproducible randomness for tests, demos and transcripts.
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../common/bytes.js';
import type { CryptoProvider } from './provider.js';
import { nobleProvider } from './noble.js';

/** Keystream produced per refill: 64 ChaCha20 blocks. */
const CHUNK = 4096;
const BLOCKS_PER_CHUNK = CHUNK / 64;

function checkLength(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`random: bad length ${n}`);
}

/**
 * A reproducible byte stream: the ChaCha20 keystream (RFC 8439) under key
 * SHA-256(seed), nonce 0 (its first word counts up every 2^32 - 64 blocks).
 * The output depends only on the seed and the total bytes taken, not on how
 * the requests are split. Not for production keys.
 */
export function deterministicRandom(seed: Uint8Array): (n: number) => Uint8Array {
  const key = sha256(seed);
  const nonce = new Uint8Array(12);
  const nonceView = new DataView(nonce.buffer);
  const zeros = new Uint8Array(CHUNK);
  let buffer = new Uint8Array(0);
  let pos = 0;
  let counter = 0;
  let epoch = 0;

  const refill = (): void => {
    buffer = chacha20(key, nonce, zeros, undefined, counter);
    pos = 0;
    counter += BLOCKS_PER_CHUNK;
    if (counter > 0xffffffff - BLOCKS_PER_CHUNK) {
      counter = 0;
      nonceView.setUint32(0, ++epoch);
    }
  };

  return (n: number): Uint8Array => {
    checkLength(n);
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (pos === buffer.length) refill();
      const take = Math.min(n - off, buffer.length - pos);
      out.set(buffer.subarray(pos, pos + take), off);
      off += take;
      pos += take;
    }
    return out;
  };
}

/**
 * Hands out `chunks` in order, each only to a request for exactly its length
 * (an Error naming both lengths otherwise), then defers to `fallback`; without
 * one, running out is an Error. Each chunk is returned as a fresh copy.
 */
export function scriptedRandom(
  chunks: readonly Uint8Array[],
  fallback?: (n: number) => Uint8Array,
): (n: number) => Uint8Array {
  let next = 0;
  return (n: number): Uint8Array => {
    checkLength(n);
    if (next < chunks.length) {
      const chunk = chunks[next]!;
      if (chunk.length !== n) {
        throw new Error(`scriptedRandom: chunk #${next} has ${chunk.length} bytes, but ${n} bytes were requested`);
      }
      next++;
      return new Uint8Array(chunk); // a copy, also for Buffer chunks
    }
    if (fallback) return fallback(n);
    throw new Error(`scriptedRandom: all ${chunks.length} chunks used and no fallback (${n} bytes requested)`);
  };
}

/** nobleProvider with deterministicRandom(seed) (a string seed is taken as UTF-8) and a fixed clock. */
export function testProvider(seed: Uint8Array | string, nowMs = 1_700_000_000_000): CryptoProvider {
  const s = typeof seed === 'string' ? utf8(seed) : seed;
  return nobleProvider({ random: deterministicRandom(s), clock: () => nowMs });
}
