/**
 * Key exchange for the node:crypto provider: X25519 / X448, the P-curves and
 * the RFC 7919 groups, with the same private keys from the same random stream
 * and the same peer-share checks (kx-checks.ts, ffdhe.ts) as kx.ts.
 */
import { createDiffieHellman, createECDH, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { NamedGroup } from '../../common/constants.js';
import { TlsError } from '../../common/errors.js';
import { FFDHE_EXPONENT_BITS, FFDHE_GENERATOR, ffdheGroupName, ffdhePeerShare, ffdhePrime, type FfdheGroupName } from '../ffdhe.js';
import { drawScalar, montgomeryShared, weierstrassShared } from '../kx-checks.js';
import type { KeyExchange } from '../provider.js';
import { draw, type RandomBytes } from '../random-source.js';
import { bigIntToBytes, byteLength, bytesToBigInt } from '../rsa.js';
import { P256, P384, P521, type CurveInfo } from './curves.js';
import { b64u, leftPad, plain, unb64u } from './util.js';

const MONTGOMERY: ReadonlyMap<number, { name: string; crv: 'X25519' | 'X448'; length: number }> = new Map([
  [NamedGroup.x25519, { name: 'x25519', crv: 'X25519', length: 32 }],
  [NamedGroup.x448, { name: 'x448', crv: 'X448', length: 56 }],
]);

const WEIERSTRASS: ReadonlyMap<number, CurveInfo> = new Map([
  [NamedGroup.secp256r1, P256],
  [NamedGroup.secp384r1, P384],
  [NamedGroup.secp521r1, P521],
]);

const FFDHE: readonly number[] = [
  NamedGroup.ffdhe2048,
  NamedGroup.ffdhe3072,
  NamedGroup.ffdhe4096,
  NamedGroup.ffdhe6144,
  NamedGroup.ffdhe8192,
];

/** Every group keyExchange() can do: the same as nobleProvider's. */
export const GROUPS: readonly number[] = Object.freeze([...MONTGOMERY.keys(), ...WEIERSTRASS.keys(), ...FFDHE]);

/**
 * X25519 / X448 (RFC 7748) on KeyObjects. The private key is `length` random
 * bytes from randomBytes (clamped by OpenSSL as by noble), imported as a JWK:
 * OpenSSL derives the public key from `d` (the JWK's `x` is not used for a
 * private key, but node requires the member), which is far cheaper than a
 * PKCS#8 import. A peer share of the wrong length, one OpenSSL refuses, or
 * one giving the all-zero output (OpenSSL refuses that itself) is
 * illegal_parameter (RFC 8446 §7.4.2), as with noble.
 */
function montgomeryExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  const { name, crv, length } = MONTGOMERY.get(group)!;
  const secret = draw(randomBytes, length);
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv, d: b64u(secret), x: b64u(new Uint8Array(length)) },
    format: 'jwk',
  });
  secret.fill(0);
  const publicKey = unb64u(createPublicKey(privateKey).export({ format: 'jwk' }).x);
  return {
    group,
    publicKey,
    complete: (peerPublicKey: Uint8Array): Uint8Array =>
      montgomeryShared(name, length, peerPublicKey, (peer) => {
        const peerKey = createPublicKey({ key: { kty: 'OKP', crv, x: b64u(peer) }, format: 'jwk' });
        return plain(diffieHellman({ privateKey, publicKey: peerKey }));
      }),
  };
}

/**
 * ECDHE on a P-curve with node's ECDH. The private scalar is drawn exactly as
 * noble's provider draws it (size bytes, the bits above the order's bit length
 * cleared, retried while 0 or >= n), so the same random stream gives the same
 * key. The share is SEC1 uncompressed; the peer's must be too and on the curve
 * (OpenSSL's point decoding checks that, and coordinates < p), else
 * illegal_parameter. The shared secret is the x coordinate, field-size bytes.
 */
function weierstrassExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  const { name, ossl, size, orderBits, order } = WEIERSTRASS.get(group)!;
  const secret = drawScalar(name, randomBytes, size, orderBits, order);
  const ecdh = createECDH(ossl);
  ecdh.setPrivateKey(secret);
  secret.fill(0);
  const publicKey = plain(ecdh.getPublicKey(null, 'uncompressed'));
  const shareLength = 1 + 2 * size;
  return {
    group,
    publicKey,
    // Left-padded to the field size, should OpenSSL ever strip leading zeros.
    complete: (peerPublicKey: Uint8Array): Uint8Array =>
      leftPad(weierstrassShared(name, shareLength, peerPublicKey, (peer) => ecdh.computeSecret(peer)), size),
  };
}

interface FfdheParams {
  readonly prime: Buffer;
  readonly pMinus1: bigint;
  readonly pLen: number;
}

const ffdheParams = new Map<FfdheGroupName, FfdheParams>();

function ffdheParamsOf(name: FfdheGroupName): FfdheParams {
  let params = ffdheParams.get(name);
  if (params === undefined) {
    const p = ffdhePrime(name);
    const pLen = byteLength(p);
    params = { prime: Buffer.from(bigIntToBytes(p, pLen)), pMinus1: p - 1n, pLen };
    ffdheParams.set(name, params);
  }
  return params;
}

const GENERATOR = Buffer.from(bigIntToBytes(FFDHE_GENERATOR, 1));

/**
 * RFC 7919 finite-field DH with node's DiffieHellman on ffdhe.ts's primes. The
 * exponent is drawn as noble's provider draws it (EXPONENT_BITS/8 random
 * bytes, redrawn while < 2), so the same random stream gives the same share.
 * The peer's share must be pLen bytes with 1 < Y < p-1 (ffdhePeerShare, as
 * ffdhe.ts does), else illegal_parameter; the secret keeps its leading zeros.
 */
function ffdheExchange(group: number, name: FfdheGroupName, randomBytes: RandomBytes): KeyExchange {
  const { prime, pMinus1, pLen } = ffdheParamsOf(name);
  const xLen = FFDHE_EXPONENT_BITS[name] / 8;
  let x: Uint8Array | undefined;
  while (x === undefined) {
    const r = draw(randomBytes, xLen);
    if (bytesToBigInt(r) >= 2n) x = r;
    else r.fill(0);
  }
  const dh = createDiffieHellman(prime, GENERATOR);
  dh.setPrivateKey(x);
  x.fill(0);
  const publicKey = leftPad(dh.generateKeys(), pLen);
  return {
    group,
    publicKey,
    complete(peerPublicKey: Uint8Array): Uint8Array {
      ffdhePeerShare(name, peerPublicKey, pLen, pMinus1);
      let shared: Buffer;
      try {
        shared = dh.computeSecret(peerPublicKey);
      } catch {
        throw TlsError.illegal(`${name} key share refused`);
      }
      return leftPad(shared, pLen);
    },
  };
}

export function keyExchange(group: number, randomBytes: RandomBytes): KeyExchange {
  if (MONTGOMERY.has(group)) return montgomeryExchange(group, randomBytes);
  if (WEIERSTRASS.has(group)) return weierstrassExchange(group, randomBytes);
  const ff = ffdheGroupName(group);
  if (ff !== undefined) return ffdheExchange(group, ff, randomBytes);
  throw TlsError.handshakeFailure(`unsupported key exchange group 0x${group.toString(16).padStart(4, '0')}`);
}
