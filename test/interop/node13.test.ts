// Interop: the sans-IO core (src/ssl/connection.ts, driven by the minimal socket
// loop test/helpers/pump.ts) against node:tls (Node's bundled OpenSSL) on
// loopback, TLS 1.3 only:
//
//   our client → tls.createServer           (echo server, or a bulk server)
//   tls.connect → our server                 (node sends a line, we answer)
//
// Suites via node's `ciphers` (TLS_* names go to SSL_CTX_set_ciphersuites), groups
// via `ecdhCurve`, ALPN, client certificates both ways, 1 MiB each way with a
// content check, and two cross-checks of the key schedule: the NSS key log
// lines and RFC 8446 §7.5 exporter output must be identical on both ends.
import { once } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { NamedGroup } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import type { Connection } from '../../src/ssl/connection.js';
import { installPeerCleanup } from '../helpers/peers.js';
import { pump, type Pump } from '../helpers/pump.js';
import { ALL_GROUP_IDS, CERT_TYPES, GROUPS, SUITES, clientCert, connectOurs, firstDifference, group, groupName, installSocketCleanup, listen, makeCertSets, ourClient, ourServer, patternBytes, rejectionOf, reverseLine, serverCert, track, trackServer, verifierFor, within, type CertSet, type CertType, type GroupRow, SCHEME, describeConn } from './support.js';

installPeerCleanup(); // temp dirs of keys.ts
installSocketCleanup();

const T = 10_000;
const MiB = 1024 * 1024;

let certs: Record<CertType, CertSet>;
beforeAll(async () => {
  certs = await makeCertSets();
}, 60_000);



function describeNode(s: tls.TLSSocket | undefined): string {
  if (!s) return 'node: no socket';
  return `node: protocol=${s.getProtocol()} cipher=${s.getCipher()?.standardName} authorized=${s.authorized} authorizationError=${String(s.authorizationError)} alpn=${String(s.alpnProtocol)}`;
}

const collectKeylog = (conn: Connection): string[] => {
  const lines: string[] = [];
  conn.on('keylog', (l) => lines.push(l));
  return lines;
};

// ─────────────────────────────────────────────────────────────── our client → tls.createServer

interface NodeServer {
  port: number;
  /** The next 'secureConnection' socket. */
  next(): Promise<tls.TLSSocket>;
  /** 'tlsClientError's so far. */
  clientErrors: Error[];
  /** The first 'tlsClientError' (now or when it comes). */
  clientError(): Promise<Error>;
  /** Server-side key log lines (no newline). */
  keylog: string[];
}

/** tls.createServer on 127.0.0.1:0 with the set's chain; `handler` runs per secure connection. */
async function nodeServer(set: CertSet, options: tls.TlsOptions, handler: (s: tls.TLSSocket) => void = echo): Promise<NodeServer> {
  const queue: tls.TLSSocket[] = [];
  const waiting: Array<(s: tls.TLSSocket) => void> = [];
  const clientErrors: Error[] = [];
  const keylog: string[] = [];
  const srv = trackServer(
    tls.createServer(
      {
        key: set.chain.leaf.keyPem,
        cert: set.chain.chainPem,
        ca: set.chain.root.certPem,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        ...options,
      },
      (s) => {
        track(s);
        s.on('error', () => {});
        handler(s);
        const w = waiting.shift();
        if (w) w(s);
        else queue.push(s);
      },
    ),
  );
  srv.on('connection', (s: net.Socket) => track(s));
  const errorWaiters: Array<(e: Error) => void> = [];
  srv.on('tlsClientError', (e) => {
    clientErrors.push(e);
    for (const w of errorWaiters.splice(0)) w(e);
  });
  srv.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1').trimEnd()));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    next: () => {
      const s = queue.shift();
      return s ? Promise.resolve(s) : new Promise((resolve) => waiting.push(resolve));
    },
    clientErrors,
    clientError: () => (clientErrors[0] ? Promise.resolve(clientErrors[0]) : new Promise((resolve) => errorWaiters.push(resolve))),
    keylog,
  };
}

function echo(s: tls.TLSSocket): void {
  s.pipe(s);
}

