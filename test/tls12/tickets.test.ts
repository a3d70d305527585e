/**
 * RFC 5077 session tickets in TLS 1.2, on by default on both sides (as in
 * OpenSSL): the client's session_ticket extension (empty, or the ticket of the
 * session it offers with a fresh session ID, §3.4), the server's empty
 * session_ticket in its ServerHello and its NewSessionTicket right before its
 * ChangeCipherSpec (§3.3), resumption by ticket, renewal (OpenSSL's TLS 1.2
 * default: a good ticket is not renewed; SUCCESS_RENEW is), the session ticket
 * callbacks (SSL_CTX_set_session_ticket_cb) with their statuses and return
 * values, app data, turning tickets off (ticketCodec: null on a server,
 * sessionTickets: false on either end), and what a client refuses.
 *
 * Every handshake goes through a Mitm12 that decodes the hellos and the
 * NewSessionTicket (also when protected) and logs the wire in order.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/common/bytes.js';
import { CipherSuite, ExtensionType, HandshakeType } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { TicketReturn, type TicketDecryptInfo } from '../../src/handshake/config.js';
import { findExtension, makeExtension } from '../../src/messages/extensions.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ClientHello, ServerHello } from '../../src/messages/hello.js';
import { SessionTicketExt } from '../../src/messages/index.js';
import { NewSessionTicket12 } from '../../src/messages/messages12.js';
import { Session } from '../../src/session/session.js';
import { RotatingTicketCodec, TicketStatus } from '../../src/session/ticket-codec.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, drive, serverCert, verifierFor } from '../helpers/pair.js';
import { clocked, dec, editServerHello, enc, expectFatal12, Mitm12, TLS12, watch, wireLogged, without, type WireLog } from './support12.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const serverCtx = (o: TlsContextOptions = {}): TlsContext => new TlsContext({ certificate: serverCert(chain), ...o });
const clientCtx = (o: TlsContextOptions = {}): TlsContext => new TlsContext({ verifier: verifierFor(chain), maxVersion: TLS12, ...o });

const A = AlertDescription;
const H = HandshakeType;
const EMPTY = new Uint8Array(0);

/** A connection's handshake as the middle saw it: the hellos and NewSessionTickets decoded, the wire in order. */
interface Run {
  client: Connection;
  server: Connection;
  cw: ReturnType<typeof watch>;
  sw: ReturnType<typeof watch>;
  m: Mitm12;
  wire: WireLog;
  hellos: ClientHello[];
  serverHellos: ServerHello[];
  tickets: NewSessionTicket12[];
}

/** A client and a server connection through a Mitm12 (not yet started); `rewrite` may change handshake messages. */
function setup(server: TlsContext, client: TlsContext, session?: Session, serverName = 'localhost', rewrite?: (dir: 'c2s' | 's2c', raw: Uint8Array) => Uint8Array, fixFinished = false): Run {
  const c = new Connection(client, 'client', { serverName, ...(session ? { session } : {}) });
  const s = new Connection(server, 'server');
  const cw = watch(c);
  const sw = watch(s);
  const hellos: ClientHello[] = [];
  const serverHellos: ServerHello[] = [];
  const tickets: NewSessionTicket12[] = [];
  const { log, hooks } = wireLogged((dir, raw) => {
    if (raw[0] === H.client_hello) hellos.push(ClientHello.decode(raw.subarray(4)));
    if (raw[0] === H.server_hello) serverHellos.push(ServerHello.decode(raw.subarray(4)));
    if (raw[0] === H.new_session_ticket) tickets.push(NewSessionTicket12.decode(raw.subarray(4)));
    return rewrite ? rewrite(dir, raw) : raw;
  });
  const m = new Mitm12(c, s, { ...hooks, fixFinished });
  return { client: c, server: s, cw, sw, m, wire: log, hellos, serverHellos, tickets };
}

/** A whole handshake (see setup). */
function connect(server: TlsContext, client: TlsContext, session?: Session, serverName = 'localhost'): Run {
  const r = setup(server, client, session, serverName);
  r.client.doHandshake();
  r.m.drive();
  expect(r.client.handshakeComplete && r.server.handshakeComplete, `client ${r.client.stateName}, server ${r.server.stateName}`).toBe(true);
  return r;
}

const ticketExt = (exts: ClientHello['extensions']): Uint8Array | undefined => findExtension(exts, SessionTicketExt);
const promises = (sh: ServerHello): boolean => sh.extensions.some((e) => e.type === ExtensionType.session_ticket);

const FULL_S2C = ['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done'];
const FULL_C2S = ['client_hello', 'client_key_exchange', 'CCS', 'finished'];

/** A status-recording decrypt callback that decides as the default does (OpenSSL's TLS 1.2 defaults). */
function recordingDefault(seen: TicketDecryptInfo[]): (info: TicketDecryptInfo) => TicketReturn {
  return (info) => {
    seen.push(info);
    if (info.status === TicketStatus.SUCCESS) return TicketReturn.USE;
    return info.status === TicketStatus.SUCCESS_RENEW ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW;
  };
}

