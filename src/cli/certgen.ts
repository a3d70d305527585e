/**
 * An in-memory self-signed certificate for the demo and tests, made without
 * the openssl binary: an ECDSA P-256 key from @noble/curves and a minimal
 * X.509 v3 certificate (RFC 5280) DER-encoded with src/x509/der.ts's writer.
 *
 *   subject = issuer = CN=<commonName>
 *   basicConstraints critical CA:FALSE, keyUsage critical digitalSignature,
 *   extKeyUsage serverAuth+clientAuth, subjectAltName DNS:localhost IP:127.0.0.1
 *   signature ecdsa-with-SHA256
 */
import { p256 } from '@noble/curves/nist.js';
import type { PrivateKey } from '../crypto/provider.js';
import { Tag, contextTag, derBitString, derBoolean, derEncode, derInteger, derOctetString, derOid, derSequence, derUtf8String } from '../x509/der.js';
import { encodePublicKeyInfo } from '../x509/keys.js';
import { OID } from '../x509/oids.js';
import { pemEncode } from '../x509/pem.js';

/** Where randomness and time come from (a CryptoProvider fits). */
export interface CertgenSource {
  randomBytes(length: number): Uint8Array;
  nowMs(): number;
}

export interface CertgenOptions {
  /** Subject and issuer CN. Default 'localhost'. */
  commonName?: string;
  /** DNS names for subjectAltName. Default ['localhost']. */
  dnsNames?: readonly string[];
  /** IPv4 addresses for subjectAltName. Default ['127.0.0.1']. */
  ipAddresses?: readonly string[];
  /** Validity in days from one hour ago. Default 30. */
  days?: number;
}

export interface GeneratedCert {
  /** The certificate, DER. */
  readonly certDer: Uint8Array;
  /** The certificate, PEM ("CERTIFICATE"). */
  readonly certPem: string;
  /** The key, PKCS#8 PEM ("PRIVATE KEY"), readable by openssl and puretls. */
  readonly keyPem: string;
  /** The key in the CryptoProvider's shape. */
  readonly privateKey: PrivateKey;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** UTCTime (RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ, years 1950..2049). */
function derUtcTime(ms: number): Uint8Array {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 2049) throw new RangeError('certgen: validity outside 1950..2049 needs GeneralizedTime');
  const two = (n: number): string => String(n).padStart(2, '0');
  const s = `${two(y % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return derEncode(Tag.UTCTime, new TextEncoder().encode(s));
}

function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`certgen: not an IPv4 address: ${ip}`);
  }
  return Uint8Array.from(parts);
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? derSequence(derOid(oid), derBoolean(true), derOctetString(value)) : derSequence(derOid(oid), derOctetString(value));
}

function cnName(cn: string): Uint8Array {
  return derSequence(derEncode(Tag.SET, derSequence(derOid('2.5.4.3'), derUtf8String(cn))));
}

/** PKCS#8 PrivateKeyInfo (RFC 5208) around a SEC1 ECPrivateKey (RFC 5915). */
function pkcs8P256(d: Uint8Array, point: Uint8Array): Uint8Array {
  const ecPrivateKey = derSequence(derInteger(1n), derOctetString(d), derEncode(contextTag(1, true), derBitString(point)));
  return derSequence(derInteger(0n), derSequence(derOid(OID.ecPublicKey), derOid(OID.prime256v1)), derOctetString(ecPrivateKey));
}

/** Make a fresh self-signed ECDSA P-256 certificate and its key. */
export function generateSelfSigned(source: CertgenSource, options: CertgenOptions = {}): GeneratedCert {
  const cn = options.commonName ?? 'localhost';
  const dns = options.dnsNames ?? ['localhost'];
  const ips = options.ipAddresses ?? ['127.0.0.1'];
  const days = options.days ?? 30;

  const d = p256.utils.randomSecretKey(source.randomBytes(48));
  const point = p256.getPublicKey(d, false);
  const privateKey: PrivateKey = { type: 'ec', curve: 'P-256', d, point };

  const serial = source.randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, 16 bytes (RFC 5280 §4.1.2.2)
  const now = source.nowMs();
  const sigAlg = derSequence(derOid(OID.ecdsaWithSHA256));

  const san = derSequence(
    ...dns.map((n) => derEncode(contextTag(2, false), new TextEncoder().encode(n))),
    ...ips.map((ip) => derEncode(contextTag(7, false), ipv4Bytes(ip))),
  );
  const extensions = derSequence(
    extension(OID.basicConstraints, true, derSequence()),
    extension(OID.keyUsage, true, derBitString(Uint8Array.of(0x80), 7)), // digitalSignature
    extension(OID.extKeyUsage, false, derSequence(derOid(OID.serverAuth), derOid(OID.clientAuth))),
    extension(OID.subjectAltName, false, san),
  );
  const tbs = derSequence(
    derEncode(contextTag(0, true), derInteger(2n)), // v3
    derEncode(Tag.INTEGER, serial),
    sigAlg,
    cnName(cn),
    derSequence(derUtcTime(now - HOUR), derUtcTime(now + days * DAY)),
    cnName(cn),
    encodePublicKeyInfo({ type: 'ec', curve: 'P-256', point }),
    derEncode(contextTag(3, true), extensions),
  );
  const signature = p256.sign(tbs, d, { prehash: true, format: 'der' });
  const certDer = derSequence(tbs, sigAlg, derBitString(signature));
  return {
    certDer,
    certPem: pemEncode('CERTIFICATE', certDer),
    keyPem: pemEncode('PRIVATE KEY', pkcs8P256(d, point)),
    privateKey,
  };
}
