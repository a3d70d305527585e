/**
 * `puretls s_server` session tickets on the command line, seen by real
 * clients: -num_tickets N and -no_ticket (NewSessionTicket lines of
 * `openssl s_client -msg`), typed `n`, one ticket after a resumption,
 * `openssl s_client -sess_out / -sess_in` and `gnutls-cli --resume` resuming
 * against our server (TLS 1.3 and 1.2), and `puretls s_client -sess_out /
 * -sess_in` against `puretls s_server`.
 *
 * "Everything the server sent after the handshake has arrived" is read from
 * the client's output: a marker line typed into our s_server goes out after
 * the tickets, so once the client prints it, the ticket count is final.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { countMatches, hasGnutls, installPeerCleanup, runOpensslClient, spawnPeer, type PeerHandle } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { buildCli, runToEnd, servedLine, settleThrough, spawnCli, startCliServer, type CliBuild } from './support.js';

installPeerCleanup();

const T = 8_000;
let build: CliBuild;
let cert: CertInfo;
let dir: string;
beforeAll(async () => {
  [build, cert] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' })]);
  dir = makeTempDir('puretls-cli-tickets-');
});

const TICKET13 = /^<<< TLS 1\.3, Handshake \[length [0-9a-f]{4}\], NewSessionTicket$/gm;
const TICKET12 = /^<<< TLS 1\.2, Handshake \[length [0-9a-f]{4}\], NewSessionTicket$/gm;
const DO_HANDSHAKE = /^SSL_do_handshake -> 1$/gm;

/** `openssl s_client -msg` to our server, verifying it. */
function sClient(port: number, ...args: string[]): PeerHandle {
  return runOpensslClient(['-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-servername', 'localhost', '-msg', ...args]);
}

/** Type a marker into our s_server; resolves once the client printed it. */
const settle = (srv: PeerHandle, cli: PeerHandle): Promise<void> => settleThrough(srv, (marker) => cli.waitFor(marker, T));

/** Our server's summary line of its next connection (New / Reused), after `mark`. */
const served = (srv: PeerHandle, mark = srv.mark()): Promise<string> => servedLine(srv, mark, T);

/** Q the client: close_notify, exit 0. */
async function quit(cli: PeerHandle): Promise<void> {
  cli.write('Q\n');
  expect((await cli.waitForExit(T)).code).toBe(0);
}

/** One openssl s_client connection at `version`: its NewSessionTicket count, once all have arrived. */
async function ticketsOf(srv: PeerHandle, port: number, version: '-tls1_3' | '-tls1_2', ...args: string[]): Promise<{ count: number; out: string; line: string }> {
  const mark = srv.mark();
  const cli = sClient(port, version, ...args);
  const line = await served(srv, mark);
  await settle(srv, cli);
  const out = cli.stdout();
  await quit(cli);
  return { count: countMatches(out, version === '-tls1_3' ? TICKET13 : TICKET12), out, line };
}

describe('puretls s_server -num_tickets / -no_ticket, counted by openssl s_client -msg', () => {
  it.each([
    { args: [] as string[], want: 2, what: 'default → 2 NewSessionTickets' },
    { args: ['-num_tickets', '0'], want: 0, what: '-num_tickets 0 → 0 NewSessionTickets' },
    { args: ['-num_tickets', '1'], want: 1, what: '-num_tickets 1 → 1 NewSessionTicket' },
    { args: ['-num_tickets', '5'], want: 5, what: '-num_tickets 5 → 5 NewSessionTickets' },
    { args: ['-no_ticket'], want: 0, what: '-no_ticket → 0 NewSessionTickets' },
    { args: ['-no_ticket', '-num_tickets', '3'], want: 0, what: '-no_ticket -num_tickets 3 → 0 NewSessionTickets' },
  ])('TLS 1.3, $what', async ({ args, want }) => {
    const { srv, port } = await startCliServer(build, cert, args);
    const r = await ticketsOf(srv, port, '-tls1_3');
    expect(r.line).toMatch(/^New, TLSv1\.3, /);
    expect(r.count, r.out).toBe(want);
  });

  it('TLS 1.2: one ticket in the handshake by default (-num_tickets is TLS 1.3 only), none with -no_ticket', async () => {
    const a = await startCliServer(build, cert, ['-num_tickets', '5']);
    const withTicket = await ticketsOf(a.srv, a.port, '-tls1_2');
    expect(withTicket.line).toMatch(/^New, TLSv1\.2, /);
    expect(withTicket.count, withTicket.out).toBe(1);
    const b = await startCliServer(build, cert, ['-no_ticket']);
    const without = await ticketsOf(b.srv, b.port, '-tls1_2');
    expect(without.count, without.out).toBe(0);
  });
});

