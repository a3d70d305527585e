/**
 * Randomness plumbing shared by both providers (noble.ts, node-crypto.ts):
 * the checked randomBytes() over a caller's source, and private-key draws.
 * Touches no system randomness itself.
 */

export type RandomBytes = (n: number) => Uint8Array;

/**
 * randomBytes() over `source`: a RangeError for a length that is not a
 * non-negative safe integer, an Error when the source returns anything but
 * a Uint8Array of exactly the asked length.
 */
export function checkedRandom(source: RandomBytes): RandomBytes {
  return (length: number): Uint8Array => {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`randomBytes: bad length ${length}`);
    const r = source(length);
    if (!(r instanceof Uint8Array) || r.length !== length) {
      throw new Error(`random source returned ${r instanceof Uint8Array ? r.length : typeof r} bytes, asked for ${length}`);
    }
    return r;
  };
}

/** Our own copy of `n` random bytes (not Buffer#slice, a view: the caller's buffer may be one we must not keep). */
export function draw(randomBytes: RandomBytes, n: number): Uint8Array {
  const r = randomBytes(n);
  if (r.length !== n) throw new Error(`random source returned ${r.length} bytes, asked for ${n}`);
  return new Uint8Array(r);
}

/** Requests up to this size are served from the pool; larger ones are filled directly. */
const POOL_SERVE_MAX = 256;

/**
 * A RandomBytes that draws from the system CSPRNG `fill` a pool at a time
 * (`poolSize` bytes) and hands each byte out once: a copy for the caller, the
 * pool's bytes zeroed as they go. A handshake asks for a dozen small values
 * (randoms, key shares, ticket nonces, salts); one system call per value cost
 * 3% of a server handshake on node:crypto. Large requests bypass the pool.
 */
export function pooledRandom(fill: (into: Uint8Array) => void, poolSize = 4096): RandomBytes {
  const pool = new Uint8Array(poolSize);
  let at = poolSize;
  return (n: number): Uint8Array => {
    if (n > POOL_SERVE_MAX || n > poolSize) {
      const out = new Uint8Array(n);
      fill(out);
      return out;
    }
    if (at + n > poolSize) {
      fill(pool);
      at = 0;
    }
    const out = pool.slice(at, at + n);
    pool.fill(0, at, at + n);
    at += n;
    return out;
  };
}
