import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesEqual, concat } from '../../src/common/bytes.js';
import { ContentType } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import type { SuiteInfo } from '../../src/crypto/suites.js';
import { SUITES, suiteByName } from '../../src/crypto/suites.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import { recordTestProviders } from '../helpers/node-aead-provider.js';
import { alertOf, parse, pattern } from './support.js';
const filled = (n: number, seed = 0): Uint8Array => pattern(n, seed, 17);

const PROVIDERS = await recordTestProviders();
const provider = PROVIDERS[0]![1];
const TLS12 = SUITES.filter((s) => s.version === '1.2');
const GCM = suiteByName('ECDHE-ECDSA-AES128-GCM-SHA256')!;

function keys(suite: SuiteInfo, seed = 1): { key: Uint8Array; iv: Uint8Array } {
  return {
    key: Uint8Array.from({ length: suite.keyLength }, (_, i) => (i * 11 + seed) & 0xff),
    iv: Uint8Array.from({ length: suite.fixedIvLength }, (_, i) => (i * 5 + seed + 100) & 0xff),
  };
}

function pair(suite: SuiteInfo): { tx: SendProtection; rx: ReceiveProtection } {
  const { key, iv } = keys(suite);
  return { tx: SendProtection.tls12(provider, suite, key, iv), rx: ReceiveProtection.tls12(provider, suite, key, iv) };
}




function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n);
  return b;
}