describe('typed n: SSL_new_session_ticket, sent at once', () => {
  it('n three times: "SSL_do_handshake -> 1" three times, the client gets 2 + 3 tickets, data still flows', async () => {
    const { srv, port } = await startCliServer(build, cert);
    const mark = srv.mark();
    const cli = sClient(port, '-tls1_3');
    await served(srv, mark);
    await settle(srv, cli);
    expect(countMatches(cli.stdout(), TICKET13)).toBe(2);
    srv.write('n\nn\nn\n');
    await srv.waitFor(/^SSL_do_handshake -> 1\nSSL_do_handshake -> 1\nSSL_do_handshake -> 1$/m, T, mark);
    await settle(srv, cli);
    expect(countMatches(cli.stdout(), TICKET13), cli.stdout()).toBe(5);
    expect(srv.stderr()).not.toMatch(/puretls: n:/);
    cli.write('client line after the tickets\n');
    await srv.waitFor(/^client line after the tickets$/m, T);
    await quit(cli);
  });

  it('n on TLS 1.2: one error line, no ticket, the connection goes on', async () => {
    const { srv, port } = await startCliServer(build, cert);
    const mark = srv.mark();
    const cli = sClient(port, '-tls1_2');
    await served(srv, mark);
    srv.write('n\n');
    await srv.waitFor(/^puretls: n: /m, T);
    expect(srv.stderr()).toMatch(/^puretls: n: new session tickets after the handshake are TLS 1\.3 only \(this connection is TLSv1\.2; TLS 1\.2 sends its ticket in the handshake\)$/m);
    await settle(srv, cli);
    expect(countMatches(cli.stdout(), TICKET12), cli.stdout()).toBe(1); // the handshake's own
    expect(countMatches(srv.stdout(), DO_HANDSHAKE)).toBe(0);
    await quit(cli);
  });

  it('n with -no_ticket (TLS 1.3): one error line, no ticket', async () => {
    const { srv, port } = await startCliServer(build, cert, ['-no_ticket']);
    const mark = srv.mark();
    const cli = sClient(port, '-tls1_3');
    await served(srv, mark);
    srv.write('n\n');
    await srv.waitFor(/^puretls: n: -no_ticket: this server issues no session tickets$/m, T);
    await settle(srv, cli);
    expect(countMatches(cli.stdout(), TICKET13), cli.stdout()).toBe(0);
    await quit(cli);
  });
});