/** Full handshake with a ticket, then a resumption by it: the usual pair of connections. */
function firstTicket(sctx: TlsContext, cctx: TlsContext = clientCtx()): { first: Run; session: Session } {
  const first = connect(sctx, cctx);
  expect(first.cw.sessions).toHaveLength(1);
  return { first, session: first.cw.sessions[0]! };
}

describe('a full handshake issues a ticket', () => {
  it('the ClientHello asks with an empty session_ticket; the ServerHello promises one; the NewSessionTicket goes right before the server\'s ChangeCipherSpec', () => {
    const r = connect(serverCtx(), clientCtx());
    expect(ticketExt(r.hellos[0]!.extensions)).toEqual(EMPTY);
    expect(r.hellos[0]!.legacySessionId).toHaveLength(0); // a TLS 1.2-only client offering nothing sends no session ID
    const sh = r.serverHellos[0]!;
    // RFC 5077 §3.2: a zero-length session_ticket in the ServerHello.
    expect(sh.extensions.find((e) => e.type === ExtensionType.session_ticket)?.data).toEqual(EMPTY);
    // On the wire: [client Finished] → NewSessionTicket, ChangeCipherSpec, Finished (RFC 5077 §3.3 figure 1).
    expect(r.wire.s2c).toEqual([...FULL_S2C, 'new_session_ticket', 'CCS', 'finished']);
    expect(r.wire.c2s).toEqual(FULL_C2S);
    expect(r.sw.sent).toEqual([H.server_hello, H.certificate, H.server_key_exchange, H.server_hello_done, H.new_session_ticket, H.finished]);
    expect(r.cw.received).toEqual(r.sw.sent);
    expect(r.tickets).toHaveLength(1);
    expect(r.tickets[0]!.lifetimeHint).toBe(7200); // ticketLifetimeSeconds' default
    expect(r.tickets[0]!.ticket.length).toBeGreaterThan(0);
  });

  it("the client's one 'session' event holds the ticket, the lifetime hint, the master secret; a server issuing a ticket assigns no session ID (as OpenSSL)", () => {
    const sctx = serverCtx({ alpnProtocols: ['h2'] });
    const r = connect(sctx, clientCtx({ alpnProtocols: ['h2'] }));
    expect(r.cw.sessions).toHaveLength(1);
    const s = r.cw.sessions[0]!;
    expect(s.version).toBe(TLS12);
    expect(s.cipherSuite).toBe(r.client.cipherSuite?.id);
    expect(s.ticket).toEqual(r.tickets[0]!.ticket);
    expect(s.lifetimeSeconds).toBe(7200);
    expect(s.extendedMasterSecret).toBe(true);
    expect(s.serverName).toBe('localhost');
    expect(s.alpn).toBe('h2');
    expect(s.peerCertificates).toEqual(serverCert(chain).chain);
    expect(r.cw.keylog[0]!.split(' ')[2]).toBe(toHex(s.secret));
    // The session the ticket carries needs no ID: the ServerHello's is empty, and so is the Session's.
    expect(r.serverHellos[0]!.legacySessionIdEcho).toHaveLength(0);
    expect(s.sessionId).toHaveLength(0);
    // The ticket opens, with the server's codec, to the same session.
    const opened = sctx.ticketCodec!.open(s.ticket);
    expect(opened.status).toBe(TicketStatus.SUCCESS);
    expect(opened.session?.secret).toEqual(s.secret);
    expect(opened.session?.serverName).toBe('localhost');
    // Servers raise no 'session' event; the server's connection session is the one sealed.
    expect(r.sw.sessions).toHaveLength(0);
    expect(r.server.session?.secret).toEqual(s.secret);
  });

  it('ticketLifetimeSeconds is the lifetime hint; the client stops offering the ticket after it (its own clock)', () => {
    const clock = clocked();
    const sctx = serverCtx({ ticketLifetimeSeconds: 600 });
    const cctx = clientCtx({ provider: clock.provider });
    const { first, session } = firstTicket(sctx, cctx);
    expect(first.tickets[0]!.lifetimeHint).toBe(600);
    expect(session.lifetimeSeconds).toBe(600);
    clock.advance(599_000);
    const again = connect(sctx, cctx, session);
    expect(again.client.isSessionReused).toBe(true);
    clock.advance(1_000);
    const late = connect(sctx, cctx, session);
    expect(ticketExt(late.hellos[0]!.extensions)).toEqual(EMPTY);
    expect(late.client.isSessionReused).toBe(false);
    expect(late.cw.sessions).toHaveLength(1);
  });

  it('a lifetime hint of 0 ("unspecified", RFC 5077 §3.3) gives the client its default of 7200 s', () => {
    const r = setup(serverCtx(), clientCtx(), undefined, 'localhost', (dir, raw) => {
      if (raw[0] !== H.new_session_ticket) return raw;
      return encodeHandshake(new NewSessionTicket12(0, NewSessionTicket12.decode(raw.subarray(4)).ticket));
    }, true);
    r.client.doHandshake();
    r.m.drive();
    expect(r.client.handshakeComplete).toBe(true);
    expect(r.cw.sessions[0]!.lifetimeSeconds).toBe(7200);
  });
});

