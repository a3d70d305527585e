// Interop: the sans-IO core (src/ssl/connection.ts, driven by the minimal socket
// loop test/helpers/pump.ts) against the openssl binary on loopback, TLS 1.3 only.
//
//   our client → openssl s_server -rev     (echoes each line reversed; prints "Protocol version:",
//                                            "Ciphersuite:", "Peer certificate:" on stderr)
//   openssl s_client → our server          (sends a stdin line; we answer; it prints
//                                            "New, TLSv1.3, Cipher is …", "Server Temp Key: …")
//
// Every case checks both ends: what our Connection says it negotiated and what
// openssl printed. Assertion messages carry the openssl output.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/common/errors.js';
import { KeyUpdateType, NamedGroup, SignatureScheme } from '../../src/common/constants.js';
import type { Connection } from '../../src/ssl/connection.js';
import { makeCert, makeChain } from '../helpers/keys.js';
import { makeTempDir } from '../helpers/tmp.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { pump, type Pump } from '../helpers/pump.js';
import { answerAndClose, ALL_GROUP_IDS, CERT_TYPES, GROUPS, SIG_TYPE, SUITES, clientCert, connectOurs, group, groupName, installSocketCleanup, listen, makeCertSets, ourClient, ourServer, rejectionOf, reverseLine, serverCert, verifierFor, within, type CertSet, type CertType, type GroupRow, SCHEME, describeConn, show, acceptFrom } from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 10_000; // per wait; a case takes well under a second

let certs: Record<CertType, CertSet>;
beforeAll(async () => {
  certs = await makeCertSets();
}, 60_000);




// ─────────────────────────────────────────────────────────────── our client → s_server

interface ServerRun {
  srv: PeerHandle;
  conn: Connection;
  p: Pump;
}

/** s_server -rev with the set's chain (one accept), and our client connected to it. */
async function clientToSServer(set: CertSet, opensslArgs: string[], ours: Parameters<typeof ourClient>[0], serverName = 'localhost'): Promise<ServerRun> {
  const srv = await startOpensslServer([
    '-tls1_3',
    '-rev',
    '-naccept',
    '1',
    '-cert',
    set.chain.leaf.certPath,
    '-key',
    set.chain.leaf.keyPath,
    '-cert_chain',
    set.chain.intermediatesPath,
    ...opensslArgs,
  ]);
  const conn = ourClient({ verifier: verifierFor(set.chain), ...ours }, serverName);
  const p = connectOurs(conn, srv.port);
  return { srv, conn, p };
}

