/** RFC 5280 §4.2 certificate extensions: the ones path validation and node's output use. */
import {
  type DerElement,
  DerReader,
  Tag,
  children,
  contextTag,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallInt,
  decodeString,
  parseDer,
  parseError,
} from './der.js';
import { type DistinguishedName, parseName } from './name.js';
import { OID } from './oids.js';

export type GeneralName =
  | { readonly type: 'dns'; readonly value: string }
  /** 4 or 16 bytes in a SAN; address then mask (8 or 32 bytes) in name constraints. */
  | { readonly type: 'ip'; readonly value: Uint8Array }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'dirName'; readonly value: DistinguishedName }
  | { readonly type: 'registeredId'; readonly value: string }
  /** otherName [0], x400Address [3], ediPartyName [5]: kept opaque. */
  | { readonly type: 'other'; readonly tag: number };

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface BasicConstraints {
  readonly cA: boolean;
  readonly pathLen: number | undefined;
}

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];
export type KeyUsage = Readonly<Record<KeyUsageName, boolean>>;

export interface NameConstraints {
  readonly permitted: readonly GeneralName[];
  readonly excluded: readonly GeneralName[];
}

export interface AccessDescription {
  readonly method: string;
  readonly location: GeneralName;
}

export interface Extensions {
  /** Every extension, in certificate order. */
  readonly all: readonly Extension[];
  readonly subjectAltName?: readonly GeneralName[];
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: KeyUsage;
  /** Extended key usage OIDs. */
  readonly extKeyUsage?: readonly string[];
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly nameConstraints?: NameConstraints;
  readonly authorityInfoAccess?: readonly AccessDescription[];
  /** OIDs of critical extensions this library does not process (path validation fails on them). */
  readonly unhandledCritical: readonly string[];
}

/** Extensions we either process or may safely ignore when critical (as OpenSSL does). */
const HANDLED = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.basicConstraints,
  OID.nameConstraints,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.authorityKeyIdentifier,
  OID.policyConstraints,
  OID.extKeyUsage,
  OID.inhibitAnyPolicy,
  OID.authorityInfoAccess,
]);

function ia5(el: DerElement, what: string): string {
  const s = decodeString({ ...el, tag: Tag.IA5String }, what);
  if (/[^\u0000-\u007f]/.test(s)) throw parseError(`${what}: non-ASCII IA5String`);
  return s;
}

export function parseGeneralName(el: DerElement, what = 'GeneralName'): GeneralName {
  switch (el.tag) {
    case contextTag(1, false):
      return { type: 'email', value: ia5(el, what) };
    case contextTag(2, false):
      return { type: 'dns', value: ia5(el, what) };
    case contextTag(6, false):
      return { type: 'uri', value: ia5(el, what) };
    case contextTag(7, false):
      return { type: 'ip', value: el.value.slice() };
    case contextTag(4, true):
      return { type: 'dirName', value: parseName(parseDer(el.value, Tag.SEQUENCE, what)) };
    case contextTag(8, false):
      return { type: 'registeredId', value: decodeOid({ ...el, tag: Tag.OID }, what) };
    case contextTag(0, true):
    case contextTag(3, true):
    case contextTag(5, true):
      return { type: 'other', tag: el.tag };
    default:
      throw parseError(`${what}: unknown GeneralName tag`);
  }
}

function parseGeneralNames(value: Uint8Array, what: string): GeneralName[] {
  const r = new DerReader(parseDer(value, Tag.SEQUENCE, what).value, what);
  const out: GeneralName[] = [];
  while (!r.done) out.push(parseGeneralName(r.next(undefined, what), what));
  if (out.length === 0) throw parseError(`${what}: empty`);
  return out;
}

function parseBasicConstraints(value: Uint8Array): BasicConstraints {
  const r = new DerReader(parseDer(value, Tag.SEQUENCE, 'basicConstraints').value, 'basicConstraints');
  const ca = r.optional(Tag.BOOLEAN);
  const pl = r.optional(Tag.INTEGER);
  r.end();
  return {
    cA: ca ? decodeBoolean(ca, 'basicConstraints cA') : false,
    pathLen: pl ? decodeSmallInt(pl, 0x7fffffff, 'basicConstraints pathLen') : undefined,
  };
}

function parseKeyUsage(value: Uint8Array): KeyUsage {
  const bits = decodeBitString(parseDer(value, Tag.BIT_STRING, 'keyUsage'), 'keyUsage').bytes;
  const ku = {} as Record<KeyUsageName, boolean>;
  KEY_USAGE_BITS.forEach((name, i) => {
    ku[name] = ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
  });
  return ku;
}

function parseOidList(value: Uint8Array, what: string): string[] {
  const r = new DerReader(parseDer(value, Tag.SEQUENCE, what).value, what);
  const out: string[] = [];
  while (!r.done) out.push(decodeOid(r.next(Tag.OID, what), what));
  if (out.length === 0) throw parseError(`${what}: empty`);
  return out;
}

function parseAuthorityKeyId(value: Uint8Array): Uint8Array | undefined {
  const r = new DerReader(parseDer(value, Tag.SEQUENCE, 'authorityKeyIdentifier').value, 'authorityKeyIdentifier');
  const keyId = r.optional(contextTag(0, false));
  r.optional(contextTag(1, true));
  r.optional(contextTag(2, false));
  r.end();
  return keyId?.value.slice();
}