describe('resumption by ticket', () => {
  it('the ClientHello carries the ticket and a fresh 32-byte session ID, which the server echoes; abbreviated: no Certificate, no key exchange, isSessionReused on both ends', () => {
    const sctx = serverCtx();
    const cctx = clientCtx();
    const { first, session } = firstTicket(sctx, cctx);
    const r = connect(sctx, cctx, session);
    const ch = r.hellos[0]!;
    expect(ticketExt(ch.extensions)).toEqual(session.ticket);
    expect(ch.legacySessionId).toHaveLength(32);
    expect(r.serverHellos[0]!.legacySessionIdEcho).toEqual(ch.legacySessionId);
    expect(r.client.isSessionReused).toBe(true);
    expect(r.server.isSessionReused).toBe(true);
    // SUCCESS: USE, OpenSSL's TLS 1.2 default: no new ticket, so no session_ticket in the ServerHello and no 'session' event.
    expect(promises(r.serverHellos[0]!)).toBe(false);
    expect(r.wire.s2c).toEqual(['server_hello', 'CCS', 'finished']);
    expect(r.wire.c2s).toEqual(['client_hello', 'CCS', 'finished']);
    expect(r.cw.sent).not.toContain(H.certificate);
    expect(r.sw.sent).not.toContain(H.certificate);
    expect(r.cw.sessions).toHaveLength(0);
    // Same master secret, new randoms.
    expect(r.cw.keylog[0]!.split(' ')[2]).toBe(toHex(session.secret));
    expect(r.sw.keylog).toEqual(r.cw.keylog);
    expect(r.cw.keylog[0]!.split(' ')[1]).not.toBe(first.cw.keylog[0]!.split(' ')[1]);
    expect(r.client.peerCertificates).toEqual(session.peerCertificates);
    expect(r.server.session?.secret).toEqual(session.secret);
    expect(r.client.exportKeyingMaterial(32, 'EXPORTER-t')).toEqual(r.server.exportKeyingMaterial(32, 'EXPORTER-t'));
    r.client.write(enc('by ticket'));
    r.m.drive();
    expect(dec(r.server.read())).toBe('by ticket');
    // Not renewed, and still good: it resumes again.
    expect(connect(sctx, cctx, session).server.isSessionReused).toBe(true);
  });

  it('a ticket-only server (sessionStore: null) resumes by ticket; the session-ID cache plays no part', () => {
    const sctx = serverCtx({ sessionStore: null });
    const { session } = firstTicket(sctx);
    expect(connect(sctx, clientCtx(), session).server.isSessionReused).toBe(true);
  });

  it('a server sharing the ticket codec (another context, a fleet) resumes the ticket', () => {
    const codec = new RotatingTicketCodec();
    const { session } = firstTicket(serverCtx({ ticketCodec: codec }));
    const r = connect(serverCtx({ ticketCodec: codec, sessionStore: null }), clientCtx(), session);
    expect(r.server.isSessionReused).toBe(true);
  });

  it('a Session round-tripped through toBytes / fromBytes keeps its ticket and resumes', () => {
    const sctx = serverCtx();
    const { session } = firstTicket(sctx);
    const back = Session.fromBytes(session.toBytes());
    expect(back.ticket).toEqual(session.ticket);
    expect(connect(sctx, clientCtx(), back).server.isSessionReused).toBe(true);
  });

  it('a resumed session keeps its suite when the server now prefers another', () => {
    const codec = new RotatingTicketCodec();
    const both = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    // The first server follows the client's order ('order': not the default choice of the fastest AEAD): a ticket in both[0] ...
    const { session } = firstTicket(serverCtx({ ticketCodec: codec, aeadPreference: 'order' }), clientCtx({ cipherSuites: both }));
    expect(session.cipherSuite).toBe(both[0]);
    // ... and the second now prefers both[1] (its own order first).
    const r = connect(
      serverCtx({ ticketCodec: codec, cipherSuites: [both[1]!, both[0]!], honorCipherOrder: true, aeadPreference: 'order' }),
      clientCtx({ cipherSuites: both }),
      session,
    );
    expect(r.server.isSessionReused).toBe(true);
    expect(r.server.cipherSuite?.id).toBe(both[0]);
  });
});

