/**
 * Bulk data against node:tls with backpressure both ways, and the end()
 * data-loss pitfall: everything written before end() arrives.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { Writable, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type TlsSocket } from '../../src/node/index.js';
import { certsFor, collect, drain, generator, installCleanup, listen, sha256, track, type Certs } from './support.js';

installCleanup();

const MiB = 1024 * 1024;
const BULK = 16 * MiB;
const CHACHA = 'TLS_CHACHA20_POLY1305_SHA256';

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** A consumer slower than the network (one chunk per event-loop turn): forces read-side backpressure. */
function slowSink(): { sink: Writable; bytes: () => number; hash: () => string } {
  const h = createHash('sha256');
  let n = 0;
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      setImmediate(cb);
    },
  });
  let hex: string | undefined;
  return { sink, bytes: () => n, hash: () => (hex ??= h.digest('hex')) };
}

/** Watch how much our socket and its transport buffer; both must stay bounded. */
function watchBuffers(sock: TlsSocket): () => { readable: number; transportWritable: number } {
  let readable = 0;
  let transportWritable = 0;
  const t = setInterval(() => {
    readable = Math.max(readable, sock.readableLength);
    transportWritable = Math.max(transportWritable, sock.transport.writableLength);
  }, 5);
  sock.once('close', () => clearInterval(t));
  return () => {
    clearInterval(t);
    return { readable, transportWritable };
  };
}

/**
 * Server side of a bulk exchange: send `gen` and read everything; end only
 * when both are done (so neither side's early end cuts the other direction).
 */
function serveBulk(s: Duplex, gen: { stream: Readable }): Promise<{ bytes: number; sha256: string }> {
  const got = drain(s);
  const sent = pipeline(gen.stream, s, { end: false });
  return Promise.all([got, sent]).then(([g]) => {
    s.end();
    return g;
  });
}

describe('bulk data with node:tls (ChaCha20-Poly1305)', () => {
  it('16 MiB each way, our client ↔ tls.createServer, slow reader on our side', async () => {
    const fromServer = generator(BULK);
    let serverGot: Promise<{ bytes: number; sha256: string }> | undefined;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, allowHalfOpen: true }, (s) => {
      serverGot = serveBulk(s, fromServer);
    });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca, ciphersuites: CHACHA }));
    const fromClient = generator(BULK);
    const sink = slowSink();
    const peak = watchBuffers(sock);
    await Promise.all([pipeline(fromClient.stream, sock), pipeline(sock, sink.sink)]);
    const got = await serverGot!;
    expect(sock.getCipher()?.standardName).toBe(CHACHA);
    expect(got.bytes).toBe(BULK);
    expect(got.sha256).toBe(fromClient.digest());
    expect(sink.bytes()).toBe(BULK);
    expect(sink.hash()).toBe(fromServer.digest());
    const p = peak();
    expect(p.readable).toBeLessThan(2 * MiB); // the transport was paused, not drained into memory
    expect(p.transportWritable).toBeLessThan(2 * MiB); // our writes waited for 'drain'
  });

  it('16 MiB each way, tls.connect ↔ our server', async () => {
    const fromServer = generator(BULK);
    let serverGot: Promise<{ bytes: number; sha256: string }> | undefined;
    let serverSock: TlsSocket | undefined;
    const srv = createServer({ cert: certs.cert, key: certs.key, ciphersuites: CHACHA, allowHalfOpen: true }, (s) => {
      serverSock = s;
      serverGot = serveBulk(s, fromServer);
    });
    const port = await listen(srv);
    const sock = track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }));
    const fromClient = generator(BULK);
    const [, got] = await Promise.all([pipeline(fromClient.stream, sock), drain(sock)]);
    const serverDone = await serverGot!;
    expect(serverSock!.getCipher()?.standardName).toBe(CHACHA);
    expect(serverDone.bytes).toBe(BULK);
    expect(serverDone.sha256).toBe(fromClient.digest());
    expect(got.bytes).toBe(BULK);
    expect(got.sha256).toBe(fromServer.digest());
  });
});

describe('end() delivers everything written before it', () => {
  const payload = Buffer.alloc(MiB);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 12)) & 0xff;

  it('our client: write(1 MiB) then end() at once, before the handshake', async () => {
    let got: Promise<Buffer> | undefined;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => {
      got = collect(s);
    });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    sock.end(payload);
    sock.resume();
    await once(sock, 'close');
    const data = await got!;
    expect(data.length).toBe(MiB);
    expect(sha256(data)).toBe(sha256(payload));
  });

  it('our server: write(1 MiB) then end() in secureConnection', async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => {
      s.end(payload);
      s.resume();
    });
    const port = await listen(srv);
    const sock = track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }));
    const data = await collect(sock as Readable);
    expect(data.length).toBe(MiB);
    expect(sha256(data)).toBe(sha256(payload));
  });
});
