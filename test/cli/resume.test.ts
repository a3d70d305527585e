/**
 * `puretls s_client` session resumption against `openssl s_server -tls1_3`
 * (two tickets after each full handshake): -sess_out writes the latest
 * session as PEM, -sess_in resumes it, -reconnect resumes 5 times; bad
 * -sess_in files are one-line usage errors. Readiness comes from output,
 * never from sleeps; installPeerCleanup kills every child after each test.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { installPeerCleanup, startOpensslServer } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { buildCli, runToEnd, spawnCli, type CliBuild } from './support.js';

installPeerCleanup();

let build: CliBuild;
let cert: CertInfo;
let dir: string;
beforeAll(async () => {
  [build, cert] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' })]);
  dir = makeTempDir('puretls-cli-resume-');
});

const PEM = /^-----BEGIN PURETLS SESSION-----\n((?:[A-Za-z0-9+/=]{1,64}\n)+)-----END PURETLS SESSION-----\n$/;

/** openssl s_server -tls1_3, accepting any number of connections (stopped after the test). */
function opensslServer(): ReturnType<typeof startOpensslServer> {
  return startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3']);
}

function clientArgs(port: number, ...more: string[]): string[] {
  return ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-servername', 'localhost', ...more];
}

/** `n` occurrences of a whole line matching `line` (a regexp source without anchors). */
function times(line: string, n: number): RegExp {
  return new RegExp(`(?:^${line}$[\\s\\S]*?){${n}}`, 'm');
}

describe('puretls s_client -sess_out / -sess_in <-> openssl s_server -tls1_3', () => {
  it('-sess_out writes the latest session as PEM; -sess_in resumes it: Reused, TLSv1.3', async () => {
    const file = join(dir, 'one.sess');
    const srv = await opensslServer();
    const first = spawnCli(build, clientArgs(srv.port, '-sess_out', file));
    await first.waitFor(/^Verify return code: 0 \(ok\)$/m);
    expect(first.stdout()).toMatch(/^New, TLSv1\.3, Cipher is TLS_\w+$/m);
    // openssl sends two tickets; both are printed, the file holds the latest
    await first.waitFor(times('Post-Handshake New Session Ticket arrived:', 2));
    expect(first.stdout()).toMatch(/^ {4}TLS session ticket lifetime hint: 7200 \(seconds\)$/m);
    first.write('Q\n');
    expect((await first.waitForExit(10_000)).code).toBe(0);

    const pem = readFileSync(file, 'utf8');
    const m = PEM.exec(pem);
    expect(m, pem).not.toBeNull();
    expect(m![1]!.split('\n').slice(0, -2).every((l) => l.length === 64)).toBe(true);
    const session = Session.fromBytes(new Uint8Array(Buffer.from(m![1]!.replace(/\n/g, ''), 'base64')));
    expect(session.serverName).toBe('localhost');
    expect(session.lifetimeSeconds).toBe(7200);
    expect(session.isResumable(Date.now())).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0); // a secret: not readable by others

    const mark = srv.mark();
    const second = spawnCli(build, clientArgs(srv.port, '-sess_in', file));
    await second.waitFor(/^Verify return code: /m);
    const out = second.stdout();
    expect(out).toMatch(/^Reused, TLSv1\.3, Cipher is TLS_\w+$/m);
    expect(out).toMatch(/^Verify return code: 0 \(ok\)$/m);
    expect(out).toMatch(/^subject=CN ?= ?localhost$/m); // the certificate, from the session
    await srv.waitFor(/^Reused session-id$/m, 10_000, mark);
    second.write('resumed hello\n');
    await srv.waitFor(/resumed hello/, 10_000, mark);
    srv.write('resumed answer\n');
    await second.waitFor(/resumed answer/);
    second.write('Q\n');
    expect((await second.waitForExit(10_000)).code).toBe(0);
  });

  it('-sess_in and -sess_out may name the same file: it is read first, then replaced', async () => {
    const file = join(dir, 'same.sess');
    const srv = await opensslServer();
    const first = spawnCli(build, clientArgs(srv.port, '-sess_out', file));
    await first.waitFor(times('Post-Handshake New Session Ticket arrived:', 2));
    first.write('Q\n');
    expect((await first.waitForExit(10_000)).code).toBe(0);
    const before = readFileSync(file, 'utf8');

    const second = spawnCli(build, clientArgs(srv.port, '-sess_in', file, '-sess_out', file));
    await second.waitFor(/^Reused, TLSv1\.3, /m);
    // a resumed connection gets a new ticket from openssl, which replaces the file
    await second.waitFor(/^Post-Handshake New Session Ticket arrived:$/m);
    second.write('Q\n');
    expect((await second.waitForExit(10_000)).code).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(after).toMatch(PEM);
    expect(after).not.toBe(before);
  });

  it('-reconnect: 5 times "drop connection and then reconnect", each Reused; then the last connection carries data', async () => {
    const srv = await opensslServer();
    const cli = spawnCli(build, clientArgs(srv.port, '-reconnect'));
    await cli.waitFor(times('Verify return code: 0 \\(ok\\)', 6), 20_000);
    const out = cli.stdout();
    expect(out.match(/^drop connection and then reconnect$/gm)).toHaveLength(5);
    expect(out.match(/^CONNECTED\(00000003\)$/gm)).toHaveLength(6);
    expect(out.match(/^New, TLSv1\.3, Cipher is /gm)).toHaveLength(1);
    expect(out.match(/^Reused, TLSv1\.3, Cipher is TLS_\w+$/gm)).toHaveLength(5);
    // the order: New first, then drop / Reused, five times
    const events = out.match(/^(New|Reused), TLSv1\.3|^drop connection and then reconnect$/gm)!;
    expect(events).toEqual(['New, TLSv1.3', ...Array.from({ length: 5 }, () => ['drop connection and then reconnect', 'Reused, TLSv1.3']).flat()]);
    await srv.waitFor(times('Reused session-id', 5));

    cli.write('after the reconnects\n');
    await srv.waitFor(/after the reconnects/);
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });

  it('-reconnect with -sess_in: all six connections are resumed', async () => {
    const file = join(dir, 'reconnect.sess');
    const srv = await opensslServer();
    const first = spawnCli(build, clientArgs(srv.port, '-sess_out', file));
    await first.waitFor(/^Post-Handshake New Session Ticket arrived:$/m);
    first.write('Q\n');
    expect((await first.waitForExit(10_000)).code).toBe(0);

    const cli = spawnCli(build, clientArgs(srv.port, '-sess_in', file, '-reconnect'));
    await cli.waitFor(times('Verify return code: 0 \\(ok\\)', 6), 20_000);
    expect(cli.stdout().match(/^Reused, TLSv1\.3, /gm)).toHaveLength(6);
    expect(cli.stdout()).not.toMatch(/^New, TLSv1\.3/m);
    cli.write('Q\n');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });
});

