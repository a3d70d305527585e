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
 * This is the only module of src/ besides src/node/ that imports node:crypto.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createDiffieHellman,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  ECDH,
  privateDecrypt,
  randomFillSync,
  sign as nodeSign,
  verify as nodeVerify,
  type Hash,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { NamedGroup } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { FFDHE_EXPONENT_BITS, FFDHE_GENERATOR, ffdheGroupName, ffdhePrime, type FfdheGroupName } from './ffdhe.js';
import {
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  aeadKeyLength,
  hashLength,
  type Aead,
  type AeadAlgorithm,
  type CryptoProvider,
  type EcCurve,
  type HashAlgorithm,
  type HashContext,
  type KeyExchange,
  type PrivateKey,
  type PublicKey,
  type SignatureAlgorithm,
} from './provider.js';
import { bigIntToBytes, bitLength, byteLength, bytesToBigInt, rsaPublicKeyProblem } from './rsa.js';

export interface NodeCryptoProviderOptions {
  /** Source of random bytes; default: node:crypto's randomFillSync (the OpenSSL CSPRNG). */
  readonly random?: (n: number) => Uint8Array;
  /** Milliseconds since the epoch; default: Date.now. */
  readonly clock?: () => number;
}

type RandomBytes = (n: number) => Uint8Array;

// ---------------------------------------------------------------- helpers

/** A plain Uint8Array over a Buffer's bytes (no copy), so `.slice()` copies as on any Uint8Array. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

function unb64u(s: string | undefined): Uint8Array {
  if (s === undefined) throw new Error('node:crypto: JWK member missing');
  return plain(Buffer.from(s, 'base64url'));
}

/** A positive integer as a JWK base64url value (big-endian, no leading zeros). */
function b64uInt(x: bigint): string {
  let hex = x.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex').toString('base64url');
}

function isHash(h: unknown): h is HashAlgorithm {
  return typeof h === 'string' && Object.prototype.hasOwnProperty.call(hashLength, h);
}

function checkHash(h: unknown): HashAlgorithm {
  if (!isHash(h)) throw new TypeError(`unsupported hash algorithm: ${String(h)}`);
  return h;
}

/** Our own copy of `n` random bytes (the caller's buffer may be a view we must not keep). */
function draw(randomBytes: RandomBytes, n: number): Uint8Array {
  const r = randomBytes(n);
  if (r.length !== n) throw new Error(`random source returned ${r.length} bytes, asked for ${n}`);
  return new Uint8Array(r);
}

/** The system CSPRNG through node:crypto. */
export function nodeRandom(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

// ---------------------------------------------------------------- hashes, HMAC, HKDF

class NodeHashContext implements HashContext {
  constructor(
    readonly algorithm: HashAlgorithm,
    private readonly state: Hash,
  ) {}

  update(data: Uint8Array): void {
    this.state.update(data);
  }

  /** Finishes a copy, so this context can take more data afterwards. */
  digest(): Uint8Array {
    return plain(this.state.copy().digest());
  }

  clone(): HashContext {
    return new NodeHashContext(this.algorithm, this.state.copy());
  }
}

function hash(algorithm: HashAlgorithm): HashContext {
  return new NodeHashContext(checkHash(algorithm), createHash(algorithm));
}

function digest(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  return plain(createHash(algorithm).update(data).digest());
}

function hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac(checkHash(algorithm), key).update(data).digest());
}

/** RFC 5869 §2.2. An empty salt is the same as HashLen zeros (HMAC zero-pads keys). */
function hkdfExtract(algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(algorithm, salt, ikm);
}

/** RFC 5869 §2.3; length at most 255 * HashLen. */
function hkdfExpand(algorithm: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hLen = hashLength[checkHash(algorithm)];
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hLen) {
    throw new Error(`HKDF-Expand: length must be 0..${255 * hLen}, got ${length}`);
  }
  const out = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let t: Buffer | undefined;
  for (let i = 1, off = 0; off < length; i++, off += hLen) {
    const h = createHmac(algorithm, prk);
    if (t !== undefined) h.update(t);
    h.update(info);
    counter[0] = i;
    t = h.update(counter).digest();
    out.set(t.subarray(0, Math.min(hLen, length - off)), off);
  }
  return out;
}

// ---------------------------------------------------------------- AEADs

type NodeAeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

const AEAD_NAME: Record<AeadAlgorithm, NodeAeadName> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};

