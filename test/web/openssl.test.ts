/**
 * fromStreams against real peers: a node:net socket turned into a WHATWG
 * pair with `Duplex.toWeb(socket)`, against `openssl s_server` and
 * `openssl s_client` (TLS 1.3, -msg). Each case: handshake, data both ways,
 * a key update each way (openssl's -msg shows each KeyUpdate with its
 * request byte, and where it falls relative to the data), then close_notify.
 */
import { once } from 'node:events';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyUpdateType } from '../../src/common/constants.js';
import type { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import { fromStreams, type ByteStreams, type TlsStream } from '../../src/web/streams.js';
import { acceptFrom, installSocketCleanup, listen, show, track, within } from '../interop/support.js';
import { makeChain, type Chain } from '../helpers/keys.js';
import { serverCert, verifierFor } from '../helpers/pair.js';
import { installPeerCleanup, runOpensslClient, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { enc, TextReader } from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 10_000;
/** openssl -msg: a KeyUpdate received (<<<) or sent (>>>) and its body (18 00 00 01 <request_update>). */
const KU_IN = (requested: 0 | 1): RegExp => new RegExp(`^<<< TLS 1\\.3, Handshake \\[length 0005\\], KeyUpdate\\n {4}18 00 00 01 0${requested}$`, 'm');
const KU_OUT = (requested: 0 | 1): RegExp => new RegExp(`^>>> TLS 1\\.3, Handshake \\[length 0005\\], KeyUpdate\\n {4}18 00 00 01 0${requested}$`, 'm');

let chain: Chain;
beforeAll(async () => {
  chain = await makeChain('p256');
}, 60_000);

/** A node socket as the { readable, writable } pair fromStreams takes. */
const webPair = (sock: net.Socket): ByteStreams => Duplex.toWeb(sock) as ByteStreams;

/** The connection's key updates as 'sent:1' / 'received:0', and a wait for one. */
function keyUpdates(conn: Connection): { events: string[]; next(want: string, what: () => string): Promise<void> } {
  const events: string[] = [];
  const waiters: (() => void)[] = [];
  conn.on('keyUpdate', (e) => {
    events.push(`${e.direction}:${e.type}`);
    for (const w of waiters.splice(0)) w();
  });
  return {
    events,
    next: (want, what) =>
      within(
        new Promise<void>((resolve) => {
          const check = (): void => (events.includes(want) ? resolve() : void waiters.push(check));
          check();
        }),
        T,
        what,
      ),
  };
}

/** `first` appears in `text` before `second` (both present). */
function before(text: string, first: RegExp, second: string): void {
  const a = text.search(first);
  const b = text.indexOf(second);
  expect(a, `${first} in output`).toBeGreaterThan(-1);
  expect(b, `${second} in output`).toBeGreaterThan(-1);
  expect(a, `${first} before ${second}`).toBeLessThan(b);
}

async function closeBoth(tls: TlsStream, reader: TextReader, peer: PeerHandle): Promise<void> {
  await within(tls.close(), T, () => `close()${show(peer)}`);
  await within(reader.toEnd(), T, () => `the peer's close_notify${show(peer)}`);
  await within(tls.closed, T, () => `closed${show(peer)}`);
  const exit = await peer.waitForExit(T);
  expect(exit.code, show(peer)).toBe(0);
}

describe('fromStreams over Duplex.toWeb(net.Socket) against openssl', () => {
  it('our client ↔ s_server: handshake, data, key update each way, close_notify', async () => {
    const srv = await startOpensslServer(['-tls1_3', '-msg', '-naccept', '1', '-cert', chain.leaf.certPath, '-key', chain.leaf.keyPath, '-cert_chain', chain.intermediatesPath]);
    const sock = track(net.connect({ host: '127.0.0.1', port: srv.port }));
    await once(sock, 'connect');
    const tls = fromStreams(webPair(sock), { context: new TlsContext({ verifier: verifierFor(chain) }), serverName: 'localhost' });
    const ku = keyUpdates(tls.connection);
    await within(tls.handshake, T, () => `handshake${show(srv)}`);
    expect(tls.protocol).toBe('TLSv1.3');
    expect(tls.connection.peerVerification?.authorized).toBe(true);
    const reader = new TextReader(tls.readable);
    const writer = tls.writable.getWriter();

    await writer.write(enc('hello from puretls\n'));
    await srv.waitFor(/hello from puretls/, T);
    srv.write('hello from openssl\n');
    expect(await within(reader.until('hello from openssl\n'), T, () => show(srv))).toContain('hello from openssl\n');

    // Ours, update_requested: out with our next write, before its data; s_server answers with its next write.
    let mark = srv.mark();
    tls.keyUpdate(KeyUpdateType.REQUESTED);
    await writer.write(enc('after our update\n'));
    await srv.waitFor(/after our update/, T, mark);
    before(srv.stdout().slice(mark.stdout), KU_IN(1), 'after our update');
    expect(ku.events).toEqual([`sent:${KeyUpdateType.REQUESTED}`]);
    srv.write('answer from openssl\n');
    await within(reader.until('answer from openssl\n'), T, () => show(srv));
    await ku.next(`received:${KeyUpdateType.NOT_REQUESTED}`, () => `${ku.events}${show(srv)}`);
    await srv.waitFor(KU_OUT(0), T, mark); // its -msg line may trail the data it sent

    // Theirs, update_requested ("K"): our answer goes with our next write, before its data.
    mark = srv.mark();
    srv.write('K\n');
    await srv.waitFor(/^SSL_do_handshake -> 1$/m, T, mark);
    await ku.next(`received:${KeyUpdateType.REQUESTED}`, () => `${ku.events}${show(srv)}`);
    expect(ku.events.slice(2)).toEqual([`received:${KeyUpdateType.REQUESTED}`]);
    await writer.write(enc('ours after theirs\n'));
    await srv.waitFor(/ours after theirs/, T, mark);
    before(srv.stdout().slice(mark.stdout), KU_IN(0), 'ours after theirs');
    expect(ku.events.slice(2)).toEqual([`received:${KeyUpdateType.REQUESTED}`, `sent:${KeyUpdateType.NOT_REQUESTED}`]);
    srv.write('still talking\n');
    await within(reader.until('still talking\n'), T, () => show(srv));

    writer.releaseLock();
    await closeBoth(tls, reader, srv);
    expect(srv.output()).toMatch(/^CONNECTION CLOSED$/m);
  });

  it('s_client ↔ our server: handshake, data, key update each way, close_notify', async () => {
    const l = await listen();
    const cli = runOpensslClient(['-tls1_3', '-msg', '-CAfile', chain.rootPath, '-servername', 'localhost'], undefined, { port: l.port });
    const sock = await acceptFrom(l, cli);
    const tls = fromStreams(webPair(sock), { context: new TlsContext({ certificate: serverCert(chain) }), role: 'server' });
    const ku = keyUpdates(tls.connection);
    await within(tls.handshake, T, () => `handshake${show(cli)}`);
    const [, cipher] = await cli.waitForMatch(/^New, TLSv1\.3, Cipher is (TLS_\w+)$/m, T);
    expect(cipher).toBe(tls.cipherSuite?.name);
    await cli.waitFor(/^ {4}Verify return code: 0 \(ok\)$/m, T);
    const reader = new TextReader(tls.readable);
    const writer = tls.writable.getWriter();

    cli.write('hello from s_client\n');
    await within(reader.until('hello from s_client\n'), T, () => show(cli));
    let mark = cli.mark();
    await writer.write(enc('hello from puretls\n'));
    await cli.waitFor(/hello from puretls/, T, mark);

    // Theirs, update_requested ("K", sent at once): our answer goes with our next write.
    mark = cli.mark();
    cli.write('K\n');
    await cli.waitFor(/^KEYUPDATE$/m, T, mark);
    await ku.next(`received:${KeyUpdateType.REQUESTED}`, () => `${ku.events}${show(cli)}`);
    expect(ku.events).toEqual([`received:${KeyUpdateType.REQUESTED}`]);
    await writer.write(enc('answer from puretls\n'));
    await cli.waitFor(/answer from puretls/, T, mark);
    before(cli.stdout().slice(mark.stdout), KU_IN(0), 'answer from puretls');
    expect(ku.events).toEqual([`received:${KeyUpdateType.REQUESTED}`, `sent:${KeyUpdateType.NOT_REQUESTED}`]);

    // Ours, update_requested: s_client answers with its next write.
    mark = cli.mark();
    tls.keyUpdate(KeyUpdateType.REQUESTED);
    await writer.write(enc('after our update\n'));
    await cli.waitFor(/after our update/, T, mark);
    before(cli.stdout().slice(mark.stdout), KU_IN(1), 'after our update');
    cli.write('more from s_client\n');
    await within(reader.until('more from s_client\n'), T, () => show(cli));
    await ku.next(`received:${KeyUpdateType.NOT_REQUESTED}`, () => `${ku.events}${show(cli)}`);
    expect(ku.events.slice(2)).toEqual([`sent:${KeyUpdateType.REQUESTED}`, `received:${KeyUpdateType.NOT_REQUESTED}`]);
    await cli.waitFor(KU_OUT(0), T, mark);

    writer.releaseLock();
    await closeBoth(tls, reader, cli);
  });
});
