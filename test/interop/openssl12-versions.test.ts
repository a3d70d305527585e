// Interop, TLS 1.2 version negotiation against the openssl binary on loopback:
// TLS_FALLBACK_SCSV (RFC 7507) both ways, the RFC 8446 §4.1.3 downgrade sentinel as the
// real peers set it, and peers that only speak TLS 1.0 / 1.1 (we speak 1.2 and 1.3 only).
//
// The sentinel: a server that supports TLS 1.3 but negotiates TLS 1.2 ends its ServerHello
// random with "DOWNGRD\x01"; a client that offered 1.3 must then abort (illegal_parameter).
// With real, conforming peers the check never fires: such a server negotiates 1.2 only when
// the client did not offer 1.3 — and a client that did not offer 1.3 does not check. A server
// limited to 1.2 (s_server -tls1_2) sets no sentinel at all. Tripping it takes an attacker
// (or a middlebox) that strips 1.3 from the ClientHello, so the abort is tested in memory,
// with a rewritten hello, not here. Here: that both peers set the sentinel where they must,
// and that nothing trips where it must not.
//
// SSL 3.0: this OpenSSL 3.0 build has no -ssl3 (no-ssl3), so only TLS 1.0 and 1.1 are tried,
// which OpenSSL 3 allows only at security level 0 (`-cipher DEFAULT:@SECLEVEL=0`).
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { pump, type Pump } from '../helpers/pump.js';
import {
  GROUPS12,
  connectOurs,
  describeConn,
  installSocketCleanup,
  listen,
  makeCertSets,
  recordAlerts,
  rejectionOf,
  serverCert,
  verifierFor,
  within,
  type CertSet,
  type CertType,
  show,
  acceptFrom,
} from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 10_000;
const ECDHE_IDS = GROUPS12.map((g) => g.id);
const LEGACY = ['-cipher', 'DEFAULT:@SECLEVEL=0'];
/** "DOWNGRD\x01" (TLS 1.2) as -trace prints the end of random_bytes. */
const SENTINEL_12 = '444F574E47524401';

let certs: Record<CertType, CertSet>;
beforeAll(async () => {
  certs = await makeCertSets();
}, 60_000);


/** The ServerHello's random_bytes as -trace prints it (hex, upper case), or undefined. */
function traceServerRandom(out: string): string | undefined {
  const i = out.search(/^ {4}ServerHello, Length=/m);
  if (i < 0) return undefined;
  return /^ {8}random_bytes \(len=28\): ([0-9A-F]{56})$/m.exec(out.slice(i))?.[1];
}

// ─────────────────────────────────────────────────────────────── harness

interface ClientRun {
  srv: PeerHandle;
  conn: Connection;
  p: Pump;
  alerts: string[];
}

async function ourClientTo(set: CertSet, opensslArgs: string[], ours: TlsContextOptions): Promise<ClientRun> {
  const srv = await startOpensslServer(['-naccept', '1', '-cert', set.chain.leaf.certPath, '-key', set.chain.leaf.keyPath, '-cert_chain', set.chain.intermediatesPath, ...opensslArgs]);
  const conn = new Connection(new TlsContext({ verifier: verifierFor(set.chain), groups: ECDHE_IDS, ...ours }), 'client', { serverName: 'localhost' });
  const alerts = recordAlerts(conn);
  return { srv, conn, p: connectOurs(conn, srv.port), alerts };
}

interface ServerRun {
  cli: PeerHandle;
  conn: Connection;
  p: Pump;
  alerts: string[];
}


async function sClientTo(set: CertSet, opensslArgs: string[], ours: Omit<TlsContextOptions, 'certificate'>, line: string): Promise<ServerRun> {
  const l = await listen();
  const cli = runOpensslClient(['-servername', 'localhost', '-CAfile', set.chain.rootPath, '-verify_return_error', ...opensslArgs], `${line}\n`, { port: l.port });
  const sock = await acceptFrom(l, cli);
  const conn = new Connection(new TlsContext({ certificate: serverCert(set.chain), groups: ECDHE_IDS, ...ours }), 'server');
  const alerts = recordAlerts(conn);
  return { cli, conn, p: pump(conn, sock), alerts };
}

