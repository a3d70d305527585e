/** The strict DER reader, the DER writer, and PEM / base64. */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/common/bytes.js';
import { TlsError } from '../../src/common/errors.js';
import {
  DerReader,
  Tag,
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeOid,
  decodeString,
  decodeTime,
  derBitString,
  derBoolean,
  derInteger,
  derOid,
  derSequence,
  derUtf8String,
  parseDer,
} from '../../src/x509/der.js';
import { ENCRYPTED_KEY_MESSAGE, base64Decode, base64Encode, pemDecode, pemEncode } from '../../src/x509/pem.js';

function parseFails(fn: () => unknown, detail?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).code).toBe('ERR_X509_PARSE');
    expect((e as TlsError).alert).toBe(42);
    if (detail) expect((e as TlsError).message).toMatch(detail);
    return;
  }
  throw new Error('expected a parse failure');
}

const el = (hex: string) => parseDer(fromHex(hex));

describe('DER reader', () => {
  it('reads nested structures with short and long lengths', () => {
    const long = new Uint8Array(300).fill(7);
    const der = derSequence(derInteger(5n), derSequence(derBoolean(true)), derEncodeOctets(long));
    const r = new DerReader(parseDer(der, Tag.SEQUENCE).value);
    expect(decodeInteger(r.next(Tag.INTEGER))).toBe(5n);
    expect(decodeBoolean(r.sequence().next(Tag.BOOLEAN))).toBe(true);
    expect(r.next(Tag.OCTET_STRING).value).toEqual(long);
    r.end();
  });

  it.each([
    ['indefinite length', '3080 0000', /indefinite/],
    ['non-minimal long form', '308103 020100', /non-minimal length/],
    ['leading zero length byte', '30820003 020100', /non-minimal length/],
    ['length over 4 bytes', '3085 0000000003', /too large/],
    ['truncated contents', '3005 020100', /truncated/],
    ['truncated length', '3082 00', /truncated/],
    ['empty input', '', /end of data/],
    ['trailing bytes', '3003 020100 00', /trailing/],
    ['high tag number', '1f8101 00', /multi-byte tags/],
  ])('rejects %s', (_n, hex, re) => parseFails(() => el(hex.replace(/ /g, '')), re));

  it('checks tags', () => {
    parseFails(() => parseDer(fromHex('020100'), Tag.SEQUENCE), /expected tag 0x30/);
    parseFails(() => new DerReader(fromHex('')).next(), /end of data/);
  });

  it('INTEGER: minimal two’s complement', () => {
    expect(decodeInteger(el('020100'))).toBe(0n);
    expect(decodeInteger(el('0201ff'))).toBe(-1n);
    expect(decodeInteger(el('02020080'))).toBe(128n);
    expect(decodeInteger(el('0202ff7f'))).toBe(-129n);
    parseFails(() => decodeInteger(el('02020001')), /non-minimal INTEGER/);
    parseFails(() => decodeInteger(el('0202ff80')), /non-minimal INTEGER/);
    parseFails(() => decodeInteger(el('0200')), /empty INTEGER/);
    for (const n of [0n, 1n, 127n, 128n, 255n, 256n, -1n, -128n, -129n, 2n ** 64n, -(2n ** 64n), 2n ** 2048n - 1n]) {
      expect(decodeInteger(parseDer(derInteger(n)))).toBe(n);
    }
  });

  it('BIT STRING: unused bits', () => {
    expect(decodeBitString(el('03020780'))).toEqual({ bytes: fromHex('80'), unusedBits: 7 });
    expect(decodeBitString(el('030100')).bytes.length).toBe(0);
    parseFails(() => decodeBitString(el('030208ff')), /unused-bit count/);
    parseFails(() => decodeBitString(el('030201ff')), /not zero/);
    parseFails(() => decodeBitString(el('030101')), /empty BIT STRING/);
    parseFails(() => decodeBitString(el('0300')), /empty BIT STRING/);
    expect(decodeBitString(parseDer(derBitString(fromHex('a0'), 5))).unusedBits).toBe(5);
  });

  it('BOOLEAN: 0x00 or 0xff only', () => {
    expect(decodeBoolean(el('010100'))).toBe(false);
    parseFails(() => decodeBoolean(el('010101')), /0x00 or 0xff/);
    parseFails(() => decodeBoolean(el('01020000')), /length/);
  });

  it('OID: round trip and minimal sub-identifiers', () => {
    for (const oid of ['1.2.840.113549.1.1.11', '2.5.29.17', '0.9.2342.19200300.100.1.25', '2.999.3', '1.3.6.1.4.1.311.60.2.1.3', '2.25.329800735698586629295641978511506172918']) {
      expect(decodeOid(parseDer(derOid(oid)))).toBe(oid);
    }
    parseFails(() => decodeOid(el('0603808101')), /non-minimal/);
    parseFails(() => decodeOid(el('06022a86')), /truncated OID/);
    parseFails(() => decodeOid(el('0600')), /empty OID/);
  });

  it('times: UTCTime pivot, GeneralizedTime, strict forms', () => {
    const t = (tag: number, s: string) => decodeTime({ tag, value: new TextEncoder().encode(s), raw: new Uint8Array() });
    expect(t(Tag.UTCTime, '500101000000Z')).toBe(Date.UTC(1950, 0, 1));
    expect(t(Tag.UTCTime, '491231235959Z')).toBe(Date.UTC(2049, 11, 31, 23, 59, 59));
    expect(t(Tag.GeneralizedTime, '99991231235959Z')).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
    expect(t(Tag.GeneralizedTime, '00010101000000Z')).toBe(new Date('0001-01-01T00:00:00Z').getTime());
    expect(t(Tag.UTCTime, '240229120000Z')).toBe(Date.UTC(2024, 1, 29, 12));
    for (const bad of ['2302291200Z', '230229120000Z', '231301000000Z', '230101240000Z', '230101000060Z', '230101000000', '230101000000+0100', '2301010000Z']) {
      parseFails(() => t(Tag.UTCTime, bad));
    }
    for (const bad of ['20230101000000.5Z', '202301010000Z', '20230101000000']) parseFails(() => t(Tag.GeneralizedTime, bad));
    parseFails(() => t(Tag.INTEGER, '230101000000Z'), /expected UTCTime/);
  });

  it('strings', () => {
    expect(decodeString(parseDer(derUtf8String('Grüße ✓')))).toBe('Grüße ✓');
    expect(decodeString(el('1e0400e900df'))).toBe('éß'); // BMPString
    expect(decodeString(el('1c080001f60000000041'))).toBe('😀A'); // UniversalString
    expect(decodeString(el('1403e9e0e8'))).toBe('éàè'); // T61String as Latin-1
    parseFails(() => decodeString(el('0c02c328')), /UTF-8/);
    parseFails(() => decodeString(el('1e0300e9ff')), /BMPString/);
    parseFails(() => decodeString(el('1c0400110000')), /code point/);
    parseFails(() => decodeString(el('020100')), /not a string/);
  });
});

