/** The Node adapter: node:tls's shape over the sans-IO core. */
export { connect } from './connect.js';
export { createServer, TlsServer } from './server.js';
export { TlsSocket } from './socket.js';
export type { TlsSocketOptions } from './socket.js';
export { createSecureContext, SecureContext } from './secure-context.js';
export type { PeerCertificate, CheckServerIdentity } from './secure-context.js';
export type { RenegotiateOptions, RenegotiateCallback } from './renegotiate.js';
export type { ConnectOptions, TlsServerOptions, SecureContextOptions, AlpnOption, AlpnCallback, CaOption, PemInput } from './options.js';
