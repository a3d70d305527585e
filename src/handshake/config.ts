import type { AeadAlgorithm, CryptoProvider, PrivateKey } from '../crypto/provider.js';
import type { Session } from '../session/session.js';
import type { TicketCodec, TicketStatus } from '../session/ticket-codec.js';
import type { CertificateVerifier } from '../x509/verifier.js';

/** Limits on what a peer may repeat or send (all configurable). */
export interface TlsLimits {
  /** Largest handshake message we accept (bytes). */
  maxHandshakeMessageSize: number;
  /** Consecutive empty application_data records without data between them. */
  maxEmptyRecords: number;
  /** Warning alerts (TLS 1.2) or user_canceled without data between them. */
  maxWarningAlerts: number;
  /** Middlebox-compat ChangeCipherSpec records accepted in one handshake. */
  maxChangeCipherSpecs: number;
  /** KeyUpdates received with no application data between them. */
  maxKeyUpdates: number;
  /** NewSessionTickets received with no application data between them. */
  maxTickets: number;
  /**
   * Records sealed under one TLS 1.3 key before we schedule a KeyUpdate by
   * ourselves (RFC 8446 §5.5). Default: the suite's safe limit (AES-GCM
   * 2^24.5 records; ChaCha20-Poly1305 has none that a sequence number reaches).
   */
  keyUpdateAfterRecords?: number;
}

export const DEFAULT_LIMITS: TlsLimits = {
  maxHandshakeMessageSize: 128 * 1024,
  maxEmptyRecords: 32,
  maxWarningAlerts: 8,
  maxChangeCipherSpecs: 1,
  maxKeyUpdates: 32,
  maxTickets: 32,
};

/** A certificate chain (DER, leaf first) with its private key. */
export interface CertifiedKey {
  readonly chain: readonly Uint8Array[];
  readonly key: PrivateKey;
}

/** Server-side ALPN choice: the client's protocols (and SNI) in, one of them (or undefined) out. */
export type AlpnSelect = (offered: readonly string[], serverName: string | undefined) => string | undefined;

/** RFC 5746 renegotiation policy (TLS 1.2 only). */
export interface RenegotiationPolicy {
  /** Server: accept a renegotiation the client starts. Default false: a no_renegotiation warning (as OpenSSL 3). */
  readonly acceptClientInitiated: boolean;
  /** Client: refuse a server's HelloRequest with a no_renegotiation warning. Default false (renegotiate). */
  readonly refuseServerInitiated: boolean;
  /** Renegotiations the peer may start in the life of one connection; one more fails it (ERR_TLS_TOO_MANY). */
  readonly maxPerConnection: number;
  /** Renegotiations the peer may start within `windowSeconds` (node's CLIENT_RENEG_LIMIT). */
  readonly maxPerWindow: number;
  /** The window of maxPerWindow, in seconds (node's CLIENT_RENEG_WINDOW). */
  readonly windowSeconds: number;
}

export const DEFAULT_RENEGOTIATION: RenegotiationPolicy = {
  acceptClientInitiated: false,
  refuseServerInitiated: false,
  maxPerConnection: 100,
  maxPerWindow: 3,
  windowSeconds: 600,
};

/** The server's TLS 1.2 session-ID cache (SSL_CTX's internal cache); see MemorySessionCache. */
export interface SessionStore {
  /** Keep `session` under its session ID (after a full handshake). */
  put(session: Session): void;
  /** The session with this ID, if held and not expired. */
  get(sessionId: Uint8Array): Session | undefined;
  /** Forget the session with this ID. */
  delete(sessionId: Uint8Array): void;
}

/** SSL_TICKET_RETURN_*: what the decrypt callback decides about an offered ticket. */
export const TicketReturn = { ABORT: 0, IGNORE: 1, IGNORE_RENEW: 2, USE: 3, USE_RENEW: 4 } as const;
export type TicketReturn = (typeof TicketReturn)[keyof typeof TicketReturn];

/** The decrypt callback's view of one offered ticket (the session is not yet the connection's). */
export interface TicketDecryptInfo {
  /** The ticket's session, when status is SUCCESS or SUCCESS_RENEW; undefined otherwise. */
  readonly session: Session | undefined;
  /** The name of the key that opened it (or that the ticket names), if any. */
  readonly keyName: Uint8Array | undefined;
  readonly status: TicketStatus;
}

