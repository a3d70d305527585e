import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import { aeadKeyLength, type AeadAlgorithm } from '../../src/crypto/provider.js';

const provider = nobleProvider();
const NODE_NAME: Record<AeadAlgorithm, nodeCrypto.CipherGCMTypes | nodeCrypto.CipherChaCha20Poly1305Types> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};
const ALGS = Object.keys(NODE_NAME) as AeadAlgorithm[];

function nodeSeal(alg: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Buffer {
  const c = nodeCrypto.createCipheriv(NODE_NAME[alg] as nodeCrypto.CipherGCMTypes, key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

/** `data` copied into a buffer at `offset`, so the view is (mis)aligned like a record body. */
function at(data: Uint8Array, offset: number): Uint8Array {
  const b = new Uint8Array(data.length + offset);
  b.set(data, offset);
  return b.subarray(offset);
}

describe('AEAD against node:crypto', () => {
  for (const alg of ALGS) {
    it(`${alg}: seal equals createCipheriv, open round-trips`, () => {
      const key = nodeCrypto.randomBytes(aeadKeyLength[alg]);
      const aead = provider.aead(alg, key);
      expect(aead.algorithm).toBe(alg);
      for (const size of [0, 1, 15, 16, 17, 1000, 16384, 16384 + 256]) {
        for (const aadLen of [0, 5, 13, 16, 40]) {
          const offset = (size + aadLen) % 4; // exercise unaligned inputs
          const nonce = nodeCrypto.randomBytes(12);
          const aad = nodeCrypto.randomBytes(aadLen);
          const pt = at(nodeCrypto.randomBytes(size), offset);
          const expected = nodeSeal(alg, key, nonce, pt, aad);
          const sealed = aead.seal(nonce, pt, aad);
          expect(Buffer.from(sealed).equals(expected)).toBe(true);
          const opened = aead.open(nonce, at(expected, 5), aad);
          expect(opened).not.toBeNull();
          expect(Buffer.from(opened!).equals(Buffer.from(pt))).toBe(true);
        }
      }
    });

    it(`${alg}: two instances with different keys stay independent over many records`, () => {
      const k1 = nodeCrypto.randomBytes(aeadKeyLength[alg]);
      const k2 = nodeCrypto.randomBytes(aeadKeyLength[alg]);
      const a1 = provider.aead(alg, k1);
      const a2 = provider.aead(alg, k2);
      for (let i = 0; i < 20; i++) {
        const nonce = nodeCrypto.randomBytes(12);
        const pt = nodeCrypto.randomBytes(i * 37);
        const aad = nodeCrypto.randomBytes(13);
        expect(Buffer.from(a1.seal(nonce, pt, aad)).equals(nodeSeal(alg, k1, nonce, pt, aad))).toBe(true);
        expect(Buffer.from(a2.seal(nonce, pt, aad)).equals(nodeSeal(alg, k2, nonce, pt, aad))).toBe(true);
      }
    });

    it(`${alg}: tampering anywhere gives null, never a throw`, () => {
      const key = nodeCrypto.randomBytes(aeadKeyLength[alg]);
      const aead = provider.aead(alg, key);
      const nonce = nodeCrypto.randomBytes(12);
      const aad = nodeCrypto.randomBytes(13);
      const pt = nodeCrypto.randomBytes(100);
      const ct = aead.seal(nonce, pt, aad);
      for (const i of [0, 50, 99, 100, 115]) {
        const bad = ct.slice();
        bad[i]! ^= 0x01;
        expect(aead.open(nonce, bad, aad)).toBeNull();
      }
      const badAad = aad.slice();
      badAad[0]! ^= 0x80;
      expect(aead.open(nonce, ct, badAad)).toBeNull();
      const badNonce = nonce.slice();
      badNonce[11]! ^= 1;
      expect(aead.open(badNonce, ct, aad)).toBeNull();
      expect(aead.open(nonce, ct.subarray(0, ct.length - 1), aad)).toBeNull(); // truncated
      expect(aead.open(nonce, new Uint8Array(0), aad)).toBeNull();
      expect(aead.open(nonce, new Uint8Array(15), aad)).toBeNull();
      expect(aead.open(nonce, new Uint8Array(16), aad)).toBeNull();
      expect(aead.open(new Uint8Array(8), ct, aad)).toBeNull(); // wrong nonce length
      expect(provider.aead(alg, nodeCrypto.randomBytes(aeadKeyLength[alg])).open(nonce, ct, aad)).toBeNull();
    });

    it(`${alg}: bad key or nonce length is a TypeError on setup/seal`, () => {
      expect(() => provider.aead(alg, new Uint8Array(aeadKeyLength[alg] + 1))).toThrow(TypeError);
      const aead = provider.aead(alg, new Uint8Array(aeadKeyLength[alg]));
      expect(() => aead.seal(new Uint8Array(11), new Uint8Array(1), new Uint8Array(0))).toThrow(TypeError);
    });
  }

  it('the AEAD keeps working after the caller wipes its key', () => {
    for (const alg of ALGS) {
      const key = nodeCrypto.randomBytes(aeadKeyLength[alg]);
      const copy = Buffer.from(key);
      const aead = provider.aead(alg, key);
      key.fill(0);
      const nonce = nodeCrypto.randomBytes(12);
      const pt = nodeCrypto.randomBytes(33);
      expect(Buffer.from(aead.seal(nonce, pt, new Uint8Array(0))).equals(nodeSeal(alg, copy, nonce, pt, new Uint8Array(0)))).toBe(
        true,
      );
    }
  });

  it('random sizes agree with node (property-style)', () => {
    for (let i = 0; i < 60; i++) {
      const alg = ALGS[i % 3]!;
      const key = nodeCrypto.randomBytes(aeadKeyLength[alg]);
      const nonce = nodeCrypto.randomBytes(12);
      const pt = nodeCrypto.randomBytes(nodeCrypto.randomInt(0, 3000));
      const aad = nodeCrypto.randomBytes(nodeCrypto.randomInt(0, 300));
      const ct = provider.aead(alg, key).seal(nonce, pt, aad);
      expect(Buffer.from(ct).equals(nodeSeal(alg, key, nonce, pt, aad))).toBe(true);
    }
  });
});
