/**
 * Issue 18, the module surface: `import tls from 'puretls'` stands in for
 * `import tls from 'node:tls'`. The same code runs against node:tls and
 * puretls and the results are compared: the exports and their types, the
 * constants, getCiphers, checkServerIdentity, convertALPNProtocols, a
 * connection made through the default export, the tls.DEFAULT_* knobs, and
 * NODE_EXTRA_CA_CERTS (in child processes, read at start as node does).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import puretls, * as named from '../../src/index.js';
import { DEFAULT_CIPHER_SUITES } from '../../src/ssl/context.js';
import { makeCert } from '../helpers/keys.js';
import { trackTempDir } from '../helpers/tmp.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** What the tests below call, as both modules have it. */
interface Module {
  connect(options: object): Duplex;
  createServer(options: object, listener?: (s: net.Socket) => void): net.Server;
  createSecureContext(options?: object): object;
  Server: abstract new (...args: never[]) => net.Server;
  SecureContext: abstract new (...args: never[]) => object;
}
const both: [string, Module][] = [
  ['node:tls', tls as unknown as Module],
  ['puretls', puretls as unknown as Module],
];

/** node:tls's exports puretls leaves out, with why (the compat table says the same). */
const LEFT_OUT = ['createSecurePair'];

describe('the exports', () => {
  it("the default export has node:tls's names, with the same typeof", () => {
    const names = Object.keys(tls).filter((n) => !LEFT_OUT.includes(n));
    const theirs = Object.fromEntries(names.map((n) => [n, typeof (tls as unknown as Record<string, unknown>)[n]]));
    const ours = Object.fromEntries(names.map((n) => [n, typeof (puretls as unknown as Record<string, unknown>)[n]]));
    expect(ours).toEqual(theirs);
  });

  it('the package entry has them as named exports too, and keeps its own', () => {
    const names = Object.keys(tls).filter((n) => !LEFT_OUT.includes(n));
    const entry = named as unknown as Record<string, unknown>;
    for (const n of names) expect(typeof entry[n], n).toBe(typeof (tls as unknown as Record<string, unknown>)[n]);
    expect(typeof named.TlsSocket).toBe('function');
    expect(typeof named.Connection).toBe('function');
    expect(typeof named.TlsContext).toBe('function');
  });

  it('TLSSocket and Server are TlsSocket and TlsServer; createServer() makes one, a net.Server', () => {
    expect(puretls.TLSSocket).toBe(named.TlsSocket);
    expect(puretls.Server).toBe(named.TlsServer);
    expect(named.TLSSocket).toBe(named.TlsSocket);
    for (const [, m] of both) {
      const srv = m.createServer({ cert: certs.cert, key: certs.key });
      expect(srv).toBeInstanceOf(m.Server);
      expect(srv).toBeInstanceOf(net.Server);
      expect(m.createSecureContext()).toBeInstanceOf(m.SecureContext);
    }
  });

  it("the constants are node's", () => {
    for (const k of ['DEFAULT_MIN_VERSION', 'DEFAULT_MAX_VERSION', 'DEFAULT_ECDH_CURVE', 'CLIENT_RENEG_LIMIT', 'CLIENT_RENEG_WINDOW'] as const) {
      expect(puretls[k], k).toBe(tls[k]);
      expect(named[k], k).toBe(tls[k]);
    }
    expect(puretls.rootCertificates).toBe(tls.rootCertificates);
    expect(named.rootCertificates).toBe(tls.rootCertificates);
  });

  it('getCiphers(): our suites, lower-case and sorted as node, each one node knows', () => {
    const ours = puretls.getCiphers();
    expect(ours).toEqual([...ours].sort());
    expect(ours).toHaveLength(9);
    const theirs = tls.getCiphers();
    for (const name of ours) {
      expect(name).toBe(name.toLowerCase());
      expect(theirs).toContain(name);
    }
    expect(ours).toContain('tls_chacha20_poly1305_sha256');
    expect(ours).toContain('ecdhe-rsa-aes256-gcm-sha384');
  });

  it('DEFAULT_CIPHERS is our default list in OpenSSL syntax: node accepts it, and it chooses exactly our defaults', () => {
    expect(() => tls.createSecureContext({ ciphers: puretls.DEFAULT_CIPHERS })).not.toThrow();
    expect(puretls.DEFAULT_CIPHERS.split(':')).toHaveLength(9);
    expect(puretls.createSecureContext({ ciphers: puretls.DEFAULT_CIPHERS }).coreCipherSuites()).toEqual([...DEFAULT_CIPHER_SUITES]);
    expect(named.DEFAULT_CIPHERS).toBe(puretls.DEFAULT_CIPHERS);
  });
});

