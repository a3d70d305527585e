/**
 * puretls/core: the sans-IO TLS 1.2 and TLS 1.3 core, with no Node
 * dependency (no `node:` import anywhere in its graph; checked by
 * test/core/core-bundle.test.ts). `Connection` + `TlsContext` run
 * wherever ES2022 and `crypto.getRandomValues` do: browsers, Deno, Bun,
 * Workers. `fromStreams` puts a Connection over any WHATWG byte stream
 * pair (Deno's and Bun's sockets, a WebSocket wrapper, the Direct Sockets
 * API). In a browser, Deno or Bun, `import 'puretls'` resolves here.
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
export { webSocketStreams, WebSocketClosedError } from './web/websocket.js';
export type { WebSocketLike, WebSocketMessageLike, WebSocketCloseLike, WebSocketStreams, WebSocketStreamsOptions } from './web/websocket.js';
export { fromStreams, TlsStream } from './web/streams.js';
export type { ByteStreams, FromStreamsOptions } from './web/streams.js';
export { bunSocketHandlers } from './web/bun-socket.js';
export type { BunSocketLike, BunSocketStreams, BunSocketHandlers, BunSocketHandlersOptions } from './web/bun-socket.js';
