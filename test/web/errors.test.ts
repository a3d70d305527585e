/**
 * Failures through fromStreams: a peer's bad bytes (the Connection's
 * TlsError, its alert on the wire first, the same error everywhere), a
 * fatal alert received, truncation (EOF without close_notify), transport
 * errors, a throwing listener, destroy() and abort(), calls after the end,
 * and bad arguments (precise TypeErrors, the transport left unlocked).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyUpdateType } from '../../src/common/constants.js';
import { AlertDescription, TlsError } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import { fromStreams, type FromStreamsOptions, type TlsStream } from '../../src/web/streams.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, serverCert, verifierFor } from '../helpers/pair.js';
import { ContentTypes, crossedPipes, enc, records, rejection, send, settle, streamPair, TextReader } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const clientCtx = (): TlsContext => new TlsContext({ verifier: verifierFor(chain) });
const serverCtx = (): TlsContext => new TlsContext({ certificate: serverCert(chain) });

/** Every promise and stream of `s` fails with exactly `err`. */
async function failedWith(s: TlsStream, err: unknown, handshakeToo = true): Promise<void> {
  if (handshakeToo) expect(await rejection(s.handshake)).toBe(err);
  expect(await rejection(s.closed)).toBe(err);
  expect(await rejection(s.readable.getReader().read())).toBe(err);
  expect(await rejection(s.writable.getWriter().write(enc('x')))).toBe(err);
}

