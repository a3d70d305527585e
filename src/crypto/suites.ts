import { CipherSuite } from '../common/constants.js';
import type { AeadAlgorithm, HashAlgorithm } from './provider.js';

/** What a cipher suite means, as data (shared by record layer, handshake and CLI). */
export interface SuiteInfo {
  readonly id: number;
  /** IANA name, e.g. TLS_AES_128_GCM_SHA256 */
  readonly name: string;
  /** OpenSSL's name, e.g. ECDHE-RSA-AES128-GCM-SHA256 (same as IANA for TLS 1.3) */
  readonly opensslName: string;
  readonly version: '1.3' | '1.2';
  readonly aead: AeadAlgorithm;
  readonly hash: HashAlgorithm;
  readonly keyLength: number;
  /** TLS 1.3: 12; TLS 1.2 GCM: 4 (implicit salt) + 8 explicit; TLS 1.2 ChaCha20: 12 */
  readonly fixedIvLength: number;
  /** TLS 1.2 only: the authentication the certificate must support. */
  readonly auth?: 'RSA' | 'ECDSA';
}

function s13(id: number, name: string, aead: AeadAlgorithm, hash: HashAlgorithm, keyLength: number): SuiteInfo {
  return { id, name, opensslName: name, version: '1.3', aead, hash, keyLength, fixedIvLength: 12 };
}
function s12(
  id: number,
  name: string,
  opensslName: string,
  aead: AeadAlgorithm,
  hash: HashAlgorithm,
  auth: 'RSA' | 'ECDSA',
): SuiteInfo {
  const keyLength = aead === 'AES-128-GCM' ? 16 : 32;
  const fixedIvLength = aead === 'CHACHA20-POLY1305' ? 12 : 4;
  return { id, name, opensslName, version: '1.2', aead, hash, keyLength, fixedIvLength, auth };
}

const C = CipherSuite;
export const SUITES: readonly SuiteInfo[] = [
  s13(C.TLS_AES_128_GCM_SHA256, 'TLS_AES_128_GCM_SHA256', 'AES-128-GCM', 'sha256', 16),
  s13(C.TLS_AES_256_GCM_SHA384, 'TLS_AES_256_GCM_SHA384', 'AES-256-GCM', 'sha384', 32),
  s13(C.TLS_CHACHA20_POLY1305_SHA256, 'TLS_CHACHA20_POLY1305_SHA256', 'CHACHA20-POLY1305', 'sha256', 32),
  s12(C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'AES-128-GCM', 'sha256', 'ECDSA'),
  s12(C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'AES-128-GCM', 'sha256', 'RSA'),
  s12(C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'AES-256-GCM', 'sha384', 'ECDSA'),
  s12(C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'AES-256-GCM', 'sha384', 'RSA'),
  s12(C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'CHACHA20-POLY1305', 'sha256', 'ECDSA'),
  s12(C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'CHACHA20-POLY1305', 'sha256', 'RSA'),
];

const byId = new Map(SUITES.map((s) => [s.id, s]));

export function suiteInfo(id: number): SuiteInfo | undefined {
  return byId.get(id);
}

/** Find by IANA or OpenSSL name. */
export function suiteByName(name: string): SuiteInfo | undefined {
  return SUITES.find((s) => s.name === name || s.opensslName === name);
}

export const TLS13_SUITES = SUITES.filter((s) => s.version === '1.3');
