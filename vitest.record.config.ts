import { defineConfig } from 'vitest/config';

/** `npm run record-transcripts`: only the recorder (test/transcripts/record.rec.ts), one scenario at a time. */
export default defineConfig({
  test: {
    include: ['test/transcripts/record.rec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