describe('the same code against both modules', () => {
  /** A server and a client of module `m`, an echo: what the client saw. */
  async function echo(m: Module, clientOptions: Record<string, unknown> = {}): Promise<{ protocol: string | null; authorized: boolean; echo: string }> {
    const srv = m.createServer({ cert: certs.cert, key: certs.key }, (s) => s.pipe(s));
    const port = await listen(srv);
    const sock = track(m.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ...clientOptions }));
    await once(sock, 'secureConnect');
    const got = once(sock, 'data');
    sock.write('hello');
    const [d] = (await got) as [Buffer];
    const s = sock as unknown as { getProtocol(): string | null; authorized: boolean };
    return { protocol: s.getProtocol(), authorized: s.authorized, echo: d.toString() };
  }

  it('import tls from puretls; tls.createServer / tls.connect: as node:tls', async () => {
    const [[, nodeTls], [, ours]] = both as [[string, Module], [string, Module]];
    expect(await echo(ours)).toEqual(await echo(nodeTls));
    expect(await echo(ours)).toEqual({ protocol: 'TLSv1.3', authorized: true, echo: 'hello' });
  });

  it('assigning tls.DEFAULT_MAX_VERSION / DEFAULT_MIN_VERSION changes later contexts, as node', async () => {
    for (const [, m] of both) {
      const mm = m as unknown as { DEFAULT_MAX_VERSION: string; DEFAULT_MIN_VERSION: string };
      mm.DEFAULT_MAX_VERSION = 'TLSv1.2';
      try {
        expect((await echo(m)).protocol).toBe('TLSv1.2');
      } finally {
        mm.DEFAULT_MAX_VERSION = 'TLSv1.3';
      }
      expect((await echo(m)).protocol).toBe('TLSv1.3');
    }
    const ours = puretls as { DEFAULT_MIN_VERSION: string };
    ours.DEFAULT_MIN_VERSION = 'TLSv1.3';
    try {
      expect(puretls.createSecureContext().minVersion).toBe(0x0304);
    } finally {
      ours.DEFAULT_MIN_VERSION = 'TLSv1.2';
    }
    expect(puretls.createSecureContext().minVersion).toBeUndefined(); // the core's default, TLS 1.2
  });

  it('assigning tls.DEFAULT_CIPHERS / DEFAULT_ECDH_CURVE changes later contexts, as node', async () => {
    for (const [, m] of both) {
      const mm = m as unknown as { DEFAULT_CIPHERS: string; DEFAULT_ECDH_CURVE: string };
      const before = mm.DEFAULT_CIPHERS;
      mm.DEFAULT_CIPHERS = 'TLS_CHACHA20_POLY1305_SHA256';
      mm.DEFAULT_ECDH_CURVE = 'P-384';
      try {
        const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => s.end());
        const port = await listen(srv);
        const sock = track(m.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
        await once(sock, 'secureConnect');
        const s = sock as unknown as { getCipher(): { standardName: string }; getEphemeralKeyInfo(): { name?: string } };
        expect(s.getCipher().standardName).toBe('TLS_CHACHA20_POLY1305_SHA256');
        expect(s.getEphemeralKeyInfo().name).toBe('secp384r1');
      } finally {
        mm.DEFAULT_CIPHERS = before;
        mm.DEFAULT_ECDH_CURVE = 'auto';
      }
    }
    expect(puretls.createSecureContext().cipherSuites).toBeUndefined();
  });

  it('CLIENT_RENEG_LIMIT / WINDOW of the default export are node:tls’s own', () => {
    const ours = puretls as { CLIENT_RENEG_LIMIT: number };
    ours.CLIENT_RENEG_LIMIT = 5;
    try {
      expect(tls.CLIENT_RENEG_LIMIT).toBe(5);
    } finally {
      ours.CLIENT_RENEG_LIMIT = 3;
    }
    expect(tls.CLIENT_RENEG_LIMIT).toBe(3);
  });
});

