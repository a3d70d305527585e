/**
 * Issue 18, the TLSSocket surface: the same code runs with node:tls and with
 * puretls (against the same peer) and what each socket reports is compared:
 * getEphemeralKeyInfo, authorizationError, readyState, connecting,
 * bytesRead / bytesWritten, getX509Certificate / getPeerX509Certificate,
 * getPeerCertificate(true)'s chain, getSharedSigalgs, getTLSTicket,
 * setServername, disableRenegotiation, 'close' with hadError, `.server`;
 * and enableTrace's lines (ours only: node's go from OpenSSL to fd 2).
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer } from '../../src/node/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

/** What the tests call, as both modules have it. */
interface Module {
  connect(options: object, cb?: () => void): Duplex;
  createServer(options: object, listener?: (s: Duplex) => void): net.Server;
}
const NODE: Module = { connect: tls.connect as unknown as Module['connect'], createServer: tls.createServer as unknown as Module['createServer'] };
const OURS: Module = { connect: connect as unknown as Module['connect'], createServer: createServer as unknown as Module['createServer'] };
const both = [
  ['node:tls', NODE],
  ['puretls', OURS],
] as const;

type Coded = Error & { code?: string };
/** The TLSSocket members compared here. */
interface Sock {
  getEphemeralKeyInfo(): object | null;
  authorizationError: unknown;
  authorized: boolean;
  readyState: string;
  connecting: boolean;
  bytesRead: number;
  bytesWritten: number;
  getX509Certificate(): X509Certificate | undefined;
  getPeerX509Certificate(): X509Certificate | undefined;
  getPeerCertificate(detailed?: boolean): { subject?: { CN?: string }; issuerCertificate?: unknown };
  getSharedSigalgs(): string[];
  getTLSTicket(): Buffer | undefined;
  setServername(name: unknown): void;
  disableRenegotiation(): void;
  renegotiate(options: object, cb: (err: Error | null) => void): boolean | undefined;
  servername: unknown;
  server?: unknown;
}
const s$ = (d: Duplex): Sock => d as unknown as Sock;

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** A node:tls server (its raw sockets are not destroyed by the cleanup: node 20.20 can crash on that). */
async function nodeServer(options: tls.TlsOptions, onSecure: (s: tls.TLSSocket) => void = (s) => s.end('hello')): Promise<number> {
  const srv = track(tls.createServer({ cert: certs.cert, key: certs.key, ...options }, onSecure));
  srv.on('tlsClientError', () => {});
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return (srv.address() as net.AddressInfo).port;
}

/** A server of `mod` on 127.0.0.1; resolves its first secure socket. */
async function serverOf(mod: Module, options: object, onSecure: (s: Duplex) => void = () => {}): Promise<{ port: number; srv: net.Server; socket: Promise<Duplex> }> {
  let resolve!: (s: Duplex) => void;
  const socket = new Promise<Duplex>((r) => (resolve = r));
  const srv = mod.createServer({ cert: certs.cert, key: certs.key, ...options }, (s) => {
    track(s);
    s.on('error', () => {});
    onSecure(s);
    resolve(s);
  });
  srv.on('tlsClientError', () => {});
  const port = mod === NODE ? await nodeListen(srv) : await listen(srv);
  return { port, srv, socket };
}

async function nodeListen(srv: net.Server): Promise<number> {
  track(srv);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return (srv.address() as net.AddressInfo).port;
}

