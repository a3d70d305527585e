/**
 * TLS 1.2 resumption through the Node adapter, by RFC 5077 ticket (on by
 * default on both sides, as node's) and by session ID (tickets turned off with
 * secureOptions: SSL_OP_NO_TICKET on the side that matters): 'session' events
 * and getSession(), the `session` option, isSessionReused() on both ends,
 * getTLSTicket(); our server against node clients, our client against node
 * servers (which resume session IDs only through their
 * 'newSession'/'resumeSession' events); the server's sessionTimeout and
 * sessionIdContext.
 */
import { constants } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import { connect, createSecureContext, createServer, type ConnectOptions, type TlsServer, type TlsSocket } from '../../src/node/index.js';
import { Session } from '../../src/session/session.js';
import { certsFor, collect, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

type CodedError = Error & { code?: string };

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

function thrown(fn: () => unknown): CodedError | undefined {
  try {
    fn();
  } catch (e) {
    return e as CodedError;
  }
  return undefined;
}

/** Our echo server (TLS 1.2 only); `reused` lists isSessionReused() of each connection. */
async function ourServer(options: Parameters<typeof createServer>[0] = {}): Promise<{ srv: TlsServer; port: number; reused: boolean[] }> {
  const reused: boolean[] = [];
  const srv = createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2', ...options }, (s) => {
    reused.push(s.isSessionReused());
    s.pipe(s);
  });
  return { srv, port: await listen(srv), reused };
}

/** OpenSSL's SSL_OP_NO_TICKET as node takes it: no TLS 1.2 tickets asked for, offered or issued. */
const NO_TICKET = { secureOptions: constants.SSL_OP_NO_TICKET } as const;

/** Our client: connect, exchange a line, close; what it saw. */
async function ourVisit(port: number, options: ConnectOptions = {}) {
  const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...options }));
  const events: string[] = [];
  const sessions: Buffer[] = [];
  sock.on('secureConnect', () => events.push('secureConnect'));
  sock.on('session', (b: Buffer) => (events.push('session'), sessions.push(b)));
  const received = collect(sock);
  await once(sock, 'secureConnect');
  const seen = { reused: sock.isSessionReused(), protocol: sock.getProtocol(), ticket: sock.getTLSTicket(), ephemeral: sock.getEphemeralKeyInfo(), cn: (sock.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN };
  sock.end('hi');
  expect((await received).toString()).toBe('hi');
  return { ...seen, events, sessions, session: sock.getSession() };
}

