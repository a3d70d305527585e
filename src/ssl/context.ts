import { CipherSuite, NamedGroup, ProtocolVersion } from '../common/constants.js';
import type { AeadAlgorithm, CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble.js';
import { suiteInfo } from '../crypto/suites.js';
import { DEFAULT_SIGNATURE_SCHEMES } from '../handshake/sigschemes.js';
import type { CertificateVerifier } from '../x509/verifier.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_RENEGOTIATION,
  type AlpnSelect,
  type CertifiedKey,
  type HandshakeConfig,
  type RenegotiationPolicy,
  type SelectClientCertificate,
  type SessionStore,
  type SessionTicketCallbacks,
  type TlsLimits,
} from '../handshake/config.js';
import { MAX_TICKET_LIFETIME_SECONDS } from '../session/session.js';
import { RotatingTicketCodec, type TicketCodec } from '../session/ticket-codec.js';
import { MemorySessionCache } from '../session/cache.js';
import type { ClientSessionCache } from '../session/client-cache.js';

export { DEFAULT_LIMITS, DEFAULT_RENEGOTIATION, type AlpnSelect, type CertifiedKey, type RenegotiationPolicy, type SessionStore, type TlsLimits };

/** The suites we offer by default: TLS 1.3's, then TLS 1.2's ECDHE AEAD suites (forward secrecy, no CBC). */
export const DEFAULT_CIPHER_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];

const VERSIONS: readonly number[] = [ProtocolVersion.TLSv1_2, ProtocolVersion.TLSv1_3];

export interface TlsContextOptions {
  provider?: CryptoProvider;
  /** Our certificate(s) and key: required on a server, optional on a client. */
  certificate?: CertifiedKey;
  /** Verifies the peer's chain. Default: none is built in the core (the Node adapter supplies the roots). */
  verifier?: CertificateVerifier;
  /** Fail the handshake when the peer's chain does not verify (node:tls default true). */
  rejectUnauthorized?: boolean;
  /** Server: ask the client for a certificate. */
  requestCert?: boolean;
  /** Server: fail with certificate_required when the client sends none (requestCert must be set). */
  requireCert?: boolean;
  /** Client, TLS 1.3: offer post-handshake authentication (RFC 8446 §4.6.2; SSL_set_post_handshake_auth). Default false. */
  postHandshakeAuth?: boolean;
  /** Client: choose the certificate for each CertificateRequest (in or after the handshake); default `certificate`. */
  selectClientCertificate?: SelectClientCertificate;
  /** Lowest version (ProtocolVersion.TLSv1_2 or TLSv1_3). Default TLS 1.2. */
  minVersion?: number;
  /** Highest version. Default TLS 1.3. */
  maxVersion?: number;
  /** Cipher suites (TLS 1.3 and TLS 1.2 ones in one list) in preference order. Default DEFAULT_CIPHER_SUITES. */
  cipherSuites?: readonly number[];
  /** Server: use our suite order rather than the client's. */
  honorCipherOrder?: boolean;
  /**
   * Server: how the suite is chosen among those both sides offer.
   * - 'speed': the AEAD the provider runs fastest first (its aeadSpeedOrder:
   *   ChaCha20-Poly1305 on the `@noble` provider, AES-GCM on node:crypto), then
   *   the order rule (cipherSuites with honorCipherOrder) among suites with that AEAD;
   * - 'order': the order rule alone (OpenSSL's).
   * Default 'speed' when neither cipherSuites nor honorCipherOrder is given, else 'order'.
   */
  aeadPreference?: 'speed' | 'order';
  /** Groups in preference order. */
  groups?: readonly number[];
  /** Client: groups to send key shares for in the first ClientHello (default: the first group). */
  keyShareGroups?: readonly number[];
  signatureSchemes?: readonly number[];
  /** ALPN protocol names in preference order. */
  alpnProtocols?: readonly string[];
  /** Server: choose the ALPN protocol from the client's list (node's ALPNCallback); exclusive with alpnProtocols. */
  alpnSelect?: AlpnSelect;
  /** Client: send a legacy_session_id and ChangeCipherSpec (RFC 8446 Appendix D.4). Default true. */
  middleboxCompat?: boolean;
  /** Server: when to list our groups in EncryptedExtensions: 'auto' (when the client's share was not our first choice, as OpenSSL), 'always', 'never'. */
  advertiseGroups?: 'auto' | 'always' | 'never';
  /** RFC 8449 record_size_limit we announce (64..16385); default 16385 (no limit beyond the protocol's). */
  recordSizeLimit?: number;
  limits?: Partial<TlsLimits>;
  /** TLS 1.2: refuse a peer that does not do RFC 7627 extended master secret. Default true. */
  requireExtendedMasterSecret?: boolean;
  /** Client: send TLS_FALLBACK_SCSV (RFC 7507). Default false. */
  sendFallbackScsv?: boolean;
  /** TLS 1.2 renegotiation policy (RFC 5746). */
  renegotiation?: Partial<RenegotiationPolicy>;
  /** Server: the TLS 1.2 session-ID cache; null for none. Default a MemorySessionCache of its own. */
  sessionStore?: SessionStore | null;
  /** Server: lifetime of the TLS 1.2 sessions it keeps, in seconds. Default 300 (node's sessionTimeout). */
  sessionLifetimeSeconds?: number;
  /** TLS 1.2 session tickets (RFC 5077), both roles; false is OpenSSL's SSL_OP_NO_TICKET. Default true. */
  sessionTickets?: boolean;
  /** Server: the session ticket codec; null for no tickets. Default a RotatingTicketCodec of its own. */
  ticketCodec?: TicketCodec | null;
  /** Server: ticket_lifetime of our tickets in seconds (1..604800). Default 7200 (OpenSSL's session timeout). */
  ticketLifetimeSeconds?: number;
  /** Server: TLS 1.3 tickets after a full handshake (SSL_CTX_set_num_tickets). Default 2. */
  numTickets?: number;
  /** TLS 1.3 psk_ke: resumption without (EC)DHE (RFC 8446 §4.2.9, SSL_OP_ALLOW_NO_DHE_KEX); psk_dhe_ke is still preferred. Default false. */
  allowNoDheKex?: boolean;
  /** Client: sessions by server name, offered by connections given none and updated by their 'session' events. Default none. */
  clientSessionCache?: ClientSessionCache;
}