/** SSL_CTX_set_session_ticket_cb's two callbacks; either may be absent. */
export interface SessionTicketCallbacks {
  /** A ticket is about to be made from `session` (the connection's): set its app data now. Return false to end the handshake with internal_error. */
  readonly generate?: (session: Session) => boolean;
  /** A ticket was opened (or failed to): decide. Returning USE/USE_RENEW for a failed status is an error (internal_error). */
  readonly decrypt?: (info: TicketDecryptInfo) => TicketReturn;
}

/** What a server asks for in a CertificateRequest, as the client's certificate callback sees it. */
export interface CertificateRequestInfo {
  /** The signature schemes the server accepts. */
  readonly signatureSchemes: readonly number[];
  /** The request came after the handshake (RFC 8446 §4.6.2). */
  readonly postHandshake: boolean;
}

/** Client: the certificate to answer a CertificateRequest with, or undefined to send none. */
export type SelectClientCertificate = (request: CertificateRequestInfo) => CertifiedKey | undefined;

/** What the handshake states read of the configuration (TlsContext implements it). */
export interface HandshakeConfig {
  readonly provider: CryptoProvider;
  readonly certificate: CertifiedKey | undefined;
  readonly verifier: CertificateVerifier | undefined;
  readonly rejectUnauthorized: boolean;
  readonly requestCert: boolean;
  readonly requireCert: boolean;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly cipherSuites: readonly number[];
  readonly honorCipherOrder: boolean;
  /** Server: the AEADs to pick first, fastest first (the provider's aeadSpeedOrder under aeadPreference 'speed'); null: the suite order alone. */
  readonly aeadSpeedOrder: readonly AeadAlgorithm[] | null;
  readonly groups: readonly number[];
  readonly keyShareGroups: readonly number[];
  readonly signatureSchemes: readonly number[];
  readonly alpnProtocols: readonly string[];
  /**
   * Server: pick the ALPN protocol from the client's list (node's ALPNCallback).
   * Return one of `offered`, or undefined to refuse with no_application_protocol.
   * Called only when the client offers ALPN; replaces alpnProtocols.
   */
  readonly alpnSelect?: AlpnSelect | undefined;
  readonly middleboxCompat: boolean;
  readonly advertiseGroups: 'auto' | 'always' | 'never';
  readonly recordSizeLimit: number;
  readonly limits: TlsLimits;
  /** TLS 1.2: refuse a peer without RFC 7627 extended_master_secret (default true). */
  readonly requireExtendedMasterSecret: boolean;
  /** Client: send TLS_FALLBACK_SCSV (RFC 7507), for an application retrying with a lower maxVersion. */
  readonly sendFallbackScsv: boolean;
  readonly renegotiation: RenegotiationPolicy;
  /** Server: where TLS 1.2 sessions are kept for session-ID resumption; undefined: no resumption. */
  readonly sessionStore: SessionStore | undefined;
  /** Server: how long a TLS 1.2 session stays resumable, in seconds. */
  readonly sessionLifetimeSeconds: number;
  /** TLS 1.2 RFC 5077 tickets (OpenSSL's SSL_OP_NO_TICKET when false): a client offers the extension, a server issues and accepts them. */
  readonly sessionTickets: boolean;
  /** Server: seals and opens session tickets; undefined: no tickets are issued or accepted. */
  readonly ticketCodec: TicketCodec | undefined;
  /** Server: the ticket_lifetime of the tickets we issue, in seconds (at most 7 days, RFC 8446 §4.6.1). */
  readonly ticketLifetimeSeconds: number;
  /** Server: SSL_CTX_set_session_ticket_cb's callbacks. */
  readonly sessionTicketCallbacks: SessionTicketCallbacks;
  /** TLS 1.3 psk_ke, resumption without (EC)DHE (RFC 8446 §4.2.9; OpenSSL's SSL_OP_ALLOW_NO_DHE_KEX). Default false. */
  readonly allowNoDheKex?: boolean;
  /** Client, TLS 1.3: offer post-handshake authentication (post_handshake_auth, SSL_set_post_handshake_auth). */
  readonly postHandshakeAuth: boolean;
  /** Client: choose the certificate for a CertificateRequest; default: `certificate`. */
  readonly selectClientCertificate: SelectClientCertificate | undefined;
}