/** Handshake done; a line goes out, comes back reversed; close both ways; openssl exits 0. */
async function echoAndClose({ srv, conn, p }: ServerRun, line: string): Promise<void> {
  await within(p.handshake, T, () => `handshake; ${describeConn(conn)}${show(srv)}`).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeConn(conn)}${show(srv)}`);
  });
  p.send(`${line}\n`);
  const want = `${reverseLine(line)}\n`;
  const got = await p.waitForData((b) => b.includes(want), T).catch((e: Error) => {
    throw new Error(`${e.message}${show(srv)}`);
  });
  expect(got.toString('latin1'), show(srv)).toBe(want);
  await p.end();
  const exit = await srv.waitForExit(T);
  expect(exit.code, `s_server exit${show(srv)}`).toBe(0);
  expect(srv.output(), show(srv)).toMatch(/^CONNECTION CLOSED$/m);
}

/** What s_server -rev printed about the handshake, checked against our side. */
async function checkSServerSummary(srv: PeerHandle, conn: Connection): Promise<void> {
  // print_ssl_summary: … Ciphersuite, Signature Algorithms, peer certificate, then "Supported groups" last.
  await srv.waitFor(/^Supported groups: /m, T);
  const out = srv.output();
  expect(out, show(srv)).toMatch(/^Protocol version: TLSv1\.3$/m);
  expect(conn.protocol).toBe('TLSv1.3');
  expect(out, show(srv)).toMatch(new RegExp(`^Ciphersuite: ${conn.cipherSuite!.name}$`, 'm'));
}

describe('our client → openssl s_server -tls1_3 -rev', () => {
  const cases = CERT_TYPES.flatMap((cert) =>
    SUITES.flatMap((suite) => GROUPS.map((g) => ({ cert, suite, g, name: `${cert} cert, ${suite.name}, ${g.openssl}` }))),
  );

  it.each(cases)('$name (s_server restricted to the suite and group; verified, echo)', async ({ cert, suite, g }) => {
    const run = await clientToSServer(certs[cert], ['-ciphersuites', suite.name, '-groups', g.openssl], {
      groups: ALL_GROUP_IDS,
      keyShareGroups: [g.id],
    });
    await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(run.srv)}`);
    const { conn, srv } = run;
    expect(conn.cipherSuite?.name, show(srv)).toBe(suite.name);
    expect(groupName(conn.negotiated.group), show(srv)).toBe(g.openssl);
    expect(conn.negotiated.helloRetry ?? false, show(srv)).toBe(false);
    expect(conn.negotiated.peerSignatureScheme, show(srv)).toBe(SCHEME[cert]);
    expect(conn.peerVerification?.authorized, show(srv)).toBe(true);
    expect(conn.peerCertificates.length).toBe(2);
    await checkSServerSummary(srv, conn);
    expect(srv.output(), show(srv)).toMatch(/^No peer certificate$/m);
    await echoAndClose(run, `hello from puretls ${cert} ${suite.name} ${g.openssl}`);
  });

  it.each(SUITES)('suite chosen by our cipherSuites: [$name] against s_server defaults', async (suite) => {
    const run = await clientToSServer(certs.p256, [], { cipherSuites: [suite.id] });
    await echoAndClose(run, `only ${suite.name}`);
    expect(run.conn.cipherSuite?.name).toBe(suite.name);
    await checkSServerSummary(run.srv, run.conn);
  });

  const hrrCases = SUITES.flatMap((suite) =>
    ['P-256', 'P-384', 'P-521', 'ffdhe2048'].map((target) => ({ suite, g: group(target), name: `${suite.name}: share X25519, s_server -groups ${target}` })),
  );
  it.each(hrrCases)('HelloRetryRequest: $name', async ({ suite, g }) => {
    const run = await clientToSServer(certs.rsa2048, ['-ciphersuites', suite.name, '-groups', g.openssl], {
      groups: [NamedGroup.x25519, g.id],
      keyShareGroups: [NamedGroup.x25519],
    });
    await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(run.srv)}`);
    expect(run.conn.negotiated.helloRetry, show(run.srv)).toBe(true);
    expect(groupName(run.conn.negotiated.group), show(run.srv)).toBe(g.openssl);
    expect(run.conn.cipherSuite?.name).toBe(suite.name);
    await checkSServerSummary(run.srv, run.conn);
    await echoAndClose(run, `after a HelloRetryRequest for ${g.openssl}`);
  });

  it('ALPN: s_server -alpn h2,http/1.1, our client offers [http/1.1]', async () => {
    const run = await clientToSServer(certs.p256, ['-alpn', 'h2,http/1.1'], { alpnProtocols: ['http/1.1'] });
    await echoAndClose(run, 'alpn');
    expect(run.conn.alpnProtocol, show(run.srv)).toBe('http/1.1');
    expect(run.srv.output(), show(run.srv)).toMatch(/^ALPN protocols advertised by the client: http\/1\.1$/m);
  });

  it("verification: serverName 'wrong.example' fails with ERR_TLS_CERT_ALTNAME_INVALID, openssl sees the alert", async () => {
    const { srv, conn, p } = await clientToSServer(certs.rsa2048, [], {}, 'wrong.example');
    const err = await rejectionOf(within(p.handshake, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(srv)}`);
    expect(err.code, `${err.message}${show(srv)}`).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(conn.handshakeComplete).toBe(false);
    // We send a fatal alert (bad_certificate / certificate_unknown); s_server reports it.
    const m = await srv.waitForMatch(/SSL alert number (\d+)/, T);
    expect(Number(m[1]), show(srv)).toBe(err.alert);
    expect(err.alert).toBe(AlertDescription.certificate_unknown); // src/x509/hostname.ts's choice
  });

  it('verification: an untrusted root fails with UNABLE_TO_GET_ISSUER_CERT_LOCALLY', async () => {
    const { srv, conn, p } = await clientToSServer(certs.rsa2048, [], { verifier: verifierFor(certs.p256.chain) });
    const err = await rejectionOf(within(p.handshake, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(srv)}`);
    expect(err.code, `${err.message}${show(srv)}`).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    const m = await srv.waitForMatch(/SSL alert number (\d+)/, T);
    expect(Number(m[1]), show(srv)).toBe(err.alert);
  });

  describe.each(CERT_TYPES)('client authentication with a %s client certificate', (cert) => {
    it('s_server -Verify 1 -CAfile root accepts our certificate and signature', async () => {
      const set = certs[cert];
      const run = await clientToSServer(set, ['-Verify', '1', '-CAfile', set.chain.rootPath, '-verify_return_error'], {
        certificate: clientCert(set),
      });
      await echoAndClose(run, `client auth ${cert}`);
      const out = run.srv.output();
      expect(out, show(run.srv)).toMatch(/^Peer certificate: CN = puretls test client$/m);
      expect(out, show(run.srv)).toMatch(new RegExp(`^Signature type: ${SIG_TYPE[cert]}$`, 'm'));
      expect(out, show(run.srv)).toMatch(/^Verification: OK$/m);
      expect(run.conn.negotiated.signatureScheme).toBe(SCHEME[cert]);
    });
  });

  it('s_server -Verify 1 with another root: our (untrusted) certificate gets an unknown_ca alert', async () => {
    const { srv, conn, p } = await clientToSServer(certs.rsa2048, ['-Verify', '1', '-CAfile', certs.rsa2048.chain.rootPath, '-verify_return_error'], {
      certificate: clientCert(certs.p256),
    });
    await within(p.handshake, T, () => `${describeConn(conn)}${show(srv)}`);
    const err = await rejectionOf(within(p.peerClosed, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(srv)}`);
    expect(err.code, `${err.message}${show(srv)}`).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert).toBe(AlertDescription.unknown_ca);
    await srv.waitFor(/unable to get local issuer certificate|certificate verify failed/, T);
  });

  it('s_server -Verify 1 and our client without a certificate: s_server sends certificate_required', async () => {
    const { srv, conn, p } = await clientToSServer(certs.p256, ['-Verify', '1', '-CAfile', certs.p256.chain.rootPath], {});
    // TLS 1.3: our handshake completes when we send our Finished (with an empty
    // Certificate); the alert arrives after.
    await within(p.handshake, T, () => `${describeConn(conn)}${show(srv)}`);
    const err = await rejectionOf(within(p.peerClosed, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(srv)}`);
    expect(err.code, `${err.message}${show(srv)}`).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert).toBe(AlertDescription.certificate_required);
    await srv.waitFor(/peer did not return a certificate/, T);
  });
});

// ─────────────────────────────────────────────────────────────── s_client → our server

interface ClientRun {
  cli: PeerHandle;
  conn: Connection;
  p: Pump;
}


/**
 * Our server (on a fresh loopback listener) and `openssl s_client -tls1_3`
 * verifying it (root as -CAfile, host name localhost), with `line` on its stdin.
 */
async function sClientToServer(set: CertSet, opensslArgs: string[], ours: Omit<Parameters<typeof ourServer>[0], 'certificate'>, line: string): Promise<ClientRun> {
  const l = await listen();
  const cli = runOpensslClient(
    [
      '-tls1_3',
      '-servername',
      'localhost',
      '-CAfile',
      set.chain.rootPath,
      '-verify_return_error',
      '-verify_hostname',
      'localhost',
      ...opensslArgs,
    ],
    `${line}\n`,
    { port: l.port },
  );
  const sock = await acceptFrom(l, cli);
  const conn = ourServer({ certificate: serverCert(set.chain), ...ours });
  return { cli, conn, p: pump(conn, sock) };
}


/** What s_client printed about the handshake, checked against our side. */
function checkSClientSummary(cli: PeerHandle, conn: Connection, cert: CertType, g?: GroupRow): void {
  const out = cli.output();
  expect(conn.protocol).toBe('TLSv1.3');
  expect(out, show(cli)).toMatch(new RegExp(`^New, TLSv1\\.3, Cipher is ${conn.cipherSuite!.name}$`, 'm'));
  expect(out, show(cli)).toMatch(/^Verification: OK$/m);
  expect(out, show(cli)).toMatch(/^Verify return code: 0 \(ok\)$/m);
  expect(out, show(cli)).toMatch(new RegExp(`^Peer signature type: ${SIG_TYPE[cert]}$`, 'm'));
  if (g) expect(out, show(cli)).toMatch(g.tempKey);
  expect(out, show(cli)).toMatch(/^ 1 s:CN = puretls test intermediate/m);
}

describe('openssl s_client -tls1_3 → our server', () => {
  const cases = CERT_TYPES.flatMap((cert) =>
    SUITES.flatMap((suite) => GROUPS.map((g) => ({ cert, suite, g, name: `${cert} cert, ${suite.name}, ${g.openssl}` }))),
  );

  it.each(cases)('$name (our cipherSuites and s_client -groups restricted; verified, echo)', async ({ cert, suite, g }) => {
    const line = `hello from s_client ${cert} ${suite.name} ${g.openssl}`;
    const run = await sClientToServer(certs[cert], ['-groups', g.openssl], { cipherSuites: [suite.id], groups: ALL_GROUP_IDS }, line);
    await answerAndClose(run, line);
    const { conn, cli } = run;
    expect(conn.cipherSuite?.name, show(cli)).toBe(suite.name);
    expect(groupName(conn.negotiated.group), show(cli)).toBe(g.openssl);
    expect(conn.negotiated.helloRetry ?? false, show(cli)).toBe(false);
    expect(conn.negotiated.signatureScheme, show(cli)).toBe(SCHEME[cert]);
    checkSClientSummary(cli, conn, cert, g);
  });

  it.each(SUITES)('suite chosen by s_client -ciphersuites $name against our defaults', async (suite) => {
    const line = `only ${suite.name}`;
    const run = await sClientToServer(certs.p256, ['-ciphersuites', suite.name], {}, line);
    await answerAndClose(run, line);
    expect(run.conn.cipherSuite?.name, show(run.cli)).toBe(suite.name);
    checkSClientSummary(run.cli, run.conn, 'p256');
  });

  const hrrCases = SUITES.flatMap((suite) =>
    ['P-256', 'P-384', 'P-521', 'ffdhe2048'].map((target) => ({ suite, g: group(target), name: `${suite.name}: s_client -groups X25519:${target}, our groups [${target}]` })),
  );
  it.each(hrrCases)('HelloRetryRequest: $name', async ({ suite, g }) => {
    const line = `hrr ${g.openssl}`;
    const run = await sClientToServer(certs.rsa2048, ['-ciphersuites', suite.name, '-groups', `X25519:${g.openssl}`], { groups: [g.id] }, line);
    await answerAndClose(run, line);
    expect(run.conn.negotiated.helloRetry, show(run.cli)).toBe(true);
    expect(groupName(run.conn.negotiated.group), show(run.cli)).toBe(g.openssl);
    expect(run.conn.cipherSuite?.name).toBe(suite.name);
    checkSClientSummary(run.cli, run.conn, 'rsa2048', g);
  });

  it('ALPN: s_client -alpn h2,http/1.1, our server [http/1.1]', async () => {
    const run = await sClientToServer(certs.p256, ['-alpn', 'h2,http/1.1'], { alpnProtocols: ['http/1.1'] }, 'alpn');
    await answerAndClose(run, 'alpn');
    expect(run.conn.alpnProtocol).toBe('http/1.1');
    expect(run.cli.output(), show(run.cli)).toMatch(/^ALPN protocol: http\/1\.1$/m);
  });

  describe.each(CERT_TYPES)('client authentication with a %s client certificate', (cert) => {
    it('our server (requestCert, requireCert) verifies s_client -cert -key -cert_chain', async () => {
      const set = certs[cert];
      const line = `client cert ${cert}`;
      const run = await sClientToServer(
        set,
        ['-cert', set.client.certPath, '-key', set.client.keyPath, '-cert_chain', set.chain.intermediatesPath],
        { requestCert: true, requireCert: true, verifier: verifierFor(set.chain) },
        line,
      );
      await answerAndClose(run, line);
      expect(run.conn.peerVerification?.authorized, show(run.cli)).toBe(true);
      expect(run.conn.peerCertificates.length).toBe(2);
      expect(Buffer.from(run.conn.peerCertificates[0]!).equals(set.client.certDer)).toBe(true);
      expect(run.conn.negotiated.peerSignatureScheme, show(run.cli)).toBe(SCHEME[cert]);
      checkSClientSummary(run.cli, run.conn, cert);
    });
  });

  it('our server with requestCert + requireCert and s_client without a certificate: certificate_required', async () => {
    const set = certs.p256;
    const l = await listen();
    const cli = runOpensslClient(['-tls1_3', '-CAfile', set.chain.rootPath, '-servername', 'localhost'], 'never answered\n', { port: l.port });
    const sock = await acceptFrom(l, cli);
    const conn = ourServer({ certificate: serverCert(set.chain), requestCert: true, requireCert: true, verifier: verifierFor(set.chain) });
    const p = pump(conn, sock);
    const err = await rejectionOf(within(p.handshake, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(cli)}`);
    expect(err.code, `${err.message}${show(cli)}`).toBe('ERR_TLS_CERTIFICATE_REQUIRED');
    expect(conn.failure?.alert).toBe(AlertDescription.certificate_required);
    await cli.waitFor(/alert certificate required/, T);
    expect(cli.output(), show(cli)).toMatch(/SSL alert number 116/);
  });

  it('our server with requireCert and an untrusted s_client certificate: verification fails, s_client gets the alert', async () => {
    const set = certs.p256;
    const other = certs.rsa2048;
    const l = await listen();
    const cli = runOpensslClient(
      ['-tls1_3', '-CAfile', set.chain.rootPath, '-servername', 'localhost', '-cert', other.client.certPath, '-key', other.client.keyPath, '-cert_chain', other.chain.intermediatesPath],
      'never answered\n',
      { port: l.port },
    );
    const sock = await acceptFrom(l, cli);
    const conn = ourServer({ certificate: serverCert(set.chain), requestCert: true, requireCert: true, verifier: verifierFor(set.chain) });
    const p = pump(conn, sock);
    const err = await rejectionOf(within(p.handshake, T, () => describeConn(conn)), () => `${describeConn(conn)}${show(cli)}`);
    expect(err.code, `${err.message}${show(cli)}`).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    const m = await cli.waitForMatch(/SSL alert number (\d+)/, T);
    expect(Number(m[1]), show(cli)).toBe(err.alert);
  });

  it('our server with requestCert only and s_client without a certificate: accepted, no peer certificate', async () => {
    const set = certs.p256;
    const run = await sClientToServer(set, [], { requestCert: true, verifier: verifierFor(set.chain) }, 'anonymous');
    await answerAndClose(run, 'anonymous');
    expect(run.conn.peerCertificates.length).toBe(0);
    expect(run.cli.output(), show(run.cli)).toMatch(/^Requested Signature Algorithms: /m);
  });
});

