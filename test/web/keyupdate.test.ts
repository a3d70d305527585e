/**
 * TLS 1.3 key updates through fromStreams: the control only schedules
 * (nothing reaches the transport until the next write, read or
 * doHandshake), the KeyUpdate goes out before the data of the write that
 * flushes it, the peer answers update_requested with its own next write,
 * and data keeps flowing under the new keys. Also the other TLS 1.3
 * controls through the stream (newSessionTicket, setNumTickets).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyUpdateType } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import type { KeyUpdateEvent } from '../../src/ssl/events.js';
import type { TlsStream } from '../../src/web/streams.js';
import type { Chain } from '../helpers/keys.js';
import { certifiedKey, chainFor, verifierFor } from '../helpers/pair.js';
import { ContentTypes, records, send, settle, streamPair, TextReader, type Pipe } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const KU = (e: KeyUpdateEvent): string => `${e.direction}:${e.type}`;

function watch(s: TlsStream): string[] {
  const events: string[] = [];
  s.connection.on('keyUpdate', (e) => events.push(KU(e)));
  return events;
}

/** Everything written into `pipe` after `from` transport writes, as record types. */
const typesAfter = (pipe: Pipe, from: number): number[] => pipe.written.slice(from).flatMap((c) => records(c).map((r) => r.type));

async function established() {
  const p = streamPair(chain);
  await Promise.all([p.client.handshake, p.server.handshake]);
  await settle(); // the server's tickets have arrived
  return { ...p, clientEvents: watch(p.client), serverEvents: watch(p.server), atClient: new TextReader(p.client.readable), atServer: new TextReader(p.server.readable) };
}

