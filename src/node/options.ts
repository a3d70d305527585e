/**
 * node:tls option names and values → the core's TlsContext options.
 * Every refusal names the option, as node's ERR_INVALID_ARG_* errors do.
 */
import type { Duplex } from 'node:stream';
import { ProtocolVersion } from '../common/constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { RenegotiationPolicy, TlsLimits } from '../ssl/context.js';
import { codedError, invalidArgType, invalidArgValue } from './coded-errors.js';
import type { PeerCertificate } from './peer-certificate.js';
import type { SecureContext } from './secure-context.js';

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
  /** Server: the session ticket keys, 48 bytes (16 name, 16 HMAC secret, 16 AES key), as node; shared by servers that must open each other's tickets. */
  ticketKeys?: Uint8Array;
  /**
   * OpenSSL's SSL_OP_* flags (crypto.constants). Honoured: NO_TICKET,
   * CIPHER_SERVER_PREFERENCE, NO_TLSv1_2, NO_TLSv1_3, NO_RENEGOTIATION,
   * ALLOW_NO_DHE_KEX; accepted as already so: ALL, NO_SSLv3, NO_TLSv1,
   * NO_TLSv1_1, NO_COMPRESSION and other flags for what puretls lacks; the
   * rest are refused by name (ERR_TLS_OPTION_UNSUPPORTED).
   */
  secureOptions?: number;
  /** Trust anchors. Default: node's `tls.rootCertificates`. */
  ca?: CaOption;
  /** Our certificate chain, PEM (leaf first); an array of one chain is accepted. */
  cert?: PemInput | readonly PemInput[];
  /** Our private key, PEM or DER, unencrypted; an array of one is accepted. */
  key?: PemInput | readonly (PemInput | { pem: PemInput; passphrase?: string })[];
  /** Accepted as node does, but encrypted keys themselves are refused when the key is parsed. */
  passphrase?: string;
  /** 'TLSv1.2' (default) or 'TLSv1.3'. 'TLSv1', 'TLSv1.1' and 'SSLv3' are refused (not implemented, RFC 8996). */
  minVersion?: string;
  /** 'TLSv1.3' (default) or 'TLSv1.2'. */
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
   * The other names are an OpenSSL cipher string choosing the TLS 1.2 suites
   * (names, aliases such as HIGH or ECDHE+AESGCM, `!x`, `-x`, `+x`,
   * @STRENGTH), of which puretls implements the six ECDHE AEAD ones; a list
   * with no TLS 1.2 part, or one selecting none of those, turns TLS 1.2 off.
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
  /**
   * puretls, server: 'speed' picks the AEAD the provider runs fastest among
   * those the client offers (ChaCha20-Poly1305 on the `@noble` provider, AES-GCM
   * on node:crypto), then the suite order; 'order' the suite order alone (node's
   * and OpenSSL's rule). Default 'speed' unless `ciphers` or `ciphersuites` is
   * given or `honorCipherOrder` is false.
   */
  aeadPreference?: 'speed' | 'order';
  /** Server: seconds a TLS 1.2 session stays resumable (node's sessionTimeout; 0 or absent: 300). */
  sessionTimeout?: number;
  /** Server: TLS 1.2 sessions are resumed only by connections of the same context (at most 32 bytes). */
  sessionIdContext?: string;
  /** puretls: the crypto provider (default: the pure-noble one). */
  provider?: CryptoProvider;
  /** puretls: limits on what a peer may repeat. */
  limits?: Partial<TlsLimits>;
  /** node's enableTrace on sockets: as tlsSocket.enableTrace() from the start (ignored by createSecureContext, as node). */
  enableTrace?: boolean;
  /** puretls: an EOF without the peer's close_notify is an 'error' ERR_SSL_UNEXPECTED_EOF_WHILE_READING (OpenSSL 3's default), not 'end' (node's). Default false. */
  rejectTruncation?: boolean;
  /**
   * puretls: the TLS 1.2 renegotiation policy (RFC 5746), over the defaults:
   * - `acceptClientInitiated` (server): accept a renegotiation the client
   *   starts; otherwise answer with a no_renegotiation warning. Default true
   *   on a server, as node (false is OpenSSL 3's default).
   * - `refuseServerInitiated` (client): answer a server's HelloRequest with
   *   a no_renegotiation warning instead of renegotiating. Default false.
   * - `maxPerWindow` / `windowSeconds`: renegotiations the peer may start
   *   within that many seconds; one more fails the connection (a server's:
   *   node's tls.CLIENT_RENEG_LIMIT, 3, per tls.CLIENT_RENEG_WINDOW, 600).
   * - `maxPerConnection`: renegotiations the peer may start on one
   *   connection (a server's default: no limit, as node; a client's: 100).
   * Counts and seconds are non-negative integers (Infinity: no limit).
   * Renegotiations we start (renegotiate()) are not counted. With a
   * `secureContext`, that context's policy applies.
   * @throws {TypeError} a field of the wrong type, or an unknown field; {RangeError} a bad number
   */
  renegotiation?: Partial<RenegotiationPolicy>;
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
   * A session to resume (TLS 1.3: PSK with (EC)DHE; TLS 1.2: its session
   * ID): the Buffer of an earlier connection's 'session' event or
   * getSession(). Offered only while it is within its lifetime; a server
   * that refuses it gets a full handshake.
   */
  session?: Uint8Array | null;
  secureContext?: SecureContext;
  highWaterMark?: number;
  /** puretls: fail the handshake after this many ms (client default: none). */
  handshakeTimeout?: number;
  /**
   * puretls (OpenSSL's SSL_set_post_handshake_auth): offer TLS 1.3
   * post-handshake authentication; a server's request is answered with
   * `cert`/`key` (or an empty certificate without them). Default false.
   */
  postHandshakeAuth?: boolean;
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
  /**
   * Pick a context by the client's SNI: cb(null, createSecureContext(...)),
   * cb(null, options) with the options themselves (puretls; node 20 fails the
   * connection then), or cb(null) for the default.
   */
  SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext | SecureContextOptions) => void) => void;
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