/** The validated, defaulted configuration (SSL_CTX). Shared by many connections. */
export class TlsContext implements HandshakeConfig {
  readonly provider: CryptoProvider;
  readonly certificate: CertifiedKey | undefined;
  readonly verifier: CertificateVerifier | undefined;
  readonly rejectUnauthorized: boolean;
  readonly requestCert: boolean;
  readonly requireCert: boolean;
  readonly postHandshakeAuth: boolean;
  readonly selectClientCertificate: SelectClientCertificate | undefined;
  /** The lowest version spoken (minVersion, raised when cipherSuites has no TLS 1.2 suite). */
  readonly minVersion: number;
  /** The highest version spoken (maxVersion, lowered when cipherSuites has no TLS 1.3 suite). */
  readonly maxVersion: number;
  readonly cipherSuites: readonly number[];
  readonly honorCipherOrder: boolean;
  readonly aeadPreference: 'speed' | 'order';
  readonly aeadSpeedOrder: readonly AeadAlgorithm[] | null;
  readonly groups: readonly number[];
  readonly keyShareGroups: readonly number[];
  readonly signatureSchemes: readonly number[];
  readonly alpnProtocols: readonly string[];
  readonly alpnSelect: AlpnSelect | undefined;
  readonly middleboxCompat: boolean;
  readonly advertiseGroups: 'auto' | 'always' | 'never';
  readonly recordSizeLimit: number;
  readonly limits: TlsLimits;
  readonly requireExtendedMasterSecret: boolean;
  readonly sendFallbackScsv: boolean;
  readonly renegotiation: RenegotiationPolicy;
  readonly sessionStore: SessionStore | undefined;
  readonly sessionLifetimeSeconds: number;
  readonly sessionTickets: boolean;
  readonly ticketCodec: TicketCodec | undefined;
  readonly ticketLifetimeSeconds: number;
  #numTickets: number;
  readonly allowNoDheKex: boolean;
  readonly clientSessionCache: ClientSessionCache | undefined;
  #ticketCallbacks: SessionTicketCallbacks = {};

