#!/usr/bin/env node
// npm run record-transcripts [-- --only NAME[,NAME...]]: re-record test/transcripts/*.txt against real peers.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env = { ...process.env };
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only' && args[i + 1]) env.TRANSCRIPT_ONLY = args[++i];
  else {
    console.error(`record-transcripts: unknown argument ${args[i]} (use --only NAME)`);
    process.exit(2);
  }
}
const r = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.record.config.ts'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
