/**
 * A strict DER reader (X.690 §10); the tags are in der-tags.ts and the small
 * DER writer in der-writer.ts (both re-exported here).
 *
 * The reader accepts definite, minimally encoded lengths only, single-byte
 * tags, minimal INTEGERs and OID sub-identifiers, BIT STRINGs whose unused
 * bits are zero, and no trailing bytes. Every failure is a TlsError with code
 * ERR_X509_PARSE and alert bad_certificate; no other exception type escapes.
 *
 * Every byte is the peer's, so no field may cost more than linear time in its
 * length: INTEGERs become bigints through one hex string (never a shift per
 * byte), small INTEGERs are refused on their length before any conversion,
 * and serial numbers and OID sub-identifiers have length bounds.
 */
import { AlertDescription, TlsError } from '../common/errors.js';
import { bytesToBigInt } from '../crypto/rsa.js';
import { Tag } from './der-tags.js';

export { Tag, contextTag } from './der-tags.js';
export { derEncode, derSequence, derInteger, derOid, derOctetString, derBitString, derNull, derBoolean, derUtf8String } from './der-writer.js';

export function parseError(detail: string): TlsError {
  return new TlsError('ERR_X509_PARSE', AlertDescription.bad_certificate, detail);
}

export interface DerElement {
  /** The identifier octet. */
  readonly tag: number;
  /** The contents octets (a view into the input). */
  readonly value: Uint8Array;
  /** The whole encoding, identifier and length included (a view into the input). */
  readonly raw: Uint8Array;
}

function readElementAt(buf: Uint8Array, start: number, what: string): DerElement {
  let p = start;
  if (p >= buf.length) throw parseError(`${what}: unexpected end of data`);
  const tag = buf[p++]!;
  if ((tag & 0x1f) === 0x1f) throw parseError(`${what}: multi-byte tags are not supported`);
  if (p >= buf.length) throw parseError(`${what}: truncated length`);
  let len = buf[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw parseError(`${what}: indefinite length`);
    if (n > 4) throw parseError(`${what}: length too large`);
    if (p + n > buf.length) throw parseError(`${what}: truncated length`);
    if (buf[p] === 0) throw parseError(`${what}: non-minimal length`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    if (len < 0x80) throw parseError(`${what}: non-minimal length`);
  }
  if (len > buf.length - p) throw parseError(`${what}: truncated contents`);
  return { tag, value: buf.subarray(p, p + len), raw: buf.subarray(start, p + len) };
}

/** Reads a run of elements (the contents of a SEQUENCE or SET, or a whole input). */
export class DerReader {
  private pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    readonly what = 'DER',
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  peekTag(): number | undefined {
    return this.pos < this.buf.length ? this.buf[this.pos] : undefined;
  }

  /** The next element; with `tag`, it must have that identifier. */
  next(tag?: number, what = this.what): DerElement {
    const el = readElementAt(this.buf, this.pos, what);
    if (tag !== undefined && el.tag !== tag) {
      throw parseError(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(el.tag)}`);
    }
    this.pos += el.raw.length;
    return el;
  }

  /** The next element when it has `tag`, else undefined (nothing consumed). */
  optional(tag: number, what = this.what): DerElement | undefined {
    return this.peekTag() === tag ? this.next(tag, what) : undefined;
  }

  /** Reads a SEQUENCE and returns a reader over its contents. */
  sequence(what = this.what): DerReader {
    return new DerReader(this.next(Tag.SEQUENCE, what).value, what);
  }

  /** Fails unless everything was consumed. */
  end(what = this.what): void {
    if (!this.done) throw parseError(`${what}: unexpected trailing data`);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Exactly one element filling `buf`, optionally with a given tag. */
export function parseDer(buf: Uint8Array, tag?: number, what = 'DER'): DerElement {
  const r = new DerReader(buf, what);
  const el = r.next(tag, what);
  r.end(what);
  return el;
}

/** A reader over the contents of a constructed element. */
export function children(el: DerElement, what = 'DER'): DerReader {
  if ((el.tag & 0x20) === 0) throw parseError(`${what}: expected a constructed element`);
  return new DerReader(el.value, what);
}

/** Fails unless `v` is a non-empty, minimally encoded INTEGER body (X.690 §8.3.2). O(1). */
function checkInteger(v: Uint8Array, what: string): void {
  if (v.length === 0) throw parseError(`${what}: empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    throw parseError(`${what}: non-minimal INTEGER`);
  }
}

/**
 * A two's-complement INTEGER of any length, in time linear in that length: the
 * bytes go through one hex string (bytesToBigInt), not a bigint shift per byte
 * (which copies the growing bigint every time: quadratic, ~2 s for 120 KB).
 * Callers that hold a peer's value bound its length themselves (keys.ts for
 * RSA; decodeSerialNumber, decodeSmallInt here).
 */
export function decodeInteger(el: DerElement, what = 'INTEGER'): bigint {
  const v = el.value;
  checkInteger(v, what);
  const n = bytesToBigInt(v);
  return v[0]! >= 0x80 ? n - (1n << BigInt(v.length * 8)) : n;
}

/** Octets in the minimal DER encoding of the non-negative integer `n` (a sign octet included). */
function integerOctets(n: number): number {
  let octets = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 256)) octets++;
  return octets;
}

