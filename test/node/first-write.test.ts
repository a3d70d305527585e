/**
 * Latency of the first application data: our client's Finished leaves
 * together with data written in the 'secureConnect' listener (one transport
 * write: no Finished alone in a segment for Nagle to hold the data behind
 * until its ACK, ~40 ms), and TCP_NODELAY is set on the TCP connections that
 * connect() opens and that our server accepts (off with `noDelay: false`).
 */
import { once } from 'node:events';
import net from 'node:net';
import { Duplex, PassThrough, Transform } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, createServer, TlsSocket } from '../../src/node/index.js';
import { certsFor, collect, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();
afterEach(() => {
  vi.restoreAllMocks();
});

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('ed25519');
});

/** Our client ↔ our server over PassThroughs; every chunk the client writes to its transport is kept. */
function pair(): { client: TlsSocket; server: TlsSocket; clientWrites: Buffer[] } {
  const clientWrites: Buffer[] = [];
  const ab = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      clientWrites.push(Buffer.from(chunk));
      cb(null, chunk);
    },
  });
  const ba = new PassThrough();
  const server = track(new TlsSocket(Duplex.from({ readable: ab, writable: ba }), { isServer: true, cert: certs.cert, key: certs.key }));
  const client = track(new TlsSocket(Duplex.from({ readable: ba, writable: ab }), { servername: 'localhost', ca: certs.ca }));
  return { client, server, clientWrites };
}

/** The lengths of the TLS records in `b`. */
function recordLengths(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 5 <= b.length; ) {
    const len = b.readUInt16BE(i + 3);
    out.push(len);
    i += 5 + len;
  }
  return out;
}

describe("the Finished leaves with the first data", () => {
  it("a write in the 'secureConnect' listener goes out in the same transport write as the client's Finished", async () => {
    const { client, server, clientWrites } = pair();
    const message = Buffer.alloc(100, 0x61);
    client.once('secureConnect', () => client.write(message));
    const [got] = (await once(server, 'data')) as [Buffer];
    expect(got).toEqual(message);
    expect(clientWrites).toHaveLength(2); // ClientHello; then CCS + Finished + the data
    // CCS (1 byte), the Finished record (32-byte verify_data + 4 + 1 + 16), the data record (100 + 1 + 16).
    expect(recordLengths(clientWrites[1]!)).toEqual([1, 32 + 4 + 1 + 16, 100 + 1 + 16]);
  });

  it('the handshake completes when nothing is written', async () => {
    const { client, server, clientWrites } = pair();
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    expect(clientWrites).toHaveLength(2);
    expect(recordLengths(clientWrites[1]!)).toEqual([1, 32 + 4 + 1 + 16]);
    server.pipe(server);
    client.end('then data');
    expect((await collect(client)).toString()).toBe('then data');
  });

  it("end() in the 'secureConnect' listener: the Finished, the data and close_notify leave", async () => {
    const { client, server } = pair();
    client.once('secureConnect', () => client.end('last words'));
    client.resume();
    expect((await collect(server)).toString()).toBe('last words');
  });
});

describe('TCP_NODELAY', () => {
  /** The net.Sockets on which setNoDelay(true) was called while `fn` ran. */
  async function noDelaySockets(fn: () => Promise<void>): Promise<Set<net.Socket>> {
    const spy = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    await fn();
    const on = new Set<net.Socket>();
    spy.mock.calls.forEach((args, i) => {
      if (args[0] === true || args[0] === undefined) on.add(spy.mock.contexts[i] as net.Socket);
    });
    return on;
  }

  it('is set on the socket connect() opens and on the one our server accepts; not with noDelay: false', async () => {
    let accepted: TlsSocket[] = [];
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => {
      accepted.push(s);
      s.end('hi');
    });
    const port = await listen(srv);
    let sock: TlsSocket | undefined;
    const on = await noDelaySockets(async () => {
      sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
      expect((await collect(sock)).toString()).toBe('hi');
    });
    expect(on.has(sock!.transport as net.Socket)).toBe(true);
    expect(on.has(accepted[0]!.transport as net.Socket)).toBe(true);

    accepted = [];
    let off: TlsSocket | undefined;
    const on2 = await noDelaySockets(async () => {
      off = track(connect({ host: '127.0.0.1', port, ca: certs.ca, noDelay: false }));
      expect((await collect(off)).toString()).toBe('hi');
    });
    expect(on2.has(off!.transport as net.Socket)).toBe(false);
  });

  it("our server's noDelay: false leaves Nagle on", async () => {
    const accepted: TlsSocket[] = [];
    const srv = createServer({ cert: certs.cert, key: certs.key, noDelay: false }, (s) => {
      accepted.push(s);
      s.end('hi');
    });
    const port = await listen(srv);
    const on = await noDelaySockets(async () => {
      const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
      expect((await collect(sock)).toString()).toBe('hi');
    });
    expect(accepted).toHaveLength(1);
    expect(on.has(accepted[0]!.transport as net.Socket)).toBe(false);
  });

  it('a socket given as `socket` is left as it is', async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => s.end('hi'));
    const port = await listen(srv);
    const raw = track(net.connect(port, '127.0.0.1'));
    const on = await noDelaySockets(async () => {
      const sock = track(connect({ socket: raw, servername: 'localhost', ca: certs.ca }));
      expect((await collect(sock)).toString()).toBe('hi');
    });
    expect(on.has(raw)).toBe(false);
  });
});