describe('renewal (OpenSSL: a TLS 1.2 ticket is renewed on SUCCESS_RENEW only)', () => {
  it('after a key rotation the old ticket opens with SUCCESS_RENEW: resumed, and a new ticket in ServerHello, NewSessionTicket, ChangeCipherSpec, Finished; the client\'s new \'session\'', () => {
    const codec = new RotatingTicketCodec();
    const sctx = serverCtx({ ticketCodec: codec });
    const cctx = clientCtx();
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recordingDefault(seen) });
    const { session } = firstTicket(sctx, cctx);
    codec.rotate();
    const r = connect(sctx, cctx, session);
    expect(seen.map((i) => i.status)).toEqual([TicketStatus.EMPTY, TicketStatus.SUCCESS_RENEW]);
    expect(r.client.isSessionReused).toBe(true);
    expect(r.server.isSessionReused).toBe(true);
    expect(promises(r.serverHellos[0]!)).toBe(true);
    // RFC 5077 §3.1 figure 2: ServerHello, NewSessionTicket, ChangeCipherSpec, Finished.
    expect(r.wire.s2c).toEqual(['server_hello', 'new_session_ticket', 'CCS', 'finished']);
    expect(r.wire.c2s).toEqual(['client_hello', 'CCS', 'finished']);
    expect(r.sw.sent).toEqual([H.server_hello, H.new_session_ticket, H.finished]);
    // The renewed session: the same master secret and identity, the new ticket (sealed under the new key).
    expect(r.cw.sessions).toHaveLength(1);
    const renewed = r.cw.sessions[0]!;
    expect(renewed.ticket).toEqual(r.tickets[0]!.ticket);
    expect(renewed.ticket).not.toEqual(session.ticket);
    expect(renewed.secret).toEqual(session.secret);
    expect(renewed.cipherSuite).toBe(session.cipherSuite);
    expect(renewed.peerCertificates).toEqual(session.peerCertificates);
    expect(renewed.lifetimeSeconds).toBe(7200);
    expect(codec.open(renewed.ticket).status).toBe(TicketStatus.SUCCESS);
    // getSession() on the client: the renewed one.
    expect(r.client.session).toBe(renewed);
    // It resumes, and being SUCCESS now it is not renewed again.
    const next = connect(sctx, cctx, renewed);
    expect(next.client.isSessionReused).toBe(true);
    expect(next.cw.sessions).toHaveLength(0);
    expect(seen.at(-1)?.status).toBe(TicketStatus.SUCCESS);
  });

  it('a decrypt callback answering USE_RENEW to SUCCESS renews without a rotation', () => {
    const sctx = serverCtx();
    const { session } = firstTicket(sctx);
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (i.status === TicketStatus.SUCCESS ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW) });
    const r = connect(sctx, clientCtx(), session);
    expect(r.server.isSessionReused).toBe(true);
    expect(r.wire.s2c).toEqual(['server_hello', 'new_session_ticket', 'CCS', 'finished']);
    expect(r.cw.sessions).toHaveLength(1);
  });

  it('a decrypt callback answering USE to SUCCESS_RENEW does not renew', () => {
    const codec = new RotatingTicketCodec();
    const sctx = serverCtx({ ticketCodec: codec });
    const { session } = firstTicket(sctx);
    codec.rotate();
    const seen: TicketStatus[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i.status), i.session ? TicketReturn.USE : TicketReturn.IGNORE) });
    const r = connect(sctx, clientCtx(), session);
    expect(seen).toEqual([TicketStatus.SUCCESS_RENEW]);
    expect(r.server.isSessionReused).toBe(true);
    expect(r.wire.s2c).toEqual(['server_hello', 'CCS', 'finished']);
    expect(r.cw.sessions).toHaveLength(0);
  });
});

