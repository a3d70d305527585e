// Interop, TLS 1.2: the sans-IO core against GnuTLS (gnutls-cli / gnutls-serv) on loopback.
// gnutls-serv cannot bind 127.0.0.1 alone, so each peer runs in a private network namespace
// and is reached through a Unix-socket relay (test/helpers/peers.ts: startGnutlsServer,
// runGnutlsClient); our side listens on / connects to that socket path.
//
//   gnutls-cli --inline-commands → our server   ("^renegotiate^" on its stdin renegotiates;
//                                                 it prints "- ReHandshake was completed")
//   our client → gnutls-serv --echo               (priority restricted to TLS 1.2; echoes lines;
//                                                 prints "- Description: (TLS1.2-X.509)-…",
//                                                 "- Options: extended master secret, safe renegotiation,")
//
// Skipped (with one line naming the Debian package) when gnutls-bin or `unshare --net` is
// missing; under CI=true that is a failure instead (missingPeer).
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Session } from '../../src/session/session.js';
import { countMatches, hasGnutls, hasNetns, installPeerCleanup, runGnutlsClient, startGnutlsServer, type GnutlsServer, type PeerHandle } from '../helpers/peers.js';
import { doHandshakeAndFlush, pump, type Pump } from '../helpers/pump.js';
import { makeTempDir } from '../helpers/tmp.js';
import {
  GROUPS12,
  countHandshakes,
  describeConn,
  firstSession,
  installSocketCleanup,
  listenPath,
  makeCertSets,
  recordAlerts,
  rejectionOf,
  serverCert,
  suite12,
  toHex,
  track,
  verifierFor,
  within,
  type CertSet,
  type CertType,
  type HandshakeCounter,
  type Suite12Row,
  show,
} from './support.js';

installPeerCleanup();
installSocketCleanup();

const available = hasGnutls() && hasNetns();
const T = 10_000;
const ECDHE_IDS = GROUPS12.map((g) => g.id);
const TLS12_ONLY = 'NORMAL:-VERS-ALL:+VERS-TLS1.2';


/** GnuTLS's "- Description:" for a TLS 1.2 handshake: (TLS1.2-X.509)-(ECDHE-<curve>)-(<sig>)-(<cipher>). */
const GNUTLS_CURVE: Record<string, string> = { X25519: 'X25519', 'P-256': 'SECP256R1', 'P-384': 'SECP384R1', 'P-521': 'SECP521R1' };

/** A priority string that leaves exactly one TLS 1.2 suite. */
const onlySuite = (s: Suite12Row): string => `${TLS12_ONLY}:-KX-ALL:+${s.gnutlsKx}:-CIPHER-ALL:+${s.gnutlsCipher}`;

