import { hashLength, type CryptoProvider, type HashAlgorithm } from './provider.js';

/**
 * The TLS 1.2 PRF (RFC 5246 §5):
 *
 *   PRF(secret, label, seed) = P_<hash>(secret, label + seed)
 *   P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC(secret, A(i-1))
 *
 * The hash is the suite's PRF hash: SHA-256 for RFC 5246's suites and
 * ChaCha20-Poly1305 (RFC 7905), SHA-384 for the _SHA384 GCM suites (RFC 5289).
 *
 * One buffer holds A(i) + label + seed: each round overwrites A(i) in place
 * and writes its HMAC straight into the output, so the work is linear in
 * `length` (two HMACs per hash block) and nothing is concatenated per round.
 * A(i) and the HMAC blocks are wiped before returning.
 *
 * @param seed one seed, or its parts in order (the PRF sees them concatenated;
 *   saves the caller a copy of client_random + server_random)
 * @throws {TypeError} secret or a seed part not a Uint8Array, label not a string, unknown hash
 * @throws {RangeError} label not ASCII, length not a non-negative safe integer
 */
export function prf12(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array | readonly Uint8Array[],
  length: number,
): Uint8Array {
  const parts: readonly Uint8Array[] = seed instanceof Uint8Array ? [seed] : seed;
  if (!Object.prototype.hasOwnProperty.call(hashLength, hash)) throw new TypeError(`prf12: unknown hash ${String(hash)}`);
  if (!(secret instanceof Uint8Array)) throw new TypeError('prf12: secret must be a Uint8Array');
  if (typeof label !== 'string') throw new TypeError('prf12: label must be a string');
  // RFC 5246 §5: the label is an ASCII string, without a length byte or a trailing NUL.
  if (!/^[\x00-\x7f]*$/.test(label)) throw new RangeError('prf12: label must be ASCII');
  if (!Array.isArray(parts) || !parts.every((p) => p instanceof Uint8Array)) {
    throw new TypeError('prf12: seed must be a Uint8Array or an array of them');
  }
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('prf12: length must be a non-negative integer');

  const out = new Uint8Array(length);
  if (length === 0) return out;
  const hLen = hashLength[hash];
  let seedLength = label.length;
  for (const p of parts) seedLength += p.length;

  // [ A(i) | label | seed ]: the tail alone is A(0) = label + seed.
  const buf = new Uint8Array(hLen + seedLength);
  let at = hLen;
  for (let i = 0; i < label.length; i++) buf[at++] = label.charCodeAt(i);
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }

  let a = provider.hmac(hash, secret, buf.subarray(hLen)); // A(1)
  for (let o = 0; ; ) {
    buf.set(a, 0);
    const block = provider.hmac(hash, secret, buf);
    const n = Math.min(hLen, length - o);
    out.set(n === hLen ? block : block.subarray(0, n), o);
    block.fill(0);
    o += n;
    if (o === length) break;
    const next = provider.hmac(hash, secret, a); // A(i+1)
    a.fill(0);
    a = next;
  }
  a.fill(0);
  buf.fill(0, 0, hLen);
  return out;
}
