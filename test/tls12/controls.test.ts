/**
 * OpenSSL's renegotiation controls on TLS 1.2 (shared/spec/SSL_key_update.md):
 * renegotiate() / renegotiateAbbreviated() / renegotiatePending(), and
 * keyUpdate() refused on TLS 1.2. Test names quoting the spec quote it verbatim.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType, HandshakeType, KeyUpdateType } from '../../src/common/constants.js';
import { AlertDescription, AlertLevel } from '../../src/common/errors.js';
import { findExtension } from '../../src/messages/extensions.js';
import { ClientHello } from '../../src/messages/hello.js';
import { SessionTicketExt } from '../../src/messages/index.js';
import type { Session } from '../../src/session/session.js';
import type { Connection } from '../../src/ssl/connection.js';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, drive, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';
import { thrownTlsError } from '../helpers/errors.js';
import { dec, enc, expectInvalidState, Mitm12, pair12, protectedLength12, records, watch, wireLogged } from './support12.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('ed25519');
});

const ACCEPT = { renegotiation: { acceptClientInitiated: true } } as const;
const types = (buf: Uint8Array | null): number[] => (buf === null ? [] : records(buf).map((r) => r.type));

function established(server: TlsContextOptions = ACCEPT, client: TlsContextOptions = {}) {
  const p = pair12(chain, server, client);
  const cw = watch(p.client);
  const sw = watch(p.server);
  handshake(p);
  return { ...p, cw, sw };
}

/**
 * Through a man in the middle that records every ClientHello (decrypted) and
 * logs what each end sends from the end of the first handshake on (`sent`).
 */
function observed(server: TlsContextOptions = ACCEPT, client: TlsContextOptions = {}) {
  const p = pair12(chain, server, client);
  const cw = watch(p.client);
  const sw = watch(p.server);
  const hellos: ClientHello[] = [];
  const { log, hooks } = wireLogged((dir, raw) => {
    if (dir === 'c2s' && raw[0] === HandshakeType.client_hello) hellos.push(ClientHello.decode(raw.subarray(4)));
    return raw;
  });
  const m = new Mitm12(p.client, p.server, hooks);
  p.client.doHandshake();
  m.drive();
  const from = log.c2s.length;
  const sent = (): string[] => log.c2s.slice(from);
  return { ...p, cw, sw, m, hellos, sent };
}

/**
 * The ClientHello offers `session`: by its RFC 5077 ticket (in session_ticket,
 * with a fresh 32-byte session ID, §3.4) when it has one, else by its session ID.
 */
function expectOffers(hello: ClientHello, session: Session): void {
  const ticket = findExtension(hello.extensions, SessionTicketExt);
  if (session.ticket.length > 0) {
    expect(ticket).toEqual(session.ticket);
    expect(hello.legacySessionId).toHaveLength(32);
    expect(hello.legacySessionId).not.toEqual(session.sessionId);
  } else {
    expect(ticket).toEqual(new Uint8Array(0));
    expect(hello.legacySessionId).toEqual(session.sessionId);
  }
}

/** Tickets off on the server: sessions are offered and resumed by session ID. */
const NO_TICKETS = { ticketCodec: null } as const;

/** Nothing changed by a refused call: nothing pending, nothing to send, no handshake running. */
function unchanged(conn: Connection, handshaking = false): void {
  expect(conn.renegotiatePending()).toBe(false);
  expect(conn.pending.renegotiate).toBeNull();
  expect(conn.takeOutgoing()).toBeNull();
  expect(conn.handshaking).toBe(handshaking);
  expect(conn.failure).toBeNull();
}