describe.skipIf(!available)('GnuTLS, TLS 1.2', () => {
  let certs: Record<CertType, CertSet>;
  let dir: string;
  beforeAll(async () => {
    certs = await makeCertSets();
    dir = makeTempDir('puretls-gnutls12-');
  }, 60_000);

  // ───────────────────────────────────────────── gnutls-cli → our server

  interface ServerSide {
    cli: PeerHandle;
    conn: Connection;
    p: Pump;
    hs: HandshakeCounter;
    alerts: string[];
  }

  let n = 0;
  async function gnutlsCliToOurs(set: CertSet, priority: string, ours: Omit<TlsContextOptions, 'certificate'>): Promise<ServerSide> {
    const l = await listenPath(`${dir}/our-server-${n++}.sock`);
    const cli = runGnutlsClient(['--x509cafile', set.chain.rootPath, '--verify-hostname', 'localhost', '--sni-hostname', 'localhost', '--inline-commands', '--priority', priority], l.path);
    const exited = cli.waitForExit(T).then((x) => {
      throw new Error(`gnutls-cli exited (code ${x.code}) before connecting${show(cli)}`);
    });
    exited.catch(() => {});
    const sock = await within(Promise.race([l.accept(), exited]), T, () => `no connection from gnutls-cli${show(cli)}`);
    const conn = new Connection(new TlsContext({ certificate: serverCert(set.chain), groups: ECDHE_IDS, ...ours }), 'server');
    const hs = countHandshakes(conn);
    const alerts = recordAlerts(conn);
    const p = pump(conn, sock);
    await within(p.handshake, T, () => `${describeConn(conn)}${show(cli)}`);
    await cli.waitFor(/^- Handshake was completed$/m, T);
    return { cli, conn, p, hs, alerts };
  }

  /** A line from gnutls-cli to us and one back. */
  async function bothWays(s: ServerSide, tag: string): Promise<void> {
    const before = s.p.received().length;
    s.cli.write(`to puretls ${tag}\n`);
    await s.p.waitForData((b) => b.subarray(before).includes(`to puretls ${tag}\n`), T).catch((e: Error) => {
      throw new Error(`${e.message}\n${describeConn(s.conn)}${show(s.cli)}`);
    });
    const mark = s.cli.mark();
    s.p.send(`from puretls ${tag}\n`);
    await s.cli.waitFor(`from puretls ${tag}`, T, mark);
  }

  async function closeFromUs(s: ServerSide): Promise<void> {
    const mark = s.cli.mark();
    await s.p.end();
    await s.cli.waitFor(/^- Peer has closed the GnuTLS connection$/m, T, mark);
    expect((await s.cli.waitForExit(T)).code, show(s.cli)).toBe(0);
  }

  describe('gnutls-cli → our server', () => {
    const cases = [
      { suite: suite12('ECDHE-ECDSA-CHACHA20-POLY1305'), cert: 'p256' as const, sig: 'ECDSA-SHA256' },
      { suite: suite12('ECDHE-ECDSA-AES128-GCM-SHA256'), cert: 'ed25519' as const, sig: 'EdDSA-Ed25519' },
      { suite: suite12('ECDHE-RSA-AES256-GCM-SHA384'), cert: 'rsa2048' as const, sig: 'RSA-PSS-RSAE-SHA256' },
    ].map((c) => ({ ...c, name: `${c.suite.openssl}, ${c.cert} cert` }));

    it.each(cases)('$name: verified, EMS and safe renegotiation, both ways, close', async ({ suite, cert, sig }) => {
      const s = await gnutlsCliToOurs(certs[cert], onlySuite(suite), {});
      const { cli, conn } = s;
      const ctx = `${describeConn(conn)}${show(cli)}`;
      expect(conn.protocol, ctx).toBe('TLSv1.2');
      expect(conn.cipherSuite?.name, ctx).toBe(suite.name);
      expect(conn.negotiated.extendedMasterSecret, ctx).toBe(true);
      expect(conn.negotiated.secureRenegotiation, ctx).toBe(true);
      const out = cli.output();
      expect(out, ctx).toMatch(/^- Status: The certificate is trusted\. $/m);
      const curve = GNUTLS_CURVE[GROUPS12.find((g) => g.id === conn.negotiated.group)!.openssl]!;
      expect(out, ctx).toMatch(new RegExp(`^- Description: \\(TLS1\\.2-X\\.509\\)-\\(ECDHE-${curve}\\)-\\(${sig}\\)-\\(${suite.gnutlsCipher}\\)$`, 'm'));
      expect(out, ctx).toMatch(/^- Options: extended master secret, safe renegotiation,/m);
      await bothWays(s, suite.openssl);
      await closeFromUs(s);
    });
  });

  it('gnutls-cli --resume → our server (one TlsContext, default MemorySessionCache): the second connection resumes by session ID', async () => {
    const set = certs.p256;
    const ctx = new TlsContext({ certificate: serverCert(set.chain), groups: ECDHE_IDS });
    const l = await listenPath(`${dir}/our-server-${n++}.sock`);
    const cli = runGnutlsClient(['--x509cafile', set.chain.rootPath, '--verify-hostname', 'localhost', '--sni-hostname', 'localhost', '--resume', '--priority', TLS12_ONLY], l.path);
    const conns: Connection[] = [];
    const serve = async (): Promise<Pump> => {
      const sock = await within(l.accept(), T, () => `no connection from gnutls-cli${show(cli)}`);
      const conn = new Connection(ctx, 'server');
      conns.push(conn);
      return pump(conn, sock);
    };
    const p1 = await serve();
    await within(p1.handshake, T, () => `${describeConn(conns[0]!)}${show(cli)}`);
    const p2 = await serve(); // gnutls-cli closes the first connection and reconnects with its session
    await within(p2.handshake, T, () => `${describeConn(conns[1]!)}${show(cli)}`);
    await cli.waitFor(/^- Resume Handshake was completed$/m, T);
    await cli.waitFor(/^\*\*\* This is a resumed session$/m, T);
    const c = `${describeConn(conns[1]!)}${show(cli)}`;
    expect(conns[0]!.isSessionReused, c).toBe(false);
    expect(conns[1]!.isSessionReused, c).toBe(true);
    expect(conns[1]!.negotiated.extendedMasterSecret, c).toBe(true);
    const ids = [...cli.output().matchAll(/^- Session ID: ([0-9A-F:]+)$/gm)].map((m) => m[1]);
    expect(ids.length, c).toBe(2);
    expect(ids[1], c).toBe(ids[0]);
    await p2.end();
    await cli.stop();
  });

  describe('renegotiation from gnutls-cli ("^renegotiate^") → our server', () => {
    it('acceptClientInitiated: gnutls-cli prints "- ReHandshake was completed", our \'handshake\' fires again; data before and after', async () => {
      const s = await gnutlsCliToOurs(certs.rsa2048, TLS12_ONLY, { renegotiation: { acceptClientInitiated: true } });
      const { cli, conn, hs } = s;
      await bothWays(s, 'before');
      const fin1 = toHex(conn.negotiated.finished!);
      const mark = cli.mark();
      cli.write('^renegotiate^\n');
      await hs.waitFor(2, T, () => `${describeConn(conn)}${show(cli)}`);
      await cli.waitFor(/^- ReHandshake was completed$/m, T, mark);
      expect(toHex(conn.negotiated.finished!)).not.toBe(fin1);
      expect(conn.handshaking).toBe(false);
      // GnuTLS's rehandshake from a client is a full one: a new session ID is printed.
      const ids = [...cli.output().matchAll(/^- Session ID: ([0-9A-F:]+)$/gm)].map((m) => m[1]);
      expect(ids.length, show(cli)).toBe(2);
      expect(ids[0], show(cli)).not.toBe(ids[1]);
      expect(conn.isSessionReused).toBe(false);
      await bothWays(s, 'after');
      // and once more
      const mark2 = cli.mark();
      cli.write('^renegotiate^\n');
      await hs.waitFor(3, T, () => `${describeConn(conn)}${show(cli)}`);
      await cli.waitFor(/^- ReHandshake was completed$/m, T, mark2);
      await bothWays(s, 'after the second');
      expect(s.alerts).toEqual([]);
      await closeFromUs(s);
    });

    // RFC 5246 §7.2.2: no_renegotiation is a warning; the requester decides. gnutls_handshake()
    // returns GNUTLS_E_WARNING_ALERT_RECEIVED (non-fatal), and gnutls-cli's handshake loop calls it
    // again on any non-fatal error — which sends another ClientHello. Each is one more refused
    // renegotiation for us, counted with the warning alerts (limits.maxWarningAlerts, default 8,
    // reset by application data): the ninth ends the connection (ERR_TLS_TOO_MANY, unexpected_message).
    it('default policy: we answer with no_renegotiation warnings; gnutls-cli retries its ClientHello until we end it (ERR_TLS_TOO_MANY)', async () => {
      const s = await gnutlsCliToOurs(certs.p256, TLS12_ONLY, {});
      const { cli, conn, hs, p } = s;
      await bothWays(s, 'before');
      const mark = cli.mark();
      cli.write('^renegotiate^\n');
      const err = await rejectionOf(within(p.closed, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(cli)}`);
      await cli.waitForExit(T);
      const ctx = `${err.message}\n${describeConn(conn)}\nalerts: ${s.alerts.join(', ')}${show(cli)}`;
      expect(err.code, ctx).toBe('ERR_TLS_TOO_MANY');
      expect(err.alert, ctx).toBe(AlertDescription.unexpected_message);
      expect(hs.count()).toBe(1);
      expect(s.alerts, ctx).toEqual([...Array<string>(8).fill(`sent warning ${AlertDescription.no_renegotiation}`), `sent fatal ${AlertDescription.unexpected_message}`]);
      const after = cli.stdout().slice(mark.stdout) + cli.stderr().slice(mark.stderr);
      expect(countMatches(after, /^\*\*\* Received alert \[100\]: No renegotiation is allowed$/m), ctx).toBe(8);
      expect(after, ctx).not.toMatch(/ReHandshake was completed/);
      expect(after, ctx).toMatch(/^\*\*\* Fatal error: .*$/m);
    });
  });

  // ───────────────────────────────────────────── our client → gnutls-serv

  interface ClientSide {
    srv: GnutlsServer;
    conn: Connection;
    p: Pump;
    hs: HandshakeCounter;
    alerts: string[];
    session: Promise<Session>;
  }

  /** gnutls-serv --echo; `extra` e.g. ['--noticket'] (no RFC 5077 tickets: sessions are resumed by ID). */
  async function startServ(set: CertSet, priority: string, extra: string[] = []): Promise<GnutlsServer> {
    return startGnutlsServer(['--echo', `--x509certfile=${set.chain.chainPath}`, `--x509keyfile=${set.chain.leaf.keyPath}`, `--priority=${priority}`, ...extra], dir);
  }

  async function ourClientTo(srv: GnutlsServer, set: CertSet, ours: TlsContextOptions = {}, session?: Session): Promise<ClientSide> {
    const conn = new Connection(new TlsContext({ verifier: verifierFor(set.chain), groups: ECDHE_IDS, ...ours }), 'client', {
      serverName: 'localhost',
      ...(session ? { session } : {}),
    });
    const hs = countHandshakes(conn);
    const alerts = recordAlerts(conn);
    const sess = firstSession(conn);
    const p = pump(conn, track(srv.connect()));
    await within(p.handshake, T, () => `${describeConn(conn)}${show(srv.peer)}`);
    return { srv, conn, p, hs, alerts, session: sess };
  }

  /** A line out, echoed back by gnutls-serv --echo. */
  async function echo(c: ClientSide, line: string): Promise<void> {
    const before = c.p.received().length;
    c.p.send(`${line}\n`);
    await c.p.waitForData((b) => b.subarray(before).includes(`${line}\n`), T).catch((e: Error) => {
      throw new Error(`${e.message}\n${describeConn(c.conn)}${show(c.srv.peer)}`);
    });
  }

  describe('our client → gnutls-serv --echo (TLS 1.2 only)', () => {
    const cases = [
      { suite: suite12('ECDHE-ECDSA-AES256-GCM-SHA384'), cert: 'p256' as const },
      { suite: suite12('ECDHE-ECDSA-CHACHA20-POLY1305'), cert: 'ed25519' as const },
      { suite: suite12('ECDHE-RSA-AES128-GCM-SHA256'), cert: 'rsa2048' as const },
    ].map((c) => ({ ...c, name: `${c.suite.openssl}, ${c.cert} cert` }));

    it.each(cases)('$name: verified, EMS, echo', async ({ suite, cert }) => {
      const srv = await startServ(certs[cert], onlySuite(suite));
      const c = await ourClientTo(srv, certs[cert]);
      const { conn } = c;
      const ctx = `${describeConn(conn)}${show(srv.peer)}`;
      expect(conn.protocol, ctx).toBe('TLSv1.2');
      expect(conn.cipherSuite?.name, ctx).toBe(suite.name);
      expect(conn.peerVerification?.authorized, ctx).toBe(true);
      expect(conn.negotiated.extendedMasterSecret, ctx).toBe(true);
      expect(conn.negotiated.secureRenegotiation, ctx).toBe(true);
      await echo(c, `hello gnutls ${suite.openssl}`);
      // its session summary (stdout) may arrive after the echo: wait for its last line
      await srv.peer.waitFor(/^ - 'tls-exporter': /m, T);
      const out = srv.peer.output();
      expect(out, ctx).toMatch(/^- Version: TLS1\.2$/m);
      expect(out, ctx).toMatch(new RegExp(`^- Cipher: ${suite.gnutlsCipher}$`, 'm'));
      expect(out, ctx).toMatch(/^- Options: extended master secret, safe renegotiation,/m);
      // 'tls-unique' (RFC 5929) is the first Finished of the connection: ours, as the client.
      const unique = /^ - 'tls-unique': ([0-9a-f]+)$/m.exec(out)?.[1];
      expect(unique, ctx).toBe(toHex(conn.negotiated.finished!));
      // 'tls-exporter' (RFC 9266): GnuTLS uses the RFC 5705 exporter with an empty (present, zero-length) context.
      const exporter = /^ - 'tls-exporter': ([0-9a-f]+)$/m.exec(out)?.[1];
      expect(exporter, ctx).toBe(toHex(conn.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', new Uint8Array(0))));
      await c.p.end();
    });

    // gnutls-serv issues RFC 5077 tickets by default (our ClientHello asks with an empty session_ticket);
    // with --noticket the session is resumed by its ID.
    for (const mode of ['ticket', 'session ID'] as const) {
    it(`${mode} resumption${mode === 'session ID' ? ' (gnutls-serv --noticket)' : ''}: a second connection with the Session resumes; gnutls-serv says so`, async () => {
      const set = certs.p256;
      const srv = await startServ(set, TLS12_ONLY, mode === 'ticket' ? [] : ['--noticket']);
      const first = await ourClientTo(srv, set);
      const session = await within(first.session, T, () => `no 'session' event${show(srv.peer)}`);
      await echo(first, 'first');
      expect(first.conn.isSessionReused).toBe(false);
      await srv.peer.waitFor(/^- Session ID: /m, T);
      const firstId = /^- Session ID: ([0-9A-F:]+)$/m.exec(srv.peer.stdout())?.[1]?.replace(/:/g, '').toLowerCase();
      expect(session.sessionId).toHaveLength(32);
      if (mode === 'ticket') expect(session.ticket.length, show(srv.peer)).toBeGreaterThan(0);
      else expect(session.ticket).toHaveLength(0);
      await first.p.end();
      const mark = srv.peer.mark();
      const second = await ourClientTo(srv, set, {}, session);
      await echo(second, 'second');
      const ctx = `${describeConn(second.conn)}${show(srv.peer)}`;
      expect(second.conn.isSessionReused, ctx).toBe(true);
      expect(second.conn.negotiated.extendedMasterSecret, ctx).toBe(true);
      await srv.peer.waitFor(/^ - 'tls-exporter': /m, T, mark);
      const after = srv.peer.stdout().slice(mark.stdout);
      expect(after, ctx).toMatch(/^\*\*\* This is a resumed session$/m);
      const id = /^- Session ID: ([0-9A-F:]+)$/m.exec(after)?.[1]?.replace(/:/g, '').toLowerCase();
      // gnutls-serv prints the resumed session's own ID. By ID: the one its ServerHello gave us. By ticket:
      // GnuTLS gives the session it seals a new ID (not the ServerHello's), and prints that both times.
      if (mode === 'session ID') expect(id, ctx).toBe(toHex(session.sessionId));
      else expect(id, ctx).toBe(firstId);
      // RFC 5929 tls-unique: the first Finished of the latest handshake — the server's, in an abbreviated one.
      expect(/^ - 'tls-unique': ([0-9a-f]+)$/m.exec(after)?.[1], ctx).toBe(toHex(second.conn.negotiated.peerFinished!));
      const exporter = /^ - 'tls-exporter': ([0-9a-f]+)$/m.exec(after)?.[1];
      const empty = toHex(second.conn.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', new Uint8Array(0)));
      const none = toHex(second.conn.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding'));
      expect({ empty: exporter === empty, none: exporter === none }, ctx).toEqual({ empty: true, none: false });
      await second.p.end();
    });
    }

    // gnutls-serv runs with --noticket for the abbreviated renegotiations below: GnuTLS 3.7.9's server fails
    // a renegotiation whose ClientHello offers a ticket ("Error in rehandshake: Cannot perform this action
    // while handshake is in progress", fatal internal_error) although it resumes the same ticket in a new
    // connection. Our client offers the current session's ticket there, as OpenSSL's does
    // (SSL_renegotiate_abbreviated); by session ID the abbreviated renegotiation works.
    it('our client renegotiate() and renegotiateAbbreviated(): gnutls-serv (--noticket) accepts both; echo before and after', async () => {
      const set = certs.rsa2048;
      const srv = await startServ(set, TLS12_ONLY, ['--noticket']);
      const c = await ourClientTo(srv, set);
      const { conn, hs } = c;
      await echo(c, 'before');
      const fin1 = toHex(conn.negotiated.finished!);
      conn.renegotiate();
      doHandshakeAndFlush(c.p);
      await hs.waitFor(2, T, () => `${describeConn(conn)}${show(srv.peer)}`);
      expect(conn.isSessionReused).toBe(false);
      expect(toHex(conn.negotiated.finished!)).not.toBe(fin1);
      await echo(c, 'after renegotiate');
      conn.renegotiateAbbreviated();
      doHandshakeAndFlush(c.p);
      await hs.waitFor(3, T, () => `${describeConn(conn)}${show(srv.peer)}`);
      expect(conn.isSessionReused, describeConn(conn)).toBe(true);
      await echo(c, 'after renegotiateAbbreviated');
      expect(c.alerts).toEqual([]);
      // gnutls-serv's echo loop: gnutls_record_recv() returns GNUTLS_E_REHANDSHAKE, it prints this and calls gnutls_handshake().
      await srv.peer.waitFor(/^\*\*\* Received hello message$[\s\S]*^\*\*\* Received hello message$/m, T);
      expect(countMatches(srv.peer.output(), /^\*\*\* Received hello message$/m), show(srv.peer)).toBe(2);
      await c.p.end();
    });

    // As against s_server (openssl12-reneg.test.ts): application data sent right after our renegotiating ClientHello.
    it.each([
      { name: 'renegotiate()', abbreviated: false },
      { name: 'renegotiateAbbreviated()', abbreviated: true },
    ])('data written right after $name is echoed and the renegotiation completes (abbreviated: gnutls-serv --noticket, see above)', async ({ abbreviated }) => {
      const set = certs.p256;
      const srv = await startServ(set, TLS12_ONLY, abbreviated ? ['--noticket'] : []);
      const c = await ourClientTo(srv, set);
      const { conn, hs } = c;
      await echo(c, 'before');
      if (abbreviated) conn.renegotiateAbbreviated();
      else conn.renegotiate();
      const before = c.p.received().length;
      c.p.send('written during the renegotiation\n');
      await c.p.waitForData((b) => b.subarray(before).includes('written during the renegotiation\n'), T).catch((e: Error) => {
        throw new Error(`${e.message}\n${describeConn(conn)}\nalerts: ${c.alerts.join(', ')}${show(srv.peer)}`);
      });
      await hs.waitFor(2, T, () => `${describeConn(conn)}${show(srv.peer)}`);
      expect(conn.isSessionReused).toBe(abbreviated);
      expect(c.alerts).toEqual([]);
      await echo(c, 'after');
      await c.p.end();
    });
  });
});
