/**
 * TLS 1.2 renegotiation in node:tls's terms: tlsSocket.renegotiate()'s
 * arguments and errors, the server's limit on client-initiated
 * renegotiations (tls.CLIENT_RENEG_LIMIT per tls.CLIENT_RENEG_WINDOW), and
 * the callbacks waiting for a renegotiation to end.
 *
 * Found by experiment against node 20.20 (OpenSSL 3.0):
 * - a node:tls server accepts renegotiations its TLS 1.2 clients start; the
 *   fourth within 600 s is 'error' ERR_TLS_SESSION_ATTACK on its socket;
 * - renegotiate() on TLS 1.3 returns false and calls back (next tick) with
 *   ERR_SSL_WRONG_SSL_VERSION, changing nothing;
 * - renegotiate() before the handshake returns true, then the connection
 *   breaks (ERR_SSL_INTERNAL_ERROR): we return false and call back with
 *   ERR_TLS_INVALID_STATE instead;
 * - after each handshake both ends emit 'secure' (a client 'secureConnect'
 *   too), and renegotiate()'s callback runs on that 'secure'.
 */
import tls from 'node:tls';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { RenegotiationPolicy } from '../ssl/context.js';
import { codedError, received } from './coded-errors.js';

/** tlsSocket.renegotiate()'s options: for the new handshake and the ones after it. */
export interface RenegotiateOptions {
  /** Fail the handshake when the peer's certificate does not verify. */
  rejectUnauthorized?: boolean;
  /** Server: ask the client for a certificate. */
  requestCert?: boolean;
}

export type RenegotiateCallback = (err: Error | null) => void;

/** node's _requestCert / _rejectUnauthorized: what the next handshake asks of the peer. */
export interface PeerVerification {
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

/** node's validateObject / validateFunction errors for renegotiate(options, callback). */
export function checkRenegotiateArgs(options: unknown, callback: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw codedError(new TypeError(`The "options" argument must be of type object. Received ${received(options)}`), 'ERR_INVALID_ARG_TYPE');
  }
  if (callback !== undefined && typeof callback !== 'function') {
    throw codedError(new TypeError(`The "callback" argument must be of type function. Received ${received(callback)}`), 'ERR_INVALID_ARG_TYPE');
  }
}

/** As node: options.requestCert / rejectUnauthorized, when given, replace the socket's (as booleans). */
export function nextVerification(current: PeerVerification, options: RenegotiateOptions): PeerVerification {
  return {
    requestCert: options.requestCert === undefined ? current.requestCert : !!options.requestCert,
    rejectUnauthorized: options.rejectUnauthorized === undefined ? current.rejectUnauthorized : !!options.rejectUnauthorized,
  };
}

/** node's error for renegotiate() on TLS 1.3 (OpenSSL's SSL_R_WRONG_SSL_VERSION). */
export function wrongSslVersion(): Error {
  const err = new Error('error:0A00010A:SSL routines::wrong ssl version');
  return Object.assign(err, { library: 'SSL routines', reason: 'wrong ssl version', code: 'ERR_SSL_WRONG_SSL_VERSION' });
}

/**
 * The core's error for a peer past the renegotiation limit (ERR_TLS_TOO_MANY
 * with a handshake_failure alert) as node's ERR_TLS_SESSION_ATTACK; any other
 * error as it is. node emits 'error' and lets the renegotiation go on; the
 * core ends the connection.
 */
export function nodeRenegotiationError(e: Error): Error {
  if (!(e instanceof TlsError) || e.code !== 'ERR_TLS_TOO_MANY' || e.alert !== AlertDescription.handshake_failure) return e;
  return Object.assign(codedError(new Error('TLS session renegotiation attack detected'), 'ERR_TLS_SESSION_ATTACK'), { cause: e });
}

/** A non-negative integer from one of node's tunables, or `fallback`. */
function tunable(value: unknown, fallback: number): number {
  if (value === Infinity) return Number.MAX_SAFE_INTEGER;
  return typeof value === 'number' && value >= 0 && Number.isFinite(value) ? Math.ceil(value) : fallback;
}

/**
 * A node:tls server's policy (lib/_tls_wrap.js onhandshakestart): clients
 * may renegotiate, tls.CLIENT_RENEG_LIMIT times (3) per
 * tls.CLIENT_RENEG_WINDOW seconds (600), read when the context is made; no
 * limit per connection. Unlike node, renegotiations the server asked for
 * (renegotiate()) do not count.
 */
export function nodeRenegotiationPolicy(): Partial<RenegotiationPolicy> {
  return {
    acceptClientInitiated: true,
    maxPerWindow: tunable(tls.CLIENT_RENEG_LIMIT, 3),
    windowSeconds: tunable(tls.CLIENT_RENEG_WINDOW, 600),
    maxPerConnection: Number.MAX_SAFE_INTEGER,
  };
}

/** The renegotiate() callbacks waiting for the handshake under way. */
export class RenegotiationWaiters {
  private waiting: RenegotiateCallback[] = [];

  add(cb: RenegotiateCallback): void {
    this.waiting.push(cb);
  }

  /** The handshake ended (err null) or failed: each callback once. */
  settle(err: Error | null): void {
    const done = this.waiting;
    this.waiting = [];
    for (const cb of done) cb(err);
  }
}