describe('the decrypt callback (SSL_CTX_set_session_ticket_cb) in TLS 1.2', () => {
  it('statuses: EMPTY for the empty extension (no session, no key name), SUCCESS with the session and its key name, NO_DECRYPT for a ticket of another server', () => {
    const codec = new RotatingTicketCodec();
    const sctx = serverCtx({ ticketCodec: codec });
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recordingDefault(seen) });
    const { session } = firstTicket(sctx);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({ status: TicketStatus.EMPTY, session: undefined, keyName: undefined });
    connect(sctx, clientCtx(), session);
    expect(seen[1]!.status).toBe(TicketStatus.SUCCESS);
    expect(seen[1]!.session?.secret).toEqual(session.secret);
    expect(seen[1]!.keyName).toEqual(codec.keys()[0]!.name);
    const elsewhere = firstTicket(serverCtx()).session;
    const r = connect(sctx, clientCtx(), elsewhere);
    expect(seen[2]!.status).toBe(TicketStatus.NO_DECRYPT);
    expect(seen[2]!.session).toBeUndefined();
    expect(r.server.isSessionReused).toBe(false);
  });

  it('not called without the extension (a client with sessionTickets: false) nor by a server with ticketCodec: null', () => {
    const calls: TicketStatus[] = [];
    const sctx = serverCtx();
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (calls.push(i.status), TicketReturn.IGNORE_RENEW) });
    connect(sctx, clientCtx({ sessionTickets: false }));
    const off = serverCtx({ ticketCodec: null });
    off.setSessionTicketCallbacks({ decrypt: (i) => (calls.push(i.status), TicketReturn.IGNORE_RENEW) });
    connect(off, clientCtx());
    expect(calls).toEqual([]);
  });

  describe('its return value', () => {
    it('USE on SUCCESS: resumed, no new ticket', () => {
      const sctx = serverCtx();
      const { session } = firstTicket(sctx);
      sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.USE });
      const r = connect(sctx, clientCtx(), session);
      expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
      expect(r.tickets).toHaveLength(0);
    });

    it('USE_RENEW on SUCCESS: resumed, a new ticket', () => {
      const sctx = serverCtx();
      const { session } = firstTicket(sctx);
      sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.USE_RENEW });
      const r = connect(sctx, clientCtx(), session);
      expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
      expect(r.tickets).toHaveLength(1);
    });

    it('IGNORE on SUCCESS: a full handshake without a ticket (the server then gives a session ID for its cache)', () => {
      const sctx = serverCtx();
      const { session } = firstTicket(sctx);
      sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.IGNORE });
      const r = connect(sctx, clientCtx(), session);
      expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([false, false]);
      expect(promises(r.serverHellos[0]!)).toBe(false);
      expect(r.wire.s2c).toEqual([...FULL_S2C, 'CCS', 'finished']);
      expect(r.cw.sessions).toHaveLength(1);
      expect(r.cw.sessions[0]!.ticket).toHaveLength(0);
      expect(r.cw.sessions[0]!.sessionId).toHaveLength(32);
    });

    it('IGNORE on EMPTY: no ticket is issued', () => {
      const sctx = serverCtx();
      sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.IGNORE });
      const r = connect(sctx, clientCtx());
      expect(promises(r.serverHellos[0]!)).toBe(false);
      expect(r.tickets).toHaveLength(0);
    });

    it('IGNORE_RENEW on SUCCESS: a full handshake with a new ticket', () => {
      const sctx = serverCtx();
      const { session } = firstTicket(sctx);
      sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.IGNORE_RENEW });
      const r = connect(sctx, clientCtx(), session);
      expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([false, false]);
      expect(r.wire.s2c).toEqual([...FULL_S2C, 'new_session_ticket', 'CCS', 'finished']);
      expect(r.cw.sessions[0]!.ticket).toEqual(r.tickets[0]!.ticket);
      expect(r.cw.sessions[0]!.ticket).not.toEqual(session.ticket);
    });

    /** The server fails on the ClientHello with internal_error, which the client receives. */
    function failsOnHello(sctx: TlsContext, session?: Session): void {
      const r = setup(sctx, clientCtx(), session);
      r.client.doHandshake();
      const hello = r.client.takeOutgoing()!;
      expectFatal12(r.server, () => r.server.receive(hello), 'ERR_TLS_INTERNAL', A.internal_error, { conn: r.client });
    }

    it('ABORT: internal_error (for EMPTY as for SUCCESS)', () => {
      const sctx = serverCtx();
      const { session } = firstTicket(sctx);
      sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.ABORT });
      failsOnHello(sctx, session);
      failsOnHello(sctx);
    });

    it('USE or USE_RENEW for a status other than SUCCESS / SUCCESS_RENEW: internal_error ("It is an error for the callback to return this value")', () => {
      for (const ret of [TicketReturn.USE, TicketReturn.USE_RENEW]) {
        const sctx = serverCtx();
        sctx.setSessionTicketCallbacks({ decrypt: () => ret });
        failsOnHello(sctx); // EMPTY
        failsOnHello(sctx, firstTicket(serverCtx()).session); // NO_DECRYPT
      }
    });

    it('a value that is no TicketReturn, or a callback that throws: internal_error', () => {
      const unknown = serverCtx();
      unknown.setSessionTicketCallbacks({ decrypt: () => 7 as number as TicketReturn });
      failsOnHello(unknown);
      const throwing = serverCtx();
      throwing.setSessionTicketCallbacks({
        decrypt: () => {
          throw new Error('no');
        },
      });
      failsOnHello(throwing);
    });
  });
});

