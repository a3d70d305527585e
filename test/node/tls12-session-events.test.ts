/**
 * node:tls's server events 'newSession' / 'resumeSession' for TLS 1.2
 * session-ID resumption: each scenario runs against our server and against
 * a node:tls server with the same listeners, and the two must tell the same
 * story (events, their order, their arguments' types). The node:tls client
 * asks for no tickets (SSL_OP_NO_TICKET) unless told: both servers issue
 * RFC 5077 tickets to clients that ask, and a session resumed by ticket
 * needs no store (no events, as node).
 */
import { constants } from 'node:crypto';
import { once, type EventEmitter } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type TlsSocket } from '../../src/node/index.js';
import { Session } from '../../src/session/session.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

type CodedError = Error & { code?: string };
type Kind = 'ours' | 'node';
const KINDS: readonly Kind[] = ['ours', 'node'];
type ResumeCallback = (err: Error | null, sessionData?: Buffer | null) => void;

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

interface Listeners {
  /** 'resumeSession' answer ('none': no listener). */
  answer?: 'stored' | 'null' | 'undefined' | 'garbage' | 'error' | 'twice' | 'never' | 'none';
  /** When 'resumeSession' answers. */
  resumeDelay?: 'sync' | 'immediate';
  /** When 'newSession' calls back ('none': no listener). */
  newSession?: 'sync' | 'timer' | 'never' | 'none';
}

interface ServerOptions {
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  handshakeTimeout?: number;
  sni?: boolean;
  /** The server renegotiates each connection once, then echoes. */
  renegotiate?: boolean;
}

/** One server and what it saw. */
interface Harness {
  port: number;
  /** Server events in order, and the client's ('client ...'), and '---' between visits. */
  log: string[];
  /** The arguments' shapes of each event. */
  shapes: string[];
  newIds: Buffer[];
  /** newSession's sessionData, in order. */
  datas: Buffer[];
  resumeIds: Buffer[];
  reused: boolean[];
  errors: CodedError[];
  /** The error 'resumeSession' answered with ('error'). */
  answered: Error;
}

function harness(): Harness {
  return { port: 0, log: [], shapes: [], newIds: [], datas: [], resumeIds: [], reused: [], errors: [], answered: Object.assign(new Error('store down'), { code: 'ESTORE' }) };
}

function shape(args: unknown[]): string {
  return args.map((a) => (Buffer.isBuffer(a) ? 'Buffer' : typeof a)).join(',');
}

/** Our server or a node:tls server (an echo server), with a Map-backed newSession/resumeSession store. */
async function server(kind: Kind, listeners: Listeners = {}, options: ServerOptions = {}): Promise<Harness> {
  const { answer = 'stored', resumeDelay = 'sync', newSession = 'sync' } = listeners;
  const h = harness();
  const onSecure = (s: tls.TLSSocket | TlsSocket): void => {
    h.log.push('secureConnection');
    h.reused.push(s.isSessionReused());
    s.on('error', () => undefined);
    if (!options.renegotiate) return void s.pipe(s);
    s.renegotiate({}, (err) => {
      h.log.push(`renegotiated ${err ? err.message : 'ok'} reused=${s.isSessionReused()}`);
      s.pipe(s);
    });
  };
  const common = {
    cert: certs.cert,
    key: certs.key,
    maxVersion: options.maxVersion ?? 'TLSv1.2',
    ...(options.handshakeTimeout ? { handshakeTimeout: options.handshakeTimeout } : {}),
    ...(options.sni ? { SNICallback: (_name: string, cb: (err: Error | null) => void) => (h.log.push('SNICallback'), cb(null)) } : {}),
  } as const;
  const srv: net.Server =
    kind === 'ours'
      ? createServer(common, onSecure)
      : tls.createServer(common, (s) => (track(s), onSecure(s)));
  const events: EventEmitter = srv;
  events.on('tlsClientError', (err: CodedError, s: tls.TLSSocket | TlsSocket) => {
    h.log.push(`tlsClientError ${err.code}`);
    h.errors.push(err);
    s.destroy(); // node leaves that to this listener
  });
  const stored = new Map<string, Buffer>();
  if (newSession !== 'none') {
    events.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
      h.log.push('newSession');
      h.shapes.push(`newSession(${shape([id, data, cb])}) id ${id.length}`);
      h.newIds.push(id);
      h.datas.push(data);
      stored.set(id.toString('hex'), data);
      const done = (): void => {
        h.log.push('newSession callback');
        cb();
      };
      if (newSession === 'sync') done();
      else if (newSession === 'timer') setTimeout(done, 20);
    });
  }
  if (answer !== 'none') {
    events.on('resumeSession', (id: Buffer, cb: ResumeCallback) => {
      h.log.push('resumeSession');
      h.shapes.push(`resumeSession(${shape([id, cb])}) id ${id.length}`);
      h.resumeIds.push(id);
      const data = stored.get(id.toString('hex'));
      const reply = (): void => {
        if (answer === 'stored') cb(null, data ?? null);
        else if (answer === 'null') cb(null, null);
        else if (answer === 'undefined') cb(null);
        else if (answer === 'garbage') cb(null, Buffer.from('not a session'));
        else if (answer === 'error') cb(h.answered);
        else if (answer === 'never') return;
        else if (answer === 'twice') {
          cb(null, data ?? null);
          cb(null, data ?? null);
        }
      };
      if (resumeDelay === 'immediate') setImmediate(reply);
      else reply();
    });
  }
  if (kind === 'ours') {
    h.port = await listen(srv);
  } else {
    // Not support.ts's listen(): it tracks the raw sockets, and destroying a node:tls server's raw
    // socket and then its TLSSocket segfaults node 20.20.2 (see resume.test.ts). The TLSSockets are tracked.
    track(srv);
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    h.port = (srv.address() as net.AddressInfo).port;
  }
  return h;
}

