/** RFC 8446 §6 alert descriptions (RFC 5246 §7.2 names where they differ). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  decryption_failed: 21,
  record_overflow: 22,
  handshake_failure: 40,
  no_certificate: 41,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];

export const AlertLevel = { warning: 1, fatal: 2 } as const;
export type AlertLevel = (typeof AlertLevel)[keyof typeof AlertLevel];

export function alertName(d: number): string {
  for (const [k, v] of Object.entries(AlertDescription)) if (v === d) return k;
  return `alert(${d})`;
}

/** Certificate verification failures, as node:tls (OpenSSL's X509_V_ERR_*) names them. */
export type CertErrorCode =
  | 'CERT_HAS_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
  | 'UNABLE_TO_GET_ISSUER_CERT'
  | 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  | 'SELF_SIGNED_CERT_IN_CHAIN'
  | 'DEPTH_ZERO_SELF_SIGNED_CERT'
  | 'CERT_SIGNATURE_FAILURE'
  | 'INVALID_CA'
  | 'PATH_LENGTH_EXCEEDED'
  | 'INVALID_PURPOSE'
  | 'CERT_UNTRUSTED'
  | 'CERT_REJECTED'
  | 'CERT_CHAIN_TOO_LONG'
  | 'PERMITTED_SUBTREE_VIOLATION'
  | 'EXCLUDED_SUBTREE_VIOLATION'
  | 'UNHANDLED_CRITICAL_EXTENSION';

/**
 * Stable error codes. Programs switch on `code`; `alert` is what goes on the
 * wire. Codes named after node:tls / OpenSSL where one exists.
 */
export type TlsErrorCode =
  | 'ERR_TLS_DECODE' // a message or record did not parse
  | 'ERR_TLS_UNEXPECTED_MESSAGE'
  | 'ERR_TLS_ILLEGAL_PARAMETER'
  | 'ERR_TLS_BAD_RECORD_MAC'
  | 'ERR_TLS_RECORD_OVERFLOW'
  | 'ERR_TLS_HANDSHAKE_FAILURE'
  | 'ERR_TLS_PROTOCOL_VERSION'
  | 'ERR_TLS_DECRYPT_ERROR' // bad signature or Finished
  | 'ERR_TLS_MISSING_EXTENSION'
  | 'ERR_TLS_UNSUPPORTED_EXTENSION'
  | 'ERR_TLS_NO_APPLICATION_PROTOCOL'
  | 'ERR_TLS_CERTIFICATE_REQUIRED'
  | 'ERR_TLS_BAD_CERTIFICATE'
  | 'ERR_TLS_UNSUPPORTED_CERTIFICATE'
  | 'ERR_TLS_INSUFFICIENT_SECURITY'
  | 'ERR_TLS_INTERNAL'
  | 'ERR_TLS_ALERT_RECEIVED' // the peer sent a fatal alert
  | 'ERR_TLS_CLOSED' // the connection is closed; no more IO
  | 'ERR_TLS_UNEXPECTED_EOF' // the transport ended without close_notify (a truncation), or before the handshake completed; no alert is sent
  | 'ERR_TLS_TOO_MANY' // a peer repeated something beyond our limit
  | 'ERR_TLS_INVALID_STATE' // a call at the wrong time (local misuse)
  | 'ERR_TLS_UNRECOGNIZED_NAME'
  | 'ERR_TLS_INAPPROPRIATE_FALLBACK' // RFC 7507: TLS_FALLBACK_SCSV from a client that could do better
  | CertErrorCode
  | 'ERR_TLS_CERT_ALTNAME_INVALID'
  | 'ERR_X509_PARSE'; // certificate or key bytes did not parse

const alertCode: Partial<Record<number, TlsErrorCode>> = {
  [AlertDescription.decode_error]: 'ERR_TLS_DECODE',
  [AlertDescription.unexpected_message]: 'ERR_TLS_UNEXPECTED_MESSAGE',
  [AlertDescription.illegal_parameter]: 'ERR_TLS_ILLEGAL_PARAMETER',
  [AlertDescription.bad_record_mac]: 'ERR_TLS_BAD_RECORD_MAC',
  [AlertDescription.record_overflow]: 'ERR_TLS_RECORD_OVERFLOW',
  [AlertDescription.handshake_failure]: 'ERR_TLS_HANDSHAKE_FAILURE',
  [AlertDescription.protocol_version]: 'ERR_TLS_PROTOCOL_VERSION',
  [AlertDescription.decrypt_error]: 'ERR_TLS_DECRYPT_ERROR',
  [AlertDescription.missing_extension]: 'ERR_TLS_MISSING_EXTENSION',
  [AlertDescription.unsupported_extension]: 'ERR_TLS_UNSUPPORTED_EXTENSION',
  [AlertDescription.no_application_protocol]: 'ERR_TLS_NO_APPLICATION_PROTOCOL',
  [AlertDescription.certificate_required]: 'ERR_TLS_CERTIFICATE_REQUIRED',
  [AlertDescription.bad_certificate]: 'ERR_TLS_BAD_CERTIFICATE',
  [AlertDescription.unsupported_certificate]: 'ERR_TLS_UNSUPPORTED_CERTIFICATE',
  [AlertDescription.insufficient_security]: 'ERR_TLS_INSUFFICIENT_SECURITY',
  [AlertDescription.internal_error]: 'ERR_TLS_INTERNAL',
  [AlertDescription.unrecognized_name]: 'ERR_TLS_UNRECOGNIZED_NAME',
  [AlertDescription.inappropriate_fallback]: 'ERR_TLS_INAPPROPRIATE_FALLBACK',
};

