import * as nodeCrypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { HashAlgorithm, PrivateKey, PublicKey, SignatureAlgorithm } from '../../src/crypto/provider.js';
import { scriptedRandom, testProvider } from '../../src/crypto/random.js';
import {
  RSA_MAX_MODULUS_BITS,
  RSA_MIN_MODULUS_BITS,
  bigIntToBytes,
  bitLength,
  bytesToBigInt,
  modInverse,
  modPow,
  rsaPkcs1Verify,
  rsaPssVerify,
  rsaPublicKeyProblem,
} from '../../src/crypto/rsa.js';

type RsaPriv = Extract<PrivateKey, { type: 'rsa' }>;
type RsaPub = Extract<PublicKey, { type: 'rsa' }>;

const b64uToBigInt = (s: string): bigint => BigInt('0x' + Buffer.from(s, 'base64url').toString('hex'));

interface NodeRsa {
  readonly bits: number;
  readonly priv: RsaPriv;
  readonly pub: RsaPub;
  readonly nodePriv: nodeCrypto.KeyObject;
  readonly nodePub: nodeCrypto.KeyObject;
}

function makeKey(bits: number): NodeRsa {
  const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: bits });
  const j = privateKey.export({ format: 'jwk' });
  const f = (k: keyof nodeCrypto.JsonWebKey): bigint => b64uToBigInt(j[k] as string);
  const priv: RsaPriv = {
    type: 'rsa',
    n: f('n'),
    e: f('e'),
    d: f('d'),
    p: f('p'),
    q: f('q'),
    dp: f('dp'),
    dq: f('dq'),
    qi: f('qi'),
  };
  return { bits, priv, pub: { type: 'rsa', n: priv.n, e: priv.e }, nodePriv: privateKey, nodePub: publicKey };
}

/**
 * A key whose modulus has 8m+1 bits (OpenSSL only makes even sizes), so the PSS
 * encoded message is one byte shorter than the modulus (RFC 8017 §9.1.1 emBits).
 */
function makeOddKey(): NodeRsa {
  const e = 65537n;
  for (;;) {
    const p = nodeCrypto.generatePrimeSync(1025, { bigint: true });
    const q = nodeCrypto.generatePrimeSync(1024, { bigint: true });
    const n = p * q;
    const phi = (p - 1n) * (q - 1n);
    const d = modInverse(e, phi);
    if (bitLength(n) !== 2049 || d === undefined) continue;
    const priv: RsaPriv = { type: 'rsa', n, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi: modInverse(q, p)! };
    const b64 = (x: bigint): string => Buffer.from(bigIntToBytes(x, Math.ceil(bitLength(x) / 8))).toString('base64url');
    const jwk = { kty: 'RSA', n: b64(n), e: b64(e), d: b64(d), p: b64(p), q: b64(q), dp: b64(priv.dp), dq: b64(priv.dq), qi: b64(priv.qi) };
    const nodePriv = nodeCrypto.createPrivateKey({ key: jwk, format: 'jwk' });
    return { bits: 2049, priv, pub: { type: 'rsa', n, e }, nodePriv, nodePub: nodeCrypto.createPublicKey(nodePriv) };
  }
}

const PSS = nodeCrypto.constants.RSA_PKCS1_PSS_PADDING;
const HASHES: HashAlgorithm[] = ['sha256', 'sha384', 'sha512'];
const provider = nobleProvider();
let keys: NodeRsa[] = [];

beforeAll(() => {
  // 2049 bits: modBits - 1 is a multiple of 8, so the PSS encoded message is one byte shorter than k.
  keys = [makeKey(2048), makeKey(3072), makeOddKey()];
});

describe('BigInt helpers', () => {
  it('modPow matches a reference ladder and edge cases', () => {
    const m = (1n << 521n) - 1n;
    for (let i = 0; i < 20; i++) {
      const b = bytesToBigInt(nodeCrypto.randomBytes(70)) % m;
      const e = bytesToBigInt(nodeCrypto.randomBytes(i * 7));
      let ref = 1n;
      let base = b;
      for (let x = e; x > 0n; x >>= 1n) {
        if (x & 1n) ref = (ref * base) % m;
        base = (base * base) % m;
      }
      expect(modPow(b, e, m)).toBe(ref);
    }
    expect(modPow(5n, 0n, 7n)).toBe(1n);
    expect(modPow(5n, 3n, 1n)).toBe(0n);
    expect(modPow(-2n, 3n, 7n)).toBe(6n);
  });

  it('modInverse, bytes <-> bigint', () => {
    expect(modInverse(3n, 7n)).toBe(5n);
    expect(modInverse(6n, 9n)).toBeUndefined();
    expect(Buffer.from(bigIntToBytes(0x0102n, 4)).toString('hex')).toBe('00000102');
    expect(bytesToBigInt(new Uint8Array([0, 0, 1, 2]))).toBe(0x102n);
    expect(bytesToBigInt(new Uint8Array(0))).toBe(0n);
    expect(() => bigIntToBytes(0x10000n, 2)).toThrow(RangeError);
  });
});

