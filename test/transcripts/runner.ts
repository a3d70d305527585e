/**
 * The recorder's side of a scenario: start the real peer on 127.0.0.1, move
 * bytes between it and our TranscriptDriver, run the steps, and return the
 * transcript text. Used by record.rec.ts (npm run record-transcripts) only.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { TranscriptRecorder, type FinalState, type TranscriptDriver, type TranscriptHeader } from '../../src/testing/index.js';
import { runOpensslClient, startOpensslServer, type OutputMark, type PeerHandle } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { CERT_DIR, TRANSCRIPT_CLOCK_MS, type Scenario, type Step } from './kit.js';

const WAIT_MS = 10_000;

function describeStep(s: Step): string {
  if ('act' in s) return s.act.name === 'write' ? `write ${JSON.stringify(new TextDecoder().decode(s.act.data))}` : s.act.name + ('type' in s.act ? ` ${s.act.type}` : '') + ('n' in s.act ? ` ${s.act.n}` : '');
  if ('type' in s) return `peer types ${JSON.stringify(s.type)}`;
  if ('peerSays' in s) return `wait for the peer to print ${s.peerSays}`;
  if ('read' in s) return `wait to read ${JSON.stringify(s.read)}`;
  if ('until' in s) return `wait until ${s.what}`;
  if ('handshake' in s) return 'wait for the handshake';
  return 'wait for the connection to close';
}

/** Poll `pred` (after every socket event and every 5 ms) until it holds; reject after `ms` naming `what`. */
function until(pred: () => boolean, what: () => string, ms = WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const tick = (): void => {
      if (pred()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what()}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

const sanitize = (args: readonly string[], scratch: string): string =>
  args.map((a) => a.split(CERT_DIR).join('certs/').split(scratch).join('$TMP')).join(' ');

/** Record `scenario` against its real peer; returns the transcript's text. */
export async function recordScenario(scenario: Scenario): Promise<string> {
  const scratch = makeTempDir('transcript-');
  const version = execFileSync('openssl', ['version']).toString().trim();
  const connections = scenario.connections ?? 1;
  let peerLine = '';
  const steps: string[] = [];
  for (let i = 0; i < connections; i++) steps.push(`connection ${i + 1}: ${scenario.steps(i).map(describeStep).join('; ')}`);
  const fields: Array<[string, string]> = [['description', scenario.description]];
  let server: PeerHandle | null = null;
  if ('server' in scenario.peer) {
    server = await startOpensslServer([...scenario.peer.server], { name: 'openssl s_server' });
    peerLine = `openssl s_server -accept 127.0.0.1:PORT ${sanitize(scenario.peer.server, scratch)}`;
  }
  const header: TranscriptHeader = { scenario: scenario.name, role: scenario.role, seed: scenario.name, clockMs: TRANSCRIPT_CLOCK_MS, fields };
  const recorder = new TranscriptRecorder(header, scenario.factory);
  const peers: PeerHandle[] = server ? [server] : [];
  try {
    for (let i = 0; i < connections; i++) {
      const driver = recorder.connection();
      let peer: PeerHandle;
      let sock: net.Socket;
      if (server) {
        peer = server;
        sock = net.connect(server.port, '127.0.0.1');
        await once(sock, 'connect');
      } else {
        const peerSpec = scenario.peer as { client: (index: number, scratch: string) => readonly string[] };
        const args = peerSpec.client(i, scratch);
        const listener = net.createServer();
        listener.listen(0, '127.0.0.1');
        await once(listener, 'listening');
        const port = (listener.address() as net.AddressInfo).port;
        peer = runOpensslClient([...args], undefined, { port, name: 'openssl s_client' });
        peers.push(peer);
        peerLine += `${peerLine ? ' / ' : ''}openssl s_client -connect 127.0.0.1:PORT ${sanitize(args, scratch)}`;
        [sock] = (await Promise.race([once(listener, 'connection'), peer.waitForExit(WAIT_MS).then(() => Promise.reject(new Error(`s_client exited:\n${peer.output()}`)))])) as [net.Socket];
        listener.close();
      }
      await runConnection(driver, sock, peer, scenario.steps(i));
      if (!server) await peer.stop();
    }
    fields.push(['peer', peerLine], ['peer-version', version], ['peer-deterministic', 'no (the peer draws its own randomness: re-recording changes its flows and ours after them; the replay asserts only our side)']);
    fields.push(['steps', steps.join(' | ')]);
    const transcript = recorder.transcript();
    scenario.check(transcript.connections.map((c) => c.final as FinalState));
    return recorder.toString();
  } finally {
    for (const p of peers) await p.stop();
  }
}

async function runConnection(driver: TranscriptDriver, sock: net.Socket, peer: PeerHandle, steps: readonly Step[]): Promise<void> {
  let closed = false;
  let read = '';
  const send = (out: Uint8Array | null): void => {
    if (out && !sock.destroyed) sock.write(out);
  };
  const dataSoFar = (): string => {
    read = driver.events.filter((e) => e.kind === 'data').map((e) => new TextDecoder().decode((e as { data: Uint8Array }).data)).join('');
    return read;
  };
  sock.on('data', (b: Buffer) => send(driver.peer(Uint8Array.from(b))));
  sock.on('close', () => (closed = true));
  sock.on('error', () => (closed = true));
  let mark: OutputMark = peer.mark();
  for (const step of steps) {
    const what = (): string => `${describeStep(step)}; state ${JSON.stringify(driver.finalState())}; read ${JSON.stringify(read)}\n--- peer output ---\n${peer.output().slice(-3000)}`;
    if ('act' in step) send(driver.act(step.act));
    else if ('type' in step) {
      driver.note(`the peer is told to type ${JSON.stringify(step.type)}`);
      mark = peer.mark();
      peer.write(`${step.type}\n`);
    } else if ('peerSays' in step) {
      await peer.waitFor(step.peerSays, WAIT_MS, mark);
      mark = peer.mark();
    } else if ('read' in step) await until(() => dataSoFar().includes(step.read), what);
    else if ('until' in step) await until(() => step.until(driver.finalState()), what);
    else if ('handshake' in step) await until(() => driver.conn.handshakeComplete && !driver.conn.handshaking, what);
    else await until(() => closed || (driver.conn.peerClosed && driver.conn.closed) || driver.conn.failure !== null, what);
  }
  sock.end();
  await until(() => closed, () => 'the socket to close', 3_000).catch(() => sock.destroy());
}