/** The session ID in node's session (DER SSL_SESSION: SEQUENCE { version, sslVersion, cipher, sessionID, ... }). */
function derSessionId(der: Buffer): Buffer {
  let pos = 0;
  const header = (): { tag: number; len: number } => {
    const tag = der[pos++]!;
    let len = der[pos++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[pos++]!;
    }
    return { tag, len };
  };
  expect(header().tag).toBe(0x30);
  for (let i = 0; i < 3; i++) {
    const skip = header().len; // (not `pos += header().len`: pos would be read before header() moves it)
    pos += skip;
  }
  const { tag, len } = header();
  expect(tag).toBe(0x04);
  return der.subarray(pos, pos + len);
}

interface Visit {
  /** The client's error, when the handshake failed. */
  error?: CodedError;
  reused?: boolean;
  protocol?: string | null;
  session?: Buffer;
  /** The session ID the client holds. */
  sessionId?: Buffer;
  /** What the echo server sent back. */
  echoed?: string;
}

interface NodeClient {
  maxVersion?: tls.SecureVersion;
  /** Ask for (and offer) RFC 5077 tickets (node's default); without, the session is resumed by its ID. */
  tickets?: boolean;
}

/** A node:tls client (TLS 1.2, no tickets, unless told): connect, exchange a line, close. */
async function nodeVisit(h: Harness, session?: Buffer, client: NodeClient = {}): Promise<Visit> {
  const { maxVersion = 'TLSv1.2', tickets = false } = client;
  const options = { host: '127.0.0.1', port: h.port, servername: 'localhost', ca: certs.ca, maxVersion, secureOptions: tickets ? 0 : constants.SSL_OP_NO_TICKET };
  const sock = track(tls.connect({ ...options, ...(session ? { session } : {}) }));
  let got: Buffer | undefined;
  sock.on('session', (s: Buffer) => (got = s));
  sock.once('secureConnect', () => (got ??= sock.getSession())); // a resumed session comes with no 'session'
  return finishVisit(h, sock, (protocol) => {
    const s = got ?? sock.getSession();
    return { session: s, sessionId: s && protocol === 'TLSv1.2' ? derSessionId(s) : undefined };
  });
}

/** Our client, the same way. */
async function ourVisit(h: Harness, session?: Buffer): Promise<Visit> {
  const sock = track(connect({ host: '127.0.0.1', port: h.port, servername: 'localhost', ca: certs.ca, maxVersion: 'TLSv1.2', ...(session ? { session } : {}) }));
  return finishVisit(h, sock, () => {
    const s = sock.getSession();
    return { session: s, sessionId: s && Buffer.from(Session.fromBytes(s).sessionId) };
  });
}