/**
 * An AEAD bound to one key. node:crypto has no reusable GCM / ChaCha20-Poly1305
 * context, so each record makes a cipher from the KeyObject made once here
 * (a KeyObject is as fast as a raw key per call, and keeps the key out of the
 * JS heap after construction).
 */
class NodeAead implements Aead {
  private readonly name: NodeAeadName;
  private readonly key: KeyObject;

  constructor(
    readonly algorithm: AeadAlgorithm,
    key: Uint8Array,
  ) {
    this.name = AEAD_NAME[algorithm];
    this.key = createSecretKey(key);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    if (nonce.length !== AEAD_NONCE_LENGTH) throw new TypeError(`${this.algorithm}: nonce must be 12 bytes`);
    const c = createCipheriv(this.name as 'aes-128-gcm', this.key, nonce, { authTagLength: AEAD_TAG_LENGTH });
    c.setAAD(aad);
    const body = c.update(plaintext);
    const rest = c.final(); // empty for these stream modes
    const n = body.length + rest.length;
    const out = new Uint8Array(n + AEAD_TAG_LENGTH);
    out.set(body);
    if (rest.length > 0) out.set(rest, body.length);
    out.set(c.getAuthTag(), n);
    return out;
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LENGTH || ciphertextAndTag.length < AEAD_TAG_LENGTH) return null;
    const n = ciphertextAndTag.length - AEAD_TAG_LENGTH;
    let body: Buffer | undefined;
    try {
      const d = createDecipheriv(this.name as 'aes-128-gcm', this.key, nonce, { authTagLength: AEAD_TAG_LENGTH });
      d.setAAD(aad);
      d.setAuthTag(ciphertextAndTag.subarray(n));
      body = d.update(ciphertextAndTag.subarray(0, n));
      const rest = d.final(); // throws on a bad tag
      if (rest.length === 0) return plain(body);
      const out = new Uint8Array(body.length + rest.length);
      out.set(body);
      out.set(rest, body.length);
      return out;
    } catch {
      body?.fill(0); // never release unauthenticated plaintext
      return null;
    }
  }
}

function aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  const want = Object.prototype.hasOwnProperty.call(aeadKeyLength, algorithm) ? aeadKeyLength[algorithm] : undefined;
  if (want === undefined) throw new TypeError(`unsupported AEAD: ${String(algorithm)}`);
  if (key.length !== want) throw new TypeError(`${algorithm}: key must be ${want} bytes, got ${key.length}`);
  return new NodeAead(algorithm, key);
}

// ---------------------------------------------------------------- key exchange

const MONTGOMERY: ReadonlyMap<number, { name: string; crv: 'X25519' | 'X448'; length: number }> = new Map([
  [NamedGroup.x25519, { name: 'x25519', crv: 'X25519', length: 32 }],
  [NamedGroup.x448, { name: 'x448', crv: 'X448', length: 56 }],
]);

interface CurveInfo {
  readonly name: string;
  /** OpenSSL's curve name (createECDH). */
  readonly ossl: string;
  readonly jwk: EcCurve;
  /** Field element / scalar size in bytes. */
  readonly size: number;
  /** Bit length of the group order. */
  readonly orderBits: number;
  readonly order: bigint;
}

const P256: CurveInfo = {
  name: 'secp256r1',
  ossl: 'prime256v1',
  jwk: 'P-256',
  size: 32,
  orderBits: 256,
  order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
};
const P384: CurveInfo = {
  name: 'secp384r1',
  ossl: 'secp384r1',
  jwk: 'P-384',
  size: 48,
  orderBits: 384,
  order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};
const P521: CurveInfo = {
  name: 'secp521r1',
  ossl: 'secp521r1',
  jwk: 'P-521',
  size: 66,
  orderBits: 521,
  order:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

const WEIERSTRASS: ReadonlyMap<number, CurveInfo> = new Map([
  [NamedGroup.secp256r1, P256],
  [NamedGroup.secp384r1, P384],
  [NamedGroup.secp521r1, P521],
]);

const CURVES: Record<EcCurve, CurveInfo> = { 'P-256': P256, 'P-384': P384, 'P-521': P521 };

function curveOf(name: unknown): CurveInfo | undefined {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CURVES, name) ? CURVES[name as EcCurve] : undefined;
}

