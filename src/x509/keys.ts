/**
 * Keys: PKCS#8, SEC1 and PKCS#1 private keys and SubjectPublicKeyInfo, read
 * into the CryptoProvider's PublicKey / PrivateKey shapes.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { bytesEqual } from '../common/bytes.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { EcCurve, PrivateKey, PublicKey } from '../crypto/provider.js';
import { RSA_MAX_EXPONENT_BITS, RSA_MAX_MODULUS_BITS, rsaPublicKeyProblem } from '../crypto/rsa.js';
import {
  type DerElement,
  DerReader,
  Tag,
  children,
  contextTag,
  decodeBitStringBytes,
  decodeNull,
  decodeOid,
  decodeSmallInt,
  decodeUnsigned,
  derBitString,
  derInteger,
  derNull,
  derOid,
  derSequence,
  parseDer,
  parseError,
} from './der.js';
import { OID, curveByOid, curveOid } from './oids.js';
import { isPem, pemDecode } from './pem.js';

const curves = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

/** Byte length of a scalar / coordinate on each curve. */
export const curveFieldBytes: Readonly<Record<EcCurve, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

function unsupported(detail: string): TlsError {
  return new TlsError('ERR_TLS_UNSUPPORTED_CERTIFICATE', AlertDescription.unsupported_certificate, detail);
}

interface AlgorithmId {
  readonly oid: string;
  /** The parameters element, when present. */
  readonly params: DerElement | undefined;
}

export function parseAlgorithmIdentifier(el: DerElement, what = 'AlgorithmIdentifier'): AlgorithmId {
  const r = children(el, what);
  const oid = decodeOid(r.next(Tag.OID, what), what);
  const params = r.done ? undefined : r.next(undefined, what);
  r.end(what);
  return { oid, params };
}

/** A SEC1 point, validated on the curve and returned uncompressed. */
function ecPoint(curve: EcCurve, bytes: Uint8Array): Uint8Array {
  const n = curveFieldBytes[curve];
  if (bytes.length !== 2 * n + 1 && bytes.length !== n + 1) throw parseError(`${curve} public key: bad length`);
  try {
    return curves[curve].Point.fromBytes(bytes).toBytes(false);
  } catch {
    throw parseError(`${curve} public key: not a valid point`);
  }
}

