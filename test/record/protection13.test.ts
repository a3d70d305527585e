import { describe, expect, it } from 'vitest';
import { bytesEqual, concat } from '../../src/common/bytes.js';
import { ContentType, MAX_CIPHERTEXT_13 } from '../../src/common/constants.js';
import { AlertDescription, TlsError } from '../../src/common/errors.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import type { SuiteInfo } from '../../src/crypto/suites.js';
import { TLS13_SUITES, suiteByName } from '../../src/crypto/suites.js';
import { nextTrafficSecret, trafficKeys } from '../../src/crypto/tls13-kdf.js';
import { MAX_SEQUENCE, xorNonce } from '../../src/record/cipher.js';
import { type RawRecord, RecordDeframer } from '../../src/record/deframer.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import { lastNonZero } from '../../src/record/protection13.js';
import { recordTestProviders } from '../helpers/node-aead-provider.js';
import { alertOf, parse, pattern } from './support.js';
const filled = (n: number, seed = 0): Uint8Array => pattern(n, seed, 29);

const PROVIDERS = await recordTestProviders();
/** The provider under test (nobleProvider once it exists); the others check interoperation. */
const provider = PROVIDERS[0]![1];
const AES128 = suiteByName('TLS_AES_128_GCM_SHA256')!;

function secretFor(suite: SuiteInfo, seed = 1): Uint8Array {
  const n = suite.hash === 'sha384' ? 48 : 32;
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
}

function pair(suite: SuiteInfo, p: CryptoProvider = provider): { tx: SendProtection; rx: ReceiveProtection } {
  const s = secretFor(suite);
  return { tx: SendProtection.tls13(p, suite, s), rx: ReceiveProtection.tls13(p, suite, s) };
}

/** Parse exactly one record from bytes. */

