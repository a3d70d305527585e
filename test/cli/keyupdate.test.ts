/**
 * TLS 1.3 key update (issue 11) against real peers, through the `puretls` CLI:
 * `k` (update_not_requested) and `K` (update_requested) typed into our
 * s_client / s_server and into openssl's and gnutls's, checked in both
 * tools' -msg / -trace output, with application data both ways after every
 * update (data after an update is only readable if both sides ratcheted the
 * same key at the same record).
 *
 * Everything is on 127.0.0.1 (gnutls-cli in a private net namespace, reaching
 * our s_server through a Unix socket relay); readiness comes from output lines,
 * never from sleeps; installPeerCleanup and closeRelays end every child and
 * relay after each test.
 *
 * OpenSSL (3.0) facts used here (see test/helpers/peers.ts): openssl s_server
 * takes `k` / `K` only as a read of exactly that line; on update_requested
 * OpenSSL queues its own KeyUpdate(update_not_requested) and sends it with its
 * next write, not at once. Data lines typed into openssl must not start with a
 * command letter (q Q P S k K r R), so they all start with "after".
 *
 * Our side, like OpenSSL, answers update_requested with its next write (a
 * read sends only a KeyUpdate we scheduled ourselves), so requests that arrive
 * while we are silent, in separate reads or together, get exactly one answer
 * (RFC 8446 §4.6.3).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import {
  hasGnutls,
  hasNetns,
  installPeerCleanup,
  runGnutlsClient,
  runOpensslClient,
  startOpensslServer,
  type OutputMark,
  type PeerHandle,
} from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { closeRelays, count, MSG_KU_IN, MSG_KU_OUT, unixToTcpRelay } from './keyupdate-support.js';
import { buildCli, spawnCli, type CliBuild } from './support.js';

installPeerCleanup();
afterEach(closeRelays);

const WAIT = 10_000;

let build: CliBuild;
let cert: CertInfo;
beforeAll(async () => {
  [build, cert] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' })]);
});

// ------------------------------------------------------------ patterns

const NOT_REQ = 'update_not_requested \\(0\\)';
const REQ = 'update_requested \\(1\\)';

/** Our -msg: the KeyUpdate line and its type line. */
const ourMsg = (dir: '<<<' | '>>>', type: string): RegExp =>
  new RegExp(`^${dir} TLS 1\\.3, Handshake \\[length 0005\\], KeyUpdate\\n {4}${type}$`, 'm');

/** OpenSSL -msg: the KeyUpdate line and its hex dump (18 = key_update, length 1, the type byte). */
const opensslMsg = (dir: '<<<' | '>>>', typeByte: 0 | 1): RegExp =>
  new RegExp(`^${dir} TLS 1\\.3, Handshake \\[length 0005\\], KeyUpdate\\n {4}18 00 00 01 0${typeByte}$`, 'm');

/** OpenSSL -trace: a KeyUpdate inside a "Received Record" / "Sent Record" block. */
const opensslTrace = (record: 'Received' | 'Sent', type: string): RegExp =>
  new RegExp(`^${record} Record\\nHeader:\\n(?: {2}.*\\n)*? {4}KeyUpdate, Length=1\\n {6}${type}$`, 'm');

const since = (h: PeerHandle, m: OutputMark): string => h.stdout().slice(m.stdout);

/** A line typed into our CLI reaches the peer's output, then one typed into the peer reaches ours. */
async function linesBothWays(ours: PeerHandle, theirs: PeerHandle, tag: string): Promise<void> {
  const fromUs = `${tag} from puretls`;
  const fromThem = `${tag} from the peer`;
  ours.write(`${fromUs}\n`);
  await theirs.waitFor(fromUs, WAIT);
  theirs.write(`${fromThem}\n`);
  await ours.waitFor(fromThem, WAIT);
}

/** `puretls s_server -accept 0 ...`; resolves with the port from its ACCEPT line. */
async function startPuretlsServer(args: string[]): Promise<{ srv: PeerHandle; port: number }> {
  const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', cert.certPath, '-key', cert.keyPath, ...args]);
  const m = await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000);
  return { srv, port: Number(m[1]) };
}

// ------------------------------------------------------------ 1. puretls s_client -> openssl s_server

