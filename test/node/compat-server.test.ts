/**
 * Issue 18, the Server and the options: the same code runs against a
 * node:tls server and a puretls one (node:tls clients), or a node:tls
 * client and a puretls one (node:tls servers), and the outcomes are
 * compared: the server's events and their arguments, addContext,
 * setSecureContext, ticket keys, SNICallback, ALPNCallback, and node's
 * option defaults (the server's honorCipherOrder, minVersion, ecdhCurve).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import puretls from '../../src/index.js';
import { makeCert } from '../helpers/keys.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

/** What the tests call, as both modules have it. */
interface Module {
  connect(options: object): Duplex;
  createServer(options: object, listener?: (s: Duplex) => void): net.Server & {
    addContext(name: string, ctx: object): void;
    setSecureContext(options: object): void;
    getTicketKeys(): Buffer;
    setTicketKeys(keys: Buffer): void;
  };
  createSecureContext(options?: object): object;
  TLSSocket: abstract new (...args: never[]) => Duplex;
}
const NODE = tls as unknown as Module;
const OURS = puretls as unknown as Module;
const both = [
  ['node:tls', NODE],
  ['puretls', OURS],
] as const;

type Coded = Error & { code?: string };
interface SocketView {
  getProtocol(): string | null;
  getCipher(): { standardName: string };
  getPeerCertificate(): { subject: { CN: string } };
  getEphemeralKeyInfo(): { name?: string };
  isSessionReused(): boolean;
  getSession(): Buffer | undefined;
  alpnProtocol: string | false | null;
  servername: string | false | null;
  authorized: boolean;
}
const view = (s: Duplex): SocketView => s as unknown as SocketView;

let certs: Certs;
let other: { cert: string; key: string };
beforeAll(async () => {
  certs = await certsFor('p256');
  const c = await makeCert({ keyType: 'p256', cn: 'other', san: ['DNS:localhost', 'DNS:*.example.com', 'DNS:a.b.example.com', 'DNS:example.com'], ca: certs.chain.intermediate, tag: 'compat-other' });
  other = { cert: c.certPem + certs.chain.intermediate.certPem, key: c.keyPem };
});

/** The socket's handshake: undefined once 'secureConnect', or the 'error'. */
function handshake(sock: Duplex): Promise<Coded | undefined> {
  return new Promise((resolve) => {
    sock.once('secureConnect', () => resolve(undefined));
    sock.once('error', (e: Coded) => resolve(e));
  });
}

/** A node:tls client to `port`: what it saw, or its error code. */
async function nodeClient(port: number, options: tls.ConnectionOptions = {}): Promise<{ cn?: string; protocol?: string | null; cipher?: string; alpn?: string | false | null; reused?: boolean; session?: Buffer; error?: string }> {
  const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...options }));
  const sessions: Buffer[] = [];
  sock.on('session', (s: Buffer) => sessions.push(s));
  const r = await handshake(sock);
  if (r) return { error: r.code ?? r.message };
  sock.write('x');
  await once(sock, 'data');
  const out = {
    cn: (sock.getPeerCertificate() as Partial<tls.PeerCertificate>).subject?.CN as string | undefined,
    protocol: sock.getProtocol(),
    cipher: sock.getCipher().standardName,
    alpn: sock.alpnProtocol,
    reused: sock.isSessionReused(),
    ...(sessions[0] ? { session: sessions[0] } : {}),
  };
  sock.end();
  return out;
}

/** A server of module `m` that echoes; its port. */
async function serve(m: Module, options: object, onSecure?: (s: Duplex) => void): Promise<{ srv: ReturnType<Module['createServer']>; port: number }> {
  const srv = m.createServer({ cert: certs.cert, key: certs.key, ...options }, (s) => {
    onSecure?.(s);
    s.on('data', (d: Buffer) => s.write(d));
    s.on('error', () => {});
  });
  return { srv, port: await listen(srv) };
}

/** Run `fn` with each module; expect the same result; return it. */
async function same<T>(fn: (m: Module) => Promise<T>): Promise<T> {
  const theirs = await fn(NODE);
  const ours = await fn(OURS);
  expect(ours).toEqual(theirs);
  return theirs;
}

