/**
 * Our client ↔ our server: over an in-memory Duplex pair (TLS over any
 * transport) and over TCP; SNI context selection, key updates, exporters,
 * Finished values, half-close, the server's `authorized` rules.
 */
import { once } from 'node:events';
import { Duplex, PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyUpdateType } from '../../src/common/constants.js';
import { connect, createSecureContext, createServer, TlsSocket } from '../../src/node/index.js';
import { makeCert } from '../helpers/keys.js';
import { certsFor, clientCertFor, collect, drain, generator, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('ed25519');
});

/** A pass-through that records the size of every chunk written to it. */
function counting(sizes: number[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sizes.push(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Two Duplexes wired back to back through PassThroughs (no sockets involved); optionally count each side's writes. */
function duplexPair(aWrites?: number[], bWrites?: number[]): [Duplex, Duplex] {
  const ab = aWrites ? counting(aWrites) : new PassThrough();
  const ba = bWrites ? counting(bWrites) : new PassThrough();
  return [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })];
}

function pairOverDuplex(serverOptions: Record<string, unknown> = {}, clientOptions: Record<string, unknown> = {}): { client: TlsSocket; server: TlsSocket } {
  const [a, b] = duplexPair();
  const server = track(new TlsSocket(b, { isServer: true, cert: certs.cert, key: certs.key, ALPNProtocols: ['x-test'], ...serverOptions }));
  const client = track(new TlsSocket(a, { servername: 'localhost', ca: certs.ca, ALPNProtocols: ['x-other', 'x-test'], ...clientOptions }));
  return { client, server };
}

describe('TLS over any Duplex (PassThrough pair)', () => {
  it('handshakes, agrees on ALPN, exporter and Finished values, echoes, and closes both ways', async () => {
    const { client, server } = pairOverDuplex();
    const ticket = once(client, 'session');
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    expect(client.authorized).toBe(true);
    expect(client.alpnProtocol).toBe('x-test');
    expect(server.alpnProtocol).toBe('x-test');
    expect(server.servername).toBe('localhost');
    expect(server.authorized).toBe(false); // no client certificate was asked for
    expect(server.getPeerCertificate()).toEqual({});
    expect(client.exportKeyingMaterial(48, 'EXPORTER-test')).toEqual(server.exportKeyingMaterial(48, 'EXPORTER-test'));
    expect(client.getFinished()).toEqual(server.getPeerFinished());
    expect(client.getPeerFinished()).toEqual(server.getFinished());
    // Our server's tickets follow the handshake; getSession() is the latest.
    const [first] = (await ticket) as [Buffer];
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(client.getSession()).toBeDefined();
    expect(client.isSessionReused()).toBe(false);
    const closed = Promise.all([once(client, 'close'), once(server, 'close')]);
    server.pipe(server);
    client.end('over any transport');
    expect((await collect(client)).toString()).toBe('over any transport');
    await closed;
  });

  it('writes each flight in one transport write; data written early leaves with the Finished (Nagle pitfall)', async () => {
    const clientWrites: number[] = [];
    const serverWrites: number[] = [];
    const [a, b] = duplexPair(clientWrites, serverWrites);
    const server = track(new TlsSocket(b, { isServer: true, cert: certs.cert, key: certs.key }));
    const client = track(new TlsSocket(a, { servername: 'localhost', ca: certs.ca }));
    const gotSession = once(client, 'session');
    client.write('early data');
    const [d] = (await once(server, 'data')) as [Buffer];
    expect(d.toString()).toBe('early data');
    expect(clientWrites).toHaveLength(2); // ClientHello; CCS + Finished + the data
    // ServerHello ... Finished; then, after the client's Finished, our two NewSessionTickets (as OpenSSL's server).
    await gotSession;
    expect(serverWrites).toHaveLength(2);
    expect(client.transport).toBe(a);
  });

  it('moves 2 MiB each way with backpressure', async () => {
    const { client, server } = pairOverDuplex({ allowHalfOpen: true });
    const up = generator(2 * 1024 * 1024, 10_000);
    const down = generator(2 * 1024 * 1024, 7_000);
    const serverGot = drain(server);
    const sent = pipeline(down.stream, server, { end: false });
    const [clientGot] = await Promise.all([drain(client), pipeline(up.stream, client), Promise.all([serverGot, sent]).then(() => server.end())]);
    expect((await serverGot).sha256).toBe(up.digest());
    expect(clientGot.sha256).toBe(down.digest());
  });

  it('keyUpdate(REQUESTED) is flushed by doHandshake, answered, and data still flows', async () => {
    const { client, server } = pairOverDuplex();
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    const serverUpdates: unknown[] = [];
    server.on('keyUpdate', (e) => serverUpdates.push(e));
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    client.keyUpdate(KeyUpdateType.REQUESTED);
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.REQUESTED);
    const clientSaw = once(client, 'keyUpdate').then(() => once(client, 'keyUpdate'));
    const serverGotIt = once(server, 'keyUpdate');
    await client.doHandshake();
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    await serverGotIt;
    // The server answers with its next write (as OpenSSL), before that data.
    server.write('the answer comes first');
    const [received] = (await clientSaw) as [{ direction: string; type: number }];
    expect(received).toEqual({ direction: 'received', type: KeyUpdateType.NOT_REQUESTED });
    expect(serverUpdates).toEqual([
      { direction: 'received', type: KeyUpdateType.REQUESTED },
      { direction: 'sent', type: KeyUpdateType.NOT_REQUESTED },
    ]);
    server.pipe(server);
    client.end('after the update');
    expect((await collect(client)).toString()).toBe('the answer comes firstafter the update');
  });

  it('setMaxSendFragment and exporter arguments behave as node', async () => {
    const { client, server } = pairOverDuplex();
    expect(() => client.exportKeyingMaterial(32, 'early')).toThrowError(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    expect(client.setMaxSendFragment(100)).toBe(false);
    expect(client.setMaxSendFragment(512)).toBe(true);
    expect(() => client.exportKeyingMaterial('32' as unknown as number, 'x')).toThrowError(TypeError);
    expect(() => client.exportKeyingMaterial(0, 'x')).toThrowError(RangeError);
    expect(() => client.exportKeyingMaterial(32, 5 as unknown as string)).toThrowError(TypeError);
    expect(() => client.exportKeyingMaterial(32, 'x', 'ctx' as unknown as Buffer)).toThrowError(TypeError);
    server.pipe(server);
    const big = Buffer.alloc(5000, 0x61);
    client.end(big);
    expect(await collect(client)).toEqual(big);
  });

  it("the server's requestCert rules: a client certificate is verified, none means UNABLE_TO_GET_ISSUER_CERT", async () => {
    const cc = await clientCertFor(certs.chain, 'duplex-client');
    const a = pairOverDuplex({ requestCert: true, rejectUnauthorized: false, ca: certs.ca }, { cert: cc.cert, key: cc.key });
    await Promise.all([once(a.client, 'secureConnect'), once(a.server, 'secure')]);
    expect(a.server.authorized).toBe(true);
    const peer = a.server.getPeerCertificate(true);
    expect(peer.subject?.CN).toBe('duplex-client');
    expect(peer.issuerCertificate?.issuerCertificate?.subject.CN).toBe('puretls test root (ed25519)');
    const b = pairOverDuplex({ requestCert: true, rejectUnauthorized: false, ca: certs.ca });
    await Promise.all([once(b.client, 'secureConnect'), once(b.server, 'secure')]);
    expect(b.server.authorized).toBe(false);
    expect(b.server.authorizationError).toBe('UNABLE_TO_GET_ISSUER_CERT');
  });

  it('transport EOF without close_notify ends the readable side', async () => {
    const { client, server } = pairOverDuplex();
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    server.write('last words');
    await new Promise((r) => setImmediate(r));
    server.transport.end(); // a truncation: FIN, no close_notify
    expect((await collect(client)).toString()).toBe('last words');
  });
});

describe('destroy()', () => {
  it('tears down the transport; the peer sees EOF (no close_notify) and ends', async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key });
    const port = await listen(srv);
    const accepted = once(srv, 'secureConnection');
    const client = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    const [serverSide] = (await accepted) as [TlsSocket];
    const ended = collect(serverSide);
    // The tickets read first: a socket destroyed with unread bytes makes TCP answer with RST, not EOF.
    await once(client, 'session');
    client.destroy();
    expect(client.transport.destroyed).toBe(true);
    expect((await ended).length).toBe(0);
    await once(serverSide, 'close');
  });
});