describe('our client ↔ our server', () => {
  it("a full handshake's session ('session' after 'secureConnect', as node) carries our server's ticket and resumes the next connection by it", async () => {
    const { port, reused } = await ourServer();
    const first = await ourVisit(port);
    expect(first).toMatchObject({ reused: false, protocol: 'TLSv1.2', cn: 'localhost' });
    expect(first.events).toEqual(['secureConnect', 'session']);
    expect(first.session).toEqual(first.sessions[0]);
    const parsed = Session.fromBytes(first.session!);
    // A session our server issues a ticket for gets no session ID (as OpenSSL's): the ticket carries it.
    expect(parsed.sessionId).toHaveLength(0);
    expect(parsed.ticket.length).toBeGreaterThan(0);
    expect(parsed.lifetimeSeconds).toBe(7200); // the NewSessionTicket's lifetime hint
    // getTLSTicket(): the TLS 1.2 session's ticket, as node's.
    expect(first.ticket).toEqual(Buffer.from(parsed.ticket));

    const second = await ourVisit(port, { session: first.session });
    // Resumed: no new session (a good ticket is not renewed in TLS 1.2), no key exchange ({} as node), the session in use is the one given.
    expect(second).toMatchObject({ reused: true, protocol: 'TLSv1.2', ephemeral: {}, cn: 'localhost' });
    expect(second.ticket).toEqual(first.ticket);
    expect(second.events).toEqual(['secureConnect']);
    expect(second.session).toEqual(first.session);
    expect(reused).toEqual([false, true]);
  });

  it('with SSL_OP_NO_TICKET on our server: no ticket, the session resumes the next connection by its session ID', async () => {
    const { port, reused } = await ourServer(NO_TICKET);
    const first = await ourVisit(port);
    expect(first).toMatchObject({ reused: false, protocol: 'TLSv1.2', ticket: undefined, cn: 'localhost' });
    expect(first.events).toEqual(['secureConnect', 'session']);
    const parsed = Session.fromBytes(first.session!);
    expect(parsed.sessionId).toHaveLength(32);
    expect(parsed.ticket).toHaveLength(0);

    const second = await ourVisit(port, { session: first.session });
    expect(second).toMatchObject({ reused: true, protocol: 'TLSv1.2', ticket: undefined, ephemeral: {}, cn: 'localhost' });
    expect(second.events).toEqual(['secureConnect']);
    expect(second.session).toEqual(first.session);
    expect(reused).toEqual([false, true]);
  });

  it('a session is not resumed after sessionTimeout seconds (the server clock): by ticket, the default', async () => {
    let now = 1_000_000;
    const provider = { ...nobleProvider(), nowMs: () => now };
    const { port, reused } = await ourServer({ sessionTimeout: 2, provider });
    const first = await ourVisit(port);
    now += 1_500;
    await ourVisit(port, { session: first.session });
    now += 1_000;
    const late = await ourVisit(port, { session: first.session });
    expect(late.reused).toBe(false);
    expect(late.events).toEqual(['secureConnect', 'session']); // a full handshake, a new session
    expect(reused).toEqual([false, true, false]);
  });

  it('... and by session ID (SSL_OP_NO_TICKET on the client): not resumed after sessionTimeout seconds either', async () => {
    let now = 1_000_000;
    const provider = { ...nobleProvider(), nowMs: () => now };
    const { port, reused } = await ourServer({ sessionTimeout: 2, provider });
    const first = await ourVisit(port, NO_TICKET);
    expect(first.ticket).toBeUndefined();
    now += 1_500;
    await ourVisit(port, { ...NO_TICKET, session: first.session });
    now += 1_000;
    const late = await ourVisit(port, { ...NO_TICKET, session: first.session });
    expect(late.reused).toBe(false);
    expect(late.events).toEqual(['secureConnect', 'session']);
    expect(reused).toEqual([false, true, false]);
  });

  // Session IDs (our client with SSL_OP_NO_TICKET): each SecureContext seals tickets under keys of its own.
  it('sessionIdContext: a session is resumed only by a context with the same one (contexts chosen by SNICallback)', async () => {
    const contexts = {
      a: createSecureContext({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2', sessionIdContext: 'app-a' }),
      a2: createSecureContext({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2', sessionIdContext: 'app-a' }),
      b: createSecureContext({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2', sessionIdContext: 'app-b' }),
    };
    const choices: (keyof typeof contexts)[] = ['a', 'b', 'a2'];
    const { port, reused } = await ourServer({ SNICallback: (_name, cb) => cb(null, contexts[choices.shift()!]) });
    const first = await ourVisit(port, NO_TICKET);
    expect((await ourVisit(port, { ...NO_TICKET, session: first.session })).reused).toBe(false); // app-b
    expect((await ourVisit(port, { ...NO_TICKET, session: first.session })).reused).toBe(true); // app-a again, another SecureContext
    expect(reused).toEqual([false, false, true]);
  });
});

describe('node:tls client → our server', () => {
  it("node's session resumes by our ticket (node asks for one by default): isSessionReused() on both ends", async () => {
    const { port, reused } = await ourServer();
    const first = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    const firstDone = collect(first);
    const [session] = (await once(first, 'session')) as [Buffer];
    expect(first.isSessionReused()).toBe(false);
    const ticket = first.getTLSTicket();
    expect(ticket?.length).toBeGreaterThan(0);
    first.end('1');
    await firstDone;
    const second = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, session }));
    const secondDone = collect(second);
    await once(second, 'secureConnect');
    expect(second.getProtocol()).toBe('TLSv1.2');
    expect(second.isSessionReused()).toBe(true);
    expect(second.getEphemeralKeyInfo()).toEqual({});
    expect(second.getTLSTicket()).toEqual(ticket); // not renewed
    second.end('2');
    expect((await secondDone).toString()).toBe('2');
    expect(reused).toEqual([false, true]);
  });

  it("node's session resumes by session ID when it asks for no ticket (SSL_OP_NO_TICKET): isSessionReused() on both ends, no ticket", async () => {
    const { port, reused } = await ourServer();
    const first = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...NO_TICKET }));
    const firstDone = collect(first);
    const [session] = (await once(first, 'session')) as [Buffer];
    expect(first.isSessionReused()).toBe(false);
    expect(first.getTLSTicket()).toBeUndefined(); // not asked for, none issued: session IDs only
    first.end('1');
    await firstDone;
    const second = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...NO_TICKET, session }));
    const secondDone = collect(second);
    await once(second, 'secureConnect');
    expect(second.getProtocol()).toBe('TLSv1.2');
    expect(second.isSessionReused()).toBe(true);
    expect(second.getEphemeralKeyInfo()).toEqual({});
    second.end('2');
    expect((await secondDone).toString()).toBe('2');
    expect(reused).toEqual([false, true]);
  });
});

