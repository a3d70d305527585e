/**
 * The TLS flags s_client and s_server share, as node:tls options: protocol
 * versions (-tls1_2, -tls1_3, -no_tls1_2, -no_tls1_3), cipher suites
 * (-cipher for TLS 1.2, -ciphersuites for TLS 1.3), -groups, -alpn, and the
 * renegotiation flags (-client_renegotiation, -no_renegotiation; the legacy
 * ones are refused).
 */
import { SUITES, suiteByName } from '../crypto/suites.js';
import type { RenegotiationPolicy } from '../ssl/context.js';
import { isTls12IanaEntry } from '../node/cipher-string.js';
import { parseCiphers } from '../node/ciphers.js';
import { UsageError, has, listFlag, str, type ParsedFlags } from './args.js';
import { errorText, type TlsOptions } from './session.js';

/**
 * The version flags → node:tls minVersion/maxVersion, as OpenSSL: -tls1_2 /
 * -tls1_3 allow that version only; -no_tls1_2 / -no_tls1_3 take one away.
 */
export function versionOptions(flags: ParsedFlags): { minVersion?: string; maxVersion?: string } {
  const only12 = has(flags, 'tls1_2');
  const only13 = has(flags, 'tls1_3');
  if (only12 && only13) throw new UsageError('-tls1_2 and -tls1_3 cannot be used together');
  const v12 = !has(flags, 'no_tls1_2') && !only13;
  const v13 = !has(flags, 'no_tls1_3') && !only12;
  if (only12 && !v12) throw new UsageError('-tls1_2 and -no_tls1_2 leave no protocol version');
  if (only13 && !v13) throw new UsageError('-tls1_3 and -no_tls1_3 leave no protocol version');
  if (!v12 && !v13) throw new UsageError('-no_tls1_2 and -no_tls1_3 leave no protocol version (TLS 1.0 and 1.1 are not implemented)');
  if (v12 && v13) return {};
  return v12 ? { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } : { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
}

/** -ciphersuites: TLS 1.3 suites by IANA name, checked here for a clear message. */
export function ciphersuitesOption(value: string): string {
  const names = listFlag(value, ':');
  if (names.length === 0) throw new UsageError('-ciphersuites: empty list');
  for (const n of names) {
    const s = suiteByName(n);
    if (!s || s.version !== '1.3') {
      const known = SUITES.filter((x) => x.version === '1.3').map((x) => x.name);
      throw new UsageError(`-ciphersuites: unknown TLS 1.3 cipher suite '${n}' (known: ${known.join(', ')})`);
    }
  }
  return names.join(':');
}


/** Our TLS 1.2 suites, OpenSSL's names (for messages). */
const TLS12_NAMES = SUITES.filter((s) => s.version === '1.2').map((s) => s.opensslName);

/**
 * -cipher: an OpenSSL cipher string for TLS 1.2 (names such as
 * ECDHE-RSA-AES128-GCM-SHA256 or our IANA names, aliases such as HIGH or
 * ECDHE+AESGCM, !x -x +x, @STRENGTH) → node's `ciphers` (its TLS 1.2 part;
 * -ciphersuites stays the TLS 1.3 list). Checked now, for a clear message.
 */
export function cipherOption(value: string): string {
  const entries = listFlag(value, ':');
  if (entries.length === 0) throw new UsageError('-cipher: empty list');
  const tls13 = entries.find((e) => /^[!+-]?TLS_/.test(e) && !isTls12IanaEntry(e));
  if (tls13 !== undefined) throw new UsageError(`-cipher: '${tls13}' is a TLS 1.3 suite (or unknown): -cipher is for TLS 1.2, use -ciphersuites for TLS 1.3`);
  const list = entries.join(':');
  let tls12: readonly number[] | undefined;
  try {
    tls12 = parseCiphers(list).tls12;
  } catch (e) {
    throw new UsageError(`-cipher: '${list}' ${/no cipher match/.test(errorText(e)) ? 'matches no cipher' : `is not a valid cipher string (${errorText(e)})`}`);
  }
  if (!tls12 || tls12.length === 0) throw new UsageError(`-cipher: '${list}' selects no TLS 1.2 suite puretls implements (${TLS12_NAMES.join(', ')})`);
  return list;
}

const GROUP_ALIASES: Readonly<Record<string, string>> = {
  x25519: 'X25519',
  x448: 'X448',
  'p-256': 'P-256',
  prime256v1: 'P-256',
  secp256r1: 'P-256',
  'p-384': 'P-384',
  secp384r1: 'P-384',
  'p-521': 'P-521',
  secp521r1: 'P-521',
  ffdhe2048: 'ffdhe2048',
  ffdhe3072: 'ffdhe3072',
  ffdhe4096: 'ffdhe4096',
  ffdhe6144: 'ffdhe6144',
  ffdhe8192: 'ffdhe8192',
};

/** -groups a:b → node:tls ecdhCurve ('X25519:P-256'), with OpenSSL's aliases. */
export function groupsOption(value: string): string {
  const names = listFlag(value, ':');
  if (names.length === 0) throw new UsageError('-groups: empty list');
  return names
    .map((n) => {
      const g = GROUP_ALIASES[n.toLowerCase()];
      if (!g) throw new UsageError(`-groups: unknown group '${n}' (known: x25519, P-256, P-384, P-521, x448, ffdhe2048..ffdhe8192)`);
      return g;
    })
    .join(':');
}

/** -alpn h2,http/1.1 → ['h2', 'http/1.1']. */
export function alpnOption(value: string): string[] {
  const list = listFlag(value, ',');
  if (list.length === 0) throw new UsageError('-alpn: empty list');
  for (const p of list) if (Buffer.byteLength(p) > 255) throw new UsageError(`-alpn: protocol name too long: ${p.slice(0, 20)}...`);
  return list;
}

/** The cipher, group and ALPN flags s_client and s_server share, applied to node:tls options. */
export function applyCipherFlags(flags: ParsedFlags, options: TlsOptions): void {
  const suites = str(flags, 'ciphersuites');
  if (suites !== undefined) options.ciphersuites = ciphersuitesOption(suites);
  const cipher = str(flags, 'cipher');
  if (cipher !== undefined) options.ciphers = cipherOption(cipher);
  const groups = str(flags, 'groups');
  if (groups !== undefined) options.ecdhCurve = groupsOption(groups);
  const alpn = str(flags, 'alpn');
  if (alpn !== undefined) options.ALPNProtocols = alpnOption(alpn);
}

/** Renegotiations a peer may start, when allowed (OpenSSL sets no limit; we keep a generous one). */
export const CLI_RENEGOTIATION_LIMIT = 100;

/**
 * The renegotiation flags → the adapter's `renegotiation` policy, as
 * OpenSSL 3: a server refuses client-initiated renegotiation unless
 * -client_renegotiation; -no_renegotiation (SSL_OP_NO_RENEGOTIATION)
 * refuses all (a client answers HelloRequest with no_renegotiation).
 * -legacy_renegotiation and -legacy_server_connect are refused.
 */
export function renegotiationFlags(flags: ParsedFlags, role: 'client' | 'server'): { policy: Partial<RenegotiationPolicy>; disabled: boolean } {
  if (has(flags, 'legacy_renegotiation')) {
    throw new UsageError('-legacy_renegotiation: unsafe legacy renegotiation is not supported (puretls renegotiates only with RFC 5746 secure renegotiation)');
  }
  if (has(flags, 'legacy_server_connect')) {
    throw new UsageError('-legacy_server_connect: servers without RFC 5746 secure renegotiation are not supported (puretls requires renegotiation_info)');
  }
  const disabled = has(flags, 'no_renegotiation');
  const limits = { maxPerConnection: CLI_RENEGOTIATION_LIMIT, maxPerWindow: CLI_RENEGOTIATION_LIMIT, windowSeconds: 600 };
  if (role === 'client') return { policy: { refuseServerInitiated: disabled, ...limits }, disabled };
  return { policy: { acceptClientInitiated: has(flags, 'client_renegotiation') && !disabled, ...limits }, disabled };
}