describe('puretls s_client: bad -sess_in / -sess_out, one line and exit 1', () => {
  async function fails(args: string[], message: RegExp): Promise<void> {
    const r = await runToEnd(build.bin, args, { cwd: dir });
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\s+at .+:\d+:\d+/);
    expect(r.stdout).not.toMatch(/CONNECTED/); // checked before any connection
  }

  it('a missing file', async () => {
    await fails(['s_client', '-connect', '127.0.0.1:1', '-sess_in', 'nope.sess'], /^puretls: cannot read -sess_in nope\.sess: ENOENT$/);
  });

  it('a file without a PURETLS SESSION block (e.g. an OpenSSL session)', async () => {
    const f = join(dir, 'openssl.sess');
    writeFileSync(f, '-----BEGIN SSL SESSION PARAMETERS-----\nMIIB\n-----END SSL SESSION PARAMETERS-----\n');
    await fails(['s_client', '-connect', '127.0.0.1:1', '-sess_in', f], /^puretls: -sess_in .*openssl\.sess: no PURETLS SESSION PEM block in the file/);
  });

  it('a block that is not base64, and one that is not a session', async () => {
    const bad64 = join(dir, 'bad64.sess');
    writeFileSync(bad64, '-----BEGIN PURETLS SESSION-----\n!!!not base64!!!\n-----END PURETLS SESSION-----\n');
    await fails(['s_client', '-connect', '127.0.0.1:1', '-sess_in', bad64], /^puretls: -sess_in .*bad64\.sess: the PURETLS SESSION block is not base64$/);
    const garbage = join(dir, 'garbage.sess');
    writeFileSync(garbage, `-----BEGIN PURETLS SESSION-----\n${Buffer.from('definitely not a session').toString('base64')}\n-----END PURETLS SESSION-----\n`);
    await fails(['s_client', '-connect', '127.0.0.1:1', '-sess_in', garbage], /^puretls: -sess_in .*garbage\.sess: not a valid puretls session/);
  });

  it('-sess_out in a directory that does not exist', async () => {
    await fails(['s_client', '-connect', '127.0.0.1:1', '-sess_out', join(dir, 'no', 'such', 'dir', 'x.sess')], /^puretls: cannot write -sess_out .*x\.sess: ENOENT$/);
  });
});
