// Interop, TLS 1.2: the sans-IO core (driven by test/helpers/pump.ts) against the
// openssl binary on loopback — handshakes over the suite × certificate × group
// matrix both ways, RFC 5077 session tickets (on by default on both sides, as in
// OpenSSL) and session-ID resumption (tickets turned off: s_server/s_client
// -no_ticket, our server ticketCodec: null) both ways, and RFC 7627 extended
// master secret (required by default) against peers that do not do it.
//
//   our client → openssl s_server -tls1_2   (no -rev: s_server's full summary is printed —
//                                             the session PEM, "CIPHER is …", "Secure Renegotiation IS supported",
//                                             "Keying material: …"; received data is printed, its stdin is sent)
//   openssl s_client -tls1_2 → our server   (prints "New, TLSv1.2, Cipher is …", "Extended master secret: yes", …)
//
// Every case checks both ends: what our Connection negotiated and what openssl
// printed (the session PEM is decoded with `openssl sess_id -text`; the RFC 5705
// exporter value both sides print proves they derived the same master secret).
// OpenSSL 3.0 has no -no_ems flag: the EMS cases turn it off with an SSL_CONF
// section (`Options = -ExtendedMasterSecret`, loaded with -ssl_config).
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TicketReturn, type TicketDecryptInfo } from '../../src/handshake/config.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Session } from '../../src/session/session.js';
import { TicketStatus } from '../../src/session/ticket-codec.js';
import { makeTempDir } from '../helpers/tmp.js';
import {
  installPeerCleanup,
  opensslSessionText,
  opensslSslConf,
  printedKeyingMaterial,
  runOpensslClient,
  sessionPems,
  startOpensslServer,
  type PeerHandle,
} from '../helpers/peers.js';
import { pump, type Pump } from '../helpers/pump.js';
import {
  GROUPS12,
  SCHEME,
  SIG_TYPE,
  connectOurs,
  describeConn,
  firstSession,
  groupName,
  installSocketCleanup,
  listen,
  makeCertSets,
  matrix12,
  rejectionOf,
  serverCert,
  suite12,
  toHex,
  verifierFor,
  within,
  type CertSet,
  type CertType,
  type GroupRow,
  type Suite12Row,
  show,
  acceptFrom,
} from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 10_000;
const LABEL = 'EXPERIMENTAL puretls interop';
const EXPORT = ['-keymatexport', LABEL, '-keymatexportlen', '32'];
const ECDHE_IDS = GROUPS12.map((g) => g.id);

let certs: Record<CertType, CertSet>;
let noEms: { env: NodeJS.ProcessEnv; args: string[] };
beforeAll(async () => {
  certs = await makeCertSets();
  noEms = await opensslSslConf(makeTempDir('puretls-interop-ssl-conf-'), 'noems', ['Options = -ExtendedMasterSecret']);
}, 60_000);


// ─────────────────────────────────────────────────────────────── our client → s_server

function serverArgs(set: CertSet, extra: string[]): string[] {
  return ['-tls1_2', '-cert', set.chain.leaf.certPath, '-key', set.chain.leaf.keyPath, '-cert_chain', set.chain.intermediatesPath, ...extra];
}

interface ClientRun {
  srv: PeerHandle;
  conn: Connection;
  p: Pump;
  session: Promise<Session>;
}

function connectClient(srv: PeerHandle, set: CertSet, ours: TlsContextOptions, session?: Session): ClientRun {
  const conn = new Connection(new TlsContext({ verifier: verifierFor(set.chain), groups: ECDHE_IDS, ...ours }), 'client', {
    serverName: 'localhost',
    ...(session ? { session } : {}),
  });
  const s = firstSession(conn);
  return { srv, conn, p: connectOurs(conn, srv.port), session: s };
}

/**
 * After the handshake: waits for s_server's "Secure Renegotiation IS supported"
 * (its summary prints the session PEM first, this line near the end, then
 * "Keying material" with -keymatexport); returns `openssl sess_id -text` of the
 * latest session PEM it printed.
 */
async function sServerSession(srv: PeerHandle): Promise<string> {
  await srv.waitFor(/^Secure Renegotiation IS supported$/m, T);
  const pems = sessionPems(srv.stdout());
  expect(pems.length, show(srv)).toBeGreaterThan(0);
  return opensslSessionText(pems.at(-1)!);
}