/** The record written out from RFC 5246 §6.2.3.3, RFC 5288 §3 and RFC 7905 §2 with node:crypto. */
function expectedRecord(suite: SuiteInfo, seq: bigint, type: number, data: Uint8Array): Uint8Array {
  const { key, iv } = keys(suite);
  const aad = concat(u64(seq), Uint8Array.of(type, 3, 3, data.length >> 8, data.length & 0xff));
  let nonce: Uint8Array;
  let explicit: Uint8Array;
  if (suite.aead === 'CHACHA20-POLY1305') {
    nonce = iv.slice();
    const s = u64(seq);
    for (let i = 0; i < 8; i++) nonce[4 + i]! ^= s[i]!;
    explicit = new Uint8Array(0);
  } else {
    explicit = u64(seq);
    nonce = concat(iv, explicit);
  }
  const name = suite.aead.toLowerCase() as 'aes-128-gcm';
  const c = createCipheriv(name, key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  const body = concat(explicit, c.update(data), c.final(), c.getAuthTag());
  return concat(Uint8Array.of(type, 3, 3, body.length >> 8, body.length & 0xff), body);
}

describe.each(TLS12.map((s) => [s.name, s] as const))('TLS 1.2 AEAD protection, %s', (_name, suite) => {
  it('seals records as RFC 5246/5288/7905 lay them out', () => {
    const { tx } = pair(suite);
    for (let seq = 0n; seq < 3n; seq++) {
      const data = filled(100 + Number(seq), Number(seq));
      expect(tx.seal(ContentType.application_data, data)).toEqual(expectedRecord(suite, seq, 23, data));
    }
    expect(tx.seal(ContentType.handshake, filled(16))).toEqual(expectedRecord(suite, 3n, 22, filled(16)));
  });

  it.each([0, 1, 255, 16384])('seals and opens %i bytes', (n) => {
    const { tx, rx } = pair(suite);
    const data = filled(n, 3);
    const rec = parse(tx.seal(23, data));
    expect(rec.type).toBe(23);
    const out = rx.open(rec);
    expect(out.type).toBe(23);
    expect(bytesEqual(out.data, data)).toBe(true);
  });

  it('refuses any tampered byte, and a wrong sequence number, with bad_record_mac', () => {
    const { tx } = pair(suite);
    const good = tx.seal(22, filled(12));
    for (let i = 0; i < good.length; i++) {
      if (i === 3 || i === 4) continue; // the length: the deframer's business
      const b = good.slice();
      b[i] ^= i === 0 ? 0x03 : 0x01; // type 22 → 21: still a content type, but in the AAD
      const { rx } = pair(suite);
      const rec = { type: b[0]!, version: (b[1]! << 8) | b[2]!, header: b.subarray(0, 5), fragment: b.subarray(5) };
      expect(alertOf(() => rx.open(rec))).toBe(AlertDescription.bad_record_mac);
    }
    const { tx: t2, rx: r2 } = pair(suite);
    t2.seal(23, filled(1));
    expect(alertOf(() => r2.open(parse(t2.seal(23, filled(1)))))).toBe(AlertDescription.bad_record_mac);
  });

  it('refuses overlong plaintext with record_overflow and short records with bad_record_mac', () => {
    const { rx } = pair(suite);
    const explicit = suite.aead === 'CHACHA20-POLY1305' ? 0 : 8;
    const big = new Uint8Array(explicit + 16385 + 16);
    const h = (n: number) => Uint8Array.of(23, 3, 3, n >> 8, n & 0xff);
    expect(alertOf(() => rx.open({ type: 23, version: 0x0303, header: h(big.length), fragment: big }))).toBe(
      AlertDescription.record_overflow,
    );
    const short = new Uint8Array(explicit + 15);
    expect(alertOf(() => rx.open({ type: 23, version: 0x0303, header: h(short.length), fragment: short }))).toBe(
      AlertDescription.bad_record_mac,
    );
  });
});

describe('TLS 1.2 ChangeCipherSpec', () => {
  it('switches to pending keys at the CCS, with the sequence restarting at 0', () => {
    const { key, iv } = keys(GCM);
    const tx = SendProtection.plaintext();
    const rx = ReceiveProtection.plaintext();
    tx.seal(22, filled(5));
    tx.setPending12(provider, GCM, key, iv);
    rx.setPending12(provider, GCM, key, iv);
    expect(tx.hasPending12).toBe(true);
    expect(tx.encrypted).toBe(false);
    const ccs = parse(tx.seal(ContentType.change_cipher_spec, Uint8Array.of(1)));
    expect(rx.open(ccs)).toEqual({ type: 20, data: Uint8Array.of(1) });
    tx.changeCipherSpec12();
    rx.changeCipherSpec12();
    expect(tx.encrypted).toBe(true);
    expect(tx.protocol).toBe('1.2');
    expect(tx.hasPending12).toBe(false);
    expect(tx.trafficSecret).toBeNull();
    const fin = tx.seal(22, filled(16));
    expect(fin).toEqual(expectedRecord(GCM, 0n, 22, filled(16)));
    expect(rx.open(parse(fin)).data).toEqual(filled(16));
    expect(rx.sequence).toBe(1n);
  });

  it('refuses a CCS without pending keys with unexpected_message', () => {
    expect(alertOf(() => ReceiveProtection.plaintext().changeCipherSpec12())).toBe(AlertDescription.unexpected_message);
  });

  it('has no TLS 1.3 ratchet', () => {
    const { tx } = pair(GCM);
    expect(alertOf(() => tx.ratchet13())).toBe(AlertDescription.internal_error);
  });

  it('ignores padding, which TLS 1.2 does not have', () => {
    const { tx, rx } = pair(GCM);
    const rec = tx.seal(23, filled(10), 50);
    expect(rec.length).toBe(5 + 8 + 10 + 16);
    expect(rx.open(parse(rec)).data).toEqual(filled(10));
  });

  it('checks suite and key lengths', () => {
    const { key, iv } = keys(GCM);
    const aes13 = suiteByName('TLS_AES_128_GCM_SHA256')!;
    expect(() => SendProtection.tls12(provider, aes13, key, iv)).toThrow(RangeError);
    expect(() => SendProtection.tls12(provider, GCM, key.subarray(1), iv)).toThrow(RangeError);
    expect(() => ReceiveProtection.tls12(provider, GCM, key, new Uint8Array(12))).toThrow(RangeError);
    expect(() => SendProtection.plaintext().setPending12(provider, GCM, key, iv.subarray(1))).toThrow(RangeError);
  });
});
