import * as nodeCrypto from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { EcCurve, HashAlgorithm, PrivateKey, PublicKey, SignatureAlgorithm } from '../../src/crypto/provider.js';

const provider = nobleProvider();
const b64u = (s: string | undefined): Buffer => Buffer.from(s!, 'base64url');

const CURVES: { curve: EcCurve; node: string; noble: typeof p256 }[] = [
  { curve: 'P-256', node: 'prime256v1', noble: p256 },
  { curve: 'P-384', node: 'secp384r1', noble: p384 },
  { curve: 'P-521', node: 'secp521r1', noble: p521 },
];
const HASHES: HashAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'];

function ecKey(nodeCurve: string, curve: EcCurve) {
  const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync('ec', { namedCurve: nodeCurve });
  const j = privateKey.export({ format: 'jwk' });
  const point = new Uint8Array(Buffer.concat([Buffer.from([4]), b64u(j.x), b64u(j.y)]));
  const priv: PrivateKey = { type: 'ec', curve, d: new Uint8Array(b64u(j.d)), point };
  const pub: PublicKey = { type: 'ec', curve, point };
  return { priv, pub, nodePriv: privateKey, nodePub: publicKey };
}

/** The same signature with s replaced by n - s (the other of the pair; one of them is high-S). */
function flipS(noble: typeof p256, der: Uint8Array): Uint8Array {
  const sig = noble.Signature.fromBytes(der, 'der');
  return new noble.Signature(sig.r, noble.Point.Fn.ORDER - sig.s).toBytes('der');
}

describe('ECDSA', () => {
  for (const { curve, node, noble } of CURVES) {
    it(`${curve} with every hash: both directions`, () => {
      const k = ecKey(node, curve);
      for (const hash of HASHES) {
        const alg: SignatureAlgorithm = { type: 'ecdsa', hash };
        const msg = nodeCrypto.randomBytes(50);
        const ours = provider.sign(k.priv, alg, msg);
        expect(ours[0]).toBe(0x30); // DER SEQUENCE
        expect(nodeCrypto.verify(hash, msg, k.nodePub, ours), `${curve} ${hash}`).toBe(true);
        const theirs = nodeCrypto.sign(hash, msg, k.nodePriv);
        expect(provider.verify(k.pub, alg, msg, theirs)).toBe(true);
        expect(provider.verify(k.pub, alg, Buffer.from('other'), theirs)).toBe(false);
        const other = HASHES[(HASHES.indexOf(hash) + 1) % 4]!;
        expect(provider.verify(k.pub, { type: 'ecdsa', hash: other }, msg, theirs)).toBe(false);
      }
    });

    it(`${curve}: high-S signatures are accepted (OpenSSL emits them)`, () => {
      const k = ecKey(node, curve);
      const alg: SignatureAlgorithm = { type: 'ecdsa', hash: 'sha256' };
      const msg = Buffer.from('high s');
      const sig = provider.sign(k.priv, alg, msg);
      const half = noble.Point.Fn.ORDER >> 1n;
      expect(noble.Signature.fromBytes(sig, 'der').s <= half).toBe(true); // we emit low-S
      const high = flipS(noble, sig);
      expect(noble.Signature.fromBytes(high, 'der').s > half).toBe(true);
      expect(nodeCrypto.verify('sha256', msg, k.nodePub, high)).toBe(true);
      expect(provider.verify(k.pub, alg, msg, high)).toBe(true);
    });

    it(`${curve}: deterministic (RFC 6979), malformed signatures are false`, () => {
      const k = ecKey(node, curve);
      const alg: SignatureAlgorithm = { type: 'ecdsa', hash: 'sha384' };
      const msg = Buffer.from('det');
      const a = provider.sign(k.priv, alg, msg);
      expect(Buffer.from(nobleProvider().sign(k.priv, alg, msg)).equals(Buffer.from(a))).toBe(true);
      const bad = a.slice();
      bad[bad.length - 1]! ^= 1;
      expect(provider.verify(k.pub, alg, msg, bad)).toBe(false);
      expect(provider.verify(k.pub, alg, msg, a.subarray(0, a.length - 1))).toBe(false);
      expect(provider.verify(k.pub, alg, msg, new Uint8Array(0))).toBe(false);
      expect(provider.verify(k.pub, alg, msg, new Uint8Array([0x30, 0x06, 2, 1, 0, 2, 1, 1]))).toBe(false); // r = 0
      const compact = noble.Signature.fromBytes(a, 'der').toBytes('compact');
      expect(provider.verify(k.pub, alg, msg, compact)).toBe(false); // not DER
      const wrongPoint = k.pub.type === 'ec' ? k.pub.point.slice() : new Uint8Array(0);
      wrongPoint[wrongPoint.length - 1]! ^= 1;
      expect(provider.verify({ type: 'ec', curve, point: wrongPoint }, alg, msg, a)).toBe(false);
      expect(provider.verify(k.pub, { type: 'rsa-pkcs1', hash: 'sha384' }, msg, a)).toBe(false);
      expect(() => provider.sign(k.priv, { type: 'rsa-pss', hash: 'sha256', saltLength: 32 }, msg)).toThrow(TypeError);
      expect(() => provider.sign(k.priv, { type: 'ed25519' }, msg)).toThrow(TypeError);
    });
  }

  it('a curve mismatch between key and signature is false', () => {
    const k256 = ecKey('prime256v1', 'P-256');
    const k384 = ecKey('secp384r1', 'P-384');
    const sig = provider.sign(k256.priv, { type: 'ecdsa', hash: 'sha256' }, Buffer.from('m'));
    expect(provider.verify(k384.pub, { type: 'ecdsa', hash: 'sha256' }, Buffer.from('m'), sig)).toBe(false);
  });

  it('accepts a P-521 private scalar with its leading zero bytes stripped', () => {
    let k = ecKey('secp521r1', 'P-521');
    while (k.priv.type === 'ec' && k.priv.d[0] !== 0) k = ecKey('secp521r1', 'P-521'); // top byte is 0 or 1
    if (k.priv.type !== 'ec') throw new Error('unreachable');
    const stripped: PrivateKey = { ...k.priv, d: k.priv.d.subarray(1) };
    const sig = provider.sign(stripped, { type: 'ecdsa', hash: 'sha512' }, Buffer.from('m'));
    expect(nodeCrypto.verify('sha512', Buffer.from('m'), k.nodePub, sig)).toBe(true);
  });
});

