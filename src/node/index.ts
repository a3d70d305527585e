/**
 * The Node adapter: node:tls's shape over the sans-IO core.
 *
 * This module is node:tls's surface for puretls: the named exports node:tls
 * has, and a default export shaped like the `node:tls` module object, so
 * that `import tls from 'puretls'` stands in for `import tls from 'node:tls'`.
 * See docs/node-compat.md for what is implemented and how it differs.
 */
import tls from 'node:tls';
import { connect } from './connect.js';
import { createServer, TlsServer } from './server.js';
import { TlsSocket } from './socket.js';
import { createSecureContext, SecureContext, tlsDefaults } from './secure-context.js';
import { nodeCheckServerIdentity } from './check-server-identity.js';
import { codedError } from './coded-errors.js';
import { SUITES } from '../crypto/suites.js';

export { connect } from './connect.js';
export { createServer, TlsServer } from './server.js';
export { TlsSocket } from './socket.js';
export type { TlsSocketOptions } from './socket.js';
export { createSecureContext, SecureContext, DEFAULT_CIPHERS } from './secure-context.js';
export type { PeerCertificate, CheckServerIdentity } from './peer-certificate.js';
export type { IdentityCertificate } from './check-server-identity.js';
export type { RenegotiateOptions, RenegotiateCallback } from './renegotiate.js';
export type { NewSessionListener, ResumeSessionCallback, ResumeSessionListener } from './server.js';
export type { ConnectOptions, TlsServerOptions, SecureContextOptions, AlpnOption, AlpnCallback, CaOption, PemInput } from './options.js';

/** node's tls.TLSSocket: puretls's TlsSocket. */
export const TLSSocket = TlsSocket;
/** node's tls.TLSSocket type: puretls's TlsSocket. */
export type TLSSocket = TlsSocket;
/** node's tls.Server: puretls's TlsServer. */
export const Server = TlsServer;
/** node's tls.Server type: puretls's TlsServer. */
export type Server = TlsServer;

/**
 * node's tls.checkServerIdentity(hostname, cert): undefined when the
 * certificate names `hostname`, else node's Error
 * (ERR_TLS_CERT_ALTNAME_INVALID with `reason`, `host`, `cert`). `cert` is
 * getPeerCertificate()'s object, any object with node's `subject` and
 * `subjectaltname`, or a parsed `Certificate`.
 */
export const checkServerIdentity = nodeCheckServerIdentity;

/** node's tls.rootCertificates: node's bundled Mozilla roots (the very array), puretls's default trust. */
export const rootCertificates: readonly string[] = tls.rootCertificates;

/** node's tls.DEFAULT_MIN_VERSION: the default minVersion. */
export const DEFAULT_MIN_VERSION = 'TLSv1.2';
/** node's tls.DEFAULT_MAX_VERSION: the default maxVersion. */
export const DEFAULT_MAX_VERSION = 'TLSv1.3';
/** node's tls.DEFAULT_ECDH_CURVE: the default ecdhCurve ('auto': puretls's group list). */
export const DEFAULT_ECDH_CURVE = 'auto';
/** node's tls.CLIENT_RENEG_LIMIT: client renegotiations a server accepts per window (3). */
export const CLIENT_RENEG_LIMIT = 3;
/** node's tls.CLIENT_RENEG_WINDOW: the window of CLIENT_RENEG_LIMIT, in seconds (600). */
export const CLIENT_RENEG_WINDOW = 600;

/**
 * node's tls.getCiphers(): the names of the cipher suites puretls
 * implements, lower-case and sorted as node's (OpenSSL's names for TLS 1.2,
 * the IANA names for TLS 1.3).
 */
export function getCiphers(): string[] {
  return SUITES.map((s) => s.opensslName.toLowerCase()).sort();
}

/**
 * node's tls.convertALPNProtocols(protocols, out): sets `out.ALPNProtocols`
 * to the wire form (length-prefixed names) of an array of names or buffers;
 * a Buffer or typed array is copied as it is.
 */