describe('puretls s_client -msg <-> openssl s_server -tls1_3 -trace', () => {
  async function connect(): Promise<{ srv: PeerHandle; cli: PeerHandle }> {
    const srv = await startOpensslServer(['-cert', cert.certPath, '-key', cert.keyPath, '-tls1_3', '-trace', '-naccept', '1']);
    const cli = spawnCli(build, ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', cert.certPath, '-msg']);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m, 15_000);
    await srv.waitFor(/^CIPHER is TLS_/m, WAIT);
    return { srv, cli };
  }

  it('k: OpenSSL traces a received KeyUpdate update_not_requested (0), sends none back, and lines still flow both ways', async () => {
    const { srv, cli } = await connect();
    const s0 = srv.mark();
    const c0 = cli.mark();
    cli.write('k\n');
    await cli.waitFor(ourMsg('>>>', NOT_REQ), WAIT, c0);
    await cli.waitFor(/^KEYUPDATE$/m, WAIT, c0);
    await srv.waitFor(opensslTrace('Received', NOT_REQ), WAIT, s0);

    await linesBothWays(cli, srv, 'after k');
    // not asked, OpenSSL did not update its own key
    expect(since(srv, s0)).not.toMatch(/^Sent Record\n(?: {2}.*\n)*? {4}KeyUpdate/m);
    expect(count(since(cli, c0), MSG_KU_IN)).toBe(0);
    expect(count(since(cli, c0), MSG_KU_OUT)).toBe(1);
  });

  it("K: OpenSSL traces update_requested (1); its answering KeyUpdate (update_not_requested), sent with its next write, is accepted by our client; lines still flow both ways, also after a further k", async () => {
    const { srv, cli } = await connect();
    const s0 = srv.mark();
    const c0 = cli.mark();
    cli.write('K\n');
    await cli.waitFor(ourMsg('>>>', REQ), WAIT, c0);
    await srv.waitFor(opensslTrace('Received', REQ), WAIT, s0);

    // OpenSSL answers with its next write: type a line into s_server
    srv.write('after K from openssl\n');
    await cli.waitFor('after K from openssl', WAIT, c0);
    const seen = since(cli, c0);
    const dataAt = seen.indexOf('after K from openssl');
    const before = seen.slice(0, dataAt);
    // exactly one KeyUpdate arrived, it is the answer, and it came before the data
    expect(count(before, MSG_KU_IN)).toBe(1);
    expect(before).toMatch(ourMsg('<<<', NOT_REQ));
    await srv.waitFor(opensslTrace('Sent', NOT_REQ), WAIT, s0);
    // our send key (ratcheted by K) and our receive key (ratcheted by OpenSSL's answer) both work
    cli.write('after K from puretls\n');
    await srv.waitFor('after K from puretls', WAIT, s0);

    // a second update on the same connection: both sides are now one generation on
    const s1 = srv.mark();
    const c1 = cli.mark();
    cli.write('k\n');
    await srv.waitFor(opensslTrace('Received', NOT_REQ), WAIT, s1);
    await linesBothWays(cli, srv, 'after K and k');
    expect(count(since(cli, c1), MSG_KU_IN)).toBe(0);

    cli.write('Q\n');
    expect((await cli.waitForExit(WAIT)).code).toBe(0);
    await srv.waitFor(/^DONE$/m, WAIT);
    expect(cli.stderr()).not.toMatch(/failed|error/i);
  });
});

// ------------------------------------------------------------ 2. openssl s_client -> puretls s_server

describe('openssl s_client -tls1_3 -msg <-> puretls s_server -msg', () => {
  async function connect(): Promise<{ srv: PeerHandle; cli: PeerHandle }> {
    const { srv, port } = await startPuretlsServer(['-msg', '-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-tls1_3', '-msg']);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m, 15_000);
    await srv.waitFor(/^ {4}Protocol {2}: TLSv1\.3$/m, WAIT);
    return { srv, cli };
  }

  it('k: our server shows the received update_not_requested (0), ratchets its read key, sends no KeyUpdate, and lines still flow both ways', async () => {
    const { srv, cli } = await connect();
    const s0 = srv.mark();
    const c0 = cli.mark();
    cli.write('k\n');
    await cli.waitFor(opensslMsg('>>>', 0), WAIT, c0);
    await srv.waitFor(ourMsg('<<<', NOT_REQ), WAIT, s0);

    await linesBothWays(srv, cli, 'after k');
    expect(count(since(srv, s0), MSG_KU_OUT)).toBe(0);
    expect(count(since(cli, c0), MSG_KU_IN)).toBe(0);
  });

  it('K: our server ratchets and answers with exactly one KeyUpdate (openssl -msg: 18 00 00 01 00) before its next data; lines still flow both ways', async () => {
    const { srv, cli } = await connect();
    const s0 = srv.mark();
    const c0 = cli.mark();
    cli.write('K\n');
    await cli.waitFor(opensslMsg('>>>', 1), WAIT, c0);
    await srv.waitFor(ourMsg('<<<', REQ), WAIT, s0);

    srv.write('after K from puretls\n');
    await cli.waitFor('after K from puretls', WAIT, c0);
    const seen = since(cli, c0);
    const before = seen.slice(0, seen.indexOf('after K from puretls'));
    expect(count(before, MSG_KU_IN)).toBe(1);
    expect(before).toMatch(opensslMsg('<<<', 0));

    cli.write('after K from the peer\n');
    await srv.waitFor(/^after K from the peer$/m, WAIT, s0);
    // (our -msg lines for what we sent are all in our stdout before this line)
    expect(since(srv, s0)).toMatch(ourMsg('>>>', NOT_REQ));
    // nothing more was sent for that one request
    expect(count(since(srv, s0), MSG_KU_OUT)).toBe(1);
    expect(count(since(cli, c0), MSG_KU_IN)).toBe(1);
  });

  it('three K read one by one by our silent server get exactly one answer, sent with its next data; lines still flow both ways', async () => {
    const { srv, cli } = await connect();
    const s0 = srv.mark();
    const c0 = cli.mark();
    for (let i = 1; i <= 3; i++) {
      cli.write('K\n');
      // our server has read this request before the next is typed: three separate reads
      await srv.waitFor(new RegExp(`(?:${ourMsg('<<<', REQ).source}[^]*?){${i}}`, 'm'), WAIT, s0);
    }
    // Silent: no answer yet.
    expect(count(since(srv, s0), MSG_KU_OUT)).toBe(0);
    expect(count(since(cli, c0), MSG_KU_IN)).toBe(0);

    srv.write('after KKK from puretls\n');
    await cli.waitFor('after KKK from puretls', WAIT, c0);
    const seen = since(cli, c0);
    const before = seen.slice(0, seen.indexOf('after KKK from puretls'));
    expect(count(before, MSG_KU_IN)).toBe(1);
    expect(before).toMatch(opensslMsg('<<<', 0));

    // OpenSSL's send key moved three generations, ours one: both sides agree
    cli.write('after KKK from the peer\n');
    await srv.waitFor(/^after KKK from the peer$/m, WAIT, s0);
    expect(count(since(srv, s0), ourMsg('<<<', REQ))).toBe(3);
    expect(count(since(srv, s0), MSG_KU_OUT)).toBe(1);
    expect(since(srv, s0)).toMatch(ourMsg('>>>', NOT_REQ));
    srv.write('after KKK again from puretls\n');
    await cli.waitFor('after KKK again from puretls', WAIT, c0);
    expect(count(since(cli, c0), MSG_KU_IN)).toBe(1);
  });
});

