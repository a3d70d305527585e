/**
 * TLS 1.2 renegotiation (RFC 5246 §7.4.1, RFC 5746 secure renegotiation):
 * full and abbreviated, started by either side, with application data
 * written both ways while the new handshake is in flight: what an end writes
 * during its own renegotiation is held and sent after its Finished, in order
 * (as OpenSSL's SSL_write; OpenSSL and GnuTLS peers refuse data inside their
 * handshake), what it writes while not renegotiating goes out at once, and
 * data received during a renegotiation is accepted; the committed
 * result replaced only at its end; HelloRequest during a handshake ignored;
 * refusal (no_renegotiation) and the limits on renegotiations a peer may
 * start; and RFC 5746's checks (renegotiation_info, SCSV, the peer's
 * identity), driven through a man in the middle that knows the keys.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { CipherSuite, ContentType, ExtensionType, HandshakeType } from '../../src/common/constants.js';
import { AlertDescription, AlertLevel } from '../../src/common/errors.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ClientHello, ServerHello } from '../../src/messages/hello.js';
import { makeExtension, type Extension } from '../../src/messages/extensions.js';
import { RenegotiationInfoExt } from '../../src/messages/index.js';
import { Certificate12, HelloRequest } from '../../src/messages/messages12.js';
import type { Connection } from '../../src/ssl/connection.js';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { certifiedKey, chainFor, drive, handshake, serverCert, verifierFor } from '../helpers/pair.js';
import {
  clocked,
  dec,
  editClientHello,
  editServerHello,
  enc,
  expectFatal12,
  expectInvalidState,
  failsAt,
  Mitm12,
  onClientHello,
  onServerHello,
  pair12,
  plainRecord,
  protectedLength12,
  records,
  watch,
  wireLogged,
  without,
  type Dir,
} from './support12.js';

let chain: Chain;
let otherChain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
  otherChain = await chainFor('p384');
});

const ACCEPT = { renegotiation: { acceptClientInitiated: true } } as const;
const RI = ExtensionType.renegotiation_info;
const types = (buf: Uint8Array | null): number[] => (buf === null ? [] : records(buf).map((r) => r.type));

function established(server: TlsContextOptions = {}, client: TlsContextOptions = {}) {
  const p = pair12(chain, server, client);
  const cw = watch(p.client);
  const sw = watch(p.server);
  handshake(p);
  return { ...p, cw, sw };
}

/**
 * Through a man in the middle (the tests below rewrite the renegotiation's
 * messages, inject records, or read the wire): `wire` logs what each end sent,
 * in wire order (see wireLogged).
 */
function establishedMitm(server: TlsContextOptions = {}, client: TlsContextOptions = {}, onMessage?: (dir: Dir, raw: Uint8Array, handshakes: number) => Uint8Array | Uint8Array[]) {
  const p = pair12(chain, server, client);
  const cw = watch(p.client);
  const sw = watch(p.server);
  let hellos = 0;
  const { log: wire, hooks } = wireLogged((dir, raw) => {
    if (dir === 'c2s' && raw[0] === HandshakeType.client_hello) hellos++;
    return onMessage ? onMessage(dir, raw, hellos) : raw;
  });
  const m = new Mitm12(p.client, p.server, hooks);
  p.client.doHandshake();
  m.drive();
  expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
  /** What each end sent from here on (the first handshake left out). */
  const from = { c2s: wire.c2s.length, s2c: wire.s2c.length };
  const sent = (dir: Dir): string[] => wire[dir].slice(from[dir]);
  return { ...p, cw, sw, m, sent };
}

function roundTrip(a: Connection, b: Connection, text: string): void {
  a.write(enc(text));
  drive(a, b);
  expect(dec(b.read())).toBe(text);
}

/** roundTrip through the man in the middle. */
function roundTripVia(m: Mitm12, a: Connection, b: Connection, text: string): void {
  a.write(enc(text));
  m.drive();
  expect(dec(b.read())).toBe(text);
}

const HS = ContentType.handshake;
const CCS = ContentType.change_cipher_spec;
const DATA = ContentType.application_data;