export function convertALPNProtocols(protocols: readonly (string | Uint8Array)[] | ArrayBufferView, out: { ALPNProtocols?: Buffer }): void {
  if (Array.isArray(protocols)) {
    const parts = (protocols as readonly (string | Uint8Array)[]).map((p, i) => {
      const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
      if (b.length > 255) {
        const msg = `The byte length of the protocol at index ${i} exceeds the maximum length. It must be <= 255. Received ${b.length}`;
        throw codedError(new RangeError(msg), 'ERR_OUT_OF_RANGE');
      }
      return Buffer.concat([Buffer.from([b.length]), b]);
    });
    out.ALPNProtocols = Buffer.concat(parts);
  } else if (ArrayBuffer.isView(protocols)) {
    // A copy, not to be changed by the caller afterwards.
    out.ALPNProtocols = Buffer.from(protocols.buffer.slice(protocols.byteOffset, protocols.byteOffset + protocols.byteLength));
  }
}

/** node's tls module object, for puretls: what `import tls from 'puretls'` gives. */
export interface NodeTlsModule {
  connect: typeof connect;
  createServer: typeof createServer;
  createSecureContext: typeof createSecureContext;
  checkServerIdentity: typeof checkServerIdentity;
  getCiphers: typeof getCiphers;
  convertALPNProtocols: typeof convertALPNProtocols;
  readonly rootCertificates: readonly string[];
  /** Assignable, as node's: read whenever a context is made without minVersion. */
  DEFAULT_MIN_VERSION: string;
  /** Assignable, as node's: read whenever a context is made without maxVersion. */
  DEFAULT_MAX_VERSION: string;
  /** Assignable, as node's: read whenever a context is made without ciphers. */
  DEFAULT_CIPHERS: string;
  /** Assignable, as node's: read whenever a context is made without ecdhCurve. */
  DEFAULT_ECDH_CURVE: string;
  /** Assignable: it is node:tls's own (puretls servers read node's when they start). */
  CLIENT_RENEG_LIMIT: number;
  /** Assignable: it is node:tls's own (puretls servers read node's when they start). */
  CLIENT_RENEG_WINDOW: number;
  TLSSocket: typeof TlsSocket;
  Server: typeof TlsServer;
  SecureContext: typeof SecureContext;
  TlsSocket: typeof TlsSocket;
  TlsServer: typeof TlsServer;
}

function defaultsProperty(key: keyof typeof tlsDefaults): PropertyDescriptor {
  return {
    enumerable: true,
    get: () => tlsDefaults[key],
    set: (v: string) => void (tlsDefaults[key] = v),
  };
}

function nodeTlsProperty(key: 'CLIENT_RENEG_LIMIT' | 'CLIENT_RENEG_WINDOW'): PropertyDescriptor {
  const nodeTls = tls as { CLIENT_RENEG_LIMIT: number; CLIENT_RENEG_WINDOW: number };
  return {
    enumerable: true,
    get: () => nodeTls[key],
    set: (v: number) => void (nodeTls[key] = v),
  };
}

/**
 * The default export: node:tls's module object over puretls. Its
 * DEFAULT_MIN_VERSION, DEFAULT_MAX_VERSION, DEFAULT_CIPHERS and
 * DEFAULT_ECDH_CURVE can be assigned, and later contexts follow them, as in
 * node; CLIENT_RENEG_LIMIT / CLIENT_RENEG_WINDOW are node:tls's own values.
 */
const nodeTls = Object.defineProperties(
  {
    connect,
    createServer,
    createSecureContext,
    checkServerIdentity,
    getCiphers,
    convertALPNProtocols,
    rootCertificates,
    TLSSocket: TlsSocket,
    Server: TlsServer,
    SecureContext,
    TlsSocket,
    TlsServer,
  },
  {
    DEFAULT_MIN_VERSION: defaultsProperty('minVersion'),
    DEFAULT_MAX_VERSION: defaultsProperty('maxVersion'),
    DEFAULT_CIPHERS: defaultsProperty('ciphers'),
    DEFAULT_ECDH_CURVE: defaultsProperty('ecdhCurve'),
    CLIENT_RENEG_LIMIT: nodeTlsProperty('CLIENT_RENEG_LIMIT'),
    CLIENT_RENEG_WINDOW: nodeTlsProperty('CLIENT_RENEG_WINDOW'),
  },
) as NodeTlsModule;

export default nodeTls;