describe('openssl s_client -sess_out / -sess_in against puretls s_server', () => {
  it('TLS 1.3: Reused, and exactly one ticket after the resumption (also with -num_tickets 5)', async () => {
    const { srv, port } = await startCliServer(build, cert, ['-num_tickets', '5']);
    const file = join(dir, 'openssl13.sess');
    const first = await ticketsOf(srv, port, '-tls1_3', '-sess_out', file);
    expect(first.count).toBe(5);
    expect(first.out).toMatch(/^New, TLSv1\.3, Cipher is TLS_\w+$/m);
    const second = await ticketsOf(srv, port, '-tls1_3', '-sess_in', file);
    expect(second.out).toMatch(/^Reused, TLSv1\.3, Cipher is TLS_\w+$/m);
    expect(second.line).toMatch(/^Reused, TLSv1\.3, /);
    expect(second.count, second.out).toBe(1);
  });

  it('TLS 1.3, -num_tickets 0: a ticket from n resumes, and none follows the resumption (as OpenSSL: one at most, none with 0)', async () => {
    const { srv, port } = await startCliServer(build, cert, ['-num_tickets', '0']);
    const file = join(dir, 'openssl13-n.sess');
    const mark = srv.mark();
    const cli = sClient(port, '-tls1_3', '-sess_out', file);
    await served(srv, mark);
    srv.write('n\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, T, mark);
    await settle(srv, cli);
    expect(countMatches(cli.stdout(), TICKET13), cli.stdout()).toBe(1);
    await quit(cli);
    const second = await ticketsOf(srv, port, '-tls1_3', '-sess_in', file);
    expect(second.out).toMatch(/^Reused, TLSv1\.3, /m);
    expect(second.count, second.out).toBe(0);
  });

  it('TLS 1.2 (-tls1_2): a ticket, then Reused by it; with -no_ticket: no ticket, Reused by session ID', async () => {
    const { srv, port } = await startCliServer(build, cert);
    const file = join(dir, 'openssl12.sess');
    const first = await ticketsOf(srv, port, '-tls1_2', '-sess_out', file);
    expect(first.count).toBe(1);
    expect(first.out).toMatch(/^New, TLSv1\.2, Cipher is ECDHE-ECDSA-\S+$/m);
    const second = await ticketsOf(srv, port, '-tls1_2', '-sess_in', file);
    expect(second.out).toMatch(/^Reused, TLSv1\.2, Cipher is ECDHE-ECDSA-\S+$/m);
    expect(second.line).toMatch(/^Reused, TLSv1\.2, /);
    expect(second.count, second.out).toBe(0); // a good ticket is not renewed in TLS 1.2 (as OpenSSL)

    const b = await startCliServer(build, cert, ['-no_ticket']);
    const idFile = join(dir, 'openssl12-id.sess');
    const third = await ticketsOf(b.srv, b.port, '-tls1_2', '-sess_out', idFile);
    expect(third.count).toBe(0);
    const fourth = await ticketsOf(b.srv, b.port, '-tls1_2', '-sess_in', idFile);
    expect(fourth.out).toMatch(/^Reused, TLSv1\.2, /m);
    expect(fourth.count).toBe(0);
  });
});

describe.skipIf(!hasGnutls())('gnutls-cli --resume against puretls s_server', () => {
  it.each([
    { version: 'TLS1.3', ours: 'TLSv1.3' },
    { version: 'TLS1.2', ours: 'TLSv1.2' },
  ])('$version: "*** This is a resumed session"; our server prints New, then Reused', async ({ version, ours }) => {
    const { srv, port } = await startCliServer(build, cert);
    const cli = spawnPeer('gnutls-cli', ['-p', String(port), '--x509cafile', cert.certPath, '--resume', `--priority=NORMAL:-VERS-ALL:+VERS-${version}`, 'localhost'], { name: 'gnutls-cli' });
    await cli.waitFor(/^\*\*\* This is a resumed session$/m, T);
    expect(cli.stdout()).toMatch(new RegExp(`^- Description: \\(${version.replace('.', '\\.')}-X\\.509\\)`, 'm'));
    await srv.waitFor(new RegExp(`^Reused, ${ours.replace('.', '\\.')}, `, 'm'), T);
    const summaries = srv.stdout().match(/^(New|Reused), TLSv1\.[23]/gm);
    expect(summaries).toEqual([`New, ${ours}`, `Reused, ${ours}`]);
    cli.endInput();
    await cli.waitForExit(T);
  });
});

describe('puretls s_client -sess_out / -sess_in against puretls s_server', () => {
  it.each([
    { flag: '-tls1_3', version: 'TLSv1.3' },
    { flag: '-tls1_2', version: 'TLSv1.2' },
  ])('$version: the stored session carries a ticket and resumes: Reused on both sides', async ({ flag, version }) => {
    const { srv, port } = await startCliServer(build, cert);
    const file = join(dir, `self-${version}.sess`);
    const args = (...more: string[]): string[] => ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-servername', 'localhost', flag, ...more];
    const first = spawnCli(build, args('-sess_out', file));
    await first.waitFor(new RegExp(`^New, ${version.replace('.', '\\.')}, `, 'm'), T);
    if (version === 'TLSv1.3') await first.waitFor(/(?:^Post-Handshake New Session Ticket arrived:$[\s\S]*?){2}/m, T);
    else await settle(srv, first); // the TLS 1.2 session is written with the handshake
    await quit(first);
    const session = Session.fromBytes(new Uint8Array(Buffer.from(/-----BEGIN PURETLS SESSION-----([^-]*)-----END/.exec(readFileSync(file, 'utf8'))![1]!.replace(/\s+/g, ''), 'base64')));
    expect(session.ticket.length).toBeGreaterThan(0);

    const mark = srv.mark();
    const second = spawnCli(build, args('-sess_in', file));
    await second.waitFor(new RegExp(`^Reused, ${version.replace('.', '\\.')}, Cipher is \\S+$`, 'm'), T);
    expect(await served(srv, mark)).toMatch(new RegExp(`^Reused, ${version.replace('.', '\\.')}, `));
    await quit(second);
  });
});

describe('puretls s_server -num_tickets: bad values, one line and exit 1', () => {
  it.each([
    { value: 'two', message: /^puretls: -num_tickets: 'two' is not a number$/ },
    { value: '-1', message: /^puretls: -num_tickets: '-1' is not a number$/ },
    { value: '65536', message: /^puretls: -num_tickets: 65536 is out of range \(0\.\.65535\)$/ },
  ])('-num_tickets $value', async ({ value, message }) => {
    const r = await runToEnd(build.bin, ['s_server', '-accept', '0', '-cert', cert.certPath, '-key', cert.keyPath, '-num_tickets', value]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stdout).not.toMatch(/ACCEPT/);
  });
});