/** A line each way (s_server prints what it receives, sends its stdin), then close; s_server (-naccept 1) exits 0. */
async function exchangeAndClose({ srv, p }: ClientRun, tag: string, closeExits = true): Promise<void> {
  const mark = srv.mark();
  p.send(`hello from puretls ${tag}\n`);
  await srv.waitFor(`hello from puretls ${tag}`, T, mark);
  // A stdin read starting with q/Q/r/R/k/K/P/S is a command for s_server: this line is not.
  srv.write(`from s_server ${tag}\n`);
  await p.waitForData((b) => b.includes(`from s_server ${tag}\n`), T).catch((e: Error) => {
    throw new Error(`${e.message}${show(srv)}`);
  });
  await p.end();
  await srv.waitFor(/^CONNECTION CLOSED$/m, T, mark);
  if (closeExits) {
    const exit = await srv.waitForExit(T);
    expect(exit.code, `s_server exit${show(srv)}`).toBe(0);
  }
}

function checkOurs12(conn: Connection, suite: Suite12Row, g: GroupRow | undefined, ctx: string): void {
  expect(conn.protocol, ctx).toBe('TLSv1.2');
  expect(conn.negotiated.version).toBe(ProtocolVersion.TLSv1_2);
  expect(conn.cipherSuite?.name, ctx).toBe(suite.name);
  expect(conn.cipherSuite?.opensslName, ctx).toBe(suite.openssl);
  if (g) expect(groupName(conn.negotiated.group), ctx).toBe(g.openssl);
  expect(conn.negotiated.extendedMasterSecret, ctx).toBe(true);
  expect(conn.negotiated.secureRenegotiation, ctx).toBe(true);
  expect(conn.negotiated.finished?.length, ctx).toBe(12);
  expect(conn.negotiated.peerFinished?.length, ctx).toBe(12);
}

