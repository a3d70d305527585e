/**
 * node:tls matrix: our client against tls.createServer and tls.connect
 * against our server, TLS 1.3, RSA-2048 / P-256 / Ed25519 chains, client
 * certificates both ways, ALPN, exporters and key log lines.
 */
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyUpdateType } from '../../src/common/constants.js';
import { connect, createServer, type TlsSocket } from '../../src/node/index.js';
import { certsFor, clientCertFor, collect, installCleanup, listen, track, type Certs, type KeyType } from './support.js';

installCleanup();

const KEY_TYPES: KeyType[] = ['rsa2048', 'p256', 'ed25519'];
const EKM_CONTEXT = Buffer.from('some context');

interface Fixture {
  certs: Certs;
  client: { cert: string; key: string };
}
const fixtures = new Map<KeyType, Fixture>();

beforeAll(async () => {
  await Promise.all(
    KEY_TYPES.map(async (k) => {
      const certs = await certsFor(k);
      const client = await clientCertFor(certs.chain, `client-${k}`);
      fixtures.set(k, { certs, client });
    }),
  );
});

/** What one side saw, for comparison with the other side. */
interface Seen {
  protocol: string | null;
  cipher: string | undefined;
  alpn: string | false | null;
  peerCN: unknown;
  authorized: boolean;
  ekm: string;
  finished: string | undefined;
  peerFinished: string | undefined;
}

function seen(s: tls.TLSSocket | TlsSocket): Seen {
  const cert = s.getPeerCertificate() as { subject?: { CN?: unknown } };
  return {
    protocol: s.getProtocol(),
    cipher: s.getCipher()?.standardName,
    alpn: s.alpnProtocol,
    peerCN: cert.subject?.CN,
    authorized: s.authorized,
    ekm: s.exportKeyingMaterial(32, 'label', EKM_CONTEXT).toString('hex'),
    finished: s.getFinished()?.toString('hex'),
    peerFinished: s.getPeerFinished()?.toString('hex'),
  };
}

function expectMirror(client: Seen, server: Seen, k: KeyType): void {
  expect(client.protocol).toBe('TLSv1.3');
  expect(server.protocol).toBe('TLSv1.3');
  expect(client.cipher).toBe(server.cipher);
  expect(client.alpn).toBe('h2'); // the server's preference among the client's offers
  expect(server.alpn).toBe('h2');
  expect(client.peerCN).toBe('localhost');
  expect(server.peerCN).toBe(`client-${k}`);
  expect(client.authorized).toBe(true);
  expect(server.authorized).toBe(true);
  expect(client.ekm).toBe(server.ekm);
  expect(client.ekm).toMatch(/^[0-9a-f]{64}$/);
  expect(client.finished).toBe(server.peerFinished);
  expect(client.peerFinished).toBe(server.finished);
}

describe.each(KEY_TYPES)('TLS 1.3 with node:tls, %s certificates', (k) => {
  it('our client ↔ tls.createServer: client cert, ALPN, exporter, keylog', async () => {
    const { certs, client } = fixtures.get(k)!;
    const serverLines: string[] = [];
    let serverSeen: Seen | undefined;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, ca: certs.ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => {
      serverSeen = seen(s);
      s.pipe(s);
    });
    srv.on('keylog', (line: Buffer) => serverLines.push(line.toString('latin1')));
    const port = await listen(srv);
    const clientLines: string[] = [];
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, cert: client.cert, key: client.key, ALPNProtocols: ['http/1.1', 'h2'] }));
    sock.on('keylog', (line: Buffer) => clientLines.push(line.toString('latin1')));
    await once(sock, 'secureConnect');
    const clientSeen = seen(sock);
    const detailed = sock.getPeerCertificate(true);
    expect(detailed.issuerCertificate?.subject.CN).toBe(`puretls test intermediate (${k})`);
    expect(Buffer.isBuffer(detailed.raw)).toBe(true);
    expect(sock.getCipher()?.version).toBe('TLSv1.3');
    sock.end('ping');
    const echoed = await collect(sock);
    expect(echoed.toString()).toBe('ping');
    expectMirror(clientSeen, serverSeen!, k);
    // Same lines, each once, EXPORTER_SECRET included, with node's trailing newline.
    expect(clientLines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(new Set(clientLines).size).toBe(clientLines.length);
    expect([...clientLines].sort()).toEqual([...serverLines].sort());
    expect(clientLines.some((l) => l.startsWith('EXPORTER_SECRET '))).toBe(true);
    expect(clientLines).toHaveLength(5);
  });

  it('tls.connect ↔ our server: client cert, ALPN, exporter, keylog', async () => {
    const { certs, client } = fixtures.get(k)!;
    const serverLines: string[] = [];
    let serverSeen: Seen | undefined;
    const srv = createServer({ cert: certs.cert, key: certs.key, ca: certs.ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => {
      serverSeen = seen(s);
      expect(s.servername).toBe('localhost');
      s.pipe(s);
    });
    srv.on('keylog', (line: Buffer, s: TlsSocket) => {
      expect(s.encrypted).toBe(true);
      serverLines.push(line.toString('latin1'));
    });
    const port = await listen(srv);
    const clientLines: string[] = [];
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, cert: client.cert, key: client.key, ALPNProtocols: ['http/1.1', 'h2'] }));
    sock.on('keylog', (line: Buffer) => clientLines.push(line.toString('latin1')));
    await once(sock, 'secureConnect');
    const clientSeen = seen(sock);
    sock.end('pong');
    const echoed = await collect(sock);
    expect(echoed.toString()).toBe('pong');
    expectMirror(clientSeen, serverSeen!, k);
    expect([...serverLines].sort()).toEqual([...clientLines].sort());
    expect(serverLines).toHaveLength(5);
  });
});

describe('KeyUpdate against node:tls', () => {
  it('as the first record after the handshake, both ways: sent under the old key, answered, data flows', async () => {
    const { certs } = fixtures.get('p256')!;
    const nodeSrv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => s.pipe(s));
    const nodePort = await listen(nodeSrv);
    const sock = track(connect({ host: '127.0.0.1', port: nodePort, ca: certs.ca }));
    await once(sock, 'secureConnect');
    sock.keyUpdate(KeyUpdateType.REQUESTED);
    const updates: unknown[] = [];
    sock.on('keyUpdate', (e) => updates.push(e));
    sock.end('after update');
    expect((await collect(sock)).toString()).toBe('after update');
    expect(updates).toEqual([
      { direction: 'sent', type: KeyUpdateType.REQUESTED },
      { direction: 'received', type: KeyUpdateType.NOT_REQUESTED },
    ]);

    const ours = createServer({ cert: certs.cert, key: certs.key }, (s) => {
      s.keyUpdate(KeyUpdateType.REQUESTED);
      s.pipe(s);
    });
    const port = await listen(ours);
    const client = track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }));
    await once(client, 'secureConnect');
    client.end('server updated first');
    expect((await collect(client)).toString()).toBe('server updated first');
  });
});