const FFDHE: readonly number[] = [
  NamedGroup.ffdhe2048,
  NamedGroup.ffdhe3072,
  NamedGroup.ffdhe4096,
  NamedGroup.ffdhe6144,
  NamedGroup.ffdhe8192,
];

/** Every group keyExchange() can do: the same as nobleProvider's. */
const GROUPS: readonly number[] = Object.freeze([...MONTGOMERY.keys(), ...WEIERSTRASS.keys(), ...FFDHE]);

/**
 * X25519 / X448 (RFC 7748) on KeyObjects. The private key is `length` random
 * bytes from randomBytes (clamped by OpenSSL as by noble), imported as a JWK:
 * OpenSSL derives the public key from `d` (the JWK's `x` is not used for a
 * private key, but node requires the member), which is far cheaper than a
 * PKCS#8 import. A peer share of the wrong length, one OpenSSL refuses, or
 * one giving the all-zero output (OpenSSL refuses that itself) is
 * illegal_parameter (RFC 8446 §7.4.2), as with noble.
 */
function montgomeryExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  const { name, crv, length } = MONTGOMERY.get(group)!;
  const secret = draw(randomBytes, length);
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv, d: b64u(secret), x: b64u(new Uint8Array(length)) },
    format: 'jwk',
  });
  secret.fill(0);
  const publicKey = unb64u(createPublicKey(privateKey).export({ format: 'jwk' }).x);
  return {
    group,
    publicKey,
    complete(peerPublicKey: Uint8Array): Uint8Array {
      if (peerPublicKey.length !== length) {
        throw TlsError.illegal(`${name} key share must be ${length} bytes, got ${peerPublicKey.length}`);
      }
      let shared: Uint8Array;
      try {
        const peer = createPublicKey({ key: { kty: 'OKP', crv, x: b64u(peerPublicKey) }, format: 'jwk' });
        shared = plain(diffieHellman({ privateKey, publicKey: peer }));
      } catch {
        throw TlsError.illegal(`${name} key share is a low-order point`);
      }
      let acc = 0;
      for (let i = 0; i < shared.length; i++) acc |= shared[i]!;
      if (acc === 0 || shared.length !== length) throw TlsError.illegal(`${name} shared secret is all zeros`);
      return shared;
    },
  };
}

/**
 * ECDHE on a P-curve with node's ECDH. The private scalar is drawn exactly as
 * noble's provider draws it (size bytes, the bits above the order's bit length
 * cleared, retried while 0 or >= n), so the same random stream gives the same
 * key. The share is SEC1 uncompressed; the peer's must be too and on the curve
 * (OpenSSL's point decoding checks that, and coordinates < p), else
 * illegal_parameter. The shared secret is the x coordinate, field-size bytes.
 */
function weierstrassExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  const { name, ossl, size, orderBits, order } = WEIERSTRASS.get(group)!;
  const excessBits = size * 8 - orderBits;
  let secret: Uint8Array | undefined;
  for (let attempt = 0; attempt < 128 && secret === undefined; attempt++) {
    const r = draw(randomBytes, size);
    r[0] &= 0xff >>> excessBits;
    const d = bytesToBigInt(r);
    if (d !== 0n && d < order) secret = r;
    else r.fill(0);
  }
  if (secret === undefined) throw TlsError.internal(`${name}: random source gave no valid scalar in 128 tries`);
  const ecdh = createECDH(ossl);
  ecdh.setPrivateKey(secret);
  secret.fill(0);
  const publicKey = plain(ecdh.getPublicKey(null, 'uncompressed'));
  const shareLength = 1 + 2 * size;
  return {
    group,
    publicKey,
    complete(peerPublicKey: Uint8Array): Uint8Array {
      if (peerPublicKey.length !== shareLength || peerPublicKey[0] !== 0x04) {
        throw TlsError.illegal(`${name} key share must be an uncompressed point of ${shareLength} bytes`);
      }
      let shared: Buffer;
      try {
        shared = ecdh.computeSecret(peerPublicKey);
      } catch {
        throw TlsError.illegal(`${name} key share is not a point on the curve`);
      }
      if (shared.length === size) return plain(shared);
      const out = new Uint8Array(size); // left-pad, should OpenSSL ever strip leading zeros
      out.set(shared, size - shared.length);
      return out;
    },
  };
}

interface FfdheParams {
  readonly prime: Buffer;
  readonly pMinus1: bigint;
  readonly pLen: number;
}

const ffdheParams = new Map<FfdheGroupName, FfdheParams>();

