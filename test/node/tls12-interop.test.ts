/**
 * TLS 1.2 through the Node adapter: our client ↔ our server for each of the
 * six suites and ECDSA (P-256, Ed25519) / RSA certificates; node:tls against
 * our server and our client against node:tls, each suite, with both ends'
 * getCipher(), getProtocol(), exporters, Finished values and key log lines
 * compared; getEphemeralKeyInfo() beside node's; the version edge cases.
 */
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUITES, type SuiteInfo } from '../../src/crypto/suites.js';
import { connect, createServer, type TlsSocket } from '../../src/node/index.js';
import { certsFor, collect, installCleanup, listen, track, type Certs, type KeyType } from './support.js';

installCleanup();

type CodedError = Error & { code?: string; alert?: number };

const SUITES12 = SUITES.filter((s) => s.version === '1.2');
const EKM_CONTEXT = Buffer.from('ctx');
const KEYLOG_LINE = /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/;

const fixtures = new Map<KeyType, Certs>();
beforeAll(async () => {
  for (const k of ['p256', 'ed25519', 'rsa2048'] as const) fixtures.set(k, await certsFor(k));
});

/** The certificate types that can serve a suite: ECDSA suites take ECDSA and Ed25519 keys (RFC 8422). */
function keyTypesFor(s: SuiteInfo): KeyType[] {
  return s.auth === 'RSA' ? ['rsa2048'] : ['p256', 'ed25519'];
}

/** What one end saw, for comparison with the other end. */
interface Seen {
  protocol: string | null;
  cipher: unknown;
  ekm: string;
  ekmNoContext: string;
  ekmEmptyContext: string;
  finished: string | undefined;
  peerFinished: string | undefined;
}

/** exportKeyingMaterial with the context optional (node's typings require it; node's code does not). */
function ekm(s: tls.TLSSocket | TlsSocket, context?: Buffer): string {
  const exporter = s.exportKeyingMaterial as (length: number, label: string, context?: Buffer) => Buffer;
  return exporter.call(s, 32, 'EXPERIMENTAL-test', context).toString('hex');
}

function seen(s: tls.TLSSocket | TlsSocket): Seen {
  return {
    protocol: s.getProtocol(),
    cipher: s.getCipher(),
    ekm: ekm(s, EKM_CONTEXT),
    ekmNoContext: ekm(s),
    ekmEmptyContext: ekm(s, Buffer.alloc(0)),
    finished: s.getFinished()?.toString('hex'),
    peerFinished: s.getPeerFinished()?.toString('hex'),
  };
}

function expectMirror(client: Seen, server: Seen, suite: SuiteInfo): void {
  const cipher = { name: suite.opensslName, standardName: suite.name, version: 'TLSv1.2' };
  expect(client.protocol).toBe('TLSv1.2');
  expect(server.protocol).toBe('TLSv1.2');
  expect(client.cipher).toEqual(cipher);
  expect(server.cipher).toEqual(cipher);
  expect(client.ekm).toMatch(/^[0-9a-f]{64}$/);
  expect(client.ekm).toBe(server.ekm);
  expect(client.ekmNoContext).toBe(server.ekmNoContext);
  expect(client.ekmEmptyContext).toBe(server.ekmEmptyContext);
  // RFC 5705: in TLS 1.2 no context differs from an empty one.
  expect(client.ekmNoContext).not.toBe(client.ekmEmptyContext);
  expect(client.finished).toMatch(/^[0-9a-f]{24}$/); // 12 bytes of verify_data
  expect(server.finished).toMatch(/^[0-9a-f]{24}$/);
  expect(client.finished).toBe(server.peerFinished);
  expect(client.peerFinished).toBe(server.finished);
  expect(client.finished).not.toBe(client.peerFinished);
}

const combos = SUITES12.flatMap((suite) => keyTypesFor(suite).map((k) => ({ suite, k, name: `${suite.opensslName} / ${k}` })));

