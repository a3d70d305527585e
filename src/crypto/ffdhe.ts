/**
 * Finite-field Diffie-Hellman over the RFC 7919 groups (TLS 1.3: RFC 8446
 * §4.2.8.1, §7.4.1). Generator 2; the primes are the RFC 7919 Appendix A ones
 * (checked in the tests against `openssl genpkey -pkeyopt group:ffdheN`).
 *
 * Short exponents (RFC 7919 §5.2): the private exponent is drawn as a random
 * integer of EXPONENT_BITS bits, which is at least twice the group's estimated
 * security strength and above RFC 7919's per-group minimum:
 *   ffdhe2048: 256 bits (RFC 7919 minimum 225, strength 103)
 *   ffdhe3072: 320 bits (275, 125)
 *   ffdhe4096: 384 bits (325, 150)
 *   ffdhe6144: 448 bits (375, 175)
 *   ffdhe8192: 512 bits (400, 192)
 */
import { NamedGroup } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import type { KeyExchange } from './provider.js';
import { bigIntToBytes, bytesToBigInt, modPow } from './rsa.js';

export type FfdheGroupName = 'ffdhe2048' | 'ffdhe3072' | 'ffdhe4096' | 'ffdhe6144' | 'ffdhe8192';

/** RFC 7919 Appendix A primes, big-endian hex. */
const PRIME_HEX: Record<FfdheGroupName, string> = {
  ffdhe2048:
    'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695' +
    'a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617a' +
    'd3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
    '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a' +
    'bc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4' +
    'ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
    '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005' +
    'c58ef1837d1683b2c6f34a26c1b2effa886b423861285c97ffffffffffffffff',
  ffdhe3072:
    'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695' +
    'a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617a' +
    'd3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
    '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a' +
    'bc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4' +
    'ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
    '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005' +
    'c58ef1837d1683b2c6f34a26c1b2effa886b4238611fcfdcde355b3b6519035b' +
    'bc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c' +
    'aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff' +
    '5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e' +
    '0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b66c62e37ffffffffffffffff',
  ffdhe4096:
    'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695' +
    'a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617a' +
    'd3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
    '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a' +
    'bc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4' +
    'ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
    '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005' +
    'c58ef1837d1683b2c6f34a26c1b2effa886b4238611fcfdcde355b3b6519035b' +
    'bc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c' +
    'aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff' +
    '5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e' +
    '0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb' +
    '7930e9e4e58857b6ac7d5f42d69f6d187763cf1d5503400487f55ba57e31cc7a' +
    '7135c886efb4318aed6a1e012d9e6832a907600a918130c46dc778f971ad0038' +
    '092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf' +
    '8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e655f6affffffffffffffff',
  ffdhe6144:
    'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695' +
    'a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617a' +
    'd3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
    '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a' +
    'bc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4' +
    'ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
    '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005' +
    'c58ef1837d1683b2c6f34a26c1b2effa886b4238611fcfdcde355b3b6519035b' +
    'bc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c' +
    'aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff' +
    '5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e' +
    '0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb' +
    '7930e9e4e58857b6ac7d5f42d69f6d187763cf1d5503400487f55ba57e31cc7a' +
    '7135c886efb4318aed6a1e012d9e6832a907600a918130c46dc778f971ad0038' +
    '092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf' +
    '8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd9020bfd64b645036c7a' +
    '4e677d2c38532a3a23ba4442caf53ea63bb454329b7624c8917bdd64b1c0fd4c' +
    'b38e8c334c701c3acdad0657fccfec719b1f5c3e4e46041f388147fb4cfdb477' +
    'a52471f7a9a96910b855322edb6340d8a00ef092350511e30abec1fff9e3a26e' +
    '7fb29f8c183023c3587e38da0077d9b4763e4e4b94b2bbc194c6651e77caf992' +
    'eeaac0232a281bf6b3a739c1226116820ae8db5847a67cbef9c9091b462d538c' +
    'd72b03746ae77f5e62292c311562a846505dc82db854338ae49f5235c95b9117' +
    '8ccf2dd5cacef403ec9d1810c6272b045b3b71f9dc6b80d63fdd4a8e9adb1e69' +
    '62a69526d43161c1a41d570d7938dad4a40e329cd0e40e65ffffffffffffffff',
  ffdhe8192:
    'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695' +
    'a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617a' +
    'd3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
    '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a' +
    'bc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4' +
    'ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
    '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005' +
    'c58ef1837d1683b2c6f34a26c1b2effa886b4238611fcfdcde355b3b6519035b' +
    'bc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c' +
    'aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff' +
    '5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e' +
    '0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb' +
    '7930e9e4e58857b6ac7d5f42d69f6d187763cf1d5503400487f55ba57e31cc7a' +
    '7135c886efb4318aed6a1e012d9e6832a907600a918130c46dc778f971ad0038' +
    '092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf' +
    '8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd9020bfd64b645036c7a' +
    '4e677d2c38532a3a23ba4442caf53ea63bb454329b7624c8917bdd64b1c0fd4c' +
    'b38e8c334c701c3acdad0657fccfec719b1f5c3e4e46041f388147fb4cfdb477' +
    'a52471f7a9a96910b855322edb6340d8a00ef092350511e30abec1fff9e3a26e' +
    '7fb29f8c183023c3587e38da0077d9b4763e4e4b94b2bbc194c6651e77caf992' +
    'eeaac0232a281bf6b3a739c1226116820ae8db5847a67cbef9c9091b462d538c' +
    'd72b03746ae77f5e62292c311562a846505dc82db854338ae49f5235c95b9117' +
    '8ccf2dd5cacef403ec9d1810c6272b045b3b71f9dc6b80d63fdd4a8e9adb1e69' +
    '62a69526d43161c1a41d570d7938dad4a40e329ccff46aaa36ad004cf600c838' +
    '1e425a31d951ae64fdb23fcec9509d43687feb69edd1cc5e0b8cc3bdf64b10ef' +
    '86b63142a3ab8829555b2f747c932665cb2c0f1cc01bd70229388839d2af05e4' +
    '54504ac78b7582822846c0ba35c35f5c59160cc046fd8251541fc68c9c86b022' +
    'bb7099876a460e7451a8a93109703fee1c217e6c3826e52c51aa691e0e423cfc' +
    '99e9e31650c1217b624816cdad9a95f9d5b8019488d9c0a0a1fe3075a577e231' +
    '83f81d4a3f2fa4571efc8ce0ba8a4fe8b6855dfe72b0a66eded2fbabfbe58a30' +
    'fafabe1c5d71a87e2f741ef8c1fe86fea6bbfde530677f0d97d11d49f7a8443d' +
    '0822e506a9f4614e011e2a94838ff88cd68c8bb7c5c6424cffffffffffffffff',
};