describe('the generate callback and ticket app data', () => {
  it('app data set in generate is sealed in the ticket, read in decrypt, on the resumed server\'s session, and carried into a renewed ticket', () => {
    const sctx = serverCtx();
    const generated: Session[] = [];
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({
      generate: (s) => {
        generated.push(s);
        if (s.getTicketAppData() === null) s.setTicketAppData(enc('user=42'));
        return true;
      },
      decrypt: (info) => (seen.push(info), info.session ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW),
    });
    const { first, session } = firstTicket(sctx);
    // generate saw the connection's session (SSL_get_session), before the ticket was sealed.
    expect(generated).toHaveLength(1);
    expect(generated[0]).toBe(first.server.session);
    expect(dec(first.server.session!.getTicketAppData())).toBe('user=42');
    // The client never sees app data: it is inside the ticket.
    expect(session.getTicketAppData()).toBeNull();
    const r = connect(sctx, clientCtx(), session);
    expect(r.server.isSessionReused).toBe(true);
    expect(dec(seen[1]!.session!.getTicketAppData())).toBe('user=42');
    expect(dec(r.server.session!.getTicketAppData())).toBe('user=42');
    // USE_RENEW: generate runs again, on the resumed session, and the new ticket keeps the data.
    expect(generated).toHaveLength(2);
    expect(generated[1]).toBe(r.server.session);
    const renewed = r.cw.sessions[0]!;
    expect(dec(sctx.ticketCodec!.open(renewed.ticket).session!.getTicketAppData())).toBe('user=42');
  });

  it('generate returning false: internal_error, in a full handshake (at the client\'s Finished) and in a renewing resumption (at the ClientHello)', () => {
    const sctx = serverCtx();
    const { session } = firstTicket(sctx);
    sctx.setSessionTicketCallbacks({ generate: () => false, decrypt: (i) => (i.session ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW) });
    const full = setup(sctx, clientCtx());
    full.client.doHandshake();
    full.server.receive(full.client.takeOutgoing()!);
    full.client.receive(full.server.takeOutgoing()!);
    const last = full.client.takeOutgoing()!;
    expectFatal12(full.server, () => full.server.receive(last), 'ERR_TLS_INTERNAL', A.internal_error);
    const resumed = setup(sctx, clientCtx(), session);
    resumed.client.doHandshake();
    const hello = resumed.client.takeOutgoing()!;
    expectFatal12(resumed.server, () => resumed.server.receive(hello), 'ERR_TLS_INTERNAL', A.internal_error, { conn: resumed.client });
  });

  it('generate is not called when no ticket is issued (a resumption answered USE)', () => {
    const sctx = serverCtx();
    const { session } = firstTicket(sctx);
    let calls = 0;
    sctx.setSessionTicketCallbacks({ generate: () => (calls++, true) });
    connect(sctx, clientCtx(), session);
    expect(calls).toBe(0);
  });
});

describe('tickets off', () => {
  it('ticketCodec: null on the server: no session_ticket in its ServerHello, no NewSessionTicket; the session (with the ID the server assigned) resumes by session ID', () => {
    const sctx = serverCtx({ ticketCodec: null });
    const cctx = clientCtx();
    const first = connect(sctx, cctx);
    // Our client asked anyway (the server decides).
    expect(ticketExt(first.hellos[0]!.extensions)).toEqual(EMPTY);
    expect(promises(first.serverHellos[0]!)).toBe(false);
    expect(first.wire.s2c).toEqual([...FULL_S2C, 'CCS', 'finished']);
    const session = first.cw.sessions[0]!;
    expect(session.ticket).toHaveLength(0);
    expect(session.sessionId).toHaveLength(32);
    expect(session.sessionId).toEqual(first.serverHellos[0]!.legacySessionIdEcho);
    const r = connect(sctx, cctx, session);
    expect(r.hellos[0]!.legacySessionId).toEqual(session.sessionId);
    expect(ticketExt(r.hellos[0]!.extensions)).toEqual(EMPTY);
    expect(r.serverHellos[0]!.legacySessionIdEcho).toEqual(session.sessionId);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
    expect(r.wire.s2c).toEqual(['server_hello', 'CCS', 'finished']);
  });

  it('sessionTickets: false on the client (SSL_OP_NO_TICKET): no session_ticket in its ClientHello; no ticket; session-ID resumption', () => {
    const sctx = serverCtx();
    const cctx = clientCtx({ sessionTickets: false });
    const first = connect(sctx, cctx);
    expect(ticketExt(first.hellos[0]!.extensions)).toBeUndefined();
    expect(first.tickets).toHaveLength(0);
    const session = first.cw.sessions[0]!;
    expect(session.ticket).toHaveLength(0);
    expect(session.sessionId).toHaveLength(32);
    const r = connect(sctx, cctx, session);
    expect(r.hellos[0]!.legacySessionId).toEqual(session.sessionId);
    expect(r.server.isSessionReused).toBe(true);
  });

  it('sessionTickets: false on the client: a session with a ticket is offered by its ID only, never its ticket', () => {
    const sctx = serverCtx({ ticketCodec: null });
    const withTicket = new Session({ ...firstTicket(sctx).session, ticket: new Uint8Array(40).fill(7) });
    const r = connect(sctx, clientCtx({ sessionTickets: false }), withTicket);
    expect(ticketExt(r.hellos[0]!.extensions)).toBeUndefined();
    expect(r.hellos[0]!.legacySessionId).toEqual(withTicket.sessionId);
    expect(r.server.isSessionReused).toBe(true);
  });

  it('sessionTickets: false on the server: the extension is ignored, no ticket opened or issued', () => {
    const { session } = firstTicket(serverCtx());
    const calls: TicketStatus[] = [];
    const sctx = serverCtx({ sessionTickets: false });
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (calls.push(i.status), TicketReturn.IGNORE_RENEW) });
    const r = connect(sctx, clientCtx(), session);
    expect(calls).toEqual([]);
    expect(r.server.isSessionReused).toBe(false);
    expect(r.tickets).toHaveLength(0);
    expect(promises(r.serverHellos[0]!)).toBe(false);
  });
});