describe('SSL_renegotiate() and SSL_renegotiate_abbreviated() (shared/spec/SSL_key_update.md)', () => {
  describe('"SSL_renegotiate() and SSL_renegotiate_abbreviated() should only be called for connections that have negotiated TLSv1.2 or less. Calling them on any other connection will result in an error."', () => {
    it('on a TLS 1.3 connection: ERR_TLS_INVALID_STATE from both, on both sides, and nothing changes', () => {
      const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
      handshake(p);
      expect(p.client.protocol).toBe('TLSv1.3');
      for (const conn of [p.client, p.server]) {
        expectInvalidState(conn, () => conn.renegotiate());
        expectInvalidState(conn, () => conn.renegotiateAbbreviated());
        conn.doHandshake();
        unchanged(conn);
      }
      p.client.write(enc('1.3 goes on'));
      drive(p.client, p.server);
      expect(dec(p.server.read())).toBe('1.3 goes on');
    });

    it('before the handshake (nothing negotiated yet), on either side: an error, nothing written, and the handshake then runs normally', () => {
      const p = pair12(chain, ACCEPT);
      for (const conn of [p.client, p.server]) {
        expectInvalidState(conn, () => conn.renegotiate());
        expectInvalidState(conn, () => conn.renegotiateAbbreviated());
        unchanged(conn);
      }
      expect(p.client.stateName).toBe('Start');
      handshake(p);
      expect(p.client.negotiated.version).toBe(0x0303);
    });

    it('during the first handshake, before it completes: an error, and nothing changes', () => {
      const p = pair12(chain, ACCEPT);
      p.client.doHandshake();
      p.server.receive(p.client.takeOutgoing()!);
      expect(p.server.handshaking).toBe(true);
      expect(p.server.negotiated.version).toBe(0x0303); // TLS 1.2 chosen, not yet finished
      expectInvalidState(p.server, () => p.server.renegotiate());
      expect(p.server.renegotiatePending()).toBe(false);
      const flight = p.server.takeOutgoing()!;
      p.client.receive(flight);
      expectInvalidState(p.client, () => p.client.renegotiateAbbreviated());
      drive(p.client, p.server);
      expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    });

    it('during a running renegotiation: an error, pending stays false, nothing extra is written', () => {
      const p = established();
      p.client.renegotiate();
      p.client.doHandshake();
      expect(p.client.handshaking).toBe(true);
      const hello = p.client.takeOutgoing()!;
      expectInvalidState(p.client, () => p.client.renegotiate());
      expectInvalidState(p.client, () => p.client.renegotiateAbbreviated());
      unchanged(p.client, true);
      p.server.receive(hello);
      expect(p.server.handshaking).toBe(true);
      const flight = p.server.takeOutgoing()!;
      expectInvalidState(p.server, () => p.server.renegotiate());
      unchanged(p.server, true);
      p.client.receive(flight);
      drive(p.client, p.server);
      expect(p.cw.handshakes).toBe(2);
      expect(p.client.renegotiatePending()).toBe(false);
    });

    it('after close(): an error, nothing but the close_notify goes out', () => {
      const p = established();
      p.client.close();
      expectInvalidState(p.client, () => p.client.renegotiate());
      expectInvalidState(p.client, () => p.client.renegotiateAbbreviated());
      expect(types(p.client.takeOutgoing())).toEqual([ContentType.alert]);
      expect(p.client.takeOutgoing()).toBeNull();
      // A server that received close_notify may still not renegotiate once it closed too.
      p.server.close();
      expectInvalidState(p.server, () => p.server.renegotiate());
      expect(types(p.server.takeOutgoing())).toEqual([ContentType.alert]);
    });

    it('after a fatal error: the error itself is thrown', () => {
      const p = established();
      const err = thrownTlsError(() => p.server.receive(new Uint8Array([23, 3, 3, 0, 30, ...new Uint8Array(30)])));
      expect(err.code).toBe('ERR_TLS_BAD_RECORD_MAC');
      expect(thrownTlsError(() => p.server.renegotiate())).toBe(err);
      expect(p.server.renegotiatePending()).toBe(false);
    });
  });

  describe('"When called from the client side, SSL_renegotiate() schedules a completely new handshake over an existing SSL/TLS connection. The next time an IO operation such as SSL_read_ex() or SSL_write_ex() takes place on the connection a check will be performed to confirm that it is a suitable time to start a renegotiation. If so, then it will be initiated immediately. OpenSSL will not attempt to resume any session associated with the connection in the new handshake."', () => {
    it('"schedules a completely new handshake over an existing SSL/TLS connection": a full handshake (Certificate, key exchange) on the same connection', () => {
      const p = established();
      p.client.renegotiate();
      p.client.doHandshake();
      drive(p.client, p.server);
      expect(p.cw.sent).toEqual([1, 16, 20, 1, 16, 20]);
      // Each full handshake ends with the server's NewSessionTicket (TLS 1.2 tickets are on by default).
      expect(p.sw.sent).toEqual([2, 11, 12, 14, 4, 20, 2, 11, 12, 14, 4, 20]);
      expect(p.cw.handshakes).toBe(2);
      expect(p.client.isSessionReused).toBe(false);
    });

    it('"The next time an IO operation such as SSL_read_ex() ... takes place": read() starts it', () => {
      const p = established();
      p.client.renegotiate();
      expect(p.client.takeOutgoing()).toBeNull();
      expect(p.client.read()).toBeNull();
      expect(p.client.renegotiatePending()).toBe(false);
      expect(p.client.handshaking).toBe(true);
      expect(types(p.client.takeOutgoing())).toEqual([ContentType.handshake]);
      expect(p.cw.sent.at(-1)).toBe(HandshakeType.client_hello);
    });

    it('"... or SSL_write_ex() takes place": write() starts it; the ClientHello goes out at once, the data of that write after the renegotiation completes (as SSL_write, which finishes the handshake first)', () => {
      const p = observed();
      p.client.renegotiate();
      p.client.write(enc('data'));
      expect(p.client.renegotiatePending()).toBe(false);
      expect(p.client.handshaking).toBe(true);
      const hello = p.client.takeOutgoing()!;
      expect(types(hello)).toEqual([ContentType.handshake]);
      p.m.deliver('c2s', hello);
      p.m.drive();
      expect(p.cw.handshakes).toBe(2);
      expect(dec(p.server.read())).toBe('data');
      expect(p.sent()).toEqual(['client_hello', 'client_key_exchange', 'CCS', 'finished', 'data:data']);
    });

    it('"Alternatively SSL_do_handshake() can be called": doHandshake() starts it', () => {
      const p = established();
      p.client.renegotiate();
      p.client.doHandshake();
      expect(p.client.renegotiatePending()).toBe(false);
      expect(types(p.client.takeOutgoing())).toEqual([ContentType.handshake]);
    });

    it('receiving bytes or taking output is no IO operation of the application: neither starts it', () => {
      const p = established();
      p.client.renegotiate();
      p.server.write(enc('in'));
      p.client.receive(p.server.takeOutgoing()!);
      expect(p.client.takeOutgoing()).toBeNull();
      expect(p.client.renegotiatePending()).toBe(true);
      expect(dec(p.client.read())).toBe('in'); // the read starts it
      expect(p.client.renegotiatePending()).toBe(false);
    });

    it('"a check will be performed to confirm that it is a suitable time": while a server-requested renegotiation runs it waits, then starts with the next IO after that one', () => {
      const p = established();
      p.client.renegotiate();
      p.server.renegotiate();
      p.server.doHandshake();
      p.client.receive(p.server.takeOutgoing()!); // the HelloRequest starts a renegotiation at once
      expect(p.client.handshaking).toBe(true);
      p.client.read();
      p.client.write(enc('x'));
      expect(p.client.renegotiatePending()).toBe(true); // not a suitable time: a handshake runs
      expect(p.cw.sent.filter((t) => t === HandshakeType.client_hello)).toHaveLength(2);
      drive(p.client, p.server);
      expect(p.cw.handshakes).toBe(2);
      expect(p.client.renegotiatePending()).toBe(true);
      p.client.doHandshake();
      expect(p.client.renegotiatePending()).toBe(false);
      drive(p.client, p.server);
      expect(p.cw.handshakes).toBe(3);
      expect(dec(p.server.read())).toBe('x');
    });

    it('"OpenSSL will not attempt to resume any session associated with the connection in the new handshake": an empty session_id, although the session is resumable', () => {
      const p = observed();
      expect(p.cw.sessions).toHaveLength(1);
      p.client.renegotiate();
      p.client.doHandshake();
      p.m.drive();
      expect(p.hellos).toHaveLength(2);
      expect(p.hellos[1]!.legacySessionId).toHaveLength(0);
      // Nor its ticket: an empty session_ticket (asking for a new one).
      expect(p.cw.sessions[0]!.ticket.length).toBeGreaterThan(0);
      expect(findExtension(p.hellos[1]!.extensions, SessionTicketExt)).toEqual(new Uint8Array(0));
      expect(p.client.isSessionReused).toBe(false);
      expect(p.cw.sessions).toHaveLength(2); // a new session
    });
  });

  describe('"When called from the client side, SSL_renegotiate_abbreviated() works in the same way as SSL_renegotiate() except that OpenSSL will attempt to resume the session associated with the current connection in the new handshake."', () => {
    for (const [how, server] of [['by its ticket', ACCEPT], ['by its session ID (tickets off)', { ...ACCEPT, ...NO_TICKETS }]] as const) {
      it(`the ClientHello offers the current session and the server resumes it: ${how}`, () => {
        const p = observed(server);
        const session = p.cw.sessions[0]!;
        expect(session.ticket.length > 0).toBe(how === 'by its ticket');
        expect(p.client.renegotiateAbbreviated()).toBe(true);
        expect(p.client.renegotiatePending()).toBe(true);
        p.client.write(enc('same way'));
        expect(p.client.renegotiatePending()).toBe(false);
        p.m.drive();
        expectOffers(p.hellos[1]!, session);
        expect(p.client.isSessionReused).toBe(true);
        expect(p.server.isSessionReused).toBe(true);
        expect(dec(p.server.read())).toBe('same way');
        expect(p.cw.sent.slice(3)).toEqual([HandshakeType.client_hello, HandshakeType.finished]);
        // No new ticket for a resumed one (SUCCESS: USE), so no new session either.
        expect(p.sw.sent.at(-2)).toBe(HandshakeType.server_hello);
        expect(p.cw.sessions).toHaveLength(1);
      });

      it(`"the session associated with the current connection": on a connection that itself resumed a session, that session: ${how}`, () => {
        const first = established(server);
        const session = first.cw.sessions[0]!;
        const shared = { sessionStore: first.server.config.sessionStore ?? null, ticketCodec: first.server.config.ticketCodec ?? null };
        const p = pair12(chain, { ...ACCEPT, ...shared }, {}, { serverName: 'localhost', session });
        const hellos: ClientHello[] = [];
        const m = new Mitm12(p.client, p.server, {
          onMessage: (dir, raw) => {
            if (dir === 'c2s' && raw[0] === HandshakeType.client_hello) hellos.push(ClientHello.decode(raw.subarray(4)));
            return raw;
          },
        });
        p.client.doHandshake();
        m.drive();
        expect(p.client.isSessionReused).toBe(true);
        expectOffers(hellos[0]!, session);
        p.client.renegotiateAbbreviated();
        p.client.doHandshake();
        m.drive();
        expectOffers(hellos[1]!, session);
        expect(p.client.isSessionReused).toBe(true);
      });
    }

    it('"will attempt to resume": when the server cannot (no session cache, no tickets), a full handshake follows', () => {
      const p = established({ ...ACCEPT, sessionStore: null, ...NO_TICKETS });
      p.client.renegotiateAbbreviated();
      p.client.doHandshake();
      drive(p.client, p.server);
      expect(p.client.isSessionReused).toBe(false);
      expect(p.sw.sent.slice(5)).toEqual([2, 11, 12, 14, 20]);
    });

    it('"works in the same way as SSL_renegotiate()": flushed by the next read, write or doHandshake; the data of that write follows the client\'s Finished', () => {
      for (const io of ['read', 'write', 'doHandshake'] as const) {
        const p = established();
        p.client.renegotiateAbbreviated();
        expect(p.client.takeOutgoing()).toBeNull();
        if (io === 'read') p.client.read();
        else if (io === 'write') p.client.write(enc('w'));
        else p.client.doHandshake();
        expect(p.client.renegotiatePending()).toBe(false);
        const hello = p.client.takeOutgoing()!;
        expect(types(hello)).toEqual([ContentType.handshake]);
        p.server.receive(hello);
        p.client.receive(p.server.takeOutgoing()!); // ServerHello, ChangeCipherSpec, Finished
        const last = p.client.takeOutgoing()!;
        const finish = [ContentType.change_cipher_spec, ContentType.handshake];
        expect(types(last)).toEqual(io === 'write' ? [...finish, ContentType.application_data] : finish);
        p.server.receive(last);
        expect(dec(p.server.read())).toBe(io === 'write' ? 'w' : null);
        expect(p.client.isSessionReused).toBe(true);
        expect(p.sw.handshakes).toBe(2);
      }
    });
  });

  describe('"When called from the server side, SSL_renegotiate() and SSL_renegotiate_abbreviated() behave identically. They both schedule a request for a new handshake to be sent to the client. The next time an IO operation is performed then the same checks as on the client side are performed and then, if appropriate, the request is sent. The client may or may not respond with a new handshake and it may or may not attempt to resume an existing session. If a new handshake is started then this will be handled transparently by calling any OpenSSL IO function."', () => {
    it('"behave identically. They both schedule a request for a new handshake": one HelloRequest each, the same record, the same outcome', () => {
      const outcomes = (['renegotiate', 'renegotiateAbbreviated'] as const).map((call) => {
        const p = established();
        expect(p.server[call]()).toBe(true);
        expect(p.server.renegotiatePending()).toBe(true);
        p.server.doHandshake();
        const hr = p.server.takeOutgoing()!;
        // Each record's type and the length it protects (the fragment less the AEAD's explicit nonce and tag).
        const shape = records(hr).map((r) => [r.type, r.fragment.length - protectedLength12(p.server.cipherSuite!, 0)]);
        p.client.receive(hr);
        drive(p.client, p.server);
        // The first handshake: ServerHello ... ServerHelloDone, NewSessionTicket, Finished.
        return { shape, sent: p.sw.sent.slice(6), resumed: p.client.isSessionReused, handshakes: p.sw.handshakes };
      });
      expect(outcomes[0]).toEqual(outcomes[1]);
      expect(outcomes[0]!.shape).toEqual([[ContentType.handshake, 4]]); // one protected record: a HelloRequest
      expect(outcomes[0]!.sent).toEqual([HandshakeType.hello_request, HandshakeType.server_hello, HandshakeType.finished]);
    });

    it('"The next time an IO operation is performed ... the request is sent": by read(), by write() (before its data) and by doHandshake()', () => {
      for (const io of ['read', 'write', 'doHandshake'] as const) {
        const p = established();
        p.server.renegotiate();
        expect(p.server.takeOutgoing()).toBeNull();
        if (io === 'read') p.server.read();
        else if (io === 'write') p.server.write(enc('w'));
        else p.server.doHandshake();
        expect(p.server.renegotiatePending()).toBe(false);
        expect(types(p.server.takeOutgoing())).toEqual(io === 'write' ? [ContentType.handshake, ContentType.application_data] : [ContentType.handshake]);
        expect(p.sw.sent.at(-1)).toBe(HandshakeType.hello_request);
      }
    });

    it('"the same checks as on the client side are performed": while a client-initiated renegotiation runs, the request waits for its end', () => {
      const p = established();
      p.server.renegotiate();
      p.client.renegotiate();
      p.client.doHandshake();
      p.server.receive(p.client.takeOutgoing()!);
      expect(p.server.handshaking).toBe(true);
      p.server.read();
      expect(p.server.renegotiatePending()).toBe(true);
      expect(p.sw.sent).not.toContain(HandshakeType.hello_request);
      drive(p.client, p.server);
      expect(p.sw.handshakes).toBe(2);
      expect(p.server.renegotiatePending()).toBe(true);
      p.server.write(enc('now'));
      expect(p.server.renegotiatePending()).toBe(false);
      expect(p.sw.sent.at(-1)).toBe(HandshakeType.hello_request);
      drive(p.client, p.server);
      expect(p.sw.handshakes).toBe(3);
      expect(dec(p.client.read())).toBe('now');
    });

    it('"The client may or may not respond with a new handshake": a client that refuses answers with a no_renegotiation warning', () => {
      const p = established(ACCEPT, { renegotiation: { refuseServerInitiated: true } });
      p.server.renegotiate();
      p.server.doHandshake();
      p.client.receive(p.server.takeOutgoing()!);
      expect(p.client.handshaking).toBe(false);
      expect(p.cw.alerts).toEqual([{ sent: true, level: AlertLevel.warning, description: AlertDescription.no_renegotiation }]);
      expect(p.cw.sent.filter((t) => t === HandshakeType.client_hello)).toHaveLength(1);
    });

    it('"it may or may not attempt to resume an existing session": it resumes when it has one, a full handshake when it has none', () => {
      const withSession = established();
      withSession.server.renegotiate();
      withSession.server.doHandshake();
      drive(withSession.client, withSession.server);
      expect(withSession.client.isSessionReused).toBe(true);
      const without = established({ sessionStore: null, ...NO_TICKETS });
      without.server.renegotiate();
      without.server.doHandshake();
      drive(without.client, without.server);
      expect(without.client.isSessionReused).toBe(false);
      expect(without.cw.handshakes).toBe(2);
    });

    it('"If a new handshake is started then this will be handled transparently by calling any OpenSSL IO function": the server only reads and writes while it completes', () => {
      const p = established({ sessionStore: null, ...NO_TICKETS });
      p.server.renegotiate();
      const clientGot: (string | null)[] = [];
      const serverGot: (string | null)[] = [];
      for (let i = 0; i < 6; i++) {
        p.server.write(enc(`s${i} `));
        p.client.receive(p.server.takeOutgoing() ?? new Uint8Array(0));
        clientGot.push(dec(p.client.read()));
        p.client.write(enc(`c${i} `));
        p.server.receive(p.client.takeOutgoing() ?? new Uint8Array(0));
        serverGot.push(dec(p.server.read()));
      }
      // 0: HelloRequest + s0 (the server is not renegotiating yet); the client answers, c0 held.
      // 1: the server's flight (s1 held); the client's last flight (c1 held); the server completes and sends s1.
      // 2: s2 at once; the client completes and sends c0 c1, then c2 at once.
      expect(clientGot).toEqual(['s0 ', null, 's1 s2 ', 's3 ', 's4 ', 's5 ']);
      expect(serverGot).toEqual([null, null, 'c0 c1 c2 ', 'c3 ', 'c4 ', 'c5 ']);
      expect(p.sw.handshakes).toBe(2);
      expect(p.cw.handshakes).toBe(2);
      expect(p.server.handshaking).toBe(false);
      expect(p.client.handshaking).toBe(false);
    });
  });

  describe('"If an OpenSSL client receives a renegotiation request from a server then again this will be handled transparently through calling any OpenSSL IO function. For a TLS connection the client will attempt to resume the current session in the new handshake. For historical reasons, DTLS clients will not attempt to resume the session in the new handshake."', () => {
    it('"handled transparently through calling any OpenSSL IO function": the client only receives and reads; its answer goes out with no call of its own', () => {
      const p = established();
      p.server.renegotiate();
      p.server.write(enc('hello again'));
      p.client.receive(p.server.takeOutgoing()!);
      expect(dec(p.client.read())).toBe('hello again');
      const hello = p.client.takeOutgoing()!;
      expect(types(hello)).toEqual([ContentType.handshake]);
      p.server.receive(hello);
      drive(p.client, p.server);
      expect(p.cw.handshakes).toBe(2);
    });

    for (const [how, server] of [['by its ticket', {}], ['by its session ID (tickets off)', NO_TICKETS]] as const) {
      it(`"For a TLS connection the client will attempt to resume the current session in the new handshake": ${how}`, () => {
        const p = observed(server);
        const session = p.cw.sessions[0]!;
        p.server.renegotiate();
        p.server.doHandshake();
        p.m.drive();
        expectOffers(p.hellos[1]!, session);
        expect(p.client.isSessionReused).toBe(true);
        expect(p.server.isSessionReused).toBe(true);
      });
    }
  });

  describe('"The SSL_renegotiate_pending() function returns 1 if a renegotiation or renegotiation request has been scheduled but not yet acted on, or 0 otherwise."', () => {
    it('client: 0 before, 1 from the call until the ClientHello is written, 0 during and after the handshake', () => {
      const p = established();
      expect(p.client.renegotiatePending()).toBe(false);
      p.client.renegotiate();
      expect(p.client.renegotiatePending()).toBe(true);
      p.client.renegotiate(); // scheduling twice is one renegotiation
      expect(p.client.renegotiatePending()).toBe(true);
      p.client.doHandshake();
      expect(p.client.renegotiatePending()).toBe(false);
      expect(p.cw.sent.filter((t) => t === HandshakeType.client_hello)).toHaveLength(2);
      drive(p.client, p.server);
      expect(p.client.renegotiatePending()).toBe(false);
      expect(p.cw.handshakes).toBe(2);
    });

    it('server: 1 from the call until the HelloRequest is written, then 0 (also while the client has not answered yet)', () => {
      const p = established();
      expect(p.server.renegotiatePending()).toBe(false);
      p.server.renegotiateAbbreviated();
      expect(p.server.renegotiatePending()).toBe(true);
      p.server.read();
      expect(p.server.renegotiatePending()).toBe(false);
      expect(p.server.handshaking).toBe(false);
      drive(p.client, p.server);
      expect(p.server.renegotiatePending()).toBe(false);
    });

    it('0 on TLS 1.3 and after a refused call', () => {
      const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
      handshake(p);
      expect(() => p.client.renegotiate()).toThrow();
      expect(p.client.renegotiatePending()).toBe(false);
    });
  });

  describe('RETURN VALUES', () => {
    it('"SSL_key_update(), SSL_renegotiate() and SSL_renegotiate_abbreviated() return 1 on success or 0 on error.": true on success; errors are thrown as typed TlsErrors (ERR_TLS_INVALID_STATE), never returned', () => {
      const p = established();
      expect(p.client.renegotiate()).toBe(true);
      expect(p.server.renegotiateAbbreviated()).toBe(true);
      const fresh = pair12(chain);
      const err = thrownTlsError(() => fresh.client.renegotiate());
      expect(err.code).toBe('ERR_TLS_INVALID_STATE');
      expect(err.bug).toBe(false);
    });

    it('"SSL_renegotiate_pending() returns 1 if a renegotiation or renegotiation request has been scheduled but not yet acted on, or 0 otherwise.": a boolean', () => {
      const p = established();
      expect(p.server.renegotiatePending()).toBe(false);
      p.server.renegotiate();
      expect(p.server.renegotiatePending()).toBe(true);
    });
  });
});