describe('client accessors, as node:tls', () => {
  it('before and after the handshake: getEphemeralKeyInfo, authorizationError, readyState, connecting, bytesRead, bytesWritten', async () => {
    const port = await nodeServer({}, (s) => {
      s.on('error', () => {});
      s.write('hello');
      s.once('data', () => undefined);
    });
    const snapshot = (s: Sock): unknown[] => [s.getEphemeralKeyInfo(), s.authorizationError, s.readyState, s.connecting, s.bytesRead, s.bytesWritten];
    const results = [];
    for (const [, mod] of both) {
      const sock = track(mod.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      const before = snapshot(s$(sock));
      await once(sock, 'secureConnect');
      await once(sock, 'data');
      sock.write('abc');
      await new Promise((r) => setTimeout(r, 30));
      results.push({ before, after: snapshot(s$(sock)), authorized: s$(sock).authorized });
      sock.destroy();
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({
      before: [{}, null, 'opening', true, 0, 0],
      after: [{ type: 'ECDH', name: 'X25519', size: 253 }, null, 'open', false, 5, 3],
      authorized: true,
    });
  });

  it('on a server socket: getEphemeralKeyInfo null, authorizationError null, bytes counted in plaintext, .server is the server', async () => {
    const results = [];
    for (const [, mod] of both) {
      const { port, srv, socket } = await serverOf(mod, {}, (s) => s.write('hello'));
      const c = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      c.on('error', () => {});
      const s = s$(await socket);
      await once(c, 'data');
      c.write('abcd');
      await new Promise((r) => setTimeout(r, 30));
      results.push([s.getEphemeralKeyInfo(), s.authorizationError, s.authorized, s.readyState, s.bytesRead, s.bytesWritten, s.server === srv]);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual([null, null, false, 'open', 4, 5, true]);
  });

  it('getX509Certificate / getPeerX509Certificate: crypto.X509Certificate objects, undefined where node has none', async () => {
    const results = [];
    for (const [, mod] of both) {
      const { port, socket } = await serverOf(mod, {});
      const c = s$(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
      const s = s$(await socket);
      const peer = c.getPeerX509Certificate();
      const own = s.getX509Certificate();
      expect(peer).toBeInstanceOf(X509Certificate);
      expect(own).toBeInstanceOf(X509Certificate);
      results.push([own?.subject, peer?.fingerprint256 === own?.fingerprint256, s.getPeerX509Certificate(), c.getX509Certificate()]);
    }
    for (const [, mod] of both) {
      const port = await nodeServer({});
      const c = track(mod.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      c.on('error', () => {});
      const before = s$(c).getPeerX509Certificate();
      await once(c, 'secureConnect');
      results.push([before, s$(c).getPeerX509Certificate()?.subject, s$(c).getX509Certificate()]);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[3]).toEqual(results[2]);
    expect(results[2]).toEqual([undefined, 'CN=localhost', undefined]);
  });

  it("getPeerCertificate(true): issuerCertificate along the chain, the root's is itself", async () => {
    const port = await nodeServer({});
    const results = [];
    for (const [, mod] of both) {
      const sock = track(mod.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      sock.on('error', () => {});
      await once(sock, 'secureConnect');
      const cns: string[] = [];
      type Linked = { subject?: { CN?: string }; issuerCertificate?: Linked };
      let c: Linked | undefined = s$(sock).getPeerCertificate(true) as Linked;
      for (let i = 0; c && i < 5; i++) {
        cns.push(c.subject?.CN ?? '?');
        if (c.issuerCertificate === c) {
          cns.push('(self)');
          break;
        }
        c = c.issuerCertificate;
      }
      results.push(cns);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual(['localhost', 'puretls test intermediate (p256)', 'puretls test root (p256)', '(self)']);
  });
});

describe('getSharedSigalgs and getTLSTicket, as node:tls', () => {
  it("server side: the client's signature_algorithms that the server allows, by node's names, in the server's order", async () => {
    const results = [];
    for (const [, mod] of both) {
      const { port, socket } = await serverOf(mod, {});
      const c = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, sigalgs: 'ed25519:rsa_pss_rsae_sha256:ECDSA+SHA384:ecdsa_secp256r1_sha256:rsa_pkcs1_sha512' }));
      c.on('error', () => {});
      await once(c, 'secureConnect');
      results.push([s$(await socket).getSharedSigalgs(), s$(c).getSharedSigalgs()]);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual([['ECDSA+SHA256', 'ECDSA+SHA384', 'Ed25519+UNDEF', 'RSA-PSS+SHA256', 'RSA+SHA512'], []]);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`getTLSTicket on ${version}: undefined before, the ticket once the session came, undefined on a server`, async () => {
      const results = [];
      for (const [, mod] of both) {
        const { port, socket } = await serverOf(NODE, { maxVersion: version }, (s) => s.end('bye'));
        const c = track(mod.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
        c.on('error', () => {});
        const before = s$(c).getTLSTicket();
        await once(c, 'session');
        const ticket = s$(c).getTLSTicket();
        results.push([before, Buffer.isBuffer(ticket) && ticket.length > 0, s$(await socket).getTLSTicket()]);
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0]).toEqual([undefined, true, undefined]);
    });
  }
});

describe('setServername, disableRenegotiation, close, as node:tls', () => {
  it('setServername before the handshake sets the SNI; a non-string and a server socket are refused with node errors', async () => {
    const results = [];
    for (const [, mod] of both) {
      const seen: unknown[] = [];
      const { port, socket } = await serverOf(NODE, {}, (s) => seen.push((s as tls.TLSSocket).servername));
      const c = track(mod.connect({ host: '127.0.0.1', port, ca: certs.ca, rejectUnauthorized: false }));
      c.on('error', () => {});
      s$(c).setServername('renamed.example');
      await once(c, 'secureConnect');
      const bad = (() => {
        try {
          s$(c).setServername(1 as unknown as string);
        } catch (e) {
          return [(e as Coded).code, (e as Error).message, (e as Error).name];
        }
        return undefined;
      })();
      await socket;
      results.push({ seen, bad });
    }
    for (const [, mod] of both) {
      const { port, socket } = await serverOf(mod, {});
      track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })).on('error', () => {});
      const s = s$(await socket);
      try {
        s.setServername('x');
        results.push('no error');
      } catch (e) {
        results.push([(e as Coded).code, (e as Error).message]);
      }
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[3]).toEqual(results[2]);
    expect(results[0]).toEqual({ seen: ['renamed.example'], bad: ['ERR_INVALID_ARG_TYPE', 'The "name" argument must be of type string. Received type number (1)', 'TypeError'] });
    expect(results[2]).toEqual(['ERR_TLS_SNI_FROM_SERVER', 'Cannot issue SNI from a TLS server-side socket']);
  });

  it("disableRenegotiation(): a client's renegotiation fails the server socket with ERR_TLS_RENEGOTIATION_DISABLED", async () => {
    const results = [];
    for (const [, mod] of both) {
      let serverErr: Promise<unknown[]> | undefined;
      const { port, socket } = await serverOf(mod, { maxVersion: 'TLSv1.2' }, (s) => {
        s$(s).disableRenegotiation();
        serverErr = once(s, 'error');
      });
      const c = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      c.on('error', () => {});
      await once(c, 'secureConnect');
      await socket;
      c.renegotiate({}, () => {});
      const [err] = (await serverErr!) as [Coded];
      results.push([err.code, err.message]);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual(['ERR_TLS_RENEGOTIATION_DISABLED', 'TLS session renegotiation disabled for this socket']);
  });

  it("'close' carries hadError: false after a clean end, true after an error", async () => {
    const results = [];
    for (const [, mod] of both) {
      const port = await nodeServer({});
      const clean = track(mod.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      clean.resume();
      const [hadErrorClean] = (await once(clean, 'close')) as [boolean];
      const failed = track(mod.connect({ host: '127.0.0.1', port, servername: 'wrong.example', ca: certs.ca }));
      failed.on('error', () => {});
      const [hadErrorFailed] = await new Promise<[boolean]>((r) => failed.once('close', (h: boolean) => r([h])));
      results.push([hadErrorClean, hadErrorFailed, s$(failed).readyState]);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual([false, true, 'closed']);
  });
});

describe('enableTrace and OCSPResponse (puretls only)', () => {
  it('enableTrace() prints one -msg style line per handshake message and alert on stderr', async () => {
    const port = await nodeServer({});
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array): boolean => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      sock.enableTrace();
      sock.resume();
      await once(sock, 'close');
    } finally {
      process.stderr.write = write;
    }
    expect(lines[0]).toMatch(/^>>> TLS 1\.3, Handshake \[length [0-9a-f]{4}\], ClientHello\n$/);
    expect(lines).toContain('>>> TLS 1.3, Alert [length 0002], warning close_notify\n');
    expect(lines.some((l) => / ServerHello\n$/.test(l))).toBe(true);
  });

  it("the enableTrace option traces from the start; 'OCSPResponse' is never emitted", async () => {
    const port = await nodeServer({});
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array): boolean => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let ocsp = 0;
    try {
      const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, enableTrace: true }));
      sock.on('OCSPResponse', () => ocsp++);
      sock.resume();
      await once(sock, 'close');
    } finally {
      process.stderr.write = write;
    }
    expect(lines[0]).toMatch(/ClientHello\n$/);
    expect(ocsp).toBe(0);
  });
});

