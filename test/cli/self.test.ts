/** `puretls s_client` <-> `puretls s_server`: client certificates, -msg on both sides, Q. */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeChain, type Chain } from '../helpers/keys.js';
import { installPeerCleanup } from '../helpers/peers.js';
import { buildCli, spawnCli, type CliBuild } from './support.js';

installPeerCleanup();

let build: CliBuild;
let chain: Chain;
beforeAll(async () => {
  [build, chain] = await Promise.all([buildCli(), makeChain('p256')]);
});

describe('puretls s_client <-> puretls s_server', () => {
  it('-Verify with a client certificate, ALPN, -ciphersuites, -groups; -msg shows the whole handshake on the server', async () => {
    const srv = spawnCli(build, [
      's_server', '-accept', '0', '-cert', chain.chainPath, '-key', chain.leaf.keyPath, '-CAfile', chain.rootPath, '-Verify', '2',
      '-alpn', 'h2', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256', '-groups', 'P-256', '-msg', '-naccept', '1', '-tls1_3',
    ]);
    const port = Number((await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000))[1]);
    const cli = spawnCli(build, [
      's_client', '-connect', `127.0.0.1:${port}`, '-CAfile', chain.rootPath, '-servername', 'localhost',
      '-cert', chain.chainPath, '-key', chain.leaf.keyPath, '-alpn', 'h2,http/1.1', '-groups', 'x25519:P-256',
    ]);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    expect(cli.stdout()).toMatch(/^ {4}Cipher {4}: TLS_CHACHA20_POLY1305_SHA256$/m);
    expect(cli.stdout()).toMatch(/^ALPN protocol: h2$/m);
    // x25519 was offered first, the server only takes P-256: a HelloRetryRequest, then secp256r1
    expect(cli.stdout()).toMatch(/^Server Temp Key: secp256r1$/m);

    await srv.waitFor(/^Verify return code: 0 \(ok\)$/m);
    const s = srv.stdout();
    expect(s).toMatch(/^Client certificate: CN=localhost$/m);
    for (const m of ['<<< TLS 1.3, Handshake \\[length [0-9a-f]{4}\\], ClientHello', '>>> TLS 1.3, Handshake \\[length [0-9a-f]{4}\\], CertificateRequest', '<<< TLS 1.3, Handshake \\[length [0-9a-f]{4}\\], Certificate$', '<<< TLS 1.3, Handshake \\[length [0-9a-f]{4}\\], CertificateVerify']) {
      expect(s).toMatch(new RegExp(`^${m}`, 'm'));
    }

    cli.write('over to you\n');
    await srv.waitFor(/^over to you$/m);
    srv.write('K\n');
    await srv.waitFor(/^KEYUPDATE$/m);
    srv.write('and back\n');
    await cli.waitFor(/^and back$/m);
    // our client answers update_requested by itself, before its next data
    cli.write('answered\n');
    await srv.waitFor(/^answered$/m);
    expect(srv.stdout()).toMatch(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_not_requested \(0\)$/m);

    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });

  it('-Verify refuses a client without a certificate; the server carries on', async () => {
    const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', chain.chainPath, '-key', chain.leaf.keyPath, '-CAfile', chain.rootPath, '-Verify', '1']);
    const port = Number((await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000))[1]);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', chain.rootPath]);
    expect((await cli.waitForExit(10_000)).code).toBe(1);
    expect(cli.stderr()).toMatch(/^puretls: s_client: (handshake|connection) with 127\.0\.0\.1:\d+ failed: .*certificate_required/m);
    await srv.waitFor(/^puretls: handshake failed: .*/m);
    // still serving; Q with no connection stops it
    srv.write('Q\n');
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });
});
