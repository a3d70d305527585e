/**
 * `puretls s_client` <-> `puretls s_server`: client certificates, -msg on
 * both sides, Q; TLS 1.2 renegotiation typed as R / r on either side, and
 * what R / r print where there is none (TLS 1.3, -no_renegotiation).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeChain, type Chain } from '../helpers/keys.js';
import { installPeerCleanup, type PeerHandle } from '../helpers/peers.js';
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
    expect(cli.stderr()).toMatch(/^puretls: s_client: (handshake|connection) with 127\.0\.0\.1:\d+ failed: .*certificate[_ ]required/m);
    await srv.waitFor(/^puretls: handshake failed: .*/m);
    // still serving; Q with no connection stops it
    srv.write('Q\n');
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });
});

/** A -msg line of TLS 1.2. */
const hs = (dir: '<<<' | '>>>', name: string): string => `^${dir} TLS 1\\.2, Handshake \\[length [0-9a-f]{4}\\], ${name}$`;
/** An abbreviated handshake: ServerHello, (a renewed ticket,) Finished. */
const TICKET = `(?:${hs('>>>', 'NewSessionTicket').slice(1)}\\n)?`;
const count = (text: string, line: string): number => [...text.matchAll(new RegExp(line, 'gm'))].length;

async function pair(serverArgs: string[], clientArgs: string[]): Promise<{ srv: PeerHandle; cli: PeerHandle }> {
  const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', chain.chainPath, '-key', chain.leaf.keyPath, '-naccept', '1', ...serverArgs]);
  const port = Number((await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000))[1]);
  const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', chain.rootPath, '-servername', 'localhost', ...clientArgs]);
  await cli.waitFor(/^Verify return code: 0 \(ok\)$/m);
  await srv.waitFor(/^---$[\s\S]*^---$/m);
  return { srv, cli };
}

describe('puretls s_client <-> puretls s_server: TLS 1.2 renegotiation typed', () => {
  it('server R and r: a HelloRequest and "SSL_do_handshake -> 1"; the client renegotiates (offering its session); data after', async () => {
    const { srv, cli } = await pair(['-tls1_2', '-msg'], ['-msg']);
    expect(cli.stdout()).toMatch(/^New, TLSv1\.2, Cipher is ECDHE-ECDSA-CHACHA20-POLY1305$/m); // the @noble server's speed choice
    expect(srv.stdout()).toMatch(/^Secure Renegotiation IS supported$/m);
    for (const letter of ['R', 'r']) {
      const mark = srv.mark();
      const cmark = cli.mark();
      srv.write(`${letter}\n`);
      await srv.waitFor(new RegExp(hs('<<<', 'Finished'), 'm'), 10_000, mark);
      const s = srv.stdout().slice(mark.stdout);
      expect(s).toMatch(new RegExp(`${hs('>>>', 'HelloRequest')}\\nSSL_do_handshake -> 1$`, 'm'));
      expect(s).toMatch(new RegExp(`${hs('<<<', 'ClientHello')}\\n${hs('>>>', 'ServerHello').slice(1)}\\n${TICKET}${hs('>>>', 'Finished').slice(1)}`, 'm'));
      srv.write(`after ${letter}\n`);
      await cli.waitFor(new RegExp(`^after ${letter}$`, 'm'), 10_000, cmark);
      expect(cli.stdout().slice(cmark.stdout)).toMatch(new RegExp(`${hs('<<<', 'HelloRequest')}\\n${hs('>>>', 'ClientHello').slice(1)}`, 'm'));
      cli.write(`client after ${letter}\n`);
      await srv.waitFor(new RegExp(`^client after ${letter}$`, 'm'), 10_000, mark);
    }
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });

  it('-client_renegotiation: client R (full) and r (abbreviated) are accepted; -msg shows the second and third ClientHello', async () => {
    const { srv, cli } = await pair(['-tls1_2', '-msg', '-client_renegotiation'], ['-msg']);
    cli.write('R\n');
    await cli.waitFor(/^RENEGOTIATING$/m);
    cli.write('after R\n');
    await srv.waitFor(/^after R$/m);
    expect(count(srv.stdout(), hs('>>>', 'Certificate'))).toBe(2);
    const mark = srv.mark();
    cli.write('r\n');
    cli.write('after r\n');
    await srv.waitFor(/^after r$/m, 10_000, mark);
    const s = srv.stdout().slice(mark.stdout);
    expect(s).toMatch(new RegExp(`${hs('<<<', 'ClientHello')}\\n${hs('>>>', 'ServerHello').slice(1)}\\n${TICKET}${hs('>>>', 'Finished').slice(1)}`, 'm'));
    expect(s).not.toMatch(/Certificate/);
    expect(count(srv.stdout(), hs('<<<', 'ClientHello'))).toBe(3);
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });

  it('-no_renegotiation on the server beats -client_renegotiation: "Renegotiation is DISABLED", client R refused, server r not sent', async () => {
    const { srv, cli } = await pair(['-tls1_2', '-msg', '-client_renegotiation', '-no_renegotiation'], []);
    expect(srv.stdout()).toMatch(/^Renegotiation is DISABLED$/m);
    srv.write('r\n');
    await srv.waitFor(/^puretls: renegotiation is disabled \(-no_renegotiation\)$/m);
    await srv.waitFor(/^SSL_do_handshake -> 1$/m); // stdout: may come after the stderr line
    expect(srv.stdout()).not.toMatch(/HelloRequest/);
    cli.write('R\n');
    expect((await cli.waitForExit(10_000)).code).toBe(1);
    expect(cli.stderr()).toMatch(/^puretls: s_client: connection with .* failed: .*refused to renegotiate/m);
    await srv.waitFor(/^>>> TLS 1\.2, Alert \[length 0002\], warning no_renegotiation$/m);
  });

  it('TLS 1.3: R / r print what openssl prints, one puretls line, and the connection goes on', async () => {
    const { srv, cli } = await pair(['-tls1_3'], ['-no_renegotiation']);
    srv.write('R\n');
    await srv.waitFor(/^puretls: renegotiation is not possible on TLS 1\.3/m);
    await srv.waitFor(/^SSL_do_handshake -> 1$/m);
    cli.write('r\n');
    await cli.waitFor(/^puretls: renegotiation is disabled \(-no_renegotiation\)$/m);
    expect(cli.stderr()).toMatch(/^RENEGOTIATING$/m);
    cli.write('still here\n');
    await srv.waitFor(/^still here$/m);
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });
});
