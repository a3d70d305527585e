/**
 * Record a transcript: our side runs with the header's seed and clock (the
 * same TranscriptRun and TranscriptDriver the replay uses); the caller moves
 * bytes between the driver and the real peer (a socket, a child process)
 * and says what it made the peer do.
 *
 *   const rec = new TranscriptRecorder(header, factory);
 *   const d = rec.connection();
 *   socket.write(d.act({ name: 'doHandshake' }) ?? new Uint8Array(0));
 *   socket.on('data', (b) => { const out = d.peer(b); if (out) socket.write(out); });
 *   ...
 *   writeFileSync(file, rec.toString());
 */
import type { TranscriptDriver } from './driver.js';
import { TranscriptRun, type ConnectionFactory } from './replay.js';
import { formatTranscript, type Transcript, type TranscriptConnection, type TranscriptHeader } from './transcript.js';

export class TranscriptRecorder {
  private readonly run: TranscriptRun;
  private readonly drivers: TranscriptDriver[] = [];

  constructor(
    readonly header: TranscriptHeader,
    private readonly factory: ConnectionFactory,
  ) {
    this.run = new TranscriptRun(header);
  }

  /** Our next connection (the first, or one that resumes an earlier one's session). */
  connection(): TranscriptDriver {
    const d = this.run.start(this.factory, this.drivers.length);
    this.drivers.push(d);
    return d;
  }

  /** The transcript so far; each connection's final state as of now. */
  transcript(): Transcript {
    const connections: TranscriptConnection[] = this.drivers.map((d) => ({ events: [...d.events], final: d.finalState() }));
    return { header: this.header, connections };
  }

  toString(): string {
    return formatTranscript(this.transcript());
  }
}