describe('our client → openssl s_server -tls1_2', () => {
  it.each(matrix12())('$name (s_server restricted to the suite and group; verified, both ways, close)', async ({ suite, cert, g }) => {
    const set = certs[cert];
    const srv = await startOpensslServer(serverArgs(set, ['-naccept', '1', '-cipher', suite.openssl, '-groups', g.openssl, ...EXPORT]));
    const run = connectClient(srv, set, {});
    const { conn, p } = run;
    await within(p.handshake, T, () => `${describeConn(conn)}${show(srv)}`);
    const ctx = `${describeConn(conn)}${show(srv)}`;
    checkOurs12(conn, suite, g, ctx);
    expect(conn.isSessionReused).toBe(false);
    expect(conn.peerVerification?.authorized, ctx).toBe(true);
    expect(conn.peerCertificates.length).toBe(2);
    expect(conn.negotiated.peerSignatureScheme, ctx).toBe(SCHEME[cert]);

    const text = await sServerSession(srv);
    await srv.waitFor(/^ {4}Keying material: /m, T); // printed after "Secure Renegotiation IS supported"
    const out = srv.output();
    expect(out, ctx).toMatch(new RegExp(`^CIPHER is ${suite.openssl}$`, 'm'));
    expect(text, text).toMatch(/^ {4}Protocol {2}: TLSv1\.2$/m);
    expect(text, text).toMatch(new RegExp(`^ {4}Cipher {4}: ${suite.openssl}$`, 'm'));
    expect(text, text).toMatch(/^ {4}Extended master secret: yes$/m);
    // s_server issues a TLS 1.2 ticket by default (RFC 5077) and then assigns no session ID:
    // our Session holds the ticket (lifetime hint: s_server's 7200 s timeout) and an empty ID.
    const session = await within(run.session, T, () => `no 'session' event${ctx}`);
    const id = /^ {4}Session-ID: ([0-9A-F]*)$/m.exec(text)?.[1];
    expect(id, text).toBe('');
    expect(session.sessionId).toHaveLength(0);
    expect(session.ticket.length).toBeGreaterThan(0);
    expect(session.lifetimeSeconds).toBe(7200);
    expect(session.extendedMasterSecret).toBe(true);
    // RFC 5705 exporter: the same master secret on both ends.
    expect(printedKeyingMaterial(out), ctx).toBe(toHex(conn.exportKeyingMaterial(32, LABEL)));
    await exchangeAndClose(run, `${suite.openssl} ${cert} ${g.openssl}`);
  });

  it("our default client against s_server -tls1_2 defaults: our first RSA suite (s_server follows the client's order without -serverpref)", async () => {
    const set = certs.rsa2048;
    const srv = await startOpensslServer(serverArgs(set, ['-naccept', '1', ...EXPORT]));
    const run = connectClient(srv, set, {});
    await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(srv)}`);
    await sServerSession(srv);
    // OpenSSL's server prefers the client's order unless -serverpref: ours lists AES-128-GCM first for RSA.
    const m = /^CIPHER is (\S+)$/m.exec(srv.output());
    expect(m?.[1], show(srv)).toBe(run.conn.cipherSuite?.opensslName);
    expect(run.conn.cipherSuite?.opensslName).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    await exchangeAndClose(run, 'defaults');
  });
});

// ─────────────────────────────────────────────────────────────── s_client → our server

interface ServerRun {
  cli: PeerHandle;
  conn: Connection;
  p: Pump;
}


function clientArgs(set: CertSet, extra: string[]): string[] {
  return ['-tls1_2', '-servername', 'localhost', '-CAfile', set.chain.rootPath, '-verify_return_error', '-verify_hostname', 'localhost', ...extra];
}

/** `openssl s_client -tls1_2 …` with `line` on stdin, to a connection of our server on `ctx` (a fresh one unless given). */
async function sClientTo(set: CertSet, extra: string[], ctx: TlsContext, line: string, env?: NodeJS.ProcessEnv): Promise<ServerRun> {
  const l = await listen();
  const cli = runOpensslClient(clientArgs(set, extra), `${line}\n`, { port: l.port, ...(env ? { env } : {}) });
  const sock = await acceptFrom(l, cli);
  const conn = new Connection(ctx, 'server');
  return { cli, conn, p: pump(conn, sock) };
}

const serverCtx = (set: CertSet, ours: Omit<TlsContextOptions, 'certificate'> = {}): TlsContext =>
  new TlsContext({ certificate: serverCert(set.chain), groups: ECDHE_IDS, ...ours });

/**
 * Record the status of every ticket our server opens (its decrypt callback),
 * deciding as the default does (OpenSSL's TLS 1.2 defaults): SUCCESS → USE,
 * SUCCESS_RENEW → USE_RENEW, EMPTY / NO_DECRYPT → IGNORE_RENEW.
 */
function recordDecrypts(ctx: TlsContext): number[] {
  const statuses: number[] = [];
  ctx.setSessionTicketCallbacks({
    decrypt: (info: TicketDecryptInfo) => {
      statuses.push(info.status);
      if (info.status === TicketStatus.SUCCESS) return TicketReturn.USE;
      return info.status === TicketStatus.SUCCESS_RENEW ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW;
    },
  });
  return statuses;
}

/** Handshake; s_client's line arrives; we answer; we close; s_client exits 0. */
async function answerAndClose({ cli, conn, p }: ServerRun, line: string): Promise<void> {
  await within(p.handshake, T, () => `${describeConn(conn)}${show(cli)}`).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeConn(conn)}${show(cli)}`);
  });
  const got = await p.waitForData((b) => b.includes('\n'), T).catch((e: Error) => {
    throw new Error(`${e.message}${show(cli)}`);
  });
  expect(got.toString('latin1'), show(cli)).toBe(`${line}\n`);
  const mark = cli.mark();
  p.send(`puretls answers ${line}\n`);
  await cli.waitFor(`puretls answers ${line}`, T, mark);
  await p.end();
  const exit = await cli.waitForExit(T);
  expect(exit.code, `s_client exit${show(cli)}`).toBe(0);
}

/** What s_client printed about a TLS 1.2 handshake, checked against our side. */
function checkSClient12(cli: PeerHandle, conn: Connection, status: 'New' | 'Reused', ems: 'yes' | 'no'): void {
  const out = cli.output();
  expect(out, show(cli)).toMatch(new RegExp(`^${status}, TLSv1\\.2, Cipher is ${conn.cipherSuite!.opensslName}$`, 'm'));
  expect(out, show(cli)).toMatch(new RegExp(`^ {4}Cipher {4}: ${conn.cipherSuite!.opensslName}$`, 'm'));
  expect(out, show(cli)).toMatch(/^ {4}Protocol {2}: TLSv1\.2$/m);
  expect(out, show(cli)).toMatch(/^Secure Renegotiation IS supported$/m);
  expect(out, show(cli)).toMatch(new RegExp(`^ {4}Extended master secret: ${ems}$`, 'm'));
  expect(out, show(cli)).toMatch(/^ {4}Verify return code: 0 \(ok\)$/m);
}