/** Handshake, s_client's line to us, one back, close, s_client exits 0. */
async function exchange(run: ServerRun, line: string): Promise<void> {
  const { cli, conn, p } = run;
  await within(p.handshake, T, () => `${describeConn(conn)}${show(cli)}`).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeConn(conn)}${show(cli)}`);
  });
  await p.waitForData((b) => b.includes(`${line}\n`), T);
  const mark = cli.mark();
  p.send(`puretls answers ${line}\n`);
  await cli.waitFor(`puretls answers ${line}`, T, mark);
  await p.end();
  expect((await cli.waitForExit(T)).code, show(cli)).toBe(0);
}

// ─────────────────────────────────────────────────────────────── TLS_FALLBACK_SCSV

describe('TLS_FALLBACK_SCSV (RFC 7507)', () => {
  it('s_client -tls1_2 -fallback_scsv → our server (max TLS 1.3): we send inappropriate_fallback, s_client prints it', async () => {
    const run = await sClientTo(certs.rsa2048, ['-tls1_2', '-fallback_scsv'], {}, 'never');
    const err = await rejectionOf(within(run.p.handshake, T, () => describeConn(run.conn)), () => `${describeConn(run.conn)}${show(run.cli)}`);
    await run.cli.waitForExit(T);
    const ctx = `${err.message}\n${describeConn(run.conn)}${show(run.cli)}`;
    expect(err.alert, ctx).toBe(AlertDescription.inappropriate_fallback);
    expect(err.remote ?? false, ctx).toBe(false);
    expect(run.alerts, ctx).toEqual([`sent fatal ${AlertDescription.inappropriate_fallback}`]);
    expect(run.cli.output(), ctx).toMatch(/tlsv1 alert inappropriate fallback/);
    expect(run.cli.output(), ctx).toMatch(/SSL alert number 86/);
    expect(run.cli.exitInfo()?.code, ctx).not.toBe(0);
  });

  it('s_client -tls1_2 -fallback_scsv → our server with maxVersion TLS 1.2: not a fallback, works', async () => {
    const run = await sClientTo(certs.rsa2048, ['-tls1_2', '-fallback_scsv'], { maxVersion: ProtocolVersion.TLSv1_2 }, 'not a fallback');
    await exchange(run, 'not a fallback');
    expect(run.conn.protocol).toBe('TLSv1.2');
    expect(run.cli.output(), show(run.cli)).toMatch(/^New, TLSv1\.2, Cipher is /m);
  });

  it('our client (sendFallbackScsv, maxVersion TLS 1.2) → s_server (max TLS 1.3): s_server answers inappropriate_fallback, we fail with alert 86', async () => {
    const run = await ourClientTo(certs.p256, [], { sendFallbackScsv: true, maxVersion: ProtocolVersion.TLSv1_2 });
    const err = await rejectionOf(within(run.p.handshake, T, () => describeConn(run.conn)), () => `${describeConn(run.conn)}${show(run.srv)}`);
    const ctx = `${err.message}\n${describeConn(run.conn)}${show(run.srv)}`;
    expect(err.code, ctx).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert, ctx).toBe(AlertDescription.inappropriate_fallback);
    expect(err.remote, ctx).toBe(true);
    await run.srv.waitFor(/inappropriate fallback/, T);
  });

  it('our client (sendFallbackScsv, maxVersion TLS 1.2) → s_server -tls1_2: the server has nothing better, works', async () => {
    const run = await ourClientTo(certs.p256, ['-tls1_2'], { sendFallbackScsv: true, maxVersion: ProtocolVersion.TLSv1_2 });
    await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(run.srv)}`);
    expect(run.conn.protocol).toBe('TLSv1.2');
    await run.srv.waitFor(/^Secure Renegotiation IS supported$/m, T);
    await run.p.end();
    expect((await run.srv.waitForExit(T)).code, show(run.srv)).toBe(0);
  });
});