describe('RSA PKCS#1 v1.5', () => {
  it('signatures are byte-identical to node and verify both ways', () => {
    for (const k of keys) {
      for (const hash of [...HASHES, 'sha1' as const]) {
        const msg = nodeCrypto.randomBytes(100);
        const ours = provider.sign(k.priv, { type: 'rsa-pkcs1', hash }, msg);
        const theirs = nodeCrypto.sign(hash, msg, k.nodePriv);
        expect(Buffer.from(ours).toString('hex'), `${k.bits} ${hash}`).toBe(theirs.toString('hex'));
        expect(nodeCrypto.verify(hash, msg, k.nodePub, ours)).toBe(true);
        expect(provider.verify(k.pub, { type: 'rsa-pkcs1', hash }, msg, theirs)).toBe(true);
      }
    }
  });

  it('tampered, truncated, out-of-range or mismatched signatures are false, never throws', () => {
    const k = keys[0]!;
    const alg: SignatureAlgorithm = { type: 'rsa-pkcs1', hash: 'sha256' };
    const msg = Buffer.from('message');
    const sig = provider.sign(k.priv, alg, msg);
    const bad = sig.slice();
    bad[100]! ^= 1;
    expect(provider.verify(k.pub, alg, msg, bad)).toBe(false);
    expect(provider.verify(k.pub, alg, Buffer.from('messagf'), sig)).toBe(false);
    expect(provider.verify(k.pub, { type: 'rsa-pkcs1', hash: 'sha384' }, msg, sig)).toBe(false);
    expect(provider.verify(k.pub, alg, msg, sig.subarray(1))).toBe(false);
    expect(provider.verify(k.pub, alg, msg, new Uint8Array([0, ...sig]))).toBe(false);
    expect(provider.verify(k.pub, alg, msg, new Uint8Array(0))).toBe(false);
    expect(provider.verify(k.pub, alg, msg, bigIntToBytes(k.pub.n, 256))).toBe(false); // s = n
    expect(provider.verify(k.pub, alg, msg, bigIntToBytes(k.pub.n + 1n, 256))).toBe(false);
    expect(provider.verify(k.pub, alg, msg, new Uint8Array(256))).toBe(false); // s = 0
    expect(provider.verify(k.pub, { type: 'ecdsa', hash: 'sha256' }, msg, sig)).toBe(false);
    expect(provider.verify(k.pub, { type: 'ed25519' }, msg, sig)).toBe(false);
    expect(provider.verify(k.pub, { type: 'rsa-pkcs1', hash: 'md5' as HashAlgorithm }, msg, sig)).toBe(false);
  });

  it('a key/algorithm mismatch in sign is a TypeError', () => {
    const k = keys[0]!;
    expect(() => provider.sign(k.priv, { type: 'ecdsa', hash: 'sha256' }, new Uint8Array(1))).toThrow(TypeError);
    expect(() => provider.sign(k.priv, { type: 'ed25519' }, new Uint8Array(1))).toThrow(TypeError);
  });

  it('an inconsistent private key is caught by the fault check', () => {
    const k = keys[0]!;
    const broken: RsaPriv = { ...k.priv, dp: k.priv.dp ^ 2n };
    expect(() => provider.sign(broken, { type: 'rsa-pkcs1', hash: 'sha256' }, new Uint8Array(1))).toThrow(/self-check/);
  });

  it('signing draws nothing from randomBytes (blinding is derived, not drawn)', () => {
    const p = nobleProvider({
      random: () => {
        throw new Error('no randomness expected');
      },
    });
    const k = keys[0]!;
    const sig = p.sign(k.priv, { type: 'rsa-pkcs1', hash: 'sha256' }, Buffer.from('x'));
    expect(nodeCrypto.verify('sha256', Buffer.from('x'), k.nodePub, sig)).toBe(true);
  });
});

