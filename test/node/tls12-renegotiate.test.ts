/**
 * TLS 1.2 renegotiation through the Node adapter, with node:tls's meaning:
 * tlsSocket.renegotiate(options, callback) on our sockets against node:tls
 * (and node's against ours), data flowing across it, requestCert for the new
 * handshake, node's limit on client-initiated renegotiations
 * (ERR_TLS_SESSION_ATTACK), and the cases where it cannot run.
 */
import { constants } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type TlsSocket } from '../../src/node/index.js';
import { certsFor, clientCertFor, collect, generator, installCleanup, listen, sha256, track, type Certs } from './support.js';

installCleanup();

type CodedError = Error & { code?: string; library?: string; reason?: string };

const EMPTY = Buffer.alloc(0);

let certs: Certs;
let clientCert: { cert: string; key: string };
beforeAll(async () => {
  certs = await certsFor('p256');
  clientCert = await clientCertFor(certs.chain, 'renegotiating client');
});

/** renegotiate() with a promise for its callback. */
function renegotiate(s: TlsSocket | tls.TLSSocket, options: { requestCert?: boolean; rejectUnauthorized?: boolean } = {}) {
  let returned: boolean | undefined;
  const settled = new Promise<Error | null>((resolve) => {
    returned = s.renegotiate(options, resolve);
  });
  return { returned, settled };
}

/** Write `text`, resolve with what comes back (an echo). */
async function echo(s: TlsSocket | tls.TLSSocket, text: string): Promise<string> {
  let got = '';
  const done = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got.length < text.length) return;
      s.off('data', onData);
      resolve();
    };
    s.on('data', onData);
    s.once('error', reject);
  });
  s.write(text);
  await done;
  return got;
}

function hex(b: Buffer | undefined): string | undefined {
  return b?.toString('hex');
}

describe("node's renegotiate() → our server", () => {
  it('runs: callback(null), data flows, both ends have the new Finished, keylog and exporter', async () => {
    let server!: TlsSocket;
    const serverEvents: string[] = [];
    const srv = createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' }, (s) => {
      server = s;
      s.on('secure', () => serverEvents.push('secure'));
      s.pipe(s);
    });
    const serverLines: Buffer[] = [];
    srv.on('keylog', (line: Buffer) => serverLines.push(line));
    const port = await listen(srv);
    const client = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    const clientLines: Buffer[] = [];
    client.on('keylog', (line: Buffer) => clientLines.push(line));
    await once(client, 'secureConnect');
    expect(await echo(client, 'before')).toBe('before');
    const first = hex(client.getFinished());
    const { returned, settled } = renegotiate(client);
    expect(returned).toBe(true);
    expect(await settled).toBeNull();
    expect(await echo(client, 'after')).toBe('after');
    expect(serverEvents).toEqual(['secure']);
    expect(hex(client.getFinished())).not.toBe(first);
    expect(hex(server.getPeerFinished())).toBe(hex(client.getFinished()));
    expect(hex(server.getFinished())).toBe(hex(client.getPeerFinished()));
    expect(server.exportKeyingMaterial(16, 'EXPERIMENTAL-x', EMPTY)).toEqual(client.exportKeyingMaterial(16, 'EXPERIMENTAL-x', EMPTY));
    expect(clientLines).toHaveLength(2);
    expect(serverLines).toEqual(clientLines);
    client.end();
    await once(client, 'close');
  });

  it('the fourth in tls.CLIENT_RENEG_WINDOW is ERR_TLS_SESSION_ATTACK on the server socket, as on a node server', async () => {
    expect([tls.CLIENT_RENEG_LIMIT, tls.CLIENT_RENEG_WINDOW]).toEqual([3, 600]);
    const attacks = async (server: tls.Server | ReturnType<typeof createServer>): Promise<{ ok: number; serverError: CodedError }> => {
      const serverError = new Promise<CodedError>((resolve) => {
        server.on('secureConnection', (s: tls.TLSSocket | TlsSocket) => {
          track(s);
          s.on('error', resolve);
          s.pipe(s);
        });
      });
      const port = await listen(server);
      const client = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      client.on('error', () => {});
      await once(client, 'secureConnect');
      let ok = 0;
      for (let i = 0; i < 3; i++) {
        if ((await renegotiate(client).settled) === null) ok++;
        expect(await echo(client, `r${i}`)).toBe(`r${i}`);
      }
      client.renegotiate({}, () => {});
      return { ok, serverError: await serverError };
    };
    const theirs = await attacks(tls.createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' }));
    const ours = await attacks(createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' }));
    expect(theirs.ok).toBe(3);
    expect(ours.ok).toBe(3);
    expect(theirs.serverError.code).toBe('ERR_TLS_SESSION_ATTACK');
    expect(ours.serverError.code).toBe(theirs.serverError.code);
    expect(ours.serverError.message).toBe(theirs.serverError.message);
  });
});