describe('our server over TCP: SNI', () => {
  it('SNICallback picks the context asynchronously; servername is reported', async () => {
    const other = await makeCert({ keyType: 'p256', cn: 'other.example', san: ['DNS:other.example'], ca: certs.chain.intermediate, tag: 'sni' });
    const otherCtx = createSecureContext({ cert: other.certPem + certs.chain.intermediate.certPem, key: other.keyPem });
    const names: string[] = [];
    const srv = createServer(
      {
        cert: certs.cert,
        key: certs.key,
        SNICallback: (name, cb) => {
          names.push(name);
          setImmediate(() => cb(null, name === 'other.example' ? otherCtx : undefined));
        },
      },
      (s) => s.end(`hello ${s.servername}`),
    );
    const port = await listen(srv);
    const a = track(connect({ host: '127.0.0.1', port, servername: 'other.example', ca: certs.ca }));
    expect((await collect(a)).toString()).toBe('hello other.example');
    expect(a.authorized).toBe(true);
    expect(a.getPeerCertificate().subject?.CN).toBe('other.example');
    const b = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    expect((await collect(b)).toString()).toBe('hello localhost');
    expect(b.getPeerCertificate().subject?.CN).toBe('localhost');
    const c = track(connect({ host: '127.0.0.1', port, ca: certs.ca })); // an IP: no SNI, no callback
    expect((await collect(c)).toString()).toBe('hello false');
    expect(c.authorized).toBe(true); // the IP SAN matched
    expect(names).toEqual(['other.example', 'localhost']);
  });

  it('an SNICallback error fails the handshake: tlsClientError on the server, error on the client', async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key, SNICallback: (_n, cb) => cb(new Error('no such host')) });
    const port = await listen(srv);
    const serverErr = once(srv, 'tlsClientError');
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    const [err] = (await once(sock, 'error')) as [Error & { code?: string }];
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR'); // node's name for the alert received
    const [e] = (await serverErr) as [Error];
    expect(e.message).toBe('no such host');
  });

  it('addContext serves a wildcard name', async () => {
    const wild = await makeCert({ keyType: 'ed25519', cn: 'wild', san: ['DNS:*.wild.test'], ca: certs.chain.intermediate, tag: 'wild' });
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => s.end(String(s.servername)));
    srv.addContext('*.wild.test', { cert: wild.certPem + certs.chain.intermediate.certPem, key: wild.keyPem });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'a.wild.test', ca: certs.ca }));
    expect((await collect(sock)).toString()).toBe('a.wild.test');
    expect(sock.authorized).toBe(true);
  });
});
