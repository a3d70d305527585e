/**
 * The command line's user mistakes and help, through `node bin/puretls.js`:
 * one line on stderr, `puretls: ...`, exit 1, no stack trace.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_FLAGS, SERVER_FLAGS } from '../../src/cli/args.js';
import { generateSelfSigned } from '../../src/cli/certgen.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { installPeerCleanup } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { buildCli, runToEnd, type CliBuild } from './support.js';

installPeerCleanup();

let build: CliBuild;
let dir: string;
beforeAll(async () => {
  build = await buildCli();
  dir = makeTempDir('puretls-cli-usage-');
});

async function fails(args: string[], message: RegExp): Promise<void> {
  const r = await runToEnd(build.bin, args, { cwd: dir });
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^puretls: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\s+at .+:\d+:\d+/); // no stack trace
}

describe('puretls: bad use', () => {
  it('s_server: a missing -cert file', async () => {
    await fails(['s_server', '-accept', '0', '-cert', 'nope.pem', '-key', 'nope.key'], /^puretls: cannot read -cert nope\.pem: ENOENT$/);
  });

  it('s_server: the default -cert server.pem missing', async () => {
    await fails(['s_server', '-accept', '0'], /^puretls: cannot read -cert server\.pem: ENOENT$/);
  });

  it('s_server: a bad port', async () => {
    await fails(['s_server', '-accept', '99999', '-cert', 'x.pem'], /-accept: bad port '99999'/);
    await fails(['s_server', '-accept', '127.0.0.1:http', '-cert', 'x.pem'], /-accept: bad port 'http'/);
  });

  it('s_client: a bad port, and a missing port', async () => {
    await fails(['s_client', '-connect', '127.0.0.1:70000'], /-connect: bad port '70000'/);
    await fails(['s_client', '-connect', 'localhost'], /-connect: expected HOST:PORT, got 'localhost'/);
  });

  it('an unknown flag', async () => {
    await fails(['s_client', '-bogus'], /s_client: unknown option -bogus/);
    await fails(['s_server', '-nope', '1'], /s_server: unknown option -nope/);
  });

  it('a flag without its value', async () => {
    await fails(['s_client', '-connect'], /-connect needs a value/);
  });

  it('an unknown command', async () => {
    await fails(['x_client'], /unknown command 'x_client'/);
  });

  it('a missing -CAfile', async () => {
    await fails(['s_client', '-connect', '127.0.0.1:1', '-CAfile', 'ca.pem'], /^puretls: cannot read -CAfile ca\.pem: ENOENT$/);
  });

  it('a -cert file without a certificate', async () => {
    writeFileSync(join(dir, 'empty.pem'), 'nothing here\n');
    await fails(['s_server', '-accept', '0', '-cert', 'empty.pem'], /-cert empty\.pem: no PEM certificate/);
  });

  it('a key that does not match the certificate', async () => {
    const a = generateSelfSigned(nobleProvider());
    const b = generateSelfSigned(nobleProvider());
    writeFileSync(join(dir, 'a.crt'), a.certPem);
    writeFileSync(join(dir, 'b.key'), b.keyPem);
    await fails(['s_server', '-accept', '0', '-cert', 'a.crt', '-key', 'b.key'], /^puretls: s_server: .*does not match the certificate/);
  });

  it('a -CAfile without certificates', async () => {
    writeFileSync(join(dir, 'notca.pem'), generateSelfSigned(nobleProvider()).keyPem);
    await fails(['s_client', '-connect', '127.0.0.1:1', '-CAfile', 'notca.pem'], /^puretls: -CAfile notca\.pem: no PEM certificate in the file$/);
  });

  it('connection refused is one line too', async () => {
    // port 1 on loopback: nothing listens there (and nobody may bind it without root... we check the message only)
    const r = await runToEnd(build.bin, ['s_client', '-connect', '127.0.0.1:1'], { cwd: dir });
    if (r.code === 1) {
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^puretls: s_client: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED/);
    }
  });
});

describe('puretls: refused on purpose, said plainly', () => {
  it.each([
    [['s_client', '-legacy_renegotiation'], /^puretls: -legacy_renegotiation: unsafe legacy renegotiation is not supported \(puretls renegotiates only with RFC 5746 secure renegotiation\)$/],
    [['s_server', '-accept', '0', '-legacy_renegotiation'], /^puretls: -legacy_renegotiation: unsafe legacy renegotiation is not supported/],
    [['s_client', '-legacy_server_connect'], /^puretls: -legacy_server_connect: servers without RFC 5746 secure renegotiation are not supported/],
    [['s_server', '-accept', '0', '-legacy_server_connect'], /^puretls: -legacy_server_connect: servers without RFC 5746 secure renegotiation are not supported/],
  ])('%j', async (args, message) => {
    await fails(args, message);
  });
});

describe('puretls: version and cipher flags', () => {
  it.each([
    [['s_client', '-tls1_2', '-tls1_3'], /-tls1_2 and -tls1_3 cannot be used together/],
    [['s_client', '-tls1_2', '-no_tls1_2'], /-tls1_2 and -no_tls1_2 leave no protocol version/],
    [['s_client', '-no_tls1_2', '-no_tls1_3'], /-no_tls1_2 and -no_tls1_3 leave no protocol version/],
    [['s_client', '-cipher', 'TLS_AES_128_GCM_SHA256'], /-cipher: 'TLS_AES_128_GCM_SHA256' is a TLS 1\.3 suite .*use -ciphersuites/],
    [['s_client', '-cipher', 'AES128-SHA'], /-cipher: 'AES128-SHA' selects no TLS 1\.2 suite puretls implements \(.*ECDHE-RSA-AES128-GCM-SHA256/],
    [['s_client', '-cipher', 'NOPE'], /-cipher: 'NOPE' matches no cipher/],
  ])('%j', async (args, message) => {
    await fails(args, message);
  });
});

describe('puretls -help', () => {
  it('lists the commands', async () => {
    const r = await runToEnd(build.bin, ['-help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/s_client/);
    expect(r.stdout).toMatch(/s_server/);
    expect(r.stdout).toMatch(/demo/);
  });

  it.each([
    ['s_client', CLIENT_FLAGS],
    ['s_server', SERVER_FLAGS],
  ] as const)('%s -help lists every flag, one line each', async (cmd, flags) => {
    const r = await runToEnd(build.bin, [cmd, '-help']);
    expect(r.code).toBe(0);
    for (const f of flags) {
      const lines = r.stdout.split('\n').filter((l) => l.trimStart().startsWith(`-${f.name} `) || l.trim() === `-${f.name}`);
      expect(lines, `-${f.name}`).toHaveLength(1);
    }
  });

  it('DESIGN.md\'s flags are all there', () => {
    const names = (specs: readonly { name: string }[]) => specs.map((s) => s.name);
    expect(names(SERVER_FLAGS)).toEqual(
      expect.arrayContaining(['accept', 'cert', 'key', 'CAfile', 'verify', 'Verify', 'tls1_2', 'tls1_3', 'www', 'num_tickets', 'no_ticket', 'client_renegotiation', 'alpn', 'ciphersuites', 'cipher', 'groups', 'keylogfile', 'msg', 'naccept', 'quiet']),
    );
    // issue 15: TLS 1.2 and renegotiation
    expect(names(SERVER_FLAGS)).toEqual(
      expect.arrayContaining(['no_tls1_2', 'no_tls1_3', 'no_renegotiation', 'legacy_renegotiation', 'legacy_server_connect']),
    );
    expect(names(CLIENT_FLAGS)).toEqual(
      expect.arrayContaining(['no_tls1_2', 'no_tls1_3', 'cipher', 'ciphersuites', 'no_renegotiation', 'legacy_renegotiation', 'legacy_server_connect']),
    );
    expect(names(CLIENT_FLAGS)).toEqual(
      expect.arrayContaining(['connect', 'servername', 'CAfile', 'cert', 'key', 'tls1_2', 'tls1_3', 'sess_out', 'sess_in', 'reconnect', 'alpn', 'keylogfile', 'msg', 'quiet']),
    );
  });
});
