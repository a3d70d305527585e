/**
 * The node:crypto provider (src/crypto/node-crypto.ts) cross-checked against
 * the default @noble provider, primitive by primitive: the same outputs
 * (hashes, HMAC, HKDF, AEAD, key shares and shared secrets from the same
 * random stream, RSA PKCS#1 v1.5 / RSA-PSS / Ed25519 signatures byte for
 * byte), signatures of one verified by the other, and the same rejections
 * (AEAD forgeries → null, invalid key shares → the same TlsError, bad
 * signatures → false, never a throw from open / verify).
 */
import * as nodeCrypto from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { NamedGroup } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import { nodeCryptoProvider } from '../../src/crypto/node-crypto.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import {
  aeadKeyLength,
  hashLength,
  type AeadAlgorithm,
  type CryptoProvider,
  type EcCurve,
  type HashAlgorithm,
  type PrivateKey,
  type PublicKey,
  type SignatureAlgorithm,
} from '../../src/crypto/provider.js';
import { deterministicRandom } from '../../src/crypto/random.js';
import { bigIntToBytes, byteLength } from '../../src/crypto/rsa.js';
import { ffdhePrime, type FfdheGroupName } from '../../src/crypto/ffdhe.js';
import { parsePrivateKey, publicKeyOf } from '../../src/x509/keys.js';
import { fcRuns } from '../helpers/fc.js';

const noble = nobleProvider();
const node = nodeCryptoProvider();
const PROVIDERS: readonly [string, CryptoProvider][] = [
  ['noble', noble],
  ['node', node],
];

const HASHES: readonly HashAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const AEADS: readonly AeadAlgorithm[] = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const rand = (n: number): Uint8Array => new Uint8Array(nodeCrypto.randomBytes(n));

/** Both providers made with the same deterministic random stream. */
function twins(seed: string): { a: CryptoProvider; b: CryptoProvider } {
  const s = new TextEncoder().encode(seed);
  return {
    a: nobleProvider({ random: deterministicRandom(s) }),
    b: nodeCryptoProvider({ random: deterministicRandom(s) }),
  };
}

/** What a call did: its output (hex) or what it threw (class, TlsError code and alert). */
function outcome(f: () => Uint8Array | null | boolean): string {
  try {
    const r = f();
    return r instanceof Uint8Array ? `ok ${hex(r)}` : `ok ${String(r)}`;
  } catch (e) {
    if (e instanceof TlsError) return `TlsError ${e.code} alert=${e.alert}`;
    return `throws ${e instanceof Error ? e.constructor.name : typeof e}`;
  }
}

// ─────────────────────────────────────────────────────────────── randomness, clock

describe('randomness and the clock', () => {
  it('randomBytes: fresh bytes of the asked length; the same checks as noble', () => {
    const a = node.randomBytes(32);
    const b = node.randomBytes(32);
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(hex(a)).not.toBe(hex(b));
    expect(node.randomBytes(0).length).toBe(0);
    expect(node.randomBytes(70_000).length).toBe(70_000);
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(outcome(() => node.randomBytes(bad))).toBe(outcome(() => noble.randomBytes(bad)));
    }
  });

  it('options.random and options.clock are used as by nobleProvider', () => {
    const { a, b } = twins('random');
    expect(hex(b.randomBytes(100))).toBe(hex(a.randomBytes(100)));
    const p = nodeCryptoProvider({ clock: () => 1234, random: () => new Uint8Array(3) });
    expect(p.nowMs()).toBe(1234);
    expect(() => p.randomBytes(4)).toThrow(/random source returned 3 bytes/);
    expect(Math.abs(node.nowMs() - Date.now())).toBeLessThan(1000);
  });
});

// ─────────────────────────────────────────────────────────────── hashes, HMAC, HKDF

describe('hashes', () => {
  it.each(HASHES)('%s: incremental digest() and clone() equal noble at every step', (alg) => {
    const x = node.hash(alg);
    const y = noble.hash(alg);
    expect(x.algorithm).toBe(alg);
    expect(hex(x.digest())).toBe(hex(y.digest())); // empty input
    expect(x.digest().length).toBe(hashLength[alg]);
    for (const size of [1, 55, 56, 64, 111, 128, 1000]) {
      const d = rand(size);
      x.update(d);
      y.update(d);
      expect(hex(x.digest())).toBe(hex(y.digest()));
    }
    const xc = x.clone();
    const yc = y.clone();
    xc.update(new Uint8Array([1]));
    yc.update(new Uint8Array([1]));
    expect(hex(xc.digest())).toBe(hex(yc.digest()));
    expect(hex(x.digest())).toBe(hex(y.digest())); // the original did not see the clone's byte
    expect(hex(x.digest())).not.toBe(hex(xc.digest()));
  });

  it('an unknown hash is a TypeError on both', () => {
    const bad = 'md5' as HashAlgorithm;
    for (const [, p] of PROVIDERS) {
      expect(() => p.hash(bad)).toThrow(TypeError);
      expect(() => p.hmac(bad, rand(4), rand(4))).toThrow(TypeError);
    }
  });

  it('property: digest of chunked input equals noble (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (alg, chunks) => {
        const x = node.hash(alg);
        const y = noble.hash(alg);
        for (const c of chunks) {
          x.update(c);
          y.update(c);
        }
        return hex(x.digest()) === hex(y.digest());
      }),
      fcRuns(200),
    );
  });
});