describe('our renegotiate() → node:tls server', () => {
  it("with data flowing both ways: true, callback(null), 'secure', 'secureConnect' and 'session' again, as node", async () => {
    let server!: tls.TLSSocket;
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' }, (s) => {
      server = s;
      s.pipe(s);
    });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    const echoed = new Promise<string>((resolve, reject) => {
      const parts: Buffer[] = [];
      sock.on('data', (d: Buffer) => parts.push(d));
      sock.once('end', () => resolve(sha256(Buffer.concat(parts))));
      sock.once('error', reject);
    });
    await once(sock, 'secureConnect');
    const events: string[] = [];
    for (const e of ['secure', 'secureConnect', 'session']) sock.on(e, () => events.push(e));
    const first = hex(sock.getFinished());
    const bulk = generator(2 * 1024 * 1024, 16 * 1024);
    bulk.stream.pipe(sock);
    const { returned, settled } = renegotiate(sock);
    expect(returned).toBe(true);
    expect(await settled).toBeNull();
    expect(events).toEqual(['session', 'secure', 'secureConnect']);
    expect(hex(sock.getFinished())).not.toBe(first);
    expect(hex(server.getPeerFinished())).toBe(hex(sock.getFinished()));
    expect(hex(server.getFinished())).toBe(hex(sock.getPeerFinished()));
    expect(await echoed).toBe(bulk.digest());
  });

  // With node's TLS 1.2 tickets on (its default), a client (node's own as well as ours) answers the
  // HelloRequest offering the ticket, the server resumes the certificate-less session, and node's
  // renegotiate() callback never comes: observed with both clients. Without tickets node keeps no
  // session (no internal cache): a full handshake, with the certificate.
  it("node's renegotiate({ requestCert: true }) gets our client's certificate (node server with SSL_OP_NO_TICKET)", async () => {
    const result = new Promise<{ err: Error | null; cn: unknown; authorized: boolean }>((resolve) => {
      const srv = tls.createServer({ cert: certs.cert, key: certs.key, ca: certs.ca, maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET }, (s) => {
        s.pipe(s);
        expect(s.getPeerCertificate()).toEqual({});
        s.renegotiate({ requestCert: true, rejectUnauthorized: true }, (err) => {
          resolve({ err, cn: s.getPeerCertificate().subject?.CN, authorized: s.authorized });
        });
      });
      void listen(srv).then((port) => {
        const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...clientCert }));
        sock.resume();
      });
    });
    expect(await result).toEqual({ err: null, cn: 'renegotiating client', authorized: true });
  });
});

describe('our server renegotiate()', () => {
  async function server(onSecure: (s: TlsSocket) => void, options: { rejectUnauthorized?: boolean } = {}): Promise<number> {
    const srv = createServer({ cert: certs.cert, key: certs.key, ca: certs.ca, maxVersion: 'TLSv1.2', ...options }, (s) => {
      s.pipe(s);
      onSecure(s);
    });
    return listen(srv);
  }

  it('({ requestCert: true }) gets a node client’s certificate (its session is not resumed for that)', async () => {
    const seen = new Promise<unknown>((resolve) => {
      void server((s) => {
        expect(s.authorized).toBe(false);
        const returned = s.renegotiate({ requestCert: true }, (err) => {
          resolve({ returned, err, cn: (s.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN, authorized: s.authorized, reused: s.isSessionReused() });
        });
      }).then((port) => track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...clientCert })).resume());
    });
    expect(await seen).toEqual({ returned: true, err: null, cn: 'renegotiating client', authorized: true, reused: false });
  });

  it("a client without one, rejectUnauthorized false: authorizationError UNABLE_TO_GET_ISSUER_CERT, as a node server's", async () => {
    const outcome = async (s: tls.TLSSocket | TlsSocket): Promise<unknown> => {
      await new Promise((resolve) => s.renegotiate({ requestCert: true, rejectUnauthorized: false }, resolve));
      return { authorized: s.authorized, authorizationError: s.authorizationError };
    };
    const ours = new Promise<unknown>((resolve) => {
      void server((s) => void outcome(s).then(resolve)).then((port) => track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })).resume());
    });
    const theirs = new Promise<unknown>((resolve) => {
      const srv = tls.createServer({ cert: certs.cert, key: certs.key, ca: certs.ca, maxVersion: 'TLSv1.2' }, (s) => {
        s.pipe(s);
        void outcome(s).then(resolve);
      });
      void listen(srv).then((port) => track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })).resume());
    });
    expect(await ours).toEqual({ authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT' });
    expect(await ours).toEqual(await theirs);
  });

  it('a client renegotiating while our server streams: the stream arrives whole, no write sealed mid-handshake', async () => {
    // A node client would be the better peer, but OpenSSL refuses data that reaches it while it runs the
    // handshake outside SSL_read (ERR_SSL_UNEXPECTED_RECORD): node clients cannot renegotiate under a stream.
    const bulk = generator(4 * 1024 * 1024, 16 * 1024);
    const writes = { before: 0, during: 0, after: 0 };
    let renegotiations = 0;
    await server((s) => {
      const conn = s.connection!;
      conn.on('handshake', () => void renegotiations++);
      const write = conn.write.bind(conn);
      conn.write = (data: Uint8Array): void => {
        writes[conn.handshaking ? 'during' : renegotiations === 0 ? 'before' : 'after']++;
        write(data);
      };
      s.resume();
      bulk.stream.pipe(s);
    }).then(async (port) => {
      const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
      const parts: Buffer[] = [];
      let renegotiated: Promise<Error | null> | undefined;
      sock.on('data', (d: Buffer) => {
        parts.push(d);
        renegotiated ??= renegotiate(sock).settled; // at the first data, with most of the stream to come
      });
      await once(sock, 'end');
      expect(await renegotiated).toBeNull();
      expect(sha256(Buffer.concat(parts))).toBe(bulk.digest());
    });
    expect(renegotiations).toBe(1);
    expect(writes.during).toBe(0);
    expect(writes.before).toBeGreaterThan(0);
    expect(writes.after).toBeGreaterThan(0);
  });

  it('(our client ↔ our server) a HelloRequest renegotiation with requestCert, data before and after', async () => {
    let serverSide!: TlsSocket;
    const renegotiated = new Promise<Error | null>((resolve) => {
      void server((s) => {
        serverSide = s;
        s.once('data', () => s.renegotiate({ requestCert: true }, resolve));
      }).then((port) => {
        const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...clientCert }));
        void once(sock, 'secureConnect').then(async () => {
          expect(await echo(sock, 'one')).toBe('one');
          await once(sock, 'secure');
          expect(await echo(sock, 'two')).toBe('two');
          sock.end();
          await collect(sock);
        });
      });
    });
    expect(await renegotiated).toBeNull();
    expect(serverSide.authorized).toBe(true);
    expect((serverSide.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN).toBe('renegotiating client');
  });
});

