/**
 * Post-handshake client authentication (RFC 8446 §4.6.2) between our client
 * and our server: verifyClientPostHandshake() as a pending action, the
 * client's post_handshake_auth and its answer, the server's checks, and the
 * tickets that follow (SSL_set_num_tickets.pod).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType, HandshakeType as H, ProtocolVersion } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { Certificate13, CertificateRequest13, Finished } from '../../src/messages/messages13.js';
import { concat } from '../../src/common/bytes.js';
import { makeExtension } from '../../src/messages/extensions.js';
import { SignatureAlgorithmsExt } from '../../src/messages/index.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Session } from '../../src/session/session.js';
import type { Chain } from '../helpers/keys.js';
import { certifiedKey, chainFor, drive, handshake, serverCert, verifierFor } from '../helpers/pair.js';
import { clientSealer, collectSecrets, expectFatal, recordOpener, thrown } from '../ssl/support.js';

let chain: Chain;
let other: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
  other = await chainFor('ed25519');
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : '');
const clientCert = () => certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]);

interface Setup {
  client: Connection;
  server: Connection;
  sent: { client: number[]; server: number[] };
  issued: Session[];
  sessions: Session[];
  auth: (readonly Uint8Array[])[];
}

function setup(server: TlsContextOptions = {}, client: TlsContextOptions = {}, session?: Session): Setup {
  const srv = new Connection(new TlsContext({ certificate: serverCert(chain), verifier: verifierFor(chain), ...server }), 'server');
  const cli = new Connection(
    new TlsContext({ verifier: verifierFor(chain), postHandshakeAuth: true, certificate: clientCert(), ...client }),
    'client',
    { serverName: 'localhost', ...(session ? { session } : {}) },
  );
  const s: Setup = { client: cli, server: srv, sent: { client: [], server: [] }, issued: [], sessions: [], auth: [] };
  cli.on('message', (m) => m.direction === 'sent' && s.sent.client.push(m.type));
  srv.on('message', (m) => m.direction === 'sent' && s.sent.server.push(m.type));
  srv.on('newSession', (x) => s.issued.push(x));
  cli.on('session', (x) => s.sessions.push(x));
  srv.on('postHandshakeAuth', (e) => s.auth.push(e.peerCertificates));
  handshake(s);
  drive(cli, srv);
  s.sent.client.length = 0;
  s.sent.server.length = 0;
  s.issued.length = 0;
  s.sessions.length = 0;
  return s;
}

describe('verifyClientPostHandshake (SSL_verify_client_post_handshake)', () => {
  it('the client sends post_handshake_auth only when configured; the server records it', () => {
    expect(setup().server.negotiated.postHandshakeAuth).toBe(true);
    expect(setup({}, { postHandshakeAuth: false }).server.negotiated.postHandshakeAuth).toBe(false);
  });

  it('a pending action: nothing goes out until the next write; then CertificateRequest before that write\'s data', () => {
    const s = setup();
    expect(s.server.verifyClientPostHandshake()).toBe(true);
    expect(s.server.takeOutgoing()).toBeNull();
    s.server.write(enc('hello'));
    expect(s.sent.server).toEqual([H.certificate_request]);
    s.client.receive(s.server.takeOutgoing()!);
    expect(dec(s.client.read())).toBe('hello');
    // The client answers at once: Certificate, CertificateVerify, Finished.
    expect(s.sent.client).toEqual([H.certificate, H.certificate_verify, H.finished]);
  });

  it('doHandshake or a read() flushes the request too (OpenSSL s_server calls SSL_do_handshake after it)', () => {
    const a = setup();
    a.server.verifyClientPostHandshake();
    a.server.doHandshake();
    expect(a.sent.server).toEqual([H.certificate_request]);
    const b = setup();
    b.server.verifyClientPostHandshake();
    expect(b.server.read()).toBeNull();
    expect(b.sent.server).toEqual([H.certificate_request]);
  });

  it('"Tickets are also issued on receipt of a post-handshake certificate from the client ... These new tickets will be associated with the updated client identity (i.e. including their certificate and verification status)": the event fires, getNumTickets() tickets carry the chain and peerVerified', () => {
    const s = setup({ requestCert: false });
    expect(s.server.peerCertificates).toEqual([]);
    s.server.setNumTickets(3);
    s.server.verifyClientPostHandshake();
    s.server.doHandshake();
    drive(s.server, s.client);
    expect(s.auth).toHaveLength(1);
    expect(s.auth[0]!.map((c) => [...c])).toEqual(clientCert().chain.map((c) => [...c]));
    expect(s.server.peerCertificates).toBe(s.auth[0]);
    expect(s.server.peerVerification?.authorized).toBe(true);
    expect(s.sent.server).toEqual([H.certificate_request, H.new_session_ticket, H.new_session_ticket, H.new_session_ticket]);
    expect(s.issued).toHaveLength(3);
    for (const t of s.issued) expect(t.peerCertificates).toEqual(s.auth[0]);
    // The verification result travels with them (SSL_SESSION_get_verify_result).
    for (const t of s.issued) expect(t.peerVerified).toBe(true);
    expect(s.sessions.every((x) => x.peerVerified)).toBe(true);
    expect(s.sessions).toHaveLength(3);
    // A ticket made after the authentication resumes with the client's identity.
    const srv = new Connection(s.server.config, 'server');
    const cli = new Connection(new TlsContext({ verifier: verifierFor(chain) }), 'client', { serverName: 'localhost', session: s.sessions[2]! });
    handshake({ client: cli, server: srv });
    expect(srv.isSessionReused).toBe(true);
    expect(srv.peerCertificates.map((c) => [...c])).toEqual(clientCert().chain.map((c) => [...c]));
    // Data still flows both ways under the same keys.
    s.client.write(enc('after'));
    drive(s.client, s.server);
    expect(dec(s.server.read())).toBe('after');
  });

  it('"SSL_set_num_tickets() can be called again prior to calling SSL_verify_client_post_handshake()": the count when it is called, not when the answer comes', () => {
    const s = setup();
    s.server.setNumTickets(1);
    s.server.verifyClientPostHandshake();
    s.server.setNumTickets(4);
    s.server.doHandshake();
    drive(s.server, s.client);
    expect(s.issued).toHaveLength(1);
  });

  it('"the number of tickets issued will normally be the same as was used for the initial handshake": one after a resumption', () => {
    const first = setup();
    first.server.write(enc('x'));
    drive(first.server, first.client);
    const ctx = first.server.config;
    expect(ctx).toBeInstanceOf(TlsContext);
    // Resume against a server on the same context (its ticket codec opens the ticket).
    const srv = new Connection(ctx, 'server');
    const cli = new Connection(new TlsContext({ verifier: verifierFor(chain), postHandshakeAuth: true, certificate: clientCert() }), 'client', { serverName: 'localhost', session: first.client.session! });
    handshake({ client: cli, server: srv });
    drive(cli, srv);
    expect(srv.isSessionReused).toBe(true);
    const issued: Session[] = [];
    srv.on('newSession', (x) => issued.push(x));
    srv.verifyClientPostHandshake();
    srv.doHandshake();
    drive(srv, cli);
    expect(issued).toHaveLength(1);
    expect(issued[0]!.peerCertificates).toHaveLength(2);
  });

  it('ticket app data set on the session before the request is kept in the tickets that follow', () => {
    const s = setup();
    s.server.session!.setTicketAppData(enc('user=42'));
    s.server.verifyClientPostHandshake();
    s.server.doHandshake();
    drive(s.server, s.client);
    expect(s.issued.map((t) => dec(t.getTicketAppData()))).toEqual(['user=42', 'user=42']);
    expect(dec(s.server.session!.getTicketAppData())).toBe('user=42');
    expect(s.server.session!.peerCertificates).toHaveLength(2);
  });

  it('a client without a certificate answers Certificate (empty) and Finished; accepted unless requireCert', () => {
    const s = setup({}, { certificate: undefined });
    s.server.verifyClientPostHandshake();
    s.server.doHandshake();
    drive(s.server, s.client);
    expect(s.sent.client).toEqual([H.certificate, H.finished]);
    expect(s.auth).toEqual([[]]);
    expect(s.server.peerCertificates).toEqual([]);
    expect(s.issued).toHaveLength(2);
  });

  it('with requireCert, an empty answer is certificate_required (RFC 8446 §4.4.2.4)', () => {
    const s = setup({ requireCert: true, requestCert: false }, { certificate: undefined });
    // requireCert with requestCert false: the handshake asked for nothing; the post-handshake request requires one.
    s.server.verifyClientPostHandshake();
    s.server.doHandshake();
    s.client.receive(s.server.takeOutgoing()!);
    expectFatal(s.server, () => s.server.receive(s.client.takeOutgoing()!), 'ERR_TLS_CERTIFICATE_REQUIRED', AlertDescription.certificate_required);
    expect(s.auth).toEqual([]);
  });

  it('an untrusted client certificate fails the connection (rejectUnauthorized) with nothing committed', () => {
    const s = setup({}, { certificate: certifiedKey(other.leaf, [other.leaf, other.intermediate]) });
    s.server.verifyClientPostHandshake();
    s.server.doHandshake();
    s.client.receive(s.server.takeOutgoing()!);
    const err = thrown(() => s.server.receive(s.client.takeOutgoing()!));
    expect(err.alert).not.toBe(AlertDescription.internal_error);
    expect(err.bug).toBe(false);
    expect(s.auth).toEqual([]);
    expect(s.issued).toEqual([]);
  });

  it('selectClientCertificate chooses the answer; it sees the schemes and postHandshake: true', () => {
    const seen: { postHandshake: boolean; schemes: number }[] = [];
    const s = setup({}, {
      certificate: undefined,
      selectClientCertificate: (req) => {
        seen.push({ postHandshake: req.postHandshake, schemes: req.signatureSchemes.length });
        return clientCert();
      },
    });
    s.server.verifyClientPostHandshake();
    s.server.doHandshake();
    drive(s.server, s.client);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.postHandshake).toBe(true);
    expect(seen[0]!.schemes).toBeGreaterThan(0);
    expect(s.auth[0]).toHaveLength(2);
  });

  it('application data the client sent before it saw the request is read while the answer is awaited', () => {
    const s = setup();
    s.server.verifyClientPostHandshake();
    s.server.doHandshake();
    s.client.write(enc('crossing'));
    s.server.receive(s.client.takeOutgoing()!);
    expect(dec(s.server.read())).toBe('crossing');
    drive(s.server, s.client);
    expect(s.auth).toHaveLength(1);
  });

  it('two requests in a row: each its own exchange over the handshake transcript, both verified', () => {
    const s = setup();
    for (let i = 0; i < 2; i++) {
      s.server.verifyClientPostHandshake();
      s.server.doHandshake();
      drive(s.server, s.client);
    }
    expect(s.auth).toHaveLength(2);
    expect(s.sent.server.filter((t) => t === H.certificate_request)).toHaveLength(2);
  });
});

describe('verifyClientPostHandshake at the wrong time: a typed error, nothing changed', () => {
  it('on a client, before the handshake, after close, on TLS 1.2, without post_handshake_auth, while pending or unanswered', () => {
    const s = setup();
    expect(thrown(() => s.client.verifyClientPostHandshake()).code).toBe('ERR_TLS_INVALID_STATE');
    const fresh = new Connection(new TlsContext({ certificate: serverCert(chain) }), 'server');
    expect(thrown(() => fresh.verifyClientPostHandshake()).message).toMatch(/handshake is not complete/);
    const none = setup({}, { postHandshakeAuth: false });
    expect(thrown(() => none.server.verifyClientPostHandshake()).message).toMatch(/did not send post_handshake_auth/);
    expect(none.server.takeOutgoing()).toBeNull();
    const tls12 = setup({ maxVersion: ProtocolVersion.TLSv1_2 });
    expect(thrown(() => tls12.server.verifyClientPostHandshake()).message).toMatch(/TLS 1.3 only/);
    s.server.verifyClientPostHandshake();
    expect(thrown(() => s.server.verifyClientPostHandshake()).message).toMatch(/already pending/);
    s.server.doHandshake();
    expect(thrown(() => s.server.verifyClientPostHandshake()).message).toMatch(/sent and unanswered/);
    expect(s.sent.server).toEqual([H.certificate_request]);
    drive(s.server, s.client);
    expect(s.auth).toHaveLength(1);
    expect(s.server.verifyClientPostHandshake()).toBe(true);
    const closed = setup();
    closed.server.close();
    expect(thrown(() => closed.server.verifyClientPostHandshake()).message).toMatch(/closed/);
  });
});

describe('what the peers refuse', () => {
  it('a CertificateRequest to a client that did not send post_handshake_auth: unexpected_message (RFC 8446 §4.6.2)', () => {
    const srv = new Connection(new TlsContext({ certificate: serverCert(chain), numTickets: 0 }), 'server');
    const cli = new Connection(new TlsContext({ verifier: verifierFor(chain) }), 'client', { serverName: 'localhost' });
    const secrets = collectSecrets(srv);
    handshake({ client: cli, server: srv });
    const cr = encodeHandshake(new CertificateRequest13(new Uint8Array(32), [makeExtension(SignatureAlgorithmsExt, [0x0403])]));
    const record = clientSealer(secrets, 'SERVER_TRAFFIC_SECRET_0').seal(ContentType.handshake, cr);
    expectFatal(cli, () => cli.receive(record), 'ERR_TLS_UNEXPECTED_MESSAGE', AlertDescription.unexpected_message);
  });

  /** A server (no tickets) that sent its CertificateRequest; the request's context, read under its key log. */
  function requested(): { s: Setup; context: Uint8Array; seal: (msgs: Uint8Array[]) => Uint8Array } {
    const srv = new Connection(new TlsContext({ certificate: serverCert(chain), numTickets: 0 }), 'server');
    const cli = new Connection(new TlsContext({ verifier: verifierFor(chain), postHandshakeAuth: true }), 'client', { serverName: 'localhost' });
    const serverSecrets = collectSecrets(srv);
    const clientSecrets = collectSecrets(cli);
    handshake({ client: cli, server: srv });
    srv.verifyClientPostHandshake();
    srv.doHandshake();
    const out = srv.takeOutgoing()!;
    const open = recordOpener(serverSecrets, 'SERVER_TRAFFIC_SECRET_0');
    const rec = open.open({ type: out[0]!, version: 0x0303, header: out.subarray(0, 5), fragment: out.subarray(5) });
    const cr = CertificateRequest13.decode(rec.data.subarray(4));
    const sealer = clientSealer(clientSecrets);
    const s = { client: cli, server: srv, sent: { client: [], server: [] }, issued: [], sessions: [], auth: [] };
    return { s, context: cr.context, seal: (msgs) => sealer.seal(ContentType.handshake, concat(...msgs)) };
  }

  it('the server sends a fresh 32-byte certificate_request_context and signature_algorithms', () => {
    const a = requested();
    const b = requested();
    expect(a.context).toHaveLength(32);
    expect(a.context).not.toEqual(b.context);
  });

  it("a client's Certificate with another context: illegal_parameter (RFC 8446 §4.4.2)", () => {
    const r = requested();
    const wrong = r.context.slice();
    wrong[0] ^= 1;
    const cert = encodeHandshake(new Certificate13(wrong, []));
    expectFatal(r.s.server, () => r.s.server.receive(r.seal([cert])), 'ERR_TLS_ILLEGAL_PARAMETER', AlertDescription.illegal_parameter);
  });

  it("a wrong post-handshake Finished: decrypt_error (RFC 8446 §4.4.4), no identity committed", () => {
    const r = requested();
    const cert = encodeHandshake(new Certificate13(r.context, []));
    const fin = encodeHandshake(new Finished(new Uint8Array(32)));
    expectFatal(r.s.server, () => r.s.server.receive(r.seal([cert, fin])), 'ERR_TLS_DECRYPT_ERROR', AlertDescription.decrypt_error);
  });

  it('a Finished before the Certificate: unexpected_message', () => {
    const r = requested();
    const fin = encodeHandshake(new Finished(new Uint8Array(32)));
    expectFatal(r.s.server, () => r.s.server.receive(r.seal([fin])), 'ERR_TLS_UNEXPECTED_MESSAGE', AlertDescription.unexpected_message);
  });
});

describe('the server session (SSL_get_session) exists once the handshake is done', () => {
  it('also with numTickets 0: app data set on it goes into the first newSessionTicket()', () => {
    const s = setup({ numTickets: 0 });
    expect(s.issued).toHaveLength(0);
    expect(s.server.session).toBeDefined();
    s.server.session!.setTicketAppData(enc('late'));
    s.server.newSessionTicket();
    s.server.write(enc('x'));
    drive(s.server, s.client);
    expect(s.issued.map((t) => dec(t.getTicketAppData()))).toEqual(['late']);
  });
});