describe('renegotiation with application data in flight both ways', () => {
  it('client renegotiate(): a full handshake; the data the client writes meanwhile is held and follows the last Finished, in order; the result is replaced only at the end', () => {
    const p = establishedMitm(ACCEPT);
    const oldClient = p.client.negotiated;
    const oldServer = p.server.negotiated;
    const oldExport = p.client.exportKeyingMaterial(32, 'EXPORTER-x');
    expect(p.client.renegotiate()).toBe(true);
    expect(p.client.renegotiatePending()).toBe(true);
    expect(p.client.takeOutgoing()).toBeNull(); // nothing before the next read/write/doHandshake
    // Flight 1: the write flushes the ClientHello (protected, type handshake); its data waits for the end of the handshake.
    p.client.write(enc('c1'));
    expect(p.client.renegotiatePending()).toBe(false);
    expect(p.client.handshaking).toBe(true);
    const f1 = p.client.takeOutgoing()!;
    expect(types(f1)).toEqual([HS]);
    // The server has not seen the ClientHello yet: it is not renegotiating, its data goes out at once ...
    expect(p.server.handshaking).toBe(false);
    p.server.write(enc('s0'));
    const s0 = p.server.takeOutgoing()!;
    expect(types(s0)).toEqual([DATA]);
    // ... and the client, in its renegotiation, accepts it.
    p.client.receive(p.m.forward('s2c', s0));
    expect(dec(p.client.read())).toBe('s0');
    expect(p.client.takeOutgoing()).toBeNull(); // c1 is still held
    p.server.receive(p.m.forward('c2s', f1));
    expect(p.server.read()).toBeNull();
    expect(p.server.handshaking).toBe(true);
    expect(p.server.negotiated).toBe(oldServer);
    // Flight 2: ServerHello ... ServerHelloDone; the server renegotiates now, so its data waits too.
    p.server.write(enc('s1'));
    const f2 = p.server.takeOutgoing()!;
    expect(types(f2)).toEqual([HS]);
    p.client.receive(p.m.forward('s2c', f2));
    expect(p.client.read()).toBeNull();
    expect(p.client.negotiated).toBe(oldClient);
    expect(p.client.exportKeyingMaterial(32, 'EXPORTER-x')).toEqual(oldExport);
    p.client.write(enc('c2'));
    // Flight 3: ClientKeyExchange, ChangeCipherSpec (protected under the old keys), Finished; no data.
    const f3 = p.client.takeOutgoing()!;
    expect(types(f3)).toEqual([HS, CCS, HS]);
    expect(records(f3)[1]!.fragment.length).toBe(protectedLength12(p.client.cipherSuite!, 1)); // the CCS byte, protected
    expect(p.client.negotiated).toBe(oldClient);
    expect(p.client.handshaking).toBe(true);
    // Until the server's Finished nothing more leaves the client, whatever it calls.
    p.client.doHandshake();
    expect(p.client.read()).toBeNull();
    expect(p.client.takeOutgoing()).toBeNull();
    p.server.receive(p.m.forward('c2s', f3));
    expect(p.server.read()).toBeNull(); // c1 and c2 are still held by the client
    expect(p.server.handshaking).toBe(false);
    expect(p.server.negotiated).not.toBe(oldServer);
    // Flight 4: a NewSessionTicket (the renegotiation's ClientHello asked for one, RFC 5077 §3.3), the server's
    // ChangeCipherSpec and Finished release s1; s2, written now, follows at once.
    p.server.write(enc('s2'));
    const f4 = p.server.takeOutgoing()!;
    expect(types(f4)).toEqual([HS, CCS, HS, DATA, DATA]);
    expect(p.client.negotiated).toBe(oldClient);
    p.client.receive(p.m.forward('s2c', f4));
    expect(dec(p.client.read())).toBe('s1s2');
    expect(p.client.handshaking).toBe(false);
    // The client's handshake is complete: its held data goes out, in order, under the new keys.
    const f5 = p.client.takeOutgoing()!;
    expect(types(f5)).toEqual([DATA, DATA]);
    p.server.receive(p.m.forward('c2s', f5));
    expect(dec(p.server.read())).toBe('c1c2');
    // On the wire, as each end sent it: the data of each end's renegotiation after its Finished.
    expect(p.sent('c2s')).toEqual(['client_hello', 'client_key_exchange', 'CCS', 'finished', 'data:c1', 'data:c2']);
    expect(p.sent('s2c')).toEqual(['data:s0', 'server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'new_session_ticket', 'CCS', 'finished', 'data:s1', 'data:s2']);
    // The new result, committed at once.
    const now = p.client.negotiated;
    expect(now).not.toBe(oldClient);
    expect(Object.isFrozen(now)).toBe(true);
    expect(now.finished).not.toEqual(oldClient.finished);
    expect(now.peerFinished).not.toEqual(oldClient.peerFinished);
    expect(now.finished).toEqual(p.server.negotiated.peerFinished);
    expect(now.peerFinished).toEqual(p.server.negotiated.finished);
    expect(p.client.isSessionReused).toBe(false);
    expect(p.cw.handshakes).toBe(2);
    expect(p.sw.handshakes).toBe(2);
    expect(p.cw.sent).toEqual([1, 16, 20, 1, 16, 20]);
    expect(p.sw.sent).toEqual([2, 11, 12, 14, 4, 20, 2, 11, 12, 14, 4, 20]);
    // Each full handshake gave the client a session with its own ticket.
    expect(p.cw.sessions).toHaveLength(2);
    expect(p.cw.sessions[1]!.ticket.length).toBeGreaterThan(0);
    expect(p.cw.sessions[1]!.ticket).not.toEqual(p.cw.sessions[0]!.ticket);
    // A new master secret (two key log lines, the same on both ends) and a new exporter.
    expect(p.cw.keylog).toHaveLength(2);
    expect(p.sw.keylog).toEqual(p.cw.keylog);
    expect(p.cw.keylog[1]).not.toEqual(p.cw.keylog[0]);
    const newExport = p.client.exportKeyingMaterial(32, 'EXPORTER-x');
    expect(newExport).not.toEqual(oldExport);
    expect(newExport).toEqual(p.server.exportKeyingMaterial(32, 'EXPORTER-x'));
    roundTripVia(p.m, p.client, p.server, 'after');
    roundTripVia(p.m, p.server, p.client, 'after too');
  });

  it('application data a peer sends between any two flights of the renegotiation is accepted and readable at once (RFC 5246 §6.2.1; a peer other than puretls may send it)', () => {
    const p = establishedMitm(ACCEPT);
    const data = (dir: Dir, text: string) => p.m.inject(dir, DATA, enc(text));
    p.client.renegotiate();
    p.client.doHandshake();
    // The ClientHello, then data from the client: the server is renegotiating when it arrives.
    p.server.receive(concat(p.m.forward('c2s', p.client.takeOutgoing()!), data('c2s', 'c1')));
    expect(p.server.handshaking).toBe(true);
    expect(dec(p.server.read())).toBe('c1');
    // ServerHello ... ServerHelloDone, then data from the server.
    p.client.receive(concat(p.m.forward('s2c', p.server.takeOutgoing()!), data('s2c', 's1')));
    expect(p.client.handshaking).toBe(true);
    expect(dec(p.client.read())).toBe('s1');
    // ClientKeyExchange, data (under the old keys), then ChangeCipherSpec and Finished.
    const [cke, ccs, fin] = records(p.client.takeOutgoing()!);
    p.server.receive(p.m.forward('c2s', cke!.bytes));
    p.server.receive(data('c2s', 'c2'));
    expect(p.server.handshaking).toBe(true);
    expect(dec(p.server.read())).toBe('c2');
    p.server.receive(concat(p.m.forward('c2s', ccs!.bytes), p.m.forward('c2s', fin!.bytes)));
    expect(p.server.handshaking).toBe(false);
    // Data (under the old keys) before the server's ChangeCipherSpec and Finished.
    const last = p.server.takeOutgoing()!;
    p.client.receive(data('s2c', 's2'));
    expect(p.client.handshaking).toBe(true);
    expect(dec(p.client.read())).toBe('s2');
    p.client.receive(p.m.forward('s2c', last));
    expect(p.client.handshaking).toBe(false);
    expect(p.client.failure).toBeNull();
    expect(p.server.failure).toBeNull();
    expect(p.cw.handshakes).toBe(2);
    expect(p.sw.handshakes).toBe(2);
    expect(p.client.negotiated.finished).toEqual(p.server.negotiated.peerFinished);
    roundTripVia(p.m, p.client, p.server, 'after');
    roundTripVia(p.m, p.server, p.client, 'after too');
  });

  it('client renegotiateAbbreviated(): the current session is resumed; the data of each end waits for its Finished, then arrives in order', () => {
    const p = establishedMitm(ACCEPT);
    const session = p.cw.sessions[0]!;
    const old = p.client.negotiated;
    expect(p.client.renegotiateAbbreviated()).toBe(true);
    p.client.write(enc('a'));
    const f1 = p.client.takeOutgoing()!;
    expect(types(f1)).toEqual([HS]); // the ClientHello; 'a' is held
    p.server.receive(p.m.forward('c2s', f1));
    expect(p.server.read()).toBeNull();
    expect(p.server.handshaking).toBe(true);
    p.server.write(enc('b'));
    const f2 = p.server.takeOutgoing()!;
    // ServerHello, ChangeCipherSpec, Finished; 'b' waits for the client's Finished.
    expect(types(f2)).toEqual([HS, CCS, HS]);
    p.client.receive(p.m.forward('s2c', f2));
    expect(p.client.read()).toBeNull();
    expect(p.client.handshaking).toBe(false);
    expect(p.client.isSessionReused).toBe(true);
    expect(p.server.negotiated.resumed).toBe(false); // the server still waits for the client's Finished
    expect(p.server.handshaking).toBe(true);
    p.client.write(enc('c'));
    // ChangeCipherSpec, Finished, then the held 'a' and the new 'c' (under the new keys).
    const f3 = p.client.takeOutgoing()!;
    expect(types(f3)).toEqual([CCS, HS, DATA, DATA]);
    p.server.receive(p.m.forward('c2s', f3));
    expect(dec(p.server.read())).toBe('ac');
    expect(p.server.handshaking).toBe(false);
    expect(p.server.isSessionReused).toBe(true);
    // The server's handshake is complete: 'b' goes out.
    const f4 = p.server.takeOutgoing()!;
    expect(types(f4)).toEqual([DATA]);
    p.client.receive(p.m.forward('s2c', f4));
    expect(dec(p.client.read())).toBe('b');
    expect(p.sent('c2s')).toEqual(['client_hello', 'CCS', 'finished', 'data:a', 'data:c']);
    expect(p.sent('s2c')).toEqual(['server_hello', 'CCS', 'finished', 'data:b']);
    expect(old.resumed).toBe(false);
    // The first handshake: ClientHello, ClientKeyExchange, Finished / ServerHello ... ServerHelloDone, NewSessionTicket, Finished.
    // The session is resumed by its ticket, which is not renewed (SUCCESS: USE, the TLS 1.2 default).
    expect(p.cw.sent.slice(3)).toEqual([HandshakeType.client_hello, HandshakeType.finished]);
    expect(p.sw.sent.slice(6)).toEqual([HandshakeType.server_hello, HandshakeType.finished]);
    expect(p.cw.sessions).toHaveLength(1);
    expect(p.cw.handshakes).toBe(2);
    expect(p.sw.handshakes).toBe(2);
    expect(p.cw.keylog[1]!.split(' ')[2]).toBe(Buffer.from(session.secret).toString('hex'));
    expect(p.client.negotiated.finished).not.toEqual(old.finished);
    roundTripVia(p.m, p.server, p.client, 'done');
  });

  it('server renegotiate(): HelloRequest and the data of the same write at once; the client renegotiates, resuming the current session; the data written during it follows each Finished', () => {
    const p = establishedMitm();
    const old = p.server.negotiated;
    expect(p.server.renegotiate()).toBe(true);
    expect(p.server.renegotiatePending()).toBe(true);
    p.server.write(enc('s0'));
    expect(p.server.renegotiatePending()).toBe(false);
    expect(p.server.handshaking).toBe(false); // nothing runs until the client's ClientHello
    const hr = p.server.takeOutgoing()!;
    // Not renegotiating yet: the data of the write follows the HelloRequest at once.
    expect(types(hr)).toEqual([HS, DATA]);
    expect(records(hr)[0]!.fragment.length).toBe(protectedLength12(p.server.cipherSuite!, 4)); // HelloRequest: a 4-byte message
    expect(p.sw.sent.at(-1)).toBe(HandshakeType.hello_request);
    p.client.receive(p.m.forward('s2c', hr));
    expect(dec(p.client.read())).toBe('s0');
    expect(p.client.handshaking).toBe(true);
    // Answering the HelloRequest, the client renegotiates: its data waits.
    p.client.write(enc('c0'));
    const ch = p.client.takeOutgoing()!;
    expect(types(ch)).toEqual([HS]);
    p.server.receive(p.m.forward('c2s', ch));
    expect(p.server.read()).toBeNull();
    expect(p.server.handshaking).toBe(true);
    expect(p.server.negotiated).toBe(old);
    // Now the server renegotiates too: its data waits.
    p.server.write(enc('s1'));
    const f2 = p.server.takeOutgoing()!;
    expect(types(f2)).toEqual([HS, CCS, HS]); // ServerHello, ChangeCipherSpec, Finished (resumed)
    p.client.receive(p.m.forward('s2c', f2));
    expect(p.client.read()).toBeNull();
    expect(p.client.handshaking).toBe(false);
    const f3 = p.client.takeOutgoing()!;
    expect(types(f3)).toEqual([CCS, HS, DATA]);
    p.server.receive(p.m.forward('c2s', f3));
    expect(dec(p.server.read())).toBe('c0');
    expect(p.server.handshaking).toBe(false);
    const f4 = p.server.takeOutgoing()!;
    expect(types(f4)).toEqual([DATA]);
    p.client.receive(p.m.forward('s2c', f4));
    expect(dec(p.client.read())).toBe('s1');
    expect(p.sent('s2c')).toEqual(['hello_request', 'data:s0', 'server_hello', 'CCS', 'finished', 'data:s1']);
    expect(p.sent('c2s')).toEqual(['client_hello', 'CCS', 'finished', 'data:c0']);
    expect(p.client.isSessionReused).toBe(true);
    expect(p.server.isSessionReused).toBe(true);
    expect(p.sw.handshakes).toBe(2);
    expect(p.cw.handshakes).toBe(2);
    expect(p.server.negotiated.finished).not.toEqual(old.finished);
    roundTripVia(p.m, p.client, p.server, 'x');
  });

  it('data the client writes in its renegotiation stays queued, off the wire, while the server does not complete it; it goes out when the handshake does', () => {
    const p = establishedMitm(ACCEPT);
    p.client.renegotiate();
    p.client.write(enc('held'));
    p.server.receive(p.m.forward('c2s', p.client.takeOutgoing()!));
    expect(p.server.handshaking).toBe(true);
    const answer = p.server.takeOutgoing()!; // the server's flight is not delivered (yet)
    for (let i = 0; i < 3; i++) {
      expect(p.client.read()).toBeNull();
      p.client.doHandshake();
      p.client.write(new Uint8Array(0));
      expect(p.client.takeOutgoing()).toBeNull();
    }
    expect(p.client.handshaking).toBe(true);
    expect(p.client.failure).toBeNull();
    expect(p.sent('c2s')).toEqual(['client_hello']);
    expect(p.server.read()).toBeNull();
    // Queued, not lost: the handshake completes and the data follows the server's Finished.
    p.client.receive(p.m.forward('s2c', answer));
    p.m.drive();
    expect(dec(p.server.read())).toBe('held');
    expect(p.sent('c2s')).toEqual(['client_hello', 'client_key_exchange', 'CCS', 'finished', 'data:held']);
    expect(p.sent('s2c')).toEqual(['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'new_session_ticket', 'CCS', 'finished']);
  });

  it("data the server writes in the renegotiation stays queued, off the wire, while the client does not complete it; it goes out after the server's Finished", () => {
    const p = establishedMitm(ACCEPT);
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.m.forward('c2s', p.client.takeOutgoing()!));
    p.server.write(enc('held'));
    p.client.receive(p.m.forward('s2c', p.server.takeOutgoing()!));
    const last = p.client.takeOutgoing()!; // ClientKeyExchange, ChangeCipherSpec, Finished: not delivered (yet)
    for (let i = 0; i < 3; i++) {
      expect(p.server.read()).toBeNull();
      p.server.doHandshake();
      p.server.write(new Uint8Array(0));
      expect(p.server.takeOutgoing()).toBeNull();
    }
    expect(p.server.handshaking).toBe(true);
    expect(p.server.failure).toBeNull();
    expect(p.sent('s2c')).toEqual(['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done']);
    expect(p.client.read()).toBeNull();
    p.server.receive(p.m.forward('c2s', last));
    p.m.drive();
    expect(dec(p.client.read())).toBe('held');
    expect(p.sent('s2c')).toEqual(['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'new_session_ticket', 'CCS', 'finished', 'data:held']);
  });

  it('server-initiated, with no session to resume (sessionStore: null, ticketCodec: null): a full handshake', () => {
    const p = established({ sessionStore: null, ticketCodec: null });
    expect(p.cw.sessions).toHaveLength(0);
    p.server.renegotiate();
    p.server.doHandshake();
    drive(p.client, p.server);
    expect(p.client.isSessionReused).toBe(false);
    expect(p.sw.sent.slice(5)).toEqual([HandshakeType.hello_request, 2, 11, 12, 14, 20]);
    expect(p.cw.handshakes).toBe(2);
  });

  it('renegotiations repeat: three in a row, alternating sides, each with new Finished values', () => {
    const p = established(ACCEPT);
    const finished = [p.client.negotiated.finished];
    for (const starter of [p.client, p.server, p.client]) {
      starter.renegotiate();
      starter.doHandshake();
      drive(p.client, p.server);
      finished.push(p.client.negotiated.finished);
      roundTrip(p.client, p.server, 'ok');
    }
    expect(new Set(finished.map((f) => Buffer.from(f!).toString('hex'))).size).toBe(4);
    expect(p.cw.handshakes).toBe(4);
  });

  it('the server asks for a client certificate in a renegotiation (setPeerVerification, node renegotiate({ requestCert })): with no session to resume, a full handshake with the certificate', () => {
    const p = established({ verifier: verifierFor(chain), sessionStore: null, ticketCodec: null }, { certificate: certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]) });
    expect(p.server.peerCertificates).toEqual([]);
    p.server.setPeerVerification({ requestCert: true, rejectUnauthorized: true });
    p.server.renegotiate();
    p.server.doHandshake();
    drive(p.client, p.server);
    expect(p.server.peerCertificates[0]).toEqual(new Uint8Array(chain.leaf.certDer));
    expect(p.server.peerVerification?.authorized).toBe(true);
    expect(p.sw.sent.slice(5)).toEqual([0, 2, 11, 12, 13, 14, 20]);
    expect(p.cw.sent.slice(3)).toEqual([1, 11, 16, 15, 20]);
  });

  it('... and with a session (a ticket) the client offers, made without a certificate, the server does not resume it for that: a full handshake with the certificate (node renegotiate({ requestCert }))', () => {
    const p = established({ verifier: verifierFor(chain) }, { certificate: certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]) });
    expect(p.cw.sessions[0]!.ticket.length).toBeGreaterThan(0);
    p.server.setPeerVerification({ requestCert: true });
    p.server.renegotiate();
    p.server.doHandshake();
    drive(p.client, p.server);
    expect(p.server.isSessionReused).toBe(false);
    expect(p.server.peerCertificates[0]).toEqual(new Uint8Array(chain.leaf.certDer));
    // HelloRequest, then a full handshake with a CertificateRequest (whether a new ticket follows: see tickets.test.ts).
    expect(p.sw.sent.slice(6, 12)).toEqual([0, 2, 11, 12, 13, 14]);
    expect(p.sw.sent.at(-1)).toBe(HandshakeType.finished);
  });

  it('... but a session made with a client certificate is resumed by a renegotiation that asks for one: no new request, the same certificate', () => {
    const p = established({ verifier: verifierFor(chain), requestCert: true }, { certificate: certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]) });
    expect(p.server.peerCertificates[0]).toEqual(new Uint8Array(chain.leaf.certDer));
    p.server.setPeerVerification({ requestCert: true });
    p.server.renegotiate();
    p.server.doHandshake();
    drive(p.client, p.server);
    expect(p.server.isSessionReused).toBe(true);
    expect(p.server.peerCertificates[0]).toEqual(new Uint8Array(chain.leaf.certDer));
    expect(p.sw.sent.slice(7)).toEqual([0, 2, 20]);
  });

  it('with requireCert for the renegotiation, a session made without a client certificate is not resumed: a full handshake obtains the certificate', () => {
    const p = established({ verifier: verifierFor(chain) }, { certificate: certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]) });
    p.server.setPeerVerification({ requestCert: true, requireCert: true });
    p.server.renegotiate();
    p.server.doHandshake();
    drive(p.client, p.server);
    expect(p.sw.handshakes).toBe(2);
    expect(p.server.isSessionReused).toBe(false);
    expect(p.server.peerCertificates[0]).toEqual(new Uint8Array(chain.leaf.certDer));
  });
});

