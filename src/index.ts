/**
 * puretls: a TLS 1.2 and TLS 1.3 client and server in TypeScript on
 * @noble, with OpenSSL's connection controls. The sans-IO core is
 * `Connection` + `TlsContext`; the Node adapter (`connect`, `createServer`,
 * `TlsSocket`) wraps it in a stream.Duplex. The default export is shaped
 * like the node:tls module (`import tls from 'puretls'`), and the named
 * exports include node:tls's (see docs/node-compat.md).
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
} from './x509/index.js';
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
// Types that appear in the signatures above, for users and for the API reference.
export type { PendingActions } from './ssl/pending.js';
export type { Negotiated } from './handshake/state.js';
export type { HandshakeConfig } from './handshake/config.js';
export type { HandshakeMessage } from './record/joiner.js';
export type { NobleProviderOptions } from './crypto/noble.js';
export type { CertErrorCode } from './common/errors.js';
export type {
  PemBlock,
  Extensions,
  Extension,
  AccessDescription,
  BasicConstraints,
  NameConstraints,
  GeneralName,
  DistinguishedName,
  NameObject,
  NameAttribute,
  DetailedCertificate,
  CertificateFields,
  DefaultVerifierOptions,
  DefaultVerifyResult,
} from './x509/index.js';
export type { EphemeralKeyInfo } from './node/algorithms.js';
export type { SecureConnectionListener } from './node/server.js';