function parseAll(bytes: Uint8Array): RawRecord[] {
  const d = new RecordDeframer();
  d.push(bytes);
  const out: RawRecord[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(r);
  expect(d.buffered).toBe(0);
  return out;
}



/** A record sealed by hand, inner plaintext chosen freely (to build what seal() refuses). */
function handSealed(suite: SuiteInfo, secret: Uint8Array, seq: bigint, inner: Uint8Array): RawRecord {
  const { key, iv } = trafficKeys(provider, suite.hash, secret, suite.keyLength);
  const len = inner.length + 16;
  const header = Uint8Array.of(23, 3, 3, len >> 8, len & 0xff);
  const ct = provider.aead(suite.aead, key).seal(xorNonce(iv, seq), inner, header);
  return { type: 23, version: 0x0303, header, fragment: ct };
}

const CASES = PROVIDERS.flatMap(([pname, p]) => TLS13_SUITES.map((s) => [`${s.name}, ${pname}`, s, p] as const));

describe.each(CASES)('TLS 1.3 protection, %s', (_name, suite, p) => {
  it.each([0, 1, 255, 16384])('seals and opens %i bytes', (n) => {
    const { tx, rx } = pair(suite, p);
    const data = filled(n, n);
    const rec = tx.seal(ContentType.application_data, data);
    expect(rec.length).toBe(5 + n + 1 + 16);
    expect(Array.from(rec.subarray(0, 5))).toEqual([23, 3, 3, (n + 17) >> 8, (n + 17) & 0xff]);
    const out = rx.open(parse(rec));
    expect(out.type).toBe(ContentType.application_data);
    expect(bytesEqual(out.data, data)).toBe(true);
    expect(tx.sequence).toBe(1n);
    expect(rx.sequence).toBe(1n);
  });

  it('hides the content type and keeps it through the round trip', () => {
    const { tx, rx } = pair(suite, p);
    for (const type of [ContentType.handshake, ContentType.alert, ContentType.application_data]) {
      const rec = parse(tx.seal(type, Uint8Array.of(1, 0)));
      expect(rec.type).toBe(23);
      expect(rx.open(rec).type).toBe(type);
    }
  });

  it('strips padding', () => {
    const { tx, rx } = pair(suite, p);
    for (const [n, pad] of [
      [10, 1],
      [10, 100],
      [0, 16384],
      [3, 4093],
      [16383, 1],
    ] as const) {
      const data = filled(n, 1);
      const rec = tx.seal(n === 0 ? 23 : 22, data, pad); // handshake records are never empty
      expect(rec.length).toBe(5 + n + 1 + pad + 16);
      const out = rx.open(parse(rec));
      expect(bytesEqual(out.data, data)).toBe(true);
    }
    expect(() => tx.seal(23, new Uint8Array(16384), 1)).toThrow(RangeError);
    expect(() => tx.seal(23, new Uint8Array(0), 16385)).toThrow(RangeError);
  });

  it('refuses every tampered byte with bad_record_mac (an altered outer type with unexpected_message)', () => {
    const secret = secretFor(suite);
    const rec = parse(SendProtection.tls13(p, suite, secret).seal(23, filled(20)));
    for (let i = 0; i < 5 + rec.fragment.length; i++) {
      const bytes = concat(rec.header, rec.fragment);
      bytes[i] ^= 0x01;
      const tampered: RawRecord = {
        type: bytes[0]!,
        version: (bytes[1]! << 8) | bytes[2]!,
        header: bytes.subarray(0, 5),
        fragment: bytes.subarray(5),
      };
      const rx = ReceiveProtection.tls13(p, suite, secret);
      const want = i === 0 ? AlertDescription.unexpected_message : AlertDescription.bad_record_mac;
      expect(alertOf(() => rx.open(tampered))).toBe(want);
    }
  });

  it('refuses a record opened out of order (wrong sequence number) with bad_record_mac', () => {
    const { tx, rx } = pair(suite, p);
    const r0 = parse(tx.seal(23, filled(10)));
    const r1 = parse(tx.seal(23, filled(10)));
    expect(alertOf(() => rx.open(r1))).toBe(AlertDescription.bad_record_mac);
    void r0;
  });

  it('ratchets both sides in step (RFC 8446 §7.2), and old-key records then fail', () => {
    const { tx, rx } = pair(suite, p);
    const before = tx.trafficSecret!;
    rx.open(parse(tx.seal(23, filled(5))));
    const stale = parse(tx.seal(23, filled(5))); // sealed under the old key, seq 1
    tx.ratchet13();
    rx.ratchet13();
    expect(tx.sequence).toBe(0n);
    expect(rx.sequence).toBe(0n);
    expect(tx.trafficSecret).toEqual(nextTrafficSecret(p, suite.hash, before));
    expect(rx.trafficSecret).toEqual(tx.trafficSecret);
    for (let i = 0; i < 3; i++) expect(rx.open(parse(tx.seal(23, filled(7, i)))).data).toEqual(filled(7, i));
    const rx2 = ReceiveProtection.tls13(p, suite, secretFor(suite));
    rx2.ratchet13();
    expect(alertOf(() => rx2.open(stale))).toBe(AlertDescription.bad_record_mac);
    // one side only: out of step
    tx.ratchet13();
    expect(alertOf(() => rx.open(parse(tx.seal(23, filled(3)))))).toBe(AlertDescription.bad_record_mac);
  });

  it.each(PROVIDERS.map(([n, q]) => [n, q] as const))('interoperates with %s', (_n, q) => {
    const a = pair(suite, p);
    const b = pair(suite, q);
    const data = filled(3000, 4);
    expect(bytesEqual(b.rx.open(parse(a.tx.seal(23, data, 7))).data, data)).toBe(true);
    expect(bytesEqual(a.rx.open(parse(b.tx.seal(22, data))).data, data)).toBe(true);
  });
});

describe('TLS 1.3 protection, record rules', () => {
  const secret = secretFor(AES128);
  const rx = () => ReceiveProtection.tls13(provider, AES128, secret);

  it('refuses an inner plaintext of zeros only (no content type) with unexpected_message', () => {
    expect(alertOf(() => rx().open(handSealed(AES128, secret, 0n, new Uint8Array(10))))).toBe(
      AlertDescription.unexpected_message,
    );
    expect(alertOf(() => rx().open(handSealed(AES128, secret, 0n, new Uint8Array(0))))).toBe(
      AlertDescription.unexpected_message,
    );
  });

  it('accepts 2^14 + 1 inner bytes and refuses 2^14 + 2 with record_overflow', () => {
    const ok = concat(filled(16384), Uint8Array.of(23));
    expect(rx().open(handSealed(AES128, secret, 0n, ok)).data.length).toBe(16384);
    const big = concat(filled(16385), Uint8Array.of(23));
    expect(alertOf(() => rx().open(handSealed(AES128, secret, 0n, big)))).toBe(AlertDescription.record_overflow);
    const padded = concat(filled(16384), Uint8Array.of(23, 0)); // padding counts too
    expect(alertOf(() => rx().open(handSealed(AES128, secret, 0n, padded)))).toBe(AlertDescription.record_overflow);
  });

  it('refuses a ciphertext over 2^14 + 256 with record_overflow', () => {
    const fragment = new Uint8Array(MAX_CIPHERTEXT_13 + 1);
    const header = Uint8Array.of(23, 3, 3, fragment.length >> 8, fragment.length & 0xff);
    expect(alertOf(() => rx().open({ type: 23, version: 0x0303, header, fragment }))).toBe(
      AlertDescription.record_overflow,
    );
  });

  it('refuses a record shorter than a tag with bad_record_mac', () => {
    const fragment = new Uint8Array(15);
    const header = Uint8Array.of(23, 3, 3, 0, 15);
    expect(alertOf(() => rx().open({ type: 23, version: 0x0303, header, fragment }))).toBe(
      AlertDescription.bad_record_mac,
    );
  });

  it('refuses a plaintext-typed record under protection with unexpected_message', () => {
    const rec = parse(SendProtection.plaintext().seal(22, Uint8Array.of(1, 0, 0, 0)));
    expect(alertOf(() => rx().open(rec))).toBe(AlertDescription.unexpected_message);
  });

  it.each([
    ['change_cipher_spec', 20],
    ['an unknown type', 99],
  ])('refuses a protected %s with unexpected_message', (_n, type) => {
    const rec = handSealed(AES128, secret, 0n, Uint8Array.of(1, type, 0, 0));
    expect(alertOf(() => rx().open(rec))).toBe(AlertDescription.unexpected_message);
  });

  it('refuses empty protected handshake and alert records with unexpected_message (RFC 8446 §5.4)', () => {
    for (const type of [21, 22]) {
      const rec = handSealed(AES128, secret, 0n, Uint8Array.of(type, 0, 0));
      expect(alertOf(() => rx().open(rec))).toBe(AlertDescription.unexpected_message);
    }
    expect(rx().open(handSealed(AES128, secret, 0n, Uint8Array.of(23))).data.length).toBe(0);
  });

  it('stops before the sequence number wraps (RFC 8446 §5.3)', () => {
    const { tx, rx: r } = pair(AES128);
    (tx as unknown as { seq: bigint }).seq = MAX_SEQUENCE;
    (r as unknown as { seq: bigint }).seq = MAX_SEQUENCE;
    const last = tx.seal(23, filled(4)); // seq 2^64 - 1 is still usable
    expect(r.open(parse(last)).data).toEqual(filled(4));
    expect(() => tx.seal(23, filled(4))).toThrow(TlsError);
    expect(alertOf(() => tx.seal(23, filled(4)))).toBe(AlertDescription.internal_error);
    expect(alertOf(() => r.open(parse(last)))).toBe(AlertDescription.internal_error);
    const { tx: t2 } = pair(AES128);
    (t2 as unknown as { seq: bigint }).seq = MAX_SEQUENCE - 1n;
    expect(() => t2.sealAll(23, new Uint8Array(3 * 16384))).toThrow(TlsError);
    expect(t2.sequence).toBe(MAX_SEQUENCE - 1n); // nothing was sealed
    tx.ratchet13(); // a key update is the way out
    expect(tx.sequence).toBe(0n);
    tx.seal(23, filled(1));
  });

  it('copies the traffic secret in and out', () => {
    const s = secretFor(AES128, 5);
    const tx = SendProtection.tls13(provider, AES128, s);
    const rx2 = ReceiveProtection.tls13(provider, AES128, secretFor(AES128, 5));
    s.fill(0);
    tx.trafficSecret!.fill(0);
    expect(tx.trafficSecret).toEqual(secretFor(AES128, 5));
    expect(rx2.open(parse(tx.seal(23, filled(9)))).data).toEqual(filled(9));
  });

  it('checks its arguments', () => {
    const { tx } = pair(AES128);
    expect(() => tx.seal(23, new Uint8Array(16385))).toThrow(RangeError);
    expect(() => tx.seal(24, filled(1))).toThrow(RangeError);
    expect(() => tx.seal(19, filled(1))).toThrow(RangeError);
    expect(() => tx.seal(22, new Uint8Array(0))).toThrow(RangeError);
    expect(() => tx.seal(23, filled(1), -1)).toThrow(RangeError);
    expect(() => tx.seal(23, 'x' as unknown as Uint8Array)).toThrow(TypeError);
    const tls12 = suiteByName('ECDHE-RSA-AES128-GCM-SHA256')!;
    expect(() => SendProtection.tls13(provider, tls12, secretFor(AES128))).toThrow(RangeError);
    expect(tx.sequence).toBe(0n);
  });

  it('refuses use after dispose()', () => {
    const { tx, rx: r } = pair(AES128);
    const rec = parse(tx.seal(23, filled(3)));
    tx.dispose();
    r.dispose();
    expect(() => tx.seal(23, filled(3))).toThrow(TlsError);
    expect(() => r.open(rec)).toThrow(TlsError);
    expect(tx.trafficSecret).toBeNull();
  });
});

describe('SendProtection.sealAll', () => {
  it('gives no records for empty application data, and refuses empty handshake data', () => {
    const { tx } = pair(AES128);
    expect(tx.sealAll(23, new Uint8Array(0)).length).toBe(0);
    expect(tx.sequence).toBe(0n);
    expect(() => tx.sealAll(22, new Uint8Array(0))).toThrow(RangeError);
    expect(() => tx.sealAll(21, new Uint8Array(0))).toThrow(RangeError);
  });

  it('fills 2^14-byte records into one buffer and they open in order', () => {
    const { tx, rx } = pair(AES128);
    const data = filled(40000, 3);
    const out = tx.sealAll(23, data);
    const recs = parseAll(out);
    expect(recs.map((r) => r.fragment.length - 17)).toEqual([16384, 16384, 7232]);
    expect(tx.sequence).toBe(3n);
    const back = concat(...recs.map((r) => rx.open(r).data));
    expect(bytesEqual(back, data)).toBe(true);
  });

  it('honours maxFragment and clamps padding per record', () => {
    const { tx, rx } = pair(AES128);
    const data = filled(2500, 1);
    const recs = parseAll(tx.sealAll(22, data, 1000, 10));
    expect(recs.map((r) => r.fragment.length)).toEqual([1027, 1027, 527]);
    expect(bytesEqual(concat(...recs.map((r) => rx.open(r).data)), data)).toBe(true);
    const full = parseAll(tx.sealAll(23, filled(16385), 16384, 5));
    expect(full.map((r) => r.fragment.length)).toEqual([16384 + 17, 1 + 17 + 5]);
    expect(() => tx.sealAll(23, data, 0)).toThrow(RangeError);
    expect(() => tx.sealAll(23, data, 16385)).toThrow(RangeError);
  });

  it('carries a large flight through the deframer in arbitrary chunks', () => {
    const { tx, rx } = pair(suiteByName('TLS_CHACHA20_POLY1305_SHA256')!);
    const data = filled(100_000, 8);
    const wire = tx.sealAll(23, data);
    const d = new RecordDeframer();
    d.setMaxFragment(MAX_CIPHERTEXT_13);
    const parts: Uint8Array[] = [];
    for (let o = 0, step = 1; o < wire.length; o += step, step = (step * 7 + 3) % 9000) {
      d.push(wire.subarray(o, o + step));
      for (let r = d.next(); r; r = d.next()) parts.push(rx.open(r).data);
    }
    expect(bytesEqual(concat(...parts), data)).toBe(true);
  });
});

describe('plaintext protection', () => {
  it('frames records with legacy_record_version 0x0303 (or 0x0301 on request)', () => {
    const tx = SendProtection.plaintext();
    expect(tx.encrypted).toBe(false);
    expect(Array.from(tx.seal(22, Uint8Array.of(1, 2, 3)))).toEqual([22, 3, 3, 0, 3, 1, 2, 3]);
    expect(Array.from(SendProtection.plaintext(0x0301).seal(22, Uint8Array.of(9)))).toEqual([22, 3, 1, 0, 1, 9]);
    expect(() => SendProtection.plaintext(0x0304)).toThrow(RangeError);
    expect(tx.sequence).toBe(0n);
    expect(tx.trafficSecret).toBeNull();
    const all = parseAll(tx.sealAll(22, filled(20000), 16384, 100));
    expect(all.map((r) => r.fragment.length)).toEqual([16384, 3616]);
  });

  it('opens a record as it is, checking lengths', () => {
    const rx = ReceiveProtection.plaintext();
    const rec = parse(SendProtection.plaintext().seal(21, Uint8Array.of(2, 40)));
    const out = rx.open(rec);
    expect(out.type).toBe(21);
    expect(out.data).toBe(rec.fragment);
    const big = new Uint8Array(16385);
    const header = Uint8Array.of(23, 3, 3, big.length >> 8, big.length & 0xff);
    expect(alertOf(() => rx.open({ type: 23, version: 0x0303, header, fragment: big }))).toBe(
      AlertDescription.record_overflow,
    );
    const empty = { type: 22, version: 0x0303, header: Uint8Array.of(22, 3, 3, 0, 0), fragment: new Uint8Array(0) };
    expect(alertOf(() => rx.open(empty))).toBe(AlertDescription.unexpected_message);
  });

  it('has no TLS 1.3 keys to ratchet', () => {
    expect(alertOf(() => SendProtection.plaintext().ratchet13())).toBe(AlertDescription.internal_error);
    expect(alertOf(() => ReceiveProtection.plaintext().ratchet13())).toBe(AlertDescription.internal_error);
  });
});

describe('lastNonZero', () => {
  it('finds the content type behind any amount of padding at any alignment', () => {
    const buf = new Uint8Array(200);
    for (let off = 0; off < 5; off++) {
      for (let len = 0; len < 60; len++) {
        for (let at = -1; at < len; at++) {
          buf.fill(0);
          const view = buf.subarray(off, off + len);
          if (at >= 0) view[at] = 0x17;
          if (at > 0) view[0] = 1;
          expect(lastNonZero(view)).toBe(at);
        }
      }
    }
  });
});