describe('HelloRequest while the client negotiates is ignored (RFC 5246 §7.4.1.1)', () => {
  it('a second HelloRequest arriving during the renegotiation the first one started', () => {
    const p = established();
    p.server.renegotiate();
    p.server.doHandshake();
    p.server.renegotiate(); // allowed: no handshake runs until the client answers
    p.server.doHandshake();
    const both = p.server.takeOutgoing()!;
    // Both HelloRequests in one protected record (4 + 4 bytes).
    expect(types(both)).toEqual([ContentType.handshake]);
    expect(records(both)[0]!.fragment.length).toBe(protectedLength12(p.server.cipherSuite!, 8));
    p.client.receive(both);
    expect(p.cw.received.filter((t) => t === HandshakeType.hello_request)).toHaveLength(1);
    drive(p.client, p.server);
    expect(p.cw.handshakes).toBe(2);
    expect(p.sw.handshakes).toBe(2);
    expect(p.client.failure).toBeNull();
    expect(p.server.failure).toBeNull();
    expect(p.cw.sent.filter((t) => t === HandshakeType.client_hello)).toHaveLength(2);
    roundTrip(p.client, p.server, 'fine');
  });

  it('a HelloRequest during a client-initiated renegotiation', () => {
    const p = establishedMitm(ACCEPT);
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.m.forward('c2s', p.client.takeOutgoing()!));
    const hr = p.m.inject('s2c', ContentType.handshake, encodeHandshake(new HelloRequest()));
    const flight = p.m.forward('s2c', p.server.takeOutgoing()!);
    p.client.receive(concat(hr, flight));
    p.m.drive();
    expect(p.client.failure).toBeNull();
    expect(p.cw.handshakes).toBe(2);
    expect(p.cw.sent.filter((t) => t === HandshakeType.client_hello)).toHaveLength(2);
  });

  it('a HelloRequest during the first handshake, after the ServerHello', () => {
    const p = pair12(chain);
    const cw = watch(p.client);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(p.server.takeOutgoing()!);
    p.server.receive(p.client.takeOutgoing()!);
    // Before the server's ChangeCipherSpec, a plaintext HelloRequest.
    p.client.receive(concat(plainRecord(ContentType.handshake, encodeHandshake(new HelloRequest())), p.server.takeOutgoing()!));
    expect(p.client.handshakeComplete).toBe(true);
    expect(cw.sent).toEqual([1, 16, 20]);
    expect(cw.handshakes).toBe(1);
  });

  it('a HelloRequest during the first handshake, before the ServerHello (a TLS 1.2-only client is negotiating from its ClientHello on)', () => {
    const p = pair12(chain);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(concat(plainRecord(ContentType.handshake, encodeHandshake(new HelloRequest())), p.server.takeOutgoing()!));
    drive(p.client, p.server);
    expect(p.client.failure).toBeNull();
    expect(p.client.handshakeComplete).toBe(true);
  });
});