describe('renegotiate() where it cannot run', () => {
  it('TLS 1.3: false, then callback(ERR_SSL_WRONG_SSL_VERSION) on the next tick, as node; the socket carries on', async () => {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => s.pipe(s));
    const port = await listen(srv);
    const failure = async (s: TlsSocket | tls.TLSSocket): Promise<CodedError> => {
      await once(s, 'secureConnect');
      let inCall = true;
      const err = new Promise<{ err: CodedError; inCall: boolean }>((resolve) => {
        expect(s.renegotiate({ requestCert: true }, (e) => resolve({ err: e as CodedError, inCall }))).toBe(false);
      });
      inCall = false;
      const got = await err;
      expect(got.inCall).toBe(false); // called back later, not from inside renegotiate()
      return got.err;
    };
    const theirs = await failure(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    const ours = await failure(sock);
    expect(theirs.code).toBe('ERR_SSL_WRONG_SSL_VERSION');
    expect({ code: ours.code, message: ours.message, library: ours.library, reason: ours.reason }).toEqual({
      code: theirs.code,
      message: theirs.message,
      library: theirs.library,
      reason: theirs.reason,
    });
    expect(await echo(sock, 'still fine')).toBe('still fine');
  });

  it('before the handshake: false and callback(ERR_TLS_INVALID_STATE) (node breaks the connection instead); destroyed: undefined, no callback', async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => s.end());
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    const [err] = await new Promise<[CodedError]>((resolve) => {
      expect(sock.renegotiate({}, (e) => resolve([e as CodedError]))).toBe(false);
    });
    expect(err.code).toBe('ERR_TLS_INVALID_STATE');
    await once(sock, 'secureConnect');
    sock.destroy();
    let called = false;
    expect(sock.renegotiate({}, () => (called = true))).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(called).toBe(false);
  });

  it("bad arguments: node's TypeErrors", () => {
    const sock = track(connect({ port: 1, host: '127.0.0.1' }));
    sock.on('error', () => {});
    const theirs = track(tls.connect({ port: 1, host: '127.0.0.1' }));
    theirs.on('error', () => {});
    for (const args of [[null], [undefined], ['x'], [{}, 5], [{}, 'cb']] as unknown[][]) {
      const call = (s: { renegotiate: (...a: unknown[]) => unknown }): CodedError | undefined => {
        try {
          s.renegotiate(...args);
        } catch (e) {
          return e as CodedError;
        }
        return undefined;
      };
      const expected = call(theirs as unknown as { renegotiate: (...a: unknown[]) => unknown });
      const got = call(sock as unknown as { renegotiate: (...a: unknown[]) => unknown });
      expect(expected?.code).toBe('ERR_INVALID_ARG_TYPE');
      expect([got?.code, got?.message]).toEqual([expected?.code, expected?.message]);
    }
  });
});
