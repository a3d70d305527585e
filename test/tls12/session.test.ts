/**
 * TLS 1.2 session-ID resumption (RFC 5246 §7.3, §7.4.1.2): the client's
 * 'session' event, the abbreviated handshake, expiry on either side, the
 * server's bounded MemorySessionCache, the conditions under which a session
 * is not offered or not resumed (server name, suite, EMS, no store), and the
 * Session encoding. Tickets are off on these servers (see serverCtx).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/common/bytes.js';
import { CipherSuite, HandshakeType } from '../../src/common/constants.js';
import { ClientHello, ServerHello } from '../../src/messages/hello.js';
import { MemorySessionCache } from '../../src/session/cache.js';
import { Session } from '../../src/session/session.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, drive, serverCert, verifierFor } from '../helpers/pair.js';
import { clocked, dec, enc, plainMessages, TLS12, watch } from './support12.js';

let chain: Chain;
let otherChain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
  otherChain = await chainFor('ed25519');
});

/**
 * The servers here issue no tickets (ticketCodec: null), so the sessions carry
 * none and are offered and resumed by session ID; TLS 1.2 tickets (on by
 * default) are covered in tickets.test.ts.
 */
const serverCtx = (o: TlsContextOptions = {}) => new TlsContext({ certificate: serverCert(chain), ticketCodec: null, ...o });
const clientCtx = (o: TlsContextOptions = {}) => new TlsContext({ verifier: verifierFor(chain), maxVersion: TLS12, ...o });

/** One connection between the contexts, run to the end of the handshake; its hellos decoded. */
function connect(server: TlsContext, client: TlsContext, session?: Session, serverName = 'localhost') {
  const s = new Connection(server, 'server');
  const c = new Connection(client, 'client', { serverName, ...(session ? { session } : {}) });
  const cw = watch(c);
  const sw = watch(s);
  c.doHandshake();
  const hello = c.takeOutgoing()!;
  const ch = ClientHello.decode(plainMessages(hello)[0]!.subarray(4));
  s.receive(hello);
  const flight = s.takeOutgoing()!;
  const sh = ServerHello.decode(plainMessages(flight)[0]!.subarray(4));
  c.receive(flight);
  drive(c, s);
  expect(c.handshakeComplete && s.handshakeComplete, `client ${c.stateName}, server ${s.stateName}`).toBe(true);
  return { client: c, server: s, cw, sw, ch, sh };
}

/** A full handshake's messages (RFC 5246 §7.3). */
const FULL = { client: [HandshakeType.client_hello, HandshakeType.client_key_exchange, HandshakeType.finished], server: [2, 11, 12, 14, 20] };
/** An abbreviated handshake's: no Certificate, no key exchange. */
const ABBREVIATED = { client: [HandshakeType.client_hello, HandshakeType.finished], server: [HandshakeType.server_hello, HandshakeType.finished] };

function expectResumed(r: ReturnType<typeof connect>, session: Session): void {
  expect(r.client.isSessionReused).toBe(true);
  expect(r.server.isSessionReused).toBe(true);
  expect(r.ch.legacySessionId).toEqual(session.sessionId);
  expect(r.sh.legacySessionIdEcho).toEqual(session.sessionId);
  expect(r.cw.sent).toEqual(ABBREVIATED.client);
  expect(r.sw.sent).toEqual(ABBREVIATED.server);
  expect(r.cw.received).toEqual(ABBREVIATED.server);
  expect(r.sw.received).toEqual(ABBREVIATED.client);
  expect(r.client.cipherSuite?.id).toBe(session.cipherSuite);
}

function expectFull(r: ReturnType<typeof connect>): void {
  expect(r.client.isSessionReused).toBe(false);
  expect(r.server.isSessionReused).toBe(false);
  expect(r.cw.sent).toEqual(FULL.client);
  expect(r.sw.sent).toEqual(FULL.server);
}

