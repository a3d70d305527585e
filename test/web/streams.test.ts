/**
 * fromStreams over in-memory WHATWG streams (two crossed TransformStreams):
 * a TLS 1.3 handshake and data both ways, one transport write per flight,
 * data written before the handshake, close_notify each way, and `closed`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription, AlertLevel, TlsError } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import { fromStreams } from '../../src/web/streams.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, serverCert, verifierFor } from '../helpers/pair.js';
import { ContentTypes, crossedPipes, dec, enc, records, rejection, send, settle, streamPair, TextReader } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

describe('fromStreams: TLS 1.3 in memory', () => {
  it('handshakes, reports what was negotiated, and moves data both ways', async () => {
    const { client, server, c2s, s2c } = streamPair(chain, { alpnProtocols: ['h2', 'http/1.1'] }, { alpnProtocols: ['http/1.1'] });
    await Promise.all([client.handshake, server.handshake]);
    expect(client.protocol).toBe('TLSv1.3');
    expect(server.protocol).toBe('TLSv1.3');
    expect(client.cipherSuite?.name).toBe('TLS_CHACHA20_POLY1305_SHA256'); // the @noble server's speed choice
    expect(client.alpnProtocol).toBe('http/1.1');
    expect(server.alpnProtocol).toBe('http/1.1');
    expect(client.isSessionReused).toBe(false);
    expect(client.peerCertificates.map((c) => [...c])).toEqual([[...chain.leaf.certDer], [...chain.intermediate.certDer]]);
    expect(server.peerCertificates).toEqual([]);
    expect(client.connection.peerVerification?.authorized).toBe(true);

    // The client's first flight is one transport write: one ClientHello record.
    expect(records(c2s.written[0]!).map((r) => r.type)).toEqual([ContentTypes.handshake]);
    // The server's whole flight (ServerHello, CCS, encrypted rest) is one transport write.
    expect(records(s2c.written[0]!).map((r) => r.type)).toEqual([ContentTypes.handshake, ContentTypes.change_cipher_spec, ContentTypes.application_data]);

    const fromClient = new TextReader(server.readable);
    const fromServer = new TextReader(client.readable);
    await send(client, 'hello from the client\n');
    expect(await fromClient.until('\n')).toBe('hello from the client\n');
    await send(server, 'hello from the server\n');
    expect(await fromServer.until('\n')).toBe('hello from the server\n');

    // A large write arrives whole and in order, in 16 KiB records.
    const big = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    const before = c2s.written.length;
    const w = client.writable.getWriter();
    await w.write(big);
    w.releaseLock();
    expect(c2s.written.length - before, 'one transport write for the write').toBe(1);
    expect(records(c2s.written.at(-1)!).map((r) => r.length)).toEqual([...Array(6).fill(16384 + 17), 100_000 - 6 * 16384 + 17]);
    const got = new Uint8Array(big.length);
    let n = 0;
    while (n < big.length) {
      const r = await fromClient.reader.read();
      expect(r.done).toBe(false);
      got.set(r.value!, n);
      n += r.value!.length;
    }
    expect(got).toEqual(big);
  });

  it('holds data written before the handshake completes and sends it with the client Finished', async () => {
    const { client, server, c2s } = streamPair(chain);
    const w = client.writable.getWriter();
    const wrote = w.write(enc('early words'));
    let resolved = false;
    void wrote.then(() => (resolved = true));
    await settle(0);
    expect(resolved).toBe(false);
    await client.handshake;
    await wrote;
    // Client flights: ClientHello; then CCS + Finished + the data in one transport write.
    expect(c2s.written.length).toBe(2);
    const second = records(c2s.written[1]!);
    expect(second.map((r) => r.type)).toEqual([ContentTypes.change_cipher_spec, ContentTypes.application_data, ContentTypes.application_data]);
    expect(second[2]!.length).toBe('early words'.length + 17);
    expect(await new TextReader(server.readable).until('words')).toBe('early words');
    await server.handshake;
  });

  it('a server writes before the ClientHello: held, sent after the handshake', async () => {
    const { client, server } = streamPair(chain);
    const w = server.writable.getWriter();
    const wrote = w.write(enc('greeting'));
    await Promise.all([client.handshake, server.handshake, wrote]);
    expect(await new TextReader(client.readable).until('greeting')).toBe('greeting');
  });

  it('close_notify from the client: the server readable is done, then the server closes: both closed', async () => {
    const { client, server, c2s, s2c } = streamPair(chain);
    await Promise.all([client.handshake, server.handshake]);
    const serverReads = new TextReader(server.readable);
    const clientReads = new TextReader(client.readable);
    await send(client, 'last words');
    await client.close();
    // Our close_notify is the last record written, then the transport writable closed.
    const last = records(c2s.bytes()).at(-1)!;
    expect(last.type).toBe(ContentTypes.application_data); // encrypted alert in TLS 1.3
    expect(c2s.closedByWriter).toBe(true);
    expect(await serverReads.toEnd()).toBe('last words');
    expect(server.connection.peerClosed).toBe(true);
    // Half-closed: the server may still write, the client still reads.
    await send(server, 'an answer after your close');
    expect(await clientReads.until('close')).toBe('an answer after your close');
    let closed = false;
    void client.closed.then(() => (closed = true));
    await settle();
    expect(closed, 'the client is half closed: the server has not sent close_notify').toBe(false);
    await server.close();
    expect(await clientReads.toEnd()).toBe('an answer after your close');
    await Promise.all([client.closed, server.closed]);
    expect(s2c.closedByWriter).toBe(true);
    // Both alerts were close_notify warnings (the connection's 'alert' events tell).
    expect(client.connection.closed && server.connection.closed).toBe(true);
  });

  it('close_notify from the server: the client readable is done; writable.close() is close()', async () => {
    const { client, server } = streamPair(chain);
    const alerts: string[] = [];
    client.connection.on('alert', (a) => alerts.push(`${a.sent ? 'sent' : 'received'}:${a.level}:${a.description}`));
    await Promise.all([client.handshake, server.handshake]);
    const w = server.writable.getWriter();
    await w.write(enc('bye'));
    await w.close(); // the sink's close: close_notify, then the transport
    w.releaseLock();
    expect(await new TextReader(client.readable).toEnd()).toBe('bye');
    expect(alerts).toEqual([`received:${AlertLevel.warning}:${AlertDescription.close_notify}`]);
    const again = server.close();
    await again;
    expect(server.close()).toBe(again);
    await client.close();
    expect(alerts).toEqual([`received:${AlertLevel.warning}:${AlertDescription.close_notify}`, `sent:${AlertLevel.warning}:${AlertDescription.close_notify}`]);
    await Promise.all([client.closed, server.closed]);
    // After close: a write is ERR_TLS_CLOSED from the Connection, a control ERR_TLS_INVALID_STATE.
    expect(() => client.connection.write(enc('x'))).toThrow(TlsError);
    expect(() => client.keyUpdate(1)).toThrow(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
  });

  it('close() while the client handshake runs: close_notify follows the Finished', async () => {
    const { client, server, c2s } = streamPair(chain);
    const closing = client.close();
    await closing;
    await client.handshake;
    const types = records(c2s.bytes()).map((r) => r.type);
    // ClientHello; CCS, Finished, close_notify (both encrypted).
    expect(types).toEqual([ContentTypes.handshake, ContentTypes.change_cipher_spec, ContentTypes.application_data, ContentTypes.application_data]);
    expect(await new TextReader(server.readable).toEnd()).toBe('');
  });

  it('a server closed before any ClientHello sends nothing, and is over both ways', async () => {
    const p = crossedPipes();
    const server = fromStreams(p.serverSide, { context: new TlsContext({ certificate: serverCert(chain) }), role: 'server' });
    await server.close();
    expect(p.s2c.written).toEqual([]);
    expect(p.s2c.closedByWriter).toBe(true);
    await server.closed;
    const err = await rejection(server.handshake);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).code).toBe('ERR_TLS_CLOSED');
    expect(await new TextReader(server.readable).toEnd()).toBe('');
  });

  it('takes an already-made Connection (options.connection), with its listeners', async () => {
    const p = crossedPipes();
    const conn = new Connection(new TlsContext({ verifier: verifierFor(chain) }), 'client', { serverName: 'localhost' });
    const events: string[] = [];
    conn.on('handshake', () => events.push('handshake'));
    const client = fromStreams(p.clientSide, { connection: conn });
    const server = fromStreams(p.serverSide, { context: new TlsContext({ certificate: serverCert(chain) }), role: 'server' });
    expect(client.connection).toBe(conn);
    await Promise.all([client.handshake, server.handshake]);
    expect(events).toEqual(['handshake']);
    await send(server, 'to a given connection');
    const r = client.readable.getReader();
    expect(dec((await r.read()).value!)).toBe('to a given connection');
  });

  it('listeners attached right after fromStreams() see the first flight', async () => {
    const p = crossedPipes();
    const client = fromStreams(p.clientSide, { context: new TlsContext({ verifier: verifierFor(chain) }), serverName: 'localhost' });
    const sent: number[] = [];
    client.connection.on('message', (m) => void (m.direction === 'sent' && sent.push(m.type)));
    fromStreams(p.serverSide, { context: new TlsContext({ certificate: serverCert(chain) }), role: 'server' });
    await client.handshake;
    expect(sent).toEqual([1, 20]); // ClientHello, Finished
  });
});
