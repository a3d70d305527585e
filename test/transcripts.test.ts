/**
 * Replay every recorded transcript (test/transcripts/*.txt, recorded with
 * `npm run record-transcripts` against real peers): our side, rebuilt with
 * the recorded seed and clock, must produce every one of its flows byte for
 * byte and end in the recorded state, which must show what the scenario is
 * about (its check). No live peer is needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTranscript, replayTranscript } from '../src/testing/index.js';
import { scenarioNamed, SCENARIOS } from './transcripts/scenarios.js';

const DIR = new URL('./transcripts/', import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

describe('recorded transcripts', () => {
  it('every scenario has its recording, and every recording its scenario', () => {
    expect(FILES.map((f) => f.slice(0, -4)).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  it.each(FILES)('%s replays byte for byte', (file) => {
    const text = readFileSync(new URL(file, DIR), 'utf8');
    const t = parseTranscript(text);
    const scenario = scenarioNamed(t.header.scenario);
    expect(scenario, `no scenario ${t.header.scenario} in test/transcripts/scenarios.ts`).toBeDefined();
    expect(t.header.role).toBe(scenario!.role);
    const report = replayTranscript(t, scenario!.factory);
    expect(report.ourFlows).toBeGreaterThan(0);
    scenario!.check(report.finals);
  });
});
