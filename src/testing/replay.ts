/**
 * Replay a transcript: our side is rebuilt with the recorded seed and clock,
 * the peer's flows are fed to it in order with our recorded calls between
 * them, and every flow we send must equal the recording byte for byte; then
 * the final state must match. A difference throws TranscriptMismatchError
 * saying where and, for a hello, what changed.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { testProvider } from '../crypto/random.js';
import type { Session } from '../session/session.js';
import type { Connection } from '../ssl/connection.js';
import { TranscriptDriver } from './driver.js';
import { describeFlowDifference, describeEvent } from './explain.js';
import { parseTranscript, type FinalState, type Transcript, type TranscriptEvent, type TranscriptHeader } from './transcript.js';

/** What a connection factory gets: the same on recording and on replay. */
export interface TranscriptSetup {
  /** Our side's randomness and clock: testProvider(seed, clock-ms), one for the whole transcript. */
  readonly provider: CryptoProvider;
  readonly header: TranscriptHeader;
  /** The connection's index in the transcript (0 for the first). */
  readonly index: number;
  /** Every session our side received so far in this transcript (for resumption scenarios). */
  readonly sessions: readonly Session[];
  /** Record a line in the final state (e.g. the ticket app data a callback saw). */
  log(line: string): void;
}

/** Build our side's Connection for one connection of a transcript (as it was recorded). */
export type ConnectionFactory = (setup: TranscriptSetup) => Connection;

/** A replay that did not reproduce the recording. */
export class TranscriptMismatchError extends Error {
  constructor(
    readonly scenario: string,
    readonly connection: number,
    readonly event: number,
    message: string,
  ) {
    super(`${scenario}, connection ${connection}, event ${event}: ${message}`);
    this.name = 'TranscriptMismatchError';
  }
}

export interface ReplayReport {
  readonly connections: number;
  /** Our flows compared byte for byte. */
  readonly ourFlows: number;
  readonly peerFlows: number;
  readonly finals: FinalState[];
}

/** Shared by recorder and replayer: one provider and the sessions seen so far, per transcript. */
export class TranscriptRun {
  readonly provider: CryptoProvider;
  readonly sessions: Session[] = [];

  constructor(readonly header: TranscriptHeader) {
    this.provider = testProvider(header.seed, header.clockMs);
  }

  /** Our connection number `index`, from the factory, driven by a TranscriptDriver. */
  start(factory: ConnectionFactory, index: number): TranscriptDriver {
    let driver: TranscriptDriver | undefined;
    const early: string[] = [];
    const conn = factory({
      provider: this.provider,
      header: this.header,
      index,
      sessions: [...this.sessions],
      log: (line) => (driver ? driver.log.push(line) : early.push(line)),
    });
    driver = new TranscriptDriver(conn);
    driver.log.push(...early);
    conn.on('session', (s) => this.sessions.push(s));
    return driver;
  }
}

const isInput = (e: TranscriptEvent): boolean => e.kind === 'action' || e.kind === 'note' || (e.kind === 'flow' && e.from === 'peer');

/**
 * Replay `transcript` (its text or parsed form) against the connections
 * `factory` makes.
 * @throws {TranscriptMismatchError} at the first event that differs
 */
export function replayTranscript(transcript: Transcript | string, factory: ConnectionFactory): ReplayReport {
  const t = typeof transcript === 'string' ? parseTranscript(transcript) : transcript;
  const run = new TranscriptRun(t.header);
  const finals: FinalState[] = [];
  let ourFlows = 0;
  let peerFlows = 0;
  t.connections.forEach((recorded, index) => {
    const driver = run.start(factory, index);
    const fail = (at: number, message: string): never => {
      throw new TranscriptMismatchError(t.header.scenario, index + 1, at + 1, message);
    };
    for (const e of recorded.events) {
      if (e.kind === 'action') driver.act(e.action);
      else if (e.kind === 'note') driver.note(e.text);
      else if (e.kind === 'flow' && e.from === 'peer') driver.peer(e.data);
      // Compare what the replay produced so far with the recording, event by event.
      const got = driver.events;
      for (let i = 0; i < got.length; i++) {
        const want = recorded.events[i];
        const have = got[i]!;
        if (!want) fail(i, `the replay produced more than the recording: ${describeEvent(have)}`);
        if (isInput(want!)) continue;
        if (!sameEvent(want!, have)) {
          if (want!.kind === 'flow' && have.kind === 'flow') fail(i, describeFlowDifference(t.header.role, want!, have));
          fail(i, `recorded ${describeEvent(want!)}, replay produced ${describeEvent(have)}`);
        }
      }
    }
    const got = driver.events;
    if (got.length < recorded.events.length) fail(got.length, `the replay stopped before ${describeEvent(recorded.events[got.length]!)}`);
    const final = driver.finalState();
    if (recorded.final !== undefined && JSON.stringify(final) !== JSON.stringify(recorded.final)) {
      fail(got.length, `final state differs:\n  recorded ${JSON.stringify(recorded.final)}\n  replay   ${JSON.stringify(final)}`);
    }
    finals.push(final);
    ourFlows += got.filter((e) => e.kind === 'flow' && e.from === 'us').length;
    peerFlows += got.filter((e) => e.kind === 'flow' && e.from === 'peer').length;
  });
  return { connections: t.connections.length, ourFlows, peerFlows, finals };
}

function bytesSame(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameEvent(a: TranscriptEvent, b: TranscriptEvent): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'flow':
      return b.kind === 'flow' && a.from === b.from && bytesSame(a.data, b.data);
    case 'data':
      return b.kind === 'data' && bytesSame(a.data, b.data);
    case 'error':
      return b.kind === 'error' && a.code === b.code && a.alert === b.alert;
    default:
      return true;
  }
}
