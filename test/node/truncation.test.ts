/**
 * Issue 18, truncation: a transport that ends without close_notify. node:tls
 * (OpenSSL 3 with SSL_OP_IGNORE_UNEXPECTED_EOF) ends the socket as for a
 * clean close, and so does puretls; `closeNotifyReceived` tells the two
 * apart, and the puretls-only `rejectTruncation: true` makes a truncation an
 * 'error' with OpenSSL 3's code, ERR_SSL_UNEXPECTED_EOF_WHILE_READING.
 */
import { once } from 'node:events';
import net from 'node:net';
import { PassThrough, Duplex } from 'node:stream';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, TlsSocket } from '../../src/node/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

type Coded = Error & { code?: string; tlsCode?: string; library?: string; reason?: string };

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** A puretls server that writes 'hello', then ends its TCP connection without close_notify (or, `clean`, with it). */
async function truncatingServer(clean = false): Promise<number> {
  const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => {
    s.on('error', () => {});
    s.write('hello', () => (clean ? s.end() : (s.transport as net.Socket).end()));
  });
  return listen(srv);
}

/** What a client saw: the data, 'end', 'error' (code), and closeNotifyReceived at 'close'. */
function outcome(sock: Duplex & { closeNotifyReceived?: boolean }): Promise<{ data: string; ended: boolean; error?: string; closeNotify?: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    let ended = false;
    let error: string | undefined;
    sock.on('data', (d: Buffer) => (data += d.toString()));
    sock.on('end', () => (ended = true));
    sock.on('error', (e: Coded) => (error = e.code));
    sock.on('close', () => resolve({ data, ended, ...(error ? { error } : {}), ...('closeNotifyReceived' in sock ? { closeNotify: sock.closeNotifyReceived } : {}) }));
  });
}

describe('truncation (EOF without close_notify)', () => {
  it("node:tls and puretls both end the socket with 'end', no error; closeNotifyReceived is false", async () => {
    const port = await truncatingServer();
    const theirs = await outcome(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    const ours = await outcome(track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    expect(theirs).toEqual({ data: 'hello', ended: true });
    expect(ours).toEqual({ data: 'hello', ended: true, closeNotify: false });
  });

  it('after a clean close (close_notify) closeNotifyReceived is true; false before', async () => {
    const port = await truncatingServer(true);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    await once(sock, 'secureConnect');
    expect(sock.closeNotifyReceived).toBe(false);
    expect(await outcome(sock)).toEqual({ data: 'hello', ended: true, closeNotify: true });
  });

  it('rejectTruncation: true on a client: the data, then an error ERR_SSL_UNEXPECTED_EOF_WHILE_READING, no end', async () => {
    const port = await truncatingServer();
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, rejectTruncation: true }));
    let err: Coded | undefined;
    sock.on('error', (e: Coded) => (err = e));
    expect(await outcome(sock)).toEqual({ data: 'hello', ended: false, error: 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING', closeNotify: false });
    expect(err).toMatchObject({ library: 'SSL routines', reason: 'unexpected eof while reading', tlsCode: 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING' });
    expect(err!.message).toMatch(/unexpected eof while reading/);
  });

  it('rejectTruncation: true and a clean close: no error', async () => {
    const port = await truncatingServer(true);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, rejectTruncation: true }));
    expect(await outcome(sock)).toEqual({ data: 'hello', ended: true, closeNotify: true });
  });

  it("rejectTruncation on createServer: a client whose transport ends without close_notify fails the server socket", async () => {
    let serverSide: Promise<Coded> | undefined;
    const srv = createServer({ cert: certs.cert, key: certs.key, rejectTruncation: true }, (s) => {
      serverSide = once(s, 'error').then(([e]) => e as Coded);
    });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    sock.on('error', () => {});
    await once(sock, 'secureConnect');
    await new Promise((r) => setTimeout(r, 20));
    (sock.transport as net.Socket).end();
    expect((await serverSide!).code).toBe('ERR_SSL_UNEXPECTED_EOF_WHILE_READING');
  });

  it('new TlsSocket: rejectTruncation must be a boolean', () => {
    const t = Duplex.from({ readable: new PassThrough(), writable: new PassThrough() });
    expect(() => new TlsSocket(t, { rejectTruncation: 'yes' as unknown as boolean })).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: 'The "rejectTruncation" option must be a boolean. Received string' }),
    );
  });
});
