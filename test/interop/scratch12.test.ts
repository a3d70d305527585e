import type net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { pump } from '../helpers/pump.js';
import { CERT_TYPES, connectOurs, describeConn, installSocketCleanup, listen, makeCertSets, ourClient, ourServer, reverseLine, serverCert, verifierFor, within, type CertSet, type CertType } from './support.js';

installPeerCleanup();
installSocketCleanup();
const T = 10_000;
let certs: Record<CertType, CertSet>;
beforeAll(async () => {
  certs = await makeCertSets();
}, 60_000);
const show = (peer: PeerHandle): string => `\n--- ${peer.name} output ---\n${peer.output()}\n---`;

describe.each(CERT_TYPES)('scratch 1.2 %s', (cert) => {
  it('our client -> s_server -tls1_2', async () => {
    const set = certs[cert];
    const srv = await startOpensslServer(['-tls1_2', '-rev', '-naccept', '1', '-cert', set.chain.leaf.certPath, '-key', set.chain.leaf.keyPath, '-cert_chain', set.chain.intermediatesPath]);
    const conn = ourClient({ verifier: verifierFor(set.chain) });
    const p = connectOurs(conn, srv.port);
    await within(p.handshake, T, () => `${describeConn(conn)}${show(srv)}`);
    expect(conn.negotiated.version).toBe(ProtocolVersion.TLSv1_2);
    p.send('hello\n');
    const got = await p.waitForData((b) => b.includes('\n'), T);
    expect(got.toString()).toBe(`${reverseLine('hello')}\n`);
    await p.end();
    await srv.waitForExit(T);
  });
  it('s_client -tls1_2 -> our server', async () => {
    const set = certs[cert];
    const l = await listen();
    const cli = runOpensslClient(['-tls1_2', '-servername', 'localhost', '-CAfile', set.chain.rootPath, '-verify_return_error'], 'hi\n', { port: l.port });
    const sock: net.Socket = await l.accept();
    const conn = ourServer({ certificate: serverCert(set.chain) });
    const p = pump(conn, sock);
    await within(p.handshake, T, () => `${describeConn(conn)}${show(cli)}`);
    const got = await p.waitForData((b) => b.includes('\n'), T);
    expect(got.toString()).toBe('hi\n');
    p.send('back\n');
    await cli.waitFor('back', T);
    await p.end();
    const exit = await cli.waitForExit(T);
    expect(exit.code, show(cli)).toBe(0);
    expect(cli.output()).toMatch(/New, TLSv1\.2, Cipher is/);
  });
});
