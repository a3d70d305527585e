/**
 * node's ticketKeys / getTicketKeys() / setTicketKeys() on our server: two
 * servers given the same 48 bytes open each other's tickets (a fleet), for
 * node:tls clients at TLS 1.3 and TLS 1.2; different keys do not.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { createServer, type TlsSocket, type TlsServer } from '../../src/node/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

async function server(ticketKeys?: Uint8Array): Promise<{ srv: TlsServer; port: number; reused: boolean[] }> {
  const reused: boolean[] = [];
  const srv = track(
    createServer({ cert: certs.cert, key: certs.key, ...(ticketKeys ? { ticketKeys } : {}) }, (s: TlsSocket) => {
      reused.push(s.isSessionReused());
      s.on('data', (d: Buffer) => s.write(d));
    }),
  );
  return { srv, port: await listen(srv), reused };
}

/**
 * A node:tls client, after an echo: whether it resumed, and its first 'session'
 * (none after a TLS 1.2 resumption: a good ticket is not renewed, as OpenSSL).
 */
async function nodeClient(port: number, maxVersion: tls.SecureVersion, session?: Buffer): Promise<{ session: Buffer | undefined; reused: boolean }> {
  const c = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, maxVersion, ...(session ? { session } : {}) }));
  const sessions: Buffer[] = [];
  c.on('session', (s: Buffer) => sessions.push(s));
  await once(c, 'secureConnect');
  c.write('x');
  await once(c, 'data');
  // TLS 1.2 tickets come before the server's Finished; TLS 1.3 ones after it, before the echo.
  const reused = c.isSessionReused();
  c.end();
  await once(c, 'close');
  return { session: sessions[0], reused };
}

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('ticketKeys with a node:tls client at %s', (maxVersion) => {
  it('two servers with the same ticketKeys resume each other’s tickets; another key set does not', async () => {
    const keys = randomBytes(48);
    const a = await server(keys);
    const b = await server(keys);
    const c = await server(randomBytes(48));
    const first = await nodeClient(a.port, maxVersion);
    expect(first.reused).toBe(false);
    expect(first.session).toBeDefined();
    const atB = await nodeClient(b.port, maxVersion, first.session);
    expect(atB.reused).toBe(true);
    expect(b.reused).toEqual([true]);
    const atC = await nodeClient(c.port, maxVersion, first.session);
    expect(atC.reused).toBe(false);
  });
});

describe('getTicketKeys / setTicketKeys', () => {
  it('getTicketKeys() returns the 48 bytes given; a server without ticketKeys has its own, which another server can take', async () => {
    const keys = randomBytes(48);
    const a = await server(keys);
    expect(a.srv.getTicketKeys().toString('hex')).toBe(keys.toString('hex'));
    const own = await server();
    const ownKeys = own.srv.getTicketKeys();
    expect(ownKeys).toHaveLength(48);
    const twin = await server(ownKeys);
    const first = await nodeClient(own.port, 'TLSv1.3');
    expect(first.session).toBeDefined();
    expect((await nodeClient(twin.port, 'TLSv1.3', first.session)).reused).toBe(true);
  });

  it('setTicketKeys() changes the sealing key; wrong arguments are node’s errors and change nothing', async () => {
    const a = await server(randomBytes(48));
    const next = randomBytes(48);
    a.srv.setTicketKeys(next);
    expect(a.srv.getTicketKeys().toString('hex')).toBe(next.toString('hex'));
    expect(() => a.srv.setTicketKeys(randomBytes(47))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => a.srv.setTicketKeys('x'.repeat(48) as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(a.srv.getTicketKeys().toString('hex')).toBe(next.toString('hex'));
    expect(() => createServer({ cert: certs.cert, key: certs.key, ticketKeys: randomBytes(16) })).toThrow(/ticketKeys.*48 bytes/);
  });
});