/**
 * A non-negative INTEGER up to `max` (itself capped at Number.MAX_SAFE_INTEGER),
 * as a number. An encoding longer than the minimal encoding of the bound (at
 * most 7 octets) is refused before anything is converted, so a 120 KB
 * pathLenConstraint costs a length comparison.
 */
export function decodeSmallInt(el: DerElement, max: number, what = 'INTEGER'): number {
  const v = el.value;
  checkInteger(v, what);
  const bound = Math.min(max, Number.MAX_SAFE_INTEGER);
  if (!(bound >= 0) || v[0]! >= 0x80) throw parseError(`${what}: value out of range`);
  const maxOctets = integerOctets(bound);
  if (v.length > maxOctets) {
    throw parseError(`${what}: value out of range (${v.length} octets, at most ${maxOctets})`);
  }
  // At most 7 octets. n <= bound < 2^53 before each step, so n * 256 + b is
  // computed exactly or, when inexact, is at least 2^53 > bound: refused either way.
  let n = 0;
  for (const b of v) {
    n = n * 256 + b;
    if (n > bound) throw parseError(`${what}: value out of range`);
  }
  return n;
}

/**
 * The most content octets accepted in a certificate serialNumber. RFC 5280
 * §4.1.2.2: conforming CAs use at most 20 octets and users SHOULD handle 20;
 * real certificates have 21 (a 20-octet value plus the 0x00 sign octet), and
 * many parsers accept more (BoringSSL's pki parser refuses over 20 unless
 * allow_invalid_serial_numbers is set). 64 octets (512 bits) is three times
 * the largest serial seen in practice, so nothing real is refused. The serial
 * is only compared and displayed, so a peer must not be able to make us hold,
 * convert and print a bigint of any size it likes.
 */
export const MAX_SERIAL_OCTETS = 64;

/** A certificate serialNumber (CertificateSerialNumber ::= INTEGER, zero and negative tolerated). */
export function decodeSerialNumber(el: DerElement, what = 'serialNumber'): bigint {
  checkInteger(el.value, what);
  if (el.value.length > MAX_SERIAL_OCTETS) {
    throw parseError(`${what}: ${el.value.length} octets, more than ${MAX_SERIAL_OCTETS}`);
  }
  return decodeInteger(el, what);
}

/** A non-negative INTEGER of any length (key components: callers bound the length). */
export function decodeUnsigned(el: DerElement, what = 'INTEGER'): bigint {
  const n = decodeInteger(el, what);
  if (n < 0n) throw parseError(`${what}: negative value`);
  return n;
}

export function decodeBoolean(el: DerElement, what = 'BOOLEAN'): boolean {
  if (el.value.length !== 1) throw parseError(`${what}: bad BOOLEAN length`);
  const b = el.value[0]!;
  if (b === 0) return false;
  if (b === 0xff) return true;
  throw parseError(`${what}: BOOLEAN must be 0x00 or 0xff`);
}

export function decodeNull(el: DerElement, what = 'NULL'): null {
  if (el.tag !== Tag.NULL || el.value.length !== 0) throw parseError(`${what}: bad NULL`);
  return null;
}

/**
 * The most octets in one OID sub-identifier (7 bits each: 140 bits). The
 * largest arcs in use are UUIDs under 2.25 (X.667: 128 bits, 19 octets). A
 * longer one is refused: building it is a bigint shift per octet and printing
 * it a decimal conversion, both super-linear in a peer-chosen length.
 */