/** Bits of a big-endian magnitude, leading zero bytes ignored; no BigInt involved. */
function encodedBits(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

/**
 * RSAPublicKey (RFC 8017 §A.1.1), bounded as rsa.ts's verify bounds it
 * (modulus <= 8192 bits, odd 3 <= e < 2^32) so a peer's key is refused before
 * any arithmetic: the sizes are checked on the encoded bytes, before decoding
 * (INTEGER decoding costs grow with the square of the length). No 1024-bit
 * floor here: small keys still parse, for display; verification refuses them.
 * @throws TlsError ERR_X509_PARSE (bad_certificate) for a malformed or out-of-bounds key.
 */
function parseRsaPublicKey(der: Uint8Array): PublicKey {
  const r = new DerReader(parseDer(der, Tag.SEQUENCE, 'RSAPublicKey').value, 'RSAPublicKey');
  const nEl = r.next(Tag.INTEGER, 'RSA modulus');
  const eEl = r.next(Tag.INTEGER, 'RSA exponent');
  r.end();
  const nBits = encodedBits(nEl.value);
  if (nBits > RSA_MAX_MODULUS_BITS) {
    throw parseError(`RSAPublicKey: modulus has ${nBits} bits, more than ${RSA_MAX_MODULUS_BITS}`);
  }
  if (encodedBits(eEl.value) > RSA_MAX_EXPONENT_BITS) throw parseError('RSAPublicKey: exponent is 2^32 or more');
  const key = { n: decodeUnsigned(nEl, 'RSA modulus'), e: decodeUnsigned(eEl, 'RSA exponent') };
  const problem = rsaPublicKeyProblem(key, 1);
  if (problem !== undefined) throw parseError(`RSAPublicKey: ${problem}`);
  return { type: 'rsa', ...key };
}

/** The curve named by EC key parameters (namedCurve only). Undefined for curves we lack. */
function namedCurve(params: DerElement | undefined, what: string): EcCurve | undefined {
  if (!params) throw parseError(`${what}: missing EC parameters`);
  if (params.tag !== Tag.OID) return undefined; // specifiedCurve / implicitCurve
  return curveByOid[decodeOid(params, what)];
}

export interface DecodedPublicKeyInfo {
  /** Undefined when the algorithm (or curve) is one we do not support. */
  readonly publicKey: PublicKey | undefined;
  /** The algorithm OID (and curve OID for EC keys) for messages. */
  readonly algorithm: string;
}

/**
 * Decodes a SubjectPublicKeyInfo element. Malformed keys of a supported type
 * fail with ERR_X509_PARSE; unsupported types return `publicKey: undefined`.
 * @throws TlsError ERR_X509_PARSE for a malformed key or an RSA key out of bounds (see parseRsaPublicKey).
 */
export function decodePublicKeyInfo(el: DerElement): DecodedPublicKeyInfo {
  const r = children(el, 'SubjectPublicKeyInfo');
  const alg = parseAlgorithmIdentifier(r.next(Tag.SEQUENCE, 'SubjectPublicKeyInfo algorithm'));
  const key = decodeBitStringBytes(r.next(Tag.BIT_STRING, 'SubjectPublicKeyInfo key'), 'SubjectPublicKeyInfo key');
  r.end();
  switch (alg.oid) {
    case OID.rsaEncryption:
      if (alg.params) decodeNull(alg.params, 'rsaEncryption parameters');
      return { publicKey: parseRsaPublicKey(key), algorithm: alg.oid };
    case OID.rsassaPss:
      return { publicKey: parseRsaPublicKey(key), algorithm: alg.oid };
    case OID.ecPublicKey: {
      const curve = namedCurve(alg.params, 'SubjectPublicKeyInfo');
      if (!curve) return { publicKey: undefined, algorithm: `${alg.oid} (curve not supported)` };
      return { publicKey: { type: 'ec', curve, point: ecPoint(curve, key) }, algorithm: alg.oid };
    }
    case OID.ed25519:
      if (alg.params) throw parseError('Ed25519 key: unexpected parameters');
      if (key.length !== 32) throw parseError('Ed25519 key: bad length');
      return { publicKey: { type: 'ed25519', key: key.slice() }, algorithm: alg.oid };
    default:
      return { publicKey: undefined, algorithm: alg.oid };
  }
}

/**
 * Parses SubjectPublicKeyInfo DER.
 * @throws TlsError ERR_TLS_UNSUPPORTED_CERTIFICATE for an unsupported algorithm; ERR_X509_PARSE
 *   for a malformed key or an RSA key out of bounds (modulus > 8192 bits, e even, < 3 or >= 2^32).
 */
export function parsePublicKeyInfo(spkiDer: Uint8Array): PublicKey {
  const d = decodePublicKeyInfo(parseDer(spkiDer, Tag.SEQUENCE, 'SubjectPublicKeyInfo'));
  if (!d.publicKey) throw unsupported(`public key algorithm ${d.algorithm} is not supported`);
  return d.publicKey;
}

/** SubjectPublicKeyInfo DER for a key. */
export function encodePublicKeyInfo(pub: PublicKey): Uint8Array {
  switch (pub.type) {
    case 'rsa':
      return derSequence(
        derSequence(derOid(OID.rsaEncryption), derNull()),
        derBitString(derSequence(derInteger(pub.n), derInteger(pub.e))),
      );
    case 'ec':
      return derSequence(derSequence(derOid(OID.ecPublicKey), derOid(curveOid[pub.curve])), derBitString(pub.point));
    case 'ed25519':
      return derSequence(derSequence(derOid(OID.ed25519)), derBitString(pub.key));
  }
}

/** Size in bits: the RSA modulus, or the curve's order (as node's `bits`). */
export function publicKeyBits(pub: PublicKey): number {
  switch (pub.type) {
    case 'rsa':
      return pub.n.toString(2).length;
    case 'ec':
      return pub.curve === 'P-256' ? 256 : pub.curve === 'P-384' ? 384 : 521;
    case 'ed25519':
      return 253;
  }
}

// ---------------------------------------------------------------- private keys

function parsePkcs1(der: Uint8Array): PrivateKey {
  const r = new DerReader(parseDer(der, Tag.SEQUENCE, 'RSAPrivateKey').value, 'RSAPrivateKey');
  if (decodeSmallInt(r.next(Tag.INTEGER), 1, 'RSAPrivateKey version') !== 0) {
    throw parseError('RSAPrivateKey: multi-prime keys are not supported');
  }
  const [n, e, d, p, q, dp, dq, qi] = Array.from({ length: 8 }, () => decodeUnsigned(r.next(Tag.INTEGER))) as [
    bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint,
  ];
  r.end();
  if (n === 0n || p * q !== n) throw parseError('RSAPrivateKey: inconsistent key');
  return { type: 'rsa', n, e, d, p, q, dp, dq, qi };
}

function ecPrivate(curve: EcCurve, scalar: Uint8Array, embeddedPoint: Uint8Array | undefined): PrivateKey {
  const size = curveFieldBytes[curve];
  if (scalar.length > size || scalar.length === 0) throw parseError('EC private key: bad scalar length');
  const d = new Uint8Array(size);
  d.set(scalar, size - scalar.length);
  let point: Uint8Array;
  try {
    point = curves[curve].getPublicKey(d, false);
  } catch {
    throw parseError('EC private key: scalar out of range');
  }
  if (embeddedPoint && !bytesEqual(ecPoint(curve, embeddedPoint), point)) {
    throw parseError('EC private key: public key does not match the private key');
  }
  return { type: 'ec', curve, d, point };
}

/** SEC1 ECPrivateKey; `curveFromOuter` is the PKCS#8 algorithm's curve when wrapped. */
function parseSec1(der: Uint8Array, curveFromOuter: EcCurve | undefined): PrivateKey {
  const r = new DerReader(parseDer(der, Tag.SEQUENCE, 'ECPrivateKey').value, 'ECPrivateKey');
  if (decodeSmallInt(r.next(Tag.INTEGER), 1, 'ECPrivateKey version') !== 1) throw parseError('ECPrivateKey: bad version');
  const scalar = r.next(Tag.OCTET_STRING, 'ECPrivateKey key').value;
  const params = r.optional(contextTag(0, true));
  const pubEl = r.optional(contextTag(1, true));
  r.end();
  let curve = curveFromOuter;
  if (params) {
    const inner = namedCurve(parseDer(params.value, undefined, 'ECPrivateKey parameters'), 'ECPrivateKey');
    if (!inner) throw unsupported('EC private key: curve not supported');
    if (curve && curve !== inner) throw parseError('ECPrivateKey: curve mismatch');
    curve = inner;
  }
  if (!curve) throw parseError('ECPrivateKey: no curve');
  const point = pubEl ? decodeBitStringBytes(parseDer(pubEl.value, Tag.BIT_STRING, 'ECPrivateKey public key')) : undefined;
  return ecPrivate(curve, scalar, point);
}

function parsePkcs8(der: Uint8Array): PrivateKey {
  const r = new DerReader(parseDer(der, Tag.SEQUENCE, 'PrivateKeyInfo').value, 'PrivateKeyInfo');
  decodeSmallInt(r.next(Tag.INTEGER), 1, 'PrivateKeyInfo version');
  const alg = parseAlgorithmIdentifier(r.next(Tag.SEQUENCE));
  const inner = r.next(Tag.OCTET_STRING).value;
  // [0] attributes and [1] public key (v2) are allowed and ignored.
  r.optional(contextTag(0, true));
  r.optional(contextTag(1, false));
  r.end();
  switch (alg.oid) {
    case OID.rsaEncryption:
    case OID.rsassaPss:
      return parsePkcs1(inner);
    case OID.ecPublicKey: {
      const curve = namedCurve(alg.params, 'PrivateKeyInfo');
      if (!curve) throw unsupported('EC private key: curve not supported');
      return parseSec1(inner, curve);
    }
    case OID.ed25519: {
      const seed = parseDer(inner, Tag.OCTET_STRING, 'Ed25519 private key').value;
      if (seed.length !== 32) throw parseError('Ed25519 private key: bad length');
      return { type: 'ed25519', seed: seed.slice(), key: ed25519.getPublicKey(seed) };
    }
    default:
      throw unsupported(`private key algorithm ${alg.oid} is not supported`);
  }
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);

function parsePrivateKeyDer(der: Uint8Array, label?: string): PrivateKey {
  if (label === 'EC PRIVATE KEY') return parseSec1(der, undefined);
  if (label === 'RSA PRIVATE KEY') return parsePkcs1(der);
  if (label === 'PRIVATE KEY') return parsePkcs8(der);
  // Bare DER: tell the three apart by their second element.
  const r = new DerReader(parseDer(der, Tag.SEQUENCE, 'private key').value, 'private key');
  r.next(Tag.INTEGER);
  const second = r.peekTag();
  if (second === Tag.SEQUENCE) return parsePkcs8(der);
  if (second === Tag.OCTET_STRING) return parseSec1(der, undefined);
  if (second === Tag.INTEGER) return parsePkcs1(der);
  throw parseError('private key: unrecognized structure');
}

/**
 * A private key from PEM (PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY; the
 * first such block is used) or DER (PKCS#8, SEC1 or PKCS#1). Encrypted keys
 * are refused ("encrypted private keys are not supported").
 */
export function parsePrivateKey(pemOrDer: string | Uint8Array): PrivateKey {
  try {
    if (typeof pemOrDer === 'string' || isPem(pemOrDer)) {
      const block = pemDecode(pemOrDer).find((b) => KEY_LABELS.has(b.label));
      if (!block) throw parseError('no private key found in PEM input');
      return parsePrivateKeyDer(block.der, block.label);
    }
    return parsePrivateKeyDer(pemOrDer);
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw parseError(`private key: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function publicKeyOf(priv: PrivateKey): PublicKey {
  switch (priv.type) {
    case 'rsa':
      return { type: 'rsa', n: priv.n, e: priv.e };
    case 'ec':
      return { type: 'ec', curve: priv.curve, point: priv.point };
    case 'ed25519':
      return { type: 'ed25519', key: priv.key };
  }
}

export function publicKeysEqual(a: PublicKey, b: PublicKey): boolean {
  if (a.type === 'rsa' && b.type === 'rsa') return a.n === b.n && a.e === b.e;
  if (a.type === 'ec' && b.type === 'ec') return a.curve === b.curve && bytesEqual(a.point, b.point);
  if (a.type === 'ed25519' && b.type === 'ed25519') return bytesEqual(a.key, b.key);
  return false;
}

/** True when `pub` is the public half of `priv`. */
export function keysMatch(priv: PrivateKey, pub: PublicKey): boolean {
  return publicKeysEqual(publicKeyOf(priv), pub);
}
