/**
 * node's `sigalgs` and `ecdhCurve` options → the core's signature schemes and
 * groups (every refusal names the option, as node's ERR_INVALID_ARG_* errors
 * do), and node's names for a group (getEphemeralKeyInfo).
 */
import { NamedGroup, SignatureScheme } from '../common/constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { invalidArgType, invalidArgValue } from './coded-errors.js';

const S = SignatureScheme;
/** The TLS names (RFC 8446 §4.2.3) of the schemes puretls implements, as OpenSSL spells them. */
const SIGALG_NAMES: Record<string, number> = {
  ecdsa_secp256r1_sha256: S.ecdsa_secp256r1_sha256,
  ecdsa_secp384r1_sha384: S.ecdsa_secp384r1_sha384,
  ecdsa_secp521r1_sha512: S.ecdsa_secp521r1_sha512,
  ed25519: S.ed25519,
  rsa_pss_rsae_sha256: S.rsa_pss_rsae_sha256,
  rsa_pss_rsae_sha384: S.rsa_pss_rsae_sha384,
  rsa_pss_rsae_sha512: S.rsa_pss_rsae_sha512,
  rsa_pkcs1_sha256: S.rsa_pkcs1_sha256,
  rsa_pkcs1_sha384: S.rsa_pkcs1_sha384,
  rsa_pkcs1_sha512: S.rsa_pkcs1_sha512,
};
/** OpenSSL's SIG+HASH form: the first scheme of its table with that key type and hash (RSA-PSS is rsa_pss_rsae_*). */
const SIGALG_PAIRS: Record<string, Record<'sha256' | 'sha384' | 'sha512', number>> = {
  RSA: { sha256: S.rsa_pkcs1_sha256, sha384: S.rsa_pkcs1_sha384, sha512: S.rsa_pkcs1_sha512 },
  'RSA-PSS': { sha256: S.rsa_pss_rsae_sha256, sha384: S.rsa_pss_rsae_sha384, sha512: S.rsa_pss_rsae_sha512 },
  PSS: { sha256: S.rsa_pss_rsae_sha256, sha384: S.rsa_pss_rsae_sha384, sha512: S.rsa_pss_rsae_sha512 },
  ECDSA: { sha256: S.ecdsa_secp256r1_sha256, sha384: S.ecdsa_secp384r1_sha384, sha512: S.ecdsa_secp521r1_sha512 },
};
/** Hashes by OpenSSL short or long name. */
const SIGALG_HASHES: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  SHA256: 'sha256',
  sha256: 'sha256',
  SHA384: 'sha384',
  sha384: 'sha384',
  SHA512: 'sha512',
  sha512: 'sha512',
};

/**
 * node's `sigalgs` → signature schemes in order (the ones we offer in
 * signature_algorithms, sign with and accept in CertificateVerify). Names are
 * case-sensitive and each may appear once, as in OpenSSL; a name OpenSSL knows
 * but puretls does not implement (ed448, rsa_pss_pss_*, SHA-1 ...) is refused
 * too, rather than dropped.
 */
export function parseSigalgs(value: unknown): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgType('sigalgs', 'a string', value);
  if (value === '') throw invalidArgValue('sigalgs', value, 'names no signature scheme');
  const ids: number[] = [];
  for (const raw of value.split(':')) {
    const name = raw.trim();
    if (name === '') throw invalidArgValue('sigalgs', value, 'has an empty entry');
    const [sig, hash, extra] = name.split('+');
    const id = hash === undefined ? SIGALG_NAMES[name] : extra === undefined ? SIGALG_PAIRS[sig!]?.[SIGALG_HASHES[hash]!] : undefined;
    if (id === undefined) {
      throw invalidArgValue('sigalgs', value, `names '${name}', which is not a signature scheme puretls implements (${Object.keys(SIGALG_NAMES).join(', ')}, or RSA/RSA-PSS/ECDSA+SHA256/SHA384/SHA512)`);
    }
    if (ids.includes(id)) throw invalidArgValue('sigalgs', value, `names the scheme of '${name}' twice`);
    ids.push(id);
  }
  return ids;
}

const GROUPS: Record<string, number> = {
  x25519: NamedGroup.x25519,
  x448: NamedGroup.x448,
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp256r1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  secp384r1: NamedGroup.secp384r1,
  'p-521': NamedGroup.secp521r1,
  secp521r1: NamedGroup.secp521r1,
  ffdhe2048: NamedGroup.ffdhe2048,
  ffdhe3072: NamedGroup.ffdhe3072,
  ffdhe4096: NamedGroup.ffdhe4096,
  ffdhe6144: NamedGroup.ffdhe6144,
  ffdhe8192: NamedGroup.ffdhe8192,
};

/** 'auto' → default; 'X25519:P-256' → group ids (case-insensitive), checked against the provider. */
export function parseGroups(value: unknown, provider: CryptoProvider | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType('ecdhCurve', 'a string', value);
  if (value.toLowerCase() === 'auto') return undefined;
  const ids: number[] = [];
  for (const name of value.split(':').map((s) => s.trim()).filter((s) => s !== '')) {
    const id = GROUPS[name.toLowerCase()];
    if (id === undefined) throw invalidArgValue('ecdhCurve', value, `names an unknown group '${name}'`);
    if (provider && !provider.groups.includes(id)) throw invalidArgValue('ecdhCurve', value, `names '${name}', which the crypto provider does not support`);
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length === 0) throw invalidArgValue('ecdhCurve', value, 'names no group');
  return ids;
}

/** getEphemeralKeyInfo()'s object: node's { type, name, size } ('DH' has no name). */
export interface EphemeralKeyInfo {
  type: 'ECDH' | 'DH';
  name?: string;
  size: number;
}

/** As node prints them (OpenSSL's short names; X25519's size is 253 bits). */
const EPHEMERAL_KEYS: Readonly<Record<number, EphemeralKeyInfo>> = {
  [NamedGroup.x25519]: { type: 'ECDH', name: 'X25519', size: 253 },
  [NamedGroup.x448]: { type: 'ECDH', name: 'X448', size: 448 },
  [NamedGroup.secp256r1]: { type: 'ECDH', name: 'prime256v1', size: 256 },
  [NamedGroup.secp384r1]: { type: 'ECDH', name: 'secp384r1', size: 384 },
  [NamedGroup.secp521r1]: { type: 'ECDH', name: 'secp521r1', size: 521 },
  [NamedGroup.ffdhe2048]: { type: 'DH', size: 2048 },
  [NamedGroup.ffdhe3072]: { type: 'DH', size: 3072 },
  [NamedGroup.ffdhe4096]: { type: 'DH', size: 4096 },
  [NamedGroup.ffdhe6144]: { type: 'DH', size: 6144 },
  [NamedGroup.ffdhe8192]: { type: 'DH', size: 8192 },
};

/** The key exchange of `group` as node's getEphemeralKeyInfo() reports it (a copy), or undefined. */
export function ephemeralKeyInfo(group: number): EphemeralKeyInfo | undefined {
  const info = EPHEMERAL_KEYS[group];
  return info ? { ...info } : undefined;
}
