/**
 * puretls: a TLS 1.2 and TLS 1.3 client and server in TypeScript on
 * @noble, with OpenSSL's connection controls. The sans-IO core is
 * `Connection` + `TlsContext` (all of puretls/core, re-exported here); the
 * Node adapter (`connect`, `createServer`, `TlsSocket`) wraps it in a
 * stream.Duplex. The default export is shaped like the node:tls module
 * (`import tls from 'puretls'`), and the named exports include node:tls's
 * (see docs/node-compat.md). This entry is what Node resolves `puretls` to,
 * and what `puretls/node` is everywhere (Deno and Bun have node:net).
 */
export * from './core.js';
export {
  connect,
  createServer,
  createSecureContext,
  TlsSocket,
  TlsServer,
  SecureContext,
  checkServerIdentity,
  TLSSocket,
  Server,
  getCiphers,
  rootCertificates,
  convertALPNProtocols,
  DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION,
  DEFAULT_CIPHERS,
  DEFAULT_ECDH_CURVE,
  CLIENT_RENEG_LIMIT,
  CLIENT_RENEG_WINDOW,
} from './node/index.js';
/** node:tls's module object over puretls: `import tls from 'puretls'` stands in for `import tls from 'node:tls'`. */
export { default } from './node/index.js';
export type {
  NodeTlsModule,
  IdentityCertificate,
  NewSessionListener,
  ResumeSessionCallback,
  ResumeSessionListener,
  RenegotiateOptions,
  RenegotiateCallback,
  TlsSocketOptions,
  PeerCertificate,
  CheckServerIdentity,
  ConnectOptions,
  TlsServerOptions,
  SecureContextOptions,
  AlpnOption,
  AlpnCallback,
  CaOption,
  PemInput,
} from './node/index.js';
export type { EphemeralKeyInfo } from './node/algorithms.js';
export type { SecureConnectionListener } from './node/server.js';