describe('refusing a renegotiation: a no_renegotiation warning (RFC 5746 §4.2, §4.4)', () => {
  it('a server refuses a client-initiated renegotiation by default; the client that asked fails with handshake_failure (as OpenSSL)', () => {
    const p = established();
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    expect(p.server.failure).toBeNull();
    expect(p.server.handshaking).toBe(false);
    expect(p.sw.alerts).toEqual([{ sent: true, level: AlertLevel.warning, description: AlertDescription.no_renegotiation }]);
    const warning = p.server.takeOutgoing()!;
    expect(types(warning)).toEqual([ContentType.alert]);
    expect(records(warning)[0]!.fragment.length).toBe(protectedLength12(p.server.cipherSuite!, 2));
    expectFatal12(p.client, () => p.client.receive(warning), 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { conn: p.server });
    expect(p.cw.alerts).toContainEqual({ sent: false, level: AlertLevel.warning, description: AlertDescription.no_renegotiation });
  });

  it('the refusing server stays usable when the client does not insist (the warning alone ends nothing on its side)', () => {
    const p = established();
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.server.takeOutgoing(); // the warning is lost
    p.server.write(enc('still here'));
    expect(types(p.server.takeOutgoing())).toEqual([ContentType.application_data]);
  });

  it('a client with refuseServerInitiated answers a HelloRequest with no_renegotiation; the server that asked fails with handshake_failure (as OpenSSL)', () => {
    const p = established({}, { renegotiation: { refuseServerInitiated: true } });
    p.server.renegotiate();
    p.server.doHandshake();
    p.client.receive(p.server.takeOutgoing()!);
    expect(p.client.failure).toBeNull();
    expect(p.client.handshaking).toBe(false);
    expect(p.cw.alerts).toEqual([{ sent: true, level: AlertLevel.warning, description: AlertDescription.no_renegotiation }]);
    const warning = p.client.takeOutgoing()!;
    expect(types(warning)).toEqual([ContentType.alert]);
    expectFatal12(p.server, () => p.server.receive(warning), 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { conn: p.client });
  });

  it("a refused HelloRequest does not leave the server taking the client's next ClientHello as its answer (policy and limits still apply)", () => {
    const p = established({ renegotiation: { maxPerWindow: 0 } }, { renegotiation: { refuseServerInitiated: true } });
    p.server.renegotiate();
    p.server.doHandshake();
    p.client.receive(p.server.takeOutgoing()!);
    try {
      p.server.receive(p.client.takeOutgoing()!);
    } catch {
      expect(p.server.failure?.bug).toBe(false);
      return; // a server that fails on the refusal (as OpenSSL) cannot be tricked later
    }
    // The client now starts a renegotiation of its own: the server refuses client-initiated ones.
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    expect(p.server.handshaking).toBe(false);
    expect(p.sw.sent.filter((t) => t === HandshakeType.server_hello)).toHaveLength(1);
    expect(p.sw.alerts.at(-1)).toEqual({ sent: true, level: AlertLevel.warning, description: AlertDescription.no_renegotiation });
  });

  it('the refusing client goes on: data still flows from it', () => {
    const p = established({}, { renegotiation: { refuseServerInitiated: true } });
    p.server.renegotiate();
    p.server.doHandshake();
    p.client.receive(p.server.takeOutgoing()!);
    p.client.takeOutgoing();
    p.client.write(enc('not now'));
    expect(types(p.client.takeOutgoing())).toEqual([ContentType.application_data]);
  });
});

