/**
 * TLS 1.2 at the command line against openssl 3.0: renegotiation typed as
 * R / r on either side (OpenSSL 3's policy: a server refuses a client's
 * renegotiation unless -client_renegotiation), -no_renegotiation, -cipher,
 * and -sess_out / -sess_in / -reconnect with a TLS 1.2 session.
 *
 * openssl's commands (seen here, OpenSSL 3.0.19; see test/helpers/peers.ts):
 * s_client `R` prints "RENEGOTIATING" (stderr) and renegotiates in full; it
 * has no `r` (sent as data). s_server `r` and `R` send a HelloRequest and
 * print "SSL_do_handshake -> 1" (R also sets SSL_VERIFY_PEER; a client
 * resuming its session gets no CertificateRequest), and drop the rest of
 * that stdin read: each command is written alone, and the next write waits
 * for the renegotiation to show. Commands are off under -quiet / -ign_eof.
 * Readiness comes from output, never from sleeps; installPeerCleanup stops
 * every process after each test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { buildCli, spawnCli, type CliBuild } from './support.js';

installPeerCleanup();

let build: CliBuild;
let ec: CertInfo;
let rsa: CertInfo;
beforeAll(async () => {
  [build, ec, rsa] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' }), makeCert({ keyType: 'rsa2048' })]);
});

/** A -msg line (both tools print them alike). */
const hs = (dir: '<<<' | '>>>', name: string): string => `^${dir} TLS 1\\.2, Handshake \\[length [0-9a-f]{4}\\], ${name}$`;
/** `n` occurrences of a whole line matching `line` (a regexp source without anchors, or with them). */
function times(line: string, n: number): RegExp {
  const l = line.startsWith('^') ? line : `^${line}$`;
  return new RegExp(`(?:${l}[\\s\\S]*?){${n}}`, 'm');
}
function count(text: string, line: string): number {
  return [...text.matchAll(new RegExp(line.startsWith('^') ? line : `^${line}$`, 'gm'))].length;
}

/** puretls s_server -accept 0 ...; resolves with the port from its ACCEPT line. */
async function puretlsServer(cert: CertInfo, args: string[]): Promise<{ srv: PeerHandle; port: number }> {
  const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', cert.certPath, '-key', cert.keyPath, ...args]);
  const m = await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000);
  return { srv, port: Number(m[1]) };
}