// ─────────────────────────────────────────────────────────────── record layer, key schedule, KeyUpdate

/** NSS key log lines of a file (openssl -keylogfile), without comments / blank lines. */
async function keylogFile(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

describe('record layer and key schedule against openssl', () => {
  it('our client ← s_server -max_send_frag 512 -record_padding 256 -no_middlebox (fragmented flight, padded records)', async () => {
    const run = await clientToSServer(certs.rsa2048, ['-max_send_frag', '512', '-record_padding', '256', '-no_middlebox'], {});
    await checkSServerSummaryAfter(run);
    await echoAndClose(run, 'x'.repeat(2000)); // the answer comes back in 512-byte padded records
  });

  it('s_client -max_send_frag 512 -record_padding 256 -no_middlebox with a client chain → our server', async () => {
    const set = certs.rsa2048;
    const line = 'y'.repeat(1500);
    const run = await sClientToServer(
      set,
      ['-max_send_frag', '512', '-record_padding', '256', '-no_middlebox', '-cert', set.client.certPath, '-key', set.client.keyPath, '-cert_chain', set.chain.intermediatesPath],
      { requestCert: true, requireCert: true, verifier: verifierFor(set.chain) },
      line,
    );
    await answerAndClose(run, line);
    expect(run.conn.peerVerification?.authorized, show(run.cli)).toBe(true);
    checkSClientSummary(run.cli, run.conn, 'rsa2048');
  });

  it('our client with middleboxCompat: false against s_server', async () => {
    const run = await clientToSServer(certs.p256, [], { middleboxCompat: false });
    await echoAndClose(run, 'no middlebox compat');
  });

  const unimplemented = [['-maxfraglen', '512'], ['-enable_pha'], ['-status']].map((args) => ({ args, name: args.join(' ') }));
  it.each(unimplemented)('s_client $name (an extension we do not implement) → our server ignores it', async ({ args }) => {
    const run = await sClientToServer(certs.p256, args, {}, 'extension');
    await answerAndClose(run, 'extension');
    checkSClientSummary(run.cli, run.conn, 'p256');
  });

  it.each(SUITES)('key log: our client and s_server -keylogfile write the same lines ($name)', async (suite) => {
    const path = join(makeTempDir('puretls-interop-keylog-'), 'server.keylog');
    const run = await clientToSServer(certs.p256, ['-keylogfile', path, '-ciphersuites', suite.name], {});
    const ours: string[] = [];
    run.conn.on('keylog', (l) => ours.push(l));
    await echoAndClose(run, 'keylog');
    const theirs = await keylogFile(path);
    expect(ours.length).toBe(5);
    expect([...ours].sort(), show(run.srv)).toEqual([...theirs].sort());
  });

  it.each(SUITES)('key log: s_client -keylogfile and our server write the same lines ($name)', async (suite) => {
    const path = join(makeTempDir('puretls-interop-keylog-'), 'client.keylog');
    const run = await sClientToServer(certs.p256, ['-keylogfile', path, '-ciphersuites', suite.name], {}, 'the key log');
    const ours: string[] = [];
    run.conn.on('keylog', (l) => ours.push(l));
    await answerAndClose(run, 'the key log');
    const theirs = await keylogFile(path);
    expect(ours.length).toBe(5);
    expect([...ours].sort(), show(run.cli)).toEqual([...theirs].sort());
  });

  it('KeyUpdate both ways with s_server: its "K" (update_requested) is answered, ours is honoured', async () => {
    const set = certs.p256;
    const srv = await startOpensslServer(['-tls1_3', '-msg', '-naccept', '1', '-cert', set.chain.leaf.certPath, '-key', set.chain.leaf.keyPath, '-cert_chain', set.chain.intermediatesPath]);
    const conn = ourClient({ verifier: verifierFor(set.chain) });
    const events: string[] = [];
    conn.on('keyUpdate', (e) => events.push(`${e.direction}:${e.type}`));
    const p = connectOurs(conn, srv.port);
    await within(p.handshake, T, () => `${describeConn(conn)}${show(srv)}`);
    p.send('before\n');
    await srv.waitFor(/before/, T);

    // s_server sends KeyUpdate(update_requested); we answer with one of ours before our next data (as OpenSSL: with the next write).
    let mark = srv.mark();
    srv.write('K\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, T, mark);
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!events.includes(`received:${KeyUpdateType.REQUESTED}`)) return;
          conn.off('keyUpdate', check);
          resolve();
        };
        conn.on('keyUpdate', check);
        check();
      }),
      T,
      () => `no KeyUpdate received; events ${events.join(',')}${show(srv)}`,
    );
    expect(events).toEqual([`received:${KeyUpdateType.REQUESTED}`]);
    p.send('ours after their update\n');
    expect(events).toEqual([`received:${KeyUpdateType.REQUESTED}`, `sent:${KeyUpdateType.NOT_REQUESTED}`]);
    await srv.waitFor(/ours after their update/, T, mark);
    const seen = srv.stdout().slice(mark.stdout);
    const ku = seen.search(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m);
    expect(ku, show(srv)).toBeGreaterThan(-1);
    expect(ku).toBeLessThan(seen.indexOf('ours after their update'));
    mark = srv.mark();
    srv.write('from openssl after its update\n');
    await p.waitForData((b) => b.includes('from openssl after its update\n'), T);

    // Our KeyUpdate(update_requested): s_server answers with its own (sent with its next write).
    conn.keyUpdate(KeyUpdateType.REQUESTED);
    mark = srv.mark();
    p.send('after our update\n');
    await srv.waitFor(/after our update/, T, mark);
    expect(srv.stdout().slice(mark.stdout), show(srv)).toMatch(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}18 00 00 01 01$/m);
    srv.write('answer\n');
    await p.waitForData((b) => b.includes('answer\n'), T);
    expect(events.slice(2)).toEqual([`sent:${KeyUpdateType.REQUESTED}`, `received:${KeyUpdateType.NOT_REQUESTED}`]);
    await p.end();
    await srv.waitForExit(T);
  });
});

