/**
 * The recorder's side of a scenario: start the real peer on 127.0.0.1, move
 * bytes between it and our TranscriptDriver, run the steps, and return the
 * transcript text. Used by record.rec.ts (npm run record-transcripts) only.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { TranscriptRecorder, type FinalState, type TranscriptDriver, type TranscriptHeader } from '../../src/testing/index.js';
import { runOpensslClient, spawnPeer, startOpensslServer, type OutputMark, type PeerHandle } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { CERT_DIR, TRANSCRIPT_CLOCK_MS, certPath, keyPath, type NodeServerOptions, type Scenario, type Step } from './kit.js';

const WAIT_MS = 10_000;

/** A stand-in for peers that print nothing (node:tls in this process). */
const NO_OUTPUT = { mark: () => ({ stdout: 0, stderr: 0 }), output: () => '' } as unknown as PeerHandle;

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
  const version =
    'nodeServer' in scenario.peer
      ? `node ${process.version} (OpenSSL ${process.versions.openssl})`
      : 'gnutlsClient' in scenario.peer
      ? execFileSync('gnutls-cli', ['--version']).toString().split('\n')[0]!.trim()
      : execFileSync('openssl', ['version']).toString().trim();
  const connections = scenario.connections ?? 1;
  let peerLine = '';
  const steps: string[] = [];
  for (let i = 0; i < connections; i++) steps.push(`connection ${i + 1}: ${scenario.steps(i).map(describeStep).join('; ')}`);
  const fields: Array<[string, string]> = [['description', scenario.description]];
  if (scenario.tamperPeer) fields.push(['tampered', `the recorder changed the peer's bytes: ${scenario.tamperPeer.how}`]);
  let server: PeerHandle | null = null;
  let node: NodePeer | null = null;
  if ('nodeServer' in scenario.peer) {
    node = await startNodeServer(scenario.peer.nodeServer);
    peerLine = `node:tls server (${process.version}) ${JSON.stringify(scenario.peer.nodeServer)}, answering each line with "node: <line>"`;
  } else if ('server' in scenario.peer) {
    server = await startOpensslServer([...scenario.peer.server], { name: 'openssl s_server' });
    peerLine = `openssl s_server -accept 127.0.0.1:PORT ${sanitize(scenario.peer.server, scratch)}`;
  }
  const header: TranscriptHeader = { scenario: scenario.name, role: scenario.role, seed: scenario.name, clockMs: TRANSCRIPT_CLOCK_MS, fields };
  const recorder = new TranscriptRecorder(header, scenario.factory);
  const peers: PeerHandle[] = server ? [server] : [];
  try {
    for (let i = 0; i < connections; i++) {
      const driver = recorder.connection();
      let peer: PeerHandle | null;
      let sock: net.Socket;
      if (node) {
        peer = null;
        sock = net.connect(node.port, '127.0.0.1');
        await once(sock, 'connect');
      } else if (server) {
        peer = server;
        sock = net.connect(server.port, '127.0.0.1');
        await once(sock, 'connect');
      } else {
        const listener = net.createServer();
        listener.listen(0, '127.0.0.1');
        await once(listener, 'listening');
        const port = (listener.address() as net.AddressInfo).port;
        if ('gnutlsClient' in scenario.peer) {
          const args = scenario.peer.gnutlsClient(i, scratch);
          peer = spawnPeer('gnutls-cli', ['-p', String(port), ...args, 'localhost'], { name: 'gnutls-cli' });
          peerLine += `${peerLine ? ' / ' : ''}gnutls-cli -p PORT ${sanitize(args, scratch)} localhost`;
        } else {
          const args = (scenario.peer as { client: (index: number, scratch: string) => readonly string[] }).client(i, scratch);
          peer = runOpensslClient([...args], undefined, { port, name: 'openssl s_client' });
          peerLine += `${peerLine ? ' / ' : ''}openssl s_client -connect 127.0.0.1:PORT ${sanitize(args, scratch)}`;
        }
        peers.push(peer);
        const client = peer;
        [sock] = (await Promise.race([once(listener, 'connection'), client.waitForExit(WAIT_MS).then(() => Promise.reject(new Error(`the peer exited:\n${client.output()}`)))])) as [net.Socket];
        listener.close();
      }
      await runConnection(driver, sock, peer, scenario.steps(i), scenario.tamperPeer?.make(driver.conn));
      if (peer && !server) await peer.stop();
    }
    fields.push(['peer', peerLine], ['peer-version', version], ['peer-deterministic', 'no (the peer draws its own randomness: re-recording changes its flows and ours after them; the replay asserts only our side)']);
    fields.push(['steps', steps.join(' | ')]);
    const transcript = recorder.transcript();
    scenario.check(transcript.connections.map((c) => c.final as FinalState));
    return recorder.toString();
  } finally {
    for (const p of peers) await p.stop();
    node?.close();
  }
}

interface NodePeer {
  readonly port: number;
  close(): void;
}

async function startNodeServer(o: NodeServerOptions): Promise<NodePeer> {
  const server = tls.createServer(
    {
      cert: readFileSync(certPath(o.cert)),
      key: readFileSync(keyPath(o.cert)),
      ...(o.minVersion ? { minVersion: o.minVersion } : {}),
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      ...(o.ALPNProtocols ? { ALPNProtocols: [...o.ALPNProtocols] } : {}),
      ...(o.requestCertFrom ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(certPath(o.requestCertFrom)) } : {}),
    },
    (s) => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          s.write(`node: ${buf.slice(0, nl + 1)}`);
          buf = buf.slice(nl + 1);
        }
      });
      s.on('error', () => s.destroy());
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set<net.Socket>();
  server.on('connection', (c: net.Socket) => sockets.add(c));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const c of sockets) c.destroy();
      server.close();
    },
  };
}

async function runConnection(
  driver: TranscriptDriver,
  sock: net.Socket,
  peerOrNull: PeerHandle | null,
  steps: readonly Step[],
  tamper: (data: Uint8Array) => Uint8Array = (d) => d,
): Promise<void> {
  const needsPeer = steps.some((s) => 'type' in s || 'peerSays' in s);
  if (needsPeer && !peerOrNull) throw new Error('a node:tls peer takes no typed commands and prints nothing: use read / until steps');
  const peer = peerOrNull ?? NO_OUTPUT;
  let closed = false;
  let read = '';
  const send = (out: Uint8Array | null): void => {
    if (out && !sock.destroyed) sock.write(out);
  };
  const dataSoFar = (): string => {
    read = driver.events.filter((e) => e.kind === 'data').map((e) => new TextDecoder().decode((e as { data: Uint8Array }).data)).join('');
    return read;
  };
  sock.on('data', (b: Buffer) => send(driver.peer(tamper(Uint8Array.from(b)))));
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
