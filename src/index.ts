/**
 * puretls: a TLS 1.2 and TLS 1.3 client and server in TypeScript on
 * @noble, with OpenSSL's connection controls. The sans-IO core is
 * `Connection` + `TlsContext`; the Node adapter (`connect`, `createServer`,
 * `TlsSocket`) wraps it in a stream.Duplex.
 */
export { Connection } from './ssl/connection.js';
export type { ConnectionOptions, ConnectionEvents, AlertEvent, KeyUpdateEvent, MessageEvent } from './ssl/connection.js';
export { TlsContext, DEFAULT_LIMITS, DEFAULT_RENEGOTIATION, DEFAULT_CIPHER_SUITES } from './ssl/context.js';
export type { TlsContextOptions, CertifiedKey, TlsLimits, AlpnSelect, RenegotiationPolicy, SessionStore } from './ssl/context.js';
export type { PostHandshakeAuthEvent } from './ssl/events.js';
export { TicketReturn } from './handshake/config.js';
export type { TicketDecryptInfo, SessionTicketCallbacks, CertificateRequestInfo, SelectClientCertificate } from './handshake/config.js';
export { RotatingTicketCodec, TicketStatus, TICKET_KEY_LENGTH, TICKET_KEY_NAME_LENGTH } from './session/ticket-codec.js';
export type { TicketCodec, TicketOpenResult, TicketKey, RotatingTicketCodecOptions } from './session/ticket-codec.js';
export { TlsError, AlertDescription, AlertLevel, alertName } from './common/errors.js';
export type { TlsErrorCode } from './common/errors.js';
export {
  KeyUpdateType,
  CipherSuite,
  NamedGroup,
  SignatureScheme,
  ProtocolVersion,
  ContentType,
  HandshakeType,
} from './common/constants.js';
export type * from './crypto/provider.js';
export { nobleProvider } from './crypto/noble.js';
export { deterministicRandom, scriptedRandom, testProvider } from './crypto/random.js';
export { SUITES, suiteInfo, suiteByName } from './crypto/suites.js';
export type { SuiteInfo } from './crypto/suites.js';
export type { CertificateVerifier, VerifyContext, VerifyResult } from './x509/verifier.js';
export { Session, MAX_TICKET_LIFETIME_SECONDS } from './session/session.js';
export type { SessionFields } from './session/session.js';
export { MemorySessionCache } from './session/cache.js';
export type { MemorySessionCacheOptions } from './session/cache.js';
export { LruClientSessionCache, type ClientSessionCache } from './session/client-cache.js';
export {
  Certificate,
  parseCertificate,
  parsePrivateKey,
  parsePublicKeyInfo,
  keysMatch,
  decodePem,
  encodePem,
  DefaultVerifier,
  LeafKeyVerifier,
  caFromOption,
  checkServerIdentity,
} from './x509/index.js';
export { connect, createServer, createSecureContext, TlsSocket, TlsServer, SecureContext } from './node/index.js';
export type {
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
