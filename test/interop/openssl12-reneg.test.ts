// Interop, TLS 1.2 renegotiation (RFC 5746) against the openssl binary on loopback,
// driven from either end:
//
//   from OpenSSL: typing "R" on s_client's stdin (SSL_renegotiate: a new ClientHello),
//                 typing "r" / "R" on s_server's stdin (a HelloRequest; "R" also asks for a
//                 client certificate once); neither works under -quiet / -ign_eof / -nocommands.
//   from our side: Connection.renegotiate() / renegotiateAbbreviated() on our client against
//                 s_server (-client_renegotiation, or without it), renegotiate() on our server
//                 (a HelloRequest) against s_client.
//
// -msg on the openssl side shows each handshake message (">>>" sent, "<<<" received), which is
// how the tests see a second ClientHello, a HelloRequest, and whether a certificate went out
// again (a full handshake) or not (an abbreviated one that resumed the session).
//
// Observed (OpenSSL 3.0.19):
//  * s_client has no "r" command: only "R" renegotiates; "r\n" is sent as data.
//  * s_client's "R" (SSL_renegotiate) offers no session: a full handshake.
//  * s_client answers a HelloRequest with a ClientHello that offers its session: an
//    abbreviated handshake if the server still has it.
//  * A no_renegotiation warning in answer to its own request makes OpenSSL (client and
//    server) send a fatal handshake_failure ("no renegotiation", SSL_R_NO_RENEGOTIATION);
//    RFC 5246 §7.2.2 lets the requester decide, OpenSSL always gives up on the connection.
//  * s_server refuses a client's renegotiation unless -client_renegotiation (OpenSSL 3
//    default: SSL_OP_ALLOW_CLIENT_RENEGOTIATION off), with a no_renegotiation warning.
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import { countMatches, installPeerCleanup, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { doHandshakeAndFlush, pump, type Pump } from '../helpers/pump.js';
import {
  GROUPS12,
  connectOurs,
  countHandshakes,
  describeConn,
  installSocketCleanup,
  listen,
  makeCertSets,
  recordAlerts,
  rejectionOf,
  serverCert,
  toHex,
  verifierFor,
  within,
  type CertSet,
  type CertType,
  type HandshakeCounter,
  show,
  acceptFrom,
} from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 10_000;
const ECDHE_IDS = GROUPS12.map((g) => g.id);

let certs: Record<CertType, CertSet>;
beforeAll(async () => {
  certs = await makeCertSets();
}, 60_000);


/** -msg lines, for counting: what the openssl peer sent (">>>") or received ("<<<"). */
const msg = (dir: '>>>' | '<<<', type: string): RegExp => new RegExp(`^${dir} TLS 1\\.[23], Handshake \\[length [0-9a-f]{4}\\], ${type}$`, 'm');
const ALERT_LINE = (dir: '>>>' | '<<<', level: string, name: string): RegExp => new RegExp(`^${dir} TLS 1\\.2, Alert \\[length 0002\\], ${level} ${name}$`, 'm');

/** Handshake #n completed on our side; fails at once (not after T) if the connection fails first. */
async function handshakeNumber(hs: HandshakeCounter, p: Pump, n: number, what: () => string): Promise<void> {
  const failed = p.closed.then(
    () => {
      throw new Error(`the connection closed before handshake #${n}: ${what()}`);
    },
    (e: Error) => {
      throw new Error(`the connection failed before handshake #${n}: ${e.message}\n${what()}`);
    },
  );
  failed.catch(() => {});
  await Promise.race([hs.waitFor(n, T, what), failed]);
}

// ─────────────────────────────────────────────────────────────── s_client → our server

interface ServerSide {
  cli: PeerHandle;
  conn: Connection;
  p: Pump;
  hs: HandshakeCounter;
  alerts: string[];
}


/** `s_client -tls1_2 -msg` (interactive: commands on) → our server; handshake done, s_client's summary printed. */
async function sClientToOurs(set: CertSet, ours: Omit<TlsContextOptions, 'certificate'>): Promise<ServerSide> {
  const l = await listen();
  const cli = runOpensslClient(['-tls1_2', '-msg', '-servername', 'localhost', '-CAfile', set.chain.rootPath, '-verify_return_error'], undefined, { port: l.port });
  const sock = await acceptFrom(l, cli);
  const conn = new Connection(new TlsContext({ certificate: serverCert(set.chain), groups: ECDHE_IDS, ...ours }), 'server');
  const hs = countHandshakes(conn);
  const alerts = recordAlerts(conn);
  const p = pump(conn, sock);
  await within(p.handshake, T, () => `${describeConn(conn)}${show(cli)}`);
  await cli.waitFor(/^New, TLSv1\.2, Cipher is /m, T);
  // the SSL-Session block ends the summary; stdin is read after it
  await cli.waitFor(/^ {4}Extended master secret: yes$/m, T);
  return { cli, conn, p, hs, alerts };
}

/**
 * A line from us to s_client, then one from s_client to us. In this order: s_client uses a
 * blocking socket, and after a renegotiation that its SSL_read ran (our HelloRequest), it stays
 * in SSL_read (SSL_MODE_AUTO_RETRY) until application data arrives, not reading its stdin.
 */
async function bothWays(s: ServerSide, tag: string): Promise<void> {
  const mark = s.cli.mark();
  s.p.send(`from puretls ${tag}\n`);
  await s.cli.waitFor(`from puretls ${tag}`, T, mark);
  const before = s.p.received().length;
  s.cli.write(`to puretls ${tag}\n`);
  await s.p.waitForData((b) => b.subarray(before).includes(`to puretls ${tag}\n`), T).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeConn(s.conn)}${show(s.cli)}`);
  });
}

describe('renegotiation started by openssl s_client ("R") → our server', () => {
  it('acceptClientInitiated: "R" makes a second, full handshake (a second ClientHello); data flows before and after; "r" is data', async () => {
    const s = await sClientToOurs(certs.rsa2048, { renegotiation: { acceptClientInitiated: true } });
    const { cli, conn, hs } = s;
    const fin1 = toHex(conn.negotiated.finished!);
    await bothWays(s, 'before');
    expect(hs.count()).toBe(1);

    let mark = cli.mark();
    cli.write('R\n');
    await cli.waitFor(/^RENEGOTIATING$/m, T, mark);
    await handshakeNumber(hs, s.p, 2, () => `${describeConn(conn)}${show(cli)}`);
    // s_client sent a second ClientHello and got a whole new server flight (certificate included).
    await cli.waitFor(msg('<<<', 'Finished'), T, mark);
    const after = cli.stdout().slice(mark.stdout);
    expect(countMatches(cli.stdout(), msg('>>>', 'ClientHello')), show(cli)).toBe(2);
    expect(after, show(cli)).toMatch(msg('>>>', 'ClientHello'));
    expect(after, show(cli)).toMatch(msg('<<<', 'Certificate'));
    expect(after, show(cli)).toMatch(msg('<<<', 'ServerKeyExchange'));
    expect(conn.isSessionReused, describeConn(conn)).toBe(false);
    expect(conn.handshaking).toBe(false);
    expect(conn.negotiated.secureRenegotiation).toBe(true);
    expect(conn.negotiated.extendedMasterSecret).toBe(true);
    expect(toHex(conn.negotiated.finished!)).not.toBe(fin1);
    await bothWays(s, 'after R');

    // OpenSSL 3.0's s_client has no "r" command: the line is application data, no handshake.
    mark = cli.mark();
    const before = s.p.received().length;
    cli.write('r\n');
    await s.p.waitForData((b) => b.subarray(before).toString('latin1') === 'r\n', T);
    expect(hs.count()).toBe(2);
    expect(countMatches(cli.stdout(), msg('>>>', 'ClientHello')), show(cli)).toBe(2);
    expect(s.alerts, s.alerts.join(', ')).toEqual([]);

    await s.p.end();
    expect((await cli.waitForExit(T)).code, show(cli)).toBe(0);
  });

  it('then our server\'s HelloRequest on the same connection: s_client offers its session, an abbreviated (resumed) third handshake', async () => {
    const s = await sClientToOurs(certs.p256, { renegotiation: { acceptClientInitiated: true } });
    const { cli, conn, hs } = s;
    let mark = cli.mark();
    cli.write('R\n');
    await cli.waitFor(/^RENEGOTIATING$/m, T, mark);
    await handshakeNumber(hs, s.p, 2, () => `${describeConn(conn)}${show(cli)}`);
    expect(conn.isSessionReused).toBe(false);
    await bothWays(s, 'after R');

    mark = cli.mark();
    expect(conn.renegotiate()).toBe(true);
    expect(conn.renegotiatePending()).toBe(true);
    s.p.send('with the HelloRequest\n');
    expect(conn.renegotiatePending()).toBe(false);
    await handshakeNumber(hs, s.p, 3, () => `${describeConn(conn)}${show(cli)}`);
    await cli.waitFor('with the HelloRequest', T, mark);
    await cli.waitFor(msg('<<<', 'Finished'), T, mark);
    const after = cli.stdout().slice(mark.stdout);
    expect(after, show(cli)).toMatch(msg('<<<', 'HelloRequest'));
    expect(after, show(cli)).toMatch(msg('>>>', 'ClientHello'));
    expect(after, show(cli)).not.toMatch(msg('<<<', 'Certificate'));
    expect(conn.isSessionReused, describeConn(conn)).toBe(true);
    await bothWays(s, 'after the resumed renegotiation');
    await s.p.end();
    expect((await cli.waitForExit(T)).code, show(cli)).toBe(0);
  });

  // The server-side mirror of "data written during our own renegotiation" (see below): an OpenSSL
  // client accepts application data during a renegotiation only until it reads the ServerHello.
  it('acceptClientInitiated: data our server writes right after reading the renegotiating ClientHello reaches s_client', async () => {
    const s = await sClientToOurs(certs.rsa2048, { renegotiation: { acceptClientInitiated: true } });
    const { cli, conn, hs } = s;
    await bothWays(s, 'before');
    let wrote = false;
    conn.on('message', (m) => {
      // the 'message' event of the second ClientHello: our ServerHello…ServerHelloDone is queued
      if (!wrote && m.direction === 'received' && m.type === 1 && hs.count() === 1) {
        wrote = true;
        conn.write(new TextEncoder().encode('written during the renegotiation\n'));
      }
    });
    const mark = cli.mark();
    cli.write('R\n');
    await handshakeNumber(hs, s.p, 2, () => `${describeConn(conn)}${show(cli)}`);
    expect(wrote).toBe(true);
    await cli.waitFor('written during the renegotiation', T, mark);
    expect(s.alerts, `${s.alerts.join(', ')}${show(cli)}`).toEqual([]);
    await bothWays(s, 'after');
    await s.p.end();
    expect((await cli.waitForExit(T)).code, show(cli)).toBe(0);
  });

  it('default policy (acceptClientInitiated false): we answer "R" with a no_renegotiation warning; s_client gives up with a fatal handshake_failure', async () => {
    const s = await sClientToOurs(certs.rsa2048, {});
    const { cli, conn, hs, p } = s;
    await bothWays(s, 'before');
    const mark = cli.mark();
    cli.write('R\n');
    const err = await rejectionOf(within(p.closed, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(cli)}`);
    await cli.waitForExit(T);
    const ctx = `${err.message}\n${describeConn(conn)}${show(cli)}`;
    expect(s.alerts, ctx).toEqual([`sent warning ${AlertDescription.no_renegotiation}`, `received fatal ${AlertDescription.handshake_failure}`]);
    expect(err.code, ctx).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert, ctx).toBe(AlertDescription.handshake_failure);
    expect(hs.count()).toBe(1);
    const after = cli.stdout().slice(mark.stdout);
    expect(after, ctx).toMatch(msg('>>>', 'ClientHello'));
    expect(after, ctx).toMatch(ALERT_LINE('<<<', 'warning', 'no_renegotiation'));
    expect(after, ctx).toMatch(ALERT_LINE('>>>', 'fatal', 'handshake_failure'));
    expect(cli.output(), ctx).toMatch(/ssl3_read_bytes:no renegotiation/);
    expect(cli.exitInfo()?.code, ctx).not.toBe(0);
  });
});