function ffdheParamsOf(name: FfdheGroupName): FfdheParams {
  let params = ffdheParams.get(name);
  if (params === undefined) {
    const p = ffdhePrime(name);
    const pLen = byteLength(p);
    params = { prime: Buffer.from(bigIntToBytes(p, pLen)), pMinus1: p - 1n, pLen };
    ffdheParams.set(name, params);
  }
  return params;
}

function leftPad(b: Buffer, length: number): Uint8Array {
  if (b.length === length) return plain(b);
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}

const GENERATOR = Buffer.from(bigIntToBytes(FFDHE_GENERATOR, 1));

/**
 * RFC 7919 finite-field DH with node's DiffieHellman on ffdhe.ts's primes. The
 * exponent is drawn as noble's provider draws it (EXPONENT_BITS/8 random
 * bytes, redrawn while < 2), so the same random stream gives the same share.
 * The peer's share must be pLen bytes with 1 < Y < p-1 (checked here, as
 * ffdhe.ts does), else illegal_parameter; the secret keeps its leading zeros.
 */
function ffdheExchange(group: number, name: FfdheGroupName, randomBytes: RandomBytes): KeyExchange {
  const { prime, pMinus1, pLen } = ffdheParamsOf(name);
  const xLen = FFDHE_EXPONENT_BITS[name] / 8;
  let x: Uint8Array | undefined;
  while (x === undefined) {
    const r = draw(randomBytes, xLen);
    if (bytesToBigInt(r) >= 2n) x = r;
    else r.fill(0);
  }
  const dh = createDiffieHellman(prime, GENERATOR);
  dh.setPrivateKey(x);
  x.fill(0);
  const publicKey = leftPad(dh.generateKeys(), pLen);
  return {
    group,
    publicKey,
    complete(peerPublicKey: Uint8Array): Uint8Array {
      if (peerPublicKey.length !== pLen) {
        throw TlsError.illegal(`${name} key share must be ${pLen} bytes, got ${peerPublicKey.length}`);
      }
      const y = bytesToBigInt(peerPublicKey);
      if (y <= 1n || y >= pMinus1) throw TlsError.illegal(`${name} key share out of range (need 1 < Y < p-1)`);
      let shared: Buffer;
      try {
        shared = dh.computeSecret(peerPublicKey);
      } catch {
        throw TlsError.illegal(`${name} key share refused`);
      }
      return leftPad(shared, pLen);
    },
  };
}

function keyExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  if (MONTGOMERY.has(group)) return montgomeryExchange(group, randomBytes);
  if (WEIERSTRASS.has(group)) return weierstrassExchange(group, randomBytes);
  const ff = ffdheGroupName(group);
  if (ff !== undefined) return ffdheExchange(group, ff, randomBytes);
  throw TlsError.handshakeFailure(`unsupported key exchange group 0x${group.toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------- signatures

/** A KeyObject per PrivateKey / PublicKey object, made on first use. */
const privateKeys = new WeakMap<PrivateKey, KeyObject>();
const publicKeys = new WeakMap<PublicKey, KeyObject>();

/** An EC point as JWK x / y (decompressing a compressed point; throws for an invalid one). */
function ecXY(curve: CurveInfo, point: Uint8Array): { x: string; y: string } {
  let p = point;
  if (p[0] !== 0x04) p = plain(ECDH.convertKey(point, curve.ossl, undefined, undefined, 'uncompressed') as Buffer);
  if (p.length !== 1 + 2 * curve.size || p[0] !== 0x04) throw new Error(`${curve.jwk}: bad point encoding`);
  return { x: b64u(p.subarray(1, 1 + curve.size)), y: b64u(p.subarray(1 + curve.size)) };
}

function privateKeyObject(key: PrivateKey): KeyObject {
  const cached = privateKeys.get(key);
  if (cached !== undefined) return cached;
  let jwk: JsonWebKey;
  switch (key.type) {
    case 'rsa':
      jwk = {
        kty: 'RSA',
        n: b64uInt(key.n),
        e: b64uInt(key.e),
        d: b64uInt(key.d),
        p: b64uInt(key.p),
        q: b64uInt(key.q),
        dp: b64uInt(key.dp),
        dq: b64uInt(key.dq),
        qi: b64uInt(key.qi),
      };
      break;
    case 'ec': {
      const curve = curveOf(key.curve);
      if (!curve) throw new TypeError(`unsupported curve: ${String(key.curve)}`);
      // Accept a private scalar given with or without leading zeros (as signature.ts does).
      const d = key.d.length === curve.size ? key.d : bigIntToBytes(bytesToBigInt(key.d), curve.size);
      jwk = { kty: 'EC', crv: curve.jwk, ...ecXY(curve, key.point), d: b64u(d) };
      break;
    }
    case 'ed25519':
      jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(key.key), d: b64u(key.seed) };
      break;
    default:
      throw new TypeError(`unsupported key type: ${String((key as { type: unknown }).type)}`);
  }
  const ko = createPrivateKey({ key: jwk, format: 'jwk' });
  privateKeys.set(key, ko);
  return ko;
}

function publicKeyObject(key: PublicKey): KeyObject {
  const cached = publicKeys.get(key);
  if (cached !== undefined) return cached;
  let jwk: JsonWebKey;
  switch (key.type) {
    case 'rsa':
      jwk = { kty: 'RSA', n: b64uInt(key.n), e: b64uInt(key.e) };
      break;
    case 'ec': {
      const curve = curveOf(key.curve);
      if (!curve) throw new TypeError(`unsupported curve: ${String(key.curve)}`);
      jwk = { kty: 'EC', crv: curve.jwk, ...ecXY(curve, key.point) };
      break;
    }
    case 'ed25519':
      jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(key.key) };
      break;
    default:
      throw new TypeError(`unsupported key type: ${String((key as { type: unknown }).type)}`);
  }
  const ko = createPublicKey({ key: jwk, format: 'jwk' });
  publicKeys.set(key, ko);
  return ko;
}

function mismatch(key: { type: string }, alg: { type: string }): TypeError {
  return new TypeError(`cannot sign ${alg.type} with a ${key.type} key`);
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(hashAlg: HashAlgorithm, seed: Uint8Array, length: number): Uint8Array {
  const hLen = hashLength[hashAlg];
  const out = new Uint8Array(Math.ceil(length / hLen) * hLen);
  const c = new Uint8Array(4);
  for (let counter = 0, off = 0; off < length; counter++, off += hLen) {
    c[0] = counter >>> 24;
    c[1] = (counter >>> 16) & 0xff;
    c[2] = (counter >>> 8) & 0xff;
    c[3] = counter & 0xff;
    out.set(createHash(hashAlg).update(seed).update(c).digest(), off);
  }
  return out.subarray(0, length);
}

/**
 * RSASSA-PSS sign with the salt drawn from randomBytes (the interface's
 * contract, and what makes the same random stream give noble's signature):
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) here, then OpenSSL's raw private
 * operation (RSA_NO_PADDING: blinded CRT with its result checked against the
 * public exponent, as rsa.ts does).
 */
function rsaPssSign(
  key: Extract<PrivateKey, { type: 'rsa' }>,
  hashAlg: HashAlgorithm,
  saltLength: number,
  message: Uint8Array,
  randomBytes: RandomBytes,
): Uint8Array {
  const hLen = hashLength[hashAlg];
  const k = byteLength(key.n);
  const emBits = bitLength(key.n) - 1;
  const emLen = Math.ceil(emBits / 8);
  const mHash = digest(hashAlg, message);
  if (!Number.isInteger(saltLength) || saltLength < 0) throw new RangeError('RSA-PSS: bad salt length');
  if (emLen < hLen + saltLength + 2) throw new RangeError('RSA key too short for RSA-PSS with this hash and salt');
  const salt = saltLength > 0 ? randomBytes(saltLength) : new Uint8Array(0);
  if (salt.length !== saltLength) throw new Error('RSA-PSS: random source returned the wrong length');
  const h = plain(createHash(hashAlg).update(new Uint8Array(8)).update(mHash).update(salt).digest());
  const dbLen = emLen - hLen - 1;
  const db = mgf1(hashAlg, h, dbLen); // maskedDB = DB xor dbMask, DB = PS || 0x01 || salt
  db[dbLen - saltLength - 1] ^= 0x01;
  for (let i = 0; i < saltLength; i++) db[dbLen - saltLength + i] ^= salt[i]!;
  db[0] &= 0xff >>> (8 * emLen - emBits);
  const em = new Uint8Array(k); // EM left-padded to k bytes (emLen is k or k-1)
  em.set(db, k - emLen);
  em.set(h, k - emLen + dbLen);
  em[k - 1] = 0xbc;
  const s = privateDecrypt({ key: privateKeyObject(key), padding: constants.RSA_NO_PADDING }, em);
  return leftPad(s, k);
}

function sign(key: PrivateKey, algorithm: SignatureAlgorithm, message: Uint8Array, randomBytes: RandomBytes): Uint8Array {
  switch (algorithm.type) {
    case 'rsa-pkcs1': {
      if (key.type !== 'rsa') throw mismatch(key, algorithm);
      const h = checkHash(algorithm.hash);
      const ko = privateKeyObject(key);
      return plain(nodeSign(h, message, { key: ko, padding: constants.RSA_PKCS1_PADDING }));
    }
    case 'rsa-pss': {
      if (key.type !== 'rsa') throw mismatch(key, algorithm);
      return rsaPssSign(key, checkHash(algorithm.hash), algorithm.saltLength, message, randomBytes);
    }
    case 'ecdsa': {
      if (key.type !== 'ec') throw mismatch(key, algorithm);
      const h = checkHash(algorithm.hash);
      return plain(nodeSign(h, message, { key: privateKeyObject(key), dsaEncoding: 'der' }));
    }
    case 'ed25519': {
      if (key.type !== 'ed25519') throw mismatch(key, algorithm);
      return plain(nodeSign(null, message, privateKeyObject(key)));
    }
    default:
      throw new TypeError(`unsupported signature algorithm: ${String((algorithm as { type: unknown }).type)}`);
  }
}

/**
 * The same gate as signature.ts / rsa.ts before any OpenSSL call: RSA keys
 * within rsaPublicKeyProblem's bounds and signatures of exactly k bytes, a
 * known hash and curve, Ed25519 keys of 32 and signatures of 64 bytes.
 */
function verifyUnchecked(key: PublicKey, algorithm: SignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
  switch (algorithm.type) {
    case 'rsa-pkcs1':
    case 'rsa-pss': {
      if (key.type !== 'rsa' || !isHash(algorithm.hash)) return false;
      if (rsaPublicKeyProblem(key) !== undefined) return false;
      if (signature.length !== byteLength(key.n)) return false;
      const ko = publicKeyObject(key);
      if (algorithm.type === 'rsa-pkcs1') {
        return nodeVerify(algorithm.hash, message, { key: ko, padding: constants.RSA_PKCS1_PADDING }, signature);
      }
      const saltLength = algorithm.saltLength;
      if (!Number.isSafeInteger(saltLength) || saltLength < 0) return false;
      return nodeVerify(
        algorithm.hash,
        message,
        { key: ko, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        signature,
      );
    }
    case 'ecdsa': {
      if (key.type !== 'ec' || !isHash(algorithm.hash) || !curveOf(key.curve)) return false;
      return nodeVerify(algorithm.hash, message, { key: publicKeyObject(key), dsaEncoding: 'der' }, signature);
    }
    case 'ed25519':
      if (key.type !== 'ed25519' || signature.length !== 64 || key.key.length !== 32) return false;
      return nodeVerify(null, message, publicKeyObject(key), signature);
    default:
      return false;
  }
}

/** Verify; false for any mismatch or malformed input, never throws. */
function verify(key: PublicKey, algorithm: SignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifyUnchecked(key, algorithm, message, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- the provider

/**
 * A CryptoProvider on node:crypto. Opt in with
 * `new TlsContext({ provider: nodeCryptoProvider() })` (or the Node adapter's
 * `provider` option); the default stays the pure-@noble one.
 */
export function nodeCryptoProvider(options: NodeCryptoProviderOptions = {}): CryptoProvider {
  const source = options.random ?? nodeRandom;
  const clock = options.clock ?? Date.now;

  const randomBytes = (length: number): Uint8Array => {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`randomBytes: bad length ${length}`);
    const r = source(length);
    if (!(r instanceof Uint8Array) || r.length !== length) {
      throw new Error(`random source returned ${r instanceof Uint8Array ? r.length : typeof r} bytes, asked for ${length}`);
    }
    return r;
  };

  return Object.freeze({
    randomBytes,
    nowMs: () => clock(),
    hash,
    hmac,
    hkdfExtract,
    hkdfExpand,
    aead,
    groups: GROUPS,
    keyExchange: (group: number) => keyExchange(group, randomBytes),
    sign: (key, algorithm, message) => sign(key, algorithm, message, randomBytes),
    verify,
  } satisfies CryptoProvider);
}
