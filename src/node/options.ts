/**
 * node:tls option names and values → the core's TlsContext options.
 * Every refusal names the option, as node's ERR_INVALID_ARG_* errors do.
 */
import type { Duplex } from 'node:stream';
import { NamedGroup, ProtocolVersion } from '../common/constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { suiteByName } from '../crypto/suites.js';
import type { TlsLimits } from '../ssl/context.js';
import type { PeerCertificate, SecureContext } from './secure-context.js';

/** A PEM string or buffer (DER is accepted where noted). */
export type PemInput = string | Uint8Array;
/** node's `ca`: one or many PEM/DER certificates. */
export type CaOption = PemInput | readonly PemInput[];
/** node's ALPNProtocols: names, or the wire format, or an array of buffers. */
export type AlpnOption = readonly string[] | Uint8Array | readonly Uint8Array[];

/** Options shared by clients, servers and createSecureContext (node's names). */
export interface SecureContextOptions {
  /** Trust anchors. Default: node's `tls.rootCertificates`. */
  ca?: CaOption;
  /** Our certificate chain, PEM (leaf first); an array of one chain is accepted. */
  cert?: PemInput | readonly PemInput[];
  /** Our private key, PEM or DER, unencrypted; an array of one is accepted. */
  key?: PemInput | readonly (PemInput | { pem: PemInput; passphrase?: string })[];
  /** Refused: encrypted keys are not supported. */
  passphrase?: string;
  /** 'TLSv1.3' (default). TLS 1.2 is not implemented yet. */
  minVersion?: string;
  maxVersion?: string;
  /** TLS 1.3 suites, OpenSSL names, colon-separated. */
  ciphersuites?: string;
  /** TLS 1.2 cipher list: kept, unused until TLS 1.2 lands. */
  ciphers?: string;
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
  /** Pick a context by the client's SNI: cb(null, createSecureContext(...)) or cb(null) for the default. */
  SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
  /** Default 120000 ms; on expiry 'tlsClientError' with ERR_TLS_HANDSHAKE_TIMEOUT. */
  handshakeTimeout?: number;
  secureContext?: SecureContext;
  highWaterMark?: number;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
}

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

/** 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256' → suite ids, in order. */
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