describe('openssl s_client -tls1_2 → our server', () => {
  it.each(matrix12())('$name (s_client -cipher/-groups restricted; verified, both ways, close)', async ({ suite, cert, g }) => {
    const set = certs[cert];
    const line = `hello from s_client ${suite.openssl} ${cert} ${g.openssl}`;
    // RFC 8422 §4/§5.3: the P-256 certificate's curve must be one the client lists, so a p256 row
    // offers P-256 too and our server, knowing only `g`, picks `g` for the key exchange.
    const clientGroups = cert === 'p256' && g.openssl !== 'P-256' ? `${g.openssl}:P-256` : g.openssl;
    const run = await sClientTo(set, ['-cipher', suite.openssl, '-groups', clientGroups, ...EXPORT], serverCtx(set, { groups: [g.id] }), line);
    await answerAndClose(run, line);
    const { conn, cli } = run;
    const ctx = `${describeConn(conn)}${show(cli)}`;
    checkOurs12(conn, suite, g, ctx);
    expect(conn.isSessionReused).toBe(false);
    expect(conn.negotiated.signatureScheme, ctx).toBe(SCHEME[cert]);
    checkSClient12(cli, conn, 'New', 'yes');
    const out = cli.output();
    expect(out, ctx).toMatch(g.tempKey);
    expect(out, ctx).toMatch(new RegExp(`^Peer signature type: ${SIG_TYPE[cert]}$`, 'm'));
    expect(out, ctx).toMatch(/^ 1 s:CN = puretls test intermediate/m);
    expect(printedKeyingMaterial(out), ctx).toBe(toHex(conn.exportKeyingMaterial(32, LABEL)));
  });
});

// RFC 8422 §4: "servers MUST NOT negotiate the use of an ECC cipher suite unless they can
// complete the handshake while respecting the choice of curves specified by the client"; §5.3:
// the public key in the server's certificate MUST respect the client's choice of curves. A client
// that lists only X25519 cannot take a P-256 ECDSA certificate: OpenSSL's client aborts with
// illegal_parameter (SSL_R_WRONG_CURVE) after the ServerKeyExchange.
describe('RFC 8422: an ECDSA certificate on a curve the client does not list', () => {
  it('reference: openssl s_server with only a P-256 certificate refuses s_client -groups X25519 ("no shared cipher", handshake_failure)', async () => {
    const set = certs.p256;
    const srv = await startOpensslServer(serverArgs(set, ['-naccept', '1']));
    const cli = runOpensslClient(clientArgs(set, ['-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-groups', 'X25519']), 'never\n', { port: srv.port });
    await srv.waitFor(/no shared cipher/, T);
    await cli.waitFor(/SSL alert number 40/, T);
    expect((await cli.waitForExit(T)).code, show(cli)).not.toBe(0);
  });

  it('our server with only a P-256 certificate refuses s_client -groups X25519 with handshake_failure (as s_server does)', async () => {
    const set = certs.p256;
    const run = await sClientTo(set, ['-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-groups', 'X25519', '-msg'], serverCtx(set), 'never');
    const err = await rejectionOf(within(run.p.handshake, T, () => describeConn(run.conn)), () => `${describeConn(run.conn)}${show(run.cli)}`);
    await run.cli.waitForExit(T);
    const ctx = `${err.message}\n${describeConn(run.conn)}${show(run.cli)}`;
    // Not: s_client receiving our P-256 certificate and answering illegal_parameter.
    expect(run.cli.output(), ctx).not.toMatch(/^>>> TLS 1\.2, Alert \[length 0002\], fatal illegal_parameter$/m);
    expect(err.code, ctx).toBe('ERR_TLS_HANDSHAKE_FAILURE');
    expect(err.alert, ctx).toBe(AlertDescription.handshake_failure);
    expect(err.remote ?? false, ctx).toBe(false);
    expect(run.cli.output(), ctx).toMatch(/SSL alert number 40/);
  });
});

// ─────────────────────────────────────────────────────────────── session-ID resumption

