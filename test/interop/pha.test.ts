// Interop: post-handshake client authentication (RFC 8446 §4.6.2) with openssl.
//
//   openssl s_client -enable_pha -cert → our server: verifyClientPostHandshake()
//     goes out with our next write; s_client answers inside its read; we verify
//     and send new tickets (counted in its -msg lines).
//   our client (postHandshakeAuth) → openssl s_server: typing "c" requests a
//     certificate (SSL_verify_client_post_handshake); s_server's verify callback
//     prints our chain ("depth=0 CN = puretls test client") and sends tickets.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/ssl/connection.js';
import { countMatches, installPeerCleanup, runOpensslClient, startOpensslServer } from '../helpers/peers.js';
import { pump } from '../helpers/pump.js';
import { acceptFrom, clientCert, connectOurs, installSocketCleanup, listen, makeCertSets, ourClient, ourServer, serverCert, show, verifierFor, within, type CertSet, type CertType } from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 10_000;

let certs: Record<CertType, CertSet>;
beforeAll(async () => {
  certs = await makeCertSets();
}, 60_000);

/** The certificates a 'postHandshakeAuth' event reports, as a promise. */
function nextAuth(conn: Connection): Promise<readonly Uint8Array[]> {
  return new Promise((resolve) => {
    const on = (e: { peerCertificates: readonly Uint8Array[] }) => {
      conn.off('postHandshakeAuth', on);
      resolve(e.peerCertificates);
    };
    conn.on('postHandshakeAuth', on);
  });
}

describe('openssl s_client -enable_pha against our server', () => {
  it.each(['p256', 'rsa2048', 'ed25519'] as const)('a %s client certificate after the handshake; then the tickets set by setNumTickets before the request', async (cert) => {
    const set = certs[cert];
    const l = await listen();
    const cli = runOpensslClient(
      ['-tls1_3', '-msg', '-enable_pha', '-servername', 'localhost', '-CAfile', set.chain.rootPath, '-cert', set.client.certPath, '-key', set.client.keyPath, '-cert_chain', set.chain.intermediatesPath],
      undefined,
      { port: l.port },
    );
    const sock = await acceptFrom(l, cli);
    const conn = ourServer({ certificate: serverCert(set.chain), verifier: verifierFor(set.chain), numTickets: 0 });
    const p = pump(conn, sock);
    await within(p.handshake, T, () => show(cli));
    expect(conn.negotiated.postHandshakeAuth).toBe(true);
    expect(conn.peerCertificates).toEqual([]);
    const auth = nextAuth(conn);
    conn.setNumTickets(3);
    expect(conn.verifyClientPostHandshake()).toBe(true);
    p.send('who are you?\n');
    const chain = await within(auth, T, () => show(cli));
    expect(chain).toHaveLength(2);
    expect(Buffer.from(chain[0]!).equals(set.client.certDer)).toBe(true);
    expect(conn.peerVerification?.authorized).toBe(true);
    await cli.waitFor('who are you?', T);
    // s_client's -msg: our CertificateRequest, its Certificate, CertificateVerify, Finished, then our 3 tickets.
    await cli.waitForMatch(/(?:<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], NewSessionTicket[\s\S]*){3}/, T);
    const out = cli.output();
    const after = out.slice(out.search(/^<<< .*CertificateRequest$/m));
    expect(after, show(cli)).toMatch(/<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], CertificateRequest/);
    expect(after, show(cli)).toMatch(/>>> TLS 1\.3, Handshake \[length [0-9a-f]+\], Certificate\n[\s\S]*>>> TLS 1\.3, Handshake \[length [0-9a-f]+\], CertificateVerify\n[\s\S]*>>> TLS 1\.3, Handshake \[length [0-9a-f]+\], Finished/);
    expect(countMatches(after, /<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], NewSessionTicket/g), show(cli)).toBe(3);
    p.send('bye\n');
    await cli.waitFor('bye', T);
    await p.end();
    await cli.waitForExit(T);
  });

  it('s_client without -enable_pha: verifyClientPostHandshake() is refused, nothing is sent', async () => {
    const set = certs.p256;
    const l = await listen();
    const cli = runOpensslClient(['-tls1_3', '-servername', 'localhost', '-CAfile', set.chain.rootPath], undefined, { port: l.port });
    const sock = await acceptFrom(l, cli);
    const conn = ourServer({ certificate: serverCert(set.chain), numTickets: 0 });
    const p = pump(conn, sock);
    await within(p.handshake, T, () => show(cli));
    expect(() => conn.verifyClientPostHandshake()).toThrow(/did not send post_handshake_auth/);
    p.send('still fine\n');
    await cli.waitFor('still fine', T);
    await p.end();
    await cli.waitForExit(T);
  });
});