// ─────────────────────────────────────────────────────────────── downgrade sentinel

describe('downgrade sentinel (RFC 8446 §4.1.3) as real peers set it', () => {
  it('our default client (offers 1.3 and 1.2) → s_server -tls1_2: TLS 1.2, no sentinel (s_server cannot do 1.3), nothing trips', async () => {
    const run = await ourClientTo(certs.rsa2048, ['-tls1_2', '-trace'], {});
    await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(run.srv)}`);
    expect(run.conn.protocol).toBe('TLSv1.2');
    await run.srv.waitFor(/^Secure Renegotiation IS supported$/m, T);
    const random = traceServerRandom(run.srv.stdout());
    expect(random, show(run.srv)).toBeDefined();
    expect(random!.endsWith(SENTINEL_12), show(run.srv)).toBe(false);
    // s_server saw our ClientHello offer TLS 1.3 as well
    expect(run.srv.stdout(), show(run.srv)).toMatch(/^ {10}TLS 1\.3 \(772\)$/m);
    expect(run.alerts).toEqual([]);
    await run.p.end();
    expect((await run.srv.waitForExit(T)).code, show(run.srv)).toBe(0);
  });

  it('our client with maxVersion TLS 1.2 → s_server (max TLS 1.3): s_server sets DOWNGRD\\x01, we (not offering 1.3) accept it', async () => {
    const run = await ourClientTo(certs.rsa2048, ['-trace'], { maxVersion: ProtocolVersion.TLSv1_2 });
    await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(run.srv)}`);
    expect(run.conn.protocol).toBe('TLSv1.2');
    await run.srv.waitFor(/^Secure Renegotiation IS supported$/m, T);
    const random = traceServerRandom(run.srv.stdout());
    expect(random?.endsWith(SENTINEL_12), show(run.srv)).toBe(true);
    await run.p.end();
    expect((await run.srv.waitForExit(T)).code, show(run.srv)).toBe(0);
  });

  it('s_client -tls1_2 → our server (max TLS 1.3): our ServerHello random ends with DOWNGRD\\x01; s_client (max 1.2) does not check, works', async () => {
    const run = await sClientTo(certs.p256, ['-tls1_2', '-trace'], {}, 'sentinel');
    await exchange(run, 'sentinel');
    const random = traceServerRandom(run.cli.stdout());
    expect(random?.endsWith(SENTINEL_12), show(run.cli)).toBe(true);
  });

  it('s_client -tls1_2 → our server with maxVersion TLS 1.2: no sentinel', async () => {
    const run = await sClientTo(certs.p256, ['-tls1_2', '-trace'], { maxVersion: ProtocolVersion.TLSv1_2 }, 'no sentinel');
    await exchange(run, 'no sentinel');
    const random = traceServerRandom(run.cli.stdout());
    expect(random, show(run.cli)).toBeDefined();
    expect(random!.endsWith(SENTINEL_12), show(run.cli)).toBe(false);
  });

  it('s_client (max 1.3) → our server with maxVersion TLS 1.2: TLS 1.2 without a sentinel; s_client checks and is content', async () => {
    const run = await sClientTo(certs.rsa2048, ['-trace'], { maxVersion: ProtocolVersion.TLSv1_2 }, 'checked');
    await exchange(run, 'checked');
    expect(run.conn.protocol).toBe('TLSv1.2');
    const random = traceServerRandom(run.cli.stdout());
    expect(random!.endsWith(SENTINEL_12), show(run.cli)).toBe(false);
    expect(run.cli.output(), show(run.cli)).toMatch(/^New, TLSv1\.2, Cipher is /m);
  });
});

// ─────────────────────────────────────────────────────────────── TLS 1.0 / 1.1 peers