describe('TLS 1.2 session-ID resumption', () => {
  it("a full handshake gives the client one 'session' event with the session the server cached", () => {
    const cache = new MemorySessionCache();
    const sctx = serverCtx({ sessionStore: cache, alpnProtocols: ['h2'] });
    const r = connect(sctx, clientCtx({ alpnProtocols: ['h2'] }));
    expectFull(r);
    expect(r.cw.sessions).toHaveLength(1);
    const s = r.cw.sessions[0]!;
    expect(s.version).toBe(TLS12);
    expect(s.cipherSuite).toBe(r.client.cipherSuite?.id);
    expect(s.sessionId).toHaveLength(32);
    expect(s.sessionId).toEqual(r.sh.legacySessionIdEcho);
    expect(s.secret).toHaveLength(48);
    expect(s.ticket).toHaveLength(0);
    expect(s.extendedMasterSecret).toBe(true);
    expect(s.serverName).toBe('localhost');
    expect(s.alpn).toBe('h2');
    expect(s.peerCertificates).toEqual(serverCert(chain).chain);
    // The key log's master secret is the session's secret.
    expect(r.cw.keylog[0]!.split(' ')[2]).toBe(toHex(s.secret));
    // The server holds the same session under the same ID; servers raise no 'session' event.
    expect(cache.size).toBe(1);
    expect(cache.get(s.sessionId)?.secret).toEqual(s.secret);
    expect(r.sw.sessions).toHaveLength(0);
  });

  it('a new Connection given { serverName, session } resumes it: abbreviated handshake, no Certificate, same master secret, new keys', () => {
    const sctx = serverCtx();
    const cctx = clientCtx();
    const first = connect(sctx, cctx);
    const session = first.cw.sessions[0]!;
    const r = connect(sctx, cctx, session);
    expectResumed(r, session);
    expect(r.cw.sent).not.toContain(HandshakeType.certificate);
    expect(r.sw.sent).not.toContain(HandshakeType.certificate);
    expect(r.client.peerCertificates).toEqual(session.peerCertificates);
    expect(r.client.negotiated.extendedMasterSecret).toBe(true);
    // Same master secret in the key log, new randoms: different keys and exporter than the first connection.
    expect(r.cw.keylog).toEqual(r.sw.keylog);
    expect(r.cw.keylog[0]!.split(' ')[2]).toBe(toHex(session.secret));
    expect(r.cw.keylog[0]!.split(' ')[1]).not.toBe(first.cw.keylog[0]!.split(' ')[1]);
    const x = r.client.exportKeyingMaterial(32, 'EXPORTER-r');
    expect(x).toEqual(r.server.exportKeyingMaterial(32, 'EXPORTER-r'));
    expect(x).not.toEqual(first.client.exportKeyingMaterial(32, 'EXPORTER-r'));
    // The Finished values cross.
    expect(r.client.negotiated.finished).toEqual(r.server.negotiated.peerFinished);
    expect(r.server.negotiated.finished).toEqual(r.client.negotiated.peerFinished);
    // An abbreviated handshake makes no new session.
    expect(r.cw.sessions).toHaveLength(0);
    r.client.write(enc('resumed'));
    drive(r.client, r.server);
    expect(dec(r.server.read())).toBe('resumed');
    r.server.write(enc('yes'));
    drive(r.client, r.server);
    expect(dec(r.client.read())).toBe('yes');
    // ... and may be resumed again.
    expectResumed(connect(sctx, cctx, session), session);
  });

  it('a session expired at the server (sessionLifetimeSeconds on its clock) gives a full handshake and a new session', () => {
    const clock = clocked();
    const sctx = serverCtx({ provider: clock.provider, sessionLifetimeSeconds: 10 });
    const cctx = clientCtx();
    const session = connect(sctx, cctx).cw.sessions[0]!;
    clock.advance(9_000);
    expectResumed(connect(sctx, cctx, session), session);
    clock.advance(1_001); // 10.001 s after the full handshake
    const r = connect(sctx, cctx, session);
    expect(r.ch.legacySessionId).toEqual(session.sessionId); // the client still offers it
    expectFull(r);
    expect(r.sh.legacySessionIdEcho).not.toEqual(session.sessionId);
    expect(r.cw.sessions).toHaveLength(1);
    expect(r.cw.sessions[0]!.sessionId).toEqual(r.sh.legacySessionIdEcho);
  });

  it("a session expired on the client's clock (7200 s) is not offered: empty session_id, full handshake", () => {
    const clock = clocked();
    const sctx = serverCtx({ sessionLifetimeSeconds: 86_400 });
    const cctx = clientCtx({ provider: clock.provider });
    const session = connect(sctx, cctx).cw.sessions[0]!;
    expect(session.lifetimeSeconds).toBe(7200);
    clock.advance(7_199_000);
    expectResumed(connect(sctx, cctx, session), session);
    clock.advance(1_000);
    const r = connect(sctx, cctx, session);
    expect(r.ch.legacySessionId).toHaveLength(0);
    expectFull(r);
  });

  it('MemorySessionCache({ maxEntries: 2 }) keeps the two newest sessions: the oldest is evicted and gets a full handshake', () => {
    const cache = new MemorySessionCache({ maxEntries: 2 });
    const sctx = serverCtx({ sessionStore: cache });
    const cctx = clientCtx();
    const sessions = [0, 1, 2].map(() => connect(sctx, cctx).cw.sessions[0]!);
    expect(cache.size).toBe(2);
    expect(cache.get(sessions[0]!.sessionId)).toBeUndefined();
    expectFull(connect(sctx, cctx, sessions[0]));
    // That full handshake put a fourth session: now the second is the oldest, and gone.
    expect(cache.size).toBe(2);
    expect(cache.get(sessions[1]!.sessionId)).toBeUndefined();
    expectResumed(connect(sctx, cctx, sessions[2]), sessions[2]!);
  });

  it('a different server name: the client does not offer the session (RFC 6066 §3), full handshake', () => {
    const sctx = serverCtx();
    const session = connect(sctx, clientCtx()).cw.sessions[0]!;
    // The certificate does not name example.test: let the handshake go on anyway.
    const r = connect(sctx, clientCtx({ rejectUnauthorized: false }), session, 'example.test');
    expect(r.ch.legacySessionId).toHaveLength(0);
    expectFull(r);
    expect(r.client.peerVerification?.authorized).toBe(false);
  });

  it('a session offered under another server name than it was made for: the server does not resume it (RFC 6066 §3)', () => {
    const sctx = serverCtx();
    const session = connect(sctx, clientCtx()).cw.sessions[0]!;
    const renamed = new Session({ ...session, serverName: 'example.test' });
    const r = connect(sctx, clientCtx({ rejectUnauthorized: false }), renamed, 'example.test');
    expect(r.ch.legacySessionId).toEqual(session.sessionId);
    expectFull(r);
  });

  it('a session of a suite the client no longer offers is not offered: full handshake', () => {
    const sctx = serverCtx();
    const session = connect(sctx, clientCtx({ cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] })).cw.sessions[0]!;
    const r = connect(sctx, clientCtx({ cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384] }), session);
    expect(r.ch.legacySessionId).toHaveLength(0);
    expectFull(r);
    expect(r.client.cipherSuite?.id).toBe(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);
  });

  it('a session of a suite the server no longer accepts (same cache, new suite list) is not resumed: full handshake', () => {
    const cache = new MemorySessionCache();
    const both = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    const cctx = clientCtx({ cipherSuites: both });
    // The first server follows the client's order ('order': not the default choice of the fastest AEAD), so the session is in both[0].
    const session = connect(serverCtx({ sessionStore: cache, aeadPreference: 'order' }), cctx).cw.sessions[0]!;
    expect(session.cipherSuite).toBe(both[0]);
    const r = connect(serverCtx({ sessionStore: cache, cipherSuites: [both[1]!] }), cctx, session);
    expect(r.ch.legacySessionId).toEqual(session.sessionId);
    expectFull(r);
    expect(r.client.cipherSuite?.id).toBe(both[1]);
  });

  it("a resumed session keeps its suite even when the server's order now prefers another", () => {
    const cache = new MemorySessionCache();
    const both = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    // The first server follows the client's order ('order': not the default choice of the fastest AEAD): a session in both[0] ...
    const session = connect(serverCtx({ sessionStore: cache, aeadPreference: 'order' }), clientCtx({ cipherSuites: both })).cw.sessions[0]!;
    expect(session.cipherSuite).toBe(both[0]);
    // ... and the second prefers both[1], by its own order and by the client's.
    const r = connect(
      serverCtx({ sessionStore: cache, cipherSuites: [both[1]!, both[0]!], honorCipherOrder: true, aeadPreference: 'order' }),
      clientCtx({ cipherSuites: [both[1]!, both[0]!] }),
      session,
    );
    expectResumed(r, session);
    expect(r.server.cipherSuite?.id).toBe(both[0]);
  });

  it('sessionStore: null: an empty session ID, no session for the client, and never a resumption', () => {
    const sctx = serverCtx({ sessionStore: null });
    const r = connect(sctx, clientCtx());
    expect(r.sh.legacySessionIdEcho).toHaveLength(0);
    expect(r.cw.sessions).toHaveLength(0);
    // A session from another server is offered but cannot be resumed here.
    const elsewhere = connect(serverCtx(), clientCtx()).cw.sessions[0]!;
    const again = connect(sctx, clientCtx(), elsewhere);
    expect(again.ch.legacySessionId).toEqual(elsewhere.sessionId);
    expectFull(again);
    expect(again.sh.legacySessionIdEcho).toHaveLength(0);
  });

  it('a server that requires a client certificate does not resume a session made without one (a cache shared with a server that asked for none)', () => {
    const cache = new MemorySessionCache();
    const clientKey = { chain: serverCert(otherChain).chain, key: serverCert(otherChain).key };
    const cctx = clientCtx({ certificate: clientKey });
    const session = connect(serverCtx({ sessionStore: cache }), cctx).cw.sessions[0]!;
    const strict = serverCtx({ sessionStore: cache, requestCert: true, requireCert: true, verifier: verifierFor(otherChain) });
    const r = connect(strict, cctx, session);
    expect(r.server.isSessionReused).toBe(false);
    expect(r.server.peerCertificates[0]).toEqual(new Uint8Array(otherChain.leaf.certDer));
  });

  it("a session from a server with another certificate is resumed only with that server's cache; elsewhere the new certificate is accepted in a full handshake", () => {
    const session = connect(serverCtx(), clientCtx()).cw.sessions[0]!;
    const other = new TlsContext({ certificate: serverCert(otherChain), ticketCodec: null });
    const r = connect(other, clientCtx({ verifier: verifierFor(otherChain) }), session);
    expectFull(r);
    expect(r.client.peerCertificates[0]).toEqual(new Uint8Array(otherChain.leaf.certDer));
  });
});