describe('TLS 1.2 session-ID resumption (tickets off)', () => {
  it('our client resumes s_server -no_ticket\'s session (-naccept 2): s_server prints "Reused session-id", same session ID', async () => {
    const set = certs.p256;
    const suite = suite12('ECDHE-ECDSA-AES256-GCM-SHA384');
    const srv = await startOpensslServer(serverArgs(set, ['-naccept', '2', '-no_ticket', '-cipher', suite.openssl, ...EXPORT]));
    const first = connectClient(srv, set, {});
    await within(first.p.handshake, T, () => `${describeConn(first.conn)}${show(srv)}`);
    const text1 = await sServerSession(srv);
    const session = await within(first.session, T, () => `no 'session' event${show(srv)}`);
    expect(first.conn.isSessionReused).toBe(false);
    // Our ClientHello asked for a ticket; s_server -no_ticket sent none: the Session has the ID only.
    expect(session.ticket).toHaveLength(0);
    expect(session.sessionId).toHaveLength(32);
    await exchangeAndClose(first, 'first', false);
    expect(srv.output(), show(srv)).not.toMatch(/^Reused session-id$/m);

    const mark = srv.mark();
    const second = connectClient(srv, set, {}, session);
    await within(second.p.handshake, T, () => `${describeConn(second.conn)}${show(srv)}`);
    await srv.waitFor(/^ {4}Keying material: /m, T, mark);
    const after = srv.stdout().slice(mark.stdout);
    expect(after, show(srv)).toMatch(/^Reused session-id$/m);
    const text2 = opensslSessionText(sessionPems(after).at(-1)!);
    const id = (t: string): string | undefined => /^ {4}Session-ID: ([0-9A-F]+)$/m.exec(t)?.[1];
    expect(id(text2), text2).toBe(id(text1));
    expect(id(text2)!.toLowerCase()).toBe(toHex(session.sessionId));
    expect(text2, text2).toMatch(/^ {4}Extended master secret: yes$/m);
    const ctx = `${describeConn(second.conn)}${show(srv)}`;
    expect(second.conn.isSessionReused, ctx).toBe(true);
    checkOurs12(second.conn, suite, undefined, ctx);
    // An abbreviated handshake: no certificate, no key exchange; the exporter still agrees.
    expect(printedKeyingMaterial(after), ctx).toBe(toHex(second.conn.exportKeyingMaterial(32, LABEL)));
    await exchangeAndClose(second, 'second (resumed)');
  });

  it('s_client -no_ticket -sess_out then -sess_in → our server (default MemorySessionCache): "Reused, TLSv1.2", isSessionReused, the ID our server assigned', async () => {
    const set = certs.rsa2048;
    const dir = makeTempDir('puretls-interop-sess-');
    const file = `${dir}/s_client.sess`;
    const ctx = serverCtx(set);
    const decrypts = recordDecrypts(ctx);
    const first = await sClientTo(set, ['-no_ticket', '-sess_out', file, ...EXPORT], ctx, 'first');
    await answerAndClose(first, 'first');
    expect(first.conn.isSessionReused).toBe(false);
    checkSClient12(first.cli, first.conn, 'New', 'yes');
    const id1 = /^ {4}Session-ID: ([0-9A-F]+)$/m.exec(first.cli.output())?.[1];
    expect(id1, show(first.cli)).toBeTruthy();
    // The ID is the one our server assigned and cached (no ticket was asked for, none sent).
    expect(id1!.toLowerCase(), show(first.cli)).toBe(toHex(first.conn.session!.sessionId));
    expect(first.cli.output(), show(first.cli)).not.toMatch(/TLS session ticket/);

    const second = await sClientTo(set, ['-no_ticket', '-sess_in', file, ...EXPORT], ctx, 'second');
    await answerAndClose(second, 'second');
    const c = `${describeConn(second.conn)}${show(second.cli)}`;
    expect(second.conn.isSessionReused, c).toBe(true);
    expect(second.conn.negotiated.extendedMasterSecret, c).toBe(true);
    checkSClient12(second.cli, second.conn, 'Reused', 'yes');
    expect(/^ {4}Session-ID: ([0-9A-F]+)$/m.exec(second.cli.output())?.[1], c).toBe(id1);
    expect(printedKeyingMaterial(second.cli.output()), c).toBe(toHex(second.conn.exportKeyingMaterial(32, LABEL)));
    // Resumed: the server's certificate is not sent again.
    expect(second.cli.output(), c).not.toMatch(/^Certificate chain$/m);
    // By session ID: s_client -no_ticket sends no session_ticket extension, so no ticket was ever opened.
    expect(decrypts).toEqual([]);
  });

  it('our server with sessionStore: null (and ticketCodec: null) assigns no session ID: s_client prints an empty Session-ID and -sess_out writes nothing', async () => {
    const set = certs.p256;
    const dir = makeTempDir('puretls-interop-sess-');
    const file = `${dir}/s_client.sess`;
    const run = await sClientTo(set, ['-sess_out', file, '-msg'], serverCtx(set, { sessionStore: null, ticketCodec: null }), 'no cache');
    await answerAndClose(run, 'no cache');
    checkSClient12(run.cli, run.conn, 'New', 'yes');
    // RFC 5246 §7.4.1.3: an empty session_id means the session will not be cached.
    expect(run.cli.output(), show(run.cli)).toMatch(/^ {4}Session-ID: ?$/m);
    // s_client saves a session only when it is resumable (OpenSSL's new-session callback): there is none.
    expect(existsSync(file), show(run.cli)).toBe(false);
  });

  it('our server with sessionStore: null → s_client -no_ticket -sess_in of a session from a caching server context: "New"', async () => {
    const set = certs.p256;
    const dir = makeTempDir('puretls-interop-sess-');
    const file = `${dir}/s_client.sess`;
    const first = await sClientTo(set, ['-no_ticket', '-sess_out', file], serverCtx(set), 'first');
    await answerAndClose(first, 'first');
    const id1 = /^ {4}Session-ID: ([0-9A-F]+)$/m.exec(first.cli.output())?.[1];
    expect(id1, show(first.cli)).toBeTruthy();
    const second = await sClientTo(set, ['-no_ticket', '-sess_in', file], serverCtx(set, { sessionStore: null }), 'second');
    await answerAndClose(second, 'second');
    expect(second.conn.isSessionReused).toBe(false);
    checkSClient12(second.cli, second.conn, 'New', 'yes');
  });
});