describe('Server events', () => {
  it("'secureConnection'(tlsSocket), 'keylog'(line, tlsSocket): as node", async () => {
    await same(async (m) => {
      const seen: string[] = [];
      const { srv, port } = await serve(m, {}, (s) => seen.push(`secureConnection ${s instanceof m.TLSSocket}`));
      srv.on('keylog', (line: Buffer, s: Duplex) => seen.push(`keylog ${Buffer.isBuffer(line)} ${/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+\n$/.test(line.toString())} ${s instanceof m.TLSSocket}`));
      await nodeClient(port);
      return [...new Set(seen)].sort();
    });
  });

  it("'tlsClientError'(err, tlsSocket) for a failed handshake: as node", async () => {
    await same(async (m) => {
      const { srv, port } = await serve(m, { minVersion: 'TLSv1.3' });
      const event = once(srv, 'tlsClientError');
      const r = await nodeClient(port, { maxVersion: 'TLSv1.2' });
      const [err, sock] = (await event) as [Coded, Duplex];
      return { client: r.error, server: err instanceof Error, socket: sock instanceof m.TLSSocket };
    });
  });

  it("'newSession' / 'resumeSession' for TLS 1.2 session IDs: as node", async () => {
    await same(async (m) => {
      const store = new Map<string, Buffer>();
      const events: string[] = [];
      const { srv, port } = await serve(m, { secureOptions: 0x4000 /* SSL_OP_NO_TICKET */ });
      srv.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
        events.push('newSession');
        store.set(id.toString('hex'), data);
        cb();
      });
      srv.on('resumeSession', (id: Buffer, cb: (err: Error | null, data?: Buffer | null) => void) => {
        events.push('resumeSession');
        cb(null, store.get(id.toString('hex')) ?? null);
      });
      const first = await nodeClient(port, { maxVersion: 'TLSv1.2' });
      const second = await nodeClient(port, { maxVersion: 'TLSv1.2', ...(first.session ? { session: first.session } : {}) });
      return { events, reused: [first.reused, second.reused] };
    });
  });
});

describe('Server methods', () => {
  it("addContext: '*' within one label, case-sensitive, the latest match wins: as node", async () => {
    const names = ['localhost', 'a.example.com', 'A.EXAMPLE.COM', 'a.b.example.com', 'example.com', 'x.example.com'];
    const got = await same(async (m) => {
      const { srv, port } = await serve(m, {});
      srv.addContext('*.example.com', other);
      srv.addContext('x.example.com', { cert: certs.cert, key: certs.key });
      const out: Record<string, string | undefined> = {};
      for (const servername of names) out[servername] = (await nodeClient(port, { servername, checkServerIdentity: () => undefined })).cn;
      return out;
    });
    expect(got['a.example.com']).toBe('other');
  });

  it("addContext('') throws node's ERR_TLS_REQUIRED_SERVER_NAME", async () => {
    await same(async (m) => {
      try {
        m.createServer({ cert: certs.cert, key: certs.key }).addContext('', other);
        return 'no error';
      } catch (e) {
        return { code: (e as Coded).code, message: (e as Coded).message };
      }
    });
  });

  it('setSecureContext: new connections get the new certificate; a bad argument throws as node', async () => {
    await same(async (m) => {
      const { srv, port } = await serve(m, {});
      const before = await nodeClient(port);
      srv.setSecureContext(other);
      const after = await nodeClient(port);
      let bad: string | undefined;
      try {
        srv.setSecureContext(5 as unknown as object);
      } catch (e) {
        bad = (e as Coded).code;
      }
      return { before: before.cn, after: after.cn, bad, still: (await nodeClient(port)).cn };
    });
  });

  it('setSecureContext replaces the context options: a left-out minVersion is the default again, as node', async () => {
    await same(async (m) => {
      const { srv, port } = await serve(m, { minVersion: 'TLSv1.3' });
      const before = await nodeClient(port, { maxVersion: 'TLSv1.2' });
      srv.setSecureContext({ cert: certs.cert, key: certs.key });
      const after = await nodeClient(port, { maxVersion: 'TLSv1.2' });
      return { before: before.error !== undefined, after: after.protocol };
    });
  });

  it('getTicketKeys / setTicketKeys: 48 bytes; a server given the same keys resumes the tickets; errors as node', async () => {
    await same(async (m) => {
      const a = await serve(m, {});
      const b = await serve(m, {});
      const keys = a.srv.getTicketKeys();
      b.srv.setTicketKeys(keys);
      const first = await nodeClient(a.port);
      const resumed = await nodeClient(b.port, { ...(first.session ? { session: first.session } : {}) });
      // Both refuse; the codes differ for a wrong length (node: ERR_INTERNAL_ASSERTION, ours: ERR_INVALID_ARG_VALUE).
      const errors: string[] = [];
      for (const bad of [randomBytes(47), 'x'.repeat(48)]) {
        try {
          a.srv.setTicketKeys(bad as Buffer);
          errors.push('accepted');
        } catch (e) {
          errors.push((e as Coded).code === 'ERR_INVALID_ARG_TYPE' ? 'ERR_INVALID_ARG_TYPE' : 'refused');
        }
      }
      return { length: keys.length, same: b.srv.getTicketKeys().equals(keys), reused: resumed.reused, errors };
    });
  });
});