describe('HMAC and HKDF', () => {
  it.each(HASHES)('%s: HMAC for short, block-size and long keys equals noble', (alg) => {
    for (const keyLen of [0, 1, 32, 64, 128, 200]) {
      const key = rand(keyLen);
      const data = rand(77);
      expect(hex(node.hmac(alg, key, data))).toBe(hex(noble.hmac(alg, key, data)));
    }
  });

  it.each(HASHES)('%s: HKDF extract (incl. empty salt) and expand at every length boundary equal noble', (alg) => {
    const hLen = hashLength[alg];
    for (const salt of [new Uint8Array(0), new Uint8Array(hLen), rand(hLen), rand(100)]) {
      const ikm = rand(42);
      expect(hex(node.hkdfExtract(alg, salt, ikm))).toBe(hex(noble.hkdfExtract(alg, salt, ikm)));
    }
    const prk = noble.hkdfExtract(alg, rand(hLen), rand(32));
    const info = rand(20);
    for (const len of [0, 1, hLen - 1, hLen, hLen + 1, 2 * hLen, 255 * hLen]) {
      expect(hex(node.hkdfExpand(alg, prk, info, len)), `length ${len}`).toBe(hex(noble.hkdfExpand(alg, prk, info, len)));
    }
    expect(() => noble.hkdfExpand(alg, prk, info, 255 * hLen + 1)).toThrow();
    expect(() => node.hkdfExpand(alg, prk, info, 255 * hLen + 1)).toThrow();
  });

  it('property: HMAC / HKDF on random inputs equal noble (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        fc.uint8Array({ maxLength: 150 }),
        fc.uint8Array({ maxLength: 150 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 0, max: 300 }),
        (alg, key, data, info, len) => {
          if (hex(node.hmac(alg, key, data)) !== hex(noble.hmac(alg, key, data))) return false;
          const prk = node.hkdfExtract(alg, key, data);
          if (hex(prk) !== hex(noble.hkdfExtract(alg, key, data))) return false;
          return hex(node.hkdfExpand(alg, prk, info, len)) === hex(noble.hkdfExpand(alg, prk, info, len));
        },
      ),
      fcRuns(200),
    );
  });
});

// ─────────────────────────────────────────────────────────────── AEADs

