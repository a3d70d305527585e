/**
 * `npm run record-transcripts [-- --only NAME]`: record every scenario (or
 * one) against its real peer and write test/transcripts/NAME.txt. Run by
 * vitest with vitest.record.config.ts (for the peer helpers' cleanup hooks);
 * never part of `npm test`.
 */
import { writeFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { installPeerCleanup } from '../helpers/peers.js';
import { recordScenario } from './runner.js';
import { SCENARIOS } from './scenarios.js';

installPeerCleanup();

const only = process.env['TRANSCRIPT_ONLY'];
const chosen = SCENARIOS.filter((s) => !only || only.split(',').includes(s.name));
if (only && chosen.length === 0) throw new Error(`no scenario named ${only}`);

describe('record transcripts', () => {
  it.each(chosen.map((s) => [s.name, s] as const))('%s', async (name, scenario) => {
    const text = await recordScenario(scenario);
    writeFileSync(new URL(`./${name}.txt`, import.meta.url), text);
  });
});