describe('Ed25519', () => {
  it('byte-identical to node, verifies both ways', () => {
    for (let i = 0; i < 5; i++) {
      const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync('ed25519');
      const j = privateKey.export({ format: 'jwk' });
      const priv: PrivateKey = { type: 'ed25519', seed: new Uint8Array(b64u(j.d)), key: new Uint8Array(b64u(j.x)) };
      const pub: PublicKey = { type: 'ed25519', key: new Uint8Array(b64u(j.x)) };
      const msg = nodeCrypto.randomBytes(i * 100);
      const ours = provider.sign(priv, { type: 'ed25519' }, msg);
      const theirs = nodeCrypto.sign(null, msg, privateKey);
      expect(Buffer.from(ours).equals(theirs)).toBe(true);
      expect(nodeCrypto.verify(null, msg, publicKey, ours)).toBe(true);
      expect(provider.verify(pub, { type: 'ed25519' }, msg, theirs)).toBe(true);
      const bad = Buffer.from(theirs);
      bad[5]! ^= 1;
      expect(provider.verify(pub, { type: 'ed25519' }, msg, bad)).toBe(false);
      expect(provider.verify(pub, { type: 'ed25519' }, msg, theirs.subarray(0, 63))).toBe(false);
      expect(provider.verify(pub, { type: 'ecdsa', hash: 'sha256' }, msg, theirs)).toBe(false);
      expect(provider.verify({ type: 'ed25519', key: new Uint8Array(31) }, { type: 'ed25519' }, msg, theirs)).toBe(false);
      expect(() => provider.sign(priv, { type: 'ecdsa', hash: 'sha256' }, msg)).toThrow(TypeError);
    }
  });

  it('RFC 8032 test 1', () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const key = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const sig = provider.sign({ type: 'ed25519', seed, key }, { type: 'ed25519' }, new Uint8Array(0));
    expect(Buffer.from(sig).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(provider.verify({ type: 'ed25519', key }, { type: 'ed25519' }, new Uint8Array(0), sig)).toBe(true);
  });

  it('rejects a non-canonical S (S + L), as RFC 8032 requires', () => {
    const seed = nodeCrypto.randomBytes(32);
    const priv = nodeCrypto.createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const j = priv.export({ format: 'jwk' });
    const key = new Uint8Array(b64u(j.x));
    const sig = provider.sign({ type: 'ed25519', seed, key }, { type: 'ed25519' }, Buffer.from('m'));
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    s += L;
    const mall = sig.slice();
    for (let i = 32; i < 64; i++, s >>= 8n) mall[i] = Number(s & 0xffn);
    expect(provider.verify({ type: 'ed25519', key }, { type: 'ed25519' }, Buffer.from('m'), mall)).toBe(false);
  });
});
