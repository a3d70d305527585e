/** Signatures for the node:crypto provider: RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519. */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  ECDH,
  privateDecrypt,
  sign as nodeSign,
  verify as nodeVerify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import {
  hashLength,
  verifyOrFalse,
  type HashAlgorithm,
  type PrivateKey,
  type PublicKey,
  type SignatureAlgorithm,
} from '../provider.js';
import type { RandomBytes } from '../random-source.js';
import { bigIntToBytes, bitLength, byteLength, bytesToBigInt, rsaPublicKeyProblem } from '../rsa.js';
import { curveOf, type CurveInfo } from './curves.js';
import { digest } from './hash-aead.js';
import { b64u, b64uInt, checkHash, isHash, leftPad, plain } from './util.js';

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

export function sign(key: PrivateKey, algorithm: SignatureAlgorithm, message: Uint8Array, randomBytes: RandomBytes): Uint8Array {
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
export function verify(key: PublicKey, algorithm: SignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyOrFalse(verifyUnchecked, key, algorithm, message, signature);
}
