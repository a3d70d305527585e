import type { CryptoProvider } from '../crypto/provider.js';
import type { PrivateKey } from '../crypto/provider.js';
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
}