describe('our client against openssl s_server, "c" typed (SSL_verify_client_post_handshake)', () => {
  it('answers with its certificate; s_server verifies the chain and sends two new tickets', async () => {
    const set = certs.p256;
    const srv = await startOpensslServer([
      '-tls1_3', '-msg', '-naccept', '1', '-cert', set.chain.leaf.certPath, '-key', set.chain.leaf.keyPath, '-cert_chain', set.chain.intermediatesPath, '-CAfile', set.chain.rootPath,
    ]);
    const conn = ourClient({ verifier: verifierFor(set.chain), postHandshakeAuth: true, certificate: clientCert(set) });
    const sessions: unknown[] = [];
    conn.on('session', (s) => sessions.push(s));
    const p = connectOurs(conn, srv.port);
    await within(p.handshake, T, () => show(srv));
    p.send('hello\n');
    await srv.waitFor('hello', T);
    // s_server's two tickets after the handshake first (they may still be in flight).
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => void (sessions.length >= 2 ? resolve() : setTimeout(check, 5));
        check();
      }),
      T,
      () => `the handshake's tickets; got ${sessions.length}${show(srv)}`,
    );
    const before = sessions.length;
    const mark = srv.mark();
    srv.write('c\n');
    await srv.waitFor('SSL_do_handshake -> 1', T, mark);
    // s_server's verify callback shows our chain once our answer arrives; then its tickets.
    await srv.waitFor(/depth=0 CN = puretls test client/, T, mark);
    await srv.waitFor(/verify return:1/, T, mark);
    // s_server sent its tickets right after our Finished: a line it types now arrives after them.
    srv.write('marker\n');
    await p.waitForData((b) => b.includes('marker'), T);
    expect(sessions.length - before, show(srv)).toBe(2);
    p.send('again\n');
    await srv.waitFor('again', T);
    await p.end();
    await srv.waitForExit(T);
    const log = srv.output();
    const tail = log.slice(log.search(/^>>> .*CertificateRequest$/m));
    expect(tail, show(srv)).toMatch(/<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], Certificate\n[\s\S]*<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], CertificateVerify\n[\s\S]*<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], Finished/);
  });

  it('without a certificate it answers an empty Certificate and Finished; s_server (-verify_return_error not set) goes on', async () => {
    const set = certs.p256;
    const srv = await startOpensslServer(['-tls1_3', '-msg', '-naccept', '1', '-cert', set.chain.leaf.certPath, '-key', set.chain.leaf.keyPath, '-cert_chain', set.chain.intermediatesPath]);
    const conn = ourClient({ verifier: verifierFor(set.chain), postHandshakeAuth: true });
    const p = connectOurs(conn, srv.port);
    await within(p.handshake, T, () => show(srv));
    p.send('hello\n');
    await srv.waitFor('hello', T);
    const mark = srv.mark();
    srv.write('c\n');
    await srv.waitFor('SSL_do_handshake -> 1', T, mark);
    // Our answer arrived: its Finished in s_server's -msg lines.
    await srv.waitFor(/<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], Finished/, T, mark);
    p.send('after\n');
    await srv.waitFor('after', T);
    const log = srv.output();
    const tail = log.slice(log.search(/^>>> .*CertificateRequest$/m));
    expect(tail, show(srv)).toMatch(/<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], Certificate\n[\s\S]*<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], Finished/);
    expect(tail, show(srv)).not.toMatch(/CertificateVerify/);
    await p.end();
    await srv.waitForExit(T);
  });
});