describe('our client → node:tls server', () => {
  /**
   * A TLS 1.2 node echo server; with `cache`, the external session cache node needs to resume session IDs;
   * `tickets` false: SSL_OP_NO_TICKET (node issues RFC 5077 tickets by default).
   */
  async function nodeServer(cache: boolean, tickets = false): Promise<{ port: number; reused: boolean[] }> {
    const reused: boolean[] = [];
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2', ...(tickets ? {} : NO_TICKET) }, (s) => {
      reused.push(s.isSessionReused());
      s.pipe(s);
    });
    if (cache) {
      const stored = new Map<string, Buffer>();
      srv.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => (stored.set(id.toString('hex'), data), cb()));
      srv.on('resumeSession', (id: Buffer, cb: (err: null, data: Buffer | null) => void) => cb(null, stored.get(id.toString('hex')) ?? null));
    }
    return { port: await listen(srv), reused };
  }

  it('with newSession/resumeSession listeners (and SSL_OP_NO_TICKET): our session resumes by its session ID', async () => {
    const { port, reused } = await nodeServer(true);
    const first = await ourVisit(port);
    expect(first).toMatchObject({ reused: false, protocol: 'TLSv1.2', ticket: undefined });
    expect(first.events).toEqual(['secureConnect', 'session']);
    const second = await ourVisit(port, { session: first.session });
    expect(second).toMatchObject({ reused: true, protocol: 'TLSv1.2', ephemeral: {}, cn: 'localhost' });
    expect(reused).toEqual([false, true]);
  });

  it("without them node keeps no session IDs (SSL_SESS_CACHE_NO_INTERNAL; SSL_OP_NO_TICKET): a full handshake, as for node's own clients", async () => {
    const { port, reused } = await nodeServer(false);
    const first = await ourVisit(port);
    const second = await ourVisit(port, { session: first.session });
    expect(second.reused).toBe(false);
    expect(second.events).toEqual(['secureConnect', 'session']);
    expect(reused).toEqual([false, false]);
  });

  it("node's default (tickets, no listeners): our session carries node's ticket and resumes by it; node renews no good ticket", async () => {
    const { port, reused } = await nodeServer(false, true);
    const first = await ourVisit(port);
    expect(first).toMatchObject({ reused: false, protocol: 'TLSv1.2' });
    expect(first.ticket?.length).toBeGreaterThan(0);
    const parsed = Session.fromBytes(first.session!);
    expect(parsed.ticket.length).toBeGreaterThan(0);
    // OpenSSL gives a session it issues a ticket for no session ID.
    expect(parsed.sessionId).toHaveLength(0);
    const second = await ourVisit(port, { session: first.session });
    expect(second).toMatchObject({ reused: true, protocol: 'TLSv1.2', ephemeral: {}, cn: 'localhost' });
    expect(second.events).toEqual(['secureConnect']);
    expect(reused).toEqual([false, true]);
  });
});

describe('sessionTimeout / sessionIdContext options, as node validates them', () => {
  it.each([
    [{ sessionTimeout: '5' }, 'ERR_INVALID_ARG_TYPE'],
    [{ sessionTimeout: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ sessionTimeout: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ sessionTimeout: 2 ** 31 }, 'ERR_OUT_OF_RANGE'],
    [{ sessionIdContext: 5 }, 'ERR_INVALID_ARG_TYPE'],
  ] as [Record<string, unknown>, string][])('%j: %s with node’s message', (options, code) => {
    const theirs = thrown(() => tls.createSecureContext(options as tls.SecureContextOptions));
    const ours = thrown(() => createSecureContext(options));
    expect(theirs?.code).toBe(code);
    expect(ours?.code).toBe(code);
    expect(ours?.message).toBe(theirs?.message);
    expect(thrown(() => createServer({ cert: certs.cert, key: certs.key, ...options }))?.code).toBe(code);
  });

  it('a sessionIdContext over 32 bytes is refused (OpenSSL: session id context too long); 32 is fine', () => {
    expect(thrown(() => tls.createSecureContext({ sessionIdContext: 'x'.repeat(33) }))?.message).toMatch(/session id context too long/);
    expect(thrown(() => createSecureContext({ sessionIdContext: 'x'.repeat(33) }))?.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(createSecureContext({ sessionIdContext: 'x'.repeat(32), sessionTimeout: 0 })).toMatchObject({ sessionIdContext: 'x'.repeat(32), sessionTimeout: undefined });
  });

  // The events themselves (session IDs) are tested in tls12-session-events.test.ts.
  it("'newSession' / 'resumeSession' listeners are not called for a client that asks for TLS 1.2 tickets (ours, TLS 1.2 only): it resumes by ticket", async () => {
    const calls: string[] = [];
    const { srv, port, reused } = await ourServer();
    srv.on('newSession', (_id: Buffer, _data: Buffer, cb: () => void) => (calls.push('newSession'), cb()));
    srv.on('resumeSession', (_id: Buffer, cb: (err: null, data: null) => void) => (calls.push('resumeSession'), cb(null, null)));
    const first = await ourVisit(port, { maxVersion: 'TLSv1.2' });
    const second = await ourVisit(port, { maxVersion: 'TLSv1.2', session: first.session });
    expect(second.ticket).toEqual(first.ticket);
    expect(reused).toEqual([false, true]);
    expect(calls).toEqual([]);
  });
});

describe('getTLSTicket()', () => {
  it("is the TLS 1.3 ticket of our client's session (as node's), undefined on servers", async () => {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => {
      expect(s.getTLSTicket()).toBeUndefined();
      s.pipe(s);
    });
    const port = await listen(srv);
    const sock: TlsSocket = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    const received = collect(sock);
    expect(sock.getTLSTicket()).toBeUndefined();
    await once(sock, 'session');
    // node sends two tickets: the ticket is the latest session's, the one getSession() returns
    const ticket = sock.getTLSTicket();
    expect(ticket?.length).toBeGreaterThan(0);
    expect(ticket).toEqual(Buffer.from(Session.fromBytes(sock.getSession()!).ticket));
    sock.end('x');
    await received;
  });
});