/** Our client's handshake with diagnostics from both ends on failure. */
async function handshakeOurs(p: Pump, conn: Connection, srv: NodeServer): Promise<void> {
  await within(p.handshake, T, () => describeConn(conn)).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeConn(conn)}\nnode tlsClientErrors: ${srv.clientErrors.map((x) => x.message).join(' | ') || 'none'}`);
  });
}

/** Send a line through the echo server, check it comes back, close. */
async function echoLine(p: Pump, line: string): Promise<void> {
  p.send(`${line}\n`);
  const got = await p.waitForData((b) => b.length >= line.length + 1, T);
  expect(got.toString('latin1')).toBe(`${line}\n`);
}

describe('our client → node tls.createServer (TLS 1.3)', () => {
  const cases = CERT_TYPES.flatMap((cert) =>
    SUITES.flatMap((suite) => GROUPS.map((g) => ({ cert, suite, g, name: `${cert} cert, ${suite.name}, ${g.openssl}` }))),
  );

  it.each(cases)('$name (node ciphers/ecdhCurve restricted; verified, echo)', async ({ cert, suite, g }) => {
    const set = certs[cert];
    const srv = await nodeServer(set, { ciphers: suite.name, ecdhCurve: g.openssl });
    const conn = ourClient({ verifier: verifierFor(set.chain), groups: ALL_GROUP_IDS, keyShareGroups: [g.id] });
    const p = connectOurs(conn, srv.port);
    await handshakeOurs(p, conn, srv);
    const ns = await within(srv.next(), T, () => 'no secureConnection');
    const ctx = `${describeConn(conn)}\n${describeNode(ns)}`;
    expect(conn.cipherSuite?.name, ctx).toBe(suite.name);
    expect(ns.getCipher().standardName, ctx).toBe(suite.name);
    expect(ns.getProtocol(), ctx).toBe('TLSv1.3');
    expect(groupName(conn.negotiated.group), ctx).toBe(g.openssl);
    expect(conn.negotiated.helloRetry ?? false, ctx).toBe(false);
    expect(conn.negotiated.peerSignatureScheme, ctx).toBe(SCHEME[cert]);
    expect(conn.peerVerification?.authorized, ctx).toBe(true);
    await echoLine(p, `hello node ${cert} ${suite.name} ${g.openssl}`);
    await p.end();
  });

  const hrrCases = ['P-256', 'P-384', 'P-521', 'ffdhe2048'].map((t) => ({ g: group(t), name: `share X25519, node ecdhCurve ${t}` }));
  it.each(hrrCases)('HelloRetryRequest: $name', async ({ g }) => {
    const set = certs.p256;
    const srv = await nodeServer(set, { ecdhCurve: g.openssl });
    const conn = ourClient({ verifier: verifierFor(set.chain), groups: [NamedGroup.x25519, g.id], keyShareGroups: [NamedGroup.x25519] });
    const p = connectOurs(conn, srv.port);
    await handshakeOurs(p, conn, srv);
    expect(conn.negotiated.helloRetry, describeConn(conn)).toBe(true);
    expect(groupName(conn.negotiated.group)).toBe(g.openssl);
    await echoLine(p, `hrr ${g.openssl}`);
    await p.end();
  });

  it('ALPN: node [h2, http/1.1], our client [http/1.1]', async () => {
    const set = certs.p256;
    const srv = await nodeServer(set, { ALPNProtocols: ['h2', 'http/1.1'] });
    const conn = ourClient({ verifier: verifierFor(set.chain), alpnProtocols: ['http/1.1'] });
    const p = connectOurs(conn, srv.port);
    await handshakeOurs(p, conn, srv);
    const ns = await srv.next();
    expect(conn.alpnProtocol).toBe('http/1.1');
    expect(ns.alpnProtocol).toBe('http/1.1');
    await echoLine(p, 'alpn');
    await p.end();
  });

  it.each(CERT_TYPES)('client certificate (%s): node requestCert + rejectUnauthorized authorizes it', async (cert) => {
    const set = certs[cert];
    const srv = await nodeServer(set, { requestCert: true, rejectUnauthorized: true });
    const conn = ourClient({ verifier: verifierFor(set.chain), certificate: clientCert(set) });
    const p = connectOurs(conn, srv.port);
    await handshakeOurs(p, conn, srv);
    await echoLine(p, `client cert ${cert}`); // node's secureConnection fires only after our Finished was verified
    const ns = await srv.next();
    expect(ns.authorized, describeNode(ns)).toBe(true);
    expect(ns.getPeerCertificate().subject.CN).toBe('puretls test client');
    expect(conn.negotiated.signatureScheme).toBe(SCHEME[cert]);
    await p.end();
  });

  it('node requestCert + rejectUnauthorized and our client without a certificate: certificate_required', async () => {
    const set = certs.p256;
    const srv = await nodeServer(set, { requestCert: true, rejectUnauthorized: true });
    const conn = ourClient({ verifier: verifierFor(set.chain) });
    const p = connectOurs(conn, srv.port);
    await handshakeOurs(p, conn, srv); // complete on our side once our Finished is out (TLS 1.3)
    const err = await rejectionOf(within(p.peerClosed, T, () => describeConn(conn)), () => describeConn(conn));
    expect(err.code, err.message).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert).toBe(AlertDescription.certificate_required);
    const nodeErr = await within(srv.clientError(), T, () => 'node reported no tlsClientError');
    expect(nodeErr.message).toMatch(/peer did not return a certificate/);
  });

  it("verification: serverName 'wrong.example' fails with ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    const set = certs.rsa2048;
    const srv = await nodeServer(set, {});
    const conn = ourClient({ verifier: verifierFor(set.chain) }, 'wrong.example');
    const p = connectOurs(conn, srv.port);
    const err = await rejectionOf(within(p.handshake, T, () => describeConn(conn)), () => describeConn(conn));
    expect(err.code, err.message).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(err.alert).toBe(AlertDescription.certificate_unknown); // src/x509/hostname.ts's choice
    const nodeErr = await within(srv.clientError(), T, () => 'node reported no tlsClientError');
    expect(nodeErr.message).toMatch(/alert certificate unknown/);
    expect((nodeErr as NodeJS.ErrnoException).code).toBe('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN'); // OpenSSL's reason name for alert 46
  });

  it.each(SUITES)('1 MiB each way with a content check ($name)', async (suite) => {
    const set = certs.p256;
    const up = patternBytes(MiB, 1);
    const down = patternBytes(MiB, 2);
    let nodeGot: Buffer | null = null;
    let nodeDoneResolve!: () => void;
    const nodeDone = new Promise<void>((r) => (nodeDoneResolve = r));
    // Bulk server: collect 1 MiB, then send its own 1 MiB.
    const srv = await nodeServer(set, { ciphers: suite.name }, (s) => {
      const chunks: Buffer[] = [];
      let n = 0;
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        n += d.length;
        if (n >= MiB && !nodeGot) {
          nodeGot = Buffer.concat(chunks);
          s.write(down);
          nodeDoneResolve();
        }
      });
    });
    const conn = ourClient({ verifier: verifierFor(set.chain), cipherSuites: [suite.id] });
    const p = connectOurs(conn, srv.port);
    await handshakeOurs(p, conn, srv);
    expect(conn.cipherSuite?.name).toBe(suite.name);
    p.send(up);
    await within(nodeDone, 30_000, () => `node got only part of 1 MiB; ${describeConn(conn)}`);
    const got = await p.waitForData(MiB, 30_000);
    expect(nodeGot!.length).toBe(MiB);
    expect(firstDifference(nodeGot!, up), 'node received what we sent').toBe(-1);
    expect(got.length).toBe(MiB);
    expect(firstDifference(got, down), 'we received what node sent').toBe(-1);
    await p.end();
  });

  it('key log lines and exporter output match node exactly (server side)', async () => {
    const set = certs.ed25519;
    const srv = await nodeServer(set, {});
    const conn = ourClient({ verifier: verifierFor(set.chain) });
    const ours = collectKeylog(conn);
    const p = connectOurs(conn, srv.port);
    await handshakeOurs(p, conn, srv);
    await echoLine(p, 'keylog');
    const ns = await srv.next();
    expect(ours.length).toBe(5);
    expect([...ours].sort()).toEqual([...srv.keylog].sort());
    const context = Buffer.from('puretls interop');
    expect(Buffer.from(conn.exportKeyingMaterial(48, 'EXPORTER-puretls', context)).toString('hex')).toBe(
      ns.exportKeyingMaterial(48, 'EXPORTER-puretls', context).toString('hex'),
    );
    await p.end();
  });
});

// ─────────────────────────────────────────────────────────────── tls.connect → our server

interface NodeClientRun {
  ns: tls.TLSSocket;
  conn: Connection;
  p: Pump;
  /** Resolves on secureConnect, rejects on the client's error. */
  secure: Promise<void>;
  /** Data node received, as latin1. */
  received: () => string;
  clientError: () => Error | null;
  /** Key log lines (no newline) of node and of our server. */
  nodeKeylog: string[];
  ourKeylog: string[];
}

async function nodeClientToOurs(set: CertSet, options: tls.ConnectionOptions, ours: Omit<Parameters<typeof ourServer>[0], 'certificate'>): Promise<NodeClientRun> {
  const l = await listen();
  const ns = track(
    tls.connect({
      host: '127.0.0.1',
      port: l.port,
      servername: 'localhost',
      ca: set.chain.root.certPem,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ...options,
    }),
  ) as tls.TLSSocket;
  const nodeKeylog: string[] = [];
  ns.on('keylog', (line: Buffer) => nodeKeylog.push(line.toString('latin1').trimEnd()));
  let data = '';
  let clientError: Error | null = null;
  ns.setEncoding('latin1');
  ns.on('data', (d: string) => (data += d));
  const secure = new Promise<void>((resolve, reject) => {
    ns.once('secureConnect', () => resolve());
    ns.on('error', (e) => {
      clientError ??= e;
      reject(e);
    });
  });
  secure.catch(() => {});
  const sock = await within(l.accept(), T, () => 'no connection from tls.connect');
  const conn = ourServer({ certificate: serverCert(set.chain), ...ours });
  const ourKeylog = collectKeylog(conn);
  return { ns, conn, p: pump(conn, sock), secure, received: () => data, clientError: () => clientError, nodeKeylog, ourKeylog };
}

async function bothHandshakes(r: NodeClientRun): Promise<void> {
  const ctx = (): string => `${describeConn(r.conn)}\n${describeNode(r.ns)} error=${r.clientError()?.message ?? '-'}`;
  await within(Promise.all([r.p.handshake, r.secure]), T, ctx).catch((e: Error) => {
    throw new Error(`${e.message}\n${ctx()}`);
  });
}

/** node writes a line; our server answers it reversed; node sees the answer; node ends, we see close_notify. */
async function nodeLineAndAnswer(r: NodeClientRun, line: string): Promise<void> {
  r.ns.write(`${line}\n`);
  const got = await r.p.waitForData((b) => b.includes('\n'), T);
  expect(got.toString('latin1')).toBe(`${line}\n`);
  const answer = `puretls: ${reverseLine(line)}\n`;
  r.p.send(answer);
  await within(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (r.received().includes(answer)) {
          r.ns.off('data', check);
          resolve();
        }
      };
      r.ns.on('data', check);
      check();
    }),
    T,
    () => `node received: ${JSON.stringify(r.received())}`,
  );
  r.ns.end(); // node sends close_notify
  await within(r.p.peerClosed, T, () => describeConn(r.conn));
  await r.p.end();
}

function checkNodeClient(r: NodeClientRun, suiteName: string | undefined, g?: GroupRow): void {
  const ctx = `${describeConn(r.conn)}\n${describeNode(r.ns)}`;
  expect(r.ns.getProtocol(), ctx).toBe('TLSv1.3');
  expect(r.conn.protocol).toBe('TLSv1.3');
  expect(r.ns.getCipher().standardName, ctx).toBe(r.conn.cipherSuite?.name);
  if (suiteName) expect(r.conn.cipherSuite?.name, ctx).toBe(suiteName);
  expect(r.ns.authorized, ctx).toBe(true);
  if (g) {
    expect(groupName(r.conn.negotiated.group), ctx).toBe(g.openssl);
    const info = r.ns.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number };
    expect(info, ctx).toMatchObject(g.nodeKeyInfo);
  }
}

describe('node tls.connect (TLS 1.3) → our server', () => {
  const cases = CERT_TYPES.flatMap((cert) =>
    SUITES.flatMap((suite) => GROUPS.map((g) => ({ cert, suite, g, name: `${cert} cert, ${suite.name}, ${g.openssl}` }))),
  );

  it.each(cases)('$name (node ciphers/ecdhCurve restricted; verified, echo)', async ({ cert, suite, g }) => {
    const r = await nodeClientToOurs(certs[cert], { ciphers: suite.name, ecdhCurve: g.openssl }, { groups: ALL_GROUP_IDS });
    await bothHandshakes(r);
    checkNodeClient(r, suite.name, g);
    expect(r.conn.negotiated.helloRetry ?? false).toBe(false);
    expect(r.conn.negotiated.signatureScheme).toBe(SCHEME[cert]);
    await nodeLineAndAnswer(r, `hello from node ${cert} ${suite.name} ${g.openssl}`);
  });

  const hrrCases = ['P-256', 'P-384', 'P-521', 'ffdhe2048'].map((t) => ({ g: group(t), name: `node ecdhCurve X25519:${t}, our groups [${t}]` }));
  it.each(hrrCases)('HelloRetryRequest: $name', async ({ g }) => {
    const r = await nodeClientToOurs(certs.rsa2048, { ecdhCurve: `X25519:${g.openssl}` }, { groups: [g.id] });
    await bothHandshakes(r);
    expect(r.conn.negotiated.helloRetry, describeConn(r.conn)).toBe(true);
    checkNodeClient(r, undefined, g);
    await nodeLineAndAnswer(r, `hrr ${g.openssl}`);
  });

  it('ALPN: node [h2, http/1.1], our server [http/1.1]', async () => {
    const r = await nodeClientToOurs(certs.p256, { ALPNProtocols: ['h2', 'http/1.1'] }, { alpnProtocols: ['http/1.1'] });
    await bothHandshakes(r);
    expect(r.ns.alpnProtocol).toBe('http/1.1');
    expect(r.conn.alpnProtocol).toBe('http/1.1');
    await nodeLineAndAnswer(r, 'alpn');
  });

  it.each(CERT_TYPES)('client certificate (%s): our server (requestCert, requireCert) verifies node', async (cert) => {
    const set = certs[cert];
    const r = await nodeClientToOurs(set, { key: set.client.keyPem, cert: set.clientChainPem }, { requestCert: true, requireCert: true, verifier: verifierFor(set.chain) });
    await bothHandshakes(r);
    expect(r.conn.peerVerification?.authorized).toBe(true);
    expect(r.conn.peerCertificates.length).toBe(2);
    expect(Buffer.from(r.conn.peerCertificates[0]!).equals(set.client.certDer)).toBe(true);
    expect(r.conn.negotiated.peerSignatureScheme).toBe(SCHEME[cert]);
    checkNodeClient(r, undefined);
    await nodeLineAndAnswer(r, `client cert ${cert}`);
  });

  it('our server requireCert and node without a certificate: node gets certificate_required', async () => {
    const set = certs.p256;
    const r = await nodeClientToOurs(set, {}, { requestCert: true, requireCert: true, verifier: verifierFor(set.chain) });
    const err = await rejectionOf(within(r.p.handshake, T, () => describeConn(r.conn)), () => describeConn(r.conn));
    expect(err.code).toBe('ERR_TLS_CERTIFICATE_REQUIRED');
    // node's handshake completed (TLS 1.3) or not yet; either way the alert arrives as an error.
    await within(
      new Promise<void>((resolve) => {
        if (r.clientError()) resolve();
        else r.ns.once('error', () => resolve());
      }),
      T,
      () => `node saw no error; ${describeNode(r.ns)}`,
    );
    expect((r.clientError() as NodeJS.ErrnoException).code).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it.each(SUITES)('1 MiB each way with a content check ($name)', async (suite) => {
    const up = patternBytes(MiB, 3);
    const down = patternBytes(MiB, 4);
    const r = await nodeClientToOurs(certs.p256, { ciphers: suite.name }, {});
    await bothHandshakes(r);
    expect(r.conn.cipherSuite?.name).toBe(suite.name);
    r.ns.write(up);
    r.p.send(down);
    const got = await r.p.waitForData(MiB, 30_000);
    await within(
      (async () => {
        while (r.received().length < MiB) await once(r.ns, 'data');
      })(),
      30_000,
      () => `node received ${r.received().length} of ${MiB}`,
    );
    expect(got.length).toBe(MiB);
    expect(firstDifference(got, up), 'we received what node sent').toBe(-1);
    const nodeGot = Buffer.from(r.received(), 'latin1');
    expect(nodeGot.length).toBe(MiB);
    expect(firstDifference(nodeGot, down), 'node received what we sent').toBe(-1);
    r.ns.end();
    await within(r.p.peerClosed, T, () => describeConn(r.conn));
    await r.p.end();
  });

  it('key log lines and exporter output match node exactly (client side)', async () => {
    const r = await nodeClientToOurs(certs.rsa2048, {}, {});
    await bothHandshakes(r);
    const context = Buffer.from('puretls interop');
    expect(Buffer.from(r.conn.exportKeyingMaterial(32, 'EXPORTER-puretls', context)).toString('hex')).toBe(
      r.ns.exportKeyingMaterial(32, 'EXPORTER-puretls', context).toString('hex'),
    );
    await nodeLineAndAnswer(r, 'keylog');
    expect(r.ourKeylog.length).toBe(5);
    expect([...r.ourKeylog].sort()).toEqual([...r.nodeKeylog].sort());
  });
});
