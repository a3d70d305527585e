// Proves the gnutls side of the harness (private network namespace, Unix-socket
// relays) with Node's own tls module. Skipped when gnutls-bin or `unshare --net`
// is unavailable; .ci/run installs gnutls-bin, so in CI it runs.
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { hasGnutls, hasNetns, installPeerCleanup, runGnutlsClient, runInNetns, shWaitFor, startGnutlsServer } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';

installPeerCleanup();

const available = hasGnutls() && hasNetns();

describe.skipIf(!available)('gnutls peers in a private network namespace', () => {
  let ed: CertInfo;
  let p256: CertInfo;
  let dir: string;
  beforeAll(async () => {
    [ed, p256] = await Promise.all([makeCert({ keyType: 'ed25519' }), makeCert({ keyType: 'p256' })]);
    dir = makeTempDir('puretls-gnutls-');
  });

  it('runInNetns: gnutls-serv ↔ gnutls-cli round trip with a KeyUpdate', async () => {
    const log = `${dir}/serv.log`;
    const peer = runInNetns(
      [
        `gnutls-serv --echo -p 5556 --x509certfile='${ed.certPath}' --x509keyfile='${ed.keyPath}' >'${log}' 2>&1 &`,
        shWaitFor(log, 'listening on IPv4'),
        'echo SERVER-READY',
        'gnutls-cli -p 5556 --insecure --inline-commands 127.0.0.1', // stdin: this test
        'echo "CLIENT-EXIT=$?"',
        'kill $! 2>/dev/null; wait',
        `cat '${log}'`,
      ].join('\n'),
    );
    await peer.waitFor(/^SERVER-READY$/m);
    expect(await peer.waitFor(/^- Description: /m)).toBe('- Description: (TLS1.3-X.509)-(ECDHE-SECP256R1)-(EdDSA-Ed25519)-(AES-256-GCM)');
    await peer.waitFor(/^- Handshake was completed$/m);
    peer.write('hello netns\n');
    await peer.waitFor(/^hello netns$/m);
    const m = peer.mark();
    peer.write('^rekey1^\n');
    await peer.waitFor(/^- Rekey was completed$/m, 5_000, m);
    peer.write('after rekey\n');
    await peer.waitFor(/^after rekey$/m, 5_000, m);
    peer.endInput();
    await peer.waitFor(/^CLIENT-EXIT=0$/m);
    expect(await peer.waitFor(/^- Version: /m)).toBe('- Version: TLS1.3'); // from the server log
    expect(peer.output()).toMatch(/^received cmd: after rekey$/m);
    expect((await peer.waitForExit()).code).toBe(0);
  });

  it('startGnutlsServer: node tls.connect through the Unix-socket relay (TLS 1.3, Ed25519)', async () => {
    const srv = await startGnutlsServer(['--echo', `--x509certfile=${ed.certPath}`, `--x509keyfile=${ed.keyPath}`], dir);
    const raw = srv.connect();
    const sock = tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
    await once(sock, 'secureConnect');
    expect(sock.getProtocol()).toBe('TLSv1.3');
    expect(sock.getPeerCertificate().raw.equals(ed.certDer)).toBe(true);
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.write('hello gnutls\n');
    await srv.peer.waitFor(/^received cmd: hello gnutls$/m);
    const end = Date.now() + 5_000;
    while (!got.includes('hello gnutls\n') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(got).toContain('hello gnutls\n');
    expect(await srv.peer.waitFor(/^- Version: /m)).toBe('- Version: TLS1.3');
    sock.destroy();
  });

  it('runGnutlsClient: gnutls-cli → relay → node tls server on a Unix socket, with ^rekey^', async () => {
    const path = `${dir}/node-server.sock`;
    const server = tls.createServer({ cert: p256.certPem, key: p256.keyPem }, (s) => {
      s.on('error', () => {});
      s.on('data', (d: Buffer) => s.write(`echo:${d.toString()}`));
    });
    server.listen(path);
    await once(server, 'listening');
    try {
      const cli = runGnutlsClient(['--insecure', '--inline-commands'], path);
      await cli.waitFor(/^RELAY READY tcp-listen$/m);
      expect(await cli.waitFor(/^- Description: /m)).toMatch(/^- Description: \(TLS1\.3-X\.509\)-\(ECDHE-SECP256R1\)-\(ECDSA-SECP256R1-SHA256\)-\(AES-256-GCM\)$/);
      await cli.waitFor(/^- Handshake was completed$/m);
      cli.write('ping\n');
      await cli.waitFor(/^echo:ping$/m);
      const m = cli.mark();
      cli.write('^rekey^\n');
      await cli.waitFor(/^- Rekey was completed$/m, 5_000, m);
      cli.write('pong\n');
      await cli.waitFor(/^echo:pong$/m, 5_000, m);
      await cli.stop();
    } finally {
      server.close();
    }
  });
});
