/**
 * A minimal CryptoProvider backed by node:crypto, for X.509 tests: `verify`
 * (RSA PKCS#1 / PSS, ECDSA with DER signatures, Ed25519), `hash`, a settable
 * clock, and randomBytes. Everything else throws.
 */
import { createHash, createPublicKey, constants, verify as nodeVerify, randomBytes, type KeyObject } from 'node:crypto';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider, HashAlgorithm, HashContext, PublicKey, SignatureAlgorithm } from '../../src/crypto/provider.js';

function b64url(n: bigint | Uint8Array): string {
  let bytes: Uint8Array;
  if (typeof n === 'bigint') {
    let h = n.toString(16);
    if (h.length % 2) h = '0' + h;
    bytes = Buffer.from(h, 'hex');
  } else {
    bytes = n;
  }
  return Buffer.from(bytes).toString('base64url');
}

export function keyObject(key: PublicKey): KeyObject {
  switch (key.type) {
    case 'rsa':
      return createPublicKey({ key: { kty: 'RSA', n: b64url(key.n), e: b64url(key.e) }, format: 'jwk' });
    case 'ec': {
      const len = (key.point.length - 1) / 2;
      return createPublicKey({
        key: { kty: 'EC', crv: key.curve, x: b64url(key.point.subarray(1, 1 + len)), y: b64url(key.point.subarray(1 + len)) },
        format: 'jwk',
      });
    }
    case 'ed25519':
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(key.key) }, format: 'jwk' });
  }
}

function nodeHash(algorithm: HashAlgorithm, h = createHash(algorithm)): HashContext {
  return {
    algorithm,
    update: (d) => void h.update(d),
    digest: () => new Uint8Array(h.copy().digest()),
    clone: () => nodeHash(algorithm, h.copy()),
  };
}

export interface OracleProvider extends CryptoProvider {
  /** The clock `nowMs()` reports; undefined means the real time. */
  now: number | undefined;
}

const unsupported = (what: string) => (): never => {
  throw new Error(`oracle provider: ${what} is not implemented`);
};

export function oracleProvider(now?: number): OracleProvider {
  const p: OracleProvider = {
    now,
    nowMs: () => p.now ?? Date.now(),
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    hash: (a) => nodeHash(a),
    hmac: unsupported('hmac'),
    hkdfExtract: unsupported('hkdfExtract'),
    hkdfExpand: unsupported('hkdfExpand'),
    aead: unsupported('aead'),
    groups: [],
    keyExchange: unsupported('keyExchange'),
    sign: unsupported('sign'),
    verify(key: PublicKey, alg: SignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
      try {
        const ko = keyObject(key);
        switch (alg.type) {
          case 'rsa-pkcs1':
            return key.type === 'rsa' && nodeVerify(alg.hash, message, ko, signature);
          case 'rsa-pss':
            return (
              key.type === 'rsa' &&
              nodeVerify(
                alg.hash,
                message,
                { key: ko, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength },
                signature,
              )
            );
          case 'ecdsa':
            return key.type === 'ec' && nodeVerify(alg.hash, message, { key: ko, dsaEncoding: 'der' }, signature);
          case 'ed25519':
            return key.type === 'ed25519' && nodeVerify(null, message, ko, signature);
        }
      } catch {
        return false;
      }
    },
  };
  return p;
}

/** `base` with its clock replaced by `clock.now` (real time while undefined). */
export function withClock(base: CryptoProvider, clock: { now: number | undefined }): CryptoProvider {
  return {
    randomBytes: (n) => base.randomBytes(n),
    nowMs: () => clock.now ?? base.nowMs(),
    hash: (a) => base.hash(a),
    hmac: (a, k, d) => base.hmac(a, k, d),
    hkdfExtract: (a, s, i) => base.hkdfExtract(a, s, i),
    hkdfExpand: (a, p, i, l) => base.hkdfExpand(a, p, i, l),
    aead: (a, k) => base.aead(a, k),
    get groups() {
      return base.groups;
    },
    keyExchange: (g) => base.keyExchange(g),
    sign: (k, a, m) => base.sign(k, a, m),
    verify: (k, a, m, s) => base.verify(k, a, m, s),
  };
}

export interface NamedProvider {
  readonly name: string;
  /** A provider whose clock is `clock.now` (real time while undefined). */
  make(clock: { now: number | undefined }): CryptoProvider;
}

/** The providers X.509 tests run against: the node:crypto oracle and the noble provider. */
export function x509Providers(): NamedProvider[] {
  const noble = nobleProvider();
  return [
    { name: 'oracle', make: (clock) => withClock(oracleProvider(), clock) },
    { name: 'noble', make: (clock) => withClock(noble, clock) },
  ];
}