describe('our client ↔ our server over TLS 1.2', () => {
  it.each(combos)('$name', async ({ suite, k }) => {
    const certs = fixtures.get(k)!;
    let serverSeen: Seen | undefined;
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => {
      serverSeen = seen(s);
      s.pipe(s);
    });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ciphers: suite.opensslName, maxVersion: 'TLSv1.2' }));
    await once(sock, 'secureConnect');
    const clientSeen = seen(sock);
    expect(sock.authorized).toBe(true);
    sock.end('ping');
    expect((await collect(sock)).toString()).toBe('ping');
    expectMirror(clientSeen, serverSeen!, suite);
  });
});

describe('node:tls client (maxVersion TLSv1.2) → our server', () => {
  it.each(SUITES12)('$opensslName', async (suite) => {
    const certs = fixtures.get(keyTypesFor(suite)[0]!)!;
    let serverSeen: Seen | undefined;
    const serverLines: Buffer[] = [];
    const srv = createServer({ cert: certs.cert, key: certs.key, ciphers: suite.opensslName }, (s) => {
      serverSeen = seen(s);
      s.pipe(s);
    });
    srv.on('keylog', (line: Buffer) => serverLines.push(line));
    const port = await listen(srv);
    const clientLines: Buffer[] = [];
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, maxVersion: 'TLSv1.2' }));
    sock.on('keylog', (line: Buffer) => clientLines.push(line));
    await once(sock, 'secureConnect');
    const clientSeen = seen(sock);
    sock.end('ping');
    expect((await collect(sock)).toString()).toBe('ping');
    expectMirror(clientSeen, serverSeen!, suite);
    // node's key log line and ours are the same bytes: CLIENT_RANDOM <client random> <master secret>\n.
    expect(clientLines).toHaveLength(1);
    expect(clientLines[0]!.toString('latin1')).toMatch(KEYLOG_LINE);
    expect(serverLines).toEqual(clientLines);
  });
});

describe('our client → node:tls server (maxVersion TLSv1.2)', () => {
  it.each(SUITES12)('$opensslName', async (suite) => {
    const certs = fixtures.get(keyTypesFor(suite)[0]!)!;
    let serverSeen: Seen | undefined;
    const serverLines: Buffer[] = [];
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2', ciphers: suite.opensslName }, (s) => {
      serverSeen = seen(s);
      s.pipe(s);
    });
    srv.on('keylog', (line: Buffer) => serverLines.push(line));
    const port = await listen(srv);
    const clientLines: Buffer[] = [];
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    sock.on('keylog', (line: Buffer) => clientLines.push(line));
    await once(sock, 'secureConnect');
    const clientSeen = seen(sock);
    sock.end('ping');
    expect((await collect(sock)).toString()).toBe('ping');
    expectMirror(clientSeen, serverSeen!, suite);
    expect(clientLines).toHaveLength(1);
    expect(clientLines[0]!.toString('latin1')).toMatch(KEYLOG_LINE);
    expect(clientLines).toEqual(serverLines);
  });
});

describe('getEphemeralKeyInfo(), as node', () => {
  it.each([
    ['X25519', 'TLSv1.2'],
    ['P-256', 'TLSv1.2'],
    ['P-384', 'TLSv1.2'],
    ['P-521', 'TLSv1.2'],
    ['X25519', 'TLSv1.3'],
    ['P-384', 'TLSv1.3'],
    ['ffdhe2048', 'TLSv1.3'],
  ] as const)('%s over %s: our client reports what a node client reports; servers report null', async (ecdhCurve, maxVersion) => {
    const certs = fixtures.get('rsa2048')!;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, maxVersion, ecdhCurve: 'X25519:P-256:P-384:P-521:ffdhe2048' }, (s) => {
      expect(s.getEphemeralKeyInfo()).toBeNull();
      s.end();
    });
    const port = await listen(srv);
    // The servers end at once: each client's close_notify may come with the handshake's end, so collect from the start.
    const theirs = track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost', ecdhCurve }));
    const theirsDone = collect(theirs);
    expect(theirs.getEphemeralKeyInfo()).toEqual({});
    await once(theirs, 'secureConnect');
    const expected = theirs.getEphemeralKeyInfo();
    expect(expected).toHaveProperty('size');
    const ours = track(connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost', ecdhCurve }));
    const oursDone = collect(ours);
    expect(ours.getEphemeralKeyInfo()).toEqual({}); // before the handshake, as node
    await once(ours, 'secureConnect');
    expect(ours.getProtocol()).toBe(maxVersion);
    expect(ours.getEphemeralKeyInfo()).toEqual(expected);
    await Promise.all([theirsDone, oursDone]);

    const own = createServer({ cert: certs.cert, key: certs.key, ecdhCurve: 'X25519:P-256:P-384:P-521:ffdhe2048' }, (s) => {
      expect(s.getEphemeralKeyInfo()).toBeNull();
      s.end();
    });
    const ownPort = await listen(own);
    const mine = track(connect({ host: '127.0.0.1', port: ownPort, ca: certs.ca, servername: 'localhost', ecdhCurve, maxVersion }));
    const mineDone = collect(mine);
    await once(mine, 'secureConnect');
    expect(mine.getEphemeralKeyInfo()).toEqual(expected);
    await mineDone;
  });
});

