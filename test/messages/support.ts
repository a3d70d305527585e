/** Shared helpers for the codec tests. */
import { expect } from 'vitest';
import { TlsError, type TlsErrorCode } from '../../src/common/errors.js';

/** Expect `fn` to throw a TlsError with this code (decode_error by default). */
export function expectTlsError(fn: () => unknown, code: TlsErrorCode = 'ERR_TLS_DECODE'): TlsError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a TlsError').toBeInstanceOf(TlsError);
  expect((err as TlsError).code).toBe(code);
  return err as TlsError;
}

export const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
export const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
export const append = (a: Uint8Array, ...b: number[]): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