// ─────────────────────────────────────────────────────────────── HelloRequest from s_server → our client

interface ClientSide {
  srv: PeerHandle;
  conn: Connection;
  p: Pump;
  hs: HandshakeCounter;
  alerts: string[];
}

async function ourClientToSServer(set: CertSet, opensslArgs: string[], ours: TlsContextOptions = {}): Promise<ClientSide> {
  const srv = await startOpensslServer(['-tls1_2', '-msg', '-naccept', '1', '-cert', set.chain.leaf.certPath, '-key', set.chain.leaf.keyPath, '-cert_chain', set.chain.intermediatesPath, ...opensslArgs]);
  const conn = new Connection(new TlsContext({ verifier: verifierFor(set.chain), groups: ECDHE_IDS, ...ours }), 'client', { serverName: 'localhost' });
  const hs = countHandshakes(conn);
  const alerts = recordAlerts(conn);
  const p = connectOurs(conn, srv.port);
  await within(p.handshake, T, () => `${describeConn(conn)}${show(srv)}`);
  await srv.waitFor(/^Secure Renegotiation IS supported$/m, T);
  return { srv, conn, p, hs, alerts };
}

/** A line from us to s_server and one back. s_server's stdin lines must not start with a command letter. */
async function clientBothWays(c: ClientSide, tag: string): Promise<void> {
  const mark = c.srv.mark();
  c.p.send(`to s_server ${tag}\n`);
  await c.srv.waitFor(`to s_server ${tag}`, T, mark);
  const before = c.p.received().length;
  c.srv.write(`from s_server ${tag}\n`);
  await c.p.waitForData((b) => b.subarray(before).includes(`from s_server ${tag}\n`), T).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeConn(c.conn)}${show(c.srv)}`);
  });
}

describe('HelloRequest from openssl s_server ("r", "R" typed) → our client', () => {
  it('our client renegotiates each time, offering its session: two abbreviated handshakes (s_server resumes), data flows between', async () => {
    const c = await ourClientToSServer(certs.p256, []);
    const { srv, conn, hs } = c;
    await clientBothWays(c, 'before');

    let mark = srv.mark();
    srv.write('r\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, T, mark);
    await handshakeNumber(hs, c.p, 2, () => `${describeConn(conn)}${show(srv)}`);
    await srv.waitFor(msg('<<<', 'Finished'), T, mark);
    let after = srv.stdout().slice(mark.stdout);
    expect(after, show(srv)).toMatch(msg('>>>', 'HelloRequest'));
    expect(after, show(srv)).toMatch(msg('<<<', 'ClientHello'));
    // Resumed: s_server sends no certificate and no key exchange this time.
    expect(after, show(srv)).not.toMatch(msg('>>>', 'Certificate'));
    expect(after, show(srv)).not.toMatch(msg('>>>', 'ServerKeyExchange'));
    expect(conn.isSessionReused, describeConn(conn)).toBe(true);
    expect(conn.handshaking).toBe(false);
    await clientBothWays(c, 'after r');

    // "R": SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, then a HelloRequest; resumed again, so no CertificateRequest.
    mark = srv.mark();
    srv.write('R\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, T, mark);
    await handshakeNumber(hs, c.p, 3, () => `${describeConn(conn)}${show(srv)}`);
    await srv.waitFor(msg('<<<', 'Finished'), T, mark);
    after = srv.stdout().slice(mark.stdout);
    expect(after, show(srv)).toMatch(msg('>>>', 'HelloRequest'));
    expect(after, show(srv)).toMatch(msg('<<<', 'ClientHello'));
    expect(after, show(srv)).not.toMatch(msg('>>>', 'CertificateRequest'));
    expect(conn.isSessionReused, describeConn(conn)).toBe(true);
    await clientBothWays(c, 'after R');
    expect(countMatches(srv.stdout(), msg('<<<', 'ClientHello')), show(srv)).toBe(3);
    expect(c.alerts).toEqual([]);
    await c.p.end();
    expect((await srv.waitForExit(T)).code, show(srv)).toBe(0);
  });

  it('refuseServerInitiated: our client answers the HelloRequest with a no_renegotiation warning; s_server gives up (fatal handshake_failure)', async () => {
    const c = await ourClientToSServer(certs.rsa2048, [], { renegotiation: { refuseServerInitiated: true } });
    const { srv, conn, hs, p } = c;
    await clientBothWays(c, 'before');
    const mark = srv.mark();
    srv.write('r\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, T, mark);
    const err = await rejectionOf(within(p.closed, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(srv)}`);
    await srv.waitFor(/SSL routines/, T, mark);
    const ctx = `${err.message}\n${describeConn(conn)}${show(srv)}`;
    expect(c.alerts, ctx).toEqual([`sent warning ${AlertDescription.no_renegotiation}`, `received fatal ${AlertDescription.handshake_failure}`]);
    expect(err.code, ctx).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert, ctx).toBe(AlertDescription.handshake_failure);
    expect(hs.count()).toBe(1);
    const after = srv.stdout().slice(mark.stdout);
    expect(after, ctx).toMatch(ALERT_LINE('<<<', 'warning', 'no_renegotiation'));
    expect(after, ctx).toMatch(ALERT_LINE('>>>', 'fatal', 'handshake_failure'));
    expect(after, ctx).not.toMatch(msg('<<<', 'ClientHello'));
    expect(srv.output(), ctx).toMatch(/no renegotiation/);
  });
});

