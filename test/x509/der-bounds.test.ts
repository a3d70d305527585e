/**
 * Work bounds in the DER reader: no peer INTEGER or OID may cost more than
 * linear time in its length. Work is shown by counting calls to the global
 * BigInt() (the old INTEGER and OID loops made one per content octet, each
 * followed by a shift that copies the whole growing bigint: quadratic), never
 * by timing; bench/der.mjs prints the times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/common/errors.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import {
  MAX_OID_SUBIDENTIFIER_OCTETS,
  MAX_SERIAL_OCTETS,
  Tag,
  decodeInteger,
  decodeOid,
  decodeSerialNumber,
  decodeSmallInt,
  derBitString,
  derBoolean,
  derEncode,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derUtf8String,
  parseDer,
} from '../../src/x509/der.js';
import { OID } from '../../src/x509/oids.js';

const BAD_CERTIFICATE = 42;
const realBigInt = globalThis.BigInt;

afterEach(() => {
  globalThis.BigInt = realBigInt;
});

/** Runs `f` with the global BigInt() wrapped by a call counter. */
function work<T>(f: () => T): { calls: number; result?: T; error?: unknown } {
  let calls = 0;
  const counted = (v: string | number | bigint | boolean): bigint => {
    calls++;
    return realBigInt(v);
  };
  globalThis.BigInt = counted as BigIntConstructor;
  let result: T | undefined;
  let error: unknown;
  try {
    result = f();
  } catch (e) {
    error = e;
  } finally {
    globalThis.BigInt = realBigInt;
  }
  return { calls, result, error };
}

function expectParseError(error: unknown, detail?: RegExp): void {
  expect(error).toBeInstanceOf(TlsError);
  expect((error as TlsError).code).toBe('ERR_X509_PARSE');
  expect((error as TlsError).alert).toBe(BAD_CERTIFICATE);
  if (detail) expect((error as TlsError).message).toMatch(detail);
}

function parseFails(f: () => unknown, detail?: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expectParseError(caught, detail);
}