function parseSubtrees(el: DerElement | undefined, what: string): GeneralName[] {
  if (!el) return [];
  const r = new DerReader(el.value, what);
  const out: GeneralName[] = [];
  while (!r.done) {
    const st = r.sequence(what);
    const base = parseGeneralName(st.next(undefined, what), what);
    const min = st.optional(contextTag(0, false));
    if (min && decodeSmallInt({ ...min, tag: Tag.INTEGER }, 0x7fffffff, what) !== 0) {
      throw parseError(`${what}: minimum must be 0`);
    }
    if (st.optional(contextTag(1, false))) throw parseError(`${what}: maximum must be absent`);
    st.end();
    if (base.type === 'ip' && base.value.length !== 8 && base.value.length !== 32) {
      throw parseError(`${what}: bad iPAddress constraint length`);
    }
    out.push(base);
  }
  if (out.length === 0) throw parseError(`${what}: empty`);
  return out;
}

function parseNameConstraints(value: Uint8Array): NameConstraints {
  const r = new DerReader(parseDer(value, Tag.SEQUENCE, 'nameConstraints').value, 'nameConstraints');
  const permitted = parseSubtrees(r.optional(contextTag(0, true)), 'nameConstraints permitted');
  const excluded = parseSubtrees(r.optional(contextTag(1, true)), 'nameConstraints excluded');
  r.end();
  return { permitted, excluded };
}

function parseAia(value: Uint8Array): AccessDescription[] {
  const r = new DerReader(parseDer(value, Tag.SEQUENCE, 'authorityInfoAccess').value, 'authorityInfoAccess');
  const out: AccessDescription[] = [];
  while (!r.done) {
    const ad = r.sequence('AccessDescription');
    const method = decodeOid(ad.next(Tag.OID));
    const location = parseGeneralName(ad.next());
    ad.end();
    out.push({ method, location });
  }
  return out;
}

/** Parses the [3] EXPLICIT Extensions element of a TBSCertificate. */
export function parseExtensions(el: DerElement | undefined): Extensions {
  const all: Extension[] = [];
  const unhandledCritical: string[] = [];
  const out: { -readonly [K in keyof Extensions]: Extensions[K] } = { all, unhandledCritical };
  if (!el) return out;
  const seq = parseDer(el.value, Tag.SEQUENCE, 'Extensions');
  const r = children(seq, 'Extensions');
  if (r.done) throw parseError('Extensions: empty');
  const seen = new Set<string>();
  while (!r.done) {
    const er = r.sequence('Extension');
    const oid = decodeOid(er.next(Tag.OID, 'Extension id'));
    const critEl = er.optional(Tag.BOOLEAN);
    const critical = critEl ? decodeBoolean(critEl, 'Extension critical') : false;
    const value = er.next(Tag.OCTET_STRING, 'Extension value').value;
    er.end();
    if (seen.has(oid)) throw parseError(`Extensions: duplicate ${oid}`);
    seen.add(oid);
    all.push({ oid, critical, value });
    switch (oid) {
      case OID.subjectAltName:
        out.subjectAltName = parseGeneralNames(value, 'subjectAltName');
        break;
      case OID.basicConstraints:
        out.basicConstraints = parseBasicConstraints(value);
        break;
      case OID.keyUsage:
        out.keyUsage = parseKeyUsage(value);
        break;
      case OID.extKeyUsage:
        out.extKeyUsage = parseOidList(value, 'extKeyUsage');
        break;
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = parseDer(value, Tag.OCTET_STRING, 'subjectKeyIdentifier').value.slice();
        break;
      case OID.authorityKeyIdentifier:
        out.authorityKeyId = parseAuthorityKeyId(value);
        break;
      case OID.nameConstraints:
        out.nameConstraints = parseNameConstraints(value);
        break;
      case OID.authorityInfoAccess:
        out.authorityInfoAccess = parseAia(value);
        break;
      default:
        if (critical && !HANDLED.has(oid)) unhandledCritical.push(oid);
    }
  }
  return out;
}

// ---------------------------------------------------------------- formatting (node style)

/** An IP address as node prints it: dotted v4, or eight `%X` groups for v6. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16).toUpperCase());
    return groups.join(':');
  }
  return `<invalid length=${b.length}>`;
}

/** node's PrintAltName: safe names as is, others as a JSON-style quoted string. */
function altName(s: string, utf8 = false): string {
  let safe = true;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ('"\\,\''.includes(ch) || c < 0x20 || c === 0x7f || (!utf8 && c > 0x7e)) safe = false;
  }
  if (safe) return s;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if ((c >= 0x20 && ch !== ',' && c <= 0x7e) || (utf8 && c > 0x7f)) out += ch;
    else out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
  }
  return out + '"';
}

function rfc2253(dn: DistinguishedName): string {
  return [...dn.rdns]
    .reverse()
    .map((rdn) => rdn.map((a) => `${a.shortName}=${a.value.replace(/([,+"\\<>;])/g, '\\$1')}`).join('+'))
    .join(',');
}

export function formatGeneralName(g: GeneralName): string {
  switch (g.type) {
    case 'dns':
      return 'DNS:' + altName(g.value);
    case 'email':
      return 'email:' + altName(g.value);
    case 'uri':
      return 'URI:' + altName(g.value);
    case 'ip':
      return 'IP Address:' + formatIp(g.value);
    case 'dirName':
      return 'DirName:' + altName(rfc2253(g.value), true);
    case 'registeredId':
      return 'Registered ID:' + g.value;
    case 'other':
      return g.tag === contextTag(0, true)
        ? 'othername:<unsupported>'
        : g.tag === contextTag(3, true)
          ? 'X400Name:<unsupported>'
          : 'EdiPartyName:<unsupported>';
  }
}

/** node's `subjectaltname` string: `DNS:a.example, IP Address:127.0.0.1`. */
export function formatGeneralNames(names: readonly GeneralName[]): string {
  return names.map(formatGeneralName).join(', ');
}