async function finishVisit(h: Harness, sock: tls.TLSSocket | TlsSocket, sessionOf: (protocol: string | null) => Visit): Promise<Visit> {
  sock.on('error', () => undefined); // once() below still sees the first
  const error = await once(sock, 'secureConnect').then(
    () => undefined,
    (e: CodedError) => e,
  );
  if (error) {
    h.log.push(`client error ${error.code}`);
    return { error };
  }
  h.log.push('client secureConnect');
  const seen = { reused: sock.isSessionReused(), protocol: sock.getProtocol() };
  // Written, and ended once echoed: a server that renegotiates first needs the client open.
  const echoed = await new Promise<string | undefined>((resolve) => {
    let got = '';
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === 'hi') sock.end();
    });
    sock.once('close', () => resolve(got === '' ? undefined : got));
    sock.write('hi');
  });
  return { ...seen, ...sessionOf(seen.protocol), ...(echoed !== undefined ? { echoed } : {}) };
}

/** Run `scenario` against our server and node's; returns both harnesses. */
async function both(listeners: Listeners, scenario: (h: Harness, kind: Kind) => Promise<void>, options: ServerOptions = {}): Promise<Record<Kind, Harness>> {
  const out = {} as Record<Kind, Harness>;
  for (const kind of KINDS) {
    const h = await server(kind, listeners, options);
    await scenario(h, kind);
    out[kind] = h;
  }
  return out;
}

type Visitor = (h: Harness, session?: Buffer) => Promise<Visit>;

/** A first visit, then a second offering the first's session ('---' between them in the log). */
async function twice(h: Harness, visit: Visitor = nodeVisit): Promise<[Visit, Visit]> {
  const first = await visit(h);
  h.log.push('---');
  return [first, await visit(h, first.session)];
}

