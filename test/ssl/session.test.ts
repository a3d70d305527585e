/**
 * Client sessions (RFC 8446 §4.6.1, §4.2.11): the stored form, when a session
 * is offered, and our server (which issues no tickets yet) ignoring an offered
 * PSK with a full handshake. Resumption itself is proven against openssl and
 * node:tls in test/interop/resume13.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CipherSuite, ExtensionType } from '../../src/common/constants.js';
import { findExtension, PreSharedKeyClientExt } from '../../src/messages/index.js';
import { ClientHello } from '../../src/messages/hello.js';
import { Session } from '../../src/session/session.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const sample = (over: Partial<ConstructorParameters<typeof Session>[0]> = {}) =>
  new Session({
    version: 0x0304,
    cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
    secret: new Uint8Array(32).fill(1),
    ticket: new Uint8Array([9, 8, 7, 6]),
    sessionId: new Uint8Array(0),
    extendedMasterSecret: false,
    ticketAgeAdd: 0xfffffff0,
    lifetimeSeconds: 3600,
    receivedAtMs: Date.now() - 1000,
    serverName: 'localhost',
    alpn: 'h2',
    maxEarlyData: 0,
    peerCertificates: [new Uint8Array([0x30, 0x03, 1, 2, 3])],
    ...over,
  });

function offeredPsk(session: Session, suites?: number[]) {
  const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain), ...(suites ? { cipherSuites: suites } : {}) }, { serverName: 'localhost', session });
  p.client.doHandshake();
  const rec = p.client.takeOutgoing()!;
  const ch = ClientHello.decode(rec.subarray(9));
  return { p, rec, ch, psk: findExtension(ch.extensions, PreSharedKeyClientExt) };
}

describe('Session', () => {
  it('round-trips through toBytes / fromBytes, ticket app data included', () => {
    const s = sample();
    s.setTicketAppData(new Uint8Array([5, 5]));
    const back = Session.fromBytes(s.toBytes());
    expect(back.toBytes()).toEqual(s.toBytes());
    expect(back.getTicketAppData()).toEqual(new Uint8Array([5, 5]));
    expect(back.serverName).toBe('localhost');
    expect(back.alpn).toBe('h2');
  });

  it('fromBytes rejects every truncation, a trailing byte and foreign bytes with a TypeError', () => {
    const b = sample().toBytes();
    for (let n = 0; n < b.length; n++) expect(() => Session.fromBytes(b.subarray(0, n))).toThrow(TypeError);
    expect(() => Session.fromBytes(new Uint8Array([...b, 0]))).toThrow(TypeError);
    expect(() => Session.fromBytes(new TextEncoder().encode('not a session at all'))).toThrow(TypeError);
    expect(() => Session.fromBytes('x' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('keeps the peer verification result (SSL_SESSION_get_verify_result); default false', () => {
    expect(sample().peerVerified).toBe(false);
    const v = sample({ peerVerified: true });
    expect(Session.fromBytes(v.toBytes()).peerVerified).toBe(true);
    expect(Session.fromBytes(sample().toBytes()).peerVerified).toBe(false);
  });

  it('the encoding is versioned: version 2 bytes (before peerVerified) still read; versions 0, 1, 4 and 255 are refused by name', () => {
    const v3 = sample({ peerVerified: true });
    v3.setTicketAppData(new Uint8Array([1]));
    const b = v3.toBytes();
    expect(b[3]).toBe(3);
    // A version-2 encoding is the same without the peerVerified byte (right after the certificates, before the app data flag).
    const appTail = 1 + 2 + 1;
    const v2 = new Uint8Array([...b.subarray(0, b.length - appTail - 1), ...b.subarray(b.length - appTail)]);
    v2[3] = 2;
    const old = Session.fromBytes(v2);
    expect(old.peerVerified).toBe(false);
    expect(old.getTicketAppData()).toEqual(new Uint8Array([1]));
    expect(old.peerCertificates).toEqual(v3.peerCertificates);
    for (const version of [0, 1, 4, 255]) {
      const other = b.slice();
      other[3] = version;
      expect(() => Session.fromBytes(other)).toThrow(new RegExp(`session encoding version ${version} is not supported`));
    }
  });

  it('caps the lifetime at 7 days and obfuscates the age with ticket_age_add mod 2^32 (RFC 8446 §4.6.1, §4.2.11.1)', () => {
    const s = sample({ lifetimeSeconds: 30 * 24 * 3600, receivedAtMs: 1_000_000 });
    expect(s.lifetimeSeconds).toBe(7 * 24 * 3600);
    expect(s.obfuscatedAge(1_000_000 + 100)).toBe((100 + 0xfffffff0) >>> 0);
    expect(s.isResumable(1_000_000 + 7 * 24 * 3600 * 1000 - 1)).toBe(true);
    expect(s.isResumable(1_000_000 + 7 * 24 * 3600 * 1000)).toBe(false);
  });
});

describe('offering a session', () => {
  it('sends pre_shared_key last, with the ticket as identity and a binder of the hash length', () => {
    const { ch, psk } = offeredPsk(sample());
    expect(ch.extensions.at(-1)!.type).toBe(ExtensionType.pre_shared_key);
    expect(psk!.identities[0]!.identity).toEqual(new Uint8Array([9, 8, 7, 6]));
    expect(psk!.binders[0]!.length).toBe(32);
  });

  it('does not offer a session made for another server name (RFC 8446 §4.6.1)', () => {
    expect(offeredPsk(sample({ serverName: 'other.example' })).psk).toBeUndefined();
    expect(offeredPsk(sample({ serverName: undefined })).psk).toBeUndefined();
  });

  it('does not offer an expired session, nor one whose hash no offered suite has', () => {
    expect(offeredPsk(sample({ receivedAtMs: Date.now() - 3601_000 })).psk).toBeUndefined();
    expect(offeredPsk(sample({ cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384 }), [CipherSuite.TLS_AES_128_GCM_SHA256]).psk).toBeUndefined();
    expect(offeredPsk(sample({ cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384 })).psk!.binders[0]!.length).toBe(48);
  });

  it('our server (no tickets yet) ignores the PSK: a full handshake, not reused', () => {
    const { p, rec } = offeredPsk(sample());
    p.server.receive(rec);
    handshake(p);
    expect(p.client.isSessionReused).toBe(false);
    expect(p.client.peerVerification?.authorized).toBe(true);
  });
});

describe('sessions never keep views into the caller\'s Buffer', () => {
  it('Session.fromBytes(Buffer) copies: overwriting the Buffer afterwards changes nothing', () => {
    const s = sample({ version: 0x0303, cipherSuite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, secret: new Uint8Array(48).fill(7), ticket: new Uint8Array(0), sessionId: new Uint8Array(32).fill(3) });
    const buf = Buffer.from(s.toBytes());
    const back = Session.fromBytes(buf);
    buf.fill(0xaa);
    expect(back.secret).toEqual(new Uint8Array(48).fill(7));
    expect(back.sessionId).toEqual(new Uint8Array(32).fill(3));
    const data = Buffer.from('app data');
    back.setTicketAppData(data);
    data.fill(0);
    expect(Buffer.from(back.getTicketAppData()!).toString()).toBe('app data');
  });
});