describe('limits on renegotiations a peer starts (a renegotiation flood)', () => {
  const clientRenegotiates = (p: ReturnType<typeof established>) => {
    p.client.renegotiate();
    p.client.doHandshake();
    drive(p.client, p.server);
  };

  it('maxPerWindow: the third client-initiated renegotiation within the window fails with ERR_TLS_TOO_MANY (handshake_failure)', () => {
    const p = established({ renegotiation: { acceptClientInitiated: true, maxPerWindow: 2, windowSeconds: 600 } });
    clientRenegotiates(p);
    clientRenegotiates(p);
    expect(p.sw.handshakes).toBe(3);
    p.client.renegotiate();
    p.client.doHandshake();
    const hello = p.client.takeOutgoing()!;
    expectFatal12(p.server, () => p.server.receive(hello), 'ERR_TLS_TOO_MANY', AlertDescription.handshake_failure, { conn: p.client });
  });

  it('maxPerWindow counts within windowSeconds only: after the window, renegotiation is allowed again', () => {
    const clock = clocked();
    const p = established({ provider: clock.provider, renegotiation: { acceptClientInitiated: true, maxPerWindow: 2, windowSeconds: 60 } });
    clientRenegotiates(p);
    clock.advance(30_000);
    clientRenegotiates(p);
    clock.advance(30_001); // the first is now out of the window
    clientRenegotiates(p);
    expect(p.sw.handshakes).toBe(4);
    p.client.renegotiate();
    p.client.doHandshake();
    const hello = p.client.takeOutgoing()!;
    expectFatal12(p.server, () => p.server.receive(hello), 'ERR_TLS_TOO_MANY', AlertDescription.handshake_failure, { conn: p.client });
  });

  it('maxPerConnection: past it, ERR_TLS_TOO_MANY whatever the window', () => {
    const clock = clocked();
    const p = established({ provider: clock.provider, renegotiation: { acceptClientInitiated: true, maxPerConnection: 2, maxPerWindow: 100 } });
    clientRenegotiates(p);
    clock.advance(3_600_000);
    clientRenegotiates(p);
    clock.advance(3_600_000);
    p.client.renegotiate();
    p.client.doHandshake();
    const hello = p.client.takeOutgoing()!;
    expectFatal12(p.server, () => p.server.receive(hello), 'ERR_TLS_TOO_MANY', AlertDescription.handshake_failure, { conn: p.client });
  });

  it('maxPerConnection 0: the first client-initiated renegotiation already fails', () => {
    const p = established({ renegotiation: { acceptClientInitiated: true, maxPerConnection: 0 } });
    p.client.renegotiate();
    p.client.doHandshake();
    const hello = p.client.takeOutgoing()!;
    expectFatal12(p.server, () => p.server.receive(hello), 'ERR_TLS_TOO_MANY', AlertDescription.handshake_failure, { conn: p.client });
  });

  it('a client limits server-initiated renegotiations too (default maxPerWindow 3): the fourth HelloRequest fails it', () => {
    const p = established();
    for (let i = 0; i < 3; i++) {
      p.server.renegotiate();
      p.server.doHandshake();
      drive(p.client, p.server);
    }
    expect(p.cw.handshakes).toBe(4);
    p.server.renegotiate();
    p.server.doHandshake();
    const hr = p.server.takeOutgoing()!;
    expectFatal12(p.client, () => p.client.receive(hr), 'ERR_TLS_TOO_MANY', AlertDescription.handshake_failure, { conn: p.server });
  });

  it("the answers to the server's own HelloRequests are not counted against the client by the server", () => {
    const p = established({ renegotiation: { maxPerWindow: 1 } });
    for (let i = 0; i < 3; i++) {
      p.server.renegotiate();
      p.server.doHandshake();
      drive(p.client, p.server);
    }
    expect(p.sw.handshakes).toBe(1 + 3);
    expect(p.server.failure).toBeNull();
  });
});

