// Interop with the node:crypto provider (src/crypto/node-crypto.ts, 'puretls/node-crypto'):
// our client and our server, with `provider: nodeCryptoProvider()`, against
//
//   openssl s_server / s_client, TLS 1.3: each suite, X25519 and P-256 (plus a
//                                 HelloRetryRequest and FFDHE), RSA / ECDSA / Ed25519 certificates
//   openssl s_server / s_client, TLS 1.2: ECDHE-ECDSA / ECDHE-RSA with AES-GCM and ChaCha20
//   node:tls (TLS 1.3 and 1.2) both ways, with a bulk transfer and a content check
//
// Every connection counts the provider's calls, to show the handshake's key
// exchange, signature, verification and record protection went through it.
import { once } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { NamedGroup } from '../../src/common/constants.js';
import { nodeCryptoProvider } from '../../src/crypto/node-crypto.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { pump, type Pump } from '../helpers/pump.js';
import {
  CERT_TYPES,
  SCHEME,
  SUITES,
  acceptFrom,
  answerAndClose,
  clientCert,
  connectOurs,
  describeConn,
  firstDifference,
  group,
  groupName,
  installSocketCleanup,
  listen,
  makeCertSets,
  matrix12,
  ourClient,
  ourServer,
  patternBytes,
  reverseLine,
  serverCert,
  show,
  track,
  trackServer,
  verifierFor,
  within,
  type CertSet,
  type CertType,
} from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 10_000;

let certs: Record<CertType, CertSet>;
beforeAll(async () => {
  certs = await makeCertSets();
}, 60_000);

// ─────────────────────────────────────────────────────────────── a counting provider

interface Counted {
  provider: CryptoProvider;
  calls: Record<'aead' | 'seal' | 'open' | 'keyExchange' | 'sign' | 'verify', number>;
}

/** nodeCryptoProvider() with its calls counted (the AEADs' seal/open too). */
function counted(): Counted {
  const base = nodeCryptoProvider();
  const calls = { aead: 0, seal: 0, open: 0, keyExchange: 0, sign: 0, verify: 0 };
  const provider: CryptoProvider = {
    randomBytes: (n) => base.randomBytes(n),
    nowMs: () => base.nowMs(),
    hash: (a) => base.hash(a),
    hmac: (a, k, d) => base.hmac(a, k, d),
    hkdfExtract: (a, s, i) => base.hkdfExtract(a, s, i),
    hkdfExpand: (a, p, i, l) => base.hkdfExpand(a, p, i, l),
    aead(a, k) {
      calls.aead++;
      const inner = base.aead(a, k);
      return {
        algorithm: inner.algorithm,
        seal: (n, p, ad) => (calls.seal++, inner.seal(n, p, ad)),
        open: (n, c, ad) => (calls.open++, inner.open(n, c, ad)),
      };
    },
    groups: base.groups,
    keyExchange: (g) => (calls.keyExchange++, base.keyExchange(g)),
    sign: (k, a, m) => (calls.sign++, base.sign(k, a, m)),
    verify: (k, a, m, s) => (calls.verify++, base.verify(k, a, m, s)),
  };
  return { provider, calls };
}

/** The provider did the work: keys, records, and (when `signs` / `verifies`) a signature. */
function expectUsed(c: Counted, signs: boolean, verifies: boolean, ctx: string): void {
  expect(c.calls.keyExchange, ctx).toBeGreaterThan(0);
  expect(c.calls.aead, ctx).toBeGreaterThanOrEqual(2);
  expect(c.calls.seal, ctx).toBeGreaterThan(0);
  expect(c.calls.open, ctx).toBeGreaterThan(0);
  if (signs) expect(c.calls.sign, ctx).toBeGreaterThan(0);
  if (verifies) expect(c.calls.verify, ctx).toBeGreaterThan(0);
}

// ─────────────────────────────────────────────────────────────── openssl, both versions

/** s_server with the set's chain; our client (node:crypto provider) connected to it. */
async function toSServer(
  set: CertSet,
  version: '-tls1_3' | '-tls1_2',
  opensslArgs: string[],
  ours: TlsContextOptions,
): Promise<{ srv: PeerHandle; conn: Connection; p: Pump }> {
  const srv = await startOpensslServer([
    version,
    '-rev',
    '-naccept',
    '1',
    '-cert',
    set.chain.leaf.certPath,
    '-key',
    set.chain.leaf.keyPath,
    '-cert_chain',
    set.chain.intermediatesPath,
    ...opensslArgs,
  ]);
  const conn = ourClient({ verifier: verifierFor(set.chain), ...ours });
  return { srv, conn, p: connectOurs(conn, srv.port) };
}