describe('KeyUpdate from s_client', () => {
  it('s_client "K" (update_requested) → our server answers; data flows both ways after', async () => {
    const set = certs.p256;
    const l = await listen();
    const cli = runOpensslClient(['-tls1_3', '-msg', '-CAfile', set.chain.rootPath, '-servername', 'localhost'], undefined, { port: l.port });
    const sock = await acceptFrom(l, cli);
    const conn = ourServer({ certificate: serverCert(set.chain) });
    const events: string[] = [];
    conn.on('keyUpdate', (e) => events.push(`${e.direction}:${e.type}`));
    const p = pump(conn, sock);
    await within(p.handshake, T, () => `${describeConn(conn)}${show(cli)}`);
    await cli.waitFor(/^New, TLSv1\.3, Cipher is /m, T);
    let mark = cli.mark();
    cli.write('K\n');
    await cli.waitFor(/^KEYUPDATE$/m, T, mark);
    mark = cli.mark();
    cli.write('data after the update\n');
    await p.waitForData((b) => b.includes('data after the update\n'), T);
    // As OpenSSL: the answer goes out with our next write, before its data.
    expect(events).toEqual([`received:${KeyUpdateType.REQUESTED}`]);
    p.send('answer after the update\n');
    expect(events).toEqual([`received:${KeyUpdateType.REQUESTED}`, `sent:${KeyUpdateType.NOT_REQUESTED}`]);
    await cli.waitFor(/answer after the update/, T, mark);
    const seen = cli.stdout().slice(mark.stdout);
    const ku = seen.search(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m);
    expect(ku, show(cli)).toBeGreaterThan(-1);
    expect(ku).toBeLessThan(seen.indexOf('answer after the update'));
    await p.end();
    await cli.waitForExit(T);
  });
});

