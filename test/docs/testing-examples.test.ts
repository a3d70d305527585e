/**
 * docs/testing.md's examples, run: a client recorded against a real server
 * (node:tls, over TCP), replayed byte for byte without it, and a changed
 * client caught by the replay. Every ```ts block of the page is code of this
 * file (import lines aside: the page imports from 'puretls').
 */
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Connection, DefaultVerifier, TlsContext, decodePem } from '../../src/index.js';
import { TranscriptMismatchError, TranscriptRecorder, replayTranscript, type ConnectionFactory } from '../../src/testing/index.js';
import { makeCert, type CertInfo } from '../helpers/keys.js';

let cert: CertInfo;
let caDer: Uint8Array;
beforeAll(async () => {
  cert = await makeCert({ keyType: 'p256', tag: 'testing-doc' });
  caDer = decodePem(cert.certPem)[0]!.der;
});

// Our side, from the transcript's seeded provider: the same factory records and replays.
const makeClient: ConnectionFactory = (setup) =>
  new Connection(new TlsContext({ provider: setup.provider, verifier: new DefaultVerifier({ ca: [caDer] }) }), 'client', { serverName: 'localhost' });

/** Record a handshake, one echo and a close against the server on `port`. */
async function recordEcho(port: number, clockMs: number): Promise<string> {
  const header = { scenario: 'echo', role: 'client' as const, seed: 'echo', clockMs, fields: [['peer', 'my echo server'] as const] };
  const rec = new TranscriptRecorder(header, makeClient);
  const d = rec.connection();
  const sock = net.connect(port, '127.0.0.1');
  const send = (out: Uint8Array | null): void => {
    if (out) sock.write(out);
  };
  let wrote = false;
  sock.on('connect', () => send(d.act({ name: 'doHandshake' })));
  sock.on('data', (bytes: Buffer) => {
    send(d.peer(Uint8Array.from(bytes)));
    if (d.conn.handshakeComplete && !wrote) {
      wrote = true;
      send(d.act({ name: 'write', data: new TextEncoder().encode('ping') }));
    }
    if (d.events.some((e) => e.kind === 'data')) {
      send(d.act({ name: 'close' }));
      sock.end();
    }
  });
  await once(sock, 'close');
  return rec.toString();
}

describe('docs/testing.md', () => {
  it('records against a real server, then replays without it; a changed client fails with the reason', async () => {
    const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (s) => s.pipe(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    // A clock inside the certificate's validity: the replay runs with it too.
    const clockMs = Date.now();
    const text = await recordEcho((server.address() as net.AddressInfo).port, clockMs);
    server.close();
    expect(text).toMatch(/^< "ping"$/m);

    // In CI, no server: the same client must send the same bytes.
    const report = replayTranscript(text, makeClient);
    expect(report.finals[0]).toMatchObject({ protocol: 'TLSv1.3', failure: null });

    const changed: ConnectionFactory = (setup) => new Connection(new TlsContext({ provider: setup.provider, alpnProtocols: ['h2'] }), 'client', { serverName: 'localhost' });
    expect(() => replayTranscript(text, changed)).toThrow(TranscriptMismatchError);
    expect(() => replayTranscript(text, changed)).toThrow(/our \(client\) ClientHello now sends extension application_layer_protocol_negotiation/);
  });

  it('every ```ts block of the page is code of this file', () => {
    const norm = (t: string): string[] =>
      t
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('import '));
    const page = readFileSync(new URL('../../docs/testing.md', import.meta.url), 'utf8');
    const here = norm(readFileSync(new URL(import.meta.url), 'utf8')).join('\n');
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) expect(here).toContain(norm(b).join('\n'));
  });
});
