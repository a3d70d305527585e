import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NamedGroup } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import { FFDHE_EXPONENT_BITS, ffdhePrime, type FfdheGroupName } from '../../src/crypto/ffdhe.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { scriptedRandom, testProvider } from '../../src/crypto/random.js';
import { bigIntToBytes } from '../../src/crypto/rsa.js';

const provider = nobleProvider();
const b64u = (s: string | undefined): Buffer => Buffer.from(s!, 'base64url');

function expectIllegal(f: () => unknown): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TlsError);
  expect((caught as TlsError).code).toBe('ERR_TLS_ILLEGAL_PARAMETER');
}

describe('groups', () => {
  it('lists every NamedGroup code point', () => {
    expect([...provider.groups].sort()).toEqual(Object.values(NamedGroup).sort());
  });

  it('an unknown group is handshake_failure', () => {
    let caught: unknown;
    try {
      provider.keyExchange(0x1234);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TlsError);
    expect((caught as TlsError).code).toBe('ERR_TLS_HANDSHAKE_FAILURE');
  });
});

describe('X25519 / X448', () => {
  for (const [name, group, len] of [
    ['x25519', NamedGroup.x25519, 32],
    ['x448', NamedGroup.x448, 56],
  ] as const) {
    it(`${name}: shared secret equals node's diffieHellman`, () => {
      for (let i = 0; i < 3; i++) {
        const kx = provider.keyExchange(group);
        expect(kx.group).toBe(group);
        expect(kx.publicKey.length).toBe(len);
        const peer = name === 'x25519' ? nodeCrypto.generateKeyPairSync('x25519') : nodeCrypto.generateKeyPairSync('x448');
        const peerPub = b64u(peer.publicKey.export({ format: 'jwk' }).x);
        const ourPub = nodeCrypto.createPublicKey({
          key: { kty: 'OKP', crv: name.toUpperCase(), x: Buffer.from(kx.publicKey).toString('base64url') },
          format: 'jwk',
        });
        const expected = nodeCrypto.diffieHellman({ privateKey: peer.privateKey, publicKey: ourPub });
        expect(Buffer.from(kx.complete(peerPub)).equals(expected)).toBe(true);
      }
    });

    it(`${name}: private key is exactly randomBytes(${len})`, () => {
      const secret = nodeCrypto.randomBytes(len);
      const kx = nobleProvider({ random: scriptedRandom([secret]) }).keyExchange(group);
      const pkcs8 = name === 'x25519' ? '302e020100300506032b656e04220420' : '3046020100300506032b656f043a0438';
      const priv = nodeCrypto.createPrivateKey({
        key: Buffer.concat([Buffer.from(pkcs8, 'hex'), secret]),
        format: 'der',
        type: 'pkcs8',
      });
      const pub = nodeCrypto.createPublicKey(priv).export({ format: 'jwk' }).x;
      expect(Buffer.from(kx.publicKey).toString('base64url')).toBe(pub);
    });

    it(`${name}: wrong lengths and low-order points are illegal_parameter`, () => {
      const kx = provider.keyExchange(group);
      expectIllegal(() => kx.complete(new Uint8Array(len - 1)));
      expectIllegal(() => kx.complete(new Uint8Array(len + 1)));
      expectIllegal(() => kx.complete(new Uint8Array(len))); // u = 0
      const one = new Uint8Array(len);
      one[0] = 1;
      expectIllegal(() => kx.complete(one)); // u = 1
    });
  }

  it('x25519: order-8 points give illegal_parameter (RFC 8446 §7.4.2 all-zero output)', () => {
    const kx = provider.keyExchange(NamedGroup.x25519);
    for (const hex of [
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1
    ]) {
      expectIllegal(() => kx.complete(Buffer.from(hex, 'hex')));
    }
  });
});

describe('ECDHE on P-curves', () => {
  const CURVES = [
    ['secp256r1', NamedGroup.secp256r1, 'prime256v1', 32],
    ['secp384r1', NamedGroup.secp384r1, 'secp384r1', 48],
    ['secp521r1', NamedGroup.secp521r1, 'secp521r1', 66],
  ] as const;
  for (const [name, group, nodeName, size] of CURVES) {
    it(`${name}: shared x coordinate equals node ECDH`, () => {
      for (let i = 0; i < 3; i++) {
        const kx = provider.keyExchange(group);
        expect(kx.publicKey.length).toBe(1 + 2 * size);
        expect(kx.publicKey[0]).toBe(4);
        const ecdh = nodeCrypto.createECDH(nodeName);
        const peerPub = ecdh.generateKeys(); // uncompressed
        const expected = ecdh.computeSecret(kx.publicKey);
        expect(expected.length).toBe(size);
        expect(Buffer.from(kx.complete(peerPub)).equals(expected)).toBe(true);
      }
    });

    it(`${name}: invalid shares are illegal_parameter`, () => {
      const kx = provider.keyExchange(group);
      const ecdh = nodeCrypto.createECDH(nodeName);
      const good = ecdh.generateKeys();
      const compressed = ecdh.getPublicKey(undefined, 'compressed');
      expectIllegal(() => kx.complete(compressed));
      const compressedPadded = Buffer.concat([compressed, Buffer.alloc(size)]);
      compressedPadded[0] = 2;
      expectIllegal(() => kx.complete(compressedPadded)); // right length, wrong format byte
      const offCurve = Buffer.from(good);
      offCurve[offCurve.length - 1]! ^= 1;
      expectIllegal(() => kx.complete(offCurve));
      expectIllegal(() => kx.complete(good.subarray(0, good.length - 1)));
      expectIllegal(() => kx.complete(Buffer.concat([good, Buffer.from([0])])));
      expectIllegal(() => kx.complete(new Uint8Array(1 + 2 * size).fill(0, 1).map((b, i) => (i === 0 ? 4 : b))));
      expectIllegal(() => kx.complete(new Uint8Array([0]))); // point at infinity
      const big = new Uint8Array(1 + 2 * size).fill(0xff);
      big[0] = 4;
      expectIllegal(() => kx.complete(big)); // coordinates >= p
      expect(Buffer.from(kx.complete(good)).equals(ecdh.computeSecret(kx.publicKey))).toBe(true);
    });
  }

  it('secp521r1: the 66-byte draw is masked to 521 bits (one draw, no rejection loop)', () => {
    const draw = Buffer.alloc(66, 0xab);
    const kx = nobleProvider({ random: scriptedRandom([draw]) }).keyExchange(NamedGroup.secp521r1);
    const d = Buffer.from(draw);
    d[0] = d[0]! & 0x01;
    const ecdh = nodeCrypto.createECDH('secp521r1');
    ecdh.setPrivateKey(d);
    expect(Buffer.from(kx.publicKey).equals(ecdh.getPublicKey())).toBe(true);
  });

  it('secp256r1: a zero or too-large scalar is drawn again', () => {
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    const good = Buffer.alloc(32, 7);
    const kx = nobleProvider({ random: scriptedRandom([Buffer.alloc(32), n, Buffer.alloc(32, 0xff), good]) }).keyExchange(
      NamedGroup.secp256r1,
    );
    const ecdh = nodeCrypto.createECDH('prime256v1');
    ecdh.setPrivateKey(good);
    expect(Buffer.from(kx.publicKey).equals(ecdh.getPublicKey())).toBe(true);
  });
});

