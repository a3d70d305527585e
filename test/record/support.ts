/** Helpers shared by the record-layer tests. */
import { TlsError } from '../../src/common/errors.js';
import { RecordDeframer, type RawRecord } from '../../src/record/deframer.js';

/** The alert of the TlsError that `fn` throws (fails on any other outcome). */
export function alertOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e.alert;
    throw new Error(`not a TlsError: ${String(e)}`);
  }
  throw new Error('no error thrown');
}

/** Exactly one record from bytes. */
export function parse(bytes: Uint8Array): RawRecord {
  const d = new RecordDeframer();
  d.push(bytes);
  const r = d.next();
  if (!r || d.buffered !== 0) throw new Error('not exactly one record');
  return r;
}

/** n bytes of a recognisable pattern: (i * mul + seed) mod 256. */
export function pattern(n: number, seed: number, mul: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * mul + seed) & 0xff);
}
