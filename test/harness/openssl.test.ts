// Proves the interop harness with Node's own tls module (no puretls code):
// openssl s_server ↔ tls.connect, tls.createServer ↔ openssl s_client.
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert, makeChain, type CertInfo } from '../helpers/keys.js';
import { installPeerCleanup, livePeerCount, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';

installPeerCleanup();

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function connectNode(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...extra });
  try {
    await Promise.race([
      once(sock, 'secureConnect'),
      new Promise((_, rej) => setTimeout(() => rej(new Error('tls.connect timed out')), 10_000)),
    ]);
  } catch (e) {
    sock.destroy();
    throw e;
  }
  return sock;
}

function collect(sock: net.Socket): () => string {
  let data = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (data += d));
  sock.on('error', () => {});
  return () => data;
}

async function until(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('openssl s_server ↔ node tls.connect', () => {
  let rsa: CertInfo;
  let ed: CertInfo;
  beforeAll(async () => {
    [rsa, ed] = await Promise.all([makeCert({ keyType: 'rsa2048' }), makeCert({ keyType: 'ed25519' })]);
  });

  for (const kind of ['rsa2048', 'ed25519'] as const) {
    it(`TLS 1.3 echo both ways with a ${kind} certificate, then stop() kills the process group`, async () => {
      const c = kind === 'rsa2048' ? rsa : ed;
      const srv = await startOpensslServer(['-tls1_3', '-cert', c.certPath, '-key', c.keyPath, '-naccept', '1']);
      expect(srv.port).toBeGreaterThan(0);
      const sock = await connectNode(srv.port, { servername: 'localhost' });
      const got = collect(sock);
      expect(sock.getProtocol()).toBe('TLSv1.3');
      expect(sock.getPeerCertificate().raw.equals(c.certDer)).toBe(true);

      const cipher = await srv.waitForMatch(/^CIPHER is (\S+)$/m);
      expect(cipher[1]).toBe(sock.getCipher().standardName);

      sock.write('hello from node\n');
      expect(await srv.waitFor('hello from node')).toBe('hello from node');

      srv.write('hello from openssl\n');
      await until(() => got().includes('hello from openssl\n'), 'server data at the client');

      const pid = srv.pid;
      expect(groupAlive(pid)).toBe(true);
      await srv.stop();
      expect(groupAlive(pid)).toBe(false);
      expect(srv.exitInfo()).not.toBeNull();
      sock.destroy();
    });
  }

  it('KeyUpdate formats in -trace and -msg output (k/K on stdin)', async () => {
    const srv = await startOpensslServer(['-tls1_3', '-cert', rsa.certPath, '-key', rsa.keyPath, '-naccept', '1', '-trace']);
    const sock = await connectNode(srv.port);
    const got = collect(sock);
    await srv.waitFor(/^CIPHER is /m);

    let m = srv.mark();
    srv.write('K\n'); // KeyUpdate(update_requested)
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, 5_000, m);
    expect(srv.stdout().slice(m.stdout)).toMatch(/^Sent Record\n[\s\S]*?^ {4}KeyUpdate, Length=1\n {6}update_requested \(1\)$/m);
    srv.write('ping\n');
    await until(() => got().includes('ping\n'), 'data after K'); // so Node has processed the KeyUpdate

    // Node answers with its own KeyUpdate(update_not_requested) on its next write.
    m = srv.mark();
    sock.write('after key update\n');
    await srv.waitFor('after key update', 5_000, m);
    await srv.waitFor(/^Received Record\n[\s\S]*?^ {4}KeyUpdate, Length=1\n {6}update_not_requested \(0\)$/m, 5_000, m);

    // A command letter must be a read of its own: s_server discards the rest of that stdin read.
    m = srv.mark();
    srv.write('k\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, 5_000, m);
    srv.write('still talking\n');
    await until(() => got().includes('still talking\n'), 'data after k');
    sock.destroy();

    // -msg flavour
    const srv2 = await startOpensslServer(['-tls1_3', '-cert', rsa.certPath, '-key', rsa.keyPath, '-naccept', '1', '-msg']);
    const sock2 = await connectNode(srv2.port);
    const got2 = collect(sock2);
    await srv2.waitFor(/^CIPHER is /m);
    m = srv2.mark();
    srv2.write('K\n');
    await srv2.waitFor(/^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}18 00 00 01 01$/m, 5_000, m);
    srv2.write('ping\n');
    await until(() => got2().includes('ping\n'), 'data after K');
    m = srv2.mark();
    sock2.write('x\n');
    await srv2.waitFor(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}18 00 00 01 00$/m, 5_000, m);
    sock2.destroy();
  });

  it('-quiet / -brief servers (no ACCEPT) are detected as ready by their listening port', async () => {
    const srv = await startOpensslServer(['-tls1_3', '-cert', ed.certPath, '-key', ed.keyPath, '-naccept', '1', '-brief']);
    const sock = await connectNode(srv.port);
    collect(sock);
    expect(await srv.waitFor(/^Ciphersuite: (\S+)$/m)).toBe(`Ciphersuite: ${sock.getCipher().standardName}`);
    expect(srv.stderr()).toMatch(/^Protocol version: TLSv1\.3$/m);
    expect(srv.output()).not.toMatch(/^ACCEPT$/m);
    sock.destroy();
  });
});

