/**
 * PSK offers across a HelloRetryRequest (RFC 8446 §4.1.4, §4.2.11.2), and a
 * ClientHello offering several identities (§4.2.11): the first acceptable
 * one wins, a bad one before it does not abort.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { HandshakeType, NamedGroup } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { KeySchedule13 } from '../../src/handshake/keyschedule13.js';
import { TicketReturn, type TicketDecryptInfo } from '../../src/handshake/config.js';
import { findExtension } from '../../src/messages/extensions.js';
import { ClientHello, ServerHello, truncateClientHelloForBinders } from '../../src/messages/hello.js';
import { PreSharedKeyClientExt, PreSharedKeyServerExt } from '../../src/messages/index.js';
import type { Session } from '../../src/session/session.js';
import { TicketStatus } from '../../src/session/ticket-codec.js';
import type { TlsContext } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { checkFatal, expectFatal12, flipByte, plainRecord, records } from '../tls12/support12.js';
import { clientCtx, connect, exchange, pumpExpectingError, serverCtx, setup, withIdentities } from './support13.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = nobleProvider().hash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

describe('a PSK offer answered by a HelloRetryRequest', () => {
  // The client's first share (x25519) is not one the server takes: it asks for secp256r1.
  const hrrServer = (): TlsContext => serverCtx(chain, { groups: [NamedGroup.secp256r1] });
  const hrrClient = (): TlsContext => clientCtx(chain, { groups: [NamedGroup.x25519, NamedGroup.secp256r1] });

  function ticket(sctx: TlsContext): Session {
    const first = connect(sctx, hrrClient());
    expect(first.client.negotiated.helloRetry).toBe(true);
    return first.sessions[0]!;
  }

  it("the second ClientHello's binder covers message_hash(ClientHello1), the HelloRetryRequest and itself; the server resumes (both ends resumed, helloRetry) and a ticket follows", () => {
    const sctx = hrrServer();
    const session = ticket(sctx);
    const raws: Uint8Array[] = [];
    const r = setup(sctx, hrrClient(), { session, rewrite: (_d, raw) => (raw[0] === HandshakeType.client_hello || raw[0] === HandshakeType.server_hello ? (raws.push(raw), raw) : raw) });
    r.client.doHandshake();
    r.pump();
    exchange(r);
    const [ch1, hrr, ch2, sh] = raws as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    expect(ServerHello.decode(hrr.subarray(4)).isHelloRetryRequest).toBe(true);
    expect(findExtension(ServerHello.decode(sh.subarray(4)).extensions, PreSharedKeyServerExt)).toBe(0);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
    expect([r.client.negotiated.helloRetry, r.server.negotiated.helloRetry]).toEqual([true, true]);
    expect(r.client.negotiated.group).toBe(NamedGroup.secp256r1);
    expect(r.sessions).toHaveLength(1);
    // RFC 8446 §4.2.11.2 / §4.4.1: Transcript-Hash(message_hash || HRR || truncated ClientHello2).
    const offered = findExtension(ClientHello.decode(ch2.subarray(4)).extensions, PreSharedKeyClientExt)!;
    const ks = new KeySchedule13(nobleProvider(), 'sha256', session.secret);
    const messageHash = concat(Uint8Array.of(HandshakeType.message_hash, 0, 0, 32), sha256(ch1));
    const truncated = truncateClientHelloForBinders(ch2);
    expect(offered.binders[0]).toEqual(ks.finishedVerifyData(ks.binderKey(false), sha256(messageHash, hrr, truncated)));
    expect(offered.binders[0]).not.toEqual(ks.finishedVerifyData(ks.binderKey(false), sha256(truncated)));
    // The first ClientHello's binder covered that hello alone.
    const first = findExtension(ClientHello.decode(ch1.subarray(4)).extensions, PreSharedKeyClientExt)!;
    expect(first.binders[0]).toEqual(ks.finishedVerifyData(ks.binderKey(false), sha256(truncateClientHelloForBinders(ch1))));
  });

  it('a wrong binder in the second ClientHello: decrypt_error (typed error on both ends)', () => {
    const sctx = hrrServer();
    const session = ticket(sctx);
    let hellos = 0;
    const r = setup(sctx, hrrClient(), {
      session,
      rewrite: (dir, raw) => (dir === 'c2s' && raw[0] === HandshakeType.client_hello && ++hellos === 2 ? flipByte(raw, -1) : raw),
    });
    r.client.doHandshake();
    const { side, error } = pumpExpectingError(r);
    expect(side).toBe('server');
    checkFatal(r.server, error, 'ERR_TLS_DECRYPT_ERROR', AlertDescription.decrypt_error, { conn: r.client });
  });
});

describe('several offered identities (hand-built ClientHello)', () => {
  /** Our client's first flight for `session`, its identity, and the server that issued it. */
  function offer(sctx: TlsContext, session: Session) {
    const r = setup(sctx, clientCtx(chain), { session });
    r.client.doHandshake();
    const flight = r.client.takeOutgoing()!;
    const rec = records(flight).find((x) => x.type === 22)!;
    const raw = rec.fragment.slice();
    const identity = findExtension(ClientHello.decode(raw.subarray(4)).extensions, PreSharedKeyClientExt)!.identities[0]!;
    return { r, raw, identity };
  }

  /** The identity the server's ServerHello selected (undefined: none). */
  function selected(out: Uint8Array): number | undefined {
    const rec = records(out).find((x) => x.type === 22)!;
    return findExtension(ServerHello.decode(rec.fragment.subarray(4)).extensions, PreSharedKeyServerExt);
  }

  function ticketsOf(sctx: TlsContext): Session[] {
    return connect(sctx, clientCtx(chain)).sessions;
  }

  it('a bad first identity (NO_DECRYPT, junk binder) does not abort: the second, good one is selected', () => {
    const sctx = serverCtx(chain);
    const [good] = ticketsOf(sctx);
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), i.session ? TicketReturn.USE : TicketReturn.IGNORE_RENEW) });
    const { r, raw, identity } = offer(sctx, good!);
    const junk = { identity: new Uint8Array(120).fill(7), obfuscatedTicketAge: 1 };
    r.server.receive(plainRecord(22, withIdentities(raw, [junk, identity], [undefined, good!.secret])));
    expect(selected(r.server.takeOutgoing()!)).toBe(1);
    expect(r.server.isSessionReused).toBe(true);
    expect(seen.map((i) => i.status)).toEqual([TicketStatus.NO_DECRYPT, TicketStatus.SUCCESS]);
    // OpenSSL's ticket_expected is set by the first (IGNORE_RENEW) and not cleared by USE: one ticket will follow.
    expect(r.server.negotiated.renewTicket).toBe(true);
  });

  it('two good identities: the first wins, the second is not even opened', () => {
    const sctx = serverCtx(chain);
    const [a, b] = ticketsOf(sctx);
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i), TicketReturn.USE) });
    const { r, raw, identity } = offer(sctx, a!);
    const idB = { identity: b!.ticket, obfuscatedTicketAge: b!.obfuscatedAge(Date.now()) };
    r.server.receive(plainRecord(22, withIdentities(raw, [identity, idB], [a!.secret, b!.secret])));
    expect(selected(r.server.takeOutgoing()!)).toBe(0);
    expect(seen).toHaveLength(1);
    expect(r.server.negotiated.renewTicket).toBe(false);
  });

  it('a first identity the callback IGNOREs is skipped; the second is used', () => {
    const sctx = serverCtx(chain);
    const [a, b] = ticketsOf(sctx);
    let calls = 0;
    sctx.setSessionTicketCallbacks({ decrypt: () => (calls++ === 0 ? TicketReturn.IGNORE : TicketReturn.USE_RENEW) });
    const { r, raw, identity } = offer(sctx, a!);
    const idB = { identity: b!.ticket, obfuscatedTicketAge: b!.obfuscatedAge(Date.now()) };
    r.server.receive(plainRecord(22, withIdentities(raw, [identity, idB], [a!.secret, b!.secret])));
    expect(selected(r.server.takeOutgoing()!)).toBe(1);
    expect(calls).toBe(2);
  });

  it('a wrong binder on an identity not selected is never checked; on the selected one it is decrypt_error', () => {
    const sctx = serverCtx(chain);
    const [a] = ticketsOf(sctx);
    const one = offer(sctx, a!);
    const junk = { identity: new Uint8Array(40).fill(9), obfuscatedTicketAge: 0 };
    one.r.server.receive(plainRecord(22, withIdentities(one.raw, [junk, one.identity], [undefined, a!.secret])));
    expect(selected(one.r.server.takeOutgoing()!)).toBe(1);
    const two = offer(sctx, a!);
    const hello = plainRecord(22, withIdentities(two.raw, [junk, two.identity], [undefined, undefined]));
    expectFatal12(two.r.server, () => two.r.server.receive(hello), 'ERR_TLS_DECRYPT_ERROR', AlertDescription.decrypt_error, { conn: two.r.client });
  });
});
