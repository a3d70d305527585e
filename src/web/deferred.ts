/**
 * Small pieces of the web-streams adapter: a promise settled from outside,
 * and the errors the adapter makes itself. No Node API here (puretls/core).
 */
import { AlertDescription, TlsError } from '../common/errors.js';

/**
 * A promise with its settle functions. Settling twice is a no-op. Its
 * rejection is marked handled: nobody has to await it (an unawaited
 * `handshake` or `closed` that rejects is no unhandled rejection).
 */
export class Deferred {
  readonly promise: Promise<void>;
  #settled = false;
  #resolve!: () => void;
  #reject!: (e: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => {});
  }

  get settled(): boolean {
    return this.#settled;
  }

  resolve(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve();
  }

  reject(e: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(e);
  }
}

/** The transport ended without close_notify (no alert goes out: there is nobody to read it). */
export function unexpectedEof(detail: string): TlsError {
  return new TlsError('ERR_TLS_UNEXPECTED_EOF', AlertDescription.close_notify, detail);
}

/** A call on a stream that is over (destroyed, or failed without a TLS error of its own). */
export function streamClosed(detail: string, cause?: unknown): TlsError {
  const e = new TlsError('ERR_TLS_CLOSED', AlertDescription.close_notify, detail);
  if (cause !== undefined) (e as Error & { cause?: unknown }).cause = cause;
  return e;
}

export function noop(): void {}