describe('node tls.createServer ↔ openssl s_client', () => {
  let server: tls.Server;
  let port: number;
  let rootPath: string;
  beforeAll(async () => {
    const chain = await makeChain('p256');
    rootPath = chain.rootPath;
    server = tls.createServer({ cert: chain.chainPem, key: chain.leaf.keyPem, minVersion: 'TLSv1.2' }, (s) => {
      s.on('error', () => {});
      s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString('latin1').split('').reverse().join('').trimStart() + '\n', 'latin1')));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
    return () => new Promise<void>((r) => server.close(() => r()));
  });

  it('TLS 1.3: reads "New, TLSv1.3, Cipher is", "Protocol  :", "Cipher    :", "Verify return code: 0 (ok)", echoes data', async () => {
    const cl = runOpensslClient(['-CAfile', rootPath, '-verify_hostname', 'localhost', '-servername', 'localhost'], undefined, { port });
    await cl.waitFor(/^CONNECTED\(/m);
    const nc = await cl.waitForMatch(/^New, (TLSv1\.[23]), Cipher is (\S+)$/m);
    expect(nc[1]).toBe('TLSv1.3');
    expect(nc[2]).toMatch(/^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$/);
    expect(await cl.waitFor(/^Verify return code: /m)).toBe('Verify return code: 0 (ok)');
    // Node sends session tickets, so the SSL-Session block shows up too.
    expect(await cl.waitFor(/^ {4}Protocol {2}: /m)).toBe('    Protocol  : TLSv1.3');
    expect(await cl.waitFor(/^ {4}Cipher {4}: /m)).toBe(`    Cipher    : ${nc[2]}`);
    expect(cl.stderr()).toMatch(/^depth=2 CN = puretls test root \(p256\)$/m);

    let m = cl.mark();
    cl.write('olleh\n');
    await cl.waitFor(/^hello$/m, 5_000, m);

    // s_client command letter: a read starting with K → KeyUpdate(update_requested), sent at once.
    m = cl.mark();
    cl.write('K\n');
    await cl.waitFor(/^KEYUPDATE$/m, 5_000, m);
    cl.write('dlrow\n');
    await cl.waitFor(/^world$/m, 5_000, m);
    cl.endInput(); // EOF → close_notify, exit
    const exit = await cl.waitForExit(5_000);
    expect(exit.code).toBe(0);
    expect(cl.stderr()).toMatch(/^DONE$/m);
  });

  it('TLS 1.2 with -brief', async () => {
    const cl = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_2', '-brief', '-CAfile', rootPath], 'x\n');
    expect(await cl.waitFor(/^Protocol version: /m)).toBe('Protocol version: TLSv1.2');
    expect(await cl.waitFor(/^Ciphersuite: /m)).toMatch(/^Ciphersuite: ECDHE-ECDSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)$/);
    expect(await cl.waitFor(/^Verification: /m)).toBe('Verification: OK');
    await cl.waitFor(/^x$/m);
    await cl.stop();
  });
});

describe('harness behaviour', () => {
  let c: CertInfo;
  let leaked: PeerHandle | null = null;
  beforeAll(async () => {
    c = await makeCert({ keyType: 'p256' });
  });

  it('waitFor rejects on timeout with the output so far, and at once when the process exits', async () => {
    const srv = await startOpensslServer(['-cert', c.certPath, '-key', c.keyPath]);
    const t0 = Date.now();
    await expect(srv.waitFor(/never printed/, 300)).rejects.toThrow(/timed out after 300 ms[\s\S]*ACCEPT/);
    expect(Date.now() - t0).toBeLessThan(5_000);

    const closedPort = srv.port;
    await srv.stop();
    const cl = runOpensslClient([], undefined, { port: closedPort });
    const t1 = Date.now();
    await expect(cl.waitFor(/^CONNECTED/m, 20_000)).rejects.toThrow(/exited code=1[\s\S]*(Connection refused|connect)/i);
    expect(Date.now() - t1).toBeLessThan(10_000);
  });

  it('refuses -accept and reports a server that cannot start', async () => {
    await expect(startOpensslServer(['-accept', '1234'])).rejects.toThrow(/picks the port/);
    await expect(startOpensslServer(['-cert', '/nonexistent.pem'], { timeoutMs: 10_000 })).rejects.toThrow(/exited code=1/);
  });

  it('a peer left running by a test ...', async () => {
    leaked = await startOpensslServer(['-cert', c.certPath, '-key', c.keyPath]);
    expect(groupAlive(leaked.pid)).toBe(true);
  });

  it('... is killed by the afterEach hook of installPeerCleanup()', () => {
    expect(leaked).not.toBeNull();
    expect(leaked!.exitInfo()).not.toBeNull();
    expect(groupAlive(leaked!.pid)).toBe(false);
    expect(livePeerCount()).toBe(0);
  });
});
