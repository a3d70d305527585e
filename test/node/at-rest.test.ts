/**
 * What an idle server TlsSocket keeps (issue 19, item 4: bench/idle-heap.mjs
 * measures it). Structural checks: no handshake timer or hello gate left,
 * the Connection's events attached only for what listens to them, the
 * transport's listeners and the setup shared by all the server's sockets.
 */
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyUpdateEvent } from '../../src/ssl/connection.js';
import { createServer, type TlsSocket } from '../../src/node/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** Private fields looked at here. */
interface Internals {
  timer: unknown;
  gate: unknown;
  setup: unknown;
}
const internals = (s: TlsSocket): Internals => s as unknown as Internals;

/** A puretls server and `n` node:tls clients; resolves the server sockets once all are secure. */
async function idle(n: number, options: object = {}): Promise<TlsSocket[]> {
  const sockets: TlsSocket[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const server = createServer({ cert: certs.cert, key: certs.key, ...options }, (s) => {
    s.on('error', () => {});
    sockets.push(s);
    if (sockets.length === n) done();
  });
  const port = await listen(server);
  for (let i = 0; i < n; i++) {
    const c = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    c.on('error', () => {});
    await once(c, 'secureConnect');
  }
  await all;
  return sockets;
}

describe('an idle server socket', () => {
  it('TLS 1.3: keeps no handshake timer and no listener on its Connection', async () => {
    const [s] = await idle(1);
    const conn = s!.connection!;
    expect(s!.getProtocol()).toBe('TLSv1.3');
    expect(internals(s!).timer).toBeUndefined();
    for (const name of ['handshake', 'message', 'keyUpdate', 'postHandshakeAuth', 'keylog', 'session'] as const) expect(conn.hasListeners(name)).toBe(false);
  });

  it("TLS 1.2: only the listener that counts renegotiations (each reported with 'secure')", async () => {
    const [s] = await idle(1, { maxVersion: 'TLSv1.2' });
    const conn = s!.connection!;
    expect(s!.getProtocol()).toBe('TLSv1.2');
    expect(internals(s!).timer).toBeUndefined();
    expect(conn.hasListeners('handshake')).toBe(true);
    for (const name of ['message', 'keyUpdate', 'postHandshakeAuth', 'keylog', 'session'] as const) expect(conn.hasListeners(name)).toBe(false);
  });

  it("attaches the Connection's events when a listener comes, and they arrive", async () => {
    const [s] = await idle(1);
    const conn = s!.connection!;
    const updates: KeyUpdateEvent[] = [];
    s!.on('toString', () => {}); // not an event of the Connection: nothing attached
    expect(['keylog', 'keyUpdate', 'postHandshakeAuth'].map((n) => conn.hasListeners(n as 'keylog'))).toEqual([false, false, false]);
    s!.on('keyUpdate', (e: KeyUpdateEvent) => updates.push(e));
    expect(conn.hasListeners('keyUpdate')).toBe(true);
    s!.keyUpdate(1);
    s!.write('x');
    await new Promise((r) => setImmediate(r));
    expect(updates.map((u) => u.direction)).toEqual(['sent']);
    s!.on('postHandshakeAuth', () => {});
    expect(conn.hasListeners('postHandshakeAuth')).toBe(true);
    s!.on('keylog', () => {});
    expect(conn.hasListeners('keylog')).toBe(true);
    // disableRenegotiation() watches the Connection's messages from then on.
    expect(conn.hasListeners('message')).toBe(false);
    s!.disableRenegotiation();
    expect(conn.hasListeners('message')).toBe(true);
  });

  it("shares the transport's listeners and its setup with the server's other sockets", async () => {
    const [a, b] = await idle(2);
    expect(internals(a!).setup).toBe(internals(b!).setup);
    for (const event of ['data', 'end', 'error', 'close']) {
      const ours = a!.transport.listeners(event);
      expect(ours.length).toBeGreaterThan(0);
      expect(b!.transport.listeners(event)).toEqual(ours);
      ours.forEach((fn, i) => expect(b!.transport.listeners(event)[i]).toBe(fn));
    }
    expect(a!.listeners('newListener')[0]).toBe(b!.listeners('newListener')[0]);
  });

  it('after setSecureContext: the new context\'s sockets share a new setup', async () => {
    const sockets: TlsSocket[] = [];
    const server = createServer({ cert: certs.cert, key: certs.key }, (s) => void sockets.push(s.on('error', () => {})));
    const port = await listen(server);
    const connectOnce = async () => {
      const want = sockets.length + 1;
      const c = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      c.on('error', () => {});
      await once(c, 'secureConnect');
      while (sockets.length < want) await new Promise((r) => setImmediate(r));
    };
    await connectOnce();
    await connectOnce();
    server.setSecureContext({ cert: certs.cert, key: certs.key });
    await connectOnce();
    await connectOnce();
    const setups = sockets.map((s) => internals(s).setup);
    expect(setups[1]).toBe(setups[0]);
    expect(setups[2]).not.toBe(setups[0]);
    expect(setups[3]).toBe(setups[2]);
  });

  it('behind an SNICallback: the hello gate is let go once the Connection exists', async () => {
    const [s] = await idle(1, { SNICallback: (_name: string, cb: (err: Error | null) => void) => cb(null) });
    expect(s!.servername).toBe('localhost');
    expect(internals(s!).gate).toBeUndefined();
  });
});
