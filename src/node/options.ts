/**
 * node:tls option names and values → the core's TlsContext options.
 * Every refusal names the option, as node's ERR_INVALID_ARG_* errors do.
 */
import type { Duplex } from 'node:stream';
import { createSecureContext as opensslSecureContext } from 'node:tls';
import { NamedGroup, ProtocolVersion, SignatureScheme } from '../common/constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { suiteByName, TLS13_SUITES } from '../crypto/suites.js';
import type { TlsLimits } from '../ssl/context.js';
import type { PeerCertificate, SecureContext } from './secure-context.js';

/** A PEM string or buffer (DER is accepted where noted). */
export type PemInput = string | Uint8Array;
/** node's `ca`: one or many PEM/DER certificates. */
export type CaOption = PemInput | readonly PemInput[];
/** node's ALPNProtocols: names, or the wire format, or an array of buffers. */
export type AlpnOption = readonly string[] | Uint8Array | readonly Uint8Array[];

/**
 * Options shared by clients, servers and createSecureContext (node's names).
 * node:tls options puretls does not implement are refused at run time (see
 * UNSUPPORTED_OPTIONS), never ignored.
 */
export interface SecureContextOptions {
  /** Trust anchors. Default: node's `tls.rootCertificates`. */
  ca?: CaOption;
  /** Our certificate chain, PEM (leaf first); an array of one chain is accepted. */
  cert?: PemInput | readonly PemInput[];
  /** Our private key, PEM or DER, unencrypted; an array of one is accepted. */
  key?: PemInput | readonly (PemInput | { pem: PemInput; passphrase?: string })[];
  /** Accepted as node does, but encrypted keys themselves are refused when the key is parsed. */
  passphrase?: string;
  /** 'TLSv1.3' (default). TLS 1.2 is not implemented yet. */
  minVersion?: string;
  maxVersion?: string;
  /**
   * puretls (OpenSSL's -ciphersuites; node has no such option): the TLS 1.3
   * suites, colon-separated; every name must be one we implement. When given,
   * it replaces the TLS 1.3 names of `ciphers`.
   */
  ciphersuites?: string;
  /**
   * node's cipher list: the `TLS_*` names in it choose the TLS 1.3 suites (as
   * in node); with none, the TLS 1.3 suites stay the default (as in node).
   * The other names form the TLS 1.2 list, checked as node checks it (OpenSSL
   * "no cipher match") and otherwise unused: TLS 1.2 cannot be negotiated.
   */
  ciphers?: string;
  /**
   * Signature schemes we offer and accept, colon-separated: TLS names
   * (`ecdsa_secp256r1_sha256`, `rsa_pss_rsae_sha256`, `ed25519`, ...) or
   * OpenSSL's `SIG+HASH` (`ECDSA+SHA256`, `RSA-PSS+SHA256`, `RSA+SHA256`).
   */
  sigalgs?: string;
  /** 'auto' or colon-separated group names (X25519, P-256, prime256v1, secp384r1, ffdhe2048 ...). */
  ecdhCurve?: string;
  /** Server: prefer our suite order. */
  honorCipherOrder?: boolean;
  /** puretls: the crypto provider (default: the pure-noble one). */
  provider?: CryptoProvider;
  /** puretls: limits on what a peer may repeat. */
  limits?: Partial<TlsLimits>;
}

/** Options of `connect()` / a client `TlsSocket`, as node:tls's. */
export interface ConnectOptions extends SecureContextOptions {
  host?: string;
  port?: number | string;
  /** IPC path (net.connect's). */
  path?: string;
  /** TLS over this stream instead of a new TCP connection. */
  socket?: Duplex;
  /** SNI and the name checked. Default: `host` unless it is an IP literal (then no SNI). */
  servername?: string;
  /** Default true. */
  rejectUnauthorized?: boolean;
  /** Replaces the host name check; return an Error to refuse. */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  ALPNProtocols?: AlpnOption;
  /**
   * A session to resume (TLS 1.3 PSK with (EC)DHE): the Buffer of an earlier
   * connection's 'session' event or getSession(). Offered only while it is
   * within its ticket lifetime; a server that refuses it gets a full handshake.
   */
  session?: Uint8Array | null;
  secureContext?: SecureContext;
  highWaterMark?: number;
  /** puretls: fail the handshake after this many ms (client default: none). */
  handshakeTimeout?: number;
  allowHalfOpen?: boolean;
  /** net.connect options passed through. */
  localAddress?: string;
  localPort?: number;
  family?: number;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  lookup?: (hostname: string, options: object, callback: (...args: never[]) => void) => void;
}