function derEncodeOctets(b: Uint8Array): Uint8Array {
  const n = b.length;
  return Uint8Array.from([0x04, 0x82, n >> 8, n & 0xff, ...b]);
}

describe('PEM and base64', () => {
  it('base64 agrees with Buffer for all lengths', () => {
    for (let n = 0; n < 70; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const s = Buffer.from(b).toString('base64');
      expect(base64Encode(b)).toBe(s);
      expect(base64Decode(s)).toEqual(b);
    }
    parseFails(() => base64Decode('abc'), /multiple of 4/);
    parseFails(() => base64Decode('ab$='), /invalid character/);
    parseFails(() => base64Decode('a=bc'), /invalid character/);
    parseFails(() => base64Decode('YR=='), /non-canonical/);
  });

  it('decodes several blocks, skipping text between them', () => {
    const a = pemEncode('CERTIFICATE', fromHex('3000'));
    const b = pemEncode('EC PARAMETERS', fromHex('06082a8648ce3d030107'));
    const blocks = pemDecode(`junk\n${a}more junk\r\n${b.replace(/\n/g, '\r\n')}`);
    expect(blocks.map((x) => x.label)).toEqual(['CERTIFICATE', 'EC PARAMETERS']);
    expect(blocks[1]!.der).toEqual(fromHex('06082a8648ce3d030107'));
    expect(pemDecode(new TextEncoder().encode(a))[0]!.der).toEqual(fromHex('3000'));
    expect(pemDecode('no pem')).toEqual([]);
  });

  it('refuses encrypted keys clearly, and mismatched labels', () => {
    parseFails(() => pemDecode('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n'), new RegExp(ENCRYPTED_KEY_MESSAGE));
    const legacy = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nMAA=\n-----END RSA PRIVATE KEY-----\n';
    parseFails(() => pemDecode(legacy), new RegExp(ENCRYPTED_KEY_MESSAGE));
    parseFails(() => pemDecode('-----BEGIN CERTIFICATE-----\nMAA=\n-----END PRIVATE KEY-----\n'), /closed by/);
  });
});