describe('node:tls client → our server and a node:tls server, the same listeners', () => {
  it("'newSession' on the full handshake (the client's session ID), 'resumeSession' on the next: resumed at both ends", async () => {
    const runs = await both({}, async (h, kind) => {
      const [first, second] = await twice(h);
      expect(first).toMatchObject({ reused: false, protocol: 'TLSv1.2', echoed: 'hi' });
      expect(second).toMatchObject({ reused: true, protocol: 'TLSv1.2', echoed: 'hi' });
      expect(h.reused).toEqual([false, true]);
      expect(first.sessionId).toHaveLength(32);
      expect(h.newIds).toEqual([first.sessionId]);
      expect(h.resumeIds).toEqual([first.sessionId]);
      expect(second.sessionId).toEqual(first.sessionId);
      expect(h.errors).toEqual([]);
      // Ours: sessionData is our session's bytes (node's: OpenSSL's DER).
      if (kind === 'ours') expect(Buffer.from(Session.fromBytes(h.datas[0]!).sessionId)).toEqual(first.sessionId);
    });
    const log = ['newSession', 'newSession callback', 'secureConnection', 'client secureConnect', '---', 'resumeSession', 'client secureConnect', 'secureConnection'];
    expect(runs.ours.log).toEqual(log);
    expect(runs.ours.log).toEqual(runs.node.log);
    expect(runs.ours.shapes).toEqual(['newSession(Buffer,Buffer,function) id 32', 'resumeSession(Buffer,function) id 32']);
    expect(runs.ours.shapes).toEqual(runs.node.shapes);
  });

  it.each(['null', 'undefined', 'garbage'] as const)('resumeSession answered %s: a full handshake and a new session', async (answer) => {
    const runs = await both({ answer }, async (h) => {
      const [first, second] = await twice(h);
      expect(second.reused).toBe(false);
      expect(h.reused).toEqual([false, false]);
      expect(h.resumeIds).toEqual([first.sessionId]);
      expect(h.newIds).toEqual([first.sessionId, second.sessionId]);
      expect(second.sessionId).not.toEqual(first.sessionId);
    });
    expect(runs.ours.log.slice(4)).toEqual(['---', 'resumeSession', 'newSession', 'newSession callback', 'secureConnection', 'client secureConnect']);
    expect(runs.ours.log).toEqual(runs.node.log);
  });

  it("resumeSession answered with an error: the socket is destroyed, 'tlsClientError' gets that error, the client ECONNRESET", async () => {
    const runs = await both({ answer: 'error' }, async (h) => {
      const [, second] = await twice(h);
      expect(second.error?.code).toBe('ECONNRESET');
      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toBe(h.answered);
    });
    expect(runs.ours.log.slice(4)).toEqual(['---', 'resumeSession', 'tlsClientError ESTORE', 'client error ECONNRESET']);
    expect(runs.ours.log).toEqual(runs.node.log);
  });

  it('resumeSession calling back twice: ERR_MULTIPLE_CALLBACK', async () => {
    const runs = await both({ answer: 'twice' }, async (h) => {
      await twice(h);
      expect(h.errors.map((e) => e.code)).toEqual(['ERR_MULTIPLE_CALLBACK']);
    });
    // (whether the client completed its handshake first is a race, at both)
    const serverSide = (log: string[]): string[] => log.filter((e) => !e.startsWith('client'));
    expect(serverSide(runs.ours.log).slice(3)).toEqual(['---', 'resumeSession', 'tlsClientError ERR_MULTIPLE_CALLBACK']);
    expect(serverSide(runs.ours.log)).toEqual(serverSide(runs.node.log));
  });

  it('slow callbacks (resumeSession on setImmediate, newSession after a timer): the handshake waits for them', async () => {
    const runs = await both({ resumeDelay: 'immediate', newSession: 'timer' }, async (h) => {
      const [, second] = await twice(h);
      expect(second.reused).toBe(true);
      expect(h.reused).toEqual([false, true]);
    });
    // The server's Finished waits for newSession's callback: the client completes only after it.
    expect(runs.ours.log.slice(0, 4)).toEqual(['newSession', 'newSession callback', 'secureConnection', 'client secureConnect']);
    expect(runs.ours.log).toEqual(runs.node.log);
  });

  it.each([
    ['newSession', { newSession: 'never' }, ['newSession']],
    ['resumeSession', { answer: 'never' }, ['newSession', 'newSession callback', 'secureConnection', 'client secureConnect', '---', 'resumeSession']],
  ] as [string, Listeners, string[]][])('%s never calling back: the handshake times out (ERR_TLS_HANDSHAKE_TIMEOUT)', async (_name, listeners, before) => {
    const runs = await both(listeners, async (h) => void (await twice(h)), { handshakeTimeout: 300 });
    const failed = ['tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT', 'client error ECONNRESET'];
    // (without newSession's callback no session is made: the second visit is a full handshake again)
    const log = listeners.newSession === 'never' ? [...before, ...failed, '---', ...before, ...failed] : [...before, ...failed];
    expect(runs.ours.log).toEqual(log);
    expect(runs.ours.log).toEqual(runs.node.log);
  });

  it("'resumeSession' comes before SNICallback (a full handshake: node calls SNICallback only then)", async () => {
    const runs = await both({ answer: 'null' }, async (h) => void (await twice(h)), { sni: true });
    expect(runs.ours.log.slice(5, 9)).toEqual(['---', 'resumeSession', 'SNICallback', 'newSession']);
    expect(runs.ours.log).toEqual(runs.node.log);
  });

  it("a renegotiation is a full handshake (node's resumeSession answer serves the first hello only): 'newSession' again, 'secure' after its callback", async () => {
    const runs = await both(
      { newSession: 'timer' },
      async (h) => {
        expect((await nodeVisit(h)).echoed).toBe('hi');
        expect(h.newIds).toHaveLength(2);
      },
      { renegotiate: true },
    );
    expect(runs.ours.log).toEqual(['newSession', 'newSession callback', 'secureConnection', 'client secureConnect', 'newSession', 'newSession callback', 'renegotiated ok reused=false']);
    expect(runs.ours.log).toEqual(runs.node.log);
  });

  it("only a 'resumeSession' listener: new sessions are kept nowhere (not in our own cache either), nothing resumes", async () => {
    const runs = await both({ newSession: 'none' }, async (h) => {
      expect((await twice(h))[1].reused).toBe(false);
      expect(h.reused).toEqual([false, false]);
    });
    expect(runs.ours.log).toEqual(['secureConnection', 'client secureConnect', '---', 'resumeSession', 'secureConnection', 'client secureConnect']);
    expect(runs.ours.log).toEqual(runs.node.log);
  });

  it("only a 'newSession' listener: node resumes nothing (its internal cache is off); ours resumes from its own cache", async () => {
    const runs = await both({ answer: 'none' }, async (h, kind) => {
      expect((await twice(h))[1].reused).toBe(kind === 'ours');
      expect(h.newIds).toHaveLength(kind === 'ours' ? 1 : 2);
    });
    expect(runs.node.log.slice(4)).toEqual(['---', 'newSession', 'newSession callback', 'secureConnection', 'client secureConnect']);
    expect(runs.ours.log.slice(4)).toEqual(['---', 'client secureConnect', 'secureConnection']);
  });

  it("a TLS 1.3 ClientHello's (random) session ID is offered to 'resumeSession' too, as node does; the answer is unused", async () => {
    const tls13 = async (h: Harness): Promise<void> => {
      expect((await nodeVisit(h, undefined, { maxVersion: 'TLSv1.3' })).protocol).toBe('TLSv1.3');
      expect(h.resumeIds.map((id) => id.length)).toEqual([32]);
    };
    const runs = await both({ answer: 'null' }, tls13, { maxVersion: 'TLSv1.3' });
    expect(runs.ours.log[0]).toBe('resumeSession');
    expect(runs.node.log[0]).toBe('resumeSession');
  });
});

