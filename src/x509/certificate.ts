/** X.509 v1-v3 certificates (RFC 5280 §4.1): parsing and node's getPeerCertificate() shape. */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesEqual, toHex } from '../common/bytes.js';
import { TlsError } from '../common/errors.js';
import type { HashAlgorithm, PublicKey, SignatureAlgorithm } from '../crypto/provider.js';
import { type Extensions, formatGeneralName, formatGeneralNames, parseExtensions } from './cert-extensions.js';
import {
  type DerElement,
  DerReader,
  Tag,
  contextTag,
  decodeBitStringBytes,
  decodeSerialNumber,
  decodeNull,
  decodeSmallInt,
  decodeTime,
  parseDer,
  parseError,
} from './der.js';
import { decodePublicKeyInfo, parseAlgorithmIdentifier, publicKeyBits } from './keys.js';
import { type DistinguishedName, type NameObject, namesEqual, parseName } from './name.js';
import { OID, curveAsn1Name, hashByOid } from './oids.js';

export interface CertificateFields {
  /** The whole certificate DER. */
  readonly raw: Uint8Array;
  /** The signed TBSCertificate DER. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  readonly serialNumber: bigint;
  /** The serial as node prints it: upper-case hex, whole bytes, no leading zero bytes. */
  readonly serial: string;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  /** Validity bounds, ms since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** The SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** Undefined when the key algorithm is not supported (see `publicKeyAlgorithm`). */
  readonly publicKey: PublicKey | undefined;
  readonly publicKeyAlgorithm: string;
  readonly signatureAlgorithmOid: string;
  /** Undefined when the signature algorithm is not supported. */
  readonly signatureAlgorithm: SignatureAlgorithm | undefined;
  readonly signature: Uint8Array;
  readonly extensions: Extensions;
}

/** node:tls `getPeerCertificate(true)`'s shape. */
export interface DetailedCertificate {
  subject: NameObject;
  issuer: NameObject;
  subjectaltname?: string;
  infoAccess?: Record<string, string[]>;
  ca: boolean;
  modulus?: string;
  bits?: number;
  exponent?: string;
  pubkey?: Uint8Array;
  asn1Curve?: string;
  nistCurve?: string;
  valid_from: string;
  valid_to: string;
  fingerprint: string;
  fingerprint256: string;
  fingerprint512: string;
  ext_key_usage?: string[];
  serialNumber: string;
  raw: Uint8Array;
  issuerCertificate?: DetailedCertificate;
}

// Declaration merging: the fields are assigned in the constructor.
export interface Certificate extends CertificateFields {}
export class Certificate {
  constructor(fields: CertificateFields) {
    Object.assign(this, fields);
  }

  /** Subject and issuer are the same name. */
  get selfIssued(): boolean {
    return namesEqual(this.subject, this.issuer);
  }

  /** True when this is a CA certificate as X509_check_ca() == 1 sees it. */
  get isCA(): boolean {
    const { basicConstraints: bc, keyUsage: ku } = this.extensions;
    return !!bc?.cA && (!ku || ku.keyCertSign);
  }