/** Private exponent size in bits (see the module comment). */
export const FFDHE_EXPONENT_BITS: Record<FfdheGroupName, number> = {
  ffdhe2048: 256,
  ffdhe3072: 320,
  ffdhe4096: 384,
  ffdhe6144: 448,
  ffdhe8192: 512,
};

const BY_CODE: ReadonlyMap<number, FfdheGroupName> = new Map<number, FfdheGroupName>([
  [NamedGroup.ffdhe2048, 'ffdhe2048'],
  [NamedGroup.ffdhe3072, 'ffdhe3072'],
  [NamedGroup.ffdhe4096, 'ffdhe4096'],
  [NamedGroup.ffdhe6144, 'ffdhe6144'],
  [NamedGroup.ffdhe8192, 'ffdhe8192'],
]);

export const FFDHE_GROUPS: readonly number[] = [...BY_CODE.keys()];

export const FFDHE_GENERATOR = 2n;

const primeCache = new Map<FfdheGroupName, bigint>();

/** The group's prime p. */
export function ffdhePrime(name: FfdheGroupName): bigint {
  let p = primeCache.get(name);
  if (p === undefined) {
    p = BigInt('0x' + PRIME_HEX[name]);
    primeCache.set(name, p);
  }
  return p;
}

/** The RFC 7919 group for a NamedGroup code point, if it is one. */
export function ffdheGroupName(group: number): FfdheGroupName | undefined {
  return BY_CODE.get(group);
}

/**
 * The peer's FFDHE share Y as a number, after the checks (RFC 8446 §4.2.8.1;
 * RFC 7919 §5.1): exactly pLen bytes and 1 < Y < p-1, else illegal_parameter.
 */
export function ffdhePeerShare(name: FfdheGroupName, peerPublicKey: Uint8Array, pLen: number, pMinus1: bigint): bigint {
  if (peerPublicKey.length !== pLen) {
    throw TlsError.illegal(`${name} key share must be ${pLen} bytes, got ${peerPublicKey.length}`);
  }
  const y = bytesToBigInt(peerPublicKey);
  if (y <= 1n || y >= pMinus1) throw TlsError.illegal(`${name} key share out of range (need 1 < Y < p-1)`);
  return y;
}

/**
 * Our FFDHE share: Y = 2^x mod p, left-padded to the prime's length. The peer's
 * share must have exactly that length and satisfy 1 < Y < p-1 (RFC 8446
 * §4.2.8.1; RFC 7919 §5.1), else illegal_parameter. The shared secret keeps its
 * leading zeros (padded to the prime's length, RFC 8446 §7.4.1); TLS 1.2 callers
 * strip them per RFC 5246 §8.1.2.
 */
export function ffdheKeyExchange(group: number, randomBytes: (n: number) => Uint8Array): KeyExchange {
  const name = BY_CODE.get(group);
  if (name === undefined) throw TlsError.handshakeFailure(`not an FFDHE group: 0x${group.toString(16)}`);
  const p = ffdhePrime(name);
  const pLen = PRIME_HEX[name].length / 2;
  const xLen = FFDHE_EXPONENT_BITS[name] / 8;
  let x = 0n;
  while (x < 2n) {
    const r = randomBytes(xLen);
    if (r.length !== xLen) throw new Error('random source returned the wrong length');
    x = bytesToBigInt(r);
    r.fill(0);
  }
  const publicKey = bigIntToBytes(modPow(FFDHE_GENERATOR, x, p), pLen);
  return {
    group,
    publicKey,
    complete(peerPublicKey: Uint8Array): Uint8Array {
      const y = ffdhePeerShare(name, peerPublicKey, pLen, p - 1n);
      return bigIntToBytes(modPow(y, x, p), pLen);
    },
  };
}
