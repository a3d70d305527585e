/**
 * Sessions and TLS 1.2 through fromStreams: TLS 1.3 resumption with a ticket
 * that carries app data (the server's ticket callbacks, docs/tickets.md),
 * and TLS 1.2 renegotiation started by the client and by the server, with
 * data written while it runs held until it ends.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType, HandshakeType } from '../../src/common/constants.js';
import { TicketReturn } from '../../src/handshake/config.js';
import { Session } from '../../src/session/session.js';
import { TicketStatus } from '../../src/session/ticket-codec.js';
import { TlsContext } from '../../src/ssl/context.js';
import { fromStreams } from '../../src/web/streams.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, serverCert, verifierFor } from '../helpers/pair.js';
import { crossedPipes, dec, enc, records, send, settle, streamPair, TextReader } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

describe('fromStreams: TLS 1.3 resumption with ticket app data', () => {
  it('a ticket stamped by the generate callback resumes; the decrypt callback sees its app data; the resumed server has it', async () => {
    const serverCtx = new TlsContext({ certificate: serverCert(chain), numTickets: 1 });
    const seen: { status: number; appData: string | null }[] = [];
    serverCtx.setSessionTicketCallbacks({
      generate: (session) => {
        if (!session.getTicketAppData()) session.setTicketAppData(enc('user=alice;policy=3'));
        return true;
      },
      decrypt: ({ status, session }) => {
        const raw = session?.getTicketAppData();
        seen.push({ status, appData: raw ? dec(raw) : null });
        return raw && dec(raw).endsWith('policy=3') ? TicketReturn.USE : TicketReturn.IGNORE_RENEW;
      },
    });
    const clientCtx = new TlsContext({ verifier: verifierFor(chain) });

    const p1 = crossedPipes();
    const client1 = fromStreams(p1.clientSide, { context: clientCtx, serverName: 'localhost' });
    const stored: Uint8Array[] = [];
    client1.connection.on('session', (s) => stored.push(s.toBytes()));
    const server1 = fromStreams(p1.serverSide, { context: serverCtx, role: 'server' });
    await Promise.all([client1.handshake, server1.handshake]);
    const atClient1 = new TextReader(client1.readable);
    await send(server1, 'first');
    expect(await atClient1.until('first')).toBe('first');
    expect(stored.length).toBe(1);
    expect(dec(server1.session!.getTicketAppData()!)).toBe('user=alice;policy=3');
    await client1.close();
    await server1.close();
    await Promise.all([client1.closed, server1.closed]);

    const session = Session.fromBytes(stored[0]!);
    const p2 = crossedPipes();
    const newTickets: unknown[] = [];
    const client2 = fromStreams(p2.clientSide, { context: clientCtx, serverName: 'localhost', session });
    const server2 = fromStreams(p2.serverSide, { context: serverCtx, role: 'server' });
    server2.connection.on('newSession', (s) => newTickets.push(s));
    await Promise.all([client2.handshake, server2.handshake]);
    expect(client2.isSessionReused).toBe(true);
    expect(server2.isSessionReused).toBe(true);
    expect(seen).toEqual([{ status: TicketStatus.SUCCESS, appData: 'user=alice;policy=3' }]);
    expect(dec(server2.session!.getTicketAppData()!)).toBe('user=alice;policy=3');
    // USE: no new ticket after the resumption.
    await settle();
    expect(newTickets).toEqual([]);
    // No certificate in a resumed handshake's server flight; the peer's chain is the ticket's.
    expect(records(p2.s2c.written[0]!).length).toBe(3); // ServerHello, CCS, one encrypted record (EE + Finished)
    expect(client2.peerCertificates.length).toBe(2);
    await send(client2, 'resumed');
    expect(await new TextReader(server2.readable).until('resumed')).toBe('resumed');
  });
});

describe('fromStreams: TLS 1.2 renegotiation', () => {
  const tls12 = { maxVersion: 0x0303 } as const;
  const accept = { renegotiation: { acceptClientInitiated: true } } as const;

  function counted(stream: { connection: { on(e: 'handshake', f: () => void): unknown } }): { n: number } {
    const c = { n: 0 };
    stream.connection.on('handshake', () => void c.n++);
    return c;
  }

  it('renegotiate() from the client: pending until the next write; the write waits for the new handshake, then its data flows', async () => {
    const { client, server, c2s } = streamPair(chain, accept, tls12);
    const hc = counted(client);
    const hs = counted(server);
    const sent: number[] = [];
    client.connection.on('message', (m) => void (m.direction === 'sent' && sent.push(m.type)));
    await Promise.all([client.handshake, server.handshake]);
    expect(client.protocol).toBe('TLSv1.2');
    const atServer = new TextReader(server.readable);
    const atClient = new TextReader(client.readable);
    expect([hc.n, hs.n]).toEqual([1, 1]);

    const before = c2s.written.length;
    const sentBefore = sent.length;
    expect(client.renegotiate()).toBe(true);
    expect(client.renegotiatePending()).toBe(true);
    await settle();
    expect(c2s.written.length, 'the control alone sends nothing').toBe(before);
    expect(sent.length).toBe(sentBefore);

    await send(client, 'after renegotiation');
    expect(client.renegotiatePending()).toBe(false);
    expect(sent.slice(sentBefore, sentBefore + 1)).toEqual([HandshakeType.client_hello]);
    expect([hc.n, hs.n]).toEqual([2, 2]);
    // The data went out after our Finished (held during the handshake).
    // Our ClientKeyExchange, ChangeCipherSpec, Finished; then, once the server's Finished came, the data.
    const types = c2s.written.slice(before).map((w) => records(w).map((r) => r.type));
    expect(types).toEqual([[ContentType.handshake], [ContentType.handshake, ContentType.change_cipher_spec, ContentType.handshake], [ContentType.application_data]]);
    expect(await atServer.until('renegotiation')).toBe('after renegotiation');
    await send(server, 'still here');
    expect(await atClient.until('here')).toBe('still here');
  });

  it('renegotiate() from the server: doHandshake sends the HelloRequest; the client renegotiates by itself', async () => {
    const { client, server, s2c } = streamPair(chain, {}, tls12);
    const hc = counted(client);
    const hs = counted(server);
    const received: number[] = [];
    client.connection.on('message', (m) => void (m.direction === 'received' && received.push(m.type)));
    await Promise.all([client.handshake, server.handshake]);
    const atClient = new TextReader(client.readable);
    const atServer = new TextReader(server.readable);
    const before = s2c.written.length;
    expect(server.renegotiate()).toBe(true);
    expect(server.renegotiatePending()).toBe(true);
    await settle();
    expect(s2c.written.length).toBe(before);
    await server.doHandshake();
    expect(server.renegotiatePending()).toBe(false);
    // The HelloRequest alone in one transport write: a TLS 1.2 encrypted handshake record
    // (4-byte message + 16-byte tag, after an 8-byte explicit nonce under AES-GCM, none under ChaCha20-Poly1305).
    const explicitNonce = server.cipherSuite?.aead === 'CHACHA20-POLY1305' ? 0 : 8;
    expect(records(s2c.written[before]!).map((r) => [r.type, r.length])).toEqual([[ContentType.handshake, explicitNonce + 4 + 16]]);
    await settle();
    expect(received).toContain(HandshakeType.hello_request);
    expect([hc.n, hs.n]).toEqual([2, 2]);
    await send(server, 'renegotiated');
    await send(client, 'me too');
    expect(await atClient.until('renegotiated')).toBe('renegotiated');
    expect(await atServer.until('too')).toBe('me too');
    await client.close();
    await server.close();
    await Promise.all([client.closed, server.closed]);
  });

  it('renegotiateAbbreviated() resumes the session; keyUpdate is refused on TLS 1.2 with the typed error', async () => {
    const { client, server } = streamPair(chain, accept, tls12);
    await Promise.all([client.handshake, server.handshake]);
    expect(() => client.keyUpdate(1)).toThrow(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    const atServer = new TextReader(server.readable);
    client.renegotiateAbbreviated();
    await client.doHandshake();
    await settle();
    expect(client.isSessionReused).toBe(true);
    await send(client, 'abbreviated');
    expect(await atServer.until('abbreviated')).toBe('abbreviated');
  });
});
