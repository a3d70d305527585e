/**
 * What a TlsSocket does with its transport's writable side: hand it bytes
 * (a callback once accepted), end it (a callback once flushed), destroy it
 * (after a fatal alert has had time to leave). And the socket's error helpers.
 */
import type { Duplex } from 'node:stream';
import { TlsError } from '../common/errors.js';
import { closedError } from './coded-errors.js';
import { nodeRenegotiationError } from './renegotiate.js';

type Callback = (err?: Error | null) => void;

/** How long a fatal alert may take to leave before the transport is destroyed. */
const LINGER_MS = 2000;

export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * What the socket reports for a Connection error: for a failed server
 * identity check, the Error the user's checkServerIdentity returned (the
 * same object, as node:tls), carried by the TlsError as `identityError`;
 * node's ERR_TLS_SESSION_ATTACK for too many renegotiations.
 */
export function reported(e: unknown): Error {
  if (e instanceof TlsError) {
    const identity = (e as TlsError & { identityError?: unknown }).identityError;
    if (identity instanceof Error) return identity;
  }
  return nodeRenegotiationError(asError(e));
}

/** One transport write; `cb` once it was accepted (after 'drain' when the transport is full), or with EPIPE if it closes first. */
export function writeTransport(t: Duplex, out: Uint8Array, cb?: Callback): void {
  if (t.destroyed || t.writableEnded) return cb?.(closedError());
  const ok = t.write(out);
  if (!cb) return;
  if (ok) return cb();
  const onDrain = (): void => {
    t.off('close', onClose);
    cb();
  };
  const onClose = (): void => {
    t.off('drain', onDrain);
    cb(closedError());
  };
  t.once('drain', onDrain);
  t.once('close', onClose);
}

/** End the transport with `out` (close_notify) if given; `cb` once it finished or closed. */
export function endTransport(t: Duplex, out: Uint8Array | null, cb: Callback): void {
  if (t.destroyed || t.writableFinished) return cb();
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    t.off('finish', finish);
    t.off('close', finish);
    cb();
  };
  t.once('finish', finish);
  t.once('close', finish);
  if (t.writableEnded) return;
  if (out) t.end(out);
  else t.end();
}

/** Destroy the transport; with `linger`, once what was written (a fatal alert) has left, or after LINGER_MS. */
export function destroyTransport(t: Duplex, linger: boolean): void {
  if (!linger || t.destroyed || t.writableFinished) return void t.destroy();
  const timer = setTimeout(() => t.destroy(), LINGER_MS);
  timer.unref?.();
  const kill = (): void => {
    clearTimeout(timer);
    t.destroy();
  };
  t.once('finish', kill);
  t.once('close', () => clearTimeout(timer));
}