describe('RFC 5746: renegotiation_info and the SCSV', () => {
  /** The legacy client: renegotiation_info stripped from its first ClientHello, an empty one added to the ServerHello for it. */
  const legacy = (dir: Dir, raw: Uint8Array, hellos: number): Uint8Array => {
    if (hellos !== 1) return raw;
    if (dir === 'c2s' && raw[0] === HandshakeType.client_hello) return editClientHello(raw, (ch) => ({ extensions: without(ch.extensions, RI) }));
    if (dir === 's2c' && raw[0] === HandshakeType.server_hello) {
      const sh = ServerHello.decode(raw.subarray(4));
      expect(sh.extensions.some((e) => e.type === RI)).toBe(false); // the server did not claim support
      return editServerHello(raw, () => ({ extensions: [makeExtension(RenegotiationInfoExt, new Uint8Array(0)), ...sh.extensions] }));
    }
    return raw;
  };

  function legacyPair(server: TlsContextOptions) {
    const p = pair12(chain, server);
    const cw = watch(p.client);
    let hellos = 0;
    const m = new Mitm12(p.client, p.server, {
      fixFinished: true,
      onMessage: (dir, raw) => {
        if (dir === 'c2s' && raw[0] === HandshakeType.client_hello) hellos++;
        return legacy(dir, raw, hellos);
      },
    });
    p.client.doHandshake();
    m.drive();
    return { ...p, m, cw };
  }

  it('a legacy client (no renegotiation_info, no SCSV) still connects; the server will not renegotiate with it', () => {
    const p = legacyPair(ACCEPT);
    expect(p.server.handshakeComplete).toBe(true);
    expect(p.server.negotiated.secureRenegotiation).toBe(false);
    p.client.write(enc('legacy'));
    p.m.drive();
    expect(dec(p.server.read())).toBe('legacy');
    expectInvalidState(p.server, () => p.server.renegotiate());
    expectInvalidState(p.server, () => p.server.renegotiateAbbreviated());
    expect(p.server.takeOutgoing()).toBeNull();
  });

  it("the legacy client's renegotiation attempt fails with handshake_failure at the server", () => {
    const p = legacyPair(ACCEPT);
    p.client.renegotiate();
    p.client.doHandshake();
    const hello = p.m.forward('c2s', p.client.takeOutgoing()!);
    expectFatal12(p.server, () => p.server.receive(hello), 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, {
      conn: p.client,
      via: (b) => p.m.forward('s2c', b),
    });
  });

  it('the same with the default policy (refuse): handshake_failure, not a mere warning', () => {
    const p = legacyPair({});
    p.client.renegotiate();
    p.client.doHandshake();
    const hello = p.m.forward('c2s', p.client.takeOutgoing()!);
    expectFatal12(p.server, () => p.server.receive(hello), 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, {
      conn: p.client,
      via: (b) => p.m.forward('s2c', b),
    });
  });

  it('our client refuses a server without renegotiation_info (RFC 5746 §3.4): handshake_failure at the client', () => {
    failsAt(chain, 'client', 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, onServerHello((sh) => ({ extensions: without(sh.extensions, RI) })));
  });

  it('a first ClientHello with a non-empty renegotiation_info: handshake_failure at the server (RFC 5746 §3.6)', () => {
    const nonEmpty = (exts: readonly Extension[]): Extension[] => exts.map((e) => (e.type === RI ? makeExtension(RenegotiationInfoExt, new Uint8Array(12).fill(7)) : e));
    failsAt(chain, 'server', 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, onClientHello((ch) => ({ extensions: nonEmpty(ch.extensions) })));
  });

  it('a first ServerHello with a non-empty renegotiation_info: handshake_failure at the client (RFC 5746 §3.4)', () => {
    const nonEmpty = (exts: readonly Extension[]): Extension[] => exts.map((e) => (e.type === RI ? makeExtension(RenegotiationInfoExt, new Uint8Array(24).fill(7)) : e));
    failsAt(chain, 'client', 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, onServerHello((sh) => ({ extensions: nonEmpty(sh.extensions) })));
  });

  it("the renegotiation ClientHello carries the client's verify_data and offers TLS 1.2 only", () => {
    let second: ClientHello | undefined;
    const p = establishedMitm(ACCEPT, {}, (dir, raw, hellos) => {
      if (hellos === 2 && dir === 'c2s' && raw[0] === HandshakeType.client_hello) second = ClientHello.decode(raw.subarray(4));
      return raw;
    });
    const clientFinished = p.client.negotiated.finished!;
    p.client.renegotiate();
    p.client.doHandshake();
    p.m.drive();
    expect(second!.extensions.find((e) => e.type === RI)?.data).toEqual(Uint8Array.of(12, ...clientFinished));
    expect(second!.extensions.some((e) => e.type === ExtensionType.supported_versions)).toBe(false);
    expect(second!.legacySessionId).toHaveLength(0); // renegotiate(): no session offered
    expect(second!.cipherSuites).not.toContain(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    expect(p.cw.handshakes).toBe(2);
  });

  /** A client-initiated renegotiation whose ClientHello the middle rewrites: the server must fail with handshake_failure. */
  function badRenegotiationHello(edit: (ch: ClientHello) => Parameters<typeof editClientHello>[1] extends (ch: ClientHello) => infer R ? R : never) {
    const p = establishedMitm(ACCEPT, {}, (dir, raw, hellos) => (hellos === 2 && dir === 'c2s' && raw[0] === HandshakeType.client_hello ? editClientHello(raw, edit) : raw));
    p.client.renegotiate();
    p.client.doHandshake();
    const hello = p.m.forward('c2s', p.client.takeOutgoing()!);
    expectFatal12(p.server, () => p.server.receive(hello), 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, {
      conn: p.client,
      via: (b) => p.m.forward('s2c', b),
    });
  }
  const riWith = (ch: ClientHello, data: Uint8Array) => ({ extensions: ch.extensions.map((e) => (e.type === RI ? makeExtension(RenegotiationInfoExt, data) : e)) });

  it('a renegotiation ClientHello with wrong renegotiation_info content (one bit of the verify_data): handshake_failure (RFC 5746 §3.7)', () => {
    badRenegotiationHello((ch) => {
      const info = ch.extensions.find((e) => e.type === RI)!.data.slice(1);
      info[5]! ^= 0x10;
      return riWith(ch, info);
    });
  });
  it('a renegotiation ClientHello with an empty renegotiation_info: handshake_failure', () => {
    badRenegotiationHello((ch) => riWith(ch, new Uint8Array(0)));
  });
  it('a renegotiation ClientHello with both verify_data (the server-side form): handshake_failure', () => {
    badRenegotiationHello((ch) => riWith(ch, new Uint8Array(24)));
  });
  it('a renegotiation ClientHello without renegotiation_info: handshake_failure', () => {
    badRenegotiationHello((ch) => ({ extensions: without(ch.extensions, RI) }));
  });
  it('a renegotiation ClientHello with TLS_EMPTY_RENEGOTIATION_INFO_SCSV: handshake_failure (RFC 5746 §3.7)', () => {
    badRenegotiationHello((ch) => ({ suites: [...ch.cipherSuites, CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] }));
  });
  it('a renegotiation ClientHello with the SCSV instead of renegotiation_info: handshake_failure', () => {
    badRenegotiationHello((ch) => ({ suites: [CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV, ...ch.cipherSuites], extensions: without(ch.extensions, RI) }));
  });

  /** A renegotiation whose ServerHello the middle rewrites: the client must fail with handshake_failure. */
  function badRenegotiationServerHello(extensions: (exts: ServerHello['extensions']) => ServerHello['extensions']) {
    const p = establishedMitm(ACCEPT, {}, (dir, raw, hellos) => (hellos === 2 && dir === 's2c' && raw[0] === HandshakeType.server_hello ? editServerHello(raw, (sh) => ({ extensions: extensions(sh.extensions) })) : raw));
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.m.forward('c2s', p.client.takeOutgoing()!));
    const flight = p.m.forward('s2c', p.server.takeOutgoing()!);
    expectFatal12(p.client, () => p.client.receive(flight), 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, {
      conn: p.server,
      via: (b) => p.m.forward('c2s', b),
    });
  }
  it("a renegotiation ServerHello with wrong renegotiation_info (the server's half changed): handshake_failure at the client", () => {
    badRenegotiationServerHello((exts) =>
      exts.map((e) => {
        if (e.type !== RI) return e;
        const d = e.data.slice(1);
        d[20]! ^= 1;
        return makeExtension(RenegotiationInfoExt, d);
      }),
    );
  });
  it('a renegotiation ServerHello without renegotiation_info: handshake_failure at the client', () => {
    badRenegotiationServerHello((exts) => without(exts, RI));
  });
  it('a renegotiation ServerHello with an empty renegotiation_info: handshake_failure at the client', () => {
    badRenegotiationServerHello((exts) => exts.map((e) => (e.type === RI ? makeExtension(RenegotiationInfoExt, new Uint8Array(0)) : e)));
  });
});