/**
 * The one error type of the library. `code` is stable, `alert` is the alert
 * description sent (or, for ERR_TLS_ALERT_RECEIVED, received). Messages never
 * carry secrets.
 */
/** The brand every copy of TlsError puts on its prototype. */
const TLS_ERROR_BRAND = Symbol.for('puretls.TlsError');

export class TlsError extends Error {
  /**
   * `x instanceof TlsError` holds for a TlsError of any copy of puretls (the
   * CommonJS entries, such as 'puretls/node-crypto', are separate bundles):
   * they carry one global brand. Subclasses keep the ordinary check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TlsError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TLS_ERROR_BRAND] === true;
  }

  /** True when the alert came from the peer rather than being sent by us. */
  readonly remote: boolean;
  /** True for an unexpected exception turned into internal_error (see TlsError.bug): a puretls bug. */
  readonly bug: boolean = false;
  constructor(
    readonly code: TlsErrorCode,
    readonly alert: AlertDescription,
    detail?: string,
    remote = false,
  ) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'TlsError';
    this.remote = remote;
  }

  /** An error that sends `alert`, with the code that belongs to it. */
  static alert(alert: AlertDescription, detail?: string): TlsError {
    return new TlsError(alertCode[alert] ?? 'ERR_TLS_HANDSHAKE_FAILURE', alert, detail);
  }
  static decode(what: string): TlsError {
    return new TlsError('ERR_TLS_DECODE', AlertDescription.decode_error, what);
  }
  static unexpected(what: string): TlsError {
    return new TlsError('ERR_TLS_UNEXPECTED_MESSAGE', AlertDescription.unexpected_message, what);
  }
  static illegal(what: string): TlsError {
    return new TlsError('ERR_TLS_ILLEGAL_PARAMETER', AlertDescription.illegal_parameter, what);
  }
  static handshakeFailure(what: string): TlsError {
    return new TlsError('ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, what);
  }
  /** A deliberate internal_error (a state we refuse to continue from, not a peer's fault). */
  static internal(cause: unknown): TlsError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const e = new TlsError('ERR_TLS_INTERNAL', AlertDescription.internal_error, detail);
    if (cause instanceof Error) (e as Error & { cause?: unknown }).cause = cause;
    return e;
  }
  /**
   * An exception that was not a deliberate TlsError reached the connection's
   * catch site: a bug in puretls. internal_error goes out, the original is
   * kept as `cause`, and `bug` is true so tests and logs can tell it apart.
   */
  static bug(cause: unknown): TlsError {
    const e = TlsError.internal(cause);
    (e as { bug: boolean }).bug = true;
    return e;
  }
  /**
   * A user callback run during the handshake (certificate verifier, ALPN or
   * SNI choice) threw: the handshake cannot go on (internal_error), the
   * callback's exception is the `cause`; not a bug of ours.
   */
  static callback(what: string, cause: unknown): TlsError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const e = new TlsError('ERR_TLS_INTERNAL', AlertDescription.internal_error, `${what} threw: ${detail}`);
    (e as Error & { cause?: unknown }).cause = cause;
    return e;
  }
  /** A local call at the wrong time; sends no alert and poisons nothing. */
  static invalidState(what: string): TlsError {
    return new TlsError('ERR_TLS_INVALID_STATE', AlertDescription.internal_error, what);
  }
  /** The peer sent us a fatal alert. */
  static received(alert: number): TlsError {
    return new TlsError(
      'ERR_TLS_ALERT_RECEIVED',
      alert as AlertDescription,
      `peer sent fatal alert ${alertName(alert)}`,
      true,
    );
  }
}
Object.defineProperty(TlsError.prototype, TLS_ERROR_BRAND, { value: true });