/** Options of `createServer()` / a server `TlsSocket`, as node:tls's. */
export interface TlsServerOptions extends SecureContextOptions {
  /** Ask clients for a certificate. Default false. */
  requestCert?: boolean;
  /** With requestCert: refuse clients without a valid certificate. Default true. */
  rejectUnauthorized?: boolean;
  /** Server preference order. */
  ALPNProtocols?: AlpnOption;
  /**
   * Choose the protocol from the client's list (node's ALPNCallback): return
   * one of `protocols`, or undefined to refuse (no_application_protocol).
   * Called only when the client offers ALPN; exclusive with ALPNProtocols.
   */
  ALPNCallback?: AlpnCallback;
  /** Pick a context by the client's SNI: cb(null, createSecureContext(...)) or cb(null) for the default. */
  SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
  /** Default 120000 ms; on expiry 'tlsClientError' with ERR_TLS_HANDSHAKE_TIMEOUT. */
  handshakeTimeout?: number;
  secureContext?: SecureContext;
  highWaterMark?: number;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  /** TCP_NODELAY (Nagle off) on accepted connections. Default true (node's net default is false; a TLS answer should not wait for an ACK). */
  noDelay?: boolean;
}

/** node's ALPNCallback; `servername` is false when the client sent no SNI. */
export type AlpnCallback = (arg: { servername: string | false; protocols: string[] }) => string | undefined;

/** new TlsSocket(transport, options): node's TLSSocket options (isServer picks the role). */
export interface TlsSocketOptions extends ConnectOptions, Omit<TlsServerOptions, keyof ConnectOptions> {
  isServer?: boolean;
}

/** An Error carrying a node-style `code`. */
export type CodedError = Error & { code: string };

export function codedError<E extends Error>(err: E, code: string): E & { code: string } {
  return Object.assign(err, { code });
}

/** node's error when the transport ends before the handshake completed. */
export function disconnected(): CodedError {
  return codedError(new Error('Client network socket disconnected before secure TLS connection was established'), 'ECONNRESET');
}

export function closedError(): CodedError {
  return codedError(new Error('The transport is closed'), 'EPIPE');
}

