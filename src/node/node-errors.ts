/**
 * The errors a TlsSocket emits, as node:tls names them. node's TLS errors
 * come from OpenSSL: `code` is 'ERR_SSL_' + the reason string in capitals
 * (OpenSSL's ssl_err.c), with `library` ('SSL routines') and `reason`.
 *
 * A fatal alert the peer sent is, in OpenSSL, the reason
 * SSL_AD_REASON_OFFSET (1000) + the alert description: 'tlsv1 alert unknown
 * ca' → ERR_SSL_TLSV1_ALERT_UNKNOWN_CA. The socket emits such an error with
 * node's code; puretls's own code stays on it as `tlsCode`
 * ('ERR_TLS_ALERT_RECEIVED'), and the core's TlsError is its `cause`.
 * See docs/errors.md for every situation.
 */
import { AlertDescription, TlsError, type TlsErrorCode } from '../common/errors.js';
import { codedError, disconnected, type CodedError } from './coded-errors.js';

/** OpenSSL 3's reason strings for the alerts it names (ssl_err.c, SSL_R_SSLV3_ALERT_* / SSL_R_TLSV1*_ALERT_*). */
const ALERT_REASONS: Readonly<Record<number, string>> = {
  [AlertDescription.unexpected_message]: 'sslv3 alert unexpected message',
  [AlertDescription.bad_record_mac]: 'sslv3 alert bad record mac',
  [AlertDescription.decryption_failed]: 'tlsv1 alert decryption failed',
  [AlertDescription.record_overflow]: 'tlsv1 alert record overflow',
  30: 'sslv3 alert decompression failure',
  [AlertDescription.handshake_failure]: 'sslv3 alert handshake failure',
  [AlertDescription.no_certificate]: 'sslv3 alert no certificate',
  [AlertDescription.bad_certificate]: 'sslv3 alert bad certificate',
  [AlertDescription.unsupported_certificate]: 'sslv3 alert unsupported certificate',
  [AlertDescription.certificate_revoked]: 'sslv3 alert certificate revoked',
  [AlertDescription.certificate_expired]: 'sslv3 alert certificate expired',
  [AlertDescription.certificate_unknown]: 'sslv3 alert certificate unknown',
  [AlertDescription.illegal_parameter]: 'sslv3 alert illegal parameter',
  [AlertDescription.unknown_ca]: 'tlsv1 alert unknown ca',
  [AlertDescription.access_denied]: 'tlsv1 alert access denied',
  [AlertDescription.decode_error]: 'tlsv1 alert decode error',
  [AlertDescription.decrypt_error]: 'tlsv1 alert decrypt error',
  60: 'tlsv1 alert export restriction',
  [AlertDescription.protocol_version]: 'tlsv1 alert protocol version',
  [AlertDescription.insufficient_security]: 'tlsv1 alert insufficient security',
  [AlertDescription.internal_error]: 'tlsv1 alert internal error',
  [AlertDescription.inappropriate_fallback]: 'tlsv1 alert inappropriate fallback',
  [AlertDescription.user_canceled]: 'tlsv1 alert user cancelled',
  [AlertDescription.no_renegotiation]: 'tlsv1 alert no renegotiation',
  [AlertDescription.missing_extension]: 'tlsv13 alert missing extension',
  [AlertDescription.unsupported_extension]: 'tlsv1 unsupported extension',
  111: 'tlsv1 certificate unobtainable',
  [AlertDescription.unrecognized_name]: 'tlsv1 unrecognized name',
  [AlertDescription.bad_certificate_status_response]: 'tlsv1 bad certificate status response',
  114: 'tlsv1 bad certificate hash value',
  [AlertDescription.unknown_psk_identity]: 'tlsv1 alert unknown psk identity',
  [AlertDescription.certificate_required]: 'tlsv13 alert certificate required',
  [AlertDescription.no_application_protocol]: 'tlsv1 alert no application protocol',
};

/** node's code for an OpenSSL reason string: 'tlsv1 alert unknown ca' → 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'. */
export function sslCode(reason: string): string {
  return `ERR_SSL_${reason.toUpperCase().replace(/ /g, '_')}`;
}

/** node's code for a fatal alert received with this description, or undefined when OpenSSL has no name for it. */
export function receivedAlertCode(description: number): string | undefined {
  const reason = ALERT_REASONS[description];
  return reason === undefined ? undefined : sslCode(reason);
}

/**
 * An error as node:tls reports an OpenSSL failure: `code` (node's),
 * `library`, `reason`; and puretls's detail: `tlsCode` (the core's code),
 * `alert`, `remote`, and the core's TlsError as `cause` when there is one.
 */
export class SslError extends Error {
  readonly code: string;
  readonly library = 'SSL routines';
  readonly reason: string;
  /** puretls's code for the same failure (TlsErrorCode, or a node-only one such as ERR_SSL_UNEXPECTED_EOF_WHILE_READING). */
  readonly tlsCode: TlsErrorCode | string;
  /** The alert description received (remote) or sent; undefined when no alert was involved. */
  readonly alert: number | undefined;
  /** True when the peer sent the alert. */
  readonly remote: boolean;

  constructor(reason: string, detail: { tlsCode: TlsErrorCode | string; alert?: number; remote?: boolean; suffix?: string; cause?: Error }) {
    // OpenSSL's "error:<packed code>:SSL routines::<reason>[:<data>]", without the thread id and source position node's message has.
    const reasonNumber = detail.alert !== undefined && detail.remote ? 1000 + detail.alert : undefined;
    const packed = reasonNumber === undefined ? '' : `0A${reasonNumber.toString(16).toUpperCase().padStart(6, '0')}`;
    super(`error:${packed}:SSL routines::${reason}${detail.suffix ? `:${detail.suffix}` : ''}`, detail.cause ? { cause: detail.cause } : undefined);
    this.code = sslCode(reason);
    this.reason = reason;
    this.tlsCode = detail.tlsCode;
    this.alert = detail.alert;
    this.remote = detail.remote ?? false;
  }
}

/**
 * The socket's error for a failure out of the Connection: a fatal alert the
 * peer sent gets node's code (an SslError whose cause is `err`); before
 * the handshake, an alert OpenSSL has no name for is node's ECONNRESET.
 * Anything else is returned as it is.
 */
export function nodeError(err: Error, established: boolean): Error {
  if (!(err instanceof TlsError) || err.code !== 'ERR_TLS_ALERT_RECEIVED') return err;
  const reason = ALERT_REASONS[err.alert];
  if (reason === undefined) return established ? err : Object.assign(disconnected(), { cause: err });
  return new SslError(reason, { tlsCode: err.code, alert: err.alert, remote: true, suffix: `SSL alert number ${err.alert}`, cause: err });
}

/**
 * OpenSSL 3's error for a transport that ended without close_notify
 * (SSL_R_UNEXPECTED_EOF_WHILE_READING), given with `rejectTruncation`.
 */
export function unexpectedEof(): SslError {
  return new SslError('unexpected eof while reading', { tlsCode: 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING' });
}

/** node's error when a peer renegotiates after disableRenegotiation(). */
export function renegotiationDisabled(): CodedError {
  return codedError(new Error('TLS session renegotiation disabled for this socket'), 'ERR_TLS_RENEGOTIATION_DISABLED');
}

/** node's error for setServername() on a server socket. */
export function sniFromServer(): CodedError {
  return codedError(new Error('Cannot issue SNI from a TLS server-side socket'), 'ERR_TLS_SNI_FROM_SERVER');
}