/** `n` pseudo-random octets (deterministic), first octet given. */
function octets(n: number, first: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = first;
  return b;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const integer = (body: Uint8Array) => parseDer(derEncode(Tag.INTEGER, body));
const intHex = (hex: string) => integer(Uint8Array.from(Buffer.from(hex, 'hex')));

describe('decodeInteger: linear', () => {
  it('a 100,000-octet positive INTEGER: the right bigint, with O(1) BigInt() calls (was one per octet)', () => {
    const body = octets(100_000, 0x5a);
    const w = work(() => decodeInteger(integer(body)));
    expect(w.error).toBeUndefined();
    expect(w.result).toBe(realBigInt('0x' + hexOf(body)));
    expect(w.calls).toBeLessThanOrEqual(4);
  });

  it('a 100,000-octet negative INTEGER: two’s complement, O(1) BigInt() calls', () => {
    const body = octets(100_000, 0xa5);
    const w = work(() => decodeInteger(integer(body)));
    expect(w.error).toBeUndefined();
    expect(w.result).toBe(realBigInt('0x' + hexOf(body)) - (1n << 800_000n));
    expect(w.calls).toBeLessThanOrEqual(4);
  });

  it('small values and the minimal-encoding rules are unchanged', () => {
    const cases: [string, bigint][] = [
      ['00', 0n],
      ['7f', 127n],
      ['0080', 128n],
      ['ff', -1n],
      ['80', -128n],
      ['ff7f', -129n],
      ['00ff', 255n],
      ['8000', -32768n],
    ];
    for (const [hex, n] of cases) expect(decodeInteger(intHex(hex))).toBe(n);
    for (const n of [0n, 1n, -1n, 1n << 64n, -(1n << 64n), (1n << 4095n) + 17n, -(1n << 4095n) - 17n]) {
      expect(decodeInteger(parseDer(derInteger(n)))).toBe(n);
    }
    parseFails(() => decodeInteger(intHex('0001')), /non-minimal INTEGER/);
    parseFails(() => decodeInteger(intHex('ff80')), /non-minimal INTEGER/);
    parseFails(() => decodeInteger(integer(new Uint8Array(0))), /empty INTEGER/);
  });
});

describe('decodeSmallInt: refused on length before any conversion', () => {
  it('a 9-octet INTEGER is refused (ERR_X509_PARSE, bad_certificate) with no BigInt() call', () => {
    const w = work(() => decodeSmallInt(intHex('010000000000000000'), Number.MAX_SAFE_INTEGER, 'pathLen'));
    expectParseError(w.error, /pathLen: value out of range/);
    expect(w.calls).toBe(0);
  });

  it('a 120 KB INTEGER is refused with no BigInt() call (was 120,000)', () => {
    const w = work(() => decodeSmallInt(integer(octets(120_000, 0x11)), 0x7fffffff, 'basicConstraints pathLen'));
    expectParseError(w.error, /out of range \(120000 octets, at most 4\)/);
    expect(w.calls).toBe(0);
  });

  it('bounds: the longest encoding of `max` passes, one octet more is refused', () => {
    expect(decodeSmallInt(intHex('7fffffff'), 0x7fffffff)).toBe(0x7fffffff);
    parseFails(() => decodeSmallInt(intHex('0080000000'), 0x7fffffff), /at most 4/);
    expect(decodeSmallInt(intHex('00ff'), 0xff)).toBe(255);
    expect(decodeSmallInt(intHex('00ffff'), 0xffff)).toBe(0xffff);
    parseFails(() => decodeSmallInt(intHex('010000'), 0xffff), /out of range/);
    expect(decodeSmallInt(intHex('02'), 2)).toBe(2);
    parseFails(() => decodeSmallInt(intHex('03'), 2), /out of range/);
    parseFails(() => decodeSmallInt(intHex('0080'), 2), /at most 1/);
    expect(decodeSmallInt(intHex('1fffffffffffff'), Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    parseFails(() => decodeSmallInt(intHex('20000000000000'), Number.MAX_SAFE_INTEGER), /out of range/);
    // A bound above MAX_SAFE_INTEGER is capped there: 2^53 is never returned (inexactly).
    parseFails(() => decodeSmallInt(intHex('20000000000000'), Number.MAX_VALUE), /out of range/);
    parseFails(() => decodeSmallInt(intHex('7fffffffffffffff'), Number.MAX_VALUE), /out of range/);
  });

  it('negative values and non-minimal encodings are still refused as before', () => {
    parseFails(() => decodeSmallInt(intHex('ff'), 10), /out of range/);
    parseFails(() => decodeSmallInt(intHex('80'), 10), /out of range/);
    parseFails(() => decodeSmallInt(intHex('0001'), 10), /non-minimal INTEGER/);
    parseFails(() => decodeSmallInt(intHex('000000000000000001'), Number.MAX_SAFE_INTEGER), /non-minimal INTEGER/);
    parseFails(() => decodeSmallInt(integer(new Uint8Array(0)), 10), /empty INTEGER/);
  });
});

describe('decodeSerialNumber: at most MAX_SERIAL_OCTETS', () => {
  it('is 64 octets', () => expect(MAX_SERIAL_OCTETS).toBe(64));

  it('20- and 21-octet serials (RFC 5280 and the usual sign octet), zero and negative ones parse', () => {
    const s20 = octets(20, 0x7e);
    const s21 = Uint8Array.of(0, ...octets(20, 0xfe));
    expect(decodeSerialNumber(integer(s20))).toBe(realBigInt('0x' + hexOf(s20)));
    expect(decodeSerialNumber(integer(s21))).toBe(realBigInt('0x' + hexOf(s21)));
    expect(decodeSerialNumber(intHex('00'))).toBe(0n);
    expect(decodeSerialNumber(intHex('ff'))).toBe(-1n);
  });

  it('64 octets parse; 65 are refused', () => {
    const s64 = octets(64, 0x40);
    expect(decodeSerialNumber(integer(s64))).toBe(realBigInt('0x' + hexOf(s64)));
    parseFails(() => decodeSerialNumber(integer(octets(65, 0x40))), /serialNumber: 65 octets, more than 64/);
  });

  it('a 120 KB serial is refused with no BigInt() call', () => {
    const w = work(() => decodeSerialNumber(integer(octets(120_000, 0x40))));
    expectParseError(w.error, /more than 64/);
    expect(w.calls).toBe(0);
  });

  it('minimal-encoding rules apply first', () => {
    parseFails(() => decodeSerialNumber(intHex('0001')), /non-minimal INTEGER/);
    parseFails(() => decodeSerialNumber(integer(new Uint8Array(0))), /empty INTEGER/);
  });
});

describe('decodeOid: sub-identifiers of at most MAX_OID_SUBIDENTIFIER_OCTETS', () => {
  /** OID contents: 1.2 then one sub-identifier of `n` octets (n - 1 of 0xff, then 0x01). */
  const longArc = (n: number) => {
    const body = new Uint8Array(1 + n).fill(0xff);
    body[0] = 0x2a;
    body[n] = 0x01;
    return parseDer(derEncode(Tag.OID, body));
  };

  it('is 20 octets; a 128-bit UUID arc (19 octets) and a 20-octet arc parse', () => {
    expect(MAX_OID_SUBIDENTIFIER_OCTETS).toBe(20);
    const uuid = '2.25.' + ((1n << 128n) - 1n).toString();
    expect(decodeOid(parseDer(derOid(uuid)))).toBe(uuid);
    expect(decodeOid(longArc(20))).toBe('1.2.' + ((1n << 140n) - 1n - 0x7en).toString());
  });

  it('a 21-octet sub-identifier is refused', () => {
    parseFails(() => decodeOid(longArc(21)), /sub-identifier longer than 20 octets/);
  });

  it('a 100,000-octet sub-identifier is refused before conversion (was one BigInt() per octet)', () => {
    const w = work(() => decodeOid(longArc(100_000)));
    expectParseError(w.error, /longer than 20 octets/);
    expect(w.calls).toBeLessThanOrEqual(4);
  });

  it('many small arcs are fine (the bound is per sub-identifier)', () => {
    const oid = '1.3.' + Array.from({ length: 5000 }, (_, i) => String(i)).join('.');
    expect(decodeOid(parseDer(derOid(oid)))).toBe(oid);
  });
});

// ---------------------------------------------------------------- whole certificates

const name = (cn: string): Uint8Array =>
  derSequence(derEncode(Tag.SET, derSequence(derOid('2.5.4.3'), derUtf8String(cn))));
const time = (s: string): Uint8Array => derEncode(Tag.GeneralizedTime, new TextEncoder().encode(s));
const ED25519 = derSequence(derOid(OID.ed25519));

/** An Ed25519-signed (filler signature) v3 certificate with the given serial and extensions. */
function certificate(serial: Uint8Array, ...extensions: Uint8Array[]): Uint8Array {
  const tbs = derSequence(
    derEncode(0xa0, derInteger(2n)),
    derEncode(Tag.INTEGER, serial),
    ED25519,
    name('Bounds CA'),
    derSequence(time('20250101000000Z'), time('20491231235959Z')),
    name('bounds.test'),
    derSequence(ED25519, derBitString(new Uint8Array(32).fill(9))),
    ...(extensions.length ? [derEncode(0xa3, derSequence(...extensions))] : []),
  );
  return derSequence(tbs, ED25519, derBitString(new Uint8Array(64).fill(7)));
}

const basicConstraints = (pathLen: Uint8Array): Uint8Array =>
  derSequence(
    derOid(OID.basicConstraints),
    derBoolean(true),
    derOctetString(derSequence(derBoolean(true), derEncode(Tag.INTEGER, pathLen))),
  );

/** Certificate parsing makes a bounded number of BigInt() calls (OID arcs, small INTEGERs): far below 120,000. */
const CERT_WORK = 1_000;

describe('certificates with 120 KB fields', () => {
  it('the builder makes certificates that parse', () => {
    const c = parseCertificate(certificate(Uint8Array.of(0x01, 0x23), basicConstraints(Uint8Array.of(3))));
    expect(c.serial).toBe('0123');
    expect(c.extensions.basicConstraints).toEqual({ cA: true, pathLen: 3 });
  });

  it('a 120 KB pathLenConstraint: ERR_X509_PARSE (bad_certificate), bounded work', () => {
    const der = certificate(Uint8Array.of(1), basicConstraints(octets(120_000, 0x22)));
    const w = work(() => parseCertificate(der));
    expectParseError(w.error, /basicConstraints pathLen: value out of range/);
    expect(w.calls).toBeLessThan(CERT_WORK);
  });

  it('a 120 KB extension OID arc: ERR_X509_PARSE (bad_certificate), bounded work', () => {
    const arc = new Uint8Array(120_001).fill(0xff);
    arc[0] = 0x2a;
    arc[120_000] = 0x01;
    const ext = derSequence(derEncode(Tag.OID, arc), derOctetString(Uint8Array.of(5, 0)));
    const w = work(() => parseCertificate(certificate(Uint8Array.of(1), ext)));
    expectParseError(w.error, /longer than 20 octets/);
    expect(w.calls).toBeLessThan(CERT_WORK);
  });

  it('a 120 KB serial: ERR_X509_PARSE (bad_certificate), bounded work', () => {
    const w = work(() => parseCertificate(certificate(octets(120_000, 0x33))));
    expectParseError(w.error, /serialNumber: 120000 octets, more than 64/);
    expect(w.calls).toBeLessThan(CERT_WORK);
  });
});