/** Poll until `pred` holds (10 s at most). */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!pred()) throw new Error('timed out');
}

describe('getCertificate, localFamily, pending, resetAndDestroy (as node)', () => {
  it('the same answers from both modules against a node:tls server; our resetAndDestroy resets the TCP connection (node 20\'s throws)', async () => {
    const seen: unknown[] = [];
    for (const [, mod] of both) {
      const serverErrors: (string | undefined)[] = [];
      let accepted = false;
      const port = await nodeServer({}, (s) => {
        accepted = true;
        s.on('error', (e: Coded) => serverErrors.push(e.code));
      });
      const c = track(mod.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca }));
      c.on('error', () => {});
      await once(c, 'secureConnect');
      await until(() => accepted); // the server's side of the handshake is done too
      const x = c as unknown as { getCertificate(): object; localFamily: string; pending: boolean; resetAndDestroy(): unknown };
      const before = { cert: x.getCertificate(), family: x.localFamily, pending: x.pending };
      let outcome: string;
      try {
        x.resetAndDestroy();
        await until(() => serverErrors.length > 0);
        outcome = `the peer saw ${serverErrors[0]}`;
      } catch (e) {
        outcome = `threw ${(e as Error).message}`;
        c.destroy();
      }
      seen.push({ ...before, outcome });
    }
    expect(seen[1]).toEqual({ cert: {}, family: 'IPv4', pending: false, outcome: 'the peer saw ECONNRESET' });
    // node 20's TLSSocket cannot reset (its handle is not a TCP handle): ours resets the TCP transport.
    expect(seen[0]).toEqual({ cert: {}, family: 'IPv4', pending: false, outcome: 'threw This handle type cannot be sent' });
  });

  it("a server's getCertificate() is its own certificate, as node's", async () => {
    const subjects: unknown[] = [];
    for (const [, mod] of both) {
      const { port, socket } = await serverOf(mod, {});
      const c = track(tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca }));
      c.on('error', () => {});
      const s = (await socket) as unknown as { getCertificate(): { subject?: object; fingerprint256?: string } };
      subjects.push([s.getCertificate().subject, s.getCertificate().fingerprint256]);
    }
    expect(subjects[1]).toEqual(subjects[0]);
    expect((subjects[0] as unknown[])[1]).toMatch(/^[0-9A-F:]{95}$/);
  });
});