describe('checkServerIdentity', () => {
  type Cert = { subject?: Record<string, unknown>; subjectaltname?: string };
  const cases: [string, Cert][] = [
    ['localhost', { subject: { CN: 'localhost' } }],
    ['LocalHost.', { subject: { CN: 'localhost' } }],
    ['other', { subject: { CN: 'localhost' } }],
    ['a.example.com', { subjectaltname: 'DNS:*.example.com' }],
    ['a.b.example.com', { subjectaltname: 'DNS:*.example.com' }],
    ['example.com', { subjectaltname: 'DNS:*.example.com' }],
    ['foo.example.com', { subjectaltname: 'DNS:f*.example.com' }],
    ['bar.example.com', { subjectaltname: 'DNS:f*.example.com' }],
    ['a.com', { subjectaltname: 'DNS:*.com' }],
    ['a.example.com', { subject: { CN: 'a.example.com' }, subjectaltname: 'DNS:b.example.com' }],
    ['a.example.com', { subject: { CN: ['x.example.com', 'a.example.com'] } }],
    ['127.0.0.1', { subjectaltname: 'IP Address:127.0.0.1' }],
    ['127.0.0.2', { subjectaltname: 'DNS:localhost, IP Address:127.0.0.1, IP Address:::1' }],
    ['::1', { subjectaltname: 'IP Address:0:0:0:0:0:0:0:1' }],
    ['127.0.0.1', { subject: { CN: '127.0.0.1' } }],
    ['a.example.com', { subjectaltname: 'DNS:"a.example.com", DNS:b.example.com' }],
    ['x.example.com', { subjectaltname: 'DNS:"a.example.com, x", DNS:b.example.com' }],
    ['host', {}],
    ['xn--bcher-kva.example', { subjectaltname: 'DNS:xn--*.example' }],
  ];

  const outcome = (r: unknown): unknown => {
    if (r === undefined) return 'ok';
    const e = r as Error & { code?: string; reason?: string; host?: string; cert?: unknown };
    return { name: e.name, code: e.code, message: e.message, reason: e.reason, host: e.host, sameCert: e.cert };
  };

  it.each(cases)('%s against %j: what node returns', (host, cert) => {
    const theirs = outcome(tls.checkServerIdentity(host, cert as tls.PeerCertificate));
    const ours = outcome(puretls.checkServerIdentity(host, cert));
    expect(ours).toEqual(theirs);
    expect(named.checkServerIdentity).toBe(puretls.checkServerIdentity);
  });

  it("a real getPeerCertificate() object, and our parsed Certificate, as node's", async () => {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => s.end());
    const port = await listen(srv);
    const sock = track(puretls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    await once(sock, 'secureConnect');
    const peer = (sock as unknown as { getPeerCertificate(): named.PeerCertificate }).getPeerCertificate();
    for (const host of ['localhost', 'example.com', '127.0.0.1']) {
      const theirs = outcome(tls.checkServerIdentity(host, peer as unknown as tls.PeerCertificate));
      expect(outcome(puretls.checkServerIdentity(host, peer))).toEqual(theirs);
      const parsed = named.parseCertificate(peer.raw);
      const r = puretls.checkServerIdentity(host, parsed) as (Error & { code?: string; reason?: string }) | undefined;
      expect(r?.code).toBe((theirs as { code?: string }).code);
      expect(r?.reason).toBe((theirs as { reason?: string }).reason);
    }
  });
});