describe('clients that ask for TLS 1.2 tickets: both servers issue one and resume by it, with neither event', () => {
  const nodeWithTickets: Visitor = (h, session) => nodeVisit(h, session, { tickets: true });
  it.each([
    ["node's client", nodeWithTickets],
    ['our client (it always asks)', ourVisit],
  ] as [string, Visitor][])('%s', async (_name, visit) => {
    const runs = await both({}, async (h) => {
      const [, second] = await twice(h, visit);
      expect(second).toMatchObject({ reused: true, protocol: 'TLSv1.2', echoed: 'hi' });
      expect(h.reused).toEqual([false, true]);
    });
    expect(runs.ours.log).toEqual(['secureConnection', 'client secureConnect', '---', 'client secureConnect', 'secureConnection']);
    expect(runs.ours.log).toEqual(runs.node.log);
  });
});

describe('our server only', () => {
  it('while resumeSession is pending the transport is paused (what arrives waits, bounded); the handshake goes on after the answer', async () => {
    const h = harness();
    const raws: net.Socket[] = [];
    const paused: boolean[] = [];
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => s.pipe(s));
    srv.on('connection', (raw: net.Socket) => raws.push(raw));
    srv.on('resumeSession', (_id: Buffer, cb: ResumeCallback) => {
      paused.push(raws.at(-1)!.isPaused());
      setImmediate(() => cb(null, null));
    });
    h.port = await listen(srv);
    // TLS 1.3's ClientHello carries a (random) session ID: the event comes, and then the handshake.
    expect(await nodeVisit(h, undefined, { maxVersion: 'TLSv1.3' })).toMatchObject({ protocol: 'TLSv1.3', echoed: 'hi' });
    expect(paused).toEqual([true]);
  });

  it('an answer that is the session of another ID is not resumed: a full handshake (node resumes it, and the handshake fails)', async () => {
    const h = harness();
    const datas: Buffer[] = [];
    const srv = createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' }, (s) => (h.reused.push(s.isSessionReused()), s.pipe(s)));
    srv.on('newSession', (_id: Buffer, data: Buffer, cb: () => void) => (datas.push(data), cb()));
    srv.on('resumeSession', (_id: Buffer, cb: ResumeCallback) => cb(null, datas[0]));
    srv.on('tlsClientError', (err: CodedError) => h.errors.push(err));
    h.port = await listen(srv);
    await nodeVisit(h);
    const [, third] = await twice(h);
    expect(third).toMatchObject({ reused: false, echoed: 'hi' });
    expect(h.reused).toEqual([false, false, false]);
    expect(datas).toHaveLength(3);
    expect(h.errors).toEqual([]);
  });
});
