/**
 * Post-handshake client authentication on the command line: `c` typed into
 * `puretls s_server` (OpenSSL's s_server command), `s_server -www`'s
 * GET /secret, and `puretls s_client -enable_pha` against `openssl s_server`'s `c`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer } from '../helpers/peers.js';
import { buildCli, spawnCli, type CliBuild } from './support.js';

installPeerCleanup();

let build: CliBuild;
let cert: CertInfo;
let client: CertInfo;
beforeAll(async () => {
  [build, cert, client] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' }), makeCert({ keyType: 'p256', cn: 'pha cli client', san: [], tag: 'pha-cli' })]);
});

async function startPuretlsServer(args: string[]) {
  const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', cert.certPath, '-key', cert.keyPath, ...args]);
  const m = await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000);
  return { srv, port: Number(m[1]) };
}

const PHA_CLIENT = () => ['-enable_pha', '-cert', client.certPath, '-key', client.keyPath, '-CAfile', cert.certPath];

describe('puretls s_server: c (SSL_verify_client_post_handshake)', () => {
  it('asks openssl s_client -enable_pha for its certificate: SSL_do_handshake -> 1, then the verified subject', async () => {
    const { srv, port } = await startPuretlsServer(['-naccept', '1', '-CAfile', client.certPath]);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_3', ...PHA_CLIENT()]);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    cli.write('ready\n');
    await srv.waitFor('ready');
    srv.write('c\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m);
    await srv.waitFor(/^Post-handshake authentication: client certificate CN ?= ?pha cli client$/m);
    await srv.waitFor(/^Verify return code: 0 \(ok\)$/m);
    // Two new tickets follow the authentication (SSL_set_num_tickets.pod).
    srv.write('after\n');
    await cli.waitFor('after');
    expect(cli.output().split('Post-Handshake New Session Ticket arrived').length - 1).toBe(4);
    cli.write('Q\n');
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });

  it('a client that did not offer it: "Failed to initiate request" and the reason; the connection goes on', async () => {
    const { srv, port } = await startPuretlsServer(['-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_3', '-CAfile', cert.certPath]);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    cli.write('ready\n');
    await srv.waitFor('ready');
    srv.write('c\n');
    await srv.waitFor(/^Failed to initiate request$/m);
    await srv.waitFor(/^puretls: c: ERR_TLS_INVALID_STATE: verifyClientPostHandshake: the client did not send post_handshake_auth$/m);
    srv.write('still here\n');
    await cli.waitFor('still here');
    cli.write('Q\n');
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });
});

describe('puretls s_server -www: GET /secret', () => {
  it('asks for a certificate after the handshake and answers with the verified subject', async () => {
    const { srv, port } = await startPuretlsServer(['-www', '-naccept', '1', '-CAfile', client.certPath]);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_3', '-ign_eof', ...PHA_CLIENT()], 'GET /secret HTTP/1.0\r\n\r\n');
    await cli.waitFor(/the secret: puretls post-handshake authentication works/);
    expect(cli.stdout()).toMatch(/^HTTP\/1\.0 200 ok\r?$/m);
    expect(cli.stdout()).toMatch(/^Client certificate subject: CN ?= ?pha cli client$/m);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });

  it('a certificate that does not verify (no -CAfile for it): 403 with the verify return code', async () => {
    const { srv, port } = await startPuretlsServer(['-www', '-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_3', '-ign_eof', ...PHA_CLIENT()], 'GET /secret HTTP/1.0\r\n\r\n');
    await cli.waitFor(/no verified client certificate: CN ?= ?pha cli client: verify return code [1-9]/);
    expect(cli.stdout()).toMatch(/^HTTP\/1\.0 403 Forbidden\r?$/m);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });

  it('TLS 1.2: refused (post-handshake authentication is TLS 1.3 only)', async () => {
    const { srv, port } = await startPuretlsServer(['-www', '-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_2', '-ign_eof', ...PHA_CLIENT()], 'GET /secret HTTP/1.0\r\n\r\n');
    await cli.waitFor(/no verified client certificate: ERR_TLS_INVALID_STATE: verifyClientPostHandshake: TLS 1\.3 only/);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });
});

describe('puretls s_client -enable_pha against openssl s_server', () => {
  it('answers c with its -cert: openssl verifies our chain, then sends its tickets', async () => {
    const srv = await startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3', '-naccept', '1', '-CAfile', client.certPath, '-msg']);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-servername', 'localhost', ...PHA_CLIENT()]);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    cli.write('hello\n');
    await srv.waitFor('hello');
    srv.write('c\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m);
    await srv.waitFor(/depth=0 CN ?= ?pha cli client/);
    await srv.waitFor(/verify return:1/);
    cli.write('after\n');
    await srv.waitFor('after');
    const log = srv.output();
    const tail = log.slice(log.search(/^>>> .*CertificateRequest$/m));
    expect(tail).toMatch(/<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], Certificate\n[\s\S]*<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], CertificateVerify\n[\s\S]*<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], Finished/);
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });
});