/** Handshake; a line goes out and comes back reversed (s_server -rev); close; s_server exits 0. */
async function echoReversed({ srv, conn, p }: { srv: PeerHandle; conn: Connection; p: Pump }, line: string): Promise<void> {
  await within(p.handshake, T, () => `${describeConn(conn)}${show(srv)}`).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeConn(conn)}${show(srv)}`);
  });
  p.send(`${line}\n`);
  const want = `${reverseLine(line)}\n`;
  const got = await p.waitForData((b) => b.includes(want), T).catch((e: Error) => {
    throw new Error(`${e.message}${show(srv)}`);
  });
  expect(got.toString('latin1'), show(srv)).toBe(want);
  await p.end();
  expect((await srv.waitForExit(T)).code, `s_server exit${show(srv)}`).toBe(0);
}

/** s_client (verifying our chain) with `line` on stdin, to our server (node:crypto provider). */
async function fromSClient(
  set: CertSet,
  version: '-tls1_3' | '-tls1_2',
  opensslArgs: string[],
  ours: Omit<TlsContextOptions, 'certificate'>,
  line: string,
): Promise<{ cli: PeerHandle; conn: Connection; p: Pump }> {
  const l = await listen();
  const cli = runOpensslClient(
    [version, '-servername', 'localhost', '-CAfile', set.chain.rootPath, '-verify_return_error', '-verify_hostname', 'localhost', ...opensslArgs],
    `${line}\n`,
    { port: l.port },
  );
  const sock = await acceptFrom(l, cli);
  const conn = ourServer({ certificate: serverCert(set.chain), ...ours });
  return { cli, conn, p: pump(conn, sock) };
}

/** answerAndClose, and s_client verified our chain. */
async function answer(run: { cli: PeerHandle; conn: Connection; p: Pump }, line: string): Promise<void> {
  await answerAndClose(run, line, T);
  expect(run.cli.output(), show(run.cli)).toMatch(/^ *Verify return code: 0 \(ok\)$/m);
}

/** Each suite × each certificate type, the group alternating X25519 / P-256 (each suite gets both). */
const cases13 = CERT_TYPES.flatMap((cert, i) =>
  SUITES.map((suite, j) => {
    const g = group((i * SUITES.length + j) % 2 === 0 ? 'X25519' : 'P-256');
    return { cert, suite, g, name: `${cert} cert, ${suite.name}, ${g.openssl}` };
  }),
);

describe('TLS 1.3, node:crypto provider: our client → openssl s_server', () => {
  it.each(cases13)('$name', async ({ cert, suite, g }) => {
    const c = counted();
    const run = await toSServer(certs[cert], '-tls1_3', ['-ciphersuites', suite.name, '-groups', g.openssl], {
      provider: c.provider,
      groups: [g.id],
    });
    await echoReversed(run, `node-crypto client ${cert} ${suite.name} ${g.openssl}`);
    const ctx = `${describeConn(run.conn)}${show(run.srv)}`;
    expect(run.conn.cipherSuite?.name, ctx).toBe(suite.name);
    expect(groupName(run.conn.negotiated.group), ctx).toBe(g.openssl);
    expect(run.conn.negotiated.peerSignatureScheme, ctx).toBe(SCHEME[cert]);
    expect(run.conn.peerVerification?.authorized, ctx).toBe(true);
    expect(run.srv.output(), ctx).toMatch(new RegExp(`^Ciphersuite: ${suite.name}$`, 'm'));
    expectUsed(c, false, true, ctx);
  });

  it('HelloRetryRequest (X25519 share, s_server wants P-384) and FFDHE (ffdhe2048)', async () => {
    for (const target of ['P-384', 'ffdhe2048']) {
      const g = group(target);
      const c = counted();
      const run = await toSServer(certs.p256, '-tls1_3', ['-groups', g.openssl], {
        provider: c.provider,
        groups: [NamedGroup.x25519, g.id],
        keyShareGroups: [NamedGroup.x25519],
      });
      await echoReversed(run, `hrr ${target}`);
      expect(run.conn.negotiated.helloRetry, show(run.srv)).toBe(true);
      expect(groupName(run.conn.negotiated.group)).toBe(target);
      expect(c.calls.keyExchange).toBe(2);
    }
  });

  it.each(CERT_TYPES)('client certificate (%s): s_server -Verify 1 accepts our node:crypto CertificateVerify', async (cert) => {
    const set = certs[cert];
    const c = counted();
    const run = await toSServer(set, '-tls1_3', ['-Verify', '1', '-CAfile', set.chain.rootPath, '-verify_return_error'], {
      provider: c.provider,
      certificate: clientCert(set),
    });
    await echoReversed(run, `client auth ${cert}`);
    expect(run.srv.output(), show(run.srv)).toMatch(/^Verification: OK$/m);
    expect(run.conn.negotiated.signatureScheme).toBe(SCHEME[cert]);
    expectUsed(c, true, true, show(run.srv));
  });
});

describe('TLS 1.3, node:crypto provider: openssl s_client → our server', () => {
  it.each(cases13)('$name', async ({ cert, suite, g }) => {
    const c = counted();
    const line = `s_client to node-crypto ${cert} ${suite.name} ${g.openssl}`;
    const run = await fromSClient(certs[cert], '-tls1_3', ['-ciphersuites', suite.name, '-groups', g.openssl], { provider: c.provider }, line);
    await answer(run, line);
    const ctx = `${describeConn(run.conn)}${show(run.cli)}`;
    expect(run.cli.output(), ctx).toMatch(new RegExp(`^New, TLSv1\\.3, Cipher is ${suite.name}$`, 'm'));
    expect(run.cli.output(), ctx).toMatch(g.tempKey);
    expect(run.conn.negotiated.signatureScheme, ctx).toBe(SCHEME[cert]);
    expectUsed(c, true, false, ctx);
  });
});

describe('TLS 1.2, node:crypto provider: openssl both ways', () => {
  const rows = matrix12().map((r) => (r.g.openssl === 'X25519' || r.g.openssl === 'P-256' ? r : { ...r, g: group('P-256'), name: r.name.replace(r.g.openssl, 'P-256') }));

  it.each(rows)('our client → s_server -tls1_2: $name', async ({ suite, cert, g }) => {
    const c = counted();
    const run = await toSServer(certs[cert], '-tls1_2', ['-cipher', suite.openssl, '-groups', g.openssl], { provider: c.provider });
    await echoReversed(run, `tls12 ${suite.openssl} ${cert}`);
    const ctx = `${describeConn(run.conn)}${show(run.srv)}`;
    expect(run.conn.protocol, ctx).toBe('TLSv1.2');
    expect(run.conn.cipherSuite?.name, ctx).toBe(suite.name);
    expect(groupName(run.conn.negotiated.group), ctx).toBe(g.openssl);
    expect(run.conn.negotiated.peerSignatureScheme, ctx).toBe(SCHEME[cert]);
    expectUsed(c, false, true, ctx);
  });

  it.each(rows)('s_client -tls1_2 → our server: $name', async ({ suite, cert, g }) => {
    const c = counted();
    const line = `tls12 s_client ${suite.openssl} ${cert}`;
    const clientGroups = cert === 'p256' && g.openssl !== 'P-256' ? `${g.openssl}:P-256` : g.openssl;
    const run = await fromSClient(certs[cert], '-tls1_2', ['-cipher', suite.openssl, '-groups', clientGroups], { provider: c.provider, groups: [g.id] }, line);
    await answer(run, line);
    const ctx = `${describeConn(run.conn)}${show(run.cli)}`;
    expect(run.cli.output(), ctx).toMatch(new RegExp(`^New, TLSv1\\.2, Cipher is ${suite.openssl}$`, 'm'));
    expect(run.cli.output(), ctx).toMatch(g.tempKey);
    expectUsed(c, true, false, ctx);
  });
});

// ─────────────────────────────────────────────────────────────── node:tls

const MiB = 1024 * 1024;

/** tls.createServer on loopback with the set's chain: echoes, or (bulk) sends `bulk` and collects what it gets. */
async function nodeServer(set: CertSet, options: tls.TlsOptions): Promise<{ port: number; next: Promise<tls.TLSSocket> }> {
  let resolveNext!: (s: tls.TLSSocket) => void;
  const next = new Promise<tls.TLSSocket>((r) => (resolveNext = r));
  const srv = trackServer(
    tls.createServer({ key: set.chain.leaf.keyPem, cert: set.chain.chainPem, ...options }, (s) => {
      track(s);
      s.on('error', () => {});
      s.pipe(s);
      resolveNext(s);
    }),
  );
  srv.on('connection', (s: net.Socket) => track(s));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { port: (srv.address() as net.AddressInfo).port, next };
}

const nodeCases = [
  ...SUITES.map((s, i) => ({ version: 'TLSv1.3' as const, cert: CERT_TYPES[i]!, ciphers: s.name, name: `TLSv1.3 ${s.name}, ${CERT_TYPES[i]!} cert` })),
  { version: 'TLSv1.2' as const, cert: 'p256' as const, ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', name: 'TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384, p256 cert' },
  { version: 'TLSv1.2' as const, cert: 'rsa2048' as const, ciphers: 'ECDHE-RSA-CHACHA20-POLY1305', name: 'TLSv1.2 ECDHE-RSA-CHACHA20-POLY1305, rsa2048 cert' },
];

describe('node:crypto provider against node:tls', () => {
  it.each(nodeCases)('our client → tls.createServer: $name, 1 MiB echoed with a content check', async ({ version, cert, ciphers }) => {
    const set = certs[cert];
    const srv = await nodeServer(set, { minVersion: version, maxVersion: version, ciphers: version === 'TLSv1.3' ? `${ciphers}` : ciphers });
    const c = counted();
    const conn = ourClient({ provider: c.provider, verifier: verifierFor(set.chain) });
    const p = connectOurs(conn, srv.port);
    await within(p.handshake, T, () => describeConn(conn));
    const ns = await within(srv.next, T, () => 'no secureConnection');
    expect(ns.getProtocol()).toBe(version);
    expect(conn.protocol).toBe(version);
    expect(ns.getCipher().standardName).toBe(conn.cipherSuite?.name);
    const data = patternBytes(MiB, cert.length + version.length);
    p.send(data);
    const got = await p.waitForData(MiB, T);
    expect(firstDifference(got.subarray(0, MiB), data)).toBe(-1);
    await p.end();
    expectUsed(c, false, true, describeConn(conn));
    expect(c.calls.seal).toBeGreaterThanOrEqual(64); // 1 MiB in records of at most 16 KiB
  });

  it.each(nodeCases)('tls.connect → our server: $name, 1 MiB to us with a content check, then an answer', async ({ version, cert, ciphers }) => {
    const set = certs[cert];
    const l = await listen();
    const ns = track(
      tls.connect({
        host: '127.0.0.1',
        port: l.port,
        servername: 'localhost',
        ca: set.chain.root.certPem,
        minVersion: version,
        maxVersion: version,
        ciphers,
      }),
    ) as tls.TLSSocket;
    let received = '';
    ns.setEncoding('latin1');
    ns.on('data', (d: string) => (received += d));
    const secure = new Promise<void>((resolve, reject) => {
      ns.once('secureConnect', () => resolve());
      ns.once('error', reject);
    });
    secure.catch(() => {});
    const sock = await within(l.accept(), T, () => 'no connection from tls.connect');
    const c = counted();
    const conn = ourServer({ provider: c.provider, certificate: serverCert(set.chain) });
    const p = pump(conn, sock);
    await within(Promise.all([p.handshake, secure]), T, () => describeConn(conn));
    expect(ns.authorized).toBe(true);
    expect(ns.getProtocol()).toBe(version);
    expect(ns.getCipher().standardName).toBe(conn.cipherSuite?.name);
    const data = patternBytes(MiB, cert.length * 7 + version.length);
    ns.write(data);
    const got = await p.waitForData(MiB, T);
    expect(firstDifference(got.subarray(0, MiB), data)).toBe(-1);
    p.send('done\n');
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (received.includes('done\n')) resolve();
        };
        ns.on('data', check);
        check();
      }),
      T,
      () => `node received ${JSON.stringify(received)}`,
    );
    ns.end();
    await within(p.peerClosed, T, () => describeConn(conn));
    await p.end();
    expectUsed(c, true, false, describeConn(conn));
    expect(c.calls.open).toBeGreaterThanOrEqual(64);
  });
});

describe('TlsContext with nodeCryptoProvider()', () => {
  it('is accepted as the context provider and its groups are all usable', () => {
    const provider = nodeCryptoProvider();
    const ctx = new TlsContext({ provider, groups: [...provider.groups] });
    expect(ctx.provider).toBe(provider);
    expect(new Connection(ctx, 'client', { serverName: 'localhost' })).toBeInstanceOf(Connection);
  });
});