export const MAX_OID_SUBIDENTIFIER_OCTETS = 20;

export function decodeOid(el: DerElement, what = 'OID'): string {
  const v = el.value;
  if (v.length === 0) throw parseError(`${what}: empty OID`);
  const arcs: string[] = [];
  let i = 0;
  while (i < v.length) {
    if (v[i] === 0x80) throw parseError(`${what}: non-minimal OID sub-identifier`);
    let start = i;
    while (i < v.length && v[i]! & 0x80) i++;
    if (i >= v.length) throw parseError(`${what}: truncated OID`);
    i++;
    if (i - start > MAX_OID_SUBIDENTIFIER_OCTETS) {
      throw parseError(`${what}: sub-identifier longer than ${MAX_OID_SUBIDENTIFIER_OCTETS} octets`);
    }
    let n = 0n;
    for (; start < i; start++) n = (n << 7n) | BigInt(v[start]! & 0x7f);
    if (arcs.length === 0) {
      const first = n < 40n ? 0n : n < 80n ? 1n : 2n;
      arcs.push(first.toString(), (n - first * 40n).toString());
    } else {
      arcs.push(n.toString());
    }
  }
  return arcs.join('.');
}

export interface BitString {
  readonly bytes: Uint8Array;
  readonly unusedBits: number;
}

export function decodeBitString(el: DerElement, what = 'BIT STRING'): BitString {
  const v = el.value;
  if (v.length === 0) throw parseError(`${what}: empty BIT STRING`);
  const unusedBits = v[0]!;
  if (unusedBits > 7) throw parseError(`${what}: bad unused-bit count`);
  if (v.length === 1 && unusedBits !== 0) throw parseError(`${what}: unused bits in an empty BIT STRING`);
  if (unusedBits !== 0 && (v[v.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw parseError(`${what}: unused bits are not zero`);
  }
  return { bytes: v.subarray(1), unusedBits };
}

/** A BIT STRING that holds whole octets (keys, signatures). */
export function decodeBitStringBytes(el: DerElement, what = 'BIT STRING'): Uint8Array {
  const b = decodeBitString(el, what);
  if (b.unusedBits !== 0) throw parseError(`${what}: expected whole octets`);
  return b.bytes;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5 forms: seconds, `Z`) → ms since epoch. */
export function decodeTime(el: DerElement, what = 'Time'): number {
  const s = latin1(el.value);
  let m: RegExpExecArray | null;
  let year: number;
  if (el.tag === Tag.UTCTime) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) throw parseError(`${what}: bad UTCTime`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (el.tag === Tag.GeneralizedTime) {
    m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) throw parseError(`${what}: bad GeneralizedTime`);
    year = Number(m[1]);
  } else {
    throw parseError(`${what}: expected UTCTime or GeneralizedTime`);
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(year, mo) || h > 23 || mi > 59 || se > 59) {
    throw parseError(`${what}: date out of range`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, se, 0);
  return date.getTime();
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** True for the string types a directory string or GeneralName may use. */
export function isStringTag(tag: number): boolean {
  return (
    tag === Tag.UTF8String ||
    tag === Tag.PrintableString ||
    tag === Tag.IA5String ||
    tag === Tag.T61String ||
    tag === Tag.VisibleString ||
    tag === Tag.NumericString ||
    tag === Tag.BMPString ||
    tag === Tag.UniversalString
  );
}

/** Decodes a character string. T61String is read as Latin-1, as OpenSSL does. */
export function decodeString(el: DerElement, what = 'string'): string {
  const v = el.value;
  switch (el.tag) {
    case Tag.UTF8String:
      try {
        return utf8Decoder.decode(v);
      } catch {
        throw parseError(`${what}: invalid UTF-8`);
      }
    case Tag.PrintableString:
    case Tag.IA5String:
    case Tag.VisibleString:
    case Tag.NumericString:
    case Tag.T61String:
      return latin1(v);
    case Tag.BMPString: {
      if (v.length % 2 !== 0) throw parseError(`${what}: odd BMPString length`);
      let s = '';
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
      return s;
    }
    case Tag.UniversalString: {
      if (v.length % 4 !== 0) throw parseError(`${what}: bad UniversalString length`);
      let s = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw parseError(`${what}: bad code point`);
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw parseError(`${what}: not a string type (tag 0x${hex2(el.tag)})`);
  }
}