  /**
   * The node-style object. `issuers` is the rest of the path (issuer first);
   * each becomes the previous one's `issuerCertificate`, and a self-issued
   * last certificate points at itself, as node does for a root.
   */
  toDetailed(issuers: readonly Certificate[] = []): DetailedCertificate {
    const head = detailed(this);
    let cur = head;
    let last: Certificate = this;
    for (const c of issuers) {
      const next = detailed(c);
      cur.issuerCertificate = next;
      cur = next;
      last = c;
    }
    if (last.selfIssued) cur.issuerCertificate = cur;
    return head;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's ASN1_TIME_print format: `Jan  1 00:00:00 2025 GMT`. */
export function formatCertTime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return (
    `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`
  );
}

function colonHex(b: Uint8Array): string {
  return toHex(b).toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

/** A copy with a null prototype, as node's objects (arrays copied too). */
function nullProto<T>(o: Readonly<Record<string, T | T[]>>): Record<string, T | T[]> {
  const out = Object.create(null) as Record<string, T | T[]>;
  for (const [k, v] of Object.entries(o)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

function detailed(c: Certificate): DetailedCertificate {
  const ext = c.extensions;
  const d = {
    subject: nullProto(c.subject.object),
    issuer: nullProto(c.issuer.object),
  } as DetailedCertificate;
  if (ext.subjectAltName) d.subjectaltname = formatGeneralNames(ext.subjectAltName);
  if (ext.authorityInfoAccess) {
    const ia = Object.create(null) as Record<string, string[]>;
    for (const ad of ext.authorityInfoAccess) {
      const method = ad.method === OID.ocsp ? 'OCSP' : ad.method === OID.caIssuers ? 'CA Issuers' : ad.method;
      const g = formatGeneralName(ad.location);
      const colon = g.indexOf(':');
      const key = `${method} - ${g.slice(0, colon)}`;
      (ia[key] ??= []).push(g.slice(colon + 1));
    }
    d.infoAccess = ia;
  }
  d.ca = c.isCA;
  const pk = c.publicKey;
  if (pk?.type === 'rsa') {
    d.modulus = pk.n.toString(16).toUpperCase();
    d.bits = publicKeyBits(pk);
    d.exponent = '0x' + pk.e.toString(16);
    d.pubkey = c.spki.slice();
  } else if (pk?.type === 'ec') {
    d.bits = publicKeyBits(pk);
    d.pubkey = pk.point.slice();
    d.asn1Curve = curveAsn1Name[pk.curve];
    d.nistCurve = pk.curve;
  }
  d.valid_from = formatCertTime(c.notBefore);
  d.valid_to = formatCertTime(c.notAfter);
  d.fingerprint = colonHex(sha1(c.raw));
  d.fingerprint256 = colonHex(sha256(c.raw));
  d.fingerprint512 = colonHex(sha512(c.raw));
  if (ext.extKeyUsage) d.ext_key_usage = [...ext.extKeyUsage];
  d.serialNumber = c.serial;
  d.raw = c.raw.slice();
  return d;
}

// ---------------------------------------------------------------- parsing

function hashAlgorithmId(el: DerElement, what: string): HashAlgorithm | undefined {
  const alg = parseAlgorithmIdentifier(el, what);
  if (alg.params) decodeNull(alg.params, what);
  return hashByOid[alg.oid];
}

/** RSASSA-PSS-params (RFC 4055 §3.1); undefined for combinations we do not support. */
function pssParams(params: DerElement | undefined): SignatureAlgorithm | undefined {
  if (!params) return { type: 'rsa-pss', hash: 'sha1', saltLength: 20 };
  if (params.tag !== Tag.SEQUENCE) throw parseError('RSASSA-PSS parameters: expected SEQUENCE');
  const r = new DerReader(params.value, 'RSASSA-PSS parameters');
  const h = r.optional(contextTag(0, true));
  const m = r.optional(contextTag(1, true));
  const s = r.optional(contextTag(2, true));
  const t = r.optional(contextTag(3, true));
  r.end();
  const hash = h ? hashAlgorithmId(parseDer(h.value, Tag.SEQUENCE), 'PSS hash') : 'sha1';
  let mgfHash: HashAlgorithm | undefined = 'sha1';
  if (m) {
    const mgf = parseAlgorithmIdentifier(parseDer(m.value, Tag.SEQUENCE), 'PSS mask generation');
    if (mgf.oid !== OID.mgf1 || !mgf.params) return undefined;
    mgfHash = hashAlgorithmId(mgf.params, 'PSS MGF1 hash');
  }
  const saltLength = s ? decodeSmallInt(parseDer(s.value, Tag.INTEGER), 0xffff, 'PSS salt length') : 20;
  if (t && decodeSmallInt(parseDer(t.value, Tag.INTEGER), 0xff, 'PSS trailer') !== 1) return undefined;
  if (!hash || hash !== mgfHash) return undefined;
  return { type: 'rsa-pss', hash, saltLength };
}

const RSA_PKCS1: Record<string, HashAlgorithm> = {
  [OID.sha1WithRSAEncryption]: 'sha1',
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
};
const ECDSA: Record<string, HashAlgorithm> = {
  [OID.ecdsaWithSHA1]: 'sha1',
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
};

export function parseSignatureAlgorithm(el: DerElement): { oid: string; algorithm: SignatureAlgorithm | undefined } {
  const { oid, params } = parseAlgorithmIdentifier(el, 'signature algorithm');
  const rsa = RSA_PKCS1[oid];
  if (rsa) {
    if (params) decodeNull(params, 'signature algorithm parameters');
    return { oid, algorithm: { type: 'rsa-pkcs1', hash: rsa } };
  }
  const ec = ECDSA[oid];
  if (ec || oid === OID.ed25519) {
    if (params) throw parseError('signature algorithm: unexpected parameters');
    return { oid, algorithm: ec ? { type: 'ecdsa', hash: ec } : { type: 'ed25519' } };
  }
  if (oid === OID.rsassaPss) return { oid, algorithm: pssParams(params) };
  return { oid, algorithm: undefined };
}

function serialString(n: bigint): string {
  if (n === 0n) return '0';
  const mag = n < 0n ? -n : n;
  let h = mag.toString(16).toUpperCase();
  if (h.length % 2) h = '0' + h;
  return (n < 0n ? '-' : '') + h;
}

function parseTbs(tbsEl: DerElement, raw: Uint8Array, outerAlg: DerElement, signature: Uint8Array): Certificate {
  const r = new DerReader(tbsEl.value, 'TBSCertificate');
  const verEl = r.optional(contextTag(0, true));
  const version = verEl ? decodeSmallInt(parseDer(verEl.value, Tag.INTEGER, 'version'), 2, 'version') + 1 : 1;
  const serialNumber = decodeSerialNumber(r.next(Tag.INTEGER, 'serialNumber'), 'serialNumber');
  const innerAlg = r.next(Tag.SEQUENCE, 'TBSCertificate signature');
  if (!bytesEqual(innerAlg.raw, outerAlg.raw)) throw parseError('signature algorithms in and outside TBSCertificate differ');
  const sig = parseSignatureAlgorithm(outerAlg);
  const issuer = parseName(r.next(Tag.SEQUENCE, 'issuer'));
  const validity = r.sequence('validity');
  const notBefore = decodeTime(validity.next(undefined, 'notBefore'), 'notBefore');
  const notAfter = decodeTime(validity.next(undefined, 'notAfter'), 'notAfter');
  validity.end();
  const subject = parseName(r.next(Tag.SEQUENCE, 'subject'));
  const spkiEl = r.next(Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const key = decodePublicKeyInfo(spkiEl);
  if (r.optional(contextTag(1, false)) && version < 2) throw parseError('issuerUniqueID in a v1 certificate');
  if (r.optional(contextTag(2, false)) && version < 2) throw parseError('subjectUniqueID in a v1 certificate');
  const extEl = r.optional(contextTag(3, true));
  r.end();
  if (extEl && version !== 3) throw parseError('extensions in a certificate older than v3');
  return new Certificate({
    raw,
    tbs: tbsEl.raw,
    version,
    serialNumber,
    serial: serialString(serialNumber),
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: spkiEl.raw,
    publicKey: key.publicKey,
    publicKeyAlgorithm: key.algorithm,
    signatureAlgorithmOid: sig.oid,
    signatureAlgorithm: sig.algorithm,
    signature,
    extensions: parseExtensions(extEl),
  });
}

/**
 * Parses a DER certificate. Throws TlsError ERR_X509_PARSE (bad_certificate)
 * on any malformation; an unsupported key or signature algorithm is not an
 * error here (publicKey / signatureAlgorithm are then undefined).
 * @throws TlsError ERR_X509_PARSE for a malformed certificate, or one whose RSA
 *   key is out of bounds (modulus > 8192 bits; e even, < 3 or >= 2^32): such a
 *   key is refused here, before anyone can do arithmetic with it.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  try {
    const raw = der.slice();
    const r = new DerReader(parseDer(raw, Tag.SEQUENCE, 'Certificate').value, 'Certificate');
    const tbsEl = r.next(Tag.SEQUENCE, 'TBSCertificate');
    const alg = r.next(Tag.SEQUENCE, 'signatureAlgorithm');
    const signature = decodeBitStringBytes(r.next(Tag.BIT_STRING, 'signatureValue'), 'signatureValue');
    r.end();
    return parseTbs(tbsEl, raw, alg, signature);
  } catch (e) {
    if (e instanceof TlsError && e.code === 'ERR_X509_PARSE') throw e;
    throw parseError(`certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
}