describe('peers that speak only TLS 1.0 / 1.1 (OpenSSL at @SECLEVEL=0)', () => {
  it.each([
    { flag: '-tls1_1', printed: 'TLS 1.1' },
    { flag: '-tls1', printed: 'TLS 1.0' },
  ])('s_client $flag → our server: protocol_version alert, s_client prints it', async ({ flag }) => {
    const run = await sClientTo(certs.rsa2048, [flag, ...LEGACY, '-msg'], {}, 'never');
    const err = await rejectionOf(within(run.p.handshake, T, () => describeConn(run.conn)), () => `${describeConn(run.conn)}${show(run.cli)}`);
    await run.cli.waitForExit(T);
    const ctx = `${err.message}\n${describeConn(run.conn)}${show(run.cli)}`;
    expect(err.code, ctx).toBe('ERR_TLS_PROTOCOL_VERSION');
    expect(err.alert, ctx).toBe(AlertDescription.protocol_version);
    expect(run.alerts, ctx).toEqual([`sent fatal ${AlertDescription.protocol_version}`]);
    expect(run.cli.output(), ctx).toMatch(/tlsv1 alert protocol version/);
    expect(run.cli.output(), ctx).toMatch(/SSL alert number 70/);
  });

  it.each([{ flag: '-tls1_1' }, { flag: '-tls1' }])('our default client → s_server $flag: it finds no version in our supported_versions, sends protocol_version', async ({ flag }) => {
    const run = await ourClientTo(certs.rsa2048, [flag, ...LEGACY, '-msg'], {});
    const err = await rejectionOf(within(run.p.handshake, T, () => describeConn(run.conn)), () => `${describeConn(run.conn)}${show(run.srv)}`);
    await run.srv.waitFor(/SSL routines:/, T); // the error stack comes after "ERROR"
    const ctx = `${err.message}\n${describeConn(run.conn)}${show(run.srv)}\nalerts: ${run.alerts.join(', ')}`;
    expect(err.code, ctx).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert, ctx).toBe(AlertDescription.protocol_version);
    expect(run.srv.output(), ctx).toMatch(/^>>> TLS 1\.[0-2], Alert \[length 0002\], fatal protocol_version$/m);
    expect(run.srv.output(), ctx).toMatch(/tls_early_post_process_client_hello:unsupported protocol/);
  });

  // Without supported_versions (our client at maxVersion 1.2 offers only legacy_version 0x0303),
  // RFC 5246 E.1 has the server answer with the highest version it has (1.1 / 1.0) and leaves it
  // to the client to refuse (protocol_version). OpenSSL chooses the cipher before it answers,
  // finds none of our (TLS 1.2-only AEAD) suites usable below 1.2, and sends handshake_failure:
  // no ServerHello ever reaches us, so our client's check of a TLS 1.1 ServerHello is tested in memory.
  it.each([
    { flag: '-tls1_1', version: '1.1' },
    { flag: '-tls1', version: '1.0' },
  ])('our client with maxVersion TLS 1.2 (no supported_versions) → s_server $flag: "no shared cipher", handshake_failure', async ({ flag, version }) => {
    const run = await ourClientTo(certs.rsa2048, [flag, ...LEGACY, '-msg'], { maxVersion: ProtocolVersion.TLSv1_2 });
    const err = await rejectionOf(within(run.p.handshake, T, () => describeConn(run.conn)), () => `${describeConn(run.conn)}${show(run.srv)}`);
    await run.srv.waitFor(/SSL routines:/, T); // the error stack comes after "ERROR"
    const ctx = `${err.message}\n${describeConn(run.conn)}${show(run.srv)}\nalerts: ${run.alerts.join(', ')}`;
    expect(err.code, ctx).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert, ctx).toBe(AlertDescription.handshake_failure);
    const out = run.srv.output();
    // (-msg labels a received ClientHello with a version of its own choosing, not legacy_version)
    expect(out, ctx).toMatch(/^<<< TLS 1\.\d, Handshake \[length [0-9a-f]{4}\], ClientHello$/m);
    expect(out, ctx).toMatch(new RegExp(`^>>> TLS ${version.replace('.', '\\.')}, Alert \\[length 0002\\], fatal handshake_failure$`, 'm'));
    expect(out, ctx).not.toMatch(/ServerHello$/m);
    expect(out, ctx).toMatch(/tls_post_process_client_hello:no shared cipher/);
  });
});