describe('AEAD', () => {
  it.each(AEADS)('%s: seal equals noble for every size; each opens the other', (alg) => {
    const key = rand(aeadKeyLength[alg]);
    const x = node.aead(alg, key);
    const y = noble.aead(alg, key);
    expect(x.algorithm).toBe(alg);
    for (const size of [0, 1, 15, 16, 17, 1000, 16384, 16384 + 256]) {
      for (const aadLen of [0, 5, 13]) {
        const nonce = rand(12);
        const aad = rand(aadLen);
        const pt = rand(size);
        const sx = x.seal(nonce, pt, aad);
        const sy = y.seal(nonce, pt, aad);
        expect(sx.length).toBe(size + 16);
        expect(hex(sx)).toBe(hex(sy));
        expect(hex(y.open(nonce, sx, aad)!)).toBe(hex(pt));
        expect(hex(x.open(nonce, sy, aad)!)).toBe(hex(pt));
        // unaligned views, as record bodies are
        const shifted = new Uint8Array(sy.length + 3);
        shifted.set(sy, 3);
        expect(hex(x.open(nonce, shifted.subarray(3), aad)!)).toBe(hex(pt));
      }
    }
  });

  it.each(AEADS)('%s: sealTo writes what seal returns, in place and at every alignment, leaving the bytes around untouched', (alg) => {
    const key = rand(aeadKeyLength[alg]);
    for (const [pname, p] of PROVIDERS) {
      const a = p.aead(alg, key);
      expect(typeof a.sealTo, pname).toBe('function');
      for (const size of [0, 1, 17, 16385]) {
        for (const offset of [0, 1, 2, 3, 5]) {
          const nonce = rand(12);
          const aad = rand(5);
          const pt = rand(size);
          const expected = hex(a.seal(nonce, pt, aad));
          // from a separate plaintext
          const out = new Uint8Array(offset + size + 16 + 4).fill(0xee);
          a.sealTo!(nonce, pt, aad, out, offset);
          expect(hex(out.subarray(offset, offset + size + 16)), `${pname} ${size}@${offset}`).toBe(expected);
          expect([...out.subarray(0, offset), ...out.subarray(offset + size + 16)].every((b) => b === 0xee)).toBe(true);
          // in place: the plaintext already where the ciphertext goes
          const inPlace = new Uint8Array(offset + size + 16);
          inPlace.set(pt, offset);
          a.sealTo!(nonce, inPlace.subarray(offset, offset + size), aad, inPlace, offset);
          expect(hex(inPlace.subarray(offset)), `${pname} in place ${size}@${offset}`).toBe(expected);
          expect(hex(a.open(nonce, inPlace.subarray(offset), aad)!)).toBe(hex(pt));
        }
      }
    }
  });

  it.each(AEADS)('%s: tampered tag, ciphertext, aad or nonce → null on both', (alg) => {
    const key = rand(aeadKeyLength[alg]);
    const nonce = rand(12);
    const aad = rand(13);
    const pt = rand(100);
    const sealed = noble.aead(alg, key).seal(nonce, pt, aad);
    const flip = (b: Uint8Array, i: number): Uint8Array => {
      const c = new Uint8Array(b);
      c[i] ^= 0x01;
      return c;
    };
    const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
      ['tag', nonce, flip(sealed, sealed.length - 1), aad],
      ['ciphertext', nonce, flip(sealed, 0), aad],
      ['aad', nonce, sealed, flip(aad, 3)],
      ['nonce', flip(nonce, 11), sealed, aad],
      ['truncated', nonce, sealed.subarray(0, sealed.length - 1), aad],
      ['tag only', nonce, sealed.subarray(sealed.length - 16), aad],
    ];
    for (const [name, n, c, a] of cases) {
      for (const [pname, p] of PROVIDERS) expect(p.aead(alg, key).open(n, c, a), `${pname} ${name}`).toBeNull();
    }
  });

  it.each(AEADS)('%s: short inputs and bad nonces: open is null and never throws; seal and key checks as noble', (alg) => {
    const key = rand(aeadKeyLength[alg]);
    for (const [pname, p] of PROVIDERS) {
      const a = p.aead(alg, key);
      for (let n = 0; n < 16; n++) expect(a.open(rand(12), rand(n), new Uint8Array(0)), `${pname} ${n} bytes`).toBeNull();
      expect(a.open(rand(11), rand(40), new Uint8Array(0))).toBeNull();
      expect(a.open(rand(16), rand(40), new Uint8Array(0))).toBeNull();
      expect(() => a.seal(rand(8), rand(4), new Uint8Array(0))).toThrow(TypeError);
      expect(() => p.aead(alg, rand(aeadKeyLength[alg] - 1))).toThrow(TypeError);
    }
    expect(() => node.aead('AES-192-GCM' as AeadAlgorithm, rand(24))).toThrow(TypeError);
  });

  it('the AEAD keeps its own key: wiping the caller\'s buffer changes nothing', () => {
    const key = rand(16);
    const nonce = rand(12);
    const expected = noble.aead('AES-128-GCM', key).seal(nonce, rand(0), new Uint8Array(0));
    const a = node.aead('AES-128-GCM', key);
    key.fill(0);
    expect(hex(a.seal(nonce, rand(0), new Uint8Array(0)))).toBe(hex(expected));
  });

  it('property: random key/nonce/aad/plaintext seal equal; random garbage opens to null on both (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...AEADS),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 80 }),
        (alg, k, nonce, aad, pt, garbage) => {
          const key = k.subarray(0, aeadKeyLength[alg]);
          const x = node.aead(alg, key);
          const y = noble.aead(alg, key);
          const s = x.seal(nonce, pt, aad);
          if (hex(s) !== hex(y.seal(nonce, pt, aad))) return false;
          if (hex(y.open(nonce, s, aad) ?? new Uint8Array([1])) !== hex(pt)) return false;
          return x.open(nonce, garbage, aad) === null && y.open(nonce, garbage, aad) === null;
        },
      ),
      fcRuns(150),
    );
  });
});

// ─────────────────────────────────────────────────────────────── key exchange