// ─────────────────────────────────────────────────────────────── session tickets (RFC 5077)

describe('TLS 1.2 session tickets (RFC 5077), on by default on both sides', () => {
  it('our client resumes s_server\'s session by its ticket (-naccept 2): s_server prints "Reused session-id"; no certificate, no new ticket', async () => {
    const set = certs.p256;
    const suite = suite12('ECDHE-ECDSA-AES128-GCM-SHA256');
    const srv = await startOpensslServer(serverArgs(set, ['-naccept', '2', '-cipher', suite.openssl, ...EXPORT]));
    const first = connectClient(srv, set, {});
    await within(first.p.handshake, T, () => `${describeConn(first.conn)}${show(srv)}`);
    const text1 = await sServerSession(srv);
    const session = await within(first.session, T, () => `no 'session' event${show(srv)}`);
    expect(first.conn.isSessionReused).toBe(false);
    // s_server issued a ticket and, as it does then, no session ID.
    expect(/^ {4}Session-ID: ([0-9A-F]*)$/m.exec(text1)?.[1], text1).toBe('');
    expect(session.ticket.length).toBeGreaterThan(0);
    expect(session.sessionId).toHaveLength(0);
    await exchangeAndClose(first, 'first', false);
    expect(srv.output(), show(srv)).not.toMatch(/^Reused session-id$/m);

    const mark = srv.mark();
    const second = connectClient(srv, set, {}, session);
    const renewed: Session[] = [];
    second.conn.on('session', (s) => renewed.push(s));
    const received: number[] = [];
    second.conn.on('message', (m) => {
      if (m.direction === 'received') received.push(m.type);
    });
    await within(second.p.handshake, T, () => `${describeConn(second.conn)}${show(srv)}`);
    await srv.waitFor(/^ {4}Keying material: /m, T, mark);
    const after = srv.stdout().slice(mark.stdout);
    expect(after, show(srv)).toMatch(/^Reused session-id$/m);
    const text2 = opensslSessionText(sessionPems(after).at(-1)!);
    // The session ID s_server echoed: the fresh 32 bytes our ClientHello carried beside the ticket (RFC 5077 §3.4).
    expect(text2, text2).toMatch(/^ {4}Session-ID: [0-9A-F]{64}$/m);
    expect(text2, text2).toMatch(/^ {4}Extended master secret: yes$/m);
    const ctx = `${describeConn(second.conn)}${show(srv)}`;
    expect(second.conn.isSessionReused, ctx).toBe(true);
    checkOurs12(second.conn, suite, undefined, ctx);
    // Abbreviated: ServerHello, then (after its CCS) Finished; s_server does not renew a good ticket in TLS 1.2.
    expect(received, ctx).toEqual([2, 20]);
    expect(renewed).toEqual([]);
    expect(second.conn.peerCertificates).toEqual(session.peerCertificates);
    expect(printedKeyingMaterial(after), ctx).toBe(toHex(second.conn.exportKeyingMaterial(32, LABEL)));
    await exchangeAndClose(second, 'second (resumed by ticket)');
  });

  it('s_client -sess_out then -sess_in → our server (defaults): a ticket, then "Reused, TLSv1.2" by that ticket (decrypt: EMPTY, then SUCCESS)', async () => {
    const set = certs.rsa2048;
    const dir = makeTempDir('puretls-interop-sess-');
    const file = `${dir}/s_client.sess`;
    const ctx = serverCtx(set);
    const decrypts = recordDecrypts(ctx);
    const first = await sClientTo(set, ['-sess_out', file, ...EXPORT], ctx, 'first');
    await answerAndClose(first, 'first');
    expect(first.conn.isSessionReused).toBe(false);
    checkSClient12(first.cli, first.conn, 'New', 'yes');
    // s_client asked with an empty session_ticket; our NewSessionTicket carries the 7200 s lifetime hint.
    expect(decrypts).toEqual([TicketStatus.EMPTY]);
    expect(first.cli.output(), show(first.cli)).toMatch(/^ {4}TLS session ticket lifetime hint: 7200 \(seconds\)$/m);
    expect(first.cli.output(), show(first.cli)).toMatch(/^ {4}TLS session ticket:$/m);
    const id1 = /^ {4}Session-ID: ([0-9A-F]+)$/m.exec(first.cli.output())?.[1];
    expect(id1, show(first.cli)).toBeTruthy();
    expect(existsSync(file), show(first.cli)).toBe(true);

    const second = await sClientTo(set, ['-sess_in', file, ...EXPORT], ctx, 'second');
    await answerAndClose(second, 'second');
    const c = `${describeConn(second.conn)}${show(second.cli)}`;
    expect(second.conn.isSessionReused, c).toBe(true);
    expect(second.conn.negotiated.extendedMasterSecret, c).toBe(true);
    checkSClient12(second.cli, second.conn, 'Reused', 'yes');
    expect(decrypts, c).toEqual([TicketStatus.EMPTY, TicketStatus.SUCCESS]);
    // The session ID s_client offered beside the ticket is echoed (RFC 5077 §3.4).
    expect(/^ {4}Session-ID: ([0-9A-F]+)$/m.exec(second.cli.output())?.[1], c).toBe(id1);
    expect(printedKeyingMaterial(second.cli.output()), c).toBe(toHex(second.conn.exportKeyingMaterial(32, LABEL)));
    expect(second.cli.output(), c).not.toMatch(/^Certificate chain$/m);
  });

  it('a ticket-only server (sessionStore: null): an empty session ID and a ticket, s_client -sess_out saves it, -sess_in resumes: "Reused, TLSv1.2"', async () => {
    const set = certs.p256;
    const dir = makeTempDir('puretls-interop-sess-');
    const file = `${dir}/s_client.sess`;
    const ctx = serverCtx(set, { sessionStore: null });
    const first = await sClientTo(set, ['-sess_out', file, '-msg'], ctx, 'first');
    await answerAndClose(first, 'first');
    checkSClient12(first.cli, first.conn, 'New', 'yes');
    // ServerHello: 2 + 3 (length) + 2 (version) + 32 (random), then session_id length 0.
    const sh = /^<<< TLS 1\.2, Handshake \[length [0-9a-f]{4}\], ServerHello\n((?: {4}(?:[0-9a-f]{2} ?)+\n)+)/m.exec(first.cli.output());
    expect(sh, show(first.cli)).not.toBeNull();
    const shBytes = sh![1]!.trim().split(/\s+/).map((b) => parseInt(b, 16));
    expect(shBytes[38], show(first.cli)).toBe(0);
    expect(first.cli.output(), show(first.cli)).toMatch(/^<<< TLS 1\.2, Handshake \[length [0-9a-f]{4}\], NewSessionTicket$/m);
    expect(existsSync(file), show(first.cli)).toBe(true);

    const second = await sClientTo(set, ['-sess_in', file], ctx, 'second');
    await answerAndClose(second, 'second');
    expect(second.conn.isSessionReused, show(second.cli)).toBe(true);
    checkSClient12(second.cli, second.conn, 'Reused', 'yes');
  });

  it('a ticket from another server context (another key): NO_DECRYPT, a full handshake ("New") and a new ticket', async () => {
    const set = certs.p256;
    const dir = makeTempDir('puretls-interop-sess-');
    const file = `${dir}/s_client.sess`;
    const first = await sClientTo(set, ['-sess_out', file], serverCtx(set), 'first');
    await answerAndClose(first, 'first');
    const ctx = serverCtx(set);
    const decrypts = recordDecrypts(ctx);
    const second = await sClientTo(set, ['-sess_in', file], ctx, 'second');
    await answerAndClose(second, 'second');
    expect(second.conn.isSessionReused).toBe(false);
    expect(decrypts).toEqual([TicketStatus.NO_DECRYPT]);
    checkSClient12(second.cli, second.conn, 'New', 'yes');
    expect(second.cli.output(), show(second.cli)).toMatch(/^ {4}TLS session ticket:$/m);
  });

  it('s_client -no_ticket → our server: no session_ticket either way (no ticket made), and the session-ID cache still serves', async () => {
    const set = certs.p256;
    const ctx = serverCtx(set);
    const decrypts = recordDecrypts(ctx);
    const run = await sClientTo(set, ['-no_ticket', '-msg'], ctx, 'no ticket');
    await answerAndClose(run, 'no ticket');
    checkSClient12(run.cli, run.conn, 'New', 'yes');
    expect(decrypts).toEqual([]);
    expect(run.cli.output(), show(run.cli)).not.toMatch(/NewSessionTicket/);
    expect(run.cli.output(), show(run.cli)).not.toMatch(/TLS session ticket/);
    expect(/^ {4}Session-ID: ([0-9A-F]*)$/m.exec(run.cli.output())?.[1]?.toLowerCase(), show(run.cli)).toBe(toHex(run.conn.session!.sessionId));
  });
});