// ------------------------------------------------------------ 3. gnutls-cli -> puretls s_server

const netns = hasGnutls() && hasNetns();

describe.skipIf(!netns)('gnutls-cli --inline-commands (in a private netns) <-> puretls s_server -msg', () => {
  async function connect(): Promise<{ srv: PeerHandle; cli: PeerHandle }> {
    const { srv, port } = await startPuretlsServer(['-msg', '-naccept', '1']);
    const path = `${makeTempDir('puretls-ku-gnutls-')}/s_server.sock`;
    await unixToTcpRelay(path, port);
    // -d 4: gnutls's handshake debug lines, which name each KeyUpdate sent and received
    const cli = runGnutlsClient(['--x509cafile', cert.certPath, '--inline-commands', '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3', '-d', '4'], path);
    await cli.waitFor(/^- Handshake was completed$/m, 15_000);
    expect(cli.stdout()).toMatch(/^- Status: The certificate is trusted\. *$/m);
    expect(cli.stdout()).toMatch(/^- Description: \(TLS1\.3-/m);
    await srv.waitFor(/^ {4}Protocol {2}: TLSv1\.3$/m, WAIT);
    return { srv, cli };
  }

  it('^rekey1^ (update_not_requested): our server shows the received update, sends no KeyUpdate, and lines still flow both ways', async () => {
    const { srv, cli } = await connect();
    const s0 = srv.mark();
    const c0 = cli.mark();
    cli.write('^rekey1^\n');
    await cli.waitFor(/^- Rekey was completed$/m, WAIT, c0);
    await srv.waitFor(ourMsg('<<<', NOT_REQ), WAIT, s0);

    await linesBothWays(srv, cli, 'after rekey1');
    expect(count(since(srv, s0), MSG_KU_OUT)).toBe(0);
    await cli.waitFor(/sending key update \(0\)/, WAIT, c0);
    expect(cli.stderr().slice(c0.stderr)).not.toMatch(/received TLS 1\.3 key update/);
  });

  it('^rekey^ (update_requested): our server answers with one KeyUpdate(update_not_requested), gnutls accepts it, and lines still flow both ways', async () => {
    const { srv, cli } = await connect();
    const s0 = srv.mark();
    const c0 = cli.mark();
    cli.write('^rekey^\n');
    await cli.waitFor(/^- Rekey was completed$/m, WAIT, c0);
    await srv.waitFor(ourMsg('<<<', REQ), WAIT, s0);

    await linesBothWays(srv, cli, 'after rekey');
    const ours = since(srv, s0);
    expect(count(ours, MSG_KU_OUT)).toBe(1);
    expect(ours).toMatch(ourMsg('>>>', NOT_REQ));
    // gnutls's own account (-d 4, stderr): it sent update_requested and received update_not_requested
    await cli.waitFor(/sending key update \(1\)/, WAIT, c0);
    await cli.waitFor(/received TLS 1\.3 key update \(0\)/, WAIT, c0);

    // and once more, in the other order of types
    const s1 = srv.mark();
    cli.write('^rekey1^\n');
    await srv.waitFor(ourMsg('<<<', NOT_REQ), WAIT, s1);
    await linesBothWays(srv, cli, 'after rekey and rekey1');
    expect(count(since(srv, s1), MSG_KU_OUT)).toBe(0);
  });
});

// ------------------------------------------------------------ 4. puretls s_server asks: -www GET /keyupdate, and K

describe('puretls s_server asks openssl s_client to update', () => {
  it('-www GET /keyupdate: OpenSSL gets KeyUpdate(update_requested) (18 00 00 01 01) before the reply, reads the whole reply under our new key, and its close_notify is accepted', async () => {
    const { srv, port } = await startPuretlsServer(['-www', '-msg', '-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-tls1_3', '-msg', '-ign_eof']);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m, 15_000);
    const c0 = cli.mark();
    cli.write('GET /keyupdate HTTP/1.0\r\n\r\n');
    await cli.waitFor('</pre></BODY></HTML>', WAIT, c0);

    const out = since(cli, c0);
    const kuAt = out.search(opensslMsg('<<<', 1));
    const replyAt = out.indexOf('HTTP/1.0 200 ok');
    expect(kuAt).toBeGreaterThanOrEqual(0);
    expect(replyAt).toBeGreaterThan(kuAt);
    expect(count(out, MSG_KU_IN)).toBe(1);
    // the whole body arrived (Content-Length), decrypted under the ratcheted key
    const head = /^Content-Length: (\d+)\r?$/m.exec(out);
    const bodyStart = out.indexOf('<HTML>');
    const bodyEnd = out.indexOf('</pre></BODY></HTML>\n') + '</pre></BODY></HTML>\n'.length;
    expect(Number(head?.[1])).toBe(bodyEnd - bodyStart);
    expect(out).toMatch(/KeyUpdate\(update_requested\) sent before this page/);

    // HTTP/1.0: we close; OpenSSL answers close_notify (it has written no data since the request,
    // so it owes no KeyUpdate yet) and our server reads it under OpenSSL's current key
    expect((await srv.waitForExit(WAIT)).code).toBe(0);
    const ours = srv.stdout();
    expect(ours).toMatch(ourMsg('>>>', REQ));
    expect(ours).toMatch(/^<<< TLS 1\.3, Alert \[length 0002\], warning close_notify$/m);
    expect(srv.stderr()).not.toMatch(/failed/);
    await cli.waitFor(/^closed$/m, WAIT);
  });

  it("K typed into our s_server: OpenSSL answers with its next write, and our server accepts the answer (update_not_requested) and the data after it", async () => {
    const { srv, port } = await startPuretlsServer(['-msg', '-naccept', '1']);
    const cli = runOpensslClient(['-connect', `127.0.0.1:${port}`, '-CAfile', cert.certPath, '-tls1_3', '-msg']);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m, 15_000);
    await srv.waitFor(/^ {4}Protocol {2}: TLSv1\.3$/m, WAIT);
    const s0 = srv.mark();
    const c0 = cli.mark();
    srv.write('K\n');
    await srv.waitFor(ourMsg('>>>', REQ), WAIT, s0);
    await srv.waitFor(/^KEYUPDATE$/m, WAIT, s0);
    await cli.waitFor(opensslMsg('<<<', 1), WAIT, c0);

    // OpenSSL's answer goes out with its next write
    cli.write('after K from the peer\n');
    await srv.waitFor(/^after K from the peer$/m, WAIT, s0);
    const seen = since(srv, s0);
    const before = seen.slice(0, seen.indexOf('after K from the peer'));
    expect(count(before, MSG_KU_IN)).toBe(1);
    expect(before).toMatch(ourMsg('<<<', NOT_REQ));
    await cli.waitFor(opensslMsg('>>>', 0), WAIT, c0);
    // our new send key was accepted too
    srv.write('after K from puretls\n');
    await cli.waitFor('after K from puretls', WAIT, c0);
  });
});