const ECDHE = [
  { name: 'x25519', group: NamedGroup.x25519 },
  { name: 'x448', group: NamedGroup.x448 },
  { name: 'secp256r1', group: NamedGroup.secp256r1 },
  { name: 'secp384r1', group: NamedGroup.secp384r1 },
  { name: 'secp521r1', group: NamedGroup.secp521r1 },
] as const;
const FFDHE = [
  { name: 'ffdhe2048', group: NamedGroup.ffdhe2048 },
  { name: 'ffdhe3072', group: NamedGroup.ffdhe3072 },
  { name: 'ffdhe4096', group: NamedGroup.ffdhe4096 },
  { name: 'ffdhe6144', group: NamedGroup.ffdhe6144 },
  { name: 'ffdhe8192', group: NamedGroup.ffdhe8192 },
] as const;

/** Both providers' complete() on the same peer share: the same secret or the same TlsError. */
function sameCompletion(group: number, peer: Uint8Array, seed = 'complete'): { noble: string; node: string } {
  const { a, b } = twins(`${seed}-${group}`);
  const ka = a.keyExchange(group);
  const kb = b.keyExchange(group);
  expect(hex(kb.publicKey)).toBe(hex(ka.publicKey));
  return { noble: outcome(() => ka.complete(peer)), node: outcome(() => kb.complete(peer)) };
}

const ILLEGAL = `TlsError ERR_TLS_ILLEGAL_PARAMETER alert=47`;

