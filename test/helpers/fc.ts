/**
 * fast-check parameters shared by the property tests. No seed is fixed, so
 * every run explores; a failure prints its seed and path, and
 * FC_SEED / FC_PATH replay it. FC_RUNS overrides the run count (a soak).
 */
import type fc from 'fast-check';

const seed = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : undefined;
const path = process.env['FC_PATH'];

/** Parameters for `n` runs (or FC_RUNS), with FC_SEED / FC_PATH when set. */
export function fcRuns(n: number): fc.Parameters<unknown> {
  return {
    numRuns: process.env['FC_RUNS'] !== undefined ? Number(process.env['FC_RUNS']) : n,
    ...(seed !== undefined ? { seed } : {}),
    ...(path !== undefined ? { path } : {}),
  };
}
