import { expect } from 'vitest';
import { TlsError } from '../../src/common/errors.js';

/** The TlsError `fn` throws; fails the test if it throws anything else, or nothing. */
export function thrownTlsError(fn: () => unknown): TlsError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a TlsError').toBeInstanceOf(TlsError);
  return err as TlsError;
}
