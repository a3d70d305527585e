/** X.501 distinguished names: parsing, node-style string and object forms, comparison. */
import { toHex } from '../common/bytes.js';
import { type DerElement, DerReader, Tag, children, decodeOid, decodeString, isStringTag, parseError } from './der.js';
import { attributeShortName } from './oids.js';

export interface NameAttribute {
  readonly oid: string;
  /** OpenSSL's short name (CN, O, ...) or the dotted OID when it has none. */
  readonly shortName: string;
  /** The value as text; non-string values as `#` + hex of their DER, as OpenSSL prints them. */
  readonly value: string;
  /** The value's ASN.1 tag. */
  readonly tag: number;
}

/** Node's object form: `{ C: 'US', O: 'Org', CN: 'name' }`, arrays for repeated types. */
export type NameObject = Readonly<Record<string, string | string[]>>;

export interface DistinguishedName {
  /** The Name's DER. */
  readonly raw: Uint8Array;
  /** Relative distinguished names in certificate order. */
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** All attributes, flattened, in certificate order. */
  readonly attributes: readonly NameAttribute[];
  /** `C=US, O=Org, CN=name`: certificate order, RFC 4514 escaping, `+` inside a multi-valued RDN. */
  readonly text: string;
  readonly object: NameObject;
  /** A canonical form for issuer/subject matching (case- and space-folded, RFC 5280 §7.1). */
  readonly key: string;
}

/**
 * Escapes a value as OpenSSL's ASN1_STRFLGS_ESC_2253 | ESC_CTRL do (what
 * node's X509Certificate.subject shows).
 */
export function escapeDnValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    const code = c.charCodeAt(0);
    if (',+"\\<>;'.includes(c)) out += '\\' + c;
    else if ((c === '#' && i === 0) || (c === ' ' && (i === 0 || i === v.length - 1))) out += '\\' + c;
    else if (code < 0x20 || code === 0x7f) out += '\\' + code.toString(16).toUpperCase().padStart(2, '0');
    else out += c;
  }
  return out;
}

function canonicalValue(a: NameAttribute): string {
  if (!isStringTag(a.tag)) return a.value;
  return a.value.trim().replace(/\s+/g, ' ').toLowerCase();
}

function parseAttribute(el: DerElement): NameAttribute {
  const r = children(el, 'Name attribute');
  const oid = decodeOid(r.next(Tag.OID, 'Name attribute type'));
  const v = r.next(undefined, 'Name attribute value');
  r.end('Name attribute');
  const shortName = attributeShortName[oid] ?? oid;
  const value = isStringTag(v.tag) ? decodeString(v, `Name ${shortName}`) : '#' + toHex(v.raw).toUpperCase();
  return { oid, shortName, value, tag: v.tag };
}

/** Parses a Name (the whole SEQUENCE element). */
export function parseName(el: DerElement): DistinguishedName {
  if (el.tag !== Tag.SEQUENCE) throw parseError('Name: expected SEQUENCE');
  const rdns: NameAttribute[][] = [];
  const r = new DerReader(el.value, 'Name');
  while (!r.done) {
    const set = r.next(Tag.SET, 'RDN');
    const sr = new DerReader(set.value, 'RDN');
    const rdn: NameAttribute[] = [];
    while (!sr.done) rdn.push(parseAttribute(sr.next(Tag.SEQUENCE, 'Name attribute')));
    if (rdn.length === 0) throw parseError('RDN: empty SET');
    rdns.push(rdn);
  }
  return makeName(el.raw, rdns);
}

function makeName(raw: Uint8Array, rdns: NameAttribute[][]): DistinguishedName {
  const attributes = rdns.flat();
  const object: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const a of attributes) {
    const prev = object[a.shortName];
    if (prev === undefined) object[a.shortName] = a.value;
    else if (Array.isArray(prev)) prev.push(a.value);
    else object[a.shortName] = [prev, a.value];
  }
  const text = rdns.map((rdn) => rdn.map((a) => `${a.shortName}=${escapeDnValue(a.value)}`).join(' + ')).join(', ');
  const key = rdns
    .map((rdn) =>
      rdn
        .map((a) => `${a.oid}=${JSON.stringify(canonicalValue(a))}`)
        .sort()
        .join('+'),
    )
    .join('/');
  return { raw, rdns, attributes, text, object, key };
}

/** True when two names are the same by RFC 5280 §7.1 comparison (as OpenSSL canonicalizes). */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  return a.key === b.key;
}

/** The attribute values of one type (e.g. all CNs), in order. */
export function nameValues(name: DistinguishedName, shortNameOrOid: string): string[] {
  return name.attributes.filter((a) => a.shortName === shortNameOrOid || a.oid === shortNameOrOid).map((a) => a.value);
}
