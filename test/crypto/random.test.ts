import { describe, expect, it } from 'vitest';
import { chacha20 } from '@noble/ciphers/chacha.js';
import * as nodeCrypto from 'node:crypto';
import { nobleProvider, systemRandom } from '../../src/crypto/noble.js';
import { deterministicRandom, scriptedRandom, testProvider } from '../../src/crypto/random.js';
import { NamedGroup } from '../../src/common/constants.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('deterministicRandom', () => {
  it('is reproducible, seed-dependent and independent of request sizes', () => {
    const a = deterministicRandom(new Uint8Array([1, 2, 3]));
    const b = deterministicRandom(new Uint8Array([1, 2, 3]));
    const c = deterministicRandom(new Uint8Array([1, 2, 4]));
    const whole = a(10000);
    const parts = [b(1), b(0), b(63), b(64), b(4000), b(5872)];
    expect(hex(Buffer.concat(parts))).toBe(hex(whole));
    expect(hex(c(32))).not.toBe(hex(whole.subarray(0, 32)));
  });

  it('is the ChaCha20 keystream under SHA-256(seed)', () => {
    const seed = new TextEncoder().encode('seed');
    const key = nodeCrypto.createHash('sha256').update(seed).digest();
    const expected = chacha20(key, new Uint8Array(12), new Uint8Array(100));
    expect(hex(deterministicRandom(seed)(100))).toBe(hex(expected));
  });

  it('returns fresh arrays; wiping one does not change the stream', () => {
    const r1 = deterministicRandom(new Uint8Array(0));
    const r2 = deterministicRandom(new Uint8Array(0));
    const x = r1(16);
    x.fill(0);
    r1(16);
    expect(hex(r1(16))).toBe(hex(r2(48).subarray(32)));
  });

  it('rejects bad lengths', () => {
    const r = deterministicRandom(new Uint8Array(1));
    expect(() => r(-1)).toThrow(RangeError);
    expect(() => r(1.5)).toThrow(RangeError);
  });
});

describe('scriptedRandom', () => {
  it('hands out chunks in order, then the fallback', () => {
    const fb = deterministicRandom(new Uint8Array([9]));
    const r = scriptedRandom([new Uint8Array([1, 2]), new Uint8Array([3, 4, 5])], fb);
    expect([...r(2)]).toEqual([1, 2]);
    expect([...r(3)]).toEqual([3, 4, 5]);
    expect(hex(r(8))).toBe(hex(deterministicRandom(new Uint8Array([9]))(8)));
  });

  it('a length mismatch names both lengths', () => {
    const r = scriptedRandom([new Uint8Array(32)]);
    expect(() => r(16)).toThrow(/32 bytes.*16 bytes/);
  });

  it('without a fallback, running out throws', () => {
    const r = scriptedRandom([new Uint8Array(1)]);
    r(1);
    expect(() => r(4)).toThrow(/no fallback/);
  });

  it('returns copies', () => {
    const chunk = new Uint8Array([7, 7]);
    const r = scriptedRandom([chunk]);
    r(2).fill(0);
    expect([...chunk]).toEqual([7, 7]);
  });
});

describe('providers', () => {
  it('testProvider: same seed, same keys; fixed clock', () => {
    const a = testProvider('seed');
    const b = testProvider(new TextEncoder().encode('seed'));
    expect(hex(a.keyExchange(NamedGroup.x25519).publicKey)).toBe(hex(b.keyExchange(NamedGroup.x25519).publicKey));
    expect(hex(a.randomBytes(32))).toBe(hex(b.randomBytes(32)));
    expect(a.nowMs()).toBe(1_700_000_000_000);
    expect(testProvider('x', 42).nowMs()).toBe(42);
    expect(hex(testProvider('other').randomBytes(32))).not.toBe(hex(testProvider('seed').randomBytes(32)));
  });

  it('nobleProvider: system randomness in 64 KiB chunks, Date.now clock, options honoured', () => {
    const big = systemRandom(200_000);
    expect(big.length).toBe(200_000);
    expect(big.subarray(150_000).some((x) => x !== 0)).toBe(true);
    const p = nobleProvider();
    expect(p.randomBytes(0).length).toBe(0);
    expect(hex(p.randomBytes(32))).not.toBe(hex(p.randomBytes(32)));
    expect(Math.abs(p.nowMs() - Date.now())).toBeLessThan(1000);
    const q = nobleProvider({ clock: () => 5, random: (n) => new Uint8Array(n).fill(1) });
    expect(q.nowMs()).toBe(5);
    expect([...q.randomBytes(3)]).toEqual([1, 1, 1]);
    const liar = nobleProvider({ random: () => new Uint8Array(1) });
    expect(() => liar.randomBytes(2)).toThrow(/asked for 2/);
    expect(() => p.randomBytes(-1)).toThrow(RangeError);
  });
});
