/**
 * spec/SSL_CTX_set_session_ticket_cb.pod, paragraph by paragraph: each test
 * name quotes the sentence it checks. Our API: TlsContext.setSessionTicketCallbacks
 * ({ generate, decrypt }) (no `arg`: closures carry state), Session.setTicketAppData /
 * getTicketAppData, TicketStatus, TicketReturn; TLS 1.3 unless the paragraph is about 1.2.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { TicketReturn, type TicketDecryptInfo } from '../../src/handshake/config.js';
import type { Session } from '../../src/session/session.js';
import { RotatingTicketCodec, TicketStatus } from '../../src/session/ticket-codec.js';
import type { Connection } from '../../src/ssl/connection.js';
import type { TlsContext } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { expectFatal12 } from '../tls12/support12.js';
import { clientCtx, connect, dec, enc, pumpExpectingError, serverCtx, setup } from './support13.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const R = TicketReturn;
const S = TicketStatus;

/** A server (own codec) and a ticket it issued. */
function issued(o: Parameters<typeof serverCtx>[1] = {}): { sctx: TlsContext; codec: RotatingTicketCodec; session: Session } {
  const codec = new RotatingTicketCodec();
  const sctx = serverCtx(chain, { ticketCodec: codec, ...o });
  return { sctx, codec, session: connect(sctx, clientCtx(chain)).sessions[0]! };
}

describe('DESCRIPTION', () => {
  it('"sets the application callbacks gen_cb and dec_cb that are used by a server to set and get application data stored with a session, and placed into a session ticket"', () => {
    const { sctx } = issued();
    sctx.setSessionTicketCallbacks({ generate: (s) => (s.setTicketAppData(enc('v=1')), true), decrypt: (i) => (i.session ? R.USE_RENEW : R.IGNORE_RENEW) });
    const first = connect(sctx, clientCtx(chain));
    const r = connect(sctx, clientCtx(chain), first.sessions[0]);
    expect(dec(r.server.session!.getTicketAppData())).toBe('v=1');
  });

  it('"Either callback function may be set to NULL": generate only, decrypt only, neither', () => {
    for (const cbs of [{ generate: () => true }, { decrypt: (i: TicketDecryptInfo) => (i.session ? R.USE : R.IGNORE_RENEW) }, {}]) {
      const { sctx } = issued();
      const session = connect(sctx, clientCtx(chain)).sessions[0]!;
      sctx.setSessionTicketCallbacks(cbs);
      expect(connect(sctx, clientCtx(chain), session).server.isSessionReused).toBe(true);
    }
  });

  it('"The value of arg is passed to the callbacks": in JavaScript a closure carries it', () => {
    const arg = { generated: 0, decrypted: 0 };
    const { sctx, session } = issued();
    sctx.setSessionTicketCallbacks({ generate: () => (arg.generated++, true), decrypt: () => (arg.decrypted++, R.USE_RENEW) });
    connect(sctx, clientCtx(chain), session);
    expect(arg).toEqual({ generated: 1, decrypted: 1 });
  });

  it('"gen_cb is the application defined callback invoked when a session ticket is about to be created": once per ticket, before it is made', () => {
    const { sctx } = issued();
    const order: string[] = [];
    sctx.setSessionTicketCallbacks({ generate: () => (order.push('generate'), true) });
    const r = setup(sctx, clientCtx(chain));
    r.server.on('newSession', () => order.push('ticket'));
    r.client.doHandshake();
    r.pump();
    // Events are delivered once the call that raised them returns: both generate calls come first.
    expect(order).toEqual(['generate', 'generate', 'ticket', 'ticket']);
    expect(r.sessions).toHaveLength(2);
  });

  it('"dec_cb is the application defined callback invoked after session ticket decryption has been attempted ... If ticket decryption was successful then the ss argument contains the session data ... The status argument is the result of the ticket decryption"', () => {
    const { sctx, session } = issued();
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), R.USE_RENEW) });
    connect(sctx, clientCtx(chain), session);
    expect(seen[0]!.status).toBe(S.SUCCESS);
    expect(seen[0]!.session?.secret).toEqual(session.secret);
    expect(seen[0]!.session?.cipherSuite).toBe(session.cipherSuite);
  });

  it('"The keyname and keyname_len arguments identify the key used to decrypt the session ticket"', () => {
    const { sctx, codec, session } = issued();
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), R.USE_RENEW) });
    connect(sctx, clientCtx(chain), session);
    expect(seen[0]!.keyName).toEqual(codec.keys()[0]!.name);
  });

  it('"SSL_SESSION_set1_ticket_appdata() ... can be called at any time before a session ticket is created to update the data placed into the session ticket"', () => {
    const { sctx } = issued();
    const r = connect(sctx, clientCtx(chain));
    r.server.session!.setTicketAppData(enc('late'));
    r.server.newSessionTicket();
    r.server.write(enc('x'));
    r.pump();
    expect(dec(sctx.ticketCodec!.open(r.sessions[2]!.ticket).session!.getTicketAppData())).toBe('late');
    expect(sctx.ticketCodec!.open(r.sessions[0]!.ticket).session!.getTicketAppData()).toBeNull();
  });

  it('"NULL will be assigned to data and 0 will be assigned to len if there is no session ticket application data": getTicketAppData() is null; "can be called any time after a session has been created"', () => {
    const { sctx, session } = issued();
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), R.USE_RENEW) });
    const r = connect(sctx, clientCtx(chain), session);
    expect(seen[0]!.session!.getTicketAppData()).toBeNull();
    expect(r.server.session!.getTicketAppData()).toBeNull();
    expect(session.getTicketAppData()).toBeNull();
  });
});