describe('fromStreams: key updates', () => {
  it('client keyUpdate(REQUESTED): nothing sent by the control; the next write sends it first; the server answers with its own next write', async () => {
    const { client, server, c2s, s2c, clientEvents, serverEvents, atClient, atServer } = await established();
    const c2sBefore = c2s.written.length;
    const s2cBefore = s2c.written.length;

    expect(client.keyUpdate(KeyUpdateType.REQUESTED)).toBe(true);
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.REQUESTED);
    await settle();
    expect(c2s.written.length, 'the control alone writes nothing').toBe(c2sBefore);
    expect(clientEvents).toEqual([]);

    await send(client, 'after my update');
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    expect(c2s.written.length - c2sBefore, 'KeyUpdate and data: one transport write').toBe(1);
    const flight = records(c2s.written.at(-1)!);
    // KeyUpdate (encrypted handshake record: 4 + 1 bytes + type + tag) under the old key, then the data under the new.
    expect(flight.map((r) => [r.type, r.length])).toEqual([
      [ContentTypes.application_data, 5 + 1 + 16],
      [ContentTypes.application_data, 'after my update'.length + 1 + 16],
    ]);
    expect(clientEvents).toEqual([`sent:${KeyUpdateType.REQUESTED}`]);
    expect(await atServer.until('after my update')).toBe('after my update');
    expect(serverEvents).toEqual([`received:${KeyUpdateType.REQUESTED}`]);
    // The server owes an answer: it goes with its next write, not before.
    expect(server.getKeyUpdateType()).toBe(KeyUpdateType.NOT_REQUESTED);
    await settle();
    expect(s2c.written.length, 'the answer waits for the server to write').toBe(s2cBefore);

    await send(server, 'my answer');
    expect(serverEvents).toEqual([`received:${KeyUpdateType.REQUESTED}`, `sent:${KeyUpdateType.NOT_REQUESTED}`]);
    expect(await atClient.until('my answer')).toBe('my answer');
    expect(clientEvents).toEqual([`sent:${KeyUpdateType.REQUESTED}`, `received:${KeyUpdateType.NOT_REQUESTED}`]);

    // Data both ways under the new keys.
    await send(client, ' and more');
    await send(server, ' and more');
    expect(await atServer.until('more')).toBe('after my update and more');
    expect(await atClient.until('more')).toBe('my answer and more');
  });

  it('server keyUpdate(NOT_REQUESTED) is sent by doHandshake(); the client does not answer', async () => {
    const { server, s2c, clientEvents, serverEvents, atClient, c2s } = await established();
    const before = s2c.written.length;
    server.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    await settle();
    expect(s2c.written.length).toBe(before);
    await server.doHandshake();
    expect(typesAfter(s2c, before)).toEqual([ContentTypes.application_data]);
    expect(records(s2c.written.at(-1)!)[0]!.length).toBe(5 + 1 + 16);
    expect(serverEvents).toEqual([`sent:${KeyUpdateType.NOT_REQUESTED}`]);
    const c2sBefore = c2s.written.length;
    await send(server, 'new key');
    expect(await atClient.until('new key')).toBe('new key');
    expect(clientEvents).toEqual([`received:${KeyUpdateType.NOT_REQUESTED}`]);
    await settle();
    expect(c2s.written.length, 'no answer to update_not_requested').toBe(c2sBefore);
  });

  it("the application reading sends a pending keyUpdate (a read), but not the answer owed to the peer's request", async () => {
    const { client, server, c2s, clientEvents, serverEvents, atClient } = await established();
    // The server asks; the client owes an answer.
    server.keyUpdate(KeyUpdateType.REQUESTED);
    await send(server, 'please update');
    const r = atClient.reader;
    let text = '';
    while (!text.includes('please update')) text += new TextDecoder().decode((await r.read()).value);
    expect(clientEvents).toEqual([`received:${KeyUpdateType.REQUESTED}`]);
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NOT_REQUESTED); // the answer owed shows as NOT_REQUESTED
    const before = c2s.written.length;
    // The application reads (a pull): the answer is not sent by a read (OpenSSL: it goes with the next write).
    const first = r.read();
    await settle();
    expect(c2s.written.length).toBe(before);
    // Our own update: the control sends nothing ...
    client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    await settle();
    expect(c2s.written.length, 'the control alone sends nothing').toBe(before);
    // ... the application's next read does (one KeyUpdate: ours, which is also the answer).
    const second = r.read();
    await settle();
    expect(typesAfter(c2s, before)).toEqual([ContentTypes.application_data]);
    expect(records(c2s.written.at(-1)!)[0]!.length).toBe(5 + 1 + 16);
    expect(clientEvents).toEqual([`received:${KeyUpdateType.REQUESTED}`, `sent:${KeyUpdateType.NOT_REQUESTED}`]);
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    expect(serverEvents).toEqual([`sent:${KeyUpdateType.REQUESTED}`, `received:${KeyUpdateType.NOT_REQUESTED}`]);
    await send(server, 'one');
    await send(server, 'two');
    expect(new TextDecoder().decode((await first).value)).toBe('one');
    expect(new TextDecoder().decode((await second).value)).toBe('two');
  });

  it('newSessionTicket() is sent by the next write, before its data; setNumTickets/getNumTickets delegate', async () => {
    const p = streamPair(chain);
    const sessions: unknown[] = [];
    p.client.connection.on('session', (s) => sessions.push(s));
    await Promise.all([p.client.handshake, p.server.handshake]);
    const atClient = new TextReader(p.client.readable);
    await settle();
    expect(sessions.length).toBe(2); // numTickets default
    expect(p.server.getNumTickets()).toBe(2);
    expect(p.server.setNumTickets(5)).toBe(true);
    expect(p.server.getNumTickets()).toBe(5);
    const before = p.s2c.written.length;
    expect(p.server.newSessionTicket()).toBe(true);
    await settle();
    expect(p.s2c.written.length).toBe(before);
    await send(p.server, 'with a ticket');
    expect(p.s2c.written.length - before).toBe(1);
    expect(records(p.s2c.written.at(-1)!).length).toBe(2); // the ticket, then the data
    expect(await atClient.until('ticket')).toBe('with a ticket');
    expect(sessions.length).toBe(3);
  });

  it('verifyClientPostHandshake(): the CertificateRequest waits for doHandshake; the client answers as it reads; the server then has its chain', async () => {
    const p = streamPair(
      chain,
      { verifier: verifierFor(chain) },
      { postHandshakeAuth: true, certificate: certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]) },
    );
    const auth: number[] = [];
    p.server.connection.on('postHandshakeAuth', (e) => auth.push(e.peerCertificates.length));
    await Promise.all([p.client.handshake, p.server.handshake]);
    await settle();
    expect(p.server.peerCertificates).toEqual([]);
    const before = p.s2c.written.length;
    expect(p.server.verifyClientPostHandshake()).toBe(true);
    await settle();
    expect(p.s2c.written.length, 'the control alone sends nothing').toBe(before);
    expect(() => p.server.verifyClientPostHandshake()).toThrow(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    await p.server.doHandshake();
    await settle();
    expect(auth).toEqual([2]);
    expect(p.server.peerCertificates.map((c) => [...c])).toEqual([[...chain.leaf.certDer], [...chain.intermediate.certDer]]);
    // The same keying material on both ends.
    const label = 'EXPORTER-puretls-web';
    expect(p.client.exportKeyingMaterial(32, label)).toEqual(p.server.exportKeyingMaterial(32, label));
  });

  it('keyUpdate before the handshake, on a destroyed stream: typed errors, nothing changes', async () => {
    const { client, server } = streamPair(chain);
    expect(() => client.keyUpdate(KeyUpdateType.REQUESTED)).toThrow(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    expect(() => client.keyUpdate(5 as KeyUpdateType)).toThrow(RangeError);
    await Promise.all([client.handshake, server.handshake]);
    expect(() => client.renegotiate()).toThrow(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    expect(() => client.newSessionTicket()).toThrow(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    client.destroy();
    let err: unknown;
    try {
      client.keyUpdate(KeyUpdateType.REQUESTED);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).code).toBe('ERR_TLS_CLOSED');
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
  });
});