describe('key exchange', () => {
  it('the same groups as noble; an unknown group is handshake_failure on both', () => {
    expect([...node.groups].sort()).toEqual([...noble.groups].sort());
    expect(outcome(() => node.keyExchange(0x1234).publicKey)).toBe(outcome(() => noble.keyExchange(0x1234).publicKey));
    expect(outcome(() => node.keyExchange(0x1234).publicKey)).toMatch(/ERR_TLS_HANDSHAKE_FAILURE/);
  });

  for (const { name, group } of [...ECDHE, ...FFDHE.slice(0, 2)]) {
    it(`${name}: the same random stream gives the same share; secrets agree both ways`, () => {
      for (let i = 0; i < 3; i++) {
        const { a, b } = twins(`${name}-${i}`);
        const ka = a.keyExchange(group);
        const kb = b.keyExchange(group);
        expect(kb.group).toBe(group);
        expect(hex(kb.publicKey)).toBe(hex(ka.publicKey));
        // node ↔ noble with independent keys
        const x = node.keyExchange(group);
        const y = noble.keyExchange(group);
        const s1 = x.complete(y.publicKey);
        const s2 = y.complete(x.publicKey);
        expect(hex(s1)).toBe(hex(s2));
        expect(s1.length).toBe(group === NamedGroup.x25519 ? 32 : group === NamedGroup.x448 ? 56 : s1.length);
        // node ↔ node
        const z = node.keyExchange(group);
        expect(hex(z.complete(x.publicKey))).toBe(hex(x.complete(z.publicKey)));
      }
    });
  }

  it('ffdhe4096/6144/8192: the same share from the same random stream; node ↔ noble agree', () => {
    for (const { name, group } of FFDHE.slice(2)) {
      const { a, b } = twins(name);
      const ka = a.keyExchange(group);
      const kb = b.keyExchange(group);
      expect(hex(kb.publicKey), name).toBe(hex(ka.publicKey));
      expect(hex(kb.complete(ka.publicKey)), name).toBe(hex(ka.complete(kb.publicKey)));
    }
  }, 30_000);

  it('X25519 / X448: wrong lengths, low-order points and the all-zero result are illegal_parameter on both', () => {
    const p25519 = (1n << 255n) - 19n;
    const le = (x: bigint, n: number): Uint8Array => bigIntToBytes(x, n).reverse();
    const lowOrder25519 = [
      0n,
      1n,
      325606250916557431795983626356110631294008115727848805560023387167927233504n,
      39382357235489614581723060781553021112529911719440698176882885853963445705823n,
      p25519 - 1n,
      p25519,
      p25519 + 1n,
    ].map((u) => le(u, 32));
    for (const peer of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), ...lowOrder25519]) {
      const r = sameCompletion(NamedGroup.x25519, peer);
      expect(r.node, `x25519 peer ${hex(peer)}`).toBe(r.noble);
      expect(r.node).toBe(ILLEGAL);
    }
    const p448 = (1n << 448n) - (1n << 224n) - 1n;
    for (const peer of [new Uint8Array(55), new Uint8Array(56), le(1n, 56), le(p448 - 1n, 56), le(p448, 56)]) {
      const r = sameCompletion(NamedGroup.x448, peer);
      expect(r.node, `x448 peer ${hex(peer)}`).toBe(r.noble);
      expect(r.node).toBe(ILLEGAL);
    }
  });

  it('property: a random X25519 share (incl. non-canonical u, top bit set) gives the same result on both (fast-check)', () => {
    const { a, b } = twins('x25519-property');
    const ka = a.keyExchange(NamedGroup.x25519);
    const kb = b.keyExchange(NamedGroup.x25519);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (peer) => outcome(() => ka.complete(peer)) === outcome(() => kb.complete(peer))),
      fcRuns(100),
    );
  });

  const NIST: { group: number; curve: typeof p256; size: number }[] = [
    { group: NamedGroup.secp256r1, curve: p256, size: 32 },
    { group: NamedGroup.secp384r1, curve: p384, size: 48 },
    { group: NamedGroup.secp521r1, curve: p521, size: 66 },
  ];

  it.each(NIST)('P-curve $group: malformed and off-curve shares are illegal_parameter on both', ({ group, curve, size }) => {
    const { Fp } = curve.Point;
    const valid = noble.keyExchange(group).publicKey;
    const compressed = curve.Point.fromBytes(valid).toBytes(true);
    const offCurve = new Uint8Array(valid);
    offCurve[offCurve.length - 1] ^= 1;
    const prefix = (b: number): Uint8Array => {
      const c = new Uint8Array(valid);
      c[0] = b;
      return c;
    };
    // A valid point's x with x + p in place of x (fits in `size` bytes for these small x).
    let nonCanonical: Uint8Array | undefined;
    for (let x = 1n; x < 100n && nonCanonical === undefined; x++) {
      const rhs = Fp.add(Fp.add(Fp.mul(Fp.sqr(x), x), Fp.mul(curve.Point.CURVE().a, x)), curve.Point.CURVE().b);
      try {
        const y = Fp.sqrt(rhs);
        const enc = new Uint8Array(1 + 2 * size);
        enc[0] = 4;
        const big = x + Fp.ORDER;
        if (big >> BigInt(size * 8) !== 0n) continue;
        enc.set(bigIntToBytes(big, size), 1);
        enc.set(bigIntToBytes(y, size), 1 + size);
        nonCanonical = enc;
      } catch {
        // not a square: no point with this x
      }
    }
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['compressed', compressed],
      ['prefix 0x02', prefix(2)],
      ['prefix 0x06', prefix(6)],
      ['infinity', new Uint8Array([0])],
      ['all zero', new Uint8Array(valid.length)],
      ['zero coordinates', prefix(4).fill(0, 1)],
      ['off curve', offCurve],
      ['truncated', valid.subarray(0, valid.length - 1)],
      ['too long', new Uint8Array([...valid, 0])],
      ['coordinates all 0xff', prefix(4).fill(0xff, 1)],
    ];
    expect(nonCanonical).toBeDefined();
    expect(() => curve.Point.fromBytes(nonCanonical!)).toThrow(); // noble refuses x >= p itself
    cases.push(['x + p', nonCanonical!]);
    for (const [name, peer] of cases) {
      const r = sameCompletion(group, peer);
      expect(r.node, name).toBe(r.noble);
      expect(r.node, name).toBe(ILLEGAL);
    }
    // and a valid share is fine on both
    const ok = sameCompletion(group, valid);
    expect(ok.node).toBe(ok.noble);
    expect(ok.node).toMatch(/^ok /);
  });

  it('property: random P-256 shares (0x04 || 64 random bytes) are refused the same way (fast-check)', () => {
    const { a, b } = twins('p256-property');
    const ka = a.keyExchange(NamedGroup.secp256r1);
    const kb = b.keyExchange(NamedGroup.secp256r1);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (xy) => {
        const peer = new Uint8Array([4, ...xy]);
        return outcome(() => ka.complete(peer)) === outcome(() => kb.complete(peer));
      }),
      fcRuns(100),
    );
  });

  it('FFDHE: out-of-range and wrong-length shares are illegal_parameter on both; in-range values agree', () => {
    for (const { name, group } of FFDHE.slice(0, 1)) {
      const p = ffdhePrime(name as FfdheGroupName);
      const len = byteLength(p);
      const cases: [string, Uint8Array][] = [
        ['0', new Uint8Array(len)],
        ['1', bigIntToBytes(1n, len)],
        ['p-1', bigIntToBytes(p - 1n, len)],
        ['p', bigIntToBytes(p, len)],
        ['all 0xff', new Uint8Array(len).fill(0xff)],
        ['short', new Uint8Array(len - 1).fill(7)],
        ['long', new Uint8Array(len + 1).fill(7)],
      ];
      for (const [what, peer] of cases) {
        const r = sameCompletion(group, peer);
        expect(r.node, `${name} ${what}`).toBe(r.noble);
        expect(r.node, `${name} ${what}`).toBe(ILLEGAL);
      }
      // 2 and p-2 (outside the prime-order subgroup or not) are accepted by both, with the same secret
      for (const y of [2n, p - 2n, 12345678901234567890n]) {
        const r = sameCompletion(group, bigIntToBytes(y, len));
        expect(r.node).toBe(r.noble);
        expect(r.node).toMatch(/^ok /);
      }
    }
  });
});

