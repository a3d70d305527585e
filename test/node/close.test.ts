/**
 * A TlsSocket that nobody reads still surfaces the peer's close, as node's
 * net.Socket does (push(null) and read(0) at EOF): 'end', then (without
 * allowHalfOpen) its own end, then 'close'. Before, a write-only server kept
 * every connection and its clients waited forever for the server's end.
 *
 * As in node, 'end' waits for what is buffered to be read: a socket holding
 * unread application data does not end (node:tls does the same).
 */
import { once } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type TlsSocket } from '../../src/node/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** Settles as `p`, or rejects after `ms` naming what did not happen: a failed test, not a hang. */
function deadline<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Resolves with the names of the events of `emitter`, in order, once all of `names` were emitted. */
function events(emitter: NodeJS.EventEmitter, names: readonly string[]): { seen: string[]; all: Promise<string[]> } {
  const seen: string[] = [];
  const all = Promise.all(
    names.map(
      (n) =>
        new Promise<void>((resolve) =>
          emitter.once(n, () => {
            seen.push(n);
            resolve();
          }),
        ),
    ),
  ).then(() => seen);
  return { seen, all };
}

describe("a TlsSocket nobody reads surfaces the peer's close", () => {
  it("our write-only server: 'end' and 'close' on both sides once the client ends", async () => {
    let server: { sock: TlsSocket; ev: { seen: string[]; all: Promise<string[]> } } | undefined;
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => {
      // Writes, never reads: no 'data' listener, no read(), no resume().
      server = { sock: s, ev: events(s, ['end', 'finish', 'close']) };
      s.write('from a write-only server');
    });
    const port = await listen(srv);
    const client = track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }));
    client.on('error', () => {});
    const clientEv = events(client, ['end', 'close']);
    const [d] = (await deadline(once(client, 'data'), "the server's data")) as [Buffer];
    expect(d.toString()).toBe('from a write-only server');
    client.end();
    expect(await deadline(server!.ev.all, "server 'end', 'finish' and 'close'")).toEqual(['end', 'finish', 'close']);
    expect(server!.sock.destroyed).toBe(true);
    expect(await deadline(clientEv.all, "client 'end' and 'close'")).toEqual(['end', 'close']);
  });

  it("our client that never reads: 'end' and 'close' when a node:tls server ends", async () => {
    let serverDone: Promise<unknown> | undefined;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => {
      track(s);
      s.on('error', () => {});
      // Reads the request, then ends (its TLS 1.3 tickets are the only thing it writes).
      serverDone = Promise.all([once(s, 'data').then(() => s.end()), once(s, 'close')]);
    });
    // Not listen(): destroying a node:tls server's raw socket right after a handshake can crash node 20.20 (see resume.test.ts).
    track(srv);
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const { port } = srv.address() as net.AddressInfo;
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }));
    const ev = events(sock, ['secureConnect', 'end', 'finish', 'close']);
    sock.write('a request; the answer is never read');
    expect(await deadline(ev.all, "client 'end', 'finish' and 'close'")).toEqual(['secureConnect', 'end', 'finish', 'close']);
    await deadline(serverDone!, "the server's 'close'");
  });

  it('with allowHalfOpen the readable side ends and the writable side stays open', async () => {
    let server: { sock: TlsSocket; ev: { seen: string[]; all: Promise<string[]> } } | undefined;
    const srv = createServer({ cert: certs.cert, key: certs.key, allowHalfOpen: true }, (s) => {
      server = { sock: s, ev: events(s, ['end', 'finish', 'close']) };
      s.write('hello');
    });
    const port = await listen(srv);
    const client = track(tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }));
    client.on('error', () => {});
    const [d] = (await deadline(once(client, 'data'), "the server's data")) as [Buffer];
    expect(d.toString()).toBe('hello');
    const clientGot: Buffer[] = [];
    client.on('data', (b: Buffer) => clientGot.push(b));
    const clientEnded = once(client, 'end');
    client.end();
    await deadline(once(server!.sock, 'end'), "server 'end'");
    expect(server!.sock.writable).toBe(true);
    server!.sock.end('after your end');
    await deadline(clientEnded, "client 'end'");
    expect(Buffer.concat(clientGot).toString()).toBe('after your end');
    expect(await deadline(server!.ev.all, "server 'close'")).toEqual(['end', 'finish', 'close']);
  });
});