/** Wait for and check s_server -rev's summary after the handshake. */
async function checkSServerSummaryAfter(run: ServerRun): Promise<void> {
  await within(run.p.handshake, T, () => `${describeConn(run.conn)}${show(run.srv)}`);
  await checkSServerSummary(run.srv, run.conn);
}

// ─────────────────────────────────────────────────────────────── negotiation details

describe('negotiation details against openssl', () => {
  it('our client sends shares for X25519 and P-256, s_server -groups P-256 picks the second: no HelloRetryRequest', async () => {
    const run = await clientToSServer(certs.p256, ['-groups', 'P-256'], {
      groups: [NamedGroup.x25519, NamedGroup.secp256r1],
      keyShareGroups: [NamedGroup.x25519, NamedGroup.secp256r1],
    });
    await checkSServerSummaryAfter(run);
    expect(run.conn.negotiated.helloRetry ?? false).toBe(false);
    expect(groupName(run.conn.negotiated.group)).toBe('P-256');
    await echoAndClose(run, 'two shares');
  });

  const rsaSchemes = [
    { scheme: SignatureScheme.rsa_pss_rsae_sha384, openssl: 'rsa_pss_rsae_sha384', digest: 'SHA384' },
    { scheme: SignatureScheme.rsa_pss_rsae_sha512, openssl: 'rsa_pss_rsae_sha512', digest: 'SHA512' },
  ];
  it.each(rsaSchemes)('s_client -sigalgs $openssl: our server signs with it', async ({ scheme, openssl: name, digest }) => {
    const run = await sClientToServer(certs.rsa2048, ['-sigalgs', name], {}, 'sigalgs');
    await answerAndClose(run, 'sigalgs');
    expect(run.conn.negotiated.signatureScheme).toBe(scheme);
    expect(run.cli.output(), show(run.cli)).toMatch(new RegExp(`^Peer signing digest: ${digest}$`, 'm'));
    checkSClientSummary(run.cli, run.conn, 'rsa2048');
  });

  it.each(rsaSchemes)('our client signatureSchemes [$openssl]: s_server signs with it', async ({ scheme }) => {
    const run = await clientToSServer(certs.rsa2048, [], { signatureSchemes: [scheme] });
    await echoAndClose(run, 'sigalgs');
    expect(run.conn.negotiated.peerSignatureScheme).toBe(scheme);
  });

  it.each(rsaSchemes)('s_server -client_sigalgs $openssl: our client certificate signs with it', async ({ scheme, openssl: name, digest }) => {
    const set = certs.rsa2048;
    const run = await clientToSServer(set, ['-Verify', '1', '-CAfile', set.chain.rootPath, '-verify_return_error', '-client_sigalgs', name], {
      certificate: clientCert(set),
    });
    await echoAndClose(run, 'client sigalgs');
    expect(run.conn.negotiated.signatureScheme).toBe(scheme);
    expect(run.srv.output(), show(run.srv)).toMatch(new RegExp(`^Hash used: ${digest}$`, 'm'));
  });

  it('ECDSA P-384 certificates (ecdsa_secp384r1_sha384) both ways, with client authentication', async () => {
    const chain = await makeChain('p384');
    const client = await makeCert({ keyType: 'p384', cn: 'puretls test client', san: [], ca: chain.intermediate, tag: 'interop-client' });
    const set: CertSet = { chain, client, clientChainPem: client.certPem + chain.intermediate.certPem };
    const a = await clientToSServer(set, ['-Verify', '1', '-CAfile', chain.rootPath, '-verify_return_error'], { certificate: clientCert(set) });
    await echoAndClose(a, 'p384 client');
    expect(a.conn.negotiated.peerSignatureScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
    expect(a.conn.negotiated.signatureScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
    expect(a.srv.output(), show(a.srv)).toMatch(/^Hash used: SHA384$/m);

    const b = await sClientToServer(
      set,
      ['-cert', client.certPath, '-key', client.keyPath, '-cert_chain', chain.intermediatesPath],
      { requestCert: true, requireCert: true, verifier: verifierFor(chain) },
      'p384 server',
    );
    await answerAndClose(b, 'p384 server');
    expect(b.conn.negotiated.signatureScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
    expect(b.conn.negotiated.peerSignatureScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
    expect(b.cli.output(), show(b.cli)).toMatch(/^Peer signing digest: SHA384$/m);
  }, 30_000);

  it('a Certificate message over 16 KiB (spans records) both ways', async () => {
    const base = certs.p256;
    // A leaf with a 20 000-character comment: its Certificate message needs two records.
    const big = await makeCert({ keyType: 'p256', ca: base.chain.intermediate, addext: [`nsComment=${'z'.repeat(20_000)}`], tag: 'interop-big' });
    expect(big.certDer.length).toBeGreaterThan(16_384);
    const set: CertSet = { ...base, chain: { ...base.chain, leaf: big } };

    const a = await clientToSServer(set, [], {});
    await checkSServerSummaryAfter(a);
    expect(Buffer.from(a.conn.peerCertificates[0]!).equals(big.certDer)).toBe(true);
    await echoAndClose(a, 'big certificate from openssl');

    const b = await sClientToServer(set, [], {}, 'big certificate from us');
    await answerAndClose(b, 'big certificate from us');
    checkSClientSummary(b.cli, b.conn, 'p256');
  });
});
