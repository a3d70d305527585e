/**
 * Client-side TLS 1.3 session resumption through the Node adapter, against
 * node:tls servers (which send two tickets after each full handshake):
 * 'session' events and getSession(), connect({ session }), isSessionReused()
 * on both sides, certificates of a resumed connection, and the cases where
 * the session must not be offered or is refused (full handshake instead).
 */
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExtensionType } from '../../src/common/constants.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { suiteInfo } from '../../src/crypto/suites.js';
import { ClientHello } from '../../src/messages/hello.js';
import { connect, type ConnectOptions, type TlsSocket } from '../../src/node/index.js';
import { Session } from '../../src/session/session.js';
import { certsFor, installCleanup, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
let other: Certs;
beforeAll(async () => {
  [certs, other] = await Promise.all([certsFor('p256'), certsFor('ed25519')]);
});

interface NodeServer {
  port: number;
  /** tlsSocket.isSessionReused() of each connection, in order. */
  reused: boolean[];
  /** reused, once `n` connections completed their handshake on the server side. */
  reusedAfter(n: number): Promise<boolean[]>;
}

/** A node:tls echo server (TLS 1.3, default tickets: two after a full handshake). */
async function nodeServer(c: Certs): Promise<NodeServer> {
  const reused: boolean[] = [];
  const server = tls.createServer({ cert: c.cert, key: c.key, minVersion: 'TLSv1.3' }, (s) => {
    track(s);
    reused.push(s.isSessionReused());
    server.emit('x-secured');
    s.on('error', () => undefined);
    s.pipe(s);
  });
  // Not support.ts's listen(): it also tracks the raw net.Sockets, and destroying a
  // node:tls server's raw socket and then its TLSSocket right after a handshake
  // (tickets being written) segfaults node 20.20.2. The TLSSockets are tracked instead.
  track(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  // The server completes its handshake after our client does (it waits for our Finished).
  const reusedAfter = async (n: number): Promise<boolean[]> => {
    while (reused.length < n) await once(server, 'x-secured');
    return reused;
  };
  return { port, reused, reusedAfter };
}

/**
 * connect() over a net.Socket whose first write (our ClientHello) is kept,
 * so a test can see which extensions were offered.
 */
function connectSpying(port: number, options: ConnectOptions): { sock: TlsSocket; helloExtensions: () => number[]; sessions: Buffer[] } {
  const raw = track(net.connect(port, '127.0.0.1'));
  let first: Uint8Array | undefined;
  const write = raw.write.bind(raw) as (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean;
  raw.write = ((chunk: Uint8Array, ...rest: never[]) => {
    first ??= new Uint8Array(chunk);
    return write(chunk, ...rest);
  }) as typeof raw.write;
  const sock = track(connect({ socket: raw, servername: 'localhost', ca: certs.ca, ...options }));
  const sessions: Buffer[] = [];
  sock.on('session', (b: Buffer) => sessions.push(b));
  const helloExtensions = (): number[] => {
    if (!first) throw new Error('no ClientHello was written');
    // one handshake record: 5-byte record header, 4-byte handshake header, the body
    const length = (first[3]! << 8) | first[4]!;
    const body = first.subarray(9, 5 + length);
    return ClientHello.decode(body).extensions.map((e) => e.type);
  };
  return { sock, helloExtensions, sessions };
}

/** Write `text`, resolve with the echo. */
async function echo(sock: TlsSocket, text: string): Promise<string> {
  let got = '';
  const done = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got.length >= text.length) {
        sock.off('data', onData);
        resolve();
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
  });
  sock.write(text);
  await done;
  return got;
}

/** A first, full handshake with `srv`; resolves with the sessions it received (after the tickets came). */
async function firstSession(srv: NodeServer, options: ConnectOptions = {}): Promise<{ sessions: Buffer[]; latest: Buffer; fingerprint: string }> {
  const { sock, sessions } = connectSpying(srv.port, options);
  await once(sock, 'secureConnect');
  expect(sock.isSessionReused()).toBe(false);
  if (sessions.length === 0) await once(sock, 'session');
  // node sends its tickets right after the handshake, before any echo
  expect(await echo(sock, 'first')).toBe('first');
  const latest = sock.getSession();
  expect(latest).toBeDefined();
  const fingerprint = (sock.getPeerCertificate() as { fingerprint256: string }).fingerprint256;
  sock.destroy();
  return { sessions, latest: latest!, fingerprint };
}

/** A copy of a session's bytes with some fields changed. */
function modified(bytes: Uint8Array, change: Partial<Session>): Buffer {
  const s = Session.fromBytes(bytes);
  const copy = new Session({ ...s, ...change });
  return Buffer.from(copy.toBytes());
}

describe('TLS 1.3 session resumption: our client ↔ tls.createServer', () => {
  it("emits 'session' Buffers; getSession() is the latest; undefined before any", async () => {
    const srv = await nodeServer(certs);
    const { sock, sessions } = connectSpying(srv.port, {});
    expect(sock.getSession()).toBeUndefined();
    await once(sock, 'secureConnect');
    expect(await echo(sock, 'ping')).toBe('ping');
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    for (const b of sessions) expect(Buffer.isBuffer(b)).toBe(true);
    expect(sock.getSession()).toEqual(sessions[sessions.length - 1]);
    const s = Session.fromBytes(sock.getSession()!);
    expect(s.serverName).toBe('localhost');
    expect(suiteInfo(s.cipherSuite)?.name).toBe(sock.getCipher()!.standardName);
    expect(s.isResumable(Date.now())).toBe(true);
    expect(s.peerCertificates.length).toBeGreaterThanOrEqual(1);
    expect(await srv.reusedAfter(1)).toEqual([false]);
  });

  it('connect({ session }) resumes: isSessionReused() on both sides, data both ways, certificate still verified', async () => {
    const srv = await nodeServer(certs);
    const first = await firstSession(srv);
    const { sock, helloExtensions } = connectSpying(srv.port, { session: first.latest });
    await once(sock, 'secureConnect');
    expect(helloExtensions()).toContain(ExtensionType.pre_shared_key);
    expect(sock.isSessionReused()).toBe(true);
    expect(await echo(sock, 'over a resumed connection')).toBe('over a resumed connection');
    expect(await srv.reusedAfter(2)).toEqual([false, true]);
    expect(sock.getProtocol()).toBe('TLSv1.3');
    expect(sock.authorized).toBe(true);
    expect(sock.authorizationError).toBeNull(); // node's null
    const cert = sock.getPeerCertificate() as unknown as { subject: { CN: string }; fingerprint256: string };
    expect(cert.subject.CN).toBe('localhost');
    expect(cert.fingerprint256).toBe(first.fingerprint);
    // a Uint8Array is accepted as well as a Buffer
    const again = connectSpying(srv.port, { session: new Uint8Array(first.latest) });
    await once(again.sock, 'secureConnect');
    expect(again.sock.isSessionReused()).toBe(true);
    expect(await echo(again.sock, 'x')).toBe('x');
    expect(await srv.reusedAfter(3)).toEqual([false, true, true]);
  });

  it('getSession() on a resumed connection: the session in use (node sends no ticket then); it resumes again', async () => {
    const srv = await nodeServer(certs);
    let session = (await firstSession(srv)).latest;
    for (let i = 0; i < 2; i++) {
      const { sock, sessions } = connectSpying(srv.port, { session });
      await once(sock, 'secureConnect');
      expect(sock.isSessionReused()).toBe(true);
      expect(await echo(sock, 'x')).toBe('x');
      const latest = sock.getSession();
      expect(latest).toEqual(sessions.length > 0 ? sessions[sessions.length - 1] : session);
      session = latest!;
      sock.destroy();
    }
    expect(await srv.reusedAfter(3)).toEqual([false, true, true]);
  });

  it('a resumed connection checks the certificates again with the current trust: not trusted → authorized false', async () => {
    const srv = await nodeServer(certs);
    const first = await firstSession(srv);
    const { sock } = connectSpying(srv.port, { session: first.latest, ca: other.ca, rejectUnauthorized: false });
    await once(sock, 'secureConnect');
    expect(sock.isSessionReused()).toBe(true);
    expect(sock.authorized).toBe(false);
    expect(sock.authorizationError).toBeTruthy();
    // and with rejectUnauthorized (the default) the connection fails
    const strict = connectSpying(srv.port, { session: first.latest, ca: other.ca });
    const [err] = (await once(strict.sock, 'error')) as [Error];
    expect(err.message).toMatch(/certificate|issuer|verify/i);
  });

  it('a bad session value: TypeError naming the session option, synchronously', async () => {
    const srv = await nodeServer(certs);
    const bad: unknown[] = [Buffer.from('not a session'), Buffer.alloc(0), 'a string', 42, {}];
    for (const session of bad) {
      expect(() => connect({ port: srv.port, host: '127.0.0.1', session: session as Uint8Array }), String(session)).toThrow(TypeError);
      expect(() => connect({ port: srv.port, host: '127.0.0.1', session: session as Uint8Array })).toThrow(/"session"/);
    }
    // a truncated session
    const { latest } = await firstSession(srv);
    expect(() => connect({ port: srv.port, host: '127.0.0.1', session: latest.subarray(0, latest.length - 3) })).toThrow(TypeError);
    // null and undefined: no session
    for (const session of [null, undefined]) {
      const { sock } = connectSpying(srv.port, { session });
      await once(sock, 'secureConnect');
      expect(sock.isSessionReused()).toBe(false);
      sock.destroy();
    }
  });

  it('an expired session (received long ago) is not offered: full handshake', async () => {
    const srv = await nodeServer(certs);
    const { latest } = await firstSession(srv);
    const s = Session.fromBytes(latest);
    const expired = modified(latest, { receivedAtMs: Date.now() - (s.lifetimeSeconds + 1) * 1000 });
    const { sock, helloExtensions } = connectSpying(srv.port, { session: expired });
    await once(sock, 'secureConnect');
    expect(helloExtensions()).not.toContain(ExtensionType.pre_shared_key);
    expect(sock.isSessionReused()).toBe(false);
    expect(sock.authorized).toBe(true);
    expect(await echo(sock, 'full')).toBe('full');
    expect(await srv.reusedAfter(2)).toEqual([false, false]);
  });

  it('a session expired by the provider clock is not offered: full handshake', async () => {
    const srv = await nodeServer(certs);
    const { latest } = await firstSession(srv);
    const lifetimeMs = Session.fromBytes(latest).lifetimeSeconds * 1000;
    const later = nobleProvider({ clock: () => Date.now() + lifetimeMs + 1000 });
    const { sock, helloExtensions } = connectSpying(srv.port, { session: latest, provider: later });
    await once(sock, 'secureConnect');
    expect(helloExtensions()).not.toContain(ExtensionType.pre_shared_key);
    expect(sock.isSessionReused()).toBe(false);
    expect(await srv.reusedAfter(2)).toEqual([false, false]);
  });

  it("a session whose suite's hash is not offered any more is not offered", async () => {
    const srv = await nodeServer(certs);
    const { latest } = await firstSession(srv, { ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' });
    expect(Session.fromBytes(latest).cipherSuite).toBe(0x1303);
    const { sock, helloExtensions } = connectSpying(srv.port, { session: latest, ciphersuites: 'TLS_AES_256_GCM_SHA384' });
    await once(sock, 'secureConnect');
    expect(helloExtensions()).not.toContain(ExtensionType.pre_shared_key);
    expect(sock.isSessionReused()).toBe(false);
    // a suite with the same hash (SHA-256) is fine
    const same = connectSpying(srv.port, { session: latest, ciphersuites: 'TLS_AES_128_GCM_SHA256' });
    await once(same.sock, 'secureConnect');
    expect(same.helloExtensions()).toContain(ExtensionType.pre_shared_key);
    expect(same.sock.isSessionReused()).toBe(true);
    expect(same.sock.getCipher()!.standardName).toBe('TLS_AES_128_GCM_SHA256');
  });

  it('another server (other certificate, other ticket keys) refuses the session: full handshake with its certificate', async () => {
    const a = await nodeServer(certs);
    const b = await nodeServer(other);
    const first = await firstSession(a);
    const { sock, helloExtensions, sessions } = connectSpying(b.port, { session: first.latest, ca: [certs.ca, other.ca] });
    await once(sock, 'secureConnect');
    expect(helloExtensions()).toContain(ExtensionType.pre_shared_key); // offered, and refused
    expect(sock.isSessionReused()).toBe(false);
    expect(await b.reusedAfter(1)).toEqual([false]);
    expect(sock.authorized).toBe(true);
    const cert = sock.getPeerCertificate() as unknown as { subject: { CN: string }; fingerprint256: string };
    expect(cert.subject.CN).toBe('localhost');
    expect(cert.fingerprint256).not.toBe(first.fingerprint);
    expect(await echo(sock, 'fallback')).toBe('fallback');
    // the new server's tickets replace the old session
    if (sessions.length === 0) await once(sock, 'session');
    expect(sock.getSession()).not.toEqual(first.latest);
  });
});
