import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, concat, utf8 } from '../../src/common/bytes.js';
import { MAX_CIPHERTEXT_12, MAX_CIPHERTEXT_13 } from '../../src/common/constants.js';
import { AlertDescription, TlsError } from '../../src/common/errors.js';
import { type RawRecord, RecordDeframer } from '../../src/record/deframer.js';
import { alertOf, pattern } from './support.js';
const filled = (n: number, seed = 0): Uint8Array => pattern(n, seed, 31);

function record(type: number, fragment: Uint8Array, version = 0x0303): Uint8Array {
  const out = new Uint8Array(5 + fragment.length);
  out.set([type, version >> 8, version & 0xff, fragment.length >> 8, fragment.length & 0xff]);
  out.set(fragment, 5);
  return out;
}


function drain(d: RecordDeframer): RawRecord[] {
  const out: RawRecord[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(r);
  return out;
}


const RECORDS = [
  { type: 22, fragment: filled(300, 1), version: 0x0301 },
  { type: 20, fragment: Uint8Array.of(1), version: 0x0303 },
  { type: 23, fragment: new Uint8Array(0), version: 0x0303 },
  { type: 21, fragment: Uint8Array.of(2, 40), version: 0x0303 },
  { type: 23, fragment: filled(1000, 7), version: 0x0303 },
];
const STREAM = concat(...RECORDS.map((r) => record(r.type, r.fragment, r.version)));

function expectRecords(got: RawRecord[]): void {
  expect(got.length).toBe(RECORDS.length);
  got.forEach((r, i) => {
    const want = RECORDS[i]!;
    expect(r.type).toBe(want.type);
    expect(r.version).toBe(want.version);
    // bytesEqual: toEqual on typed arrays is slow over 1,300 splits
    expect(bytesEqual(r.fragment, want.fragment)).toBe(true);
    expect(bytesEqual(r.header, record(want.type, want.fragment, want.version).subarray(0, 5))).toBe(true);
  });
}

describe('RecordDeframer', () => {
  it('returns several records from one push', () => {
    const d = new RecordDeframer();
    d.push(STREAM);
    expectRecords(drain(d));
    expect(d.buffered).toBe(0);
    expect(d.next()).toBeNull();
  });

  it('reassembles the stream split at every byte boundary', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const d = new RecordDeframer();
      const got: RawRecord[] = [];
      d.push(STREAM.subarray(0, cut));
      got.push(...drain(d));
      d.push(STREAM.subarray(cut));
      got.push(...drain(d));
      expectRecords(got);
    }
  });

  it('reassembles the stream pushed one byte at a time', () => {
    const d = new RecordDeframer();
    const got: RawRecord[] = [];
    for (let i = 0; i < STREAM.length; i++) {
      d.push(STREAM.subarray(i, i + 1));
      got.push(...drain(d));
      expect(d.buffered).toBeLessThanOrEqual(1005);
    }
    expectRecords(got);
  });

  it('returns views of the pushed chunk, not copies, when a record lies in one chunk', () => {
    const d = new RecordDeframer();
    d.push(STREAM);
    const r = d.next()!;
    expect(r.fragment.buffer).toBe(STREAM.buffer);
    expect(r.header.buffer).toBe(STREAM.buffer);
    expect(r.fragment.byteOffset).toBe(STREAM.byteOffset + 5);
  });

  it('accepts a record of exactly the limit and refuses one byte more with record_overflow', () => {
    const d = new RecordDeframer();
    d.push(record(23, new Uint8Array(MAX_CIPHERTEXT_12)));
    expect(d.next()!.fragment.length).toBe(MAX_CIPHERTEXT_12);
    const e = new RecordDeframer();
    // the header alone is enough: the body is never waited for
    e.push(Uint8Array.of(23, 3, 3, (MAX_CIPHERTEXT_12 + 1) >> 8, (MAX_CIPHERTEXT_12 + 1) & 0xff));
    expect(alertOf(() => e.next())).toBe(AlertDescription.record_overflow);
  });

  it('setMaxFragment tightens the limit to the TLS 1.3 one', () => {
    const d = new RecordDeframer();
    d.setMaxFragment(MAX_CIPHERTEXT_13);
    d.push(record(23, new Uint8Array(MAX_CIPHERTEXT_13)));
    expect(d.next()).not.toBeNull();
    d.push(Uint8Array.of(23, 3, 3, (MAX_CIPHERTEXT_13 + 1) >> 8, (MAX_CIPHERTEXT_13 + 1) & 0xff));
    expect(alertOf(() => d.next())).toBe(AlertDescription.record_overflow);
    const small = new RecordDeframer({ maxFragment: 10 });
    small.push(record(22, new Uint8Array(11)));
    expect(alertOf(() => small.next())).toBe(AlertDescription.record_overflow);
  });

  it.each([0, 1, 19, 24, 25, 0x80, 0xff])('refuses content type %i with unexpected_message', (type) => {
    const d = new RecordDeframer();
    d.push(Uint8Array.of(type)); // one byte is enough to know
    expect(alertOf(() => d.next())).toBe(AlertDescription.unexpected_message);
  });

  it('refuses a record version that is not 3.x with protocol_version', () => {
    const d = new RecordDeframer();
    d.push(Uint8Array.of(22, 2));
    expect(alertOf(() => d.next())).toBe(AlertDescription.protocol_version);
    const e = new RecordDeframer();
    e.push(record(22, Uint8Array.of(1), 0x0400));
    expect(alertOf(() => e.next())).toBe(AlertDescription.protocol_version);
  });

  it('keeps failing with the same error once failed', () => {
    const d = new RecordDeframer();
    d.push(Uint8Array.of(99, 3, 3, 0, 0));
    let first: unknown;
    try {
      d.next();
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(TlsError);
    expect(() => d.next()).toThrow(first as Error);
    expect(() => d.push(STREAM)).toThrow(first as Error);
  });

  it.each([
    ['HTTP request', utf8('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n')],
    ['HTTP response', utf8('HTTP/1.1 400 Bad Request\r\n\r\n')],
    // SSLv2-compatible ClientHello: 2-byte header with the high bit set, msg type 1
    ['SSLv2 ClientHello', Uint8Array.of(0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10)],
    ['SMTP banner', utf8('220 mail.example.com ESMTP\r\n')],
    ['zeros', new Uint8Array(64)],
  ])('fails cleanly on %s', (_name, bytes) => {
    const d = new RecordDeframer();
    d.push(bytes);
    expect(() => drain(d)).toThrow(TlsError);
  });

  it('throws nothing but TlsError on arbitrary input, in any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (chunks) => {
        const d = new RecordDeframer({ maxFragment: 64 });
        try {
          for (const c of chunks) {
            d.push(c);
            drain(d);
          }
        } catch (e) {
          if (!(e instanceof TlsError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('checks its arguments', () => {
    expect(() => new RecordDeframer({ maxFragment: -1 })).toThrow(RangeError);
    expect(() => new RecordDeframer().setMaxFragment(70000)).toThrow(RangeError);
    expect(() => new RecordDeframer().push('x' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