export function invalidArgValue(option: string, value: unknown, reason: string): CodedError {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return codedError(new RangeError(`The option '${option}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

export function invalidArgType(option: string, expected: string, value: unknown): CodedError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return codedError(new TypeError(`The "${option}" option must be ${expected}. Received ${got}`), 'ERR_INVALID_ARG_TYPE');
}

const VERSIONS: Record<string, number | 'tls12' | undefined> = {
  'TLSv1.3': ProtocolVersion.TLSv1_3,
  'TLSv1.2': 'tls12',
};

/** 'TLSv1.3' → 0x0304; 'TLSv1.2' → "not implemented yet"; anything else → unsupported. */
export function parseVersion(option: 'minVersion' | 'maxVersion', value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType(option, 'a string', value);
  const v = VERSIONS[value];
  if (v === 'tls12') {
    throw codedError(new RangeError(`${option}: TLS 1.2 is not implemented yet (only 'TLSv1.3' is supported)`), 'ERR_TLS_INVALID_PROTOCOL_VERSION');
  }
  if (v === undefined) {
    throw codedError(new RangeError(`${option}: '${value}' is not supported (only 'TLSv1.3' is)`), 'ERR_TLS_INVALID_PROTOCOL_VERSION');
  }
  return v;
}

/** 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256' → suite ids, in order (puretls's `ciphersuites`: every name must be ours). */
export function parseCipherSuites(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType('ciphersuites', 'a string', value);
  const ids: number[] = [];
  for (const name of value.split(':').map((s) => s.trim()).filter((s) => s !== '')) {
    const s = suiteByName(name);
    if (!s || s.version !== '1.3') throw invalidArgValue('ciphersuites', value, `names an unknown TLS 1.3 cipher suite '${name}'`);
    if (!ids.includes(s.id)) ids.push(s.id);
  }
  if (ids.length === 0) throw invalidArgValue('ciphersuites', value, 'names no TLS 1.3 cipher suite');
  return ids;
}

function noCipherMatch(value: string, why: string, cause?: unknown): CodedError {
  const err = codedError(new Error(`The 'ciphers' option ${why} (no cipher match). Received '${value}'`), 'ERR_SSL_NO_CIPHER_MATCH');
  return cause === undefined ? err : Object.assign(err, { cause });
}

/**
 * node's `ciphers` → the TLS 1.3 suites it chooses, or undefined for the
 * default. Mirrors node 20 (lib/internal/tls/secure-context.js, checked by
 * experiment against node:tls):
 * - the list is split on ':'; `TLS_*` (and `!TLS_*`) entries go to OpenSSL's
 *   TLS 1.3 list, the others to the TLS 1.2 list;
 * - TLS 1.3 entries: unknown names are skipped if another one is known,
 *   none known is 'no cipher match'; with no TLS 1.3 entry at all the TLS 1.3
 *   suites stay the default, even when the TLS 1.2 list names only TLS 1.2
 *   ciphers (node negotiates TLS 1.3 with its default suites then);
 * - the TLS 1.2 list must match some cipher, else node throws 'no cipher
 *   match' — even beside good TLS 1.3 names. We let node's own OpenSSL judge
 *   it (its cipher-string language is OpenSSL's), then leave it unused:
 *   minVersion/maxVersion refuse TLSv1.2, so no TLS 1.2 suite can be chosen;
 * - nothing at all (':') is ERR_INVALID_ARG_VALUE; '' means the default.
 * Refused where node would silently drop what the user asked for: `!TLS_*`
 * (OpenSSL does not remove TLS 1.3 suites that way) and a TLS_ name joined
 * to the TLS 1.2 list by a space or comma (node never sees it as TLS 1.3).
 * We also refuse a TLS 1.3 list naming no suite puretls implements (node
 * accepts TLS_AES_128_CCM_SHA256, say, which we do not build).
 */
export function parseCiphers(value: unknown): number[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidArgType('ciphers', 'a string', value);
  const entries = value.split(':').filter((e) => e !== '');
  if (entries.length === 0) throw invalidArgValue('ciphers', value, 'names no cipher');
  const tls13 = entries.filter((e) => e.startsWith('TLS_') || e.startsWith('!TLS_'));
  const tls12 = entries.filter((e) => !tls13.includes(e));
  const ids: number[] = [];
  for (const name of tls13) {
    if (name.startsWith('!')) {
      throw invalidArgValue('ciphers', value, `cannot exclude a TLS 1.3 suite with '${name}' (OpenSSL ignores it); list the suites to allow instead`);
    }
    const s = suiteByName(name);
    if (s?.version === '1.3' && !ids.includes(s.id)) ids.push(s.id);
  }
  if (tls13.length > 0 && ids.length === 0) {
    throw noCipherMatch(value, `names no TLS 1.3 suite puretls implements (${TLS13_SUITES.map((x) => x.name).join(', ')})`);
  }
  if (tls12.length > 0) {
    const hidden = tls12.flatMap((e) => e.split(/[ ,;]+/)).find((t) => /^!?TLS_/.test(t));
    if (hidden !== undefined) throw invalidArgValue('ciphers', value, `has '${hidden}' joined by a space or comma; separate TLS 1.3 suites with ':'`);
    try {
      opensslSecureContext({ ciphers: tls12.join(':') });
    } catch (e) {
      throw noCipherMatch(value, `TLS 1.2 part '${tls12.join(':')}' matches no cipher`, e);
    }
  }
  return ids.length > 0 ? ids : undefined;
}

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

/** Where a node:tls option applies: createSecureContext(), connect(), createServer() (and new TlsSocket by its role). */
export type OptionScope = 'context' | 'client' | 'server';

interface UnsupportedOption {
  readonly scopes: readonly OptionScope[];
  /** What it would do, for the error message. */
  readonly why: string;
  /** Values that ask for nothing beyond what puretls does (accepted). undefined and null always are. */
  readonly accepts?: (value: unknown) => boolean;
}

const ALL_SCOPES: readonly OptionScope[] = ['context', 'client', 'server'];
/** secureProtocol values that mean "the versions minVersion..maxVersion allow", i.e. node's default. */
const DEFAULT_METHODS = ['TLS_method', 'TLS_client_method', 'TLS_server_method', 'SSLv23_method', 'SSLv23_client_method', 'SSLv23_server_method'];

/**
 * node:tls options (node 20: tls.createSecureContext, tls.connect,
 * tls.createServer, new tls.TLSSocket) that affect security and that puretls
 * does not implement yet. Each is refused with ERR_TLS_OPTION_UNSUPPORTED when
 * set (undefined and null are absent), so that no connection is made without
 * what was asked for. `accepts` lists the values that ask for nothing.
 *
 * Not here, because puretls implements them: ca, cert, key, passphrase,
 * ciphers, ciphersuites, sigalgs, ecdhCurve, honorCipherOrder, minVersion,
 * maxVersion, servername, checkServerIdentity, rejectUnauthorized,
 * requestCert, ALPNProtocols, ALPNCallback, SNICallback, session,
 * secureContext, handshakeTimeout. Accepted and ignored (IGNORED_OPTIONS):
 * enableTrace.
 */
export const UNSUPPORTED_OPTIONS: Readonly<Record<string, UnsupportedOption>> = {
  allowPartialTrustChain: { scopes: ALL_SCOPES, why: 'intermediate certificates as trust anchors', accepts: (v) => v === false },
  clientCertEngine: { scopes: ALL_SCOPES, why: 'OpenSSL engines' },
  crl: { scopes: ALL_SCOPES, why: 'certificate revocation lists are not checked' },
  dhparam: { scopes: ALL_SCOPES, why: 'it sets TLS 1.2 DHE parameters, and TLS 1.2 is not implemented' },
  pfx: { scopes: ALL_SCOPES, why: 'PKCS#12 is not read; pass cert and key (PEM or DER)' },
  privateKeyEngine: { scopes: ALL_SCOPES, why: 'OpenSSL engines' },
  privateKeyIdentifier: { scopes: ALL_SCOPES, why: 'OpenSSL engines' },
  secureOptions: { scopes: ALL_SCOPES, why: "OpenSSL's SSL_OP_* flags are not interpreted", accepts: (v) => v === 0 },
  secureProtocol: {
    scopes: ALL_SCOPES,
    why: `only ${DEFAULT_METHODS.join(', ')} (the default) are accepted; use minVersion/maxVersion`,
    accepts: (v) => typeof v === 'string' && DEFAULT_METHODS.includes(v),
  },
  sessionIdContext: { scopes: ALL_SCOPES, why: 'server-side session resumption is not implemented' },
  sessionTimeout: { scopes: ALL_SCOPES, why: 'server-side session resumption is not implemented' },
  ticketKeys: { scopes: ALL_SCOPES, why: 'server-side session tickets are not implemented' },
  pskCallback: { scopes: ['client', 'server'], why: 'external pre-shared keys are not implemented' },
  pskIdentityHint: { scopes: ['server'], why: 'external pre-shared keys are not implemented' },
  requestOCSP: { scopes: ['client'], why: "OCSP stapling ('OCSPResponse') is not implemented", accepts: (v) => v === false },
  minDHSize: {
    scopes: ['client'],
    why: 'only a number up to 2048 is supported (every DH group puretls negotiates, ffdhe2048 and up, has at least 2048 bits)',
    accepts: (v) => typeof v === 'number' && v > 0 && v <= 2048,
  },
};

/**
 * Options accepted and ignored, with why that is safe: they change no
 * security property of the connection.
 */
export const IGNORED_OPTIONS: Readonly<Record<string, string>> = {
  enableTrace: 'debug output of OpenSSL message traces to stderr; puretls has its Connection events instead',
};

/** The error for a set option that puretls does not implement. */
export function unsupportedOption(option: string, why: string): CodedError {
  return codedError(new TypeError(`The "${option}" option is not supported by puretls yet: ${why}`), 'ERR_TLS_OPTION_UNSUPPORTED');
}

/**
 * Refuse every option of UNSUPPORTED_OPTIONS that applies to `scope` and is set.
 * @throws {TypeError} ERR_TLS_OPTION_UNSUPPORTED naming the option
 */
export function refuseUnsupportedOptions(options: object, scope: OptionScope): void {
  const given = options as Record<string, unknown>;
  for (const [name, entry] of Object.entries(UNSUPPORTED_OPTIONS)) {
    if (!entry.scopes.includes(scope)) continue;
    const value = given[name];
    if (value === undefined || value === null || entry.accepts?.(value)) continue;
    throw unsupportedOption(name, entry.why);
  }
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

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** ALPNProtocols in any of node's forms → protocol names. */
export function parseAlpn(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const fail = (why: string): never => {
    throw invalidArgValue('ALPNProtocols', Array.isArray(value) ? `[${value.length} entries]` : typeof value, why);
  };
  let names: string[];
  if (value instanceof Uint8Array) {
    names = [];
    for (let i = 0; i < value.length; ) {
      const n = value[i]!;
      if (n === 0 || i + 1 + n > value.length) fail('is not a valid ALPN wire-format list');
      names.push(latin1(value.subarray(i + 1, i + 1 + n)));
      i += 1 + n;
    }
  } else if (Array.isArray(value)) {
    names = value.map((p: unknown) => {
      if (typeof p === 'string') return Buffer.from(p, 'utf8').toString('latin1');
      if (p instanceof Uint8Array) return latin1(p);
      return fail('must hold strings or buffers');
    });
  } else {
    throw invalidArgType('ALPNProtocols', 'an Array, a Buffer or a Uint8Array', value);
  }
  for (const n of names) if (n.length === 0 || n.length > 255) fail('entries must be 1..255 bytes');
  return names.length > 0 ? names : undefined;
}

/** A positive timeout in ms, or undefined. */
export function parseTimeout(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidArgValue(option, value, 'must be a non-negative number of milliseconds');
  return value;
}