describe('FFDHE (RFC 7919)', () => {
  const GROUPS: [FfdheGroupName, number][] = [
    ['ffdhe2048', NamedGroup.ffdhe2048],
    ['ffdhe3072', NamedGroup.ffdhe3072],
    ['ffdhe4096', NamedGroup.ffdhe4096],
    ['ffdhe6144', NamedGroup.ffdhe6144],
    ['ffdhe8192', NamedGroup.ffdhe8192],
  ];

  /** The prime as the openssl binary knows it (DHParameter ::= SEQUENCE { prime, base }). */
  function opensslPrime(name: string): bigint {
    const pem = execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:${name}`]);
    const asn1 = execFileSync('openssl', ['asn1parse'], { input: pem }).toString();
    const ints = [...asn1.matchAll(/prim: INTEGER\s+:([0-9A-F]+)/g)].map((m) => BigInt('0x' + m[1]));
    expect(ints[1]).toBe(2n); // generator
    return ints[0]!;
  }

  for (const [name, group] of GROUPS) {
    it(`${name}: prime equals openssl's, shared secret equals node's createDiffieHellman`, () => {
      const p = ffdhePrime(name);
      expect(p).toBe(opensslPrime(name));
      const pLen = Number(name.slice(5)) / 8;
      const primeBytes = bigIntToBytes(p, pLen);
      const kx = provider.keyExchange(group);
      expect(kx.publicKey.length).toBe(pLen);
      const dh = nodeCrypto.createDiffieHellman(primeBytes, 2);
      const peerPub = Buffer.from(dh.generateKeys());
      const padded = Buffer.concat([Buffer.alloc(pLen - peerPub.length), peerPub]);
      const expected = Buffer.from(dh.computeSecret(kx.publicKey));
      const ours = kx.complete(padded);
      expect(ours.length).toBe(pLen);
      expect(Buffer.from(ours).equals(Buffer.concat([Buffer.alloc(pLen - expected.length), expected]))).toBe(true);
    });
  }

  it('bad Y (0, 1, p-1, p, > p, wrong length) is illegal_parameter', () => {
    const p = ffdhePrime('ffdhe2048');
    const kx = provider.keyExchange(NamedGroup.ffdhe2048);
    for (const y of [0n, 1n, p - 1n, p, p + 1n, (1n << 2048n) - 1n]) expectIllegal(() => kx.complete(bigIntToBytes(y, 256)));
    expectIllegal(() => kx.complete(bigIntToBytes(2n, 255)));
    expectIllegal(() => kx.complete(bigIntToBytes(2n, 257)));
    expect(kx.complete(bigIntToBytes(2n, 256)).length).toBe(256); // Y = 2 is in range
  });

  it('uses the documented short exponent: one draw of FFDHE_EXPONENT_BITS / 8 bytes, results padded', () => {
    expect(FFDHE_EXPONENT_BITS).toEqual({ ffdhe2048: 256, ffdhe3072: 320, ffdhe4096: 384, ffdhe6144: 448, ffdhe8192: 512 });
    // x = 1 is refused (drawn again); x = 8 gives Y = 2^8 = 256, left-padded to 256 bytes.
    const one = new Uint8Array(32);
    one[31] = 1;
    const eight = new Uint8Array(32);
    eight[31] = 8;
    const kx = nobleProvider({ random: scriptedRandom([one, eight]) }).keyExchange(NamedGroup.ffdhe2048);
    expect(Buffer.from(kx.publicKey).equals(Buffer.from(bigIntToBytes(256n, 256)))).toBe(true);
    expect(Buffer.from(kx.complete(bigIntToBytes(2n, 256))).equals(Buffer.from(bigIntToBytes(256n, 256)))).toBe(true);
  });

  it('is reproducible under a seeded provider', () => {
    const a = testProvider('dh').keyExchange(NamedGroup.ffdhe2048);
    const b = testProvider('dh').keyExchange(NamedGroup.ffdhe2048);
    expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).toBe(true);
  });
});
