/**
 * `puretls s_client` / `s_server` against `openssl s_server` / `s_client` on
 * 127.0.0.1. Readiness comes from the peers' output (ACCEPT lines), never
 * from sleeps; installPeerCleanup kills every child after each test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert, makeChain, type CertInfo } from '../helpers/keys.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { buildCli, spawnCli, type CliBuild } from './support.js';

installPeerCleanup();

let build: CliBuild;
let cert: CertInfo;
beforeAll(async () => {
  [build, cert] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' })]);
});

/** puretls s_server -accept 0 ...; resolves with the port from its ACCEPT line. */
async function startPuretlsServer(args: string[]) {
  const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', cert.certPath, '-key', cert.keyPath, ...args]);
  const m = await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000);
  return { srv, port: Number(m[1]) };
}

describe('puretls s_client <-> openssl s_server -tls1_3', () => {
  it('prints Protocol / Cipher / New lines and a typed line arrives at the server', async () => {
    const srv = await startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3', '-naccept', '1']);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', cert.certPath, '-servername', 'localhost']);
    await cli.waitFor(/^Verify return code: /m);
    const out = cli.stdout();
    expect(out).toMatch(/^CONNECTED\(/m);
    expect(out).toMatch(/^ {4}Protocol {2}: TLSv1\.3$/m);
    expect(out).toMatch(/^ {4}Cipher {4}: TLS_AES_(128|256)_GCM_SHA(256|384)$/m);
    expect(out).toMatch(/^New, TLSv1\.3, Cipher is TLS_AES_/m);
    expect(out).toMatch(/^Verify return code: 0 \(ok\)$/m);
    expect(out).toMatch(/^Server Temp Key: X25519$/m);
    expect(out).toMatch(/^No ALPN negotiated$/m);

    cli.write('hello from puretls\n');
    await srv.waitFor(/hello from puretls/);
    // and back: the server's stdin line reaches our stdout
    srv.write('hello from openssl\n');
    await cli.waitFor(/hello from openssl/);

    cli.write('Q\n');
    const exit = await cli.waitForExit(10_000);
    expect(exit.code).toBe(0);
    await srv.waitFor(/DONE|CONNECTION CLOSED/);
  });

  it('reports a verification failure as OpenSSL does (code 18) and carries on', async () => {
    const srv = await startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3', '-naccept', '1']);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${srv.port}`]);
    const line = await cli.waitFor(/^Verify return code: /m);
    expect(line).toBe('Verify return code: 18 (self-signed certificate)');
    cli.endInput(); // EOF on stdin closes the connection (as OpenSSL without -quiet)
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });

  it('-verify_return_error fails the handshake: exit 1, one line', async () => {
    const srv = await startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3', '-naccept', '1']);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-verify_return_error']);
    const exit = await cli.waitForExit(10_000);
    expect(exit.code).toBe(1);
    expect(cli.stderr()).toMatch(/^puretls: s_client: handshake with 127\.0\.0\.1:\d+ failed: .*self-signed/m);
  });

  it('K sends KeyUpdate(update_requested) (-msg shows it), the server answers, data still flows', async () => {
    const srv = await startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3', '-naccept', '1', '-msg']);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', cert.certPath, '-msg', '-alpn', 'h2,http/1.1']);
    await cli.waitFor(/^Verify return code: 0/m);
    const out = cli.stdout();
    expect(out).toMatch(/^>>> TLS 1\.3, Handshake \[length [0-9a-f]{4}\], ClientHello$/m);
    expect(out).toMatch(/^<<< TLS 1\.3, Handshake \[length 007a\], ServerHello$/m);
    expect(out).toMatch(/^<<< TLS 1\.3, Handshake \[length 0024\], Finished$/m);
    expect(out).toMatch(/^>>> TLS 1\.3, Handshake \[length 0024\], Finished$/m);

    let mark = cli.mark();
    cli.write('K\n');
    await cli.waitFor(/^KEYUPDATE$/m, 10_000, mark);
    expect(cli.stdout().slice(mark.stdout)).toMatch(/^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_requested \(1\)$/m);
    await srv.waitFor(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
    // OpenSSL sends its answer (update_not_requested) with its next write
    mark = cli.mark();
    srv.write('after the update\n');
    await cli.waitFor(/after the update/, 10_000, mark);
    expect(cli.stdout().slice(mark.stdout)).toMatch(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_not_requested \(0\)$/m);

    mark = cli.mark();
    cli.write('k\n');
    await cli.waitFor(/^KEYUPDATE$/m, 10_000, mark);
    expect(cli.stdout().slice(mark.stdout)).toMatch(/update_not_requested \(0\)/);
    cli.write('still talking\n');
    await srv.waitFor(/still talking/);

    // R on TLS 1.3: openssl prints RENEGOTIATING and "wrong ssl version"; we say so in one line and go on
    mark = cli.mark();
    cli.write('R\n');
    await cli.waitFor(/^puretls: renegotiation is not possible on TLS 1\.3 \(wrong ssl version\)/m, 10_000, mark);
    expect(cli.stderr().slice(mark.stderr)).toMatch(/^RENEGOTIATING\n/);
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
    expect(cli.stdout()).toMatch(/^>>> TLS 1\.3, Alert \[length 0002\], warning close_notify$/m);
  });

  it('-keylogfile appends the five TLS 1.3 secrets once each', async () => {
    const dir = makeTempDir('puretls-cli-keylog-');
    const file = join(dir, 'keys.log');
    const srv = await startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3', '-naccept', '1']);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', cert.certPath, '-keylogfile', file, '-quiet']);
    cli.write('ping\n');
    await srv.waitFor(/ping/);
    const labels = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]).sort();
    expect(labels).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0']);
    // -quiet: no status lines, and 'Q' would be data (OpenSSL: -quiet turns the commands off)
    expect(cli.stdout()).not.toMatch(/Protocol|CONNECTED/);
    cli.write('Q\n');
    await srv.waitFor(/^Q$/m);
  });
});