describe('fromStreams: the peer sends bad bytes', () => {
  it('client: garbage instead of a ServerHello → unexpected_message alert on the wire, then the same TlsError everywhere', async () => {
    const p = crossedPipes();
    const client = fromStreams(p.clientSide, { context: clientCtx(), serverName: 'localhost' });
    const peer = p.c2s.readable.getReader();
    const hello = await peer.read();
    expect(records(hello.value!).map((r) => r.type)).toEqual([ContentTypes.handshake]);
    await p.s2c.inject(enc('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const err = await rejection(client.handshake);
    expect(err).toBeInstanceOf(TlsError);
    const e = err as TlsError;
    expect([e.code, e.alert, e.bug, e.remote]).toEqual(['ERR_TLS_UNEXPECTED_MESSAGE', AlertDescription.unexpected_message, false, false]);
    expect(client.connection.failure).toBe(e);
    // The alert, then the transport writable closed.
    expect([...(await peer.read()).value!]).toEqual([21, 3, 3, 0, 2, 2, AlertDescription.unexpected_message]);
    expect((await peer.read()).done).toBe(true);
    expect(p.c2s.closedByWriter).toBe(true);
    await failedWith(client, e, false);
    // Calls after the failure throw the connection's error, unchanged.
    expect(() => client.keyUpdate(KeyUpdateType.REQUESTED)).toThrow(e);
    expect(await rejection(client.doHandshake())).toBe(e);
    expect(await rejection(client.close())).toBe(e);
  });

  it('server: an HTTP request instead of a ClientHello → unexpected_message alert, typed error', async () => {
    const p = crossedPipes();
    const server = fromStreams(p.serverSide, { context: serverCtx(), role: 'server' });
    await p.c2s.inject(enc('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const e = (await rejection(server.handshake)) as TlsError;
    expect([e.code, e.alert]).toEqual(['ERR_TLS_UNEXPECTED_MESSAGE', AlertDescription.unexpected_message]);
    const peer = p.s2c.readable.getReader();
    expect([...(await peer.read()).value!]).toEqual([21, 3, 3, 0, 2, 2, AlertDescription.unexpected_message]);
    expect((await peer.read()).done).toBe(true);
    expect(p.s2c.written.length).toBe(1);
    expect(p.s2c.closedByWriter).toBe(true);
    await failedWith(server, e, false);
  });

  it('after the handshake: a forged record → bad_record_mac (encrypted alert); the peer fails with that alert received', async () => {
    const { client, server, s2c, c2s } = streamPair(chain);
    await Promise.all([client.handshake, server.handshake]);
    await settle();
    const before = c2s.written.length;
    await s2c.inject(new Uint8Array([23, 3, 3, 0, 20, ...new Uint8Array(20).fill(7)]));
    const e = (await rejection(client.closed)) as TlsError;
    expect([e.code, e.alert, e.remote]).toEqual(['ERR_TLS_BAD_RECORD_MAC', AlertDescription.bad_record_mac, false]);
    // One encrypted alert record: 2 bytes + content type + 16-byte tag.
    expect(c2s.written.slice(before).flatMap((w) => records(w).map((r) => [r.type, r.length]))).toEqual([[ContentTypes.application_data, 2 + 1 + 16]]);
    const theirs = (await rejection(server.closed)) as TlsError;
    expect([theirs.code, theirs.alert, theirs.remote]).toEqual(['ERR_TLS_ALERT_RECEIVED', AlertDescription.bad_record_mac, true]);
    expect(await rejection(server.readable.getReader().read())).toBe(theirs);
  });

  it('a fatal alert from the peer during the handshake: ERR_TLS_ALERT_RECEIVED, nothing sent back', async () => {
    const p = crossedPipes();
    const client = fromStreams(p.clientSide, { context: clientCtx(), serverName: 'localhost' });
    await p.c2s.readable.getReader().read(); // the ClientHello
    await p.s2c.inject(new Uint8Array([21, 3, 3, 0, 2, 2, AlertDescription.handshake_failure]));
    const e = (await rejection(client.handshake)) as TlsError;
    expect([e.code, e.alert, e.remote]).toEqual(['ERR_TLS_ALERT_RECEIVED', AlertDescription.handshake_failure, true]);
    expect(p.c2s.written.length).toBe(1);
  });
});

describe('fromStreams: truncation and transport failures', () => {
  it('EOF after the handshake without close_notify → ERR_TLS_UNEXPECTED_EOF; data before it was delivered', async () => {
    const { client, server, s2c, c2s } = streamPair(chain);
    await Promise.all([client.handshake, server.handshake]);
    const r = client.readable.getReader();
    await send(server, 'partial');
    expect(new TextDecoder().decode((await r.read()).value)).toBe('partial');
    const writesBefore = c2s.written.length;
    await s2c.cut();
    const e = (await rejection(r.read())) as TlsError;
    expect(e).toBeInstanceOf(TlsError);
    expect([e.code, e.remote]).toEqual(['ERR_TLS_UNEXPECTED_EOF', false]);
    expect(await rejection(client.closed)).toBe(e);
    expect(await rejection(client.writable.getWriter().write(enc('x')))).toBe(e);
    // No alert for a truncation: the transport writable is closed cleanly, nothing more written.
    await settle();
    expect(c2s.closedByWriter).toBe(true);
    expect(c2s.written.length).toBe(writesBefore);
    expect(() => client.keyUpdate(KeyUpdateType.REQUESTED)).toThrow(e);
  });

  it('EOF before the handshake completes → the handshake rejects with ERR_TLS_UNEXPECTED_EOF', async () => {
    const p = crossedPipes();
    const client = fromStreams(p.clientSide, { context: clientCtx(), serverName: 'localhost' });
    await p.c2s.readable.getReader().read();
    await p.s2c.cut();
    const e = (await rejection(client.handshake)) as TlsError;
    expect(e.code).toBe('ERR_TLS_UNEXPECTED_EOF');
    await failedWith(client, e, false);
  });

  it('close_notify before the handshake completes → ERR_TLS_UNEXPECTED_EOF everywhere', async () => {
    const p = crossedPipes();
    const client = fromStreams(p.clientSide, { context: clientCtx(), serverName: 'localhost' });
    await p.c2s.readable.getReader().read();
    await p.s2c.inject(new Uint8Array([21, 3, 3, 0, 2, 1, AlertDescription.close_notify]));
    const e = (await rejection(client.handshake)) as TlsError;
    expect([e.code, e.message]).toEqual(['ERR_TLS_UNEXPECTED_EOF', 'ERR_TLS_UNEXPECTED_EOF: close_notify before the handshake completed']);
    await failedWith(client, e, false);
  });

  it('EOF after the application cancelled readable is no error; close() then ends the stream cleanly', async () => {
    const { client, server, s2c } = streamPair(chain);
    await Promise.all([client.handshake, server.handshake]);
    await client.readable.cancel();
    await s2c.cut();
    await settle();
    await client.close();
    await client.closed;
  });

  it('a transport read error propagates as it is, and aborts the transport writable', async () => {
    const { client, server, s2c, c2s } = streamPair(chain);
    await Promise.all([client.handshake, server.handshake]);
    const boom = new Error('connection reset by the test');
    await s2c.break(boom);
    expect(await rejection(client.closed)).toBe(boom);
    expect(await rejection(client.readable.getReader().read())).toBe(boom);
    await settle();
    expect(c2s.aborted?.reason).toBe(boom);
  });

  it('a transport write error fails the handshake with it', async () => {
    const epipe = new Error('EPIPE');
    const client = fromStreams(
      { readable: new ReadableStream<Uint8Array>(), writable: new WritableStream<Uint8Array>({ write: () => Promise.reject(epipe) }) },
      { context: clientCtx(), serverName: 'localhost' },
    );
    expect(await rejection(client.handshake)).toBe(epipe);
    expect(await rejection(client.closed)).toBe(epipe);
  });

  it('a listener of the connection that throws ends the stream with its exception', async () => {
    const { client, server } = streamPair(chain);
    await Promise.all([client.handshake, server.handshake]);
    const oops = new Error('listener failed');
    client.connection.on('keyUpdate', () => {
      throw oops;
    });
    server.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    await server.doHandshake();
    expect(await rejection(client.closed)).toBe(oops);
    expect(client.connection.failure).toBe(null);
    expect(() => client.keyUpdate(KeyUpdateType.REQUESTED)).toThrow(expect.objectContaining({ code: 'ERR_TLS_CLOSED', cause: oops }));
  });
});

describe('fromStreams: destroy(), abort()', () => {
  it('destroy() during the handshake: ERR_TLS_CLOSED for the handshake and the streams, closed resolves, the transport is cancelled and aborted', async () => {
    const p = crossedPipes();
    const client = fromStreams(p.clientSide, { context: clientCtx(), serverName: 'localhost' });
    await p.c2s.readable.getReader().read(); // the ClientHello (a write in flight delays the transport's abort)
    client.destroy();
    const e = (await rejection(client.handshake)) as TlsError;
    expect([e.code, e.alert]).toEqual(['ERR_TLS_CLOSED', AlertDescription.close_notify]);
    await client.closed;
    expect(await rejection(client.readable.getReader().read())).toBe(e);
    await settle();
    expect(p.c2s.aborted).not.toBe(null);
    expect(p.s2c.cancelled).not.toBe(null);
    // Calls after destroy: typed errors.
    const after = [() => client.keyUpdate(KeyUpdateType.REQUESTED), () => client.renegotiate(), () => client.newSessionTicket(), () => client.setNumTickets(1), () => client.verifyClientPostHandshake()];
    for (const call of after) expect(call).toThrow(expect.objectContaining({ code: 'ERR_TLS_CLOSED' }));
    expect(((await rejection(client.doHandshake())) as TlsError).code).toBe('ERR_TLS_CLOSED');
    expect(((await rejection(client.close())) as TlsError).code).toBe('ERR_TLS_CLOSED');
    client.destroy(); // idempotent
  });

  it('destroy(reason) and writable.abort(reason): that reason everywhere, on the transport too', async () => {
    for (const how of ['destroy', 'abort'] as const) {
      const { client, server, c2s, s2c } = streamPair(chain);
      await Promise.all([client.handshake, server.handshake]);
      const reason = new Error(`${how} by the application`);
      if (how === 'destroy') client.destroy(reason);
      else await client.writable.abort(reason);
      expect(await rejection(client.closed)).toBe(reason);
      expect(await rejection(client.readable.getReader().read())).toBe(reason);
      await settle();
      expect(c2s.aborted?.reason).toBe(reason);
      expect(s2c.cancelled?.reason).toBe(reason);
    }
  });
});

describe('fromStreams: bad arguments', () => {
  const ok = (): FromStreamsOptions => ({ context: clientCtx(), serverName: 'localhost' });

  it('throws precise TypeErrors and leaves the transport unlocked', () => {
    const p = crossedPipes();
    const t = p.clientSide;
    const cases: [unknown, unknown, RegExp][] = [
      [null, ok(), /^fromStreams: transport must be an object/],
      ['socket', ok(), /^fromStreams: transport must be an object/],
      [{ writable: t.writable }, ok(), /^fromStreams: transport\.readable must be a ReadableStream$/],
      [{ readable: t.readable }, ok(), /^fromStreams: transport\.writable must be a WritableStream$/],
      [{ readable: {}, writable: t.writable }, ok(), /transport\.readable must be a ReadableStream/],
      [t, undefined, /^fromStreams: options must be an object/],
      [t, {}, /^fromStreams: options\.context must be a TlsContext/],
      [t, { context: {} }, /options\.context must be a TlsContext/],
      [t, { ...ok(), role: 'peer' }, /options\.role must be 'client' or 'server'/],
      [t, { ...ok(), serverName: '' }, /options\.serverName must be a non-empty string/],
      [t, { ...ok(), session: {} }, /options\.session must be a Session/],
      [t, { context: serverCtx(), role: 'server', serverName: 'x' }, /serverName and session are client options/],
      [t, { context: clientCtx(), role: 'server' }, /a server context needs a certificate/],
      [t, { connection: {} }, /options\.connection must be a Connection/],
      [t, { connection: new Connection(clientCtx(), 'client'), context: clientCtx() }, /options\.connection is already configured; context must be absent/],
      [t, { connection: new Connection(clientCtx(), 'client'), role: 'client', serverName: 'a' }, /role, serverName must be absent/],
    ];
    for (const [transport, options, message] of cases) {
      let err: unknown;
      try {
        fromStreams(transport as never, options as never);
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(message);
    }
    expect(() => fromStreams(t, { ...ok(), highWaterMark: -1 })).toThrow(RangeError);
    expect(t.readable.locked || t.writable.locked).toBe(false);
    t.readable.getReader().releaseLock();
    const w = t.writable.getWriter();
    expect(() => fromStreams(t, ok())).toThrow(/transport\.writable is locked/);
    w.releaseLock();
  });

  it('a chunk that is not a Uint8Array errors the writable with a TypeError', async () => {
    const { client, server } = streamPair(chain);
    await Promise.all([client.handshake, server.handshake]);
    const w = client.writable.getWriter();
    const err = await rejection(w.write('text' as never));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/each chunk must be a Uint8Array/);
    // The connection itself is fine: the server can still talk to it.
    await send(server, 'still fine');
    expect(await new TextReader(client.readable).until('fine')).toBe('still fine');
  });
});