// ─────────────────────────────────────────────────────────────── signatures

interface KeyPair {
  name: string;
  priv: PrivateKey;
  pub: PublicKey;
}

function keyPair(name: string, k: nodeCrypto.KeyPairKeyObjectResult): KeyPair {
  const priv = parsePrivateKey(k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  return { name, priv, pub: publicKeyOf(priv) };
}

const CURVES: { curve: EcCurve; node: string; hash: HashAlgorithm }[] = [
  { curve: 'P-256', node: 'prime256v1', hash: 'sha256' },
  { curve: 'P-384', node: 'secp384r1', hash: 'sha384' },
  { curve: 'P-521', node: 'secp521r1', hash: 'sha512' },
];

let rsa: KeyPair[];
let ec: KeyPair[];
let ed: KeyPair;

beforeAll(() => {
  // 2048 bits (emLen = k) and 2049 bits (emLen = k - 1: PSS's leading-zero octet)
  rsa = [2048, 2049].map((bits) => keyPair(`rsa${bits}`, nodeCrypto.generateKeyPairSync('rsa', { modulusLength: bits })));
  ec = CURVES.map(({ curve, node: n }) => keyPair(curve, nodeCrypto.generateKeyPairSync('ec', { namedCurve: n })));
  ed = keyPair('ed25519', nodeCrypto.generateKeyPairSync('ed25519'));
}, 30_000);

/** Every scheme and key of the matrix. */
function schemes(): { alg: SignatureAlgorithm; key: KeyPair; label: string }[] {
  const out: { alg: SignatureAlgorithm; key: KeyPair; label: string }[] = [];
  for (const key of rsa) {
    for (const hash of HASHES) {
      out.push({ alg: { type: 'rsa-pkcs1', hash }, key, label: `${key.name} pkcs1 ${hash}` });
      out.push({ alg: { type: 'rsa-pss', hash, saltLength: hashLength[hash] }, key, label: `${key.name} pss ${hash}` });
    }
    out.push({ alg: { type: 'rsa-pss', hash: 'sha256', saltLength: 0 }, key, label: `${key.name} pss sha256 salt 0` });
  }
  for (const key of ec) for (const hash of HASHES) out.push({ alg: { type: 'ecdsa', hash }, key, label: `${key.name} ecdsa ${hash}` });
  out.push({ alg: { type: 'ed25519' }, key: ed, label: 'ed25519' });
  return out;
}

describe('signatures', () => {
  it('every scheme: signed by one provider, verified by the other (and by itself)', () => {
    for (const { alg, key, label } of schemes()) {
      const msg = rand(100);
      for (const [sname, signer] of PROVIDERS) {
        const sig = signer.sign(key.priv, alg, msg);
        for (const [vname, verifier] of PROVIDERS) {
          expect(verifier.verify(key.pub, alg, msg, sig), `${label}: ${sname} → ${vname}`).toBe(true);
          expect(verifier.verify(key.pub, alg, rand(100), sig), `${label}: ${sname} → ${vname}, other message`).toBe(false);
        }
      }
    }
  });

  it('RSA PKCS#1 v1.5 and Ed25519 signatures are byte-identical; RSA-PSS too from the same random stream', () => {
    for (const { alg, key, label } of schemes()) {
      if (alg.type === 'ecdsa') continue;
      const msg = rand(64);
      const { a, b } = twins(label);
      expect(hex(b.sign(key.priv, alg, msg)), label).toBe(hex(a.sign(key.priv, alg, msg)));
    }
  });

  it('ECDSA: node signatures are DER, randomized; noble (RFC 6979) ones deterministic; both verify across', () => {
    const key = ec[0]!;
    const alg: SignatureAlgorithm = { type: 'ecdsa', hash: 'sha256' };
    const msg = rand(10);
    const s1 = node.sign(key.priv, alg, msg);
    const s2 = node.sign(key.priv, alg, msg);
    expect(s1[0]).toBe(0x30);
    expect(hex(s1)).not.toBe(hex(s2));
    expect(hex(noble.sign(key.priv, alg, msg))).toBe(hex(noble.sign(key.priv, alg, msg)));
    expect(noble.verify(key.pub, alg, msg, s1) && noble.verify(key.pub, alg, msg, s2)).toBe(true);
    // a private scalar given without its leading zeros is accepted as by noble
    const shortD: PrivateKey = key.priv.type === 'ec' ? { ...key.priv, d: new Uint8Array([0, 0, ...key.priv.d]) } : key.priv;
    expect(noble.verify(key.pub, alg, msg, node.sign(shortD, alg, msg))).toBe(true);
  });

  it('ECDSA: high-S signatures (the other of the pair) verify on both', () => {
    for (const [i, curve] of [p256, p384, p521].entries()) {
      const key = ec[i]!;
      const alg: SignatureAlgorithm = { type: 'ecdsa', hash: CURVES[i]!.hash };
      const msg = rand(20);
      const sig = curve.Signature.fromBytes(noble.sign(key.priv, alg, msg), 'der');
      const high = new curve.Signature(sig.r, curve.Point.Fn.ORDER - sig.s).toBytes('der');
      expect(node.verify(key.pub, alg, msg, high)).toBe(true);
      expect(noble.verify(key.pub, alg, msg, high)).toBe(true);
    }
  });

  it('wrong signatures, keys, hashes, salts and lengths are false on both', () => {
    for (const { alg, key, label } of schemes()) {
      const msg = rand(50);
      const sig = noble.sign(key.priv, alg, msg);
      const flipped = new Uint8Array(sig);
      flipped[Math.floor(sig.length / 2)] ^= 0x10;
      const otherHash: HashAlgorithm = 'hash' in alg ? HASHES[(HASHES.indexOf(alg.hash) + 1) % 4]! : 'sha256';
      const otherAlg: SignatureAlgorithm =
        alg.type === 'rsa-pss' ? { ...alg, hash: otherHash } : alg.type === 'ed25519' ? { type: 'ecdsa', hash: 'sha256' } : { ...alg, hash: otherHash };
      const otherKey = key.pub.type === 'ed25519' ? ec[0]!.pub : key.pub.type === 'rsa' ? ed.pub : rsa[0]!.pub;
      const cases: [string, PublicKey, SignatureAlgorithm, Uint8Array][] = [
        ['bit flip', key.pub, alg, flipped],
        ['empty', key.pub, alg, new Uint8Array(0)],
        ['truncated', key.pub, alg, sig.subarray(0, sig.length - 1)],
        ['one more byte', key.pub, alg, new Uint8Array([...sig, 0])],
        ['leading zero', key.pub, alg, new Uint8Array([0, ...sig])],
        ['other algorithm', key.pub, otherAlg, sig],
        ['other key type', otherKey, alg, sig],
        ['random bytes', key.pub, alg, rand(sig.length)],
      ];
      if (alg.type === 'rsa-pss') cases.push(['other salt length', key.pub, { ...alg, saltLength: alg.saltLength + 1 }, sig]);
      if (alg.type === 'rsa-pss') cases.push(['negative salt length', key.pub, { ...alg, saltLength: -1 }, sig]);
      for (const [what, pub, a, s] of cases) {
        const r = { noble: noble.verify(pub, a, msg, s), node: node.verify(pub, a, msg, s) };
        expect(r, `${label}: ${what}`).toEqual({ noble: false, node: false });
      }
    }
  });

  it('malformed keys and algorithms: false on both, never a throw', () => {
    const msg = rand(10);
    const rsaPub = rsa[0]!.pub as Extract<PublicKey, { type: 'rsa' }>;
    const ecPub = ec[0]!.pub as Extract<PublicKey, { type: 'ec' }>;
    const rsaSig = noble.sign(rsa[0]!.priv, { type: 'rsa-pkcs1', hash: 'sha256' }, msg);
    const ecSig = noble.sign(ec[0]!.priv, { type: 'ecdsa', hash: 'sha256' }, msg);
    const edSig = noble.sign(ed.priv, { type: 'ed25519' }, msg);
    const small = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 512 });
    const smallKey = keyPair('rsa512', small);
    const smallSig = new Uint8Array(nodeCrypto.sign('sha256', msg, small.privateKey));
    const cases: [string, PublicKey, SignatureAlgorithm, Uint8Array][] = [
      ['rsa 512-bit key (below the 1024-bit floor)', smallKey.pub, { type: 'rsa-pkcs1', hash: 'sha256' }, smallSig],
      ['rsa even exponent', { ...rsaPub, e: 65536n }, { type: 'rsa-pkcs1', hash: 'sha256' }, rsaSig],
      ['rsa e = 1', { ...rsaPub, e: 1n }, { type: 'rsa-pkcs1', hash: 'sha256' }, rsaSig],
      ['rsa n = 0', { ...rsaPub, n: 0n }, { type: 'rsa-pkcs1', hash: 'sha256' }, rsaSig],
      ['rsa unknown hash', rsaPub, { type: 'rsa-pkcs1', hash: 'md5' as HashAlgorithm }, rsaSig],
      ['ec unknown curve', { ...ecPub, curve: 'P-999' as EcCurve }, { type: 'ecdsa', hash: 'sha256' }, ecSig],
      ['ec point off the curve', { ...ecPub, point: new Uint8Array(65).fill(4, 0, 1) }, { type: 'ecdsa', hash: 'sha256' }, ecSig],
      ['ec empty point', { ...ecPub, point: new Uint8Array(0) }, { type: 'ecdsa', hash: 'sha256' }, ecSig],
      ['ec point on the wrong curve', { ...ecPub, curve: 'P-384' }, { type: 'ecdsa', hash: 'sha256' }, ecSig],
      ['ecdsa DER garbage', ecPub, { type: 'ecdsa', hash: 'sha256' }, new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00])],
      ['ecdsa r = s = 1', ecPub, { type: 'ecdsa', hash: 'sha256' }, new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])],
      ['ed25519 short key', { type: 'ed25519', key: new Uint8Array(31) }, { type: 'ed25519' }, edSig],
      ['ed25519 all-zero sig', ed.pub, { type: 'ed25519' }, new Uint8Array(64)],
      ['ed25519 S >= L', ed.pub, { type: 'ed25519' }, new Uint8Array([...edSig.subarray(0, 32), ...new Uint8Array(32).fill(0xff)])],
      ['unknown algorithm', rsaPub, { type: 'dsa' } as unknown as SignatureAlgorithm, rsaSig],
    ];
    for (const [what, pub, a, s] of cases) {
      let r: { noble: boolean; node: boolean } | undefined;
      expect(() => {
        r = { noble: noble.verify(pub, a, msg, s), node: node.verify(pub, a, msg, s) };
      }, what).not.toThrow();
      expect(r, what).toEqual({ noble: false, node: false });
    }
  });

  it('a compressed EC public key verifies on both', () => {
    const key = ec[0]!;
    const pub = key.pub as Extract<PublicKey, { type: 'ec' }>;
    const compressed: PublicKey = { ...pub, point: p256.Point.fromBytes(pub.point).toBytes(true) };
    const alg: SignatureAlgorithm = { type: 'ecdsa', hash: 'sha256' };
    const msg = rand(30);
    const sig = node.sign(key.priv, alg, msg);
    expect(node.verify(compressed, alg, msg, sig)).toBe(noble.verify(compressed, alg, msg, sig));
  });

  it('signing with a key that cannot do the algorithm is a TypeError on both', () => {
    const msg = rand(10);
    const cases: [PrivateKey, SignatureAlgorithm][] = [
      [ec[0]!.priv, { type: 'rsa-pkcs1', hash: 'sha256' }],
      [rsa[0]!.priv, { type: 'ecdsa', hash: 'sha256' }],
      [rsa[0]!.priv, { type: 'ed25519' }],
      [ed.priv, { type: 'rsa-pss', hash: 'sha256', saltLength: 32 }],
      [rsa[0]!.priv, { type: 'rsa-pkcs1', hash: 'md5' as HashAlgorithm }],
    ];
    for (const [key, alg] of cases) {
      expect(() => noble.sign(key, alg, msg)).toThrow(TypeError);
      expect(() => node.sign(key, alg, msg)).toThrow(TypeError);
    }
  });

  it('property: random messages and garbage signatures (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...schemes()),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 300 }),
        ({ alg, key }, msg, garbage) => {
          const sig = node.sign(key.priv, alg, msg);
          if (!noble.verify(key.pub, alg, msg, sig)) return false;
          return noble.verify(key.pub, alg, msg, garbage) === false && node.verify(key.pub, alg, msg, garbage) === false;
        },
      ),
      fcRuns(60),
    );
  });
});

describe('TlsError across copies of the library (the CommonJS entries are separate bundles)', () => {
  it('an error of another copy is a TlsError (one global brand); a plain Error is not; subclasses check as usual', async () => {
    const { TlsError } = await import('../../src/common/errors.js');
    const { HostnameMismatchError } = await import('../../src/x509/hostname.js');
    class OtherCopy extends Error {}
    Object.defineProperty(OtherCopy.prototype, Symbol.for('puretls.TlsError'), { value: true });
    expect(new OtherCopy('x') instanceof TlsError).toBe(true);
    expect(new Error('x') instanceof TlsError).toBe(false);
    expect(TlsError.alert(40) instanceof TlsError).toBe(true);
    expect(TlsError.alert(40) instanceof HostnameMismatchError).toBe(false);
    expect(new OtherCopy('x') instanceof HostnameMismatchError).toBe(false);
  });
});
