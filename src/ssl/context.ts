import { CipherSuite, NamedGroup, ProtocolVersion } from '../common/constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble.js';
import { suiteInfo } from '../crypto/suites.js';
import { DEFAULT_SIGNATURE_SCHEMES } from '../handshake/sigschemes.js';
import type { CertificateVerifier } from '../x509/verifier.js';
import { DEFAULT_LIMITS, type AlpnSelect, type CertifiedKey, type HandshakeConfig, type TlsLimits } from '../handshake/config.js';

export { DEFAULT_LIMITS, type AlpnSelect, type CertifiedKey, type TlsLimits };

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
  minVersion?: number;
  maxVersion?: number;
  /** TLS 1.3 cipher suites in preference order. */
  cipherSuites?: readonly number[];
  /** Server: use our suite order rather than the client's. */
  honorCipherOrder?: boolean;
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
}

/** The validated, defaulted configuration (SSL_CTX). Shared by many connections. */
export class TlsContext implements HandshakeConfig {
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
  readonly alpnSelect: AlpnSelect | undefined;
  readonly middleboxCompat: boolean;
  readonly advertiseGroups: 'auto' | 'always' | 'never';
  readonly recordSizeLimit: number;
  readonly limits: TlsLimits;

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
    this.minVersion = options.minVersion ?? ProtocolVersion.TLSv1_3;
    this.maxVersion = options.maxVersion ?? ProtocolVersion.TLSv1_3;
    if (this.minVersion > this.maxVersion) throw new RangeError('TlsContext: minVersion is above maxVersion');
    if (this.maxVersion < ProtocolVersion.TLSv1_3 || this.minVersion < ProtocolVersion.TLSv1_3) {
      // TLS 1.2 lands in a later issue; refuse rather than pretend.
      throw new RangeError('TlsContext: only TLS 1.3 is implemented so far (minVersion/maxVersion must be TLSv1.3)');
    }
    this.cipherSuites = options.cipherSuites ?? [
      CipherSuite.TLS_AES_128_GCM_SHA256,
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      CipherSuite.TLS_AES_256_GCM_SHA384,
    ];
    for (const s of this.cipherSuites) {
      if (suiteInfo(s)?.version !== '1.3') throw new RangeError(`TlsContext: unsupported TLS 1.3 cipher suite 0x${s.toString(16)}`);
    }
    if (this.cipherSuites.length === 0) throw new RangeError('TlsContext: cipherSuites is empty');
    this.honorCipherOrder = options.honorCipherOrder ?? false;
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
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new RangeError(`TlsContext: limits.${name} must be a positive integer`);
      }
    }
  }
}