describe('convertALPNProtocols', () => {
  const nodeConvert = (tls as unknown as { convertALPNProtocols(p: unknown, out: object): void }).convertALPNProtocols;
  it.each([[['h2', 'http/1.1']], [Buffer.from('\x02h2')], [new Uint8Array([2, 104, 50])], [['é']], ['not an array']])('%j: as node', (input) => {
    const theirs: { ALPNProtocols?: Buffer } = {};
    const ours: { ALPNProtocols?: Buffer } = {};
    nodeConvert(input, theirs);
    puretls.convertALPNProtocols(input as string[], ours);
    expect(ours).toEqual(theirs);
  });

  it('a name over 255 bytes: RangeError ERR_OUT_OF_RANGE, as node', () => {
    const long = ['x'.repeat(256)];
    let theirs: (Error & { code?: string }) | undefined;
    try {
      nodeConvert(long, {});
    } catch (e) {
      theirs = e as Error & { code?: string };
    }
    expect(() => puretls.convertALPNProtocols(long, {})).toThrow(expect.objectContaining({ code: theirs?.code, message: theirs?.message }));
  });
});

describe('NODE_EXTRA_CA_CERTS, read at process start as node does', () => {
  const ROOT = resolve(import.meta.dirname, '../..');
  let dir: string;

  beforeAll(async () => {
    // Built as a user would import it (tsup, as the README test); under node_modules/.cache so @noble resolves.
    dir = join(ROOT, 'node_modules', '.cache', `puretls-extra-ca-${process.pid}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    trackTempDir(dir);
    await run([join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--no-config', '--entry.index=src/index.ts', '--format', 'esm', '--target', 'node20', '--silent', '--out-dir', join(dir, 'dist')], ROOT, {});
    const cert = await makeCert({ keyType: 'p256', tag: 'extra-ca' });
    writeFileSync(join(dir, 'ca.pem'), cert.certPem);
    writeFileSync(join(dir, 'key.pem'), cert.keyPem);
    // A server of a CA nobody trusts by default (node:tls, so only the client side differs).
    writeFileSync(
      join(dir, 'client.mjs'),
      `
      import nodeTls from 'node:tls';
      import { readFileSync } from 'node:fs';
      const m = process.argv[2] === 'node' ? nodeTls : (await import('./dist/index.js')).default;
      // Changing the variable now has no effect, as with node: it was read at start.
      if (process.argv[3] === 'late') process.env.NODE_EXTRA_CA_CERTS = 'ca.pem';
      const srv = nodeTls.createServer({ cert: readFileSync('ca.pem'), key: readFileSync('key.pem') }, (s) => s.end());
      srv.listen(0, '127.0.0.1', () => {
        const s = m.connect({ host: '127.0.0.1', port: srv.address().port, servername: 'localhost' });
        s.on('secureConnect', () => { console.log(JSON.stringify({ authorized: true })); s.destroy(); srv.close(); });
        s.on('error', (e) => { console.log(JSON.stringify({ authorized: false, code: e.code })); srv.close(); });
      });
      `,
    );
  }, 120_000);

  function run(args: string[], cwd: string, env: Record<string, string>): Promise<string> {
    return new Promise((res, rej) =>
      execFile(process.execPath, args, { cwd, timeout: 60_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: '', ...env } }, (err, stdout, stderr) =>
        err ? rej(new Error(`${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`)) : res(stdout),
      ),
    );
  }

  const client = async (which: string, env: Record<string, string>, late = false): Promise<unknown> =>
    JSON.parse(await run(['client.mjs', which, late ? 'late' : ''], dir, env)) as unknown;

  it('with the variable set, the CA is trusted by default, as node', async () => {
    const theirs = await client('node', { NODE_EXTRA_CA_CERTS: 'ca.pem' });
    expect(theirs).toEqual({ authorized: true });
    expect(await client('puretls', { NODE_EXTRA_CA_CERTS: 'ca.pem' })).toEqual(theirs);
  });

  it('without it (or set only after start), it is not', async () => {
    for (const late of [false, true]) {
      const theirs = (await client('node', {}, late)) as { authorized: boolean };
      expect(theirs.authorized).toBe(false);
      const ours = (await client('puretls', {}, late)) as { authorized: boolean; code: string };
      expect(ours.authorized).toBe(false);
      expect(ours.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    }
  });

  it('a file that cannot be read adds nothing (node has warned at start)', async () => {
    expect(await client('puretls', { NODE_EXTRA_CA_CERTS: 'missing.pem' })).toEqual(await client('node', { NODE_EXTRA_CA_CERTS: 'missing.pem' }));
  });
});