/** OpenSSL's SSL_OP_NO_TICKET (node's crypto.constants.SSL_OP_NO_TICKET): no TLS 1.2 session tickets. */
export const SSL_OP_NO_TICKET = 0x4000;

/** The versions puretls speaks, by node's names. */
const VERSIONS: Readonly<Record<string, number>> = {
  'TLSv1.2': ProtocolVersion.TLSv1_2,
  'TLSv1.3': ProtocolVersion.TLSv1_3,
};
/** Versions node knows (or once knew) that puretls does not implement. */
const LEGACY_VERSIONS = ['TLSv1', 'TLSv1.1', 'SSLv3'];

/**
 * node's minVersion / maxVersion → 0x0303 / 0x0304; undefined and null are
 * absent (node's defaults, 'TLSv1.2'..'TLSv1.3', are the core's). As node
 * (lib/_tls_common.js toV), anything else is a TypeError
 * ERR_TLS_INVALID_PROTOCOL_VERSION: '"x" is not a valid minimum TLS protocol
 * version'. node accepts 'TLSv1' and 'TLSv1.1'; puretls refuses them (and
 * 'SSLv3') by name rather than speak less than was allowed.
 */
export function parseVersion(option: 'minVersion' | 'maxVersion', value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = typeof value === 'string' ? VERSIONS[value] : undefined;
  if (v !== undefined) return v;
  if (LEGACY_VERSIONS.includes(value as string)) {
    return badVersion(`The ${option} option '${String(value)}' is not implemented by puretls: SSL 3.0, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996); use 'TLSv1.2' or 'TLSv1.3'`);
  }
  const which = option === 'minVersion' ? 'minimum' : 'maximum';
  return badVersion(`${JSON.stringify(value) ?? String(value)} is not a valid ${which} TLS protocol version`);
}

function badVersion(message: string): never {
  throw codedError(new TypeError(message), 'ERR_TLS_INVALID_PROTOCOL_VERSION');
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

const RENEGOTIATION_FLAGS = ['acceptClientInitiated', 'refuseServerInitiated'] as const;
const RENEGOTIATION_COUNTS = ['maxPerConnection', 'maxPerWindow', 'windowSeconds'] as const;

/**
 * puretls's `renegotiation` option, checked field by field (undefined fields
 * are absent); Infinity becomes Number.MAX_SAFE_INTEGER (no limit).
 * @throws {TypeError} ERR_INVALID_ARG_TYPE naming the field; ERR_INVALID_ARG_VALUE for an unknown field
 * @throws {RangeError} ERR_OUT_OF_RANGE naming the field, for a count that is not a non-negative integer
 */
export function parseRenegotiation(value: unknown): Partial<RenegotiationPolicy> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgType('renegotiation', 'an object', value);
  const given = value as Record<string, unknown>;
  const known: readonly string[] = [...RENEGOTIATION_FLAGS, ...RENEGOTIATION_COUNTS];
  const unknown = Object.keys(given).find((k) => !known.includes(k));
  if (unknown !== undefined) {
    throw codedError(new TypeError(`The "renegotiation" option has an unknown field '${unknown}' (known: ${known.join(', ')})`), 'ERR_INVALID_ARG_VALUE');
  }
  const out: { -readonly [K in keyof RenegotiationPolicy]?: RenegotiationPolicy[K] } = {};
  for (const k of RENEGOTIATION_FLAGS) {
    const v = given[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw invalidArgType(`renegotiation.${k}`, 'a boolean', v);
    out[k] = v;
  }
  for (const k of RENEGOTIATION_COUNTS) {
    const v = given[k];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw invalidArgType(`renegotiation.${k}`, 'a number', v);
    if (v === Infinity) {
      out[k] = Number.MAX_SAFE_INTEGER;
      continue;
    }
    if (!Number.isSafeInteger(v) || v < 0) {
      throw codedError(new RangeError(`The value of "renegotiation.${k}" is out of range. It must be a non-negative integer or Infinity. Received ${String(v)}`), 'ERR_OUT_OF_RANGE');
    }
    out[k] = v;
  }
  return out;
}

/** A positive timeout in ms, or undefined. */
export function parseTimeout(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidArgValue(option, value, 'must be a non-negative number of milliseconds');
  return value;
}