function puretlsClient(port: number, cert: CertInfo, ...args: string[]): PeerHandle {
  return spawnCli(build, ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-servername', 'localhost', ...args]);
}

describe('openssl s_client -tls1_2 <-> puretls s_server -tls1_2: R', () => {
  it('refused by default, as OpenSSL 3: a no_renegotiation warning; s_client fails, our server carries on', async () => {
    const { srv, port } = await puretlsServer(ec, ['-tls1_2', '-msg']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_2', '-msg']);
    await cli.waitFor(/^ {4}Verify return code: /m); // TLS 1.2: inside the SSL-Session block
    await srv.waitFor(/^Secure Renegotiation IS supported$/m);
    const mark = srv.mark();
    cli.write('R\n');
    await cli.waitFor(/^RENEGOTIATING$/m);
    expect((await cli.waitForExit(10_000)).code).not.toBe(0);
    expect(cli.output()).toMatch(/no renegotiation/);
    expect(cli.stdout()).toMatch(/^<<< TLS 1\.2, Alert \[length 0002\], warning no_renegotiation$/m);
    await srv.waitFor(/^CONNECTION CLOSED$/m, 10_000, mark);
    const s = srv.stdout().slice(mark.stdout);
    expect(s).toMatch(new RegExp(hs('<<<', 'ClientHello'), 'm'));
    expect(s).toMatch(/^>>> TLS 1\.2, Alert \[length 0002\], warning no_renegotiation$/m);
    expect(s).not.toMatch(new RegExp(hs('>>>', 'ServerHello'), 'm'));
    await srv.waitFor(/^puretls: connection failed: .*handshake[_ ]failure/m); // stderr
    expect(srv.exitInfo()).toBeNull(); // still serving
  });

  it('-client_renegotiation: R is a second full handshake (-msg shows a second ClientHello); data before and after; our r sends a HelloRequest', async () => {
    const { srv, port } = await puretlsServer(ec, ['-tls1_2', '-msg', '-client_renegotiation', '-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_2', '-msg']);
    await cli.waitFor(/^ {4}Verify return code: /m); // TLS 1.2: inside the SSL-Session block
    cli.write('before\n');
    await srv.waitFor(/^before$/m);

    cli.write('R\n');
    await cli.waitFor(/^RENEGOTIATING$/m);
    await srv.waitFor(times(hs('<<<', 'Finished'), 2));
    const s = srv.stdout();
    expect(count(s, hs('<<<', 'ClientHello'))).toBe(2);
    expect(count(s, hs('>>>', 'Certificate'))).toBe(2); // a full handshake: the certificate again
    expect(s).not.toMatch(/no_renegotiation/);
    cli.write('after\n');
    await srv.waitFor(/^after$/m);

    // our server's r: a HelloRequest, OpenSSL's line; openssl answers (resuming its session)
    const mark = srv.mark();
    srv.write('r\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, 10_000, mark);
    await srv.waitFor(new RegExp(hs('<<<', 'Finished'), 'm'), 10_000, mark);
    const after = srv.stdout().slice(mark.stdout);
    expect(after).toMatch(new RegExp(`${hs('>>>', 'HelloRequest')}\\nSSL_do_handshake -> 1$`, 'm'));
    expect(after).toMatch(new RegExp(hs('<<<', 'ClientHello'), 'm'));
    await cli.waitFor(new RegExp(hs('<<<', 'HelloRequest'), 'm')); // its stdout may lag what our server saw
    srv.write('from the server\n');
    await cli.waitFor(/from the server/);

    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });
});

describe('puretls s_client -tls1_2 <-> openssl s_server -tls1_2', () => {
  it('-client_renegotiation: R renegotiates in full, r abbreviated (the session resumed); data after each; s_server R sends a HelloRequest', async () => {
    const srv = await startOpensslServer(['-cert', ec.certPath, '-key', ec.keyPath, '-tls1_2', '-client_renegotiation', '-msg', '-naccept', '1']);
    const cli = puretlsClient(srv.port, ec, '-tls1_2', '-msg');
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    const first = cli.stdout();
    expect(first).toMatch(/^New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)$/m);
    expect(first).toMatch(/^Secure Renegotiation IS supported$/m);
    expect(first).toMatch(/^ {4}Extended master secret: yes$/m);

    let mark = cli.mark();
    cli.write('R\n');
    await cli.waitFor(/^RENEGOTIATING$/m, 10_000, mark);
    await cli.waitFor(new RegExp(hs('<<<', 'Finished'), 'm'), 10_000, mark);
    let out = cli.stdout().slice(mark.stdout);
    expect(out).toMatch(new RegExp(hs('>>>', 'ClientHello'), 'm'));
    expect(out).toMatch(new RegExp(hs('<<<', 'Certificate'), 'm'));
    expect(out).toMatch(new RegExp(hs('>>>', 'ClientKeyExchange'), 'm'));
    cli.write('after R\n');
    await srv.waitFor(/^after R$/m);
    expect(count(srv.stdout(), '<<< TLS 1\\.[23], Handshake \\[length [0-9a-f]{4}\\], ClientHello')).toBe(2);

    mark = cli.mark();
    cli.write('r\n');
    await cli.waitFor(/^RENEGOTIATING$/m, 10_000, mark);
    await cli.waitFor(new RegExp(hs('>>>', 'Finished'), 'm'), 10_000, mark);
    out = cli.stdout().slice(mark.stdout);
    // abbreviated: ServerHello, then straight to Finished (no certificate, no key exchange)
    expect(out).toMatch(new RegExp(`${hs('<<<', 'ServerHello')}\\n(?:${hs('<<<', 'NewSessionTicket').slice(1)}\\n)?${hs('<<<', 'Finished').slice(1)}`, 'm'));
    expect(out).not.toMatch(/Certificate|KeyExchange/);
    cli.write('after r\n');
    await srv.waitFor(/^after r$/m);

    // openssl's R (server): a HelloRequest; our client renegotiates at once
    mark = cli.mark();
    srv.write('R\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m);
    await cli.waitFor(new RegExp(hs('>>>', 'Finished'), 'm'), 10_000, mark);
    expect(cli.stdout().slice(mark.stdout)).toMatch(new RegExp(hs('<<<', 'HelloRequest'), 'm'));
    srv.write('still here\n');
    await cli.waitFor(/still here/);

    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });

  it('without -client_renegotiation: R is refused (no_renegotiation); s_client fails with one line, exit 1', async () => {
    const srv = await startOpensslServer(['-cert', ec.certPath, '-key', ec.keyPath, '-tls1_2', '-naccept', '1']);
    const cli = puretlsClient(srv.port, ec, '-tls1_2', '-msg');
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    cli.write('R\n');
    expect((await cli.waitForExit(10_000)).code).toBe(1);
    expect(cli.stderr()).toMatch(/^RENEGOTIATING$/m);
    expect(cli.stdout()).toMatch(/^<<< TLS 1\.2, Alert \[length 0002\], warning no_renegotiation$/m);
    expect(cli.stderr()).toMatch(/^puretls: s_client: connection with 127\.0\.0\.1:\d+ failed: .*refused to renegotiate/m);
  });

  it('-no_renegotiation: a HelloRequest gets a no_renegotiation warning (openssl then fails the connection)', async () => {
    const srv = await startOpensslServer(['-cert', ec.certPath, '-key', ec.keyPath, '-tls1_2', '-msg', '-naccept', '1']);
    const cli = puretlsClient(srv.port, ec, '-msg', '-no_renegotiation');
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    srv.write('r\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m);
    await srv.waitFor(/^<<< TLS 1\.2, Alert \[length 0002\], warning no_renegotiation$/m);
    expect((await cli.waitForExit(10_000)).code).toBe(1);
    expect(cli.stdout()).toMatch(/^>>> TLS 1\.2, Alert \[length 0002\], warning no_renegotiation$/m);
    expect(cli.stdout()).not.toMatch(new RegExp(`${hs('<<<', 'HelloRequest')}\\n${hs('>>>', 'ClientHello').slice(1)}`, 'm'));
  });

  it('-cipher ECDHE-RSA-AES128-GCM-SHA256 picks that suite (an RSA server offering all of its own)', async () => {
    const srv = await startOpensslServer(['-cert', rsa.certPath, '-key', rsa.keyPath, '-naccept', '1']);
    const cli = puretlsClient(srv.port, rsa, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256');
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
    expect(cli.stdout()).toMatch(/^New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256$/m);
    expect(cli.stdout()).toMatch(/^ {4}Cipher {4}: ECDHE-RSA-AES128-GCM-SHA256$/m);
    await srv.waitFor(/^CIPHER is ECDHE-RSA-AES128-GCM-SHA256$/m);
    expect(srv.stdout()).toMatch(/^Shared ciphers:ECDHE-RSA-AES128-GCM-SHA256$/m); // the only one we offered
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });

  it('-sess_out writes the TLS 1.2 session; -sess_in resumes it: Reused, TLSv1.2 (openssl: Reused session-id)', async () => {
    const file = join(makeTempDir('puretls-cli-sess12-'), 'tls12.sess');
    const srv = await startOpensslServer(['-cert', ec.certPath, '-key', ec.keyPath, '-tls1_2']);
    const first = puretlsClient(srv.port, ec, '-sess_out', file);
    await first.waitFor(/^Verify return code: 0 \(ok\)$/m);
    expect(first.stdout()).toMatch(/^New, TLSv1\.2, Cipher is /m);
    expect(first.stdout()).not.toMatch(/Post-Handshake New Session Ticket/); // a TLS 1.3 block only
    first.write('Q\n');
    expect((await first.waitForExit(10_000)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PURETLS SESSION-----\n/);

    const mark = srv.mark();
    const second = puretlsClient(srv.port, ec, '-sess_in', file);
    await second.waitFor(/^Verify return code: /m);
    expect(second.stdout()).toMatch(/^Reused, TLSv1\.2, Cipher is ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)$/m);
    expect(second.stdout()).toMatch(/^Verify return code: 0 \(ok\)$/m);
    await srv.waitFor(/^Reused session-id$/m, 10_000, mark);
    second.write('resumed at 1.2\n');
    await srv.waitFor(/resumed at 1\.2/, 10_000, mark);
    second.write('Q\n');
    expect((await second.waitForExit(10_000)).code).toBe(0);
  });

  it('-reconnect at TLS 1.2: New, then 5 times Reused (the session ID), without waiting for tickets', async () => {
    const srv = await startOpensslServer(['-cert', ec.certPath, '-key', ec.keyPath, '-tls1_2']);
    const started = Date.now();
    const cli = puretlsClient(srv.port, ec, '-reconnect');
    await cli.waitFor(times('Verify return code: 0 \\(ok\\)', 6), 20_000);
    expect(Date.now() - started).toBeLessThan(5_000); // no 1 s ticket wait per connection
    const events = cli.stdout().match(/^(New|Reused), TLSv1\.2|^drop connection and then reconnect$/gm)!;
    expect(events).toEqual(['New, TLSv1.2', ...Array.from({ length: 5 }, () => ['drop connection and then reconnect', 'Reused, TLSv1.2']).flat()]);
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });
});

describe('puretls s_server -cipher <-> openssl s_client', () => {
  it('the server takes only the suite -cipher lists; -ciphersuites still sets TLS 1.3', async () => {
    const { srv, port } = await puretlsServer(rsa, ['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']);
    const c12 = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_2']);
    await c12.waitFor(/^New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256$/m);
    c12.write('Q\n');
    await c12.waitForExit(10_000);
    const c13 = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-tls1_3']);
    await c13.waitFor(/^New, TLSv1\.3, Cipher is TLS_CHACHA20_POLY1305_SHA256$/m);
    c13.write('Q\n');
    await c13.waitForExit(10_000);
    srv.write('Q\n');
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });
});