  constructor(options: TlsContextOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('TlsContext: options must be an object');
    this.provider = options.provider ?? nobleProvider();
    this.certificate = options.certificate;
    if (this.certificate && (!Array.isArray(this.certificate.chain) || this.certificate.chain.length === 0)) {
      throw new TypeError('TlsContext: certificate.chain must be a non-empty array of DER certificates');
    }
    this.verifier = options.verifier;
    this.rejectUnauthorized = options.rejectUnauthorized ?? true;
    this.requestCert = options.requestCert ?? false;
    this.requireCert = options.requireCert ?? false;
    this.postHandshakeAuth = options.postHandshakeAuth ?? false;
    if (typeof this.postHandshakeAuth !== 'boolean') throw new TypeError('TlsContext: postHandshakeAuth must be a boolean');
    if (options.selectClientCertificate !== undefined && typeof options.selectClientCertificate !== 'function') {
      throw new TypeError('TlsContext: selectClientCertificate must be a function');
    }
    this.selectClientCertificate = options.selectClientCertificate;
    this.minVersion = options.minVersion ?? ProtocolVersion.TLSv1_2;
    this.maxVersion = options.maxVersion ?? ProtocolVersion.TLSv1_3;
    for (const [name, v] of [['minVersion', this.minVersion], ['maxVersion', this.maxVersion]] as const) {
      // SSL 3.0, TLS 1.0 and 1.1 are not implemented (RFC 8996 deprecates them).
      if (!VERSIONS.includes(v)) throw new RangeError(`TlsContext: ${name} must be ProtocolVersion.TLSv1_2 or TLSv1_3`);
    }
    if (this.minVersion > this.maxVersion) throw new RangeError('TlsContext: minVersion is above maxVersion');
    this.cipherSuites = options.cipherSuites ?? DEFAULT_CIPHER_SUITES;
    if (!Array.isArray(this.cipherSuites)) throw new TypeError('TlsContext: cipherSuites must be an array');
    for (const s of this.cipherSuites) {
      // AEAD suites with ECDHE only: no CBC, no static RSA, no DHE (see README).
      if (suiteInfo(s) === undefined) throw new RangeError(`TlsContext: unsupported cipher suite 0x${Number(s).toString(16).padStart(4, '0')}`);
    }
    // A version none of whose suites is listed is not spoken (as OpenSSL with an empty list for it).
    const has = (v: '1.2' | '1.3'): boolean => this.cipherSuites.some((id) => suiteInfo(id)!.version === v);
    if (!has('1.2') && this.minVersion === ProtocolVersion.TLSv1_2) this.minVersion = ProtocolVersion.TLSv1_3;
    if (!has('1.3') && this.maxVersion === ProtocolVersion.TLSv1_3) this.maxVersion = ProtocolVersion.TLSv1_2;
    if (this.minVersion > this.maxVersion || this.cipherSuites.length === 0) {
      throw new RangeError('TlsContext: cipherSuites has no suite for the versions enabled by minVersion/maxVersion');
    }
    this.honorCipherOrder = options.honorCipherOrder ?? false;
    const preference =
      options.aeadPreference !== undefined ? options.aeadPreference : options.cipherSuites === undefined && options.honorCipherOrder === undefined ? 'speed' : 'order';
    if (preference !== 'speed' && preference !== 'order') throw new TypeError("TlsContext: aeadPreference must be 'speed' or 'order'");
    this.aeadPreference = preference;
    this.aeadSpeedOrder = preference === 'speed' ? (this.provider.aeadSpeedOrder ?? null) : null;
    this.groups = options.groups ?? [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
    if (this.groups.length === 0) throw new RangeError('TlsContext: groups is empty');
    for (const g of this.groups) {
      if (!this.provider.groups.includes(g)) throw new RangeError(`TlsContext: group 0x${g.toString(16)} is not supported by the provider`);
    }
    this.keyShareGroups = options.keyShareGroups ?? [this.groups[0]!];
    for (const g of this.keyShareGroups) {
      if (!this.groups.includes(g)) throw new RangeError('TlsContext: keyShareGroups must be a subset of groups');
    }
    this.signatureSchemes = options.signatureSchemes ?? DEFAULT_SIGNATURE_SCHEMES;
    this.alpnProtocols = options.alpnProtocols ?? [];
    for (const p of this.alpnProtocols) {
      if (typeof p !== 'string' || p.length === 0 || p.length > 255) {
        throw new TypeError('TlsContext: alpnProtocols entries must be strings of 1..255 characters');
      }
    }
    if (options.alpnSelect !== undefined && typeof options.alpnSelect !== 'function') throw new TypeError('TlsContext: alpnSelect must be a function');
    if (options.alpnSelect && this.alpnProtocols.length > 0) throw new TypeError('TlsContext: alpnSelect and alpnProtocols are exclusive');
    this.alpnSelect = options.alpnSelect;
    this.middleboxCompat = options.middleboxCompat ?? true;
    this.advertiseGroups = options.advertiseGroups ?? 'auto';
    this.recordSizeLimit = options.recordSizeLimit ?? 16385;
    if (!Number.isInteger(this.recordSizeLimit) || this.recordSizeLimit < 64 || this.recordSizeLimit > 16385) {
      throw new RangeError('TlsContext: recordSizeLimit must be an integer in 64..16385');
    }
    this.requireExtendedMasterSecret = options.requireExtendedMasterSecret ?? true;
    this.sendFallbackScsv = options.sendFallbackScsv ?? false;
    this.renegotiation = { ...DEFAULT_RENEGOTIATION, ...options.renegotiation };
    for (const k of ['maxPerConnection', 'maxPerWindow', 'windowSeconds'] as const) {
      const v = this.renegotiation[k];
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`TlsContext: renegotiation.${k} must be a non-negative integer`);
    }
    this.sessionLifetimeSeconds = options.sessionLifetimeSeconds ?? 300;
    if (!Number.isInteger(this.sessionLifetimeSeconds) || this.sessionLifetimeSeconds < 1) {
      throw new RangeError('TlsContext: sessionLifetimeSeconds must be a positive integer');
    }
    this.sessionStore = options.sessionStore === null ? undefined : (options.sessionStore ?? new MemorySessionCache({ nowMs: () => this.provider.nowMs() }));
    this.sessionTickets = options.sessionTickets ?? true;
    if (typeof this.sessionTickets !== 'boolean') throw new TypeError('TlsContext: sessionTickets must be a boolean');
    this.ticketCodec = options.ticketCodec === null ? undefined : (options.ticketCodec ?? new RotatingTicketCodec({ provider: this.provider }));
    this.ticketLifetimeSeconds = options.ticketLifetimeSeconds ?? 7200;
    if (!Number.isInteger(this.ticketLifetimeSeconds) || this.ticketLifetimeSeconds < 1 || this.ticketLifetimeSeconds > MAX_TICKET_LIFETIME_SECONDS) {
      throw new RangeError(`TlsContext: ticketLifetimeSeconds must be an integer in 1..${MAX_TICKET_LIFETIME_SECONDS}`);
    }
    this.#numTickets = checkNumTickets(options.numTickets ?? 2, 'TlsContext: numTickets');
    this.allowNoDheKex = options.allowNoDheKex ?? false;
    if (typeof this.allowNoDheKex !== 'boolean') throw new TypeError('TlsContext: allowNoDheKex must be a boolean');
    this.clientSessionCache = options.clientSessionCache;
    if (this.clientSessionCache !== undefined && (typeof this.clientSessionCache?.get !== 'function' || typeof this.clientSessionCache.put !== 'function')) throw new TypeError('TlsContext: clientSessionCache must have get and put');
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new RangeError(`TlsContext: limits.${name} must be a positive integer`);
      }
    }
  }

  /** SSL_CTX_set_num_tickets: TLS 1.3 tickets after a full handshake, for connections made from now on. @throws {RangeError} */
  setNumTickets(n: number): true {
    this.#numTickets = checkNumTickets(n, 'setNumTickets');
    return true;
  }

  /** SSL_CTX_get_num_tickets (default 2). */
  getNumTickets(): number {
    return this.#numTickets;
  }

  /** SSL_CTX_set_session_ticket_cb: `generate` and `decrypt`, either optional; replaces both. @throws {TypeError} */
  setSessionTicketCallbacks(callbacks: SessionTicketCallbacks): true {
    if (callbacks === null || typeof callbacks !== 'object') throw new TypeError('setSessionTicketCallbacks: callbacks must be an object');
    for (const k of ['generate', 'decrypt'] as const) {
      if (callbacks[k] !== undefined && typeof callbacks[k] !== 'function') throw new TypeError(`setSessionTicketCallbacks: ${k} must be a function`);
    }
    this.#ticketCallbacks = { ...callbacks };
    return true;
  }

  get sessionTicketCallbacks(): SessionTicketCallbacks {
    return this.#ticketCallbacks;
  }
}

/** A ticket count: a non-negative integer (OpenSSL's size_t). */
export function checkNumTickets(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${what}: the number of tickets must be an integer in 0..65535`);
  return n;
}