describe('tickets that do not resume', () => {
  it('a garbage ticket: NO_DECRYPT, a full handshake and a new ticket (IGNORE_RENEW, the default)', () => {
    const sctx = serverCtx();
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recordingDefault(seen) });
    const { session } = firstTicket(sctx);
    for (const garbage of [new Uint8Array(200).fill(0xa5), session.ticket.map((b, i) => (i === session.ticket.length - 1 ? b ^ 1 : b)), new Uint8Array([1])]) {
      const r = connect(sctx, clientCtx(), new Session({ ...session, ticket: garbage }));
      expect(ticketExt(r.hellos[0]!.extensions)).toEqual(garbage);
      expect(seen.at(-1)?.status).toBe(TicketStatus.NO_DECRYPT);
      expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([false, false]);
      expect(r.wire.s2c).toEqual([...FULL_S2C, 'new_session_ticket', 'CCS', 'finished']);
      expect(r.cw.sessions).toHaveLength(1);
      expect(r.cw.sessions[0]!.ticket).toEqual(r.tickets[0]!.ticket);
      // The random session ID the client sent beside the ticket is not echoed.
      expect(r.serverHellos[0]!.legacySessionIdEcho).not.toEqual(r.hellos[0]!.legacySessionId);
    }
  });

  it('a ticket past its session lifetime on the server clock (sessionLifetimeSeconds): a full handshake and a new ticket, as for an expired session ID (OpenSSL: timeout, then ticket_expected)', () => {
    const clock = clocked();
    const sctx = serverCtx({ provider: clock.provider, sessionLifetimeSeconds: 10 });
    const cctx = clientCtx();
    const { session } = firstTicket(sctx, cctx);
    clock.advance(9_000);
    expect(connect(sctx, cctx, session).server.isSessionReused).toBe(true);
    clock.advance(1_001); // 10.001 s after the full handshake
    const r = connect(sctx, cctx, session);
    expect(ticketExt(r.hellos[0]!.extensions)).toEqual(session.ticket); // the client still offers it (7200 s hint)
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([false, false]);
    expect(r.tickets).toHaveLength(1);
  });

  it('a good ticket whose session may not be resumed here (another server name, RFC 6066 §3): a full handshake, and a new ticket (OpenSSL: ticket_expected)', () => {
    const sctx = serverCtx();
    const { session } = firstTicket(sctx);
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recordingDefault(seen) });
    const renamed = new Session({ ...session, serverName: 'example.test' });
    const r = connect(sctx, clientCtx({ rejectUnauthorized: false }), renamed, 'example.test');
    expect(ticketExt(r.hellos[0]!.extensions)).toEqual(session.ticket);
    expect(seen.map((i) => i.status)).toEqual([TicketStatus.SUCCESS]);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([false, false]);
    expect(r.wire.s2c.slice(0, 4)).toEqual(FULL_S2C);
    expect(r.tickets).toHaveLength(1);
  });

  it('a ticket of a suite the server no longer accepts (a shared codec): a full handshake in another suite', () => {
    const codec = new RotatingTicketCodec();
    const both = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    const cctx = clientCtx({ cipherSuites: both });
    // The first server follows the client's order ('order': not the default choice of the fastest AEAD): a ticket in both[0], which the second refuses.
    const { session } = firstTicket(serverCtx({ ticketCodec: codec, aeadPreference: 'order' }), cctx);
    expect(session.cipherSuite).toBe(both[0]);
    const r = connect(serverCtx({ ticketCodec: codec, cipherSuites: [both[1]!] }), cctx, session);
    expect(r.server.isSessionReused).toBe(false);
    expect(r.client.cipherSuite?.id).toBe(both[1]);
  });

  it('a server that requires a client certificate does not resume a ticket made without one', () => {
    const codec = new RotatingTicketCodec();
    const other = serverCert(chain);
    const cctx = clientCtx({ certificate: other });
    const { session } = firstTicket(serverCtx({ ticketCodec: codec }), cctx);
    const strict = serverCtx({ ticketCodec: codec, requestCert: true, requireCert: true, verifier: verifierFor(chain) });
    const r = connect(strict, cctx, session);
    expect(r.server.isSessionReused).toBe(false);
    expect(r.server.peerCertificates[0]).toEqual(new Uint8Array(chain.leaf.certDer));
  });

  it('a ticket of a session without the extended master secret is not offered by a client that requires it (RFC 7627 §5.3)', () => {
    const sctx = serverCtx({ requireExtendedMasterSecret: false });
    const { session } = firstTicket(sctx);
    const noEms = new Session({ ...session, extendedMasterSecret: false });
    const r = connect(sctx, clientCtx(), noEms);
    expect(ticketExt(r.hellos[0]!.extensions)).toEqual(EMPTY);
    expect(r.server.isSessionReused).toBe(false);
  });
});

