/** Shared helpers for the codec tests. */
import { expect } from 'vitest';
import type { TlsError, TlsErrorCode } from '../../src/common/errors.js';
import { thrownTlsError } from '../helpers/errors.js';

/** Expect `fn` to throw a TlsError with this code (decode_error by default). */
export function expectTlsError(fn: () => unknown, code: TlsErrorCode = 'ERR_TLS_DECODE'): TlsError {
  const err = thrownTlsError(fn);
  expect(err.code).toBe(code);
  return err;
}

export const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
export const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
export const append = (a: Uint8Array, ...b: number[]): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