// ─────────────────────────────────────────────────────────────── extended master secret (RFC 7627)

describe('extended master secret against openssl without it (SSL_CONF Options = -ExtendedMasterSecret)', () => {
  it('s_server without EMS → our client (requireExtendedMasterSecret default): ERR_TLS_HANDSHAKE_FAILURE, s_server gets handshake_failure', async () => {
    const set = certs.p256;
    const srv = await startOpensslServer(serverArgs(set, ['-naccept', '1', '-msg', ...noEms.args]), { env: noEms.env });
    const { conn, p } = connectClient(srv, set, {});
    const err = await rejectionOf(within(p.handshake, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(srv)}`);
    expect(err.code, `${err.message}${show(srv)}`).toBe('ERR_TLS_HANDSHAKE_FAILURE');
    expect(err.alert).toBe(AlertDescription.handshake_failure);
    expect(err.remote ?? false).toBe(false);
    await srv.waitFor(/SSL alert number 40/, T);
    expect(srv.output(), show(srv)).toMatch(/^<<< TLS 1\.2, Alert \[length 0002\], fatal handshake_failure$/m);
    // s_server's ServerHello went out (without the extension): we refused after reading it.
    expect(srv.output(), show(srv)).toMatch(/^>>> TLS 1\.2, Handshake \[length [0-9a-f]{4}\], ServerHello$/m);
  });

  it('s_client without EMS → our server (default): ERR_TLS_HANDSHAKE_FAILURE, s_client prints the alert', async () => {
    const set = certs.p256;
    const run = await sClientTo(set, [...noEms.args], serverCtx(set), 'never', noEms.env);
    const err = await rejectionOf(within(run.p.handshake, T, () => describeConn(run.conn)), () => `${describeConn(run.conn)}${show(run.cli)}`);
    expect(err.code, `${err.message}${show(run.cli)}`).toBe('ERR_TLS_HANDSHAKE_FAILURE');
    expect(err.alert).toBe(AlertDescription.handshake_failure);
    await run.cli.waitFor(/SSL alert number 40/, T);
    expect(run.cli.output(), show(run.cli)).toMatch(/alert handshake failure/);
    const exit = await run.cli.waitForExit(T);
    expect(exit.code, show(run.cli)).not.toBe(0);
  });

  it('s_server without EMS → our client with requireExtendedMasterSecret: false: works, extendedMasterSecret false, exporters agree', async () => {
    const set = certs.rsa2048;
    const srv = await startOpensslServer(serverArgs(set, ['-naccept', '1', ...noEms.args, ...EXPORT]), { env: noEms.env });
    const run = connectClient(srv, set, { requireExtendedMasterSecret: false });
    await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(srv)}`);
    const ctx = `${describeConn(run.conn)}${show(srv)}`;
    expect(run.conn.negotiated.extendedMasterSecret, ctx).toBe(false);
    const text = await sServerSession(srv);
    await srv.waitFor(/^ {4}Keying material: /m, T);
    expect(text, text).toMatch(/^ {4}Extended master secret: no$/m);
    expect(printedKeyingMaterial(srv.output()), ctx).toBe(toHex(run.conn.exportKeyingMaterial(32, LABEL)));
    const session = await within(run.session, T, () => ctx);
    expect(session.extendedMasterSecret).toBe(false);
    await exchangeAndClose(run, 'no ems');
  });

  it('s_client without EMS → our server with requireExtendedMasterSecret: false: works, "Extended master secret: no", exporters agree', async () => {
    const set = certs.rsa2048;
    const run = await sClientTo(set, [...noEms.args, ...EXPORT], serverCtx(set, { requireExtendedMasterSecret: false }), 'no ems', noEms.env);
    await answerAndClose(run, 'no ems');
    expect(run.conn.negotiated.extendedMasterSecret).toBe(false);
    checkSClient12(run.cli, run.conn, 'New', 'no');
    expect(printedKeyingMaterial(run.cli.output()), show(run.cli)).toBe(toHex(run.conn.exportKeyingMaterial(32, LABEL)));
  });
});
