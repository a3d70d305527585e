/**
 * RSA signatures on BigInt (RFC 8017): RSASSA-PKCS1-v1_5 and RSASSA-PSS with
 * MGF1, plus the BigInt helpers FFDHE shares.
 *
 * The private operation uses CRT, is blinded (r^e·m, then ·r^-1) with a blinding
 * factor derived deterministically from the key and the encoded message (so
 * signing draws nothing from the provider's random stream except the PSS salt),
 * and the result is re-verified with the public exponent before release
 * (a fault in one CRT half would otherwise leak a factor of n).
 */
import { constantTimeEqual } from '../common/bytes.js';
import { digest, hmac } from './hash.js';
import { hashLength, type HashAlgorithm, type PrivateKey, type PublicKey } from './provider.js';

export type RsaPublicKey = Extract<PublicKey, { type: 'rsa' }>;
export type RsaPrivateKey = Extract<PrivateKey, { type: 'rsa' }>;

// ---------------------------------------------------------------- BigInt helpers

export function bytesToBigInt(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let hex = '';
  for (let i = 0; i < b.length; i++) hex += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return BigInt('0x' + hex);
}

/** I2OSP: big-endian, left-padded with zeros to `length`; RangeError when it does not fit. */
export function bigIntToBytes(x: bigint, length: number): Uint8Array {
  if (x < 0n) throw new RangeError('bigIntToBytes: negative');
  const hex = x.toString(16);
  if (hex.length > 2 * length) throw new RangeError('bigIntToBytes: integer too large');
  const out = new Uint8Array(length);
  const padded = hex.padStart(2 * length, '0');
  for (let i = 0; i < length; i++) out[i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

export function byteLength(x: bigint): number {
  return (bitLength(x) + 7) >> 3;
}

/** Inverse of a mod m, or undefined when gcd(a, m) != 1. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  let r0 = m;
  let r1 = ((a % m) + m) % m;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) return undefined;
  return t0 < 0n ? t0 + m : t0;
}

/**
 * base^exp mod m, left-to-right sliding window over the odd powers
 * base^1, base^3, ..., base^(2^w - 1); w grows with the exponent size.
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  if (exp < 0n) throw new RangeError('modPow: negative exponent');
  let b = base % m;
  if (b < 0n) b += m;
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  const n = bits.length;
  const w = n > 1536 ? 7 : n > 640 ? 6 : n > 240 ? 5 : n > 80 ? 4 : n > 24 ? 3 : 1;
  // odd[i] = b^(2i+1)
  const odd: bigint[] = [b];
  if (w > 1) {
    const b2 = (b * b) % m;
    for (let i = 1; i < 1 << (w - 1); i++) odd.push((odd[i - 1]! * b2) % m);
  }
  let acc = 1n;
  let started = false;
  let i = 0;
  while (i < n) {
    if (bits[i] === '0') {
      if (started) acc = (acc * acc) % m;
      i++;
      continue;
    }
    // The longest window bits[i..j] of at most w bits that ends in a 1.
    let j = Math.min(i + w, n) - 1;
    while (bits[j] === '0') j--;
    const value = parseInt(bits.slice(i, j + 1), 2);
    if (started) for (let k = i; k <= j; k++) acc = (acc * acc) % m;
    acc = started ? (acc * odd[value >> 1]!) % m : odd[value >> 1]!;
    started = true;
    i = j + 1;
  }
  return acc;
}

// ---------------------------------------------------------------- encodings

/** RFC 8017 §9.2 note 1: DER DigestInfo prefixes. */
const DIGEST_INFO: Record<HashAlgorithm, string> = {
  sha1: '3021300906052b0e03021a05000414',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2). */
function pkcs1Encode(hash: HashAlgorithm, message: Uint8Array, emLen: number): Uint8Array {
  const prefix = hexBytes(DIGEST_INFO[hash]);
  const h = digest(hash, message);
  const tLen = prefix.length + h.length;
  if (emLen < tLen + 11) throw new RangeError('RSA key too short for PKCS#1 v1.5 with this hash');
  const em = new Uint8Array(emLen);
  em[1] = 0x01;
  em.fill(0xff, 2, emLen - tLen - 1);
  em.set(prefix, emLen - tLen);
  em.set(h, emLen - h.length);
  return em;
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(hash: HashAlgorithm, seed: Uint8Array, length: number): Uint8Array {
  const hLen = hashLength[hash];
  const out = new Uint8Array(Math.ceil(length / hLen) * hLen);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0, off = 0; off < length; counter++, off += hLen) {
    input[seed.length] = counter >>> 24;
    input[seed.length + 1] = (counter >>> 16) & 0xff;
    input[seed.length + 2] = (counter >>> 8) & 0xff;
    input[seed.length + 3] = counter & 0xff;
    out.set(digest(hash, input), off);
  }
  return out.subarray(0, length);
}

/** H(0x00*8 || mHash || salt) */
function pssHash(hash: HashAlgorithm, mHash: Uint8Array, salt: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + mHash.length + salt.length);
  m.set(mHash, 8);
  m.set(salt, 8 + mHash.length);
  return digest(hash, m);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1). The salt is drawn only after the length checks. */
function pssEncode(
  hash: HashAlgorithm,
  message: Uint8Array,
  emBits: number,
  saltLength: number,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array {
  const hLen = hashLength[hash];
  const emLen = Math.ceil(emBits / 8);
  const mHash = digest(hash, message);
  if (!Number.isInteger(saltLength) || saltLength < 0) throw new RangeError('RSA-PSS: bad salt length');
  if (emLen < hLen + saltLength + 2) throw new RangeError('RSA key too short for RSA-PSS with this hash and salt');
  const salt = saltLength > 0 ? randomBytes(saltLength) : new Uint8Array(0);
  if (salt.length !== saltLength) throw new Error('RSA-PSS: random source returned the wrong length');
  const h = pssHash(hash, mHash, salt);
  const dbLen = emLen - hLen - 1;
  const db = mgf1(hash, h, dbLen); // maskedDB = DB xor dbMask, DB = PS || 0x01 || salt
  db[dbLen - saltLength - 1] ^= 0x01;
  for (let i = 0; i < saltLength; i++) db[dbLen - saltLength + i] ^= salt[i]!;
  db[0] &= 0xff >>> (8 * emLen - emBits);
  const em = new Uint8Array(emLen);
  em.set(db);
  em.set(h, dbLen);
  em[emLen - 1] = 0xbc;
  return em;
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with a required salt length. */
function pssVerify(hash: HashAlgorithm, message: Uint8Array, em: Uint8Array, emBits: number, saltLength: number): boolean {
  const hLen = hashLength[hash];
  const emLen = em.length;
  if (!Number.isInteger(saltLength) || saltLength < 0) return false;
  if (emLen < hLen + saltLength + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const h = em.subarray(dbLen, dbLen + hLen);
  const topMask = (0xff << (8 - (8 * emLen - emBits))) & 0xff;
  if ((em[0]! & topMask) !== 0) return false;
  const db = mgf1(hash, h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] ^= em[i]!;
  db[0] &= 0xff >>> (8 * emLen - emBits);
  let bad = 0;
  for (let i = 0; i < dbLen - saltLength - 1; i++) bad |= db[i]!;
  bad |= db[dbLen - saltLength - 1]! ^ 0x01;
  if (bad !== 0) return false;
  const salt = db.subarray(dbLen - saltLength);
  return constantTimeEqual(pssHash(hash, digest(hash, message), salt), h);
}

// ---------------------------------------------------------------- public key bounds

/**
 * Largest modulus accepted for verification, in bits. Go's crypto/tls limit
 * (tlsmaxrsasize): modPow costs grow with the cube of the size, so a peer's
 * 16384-bit key would cost ~8x an 8192-bit one per signature.
 */
export const RSA_MAX_MODULUS_BITS = 8192;
/**
 * Smallest modulus accepted for verification, in bits: below 1024 the key is
 * factorable (Go's crypto/rsa refuses these too, rsa1024min). Signing with our
 * own keys is not limited.
 */
export const RSA_MIN_MODULUS_BITS = 1024;
/** e < 2^32 (Go's limit): the exponent sets the number of modPow squarings. */
export const RSA_MAX_EXPONENT_BITS = 32;

const MAX_MODULUS = 1n << BigInt(RSA_MAX_MODULUS_BITS);
const MAX_EXPONENT = 1n << BigInt(RSA_MAX_EXPONENT_BITS);

/**
 * Why `key` is not an acceptable RSA public key, or undefined when it is:
 * bitLength(n) in [minBits, 8192] (counted from the value, so leading zeros do
 * not count) and e odd with 3 <= e < 2^32 (RFC 8017 §3.1: e is odd, >= 3).
 * Comparisons only: it does no arithmetic on n.
 */
export function rsaPublicKeyProblem(
  key: { readonly n: bigint; readonly e: bigint },
  minBits: number = RSA_MIN_MODULUS_BITS,
): string | undefined {
  const { n, e } = key;
  if (typeof n !== 'bigint' || typeof e !== 'bigint') return 'modulus and exponent must be integers';
  if (n >= MAX_MODULUS) return `modulus has ${bitLength(n)} bits, more than ${RSA_MAX_MODULUS_BITS}`;
  if (n <= 0n || bitLength(n) < minBits) return `modulus has ${bitLength(n > 0n ? n : 0n)} bits, fewer than ${minBits}`;
  if (e < 3n || e >= MAX_EXPONENT || (e & 1n) === 0n) return 'exponent must be odd, at least 3 and below 2^32';
  return undefined;
}

/**
 * Refuses a key outside the bounds above, before any arithmetic with it.
 * @throws RangeError when rsaPublicKeyProblem finds a problem.
 */
function checkPublicKey(key: RsaPublicKey): void {
  const problem = rsaPublicKeyProblem(key);
  if (problem !== undefined) throw new RangeError(`RSA public key refused: ${problem}`);
}

// ---------------------------------------------------------------- primitives

/** The modulus length in bytes (k in RFC 8017). */
export function rsaModulusLength(key: { readonly n: bigint }): number {
  return byteLength(key.n);
}

/** RSAVP1: s^e mod n, undefined when s is out of range. */
function rsavp1(key: { readonly n: bigint; readonly e: bigint }, s: bigint): bigint | undefined {
  if (s <= 0n || s >= key.n) return undefined;
  return modPow(s, key.e, key.n);
}

/**
 * A blinding factor r in [2, n) with gcd(r, n) = 1, from HMAC-SHA256 keyed with
 * d over (counter || message), expanded to |n| + 16 bytes and reduced mod n.
 */
function blindingFactor(key: RsaPrivateKey, em: Uint8Array): { r: bigint; rInv: bigint } {
  const k = rsaModulusLength(key);
  const dBytes = bigIntToBytes(key.d, k);
  const want = k + 16;
  const input = new Uint8Array(8 + em.length);
  input.set(em, 8);
  for (let attempt = 0; attempt < 64; attempt++) {
    input[0] = attempt;
    const stream = new Uint8Array(Math.ceil(want / 32) * 32);
    for (let block = 0, off = 0; off < want; block++, off += 32) {
      input[4] = block >>> 24;
      input[5] = (block >>> 16) & 0xff;
      input[6] = (block >>> 8) & 0xff;
      input[7] = block & 0xff;
      stream.set(hmac('sha256', dBytes, input), off);
    }
    const r = bytesToBigInt(stream.subarray(0, want)) % key.n;
    stream.fill(0);
    if (r < 2n) continue;
    const rInv = modInverse(r, key.n);
    if (rInv !== undefined) {
      dBytes.fill(0);
      return { r, rInv };
    }
  }
  throw new Error('RSA: could not derive a blinding factor (is the key valid?)');
}

/** RSASP1 with CRT, blinding and a fault check; `em` is the encoded message (k or k-1 bytes). */
function rsasp1(key: RsaPrivateKey, em: Uint8Array): Uint8Array {
  const { n, e, p, q, dp, dq, qi } = key;
  const k = rsaModulusLength(key);
  const m = bytesToBigInt(em);
  if (m >= n) throw new RangeError('RSA: message representative out of range');
  const { r, rInv } = blindingFactor(key, em);
  const c = (m * modPow(r, e, n)) % n;
  const m1 = modPow(c % p, dp, p);
  const m2 = modPow(c % q, dq, q);
  let h = ((m1 - m2) * qi) % p;
  if (h < 0n) h += p;
  const sBlind = m2 + h * q;
  const s = (sBlind * rInv) % n;
  if (modPow(s, e, n) !== m) throw new Error('RSA: signature self-check failed (fault or inconsistent key)');
  return bigIntToBytes(s, k);
}

// ---------------------------------------------------------------- schemes

export function rsaPkcs1Sign(key: RsaPrivateKey, hash: HashAlgorithm, message: Uint8Array): Uint8Array {
  return rsasp1(key, pkcs1Encode(hash, message, rsaModulusLength(key)));
}

/**
 * RSASSA-PKCS1-v1_5-VERIFY (RFC 8017 §8.2.2): false for a signature that does not verify.
 * @throws RangeError for a key outside the bounds of rsaPublicKeyProblem (checked first).
 */
export function rsaPkcs1Verify(key: RsaPublicKey, hash: HashAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
  checkPublicKey(key);
  const k = rsaModulusLength(key);
  if (signature.length !== k) return false;
  const m = rsavp1(key, bytesToBigInt(signature));
  if (m === undefined) return false;
  let expected: Uint8Array;
  try {
    expected = pkcs1Encode(hash, message, k);
  } catch {
    return false; // key too short for this hash
  }
  return constantTimeEqual(bigIntToBytes(m, k), expected);
}

export function rsaPssSign(
  key: RsaPrivateKey,
  hash: HashAlgorithm,
  saltLength: number,
  message: Uint8Array,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array {
  const emBits = bitLength(key.n) - 1;
  return rsasp1(key, pssEncode(hash, message, emBits, saltLength, randomBytes));
}

/**
 * RSASSA-PSS-VERIFY (RFC 8017 §8.1.2) with a required salt length: false for a signature that does not verify.
 * @throws RangeError for a key outside the bounds of rsaPublicKeyProblem (checked first).
 */
export function rsaPssVerify(
  key: RsaPublicKey,
  hash: HashAlgorithm,
  saltLength: number,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  checkPublicKey(key);
  const k = rsaModulusLength(key);
  if (signature.length !== k) return false;
  const m = rsavp1(key, bytesToBigInt(signature));
  if (m === undefined) return false;
  const emBits = bitLength(key.n) - 1;
  const emLen = Math.ceil(emBits / 8);
  if (bitLength(m) > emBits) return false;
  return pssVerify(hash, message, bigIntToBytes(m, emLen), emBits, saltLength);
}