describe('openssl s_client <-> puretls s_server', () => {
  it('-www: GET / returns the status page; openssl sees TLSv1.3', async () => {
    const { srv, port } = await startPuretlsServer(['-www', '-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-ign_eof'], 'GET / HTTP/1.0\r\n\r\n');
    await cli.waitFor(/<\/pre>/);
    const out = cli.stdout();
    // TLS 1.3 without tickets: openssl prints "New, TLSv1.3, ..." (its "Protocol  :" line needs a ticket).
    // openssl lists AES-256-GCM first; our server (the @noble provider, aeadPreference 'speed') picks ChaCha20-Poly1305.
    expect(out).toMatch(/^New, TLSv1\.3, Cipher is TLS_CHACHA20_POLY1305_SHA256$/m);
    expect(out).toMatch(/^Verify return code: 0 \(ok\)$/m);
    expect(out).toMatch(/^HTTP\/1\.0 200 ok\r?$/m);
    expect(out).toMatch(/^Protocol {2}: TLSv1\.3$/m);
    expect(out).toMatch(/^Cipher {4}: TLS_CHACHA20_POLY1305_SHA256$/m);
    expect(out).toMatch(/^no client certificate available$/m);
    // the server printed its lines and exits after -naccept 1
    expect((await srv.waitForExit(10_000)).code).toBe(0);
    expect(srv.stdout()).toMatch(/^ {4}Protocol {2}: TLSv1\.3$/m);
    expect(srv.stdout()).toMatch(/^CIPHER is TLS_CHACHA20_POLY1305_SHA256$/m);
  });

  it('-www: GET /keyupdate sends KeyUpdate(update_requested) before the page; GET /secret from a client without post-handshake auth is refused', async () => {
    const { srv, port } = await startPuretlsServer(['-www', '-naccept', '2', '-msg']);
    const ku = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-ign_eof', '-msg'], 'GET /keyupdate HTTP/1.0\r\n\r\n');
    await ku.waitFor(/<\/pre>/);
    const out = ku.stdout();
    const kuAt = out.search(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
    expect(kuAt).toBeGreaterThan(0);
    expect(kuAt).toBeLessThan(out.indexOf('HTTP/1.0 200 ok'));
    expect(out).toMatch(/KeyUpdate\(update_requested\) sent before this page/);
    expect(srv.stdout()).toMatch(/^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_requested \(1\)$/m);

    const secret = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-ign_eof'], 'GET /secret HTTP/1.0\r\n\r\n');
    await secret.waitFor(/no verified client certificate: ERR_TLS_INVALID_STATE: verifyClientPostHandshake: the client did not send post_handshake_auth/);
    expect(secret.stdout()).toMatch(/^HTTP\/1\.0 403 Forbidden\r?$/m);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });

  it('plain mode: client data goes to stdout, stdin lines go to the client, k updates the keys', async () => {
    const { srv, port } = await startPuretlsServer(['-naccept', '1', '-alpn', 'http/1.1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-alpn', 'http/1.1', '-msg']);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    expect(cli.stdout()).toMatch(/^ALPN protocol: http\/1\.1$/m);
    await srv.waitFor(/^ALPN protocol: http\/1\.1$/m);
    cli.write('to the server\n');
    await srv.waitFor(/^to the server$/m);
    srv.write('to the client\n');
    await cli.waitFor(/to the client/);
    const mark = cli.mark();
    srv.write('k\n');
    await srv.waitFor(/^KEYUPDATE$/m);
    srv.write('after k\n');
    await cli.waitFor(/after k/, 10_000, mark);
    expect(cli.stdout().slice(mark.stdout)).toMatch(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
    cli.write('Q\n');
    expect((await srv.waitForExit(10_000)).code).toBe(0);
    expect(srv.stdout()).toMatch(/^CONNECTION CLOSED$/m);
  });

  it('-Verify 1 with -CAfile: a client certificate from the CA is required and shown', async () => {
    const chain = await makeChain('p256');
    const { srv, port } = await startPuretlsServer(['-Verify', '1', '-CAfile', chain.rootPath, '-naccept', '1', '-www']);
    const cli = runOpensslClient(
      ['-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-cert', chain.leaf.certPath, '-key', chain.leaf.keyPath, '-cert_chain', chain.intermediatesPath, '-ign_eof'],
      'GET / HTTP/1.0\r\n\r\n',
    );
    await cli.waitFor(/<\/pre>/);
    expect(cli.stdout()).toMatch(/^Client certificate subject: CN=localhost$/m);
    expect(cli.stdout()).toMatch(/^Client certificate verified: yes$/m);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
    expect(srv.stdout()).toMatch(/^Client certificate: CN=localhost$/m);
    expect(srv.stdout()).toMatch(/^Verify return code: 0 \(ok\)$/m);
  });
});