describe('Session.toBytes / Session.fromBytes (TLS 1.2)', () => {
  it('round-trips every field, and the decoded session resumes', () => {
    const sctx = serverCtx({ alpnProtocols: ['http/1.1'] });
    const cctx = clientCtx({ alpnProtocols: ['http/1.1'] });
    const session = connect(sctx, cctx).cw.sessions[0]!;
    const bytes = session.toBytes();
    const back = Session.fromBytes(bytes);
    for (const k of ['version', 'cipherSuite', 'secret', 'ticket', 'sessionId', 'extendedMasterSecret', 'ticketAgeAdd', 'lifetimeSeconds', 'receivedAtMs', 'serverName', 'alpn', 'maxEarlyData', 'peerCertificates'] as const) {
      expect(back[k], k).toEqual(session[k]);
    }
    expect(back.toBytes()).toEqual(bytes);
    expectResumed(connect(sctx, cctx, back), session);
  });

  it('refuses corrupt encodings and unknown versions with TypeError', () => {
    const session = connect(serverCtx(), clientCtx()).cw.sessions[0]!;
    const bytes = session.toBytes();
    const variant = (f: (b: Uint8Array) => Uint8Array) => () => Session.fromBytes(f(bytes.slice()));
    // "PTS" + encoding version 3 (2 is still read, test/ssl/session.test.ts): versions 1 and 4 are not this encoding.
    expect([...bytes.subarray(0, 4)]).toEqual([0x50, 0x54, 0x53, 0x03]);
    expect(variant((b) => ((b[3] = 1), b))).toThrow(TypeError);
    expect(variant((b) => ((b[3] = 4), b))).toThrow(TypeError);
    expect(variant((b) => ((b[0] = 0x51), b))).toThrow(TypeError);
    expect(variant((b) => b.subarray(0, b.length - 1))).toThrow(TypeError);
    expect(variant((b) => b.subarray(0, 10))).toThrow(TypeError);
    expect(variant(() => new Uint8Array(0))).toThrow(TypeError);
    expect(variant((b) => Uint8Array.of(...b, 0))).toThrow(TypeError);
    // extended_master_secret flag (after magic 4, version 2, suite 2, secret 1+48, ticket 2+0, session id 1+32) must be 0 or 1.
    expect(bytes[92]).toBe(1);
    expect(variant((b) => ((b[92] = 2), b))).toThrow(TypeError);
    // A secret length outside 32..64.
    expect(variant((b) => ((b[8] = 20), b))).toThrow(TypeError);
    expect(() => Session.fromBytes('nope' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