describe('Server options', () => {
  it('SNICallback given a SecureContext: used, as node', async () => {
    await same(async (m) => {
      const ctx = m.createSecureContext(other);
      const good = await serve(m, { SNICallback: (_n: string, cb: (e: Error | null, c?: object) => void) => cb(null, ctx) });
      return { good: (await nodeClient(good.port)).cn };
    });
  });

  it('SNICallback given a plain options object: node 20 fails the connection; puretls makes a context of it (once) and uses it', async () => {
    const theirs = await serve(NODE, { SNICallback: (_n: string, cb: (e: Error | null, c?: object) => void) => cb(null, other) });
    const clientError = once(theirs.srv, 'tlsClientError');
    expect((await nodeClient(theirs.port)).error).toBeDefined();
    expect(((await clientError) as [Coded])[0].message).toMatch(/Invalid SNI context/);
    const ours = await serve(OURS, { SNICallback: (_n: string, cb: (e: Error | null, c?: object) => void) => cb(null, other) });
    const r = await nodeClient(ours.port);
    expect(r.error).toBeUndefined();
    expect(r.cn).toBe((await nodeClient((await serve(NODE, { ...other })).port)).cn);
    // node:tls's own SecureContext cannot be used by puretls: refused, as node refuses a foreign one.
    const foreign = await serve(OURS, { SNICallback: (_n: string, cb: (e: Error | null, c?: object) => void) => cb(null, tls.createSecureContext(other)) });
    const foreignError = once(foreign.srv, 'tlsClientError');
    expect((await nodeClient(foreign.port)).error).toBeDefined();
    expect(((await foreignError) as [Coded])[0].code).toBe('ERR_TLS_INVALID_CONTEXT');
  });

  it('ALPNCallback: chooses among the client’s protocols, as node', async () => {
    await same(async (m) => {
      const calls: unknown[] = [];
      const { port } = await serve(m, {
        ALPNCallback: (arg: { servername: string; protocols: string[] }) => {
          calls.push(arg);
          return arg.protocols.at(-1);
        },
      });
      const r = await nodeClient(port, { ALPNProtocols: ['h2', 'http/1.1'] });
      return { alpn: r.alpn, calls };
    });
  });

  it('honorCipherOrder: a server prefers its own order by default, the client’s with false, as node', async () => {
    await same(async (m) => {
      const out: Record<string, string | undefined> = {};
      for (const honorCipherOrder of [undefined, true, false]) {
        const { port } = await serve(m, { ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305', ...(honorCipherOrder === undefined ? {} : { honorCipherOrder }) });
        out[`1.3 ${honorCipherOrder}`] = (await nodeClient(port, { ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384' })).cipher;
        out[`1.2 ${honorCipherOrder}`] = (await nodeClient(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384' })).cipher;
      }
      return out;
    });
  });

  it("minVersion defaults to 'TLSv1.2' on both ends; 'TLSv1.3' refuses a TLS 1.2 peer, as node", async () => {
    await same(async (m) => {
      const dflt = await serve(m, {});
      const strict = await serve(m, { minVersion: 'TLSv1.3' });
      return { dflt: (await nodeClient(dflt.port, { maxVersion: 'TLSv1.2' })).protocol, strict: (await nodeClient(strict.port, { maxVersion: 'TLSv1.2' })).error !== undefined };
    });
  });
});

describe('Client options against a node:tls server', () => {
  async function client(m: Module, options: object): Promise<Record<string, unknown>> {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => s.end());
    const port = await listen(srv);
    const sock = track(m.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...options }));
    if (await handshake(sock)) return { error: true };
    const s = view(sock);
    return { protocol: s.getProtocol(), group: s.getEphemeralKeyInfo().name, authorized: s.authorized };
  }

  it.each([{}, { ecdhCurve: 'auto' }, { ecdhCurve: 'P-384' }, { ecdhCurve: 'P-521:P-256' }, { ecdhCurve: 'X25519' }, { maxVersion: 'TLSv1.2', ecdhCurve: 'prime256v1' }])(
    '%j: the group node negotiates',
    async (options) => {
      await same((m) => client(m, options));
    },
  );

  it.each(['FOO', 'P-256:FOO', ''])('ecdhCurve %j: refused by both', (ecdhCurve) => {
    for (const [, m] of both) expect(() => m.createSecureContext({ ecdhCurve }), m === NODE ? 'node' : 'puretls').toThrow();
  });

  it('onread (reading into a user buffer) is refused, naming it, rather than ignored', () => {
    expect(() => OURS.connect({ port: 1, onread: { buffer: Buffer.alloc(16), callback: () => true } })).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_OPTION_UNSUPPORTED', message: expect.stringMatching(/"onread"/) }),
    );
  });
});