describe('NOTES', () => {
  it('"When the dec_cb callback is invoked, the SSL_SESSION ss has not yet been assigned to the SSL s": connection.session is not that session while decrypt runs', () => {
    const { sctx, session } = issued();
    let server: Connection | undefined;
    const during: (Session | undefined)[] = [];
    let offered: Session | undefined;
    sctx.setSessionTicketCallbacks({
      decrypt: (i) => {
        offered = i.session;
        during.push(server!.session);
        return R.USE_RENEW;
      },
    });
    const r = setup(sctx, clientCtx(chain), { session });
    server = r.server;
    r.client.doHandshake();
    r.pump();
    expect(during).toHaveLength(1);
    expect(during[0]).not.toBe(offered);
    expect(during[0]).toBeUndefined();
    expect(r.server.session).toBe(offered); // assigned once the ticket is used
  });

  it('"The callback must check the status value before performing any action, as it is called even if ticket decryption fails"', () => {
    const { sctx } = issued();
    const elsewhere = issued().session;
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), R.IGNORE_RENEW) });
    connect(sctx, clientCtx(chain), elsewhere);
    expect(seen.map((i) => i.status)).toEqual([S.NO_DECRYPT]);
  });

  it('"The keyname and keyname_len arguments to dec_cb may be used to identify the key that was used to encrypt the session ticket": after a rotation, the old key\'s name', () => {
    const { sctx, codec, session } = issued();
    const old = codec.keys()[0]!.name;
    codec.rotate();
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), R.USE_RENEW) });
    connect(sctx, clientCtx(chain), session);
    expect(seen[0]!.keyName).toEqual(old);
    expect(seen[0]!.keyName).not.toEqual(codec.keys()[0]!.name);
  });

  it('SSL_TICKET_EMPTY: "This only occurs in TLSv1.2 or below. In TLSv1.3 it is not valid for a client to send an empty ticket" (TLS 1.2 sees EMPTY; TLS 1.3 never)', () => {
    const statuses: number[] = [];
    const sctx = serverCtx(chain);
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (statuses.push(i.status), i.session ? R.USE_RENEW : R.IGNORE_RENEW) });
    const s13 = connect(sctx, clientCtx(chain)).sessions[0]!;
    connect(sctx, clientCtx(chain), s13);
    expect(statuses).toEqual([S.SUCCESS]);
    connect(sctx, clientCtx(chain, { minVersion: ProtocolVersion.TLSv1_2, maxVersion: ProtocolVersion.TLSv1_2 }));
    expect(statuses).toEqual([S.SUCCESS, S.EMPTY]);
  });

  it('SSL_TICKET_NO_DECRYPT: "No ticket data will be used and a new ticket should be sent to the client" (by default: a full handshake, numTickets)', () => {
    const { sctx } = issued();
    const r = connect(sctx, clientCtx(chain), issued().session);
    expect(r.server.isSessionReused).toBe(false);
    expect(r.sessions).toHaveLength(2);
  });

  it('SSL_TICKET_SUCCESS: "A new ticket should not be sent to the client": USE does that; without a callback TLS 1.3 still renews (OpenSSL\'s own keys answer SUCCESS_RENEW at 1.3)', () => {
    const { sctx, session } = issued();
    expect(connect(sctx, clientCtx(chain), session).sessions).toHaveLength(1);
    sctx.setSessionTicketCallbacks({ decrypt: () => R.USE });
    expect(connect(sctx, clientCtx(chain), session).sessions).toHaveLength(0);
  });

  it('SSL_TICKET_SUCCESS_RENEW: "Same as SSL_TICKET_SUCCESS, but a new ticket should be sent to the client"', () => {
    const { sctx, codec, session } = issued();
    codec.rotate();
    const r = connect(sctx, clientCtx(chain), session);
    expect(r.server.isSessionReused).toBe(true);
    expect(r.sessions).toHaveLength(1);
  });

  it('SSL_TICKET_RETURN_ABORT: "The handshake should be aborted ... just because one ticket is unacceptable it does not mean that all of them are. For this reason this option should be used with caution"', () => {
    const { sctx, session } = issued();
    sctx.setSessionTicketCallbacks({ decrypt: () => R.ABORT });
    abortsOnHello(sctx, session); // a good ticket, aborted all the same
  });

  it('SSL_TICKET_RETURN_IGNORE: "Do not use a ticket (if one was available). Do not send a renewed ticket to the client" (TLS 1.3, as OpenSSL: no ticket even after the full handshake)', () => {
    const { sctx, session } = issued();
    sctx.setSessionTicketCallbacks({ decrypt: () => R.IGNORE });
    const r = connect(sctx, clientCtx(chain), session);
    expect([r.server.isSessionReused, r.sessions.length]).toEqual([false, 0]);
  });

  it('SSL_TICKET_RETURN_IGNORE_RENEW: "Send a renewed ticket to the client. If the callback does not wish to change the default ticket behaviour then it should return this value if status is SSL_TICKET_EMPTY or SSL_TICKET_NO_DECRYPT"', () => {
    const { sctx, session } = issued();
    sctx.setSessionTicketCallbacks({ decrypt: () => R.IGNORE_RENEW });
    const r = connect(sctx, clientCtx(chain), session);
    expect([r.server.isSessionReused, r.sessions.length]).toEqual([false, 2]);
    const foreign = issued().session;
    const withCb = connect(sctx, clientCtx(chain), foreign);
    sctx.setSessionTicketCallbacks({});
    const without = connect(sctx, clientCtx(chain), foreign);
    expect([withCb.server.isSessionReused, withCb.sessions.length]).toEqual([without.server.isSessionReused, without.sessions.length]);
  });

  it('SSL_TICKET_RETURN_USE: "Use the ticket. Do not send a renewed ticket to the client. It is an error for the callback to return this value if status has a value other than SSL_TICKET_SUCCESS or SSL_TICKET_SUCCESS_RENEW"', () => {
    const { sctx, session } = issued();
    sctx.setSessionTicketCallbacks({ decrypt: () => R.USE });
    const r = connect(sctx, clientCtx(chain), session);
    expect([r.server.isSessionReused, r.sessions.length]).toEqual([true, 0]);
    abortsOnHello(sctx, issued().session); // NO_DECRYPT + USE
  });

  it('SSL_TICKET_RETURN_USE_RENEW: "Use the ticket. Send a renewed ticket to the client ... it should return this value if status is SSL_TICKET_SUCCESS_RENEW" (the same as no callback)', () => {
    const { sctx, codec, session } = issued();
    codec.rotate();
    const without = connect(sctx, clientCtx(chain), session);
    sctx.setSessionTicketCallbacks({ decrypt: () => R.USE_RENEW });
    const r = connect(sctx, clientCtx(chain), session);
    expect([r.server.isSessionReused, r.sessions.length]).toEqual([true, 1]);
    expect([without.server.isSessionReused, without.sessions.length]).toEqual([true, 1]);
    abortsOnHello(sctx, issued().session); // NO_DECRYPT + USE_RENEW
  });

  it('"If status has the value SSL_TICKET_EMPTY or SSL_TICKET_NO_DECRYPT then no session data will be available ... If ... SUCCESS or SUCCESS_RENEW then the application can call SSL_SESSION_get0_ticket_appdata()"', () => {
    const { sctx } = issued();
    sctx.setSessionTicketCallbacks({ generate: (s) => (s.setTicketAppData(enc('d')), true) });
    const withData = connect(sctx, clientCtx(chain)).sessions[0]!;
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), i.session ? R.USE : R.IGNORE_RENEW) });
    connect(sctx, clientCtx(chain), withData);
    connect(sctx, clientCtx(chain), issued().session);
    expect(dec(seen[0]!.session!.getTicketAppData())).toBe('d');
    expect(seen[1]!.session).toBeUndefined();
  });

  it('"When the gen_cb callback is invoked, the SSL_get_session() function can be used to retrieve the SSL_SESSION for SSL_SESSION_set1_ticket_appdata()"', () => {
    const { sctx } = issued();
    let server: Connection | undefined;
    const same: boolean[] = [];
    sctx.setSessionTicketCallbacks({ generate: (s) => (same.push(server!.session === s), true) });
    const r = setup(sctx, clientCtx(chain));
    server = r.server;
    r.client.doHandshake();
    r.pump();
    expect(same).toEqual([true, true]);
  });

  it('"By default, in TLSv1.2 and below, a new session ticket is not issued on a successful resumption and therefore gen_cb will not be called. In TLSv1.3 the default behaviour is to always issue a new ticket on resumption"', () => {
    const sctx = serverCtx(chain);
    let calls = 0;
    sctx.setSessionTicketCallbacks({ generate: () => (calls++, true) });
    const c12 = clientCtx(chain, { minVersion: ProtocolVersion.TLSv1_2, maxVersion: ProtocolVersion.TLSv1_2 });
    const s12 = connect(sctx, c12).sessions[0]!;
    calls = 0;
    expect(connect(sctx, c12, s12).server.isSessionReused).toBe(true);
    expect(calls).toBe(0);
    const s13 = connect(sctx, clientCtx(chain)).sessions[0]!;
    calls = 0;
    expect(connect(sctx, clientCtx(chain), s13).server.isSessionReused).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('RETURN VALUES', () => {
  it('"SSL_CTX_set_session_ticket_cb(), SSL_SESSION_set1_ticket_appdata() and SSL_SESSION_get0_ticket_appdata() functions return 1 on success and 0 on failure": setSessionTicketCallbacks returns true and throws TypeError instead of 0; setTicketAppData returns true or throws TypeError; getTicketAppData gives the bytes or null', () => {
    const sctx = serverCtx(chain);
    expect(sctx.setSessionTicketCallbacks({})).toBe(true);
    expect(() => sctx.setSessionTicketCallbacks(null as unknown as object)).toThrow(TypeError);
    expect(() => sctx.setSessionTicketCallbacks({ generate: 1 as unknown as () => boolean })).toThrow(TypeError);
    expect(() => sctx.setSessionTicketCallbacks({ decrypt: 'x' as unknown as () => 0 })).toThrow(TypeError);
    const s = issued().session;
    expect(() => s.setTicketAppData('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(s.setTicketAppData(enc('ok'))).toBe(true);
    expect(dec(s.getTicketAppData())).toBe('ok');
    s.setTicketAppData(null);
    expect(s.getTicketAppData()).toBeNull();
  });

  it('"The gen_cb callback must return 1 to continue the connection. A return of 0 will terminate the connection with an INTERNAL_ERROR alert"', () => {
    const sctx = serverCtx(chain);
    sctx.setSessionTicketCallbacks({ generate: () => false });
    const r = setup(sctx, clientCtx(chain));
    r.client.doHandshake();
    const { side, error } = pumpExpectingError(r);
    expect([side, error.code, error.alert, error.bug]).toEqual(['server', 'ERR_TLS_INTERNAL', AlertDescription.internal_error, false]);
    const perr = (() => {
      try {
        r.client.receive(r.server.takeOutgoing()!);
      } catch (e) {
        return e as { code: string; alert: number };
      }
      return undefined;
    })();
    expect([perr?.code, perr?.alert]).toEqual(['ERR_TLS_ALERT_RECEIVED', AlertDescription.internal_error]);
  });

  it('"The dec_cb callback must return a value as described in NOTES above": another value, or a throw, is internal_error', () => {
    for (const decrypt of [() => 9 as unknown as TicketReturn, (): TicketReturn => { throw new Error('no'); }]) {
      const { sctx, session } = issued();
      sctx.setSessionTicketCallbacks({ decrypt });
      abortsOnHello(sctx, session);
    }
  });
});

/** The server fails on the ClientHello with internal_error, which the client receives. */
function abortsOnHello(sctx: TlsContext, session: Session): void {
  const r = setup(sctx, clientCtx(chain), { session });
  r.client.doHandshake();
  const hello = r.client.takeOutgoing()!;
  expectFatal12(r.server, () => r.server.receive(hello), 'ERR_TLS_INTERNAL', AlertDescription.internal_error, { conn: r.client });
}