describe("a renegotiation may not change the peer's identity", () => {
  it('the server presenting another certificate in a renegotiation: bad_certificate at the client', () => {
    const other = encodeHandshake(new Certificate12(serverCert(otherChain).chain.map((c) => c.slice())));
    const p = establishedMitm(ACCEPT, { verifier: verifierFor(chain) }, (dir, raw, hellos) => (hellos === 2 && dir === 's2c' && raw[0] === HandshakeType.certificate ? other : raw));
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.m.forward('c2s', p.client.takeOutgoing()!));
    const flight = p.m.forward('s2c', p.server.takeOutgoing()!);
    expectFatal12(p.client, () => p.client.receive(flight), 'ERR_TLS_BAD_CERTIFICATE', AlertDescription.bad_certificate, {
      conn: p.server,
      via: (b) => p.m.forward('c2s', b),
    });
  });

  it('the client presenting another certificate in a renegotiation: bad_certificate at the server', () => {
    const clientKey = certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]);
    const other = encodeHandshake(new Certificate12(serverCert(otherChain).chain.map((c) => c.slice())));
    const p = establishedMitm({ ...ACCEPT, requestCert: true, verifier: verifierFor(chain) }, { certificate: clientKey }, (dir, raw, hellos) =>
      hellos === 2 && dir === 'c2s' && raw[0] === HandshakeType.certificate ? other : raw,
    );
    expect(p.server.peerCertificates[0]).toEqual(new Uint8Array(chain.leaf.certDer));
    p.client.renegotiate();
    p.client.doHandshake();
    p.server.receive(p.m.forward('c2s', p.client.takeOutgoing()!));
    p.client.receive(p.m.forward('s2c', p.server.takeOutgoing()!));
    const flight = p.m.forward('c2s', p.client.takeOutgoing()!);
    expectFatal12(p.server, () => p.server.receive(flight), 'ERR_TLS_BAD_CERTIFICATE', AlertDescription.bad_certificate, {
      conn: p.client,
      via: (b) => p.m.forward('s2c', b),
    });
  });
});