// ─────────────────────────────────────────────────────────────── our client's renegotiate() → s_server

describe('our client renegotiate() / renegotiateAbbreviated() → openssl s_server -tls1_2', () => {
  it('-client_renegotiation: renegotiate() is a full handshake (s_server sends its certificate again); data flows after', async () => {
    const c = await ourClientToSServer(certs.rsa2048, ['-client_renegotiation']);
    const { srv, conn, hs, p } = c;
    await clientBothWays(c, 'before');
    const fin1 = toHex(conn.negotiated.finished!);
    const mark = srv.mark();
    expect(conn.renegotiate()).toBe(true);
    expect(conn.renegotiatePending()).toBe(true);
    doHandshakeAndFlush(p);
    expect(conn.renegotiatePending()).toBe(false);
    expect(conn.handshaking).toBe(true);
    await handshakeNumber(hs, c.p, 2, () => `${describeConn(conn)}${show(srv)}`);
    await srv.waitFor(msg('<<<', 'Finished'), T, mark);
    const after = srv.stdout().slice(mark.stdout);
    expect(after, show(srv)).toMatch(msg('<<<', 'ClientHello'));
    expect(after, show(srv)).toMatch(msg('>>>', 'Certificate'));
    expect(after, show(srv)).toMatch(msg('>>>', 'ServerKeyExchange'));
    expect(conn.isSessionReused).toBe(false);
    expect(conn.handshaking).toBe(false);
    expect(toHex(conn.negotiated.finished!)).not.toBe(fin1);
    await clientBothWays(c, 'after');
    expect(c.alerts).toEqual([]);
    await p.end();
    expect((await srv.waitForExit(T)).code, show(srv)).toBe(0);
    expect(srv.output(), show(srv)).toMatch(/^ {3}1 server renegotiates \(SSL_accept\(\)\)$/m);
  });

  it('-client_renegotiation: renegotiateAbbreviated() resumes (no certificate from s_server); data flows after', async () => {
    const c = await ourClientToSServer(certs.p256, ['-client_renegotiation']);
    const { srv, conn, hs, p } = c;
    await clientBothWays(c, 'before');
    const mark = srv.mark();
    expect(conn.renegotiateAbbreviated()).toBe(true);
    doHandshakeAndFlush(p);
    await handshakeNumber(hs, c.p, 2, () => `${describeConn(conn)}${show(srv)}`);
    await srv.waitFor(msg('<<<', 'Finished'), T, mark);
    const after = srv.stdout().slice(mark.stdout);
    expect(after, show(srv)).toMatch(msg('<<<', 'ClientHello'));
    expect(after, show(srv)).not.toMatch(msg('>>>', 'Certificate'));
    expect(conn.isSessionReused, describeConn(conn)).toBe(true);
    await clientBothWays(c, 'after');
    expect(c.alerts).toEqual([]);
    await p.end();
    expect((await srv.waitForExit(T)).code, show(srv)).toBe(0);
  });

  // Application data written while our own renegotiation runs. OpenSSL (client or server) never
  // sends data in the middle of its own handshake (SSL_write finishes the handshake first), and
  // an OpenSSL server accepts application data during a renegotiation only until it has read the
  // ClientHello (ossl_statem_app_data_allowed); anything later is unexpected_message.
  it.each([
    { name: 'renegotiate()', abbreviated: false },
    { name: 'renegotiateAbbreviated()', abbreviated: true },
  ])('-client_renegotiation: data written right after $name reaches s_server and the renegotiation completes', async ({ abbreviated }) => {
    const c = await ourClientToSServer(abbreviated ? certs.p256 : certs.rsa2048, ['-client_renegotiation']);
    const { srv, conn, hs, p } = c;
    await clientBothWays(c, 'before');
    const mark = srv.mark();
    if (abbreviated) conn.renegotiateAbbreviated();
    else conn.renegotiate();
    p.send('written during the renegotiation\n');
    await handshakeNumber(hs, c.p, 2, () => `${describeConn(conn)}${show(srv)}`);
    await srv.waitFor('written during the renegotiation', T, mark);
    expect(conn.isSessionReused).toBe(abbreviated);
    expect(c.alerts, `${c.alerts.join(', ')}${show(srv)}`).toEqual([]);
    await clientBothWays(c, 'after');
    await p.end();
    expect((await srv.waitForExit(T)).code, show(srv)).toBe(0);
  });

  it('without -client_renegotiation: s_server answers no_renegotiation (warning); we fail with ERR_TLS_HANDSHAKE_FAILURE, s_server reports alert 40', async () => {
    const c = await ourClientToSServer(certs.rsa2048, []);
    const { srv, conn, p } = c;
    await clientBothWays(c, 'before');
    const mark = srv.mark();
    conn.renegotiate();
    doHandshakeAndFlush(p);
    const err = await rejectionOf(within(p.closed, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(srv)}`);
    await srv.waitFor(/SSL alert number 40/, T, mark);
    const ctx = `${err.message}\n${describeConn(conn)}${show(srv)}`;
    expect(c.alerts, ctx).toEqual([`received warning ${AlertDescription.no_renegotiation}`, `sent fatal ${AlertDescription.handshake_failure}`]);
    expect(err.code, ctx).toBe('ERR_TLS_HANDSHAKE_FAILURE');
    expect(err.alert).toBe(AlertDescription.handshake_failure);
    const after = srv.stdout().slice(mark.stdout);
    expect(after, ctx).toMatch(msg('<<<', 'ClientHello'));
    expect(after, ctx).toMatch(ALERT_LINE('>>>', 'warning', 'no_renegotiation'));
    expect(after, ctx).toMatch(ALERT_LINE('<<<', 'fatal', 'handshake_failure'));
  });
});

// ─────────────────────────────────────────────────────────────── our server's renegotiate() → s_client

describe("our server's renegotiate() (HelloRequest) → openssl s_client -tls1_2", () => {
  it('s_client answers the HelloRequest with a ClientHello offering its session; we resume it (abbreviated); data flows after', async () => {
    const s = await sClientToOurs(certs.rsa2048, {});
    const { cli, conn, hs } = s;
    await bothWays(s, 'before');
    const mark = cli.mark();
    conn.renegotiate();
    doHandshakeAndFlush(s.p);
    s.p.send('after the HelloRequest\n');
    await handshakeNumber(hs, s.p, 2, () => `${describeConn(conn)}${show(cli)}`);
    await cli.waitFor(msg('<<<', 'Finished'), T, mark);
    const after = cli.stdout().slice(mark.stdout);
    expect(after, show(cli)).toMatch(msg('<<<', 'HelloRequest'));
    expect(after, show(cli)).toMatch(msg('>>>', 'ClientHello'));
    expect(after, show(cli)).not.toMatch(msg('<<<', 'Certificate'));
    expect(conn.isSessionReused, describeConn(conn)).toBe(true);
    expect(s.alerts).toEqual([]);
    await cli.waitFor('after the HelloRequest', T, mark);
    await bothWays(s, 'after');
    await s.p.end();
    expect((await cli.waitForExit(T)).code, show(cli)).toBe(0);
  });

  it('with sessionStore: null and ticketCodec: null the answer to our HelloRequest is a full handshake (certificate sent again)', async () => {
    const s = await sClientToOurs(certs.p256, { sessionStore: null, ticketCodec: null });
    const { cli, conn, hs } = s;
    await bothWays(s, 'before');
    const mark = cli.mark();
    conn.renegotiate();
    doHandshakeAndFlush(s.p);
    await handshakeNumber(hs, s.p, 2, () => `${describeConn(conn)}${show(cli)}`);
    await cli.waitFor(msg('<<<', 'Finished'), T, mark);
    const after = cli.stdout().slice(mark.stdout);
    expect(after, show(cli)).toMatch(msg('<<<', 'HelloRequest'));
    expect(after, show(cli)).toMatch(msg('<<<', 'Certificate'));
    expect(conn.isSessionReused).toBe(false);
    await bothWays(s, 'after');
    await s.p.end();
    expect((await cli.waitForExit(T)).code, show(cli)).toBe(0);
  });

  it('with sessionStore: null but tickets on (the default): s_client answers with its RFC 5077 ticket and we resume by it (abbreviated, no certificate)', async () => {
    const s = await sClientToOurs(certs.p256, { sessionStore: null });
    const { cli, conn, hs } = s;
    await bothWays(s, 'before');
    // The first handshake gave s_client a ticket (our NewSessionTicket), and no session ID.
    expect(cli.stdout(), show(cli)).toMatch(msg('<<<', 'NewSessionTicket'));
    const mark = cli.mark();
    conn.renegotiate();
    doHandshakeAndFlush(s.p);
    await handshakeNumber(hs, s.p, 2, () => `${describeConn(conn)}${show(cli)}`);
    await cli.waitFor(msg('<<<', 'Finished'), T, mark);
    const after = cli.stdout().slice(mark.stdout);
    expect(after, show(cli)).toMatch(msg('<<<', 'HelloRequest'));
    expect(after, show(cli)).toMatch(msg('>>>', 'ClientHello'));
    expect(after, show(cli)).not.toMatch(msg('<<<', 'Certificate'));
    // A good ticket is not renewed in TLS 1.2 (SUCCESS: USE).
    expect(after, show(cli)).not.toMatch(msg('<<<', 'NewSessionTicket'));
    expect(conn.isSessionReused, describeConn(conn)).toBe(true);
    await bothWays(s, 'after');
    await s.p.end();
    expect((await cli.waitForExit(T)).code, show(cli)).toBe(0);
  });
});