describe('SSL_key_update() on TLS 1.2', () => {
  it('"SSL_key_update() must only be called after the initial handshake has been completed and TLSv1.3 has been negotiated": on TLS 1.2 it throws ERR_TLS_INVALID_STATE and nothing is scheduled', () => {
    const p = established();
    for (const conn of [p.client, p.server]) {
      for (const type of [KeyUpdateType.NOT_REQUESTED, KeyUpdateType.REQUESTED]) {
        const err = thrownTlsError(() => conn.keyUpdate(type));
        expect(err.code).toBe('ERR_TLS_INVALID_STATE');
        expect(conn.failure).toBeNull();
      }
      expect(conn.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
      conn.doHandshake();
      expect(conn.takeOutgoing()).toBeNull();
    }
  });

  it('the order of a pending KeyUpdate and a renegotiation is moot on TLS 1.2: only the renegotiation is scheduled', () => {
    const p = established();
    p.client.renegotiate();
    expect(() => p.client.keyUpdate(KeyUpdateType.REQUESTED)).toThrow();
    p.client.write(enc('x'));
    const hello = p.client.takeOutgoing();
    expect(types(hello)).toEqual([ContentType.handshake]); // the ClientHello; 'x' waits for the renegotiation's end
    expect(p.cw.sent.at(-1)).toBe(HandshakeType.client_hello);
    expect(p.cw.sent).not.toContain(HandshakeType.key_update);
    p.server.receive(hello!);
    drive(p.client, p.server);
    expect(p.cw.handshakes).toBe(2);
    expect(dec(p.server.read())).toBe('x');
  });
});