describe('RSA-PSS', () => {
  it('our signatures verify with node and node signatures verify with ours', () => {
    for (const k of keys) {
      for (const hash of HASHES) {
        const saltLength = { sha256: 32, sha384: 48, sha512: 64 }[hash as 'sha256'];
        const alg: SignatureAlgorithm = { type: 'rsa-pss', hash, saltLength };
        const msg = nodeCrypto.randomBytes(77);
        const ours = provider.sign(k.priv, alg, msg);
        expect(ours.length).toBe(Math.ceil(k.bits / 8));
        expect(nodeCrypto.verify(hash, msg, { key: k.nodePub, padding: PSS, saltLength }, ours), `${k.bits} ${hash}`).toBe(
          true,
        );
        const theirs = nodeCrypto.sign(hash, msg, { key: k.nodePriv, padding: PSS, saltLength });
        expect(provider.verify(k.pub, alg, msg, theirs)).toBe(true);
        // the exact salt length is required
        expect(provider.verify(k.pub, { ...alg, saltLength: saltLength - 1 }, msg, theirs)).toBe(false);
        expect(provider.verify(k.pub, { ...alg, saltLength: saltLength + 1 }, msg, theirs)).toBe(false);
        expect(provider.verify(k.pub, { ...alg, saltLength: 0 }, msg, theirs)).toBe(false);
        const bad = Buffer.from(theirs);
        bad[10]! ^= 0x40;
        expect(provider.verify(k.pub, alg, msg, bad)).toBe(false);
        expect(provider.verify(k.pub, alg, Buffer.concat([msg, Buffer.from([0])]), theirs)).toBe(false);
        expect(provider.verify(k.pub, { type: 'rsa-pkcs1', hash }, msg, theirs)).toBe(false);
      }
    }
  });

  it('other salt lengths (0, 20, maximal) interoperate', () => {
    const k = keys[0]!;
    for (const saltLength of [0, 20, 256 - 32 - 2]) {
      const alg: SignatureAlgorithm = { type: 'rsa-pss', hash: 'sha256', saltLength };
      const msg = Buffer.from(`salt ${saltLength}`);
      const ours = provider.sign(k.priv, alg, msg);
      expect(nodeCrypto.verify('sha256', msg, { key: k.nodePub, padding: PSS, saltLength }, ours)).toBe(true);
      const theirs = nodeCrypto.sign('sha256', msg, { key: k.nodePriv, padding: PSS, saltLength });
      expect(provider.verify(k.pub, alg, msg, theirs)).toBe(true);
    }
    expect(() => provider.sign(k.priv, { type: 'rsa-pss', hash: 'sha512', saltLength: 256 }, Buffer.from('x'))).toThrow(
      RangeError,
    );
  });

  it('the salt is the one randomBytes(saltLength) draw, so an injected salt gives a reproducible signature', () => {
    const k = keys[0]!;
    const salt = nodeCrypto.randomBytes(32);
    const alg: SignatureAlgorithm = { type: 'rsa-pss', hash: 'sha256', saltLength: 32 };
    const msg = Buffer.from('injected');
    const s1 = nobleProvider({ random: scriptedRandom([salt]) }).sign(k.priv, alg, msg);
    const s2 = nobleProvider({ random: scriptedRandom([salt]) }).sign(k.priv, alg, msg);
    expect(Buffer.from(s1).equals(Buffer.from(s2))).toBe(true);
    expect(nodeCrypto.verify('sha256', msg, { key: k.nodePub, padding: PSS, saltLength: 32 }, s1)).toBe(true);
    // The salt is recoverable from the signature: EM = s^e mod n, DB = maskedDB xor MGF1(H).
    const em = bigIntToBytes(modPow(bytesToBigInt(s1), k.pub.e, k.pub.n), 256);
    const h = em.subarray(256 - 33, 256 - 1);
    const mask = mgf1Sha256(h, 256 - 33);
    const db = em.subarray(0, 256 - 33).map((b, i) => b ^ mask[i]!);
    expect(Buffer.from(db.subarray(db.length - 32)).equals(salt)).toBe(true);
    // Two seeded providers agree too.
    const t1 = testProvider('pss').sign(k.priv, alg, msg);
    const t2 = testProvider('pss').sign(k.priv, alg, msg);
    expect(Buffer.from(t1).equals(Buffer.from(t2))).toBe(true);
  });
});

function mgf1Sha256(seed: Uint8Array, len: number): Uint8Array {
  const out: Buffer[] = [];
  for (let c = 0; out.length * 32 < len; c++) {
    const ctr = Buffer.alloc(4);
    ctr.writeUInt32BE(c);
    out.push(nodeCrypto.createHash('sha256').update(seed).update(ctr).digest());
  }
  return Buffer.concat(out).subarray(0, len);
}