describe('what the client refuses', () => {
  // The middle rewrites the ServerHello and fixes each Finished for its receiver's transcript.
  it('a ServerHello that promises a ticket (session_ticket) and no NewSessionTicket before the ChangeCipherSpec: unexpected_message', () => {
    const r = setup(serverCtx({ ticketCodec: null }), clientCtx(), undefined, 'localhost', (dir, raw) =>
      dir === 's2c' && raw[0] === H.server_hello ? editServerHello(raw, (sh) => ({ extensions: [...sh.extensions, makeExtension(SessionTicketExt, EMPTY)] })) : raw,
    true);
    r.client.doHandshake();
    const { side, error } = r.m.driveExpectingError();
    expect(side).toBe('client');
    expect(error.code).toBe('ERR_TLS_UNEXPECTED_MESSAGE');
    expect(r.client.handshakeComplete).toBe(false);
  });

  it('a NewSessionTicket the ServerHello did not announce: unexpected_message', () => {
    const r = setup(serverCtx(), clientCtx(), undefined, 'localhost', (dir, raw) =>
      dir === 's2c' && raw[0] === H.server_hello ? editServerHello(raw, (sh) => ({ extensions: without(sh.extensions, ExtensionType.session_ticket) })) : raw,
    true);
    r.client.doHandshake();
    const { side, error } = r.m.driveExpectingError();
    expect(side).toBe('client');
    expect(error.code).toBe('ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a non-empty session_ticket in the ServerHello (RFC 5077 §3.2: zero-length): decode_error, as OpenSSL (tls_parse_stoc_session_ticket)', () => {
    const r = setup(serverCtx(), clientCtx(), undefined, 'localhost', (dir, raw) =>
      dir === 's2c' && raw[0] === H.server_hello
        ? editServerHello(raw, (sh) => ({ extensions: sh.extensions.map((e) => (e.type === ExtensionType.session_ticket ? { type: e.type, data: new Uint8Array([1, 2, 3]) } : e)) }))
        : raw,
    true);
    r.client.doHandshake();
    const { side, error } = r.m.driveExpectingError();
    expect(side).toBe('client');
    expect(error.code).toBe('ERR_TLS_DECODE');
  });

  it('a NewSessionTicket with a truncated body: decode_error', () => {
    const r = setup(serverCtx(), clientCtx(), undefined, 'localhost', (dir, raw) => {
      if (dir !== 's2c' || raw[0] !== H.new_session_ticket) return raw;
      const body = raw.subarray(4, raw.length - 1);
      return Uint8Array.of(H.new_session_ticket, 0, body.length >> 8, body.length & 0xff, ...body);
    });
    r.client.doHandshake();
    const { side, error } = r.m.driveExpectingError();
    expect(side).toBe('client');
    expect(error.code).toBe('ERR_TLS_DECODE');
  });
});

describe('renegotiation', () => {
  it('a server-initiated renegotiation on a ticket-only server (sessionStore: null) resumes by the ticket', () => {
    const r = connect(serverCtx({ sessionStore: null }), clientCtx());
    const session = r.cw.sessions[0]!;
    r.server.renegotiate();
    r.server.doHandshake();
    r.m.drive();
    expect(ticketExt(r.hellos[1]!.extensions)).toEqual(session.ticket);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
    expect(r.wire.s2c.slice(7)).toEqual(['hello_request', 'server_hello', 'CCS', 'finished']);
    r.client.write(enc('after'));
    drive(r.client, r.server);
  });

  it("renegotiate() asks for a new ticket (empty extension) and gets one, protected, before the server's ChangeCipherSpec", () => {
    const r = connect(serverCtx({ renegotiation: { acceptClientInitiated: true } }), clientCtx());
    r.client.renegotiate();
    r.client.doHandshake();
    r.m.drive();
    expect(ticketExt(r.hellos[1]!.extensions)).toEqual(EMPTY);
    expect(r.wire.s2c.slice(7)).toEqual([...FULL_S2C, 'new_session_ticket', 'CCS', 'finished']);
    expect(r.cw.sessions).toHaveLength(2);
    expect(r.cw.sessions[1]!.ticket).toEqual(r.tickets[1]!.ticket);
  });
});