describe('minVersion / maxVersion between the two', () => {
  async function failure(client: tls.TLSSocket | TlsSocket): Promise<CodedError> {
    const [err] = (await once(client, 'error')) as [CodedError];
    return err;
  }

  it('our client (maxVersion TLSv1.2) → node server (minVersion TLSv1.3): the protocol_version alert a node client gets', async () => {
    const certs = fixtures.get('p256')!;
    const serverErrors: CodedError[] = [];
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, minVersion: 'TLSv1.3' });
    srv.on('tlsClientError', (e: CodedError) => serverErrors.push(e));
    const port = await listen(srv);
    const theirs = await failure(track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, maxVersion: 'TLSv1.2' })));
    expect(theirs.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'); // alert 70
    const ours = await failure(track(connect({ host: '127.0.0.1', port, ca: certs.ca, maxVersion: 'TLSv1.2' })));
    expect(ours.code).toBe(theirs.code); // node's name for the alert received
    expect(ours.alert).toBe(70);
    expect(serverErrors.map((e) => e.code)).toEqual(['ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_UNSUPPORTED_PROTOCOL']);
  });

  it('node client (minVersion TLSv1.3) → our server (maxVersion TLSv1.2): the error a node server gives it', async () => {
    const certs = fixtures.get('p256')!;
    const reference = tls.createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' });
    reference.on('tlsClientError', () => {});
    const refPort = await listen(reference);
    const expected = await failure(track(tls.connect({ host: '127.0.0.1', port: refPort, ca: certs.ca, minVersion: 'TLSv1.3' })));
    expect(expected.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');

    const srv = createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' });
    const serverError = once(srv, 'tlsClientError') as Promise<[CodedError]>;
    const port = await listen(srv);
    const err = await failure(track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, minVersion: 'TLSv1.3' })));
    expect(err.code).toBe(expected.code);
    const [ours] = await serverError;
    expect(ours.code).toBe('ERR_TLS_PROTOCOL_VERSION');
  });

  it('our client (minVersion TLSv1.2) → a TLS 1.2-only node server: TLS 1.2', async () => {
    const certs = fixtures.get('p256')!;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, (s) => s.end(s.getProtocol()!));
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca, minVersion: 'TLSv1.2' }));
    const received = collect(sock);
    await once(sock, 'secureConnect');
    expect(sock.getProtocol()).toBe('TLSv1.2');
    expect((await received).toString()).toBe('TLSv1.2');
  });

  it("our client whose ciphers select no TLS 1.2 suite ('AES128-SHA') cannot reach a TLS 1.2-only node server", async () => {
    const certs = fixtures.get('p256')!;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' });
    srv.on('tlsClientError', () => {});
    const port = await listen(srv);
    const err = await failure(track(connect({ host: '127.0.0.1', port, ca: certs.ca, ciphers: 'AES128-SHA' })));
    expect(err.alert).toBe(70); // it offered TLS 1.3 only
  });
});