/**
 * A signature whose byte reads are counted. The verify primitive's modPow
 * works on the integer read from these bytes, so zero reads proves that no
 * arithmetic with the key took place (no timing involved).
 */
function countingSignature(length: number): { sig: Uint8Array; reads: () => number } {
  let reads = 0;
  const target = new Uint8Array(length).fill(1);
  const sig = new Proxy(target, {
    get(t, p) {
      if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
      const v: unknown = Reflect.get(t, p);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return { sig, reads: () => reads };
}

describe('RSA public key bounds (before any arithmetic)', () => {
  const msg = Buffer.from('bounded');
  const PKCS1: SignatureAlgorithm = { type: 'rsa-pkcs1', hash: 'sha256' };
  const PSS: SignatureAlgorithm = { type: 'rsa-pss', hash: 'sha256', saltLength: 32 };

  /** Both primitives throw RangeError without reading the signature; the provider says false. */
  function expectRefused(key: RsaPub, what: string): void {
    const k = Math.ceil(bitLength(key.n) / 8);
    const c = countingSignature(k);
    expect(rsaPublicKeyProblem(key), what).toBeDefined();
    expect(() => rsaPkcs1Verify(key, 'sha256', msg, c.sig), what).toThrow(/RSA public key refused/);
    expect(() => rsaPssVerify(key, 'sha256', 32, msg, c.sig), what).toThrow(RangeError);
    expect(provider.verify(key, PKCS1, msg, c.sig), what).toBe(false);
    expect(provider.verify(key, PSS, msg, c.sig), what).toBe(false);
    expect(c.reads(), what).toBe(0);
  }

  /** In bounds: the primitives run (and say false for a bogus signature) instead of throwing. */
  function expectAccepted(key: RsaPub, what: string): void {
    const c = countingSignature(Math.ceil(bitLength(key.n) / 8));
    expect(rsaPublicKeyProblem(key), what).toBeUndefined();
    expect(rsaPkcs1Verify(key, 'sha256', msg, c.sig), what).toBe(false);
    expect(c.reads(), what).toBeGreaterThan(0);
  }

  it('a 16384-bit modulus with e = 2^64+1 is refused by both verify primitives before a signature byte is read', () => {
    expectRefused({ type: 'rsa', n: (1n << 16383n) + 1n, e: (1n << 64n) + 1n }, '16384-bit, e = 2^64+1');
    expectRefused({ type: 'rsa', n: (1n << 16383n) + 1n, e: 65537n }, '16384-bit, e = 65537');
    expect(rsaPublicKeyProblem({ n: (1n << 16383n) + 1n, e: 65537n })).toBe('modulus has 16384 bits, more than 8192');
  });

  it('exponents: 1, 2, even, 2^32, 2^32+1 and 2^64+1 are refused; 3, 65537 and 2^32-1 accepted', () => {
    const n = keys[0]!.pub.n;
    for (const e of [1n, 2n, 4n, 65536n, 1n << 32n, (1n << 32n) + 1n, (1n << 64n) + 1n, 0n, -3n]) {
      expectRefused({ type: 'rsa', n, e }, `e = ${e}`);
    }
    for (const e of [3n, 65537n, (1n << 32n) - 1n]) expectAccepted({ type: 'rsa', n, e }, `e = ${e}`);
    // and a real signature still verifies with a real key (e = 65537)
    const k = keys[0]!;
    expect(rsaPkcs1Verify(k.pub, 'sha256', msg, provider.sign(k.priv, PKCS1, msg))).toBe(true);
  });

  it('modulus: 1024 and 8192 bits accepted, 1023 and 8193 refused (bits of the value)', () => {
    expect([RSA_MIN_MODULUS_BITS, RSA_MAX_MODULUS_BITS]).toEqual([1024, 8192]);
    expectAccepted({ type: 'rsa', n: (1n << 1023n) + 1n, e: 65537n }, '1024 bits');
    expectAccepted({ type: 'rsa', n: (1n << 8191n) + 1n, e: 65537n }, '8192 bits');
    expectRefused({ type: 'rsa', n: (1n << 1022n) + 1n, e: 65537n }, '1023 bits');
    expectRefused({ type: 'rsa', n: (1n << 8192n) + 1n, e: 65537n }, '8193 bits');
    expectRefused({ type: 'rsa', n: 0n, e: 65537n }, 'n = 0');
    // the floor is a parameter (x509 parsing uses 1: small keys still parse, for display)
    expect(rsaPublicKeyProblem({ n: (1n << 511n) + 1n, e: 65537n }, 1)).toBeUndefined();
  });
});
