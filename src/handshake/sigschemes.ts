import { NamedGroup as G, SignatureScheme as S } from '../common/constants.js';
import type { PrivateKey, PublicKey, SignatureAlgorithm } from '../crypto/provider.js';

/** What a TLS SignatureScheme means (RFC 8446 §4.2.3), and which keys may use it. */
interface SchemeInfo {
  readonly alg: SignatureAlgorithm;
  /** The key it needs: 'rsa', or an EC curve, or ed25519. */
  readonly key: 'rsa' | 'P-256' | 'P-384' | 'P-521' | 'ed25519';
  /** Allowed in a TLS 1.3 CertificateVerify (RFC 8446 §4.4.3: no PKCS#1 v1.5, no SHA-1). */
  readonly tls13: boolean;
}

const pss = (hash: 'sha256' | 'sha384' | 'sha512', saltLength: number): SignatureAlgorithm => ({
  type: 'rsa-pss',
  hash,
  saltLength,
});

const SCHEMES = new Map<number, SchemeInfo>([
  [S.ecdsa_secp256r1_sha256, { alg: { type: 'ecdsa', hash: 'sha256' }, key: 'P-256', tls13: true }],
  [S.ecdsa_secp384r1_sha384, { alg: { type: 'ecdsa', hash: 'sha384' }, key: 'P-384', tls13: true }],
  [S.ecdsa_secp521r1_sha512, { alg: { type: 'ecdsa', hash: 'sha512' }, key: 'P-521', tls13: true }],
  [S.ed25519, { alg: { type: 'ed25519' }, key: 'ed25519', tls13: true }],
  [S.rsa_pss_rsae_sha256, { alg: pss('sha256', 32), key: 'rsa', tls13: true }],
  [S.rsa_pss_rsae_sha384, { alg: pss('sha384', 48), key: 'rsa', tls13: true }],
  [S.rsa_pss_rsae_sha512, { alg: pss('sha512', 64), key: 'rsa', tls13: true }],
  [S.rsa_pkcs1_sha256, { alg: { type: 'rsa-pkcs1', hash: 'sha256' }, key: 'rsa', tls13: false }],
  [S.rsa_pkcs1_sha384, { alg: { type: 'rsa-pkcs1', hash: 'sha384' }, key: 'rsa', tls13: false }],
  [S.rsa_pkcs1_sha512, { alg: { type: 'rsa-pkcs1', hash: 'sha512' }, key: 'rsa', tls13: false }],
]);

/** Our default offer, in preference order (signature_algorithms). */
export const DEFAULT_SIGNATURE_SCHEMES: readonly number[] = [
  S.ecdsa_secp256r1_sha256,
  S.ecdsa_secp384r1_sha384,
  S.ecdsa_secp521r1_sha512,
  S.ed25519,
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_rsae_sha512,
  S.rsa_pkcs1_sha256,
  S.rsa_pkcs1_sha384,
  S.rsa_pkcs1_sha512,
];

export function schemeAlgorithm(scheme: number): SignatureAlgorithm | undefined {
  return SCHEMES.get(scheme)?.alg;
}

function keyKind(key: PublicKey | PrivateKey): SchemeInfo['key'] {
  return key.type === 'ec' ? key.curve : key.type;
}

/**
 * Can `key` make/verify signatures of `scheme` in this TLS version? In TLS
 * 1.3 an ECDSA scheme names its curve; in TLS 1.2 it names only the hash
 * (RFC 5246 §7.4.1.4.1: ecdsa + sha256 on any curve; RFC 8422 §5.1.1 bounds
 * the curve by supported_groups instead).
 */
export function schemeFitsKey(scheme: number, key: PublicKey | PrivateKey, version: '1.3' | '1.2'): boolean {
  const info = SCHEMES.get(scheme);
  if (!info) return false;
  if (version === '1.3' && !info.tls13) return false;
  if (version === '1.2' && info.alg.type === 'ecdsa') return key.type === 'ec';
  return info.key === keyKind(key);
}

/**
 * Our first scheme (in our order) that the peer offered and our key can
 * make; in TLS 1.2 an ECDSA scheme of the key's own curve is preferred.
 */
export function chooseScheme(
  ours: readonly number[],
  peerOffered: readonly number[],
  key: PrivateKey,
  version: '1.3' | '1.2',
): number | undefined {
  const offered = new Set(peerOffered);
  const usable = ours.filter((s) => offered.has(s) && schemeFitsKey(s, key, version));
  return usable.find((s) => SCHEMES.get(s)!.key === keyKind(key)) ?? usable[0];
}

/** The TLS group of an EC key's curve (RFC 8422 §5.1.1), for the supported_groups check. */
export function curveGroup(key: PublicKey | PrivateKey): number | undefined {
  if (key.type !== 'ec') return undefined;
  return { 'P-256': G.secp256r1, 'P-384': G.secp384r1, 'P-521': G.secp521r1 }[key.curve];
}
