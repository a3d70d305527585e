import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { HashAlgorithm } from '../../src/crypto/provider.js';

const provider = nobleProvider();
const HASHES: HashAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('hash', () => {
  for (const alg of HASHES) {
    it(`${alg} matches node for many lengths, incrementally`, () => {
      for (const len of [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 5000]) {
        const data = nodeCrypto.randomBytes(len);
        const h = provider.hash(alg);
        const cut = Math.floor(len / 3);
        h.update(data.subarray(0, cut));
        h.update(data.subarray(cut));
        expect(hex(h.digest())).toBe(nodeCrypto.createHash(alg).update(data).digest('hex'));
      }
    });

    it(`${alg} digest() does not finish the context, clone() is independent`, () => {
      const a = nodeCrypto.randomBytes(70);
      const b = nodeCrypto.randomBytes(200);
      const h = provider.hash(alg);
      expect(h.algorithm).toBe(alg);
      h.update(a);
      const d1 = h.digest();
      expect(hex(h.digest())).toBe(hex(d1)); // repeatable
      const c = h.clone();
      h.update(b);
      expect(hex(h.digest())).toBe(nodeCrypto.createHash(alg).update(a).update(b).digest('hex'));
      expect(hex(c.digest())).toBe(hex(d1));
      c.update(a);
      expect(hex(c.digest())).toBe(nodeCrypto.createHash(alg).update(a).update(a).digest('hex'));
    });
  }

  it('unknown hash is a TypeError', () => {
    expect(() => provider.hash('md5' as HashAlgorithm)).toThrow(TypeError);
  });
});

describe('hmac / hkdf', () => {
  for (const alg of HASHES) {
    it(`hmac-${alg} matches createHmac (short, block-size and long keys)`, () => {
      for (const keyLen of [0, 16, 64, 128, 200]) {
        const key = nodeCrypto.randomBytes(keyLen);
        const data = nodeCrypto.randomBytes(keyLen * 3 + 1);
        expect(hex(provider.hmac(alg, key, data))).toBe(nodeCrypto.createHmac(alg, key).update(data).digest('hex'));
      }
    });

    it(`hkdf-${alg} extract+expand matches hkdfSync`, () => {
      for (const [saltLen, ikmLen, infoLen, outLen] of [
        [0, 32, 0, 32],
        [13, 22, 10, 42],
        [32, 48, 200, 255],
        [80, 1, 1, 1],
      ] as const) {
        const salt = nodeCrypto.randomBytes(saltLen);
        const ikm = nodeCrypto.randomBytes(ikmLen);
        const info = nodeCrypto.randomBytes(infoLen);
        const prk = provider.hkdfExtract(alg, salt, ikm);
        expect(hex(prk)).toBe(nodeCrypto.createHmac(alg, salt).update(ikm).digest('hex'));
        const okm = provider.hkdfExpand(alg, prk, info, outLen);
        expect(hex(okm)).toBe(Buffer.from(nodeCrypto.hkdfSync(alg, ikm, salt, info, outLen)).toString('hex'));
      }
    });
  }

  it('RFC 5869 test case 1 (sha256)', () => {
    const ikm = Buffer.alloc(22, 0x0b);
    const salt = Buffer.from('000102030405060708090a0b0c', 'hex');
    const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
    const prk = provider.hkdfExtract('sha256', salt, ikm);
    expect(hex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(hex(provider.hkdfExpand('sha256', prk, info, 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});
