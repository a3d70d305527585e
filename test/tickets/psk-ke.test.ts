/**
 * psk_ke: TLS 1.3 resumption without (EC)DHE (RFC 8446 §4.2.9), only with
 * allowNoDheKex (OpenSSL's SSL_OP_ALLOW_NO_DHE_KEX). Our client offers
 * [psk_dhe_ke, psk_ke] with it (OpenSSL's order, tls_construct_ctos_psk_kex_modes);
 * a server with it resumes in psk_ke only when the client offers psk_ke and
 * not psk_dhe_ke, and otherwise prefers psk_dhe_ke (a HelloRetryRequest for a
 * share rather than psk_ke, as OpenSSL's final_key_share). Our client cannot
 * offer psk_ke alone, so those cases are driven by hand: the ClientHello is
 * rebuilt with its binder, and the test plays the client's keys (RFC 8446
 * §7.1: the (EC)DHE input is Hash.length zero bytes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, PskKeyExchangeMode } from '../../src/common/constants.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { hashLength } from '../../src/crypto/provider.js';
import { suiteInfo, type SuiteInfo } from '../../src/crypto/suites.js';
import { TicketReturn } from '../../src/handshake/config.js';
import { KeySchedule13 } from '../../src/handshake/keyschedule13.js';
import { findExtension, makeExtension } from '../../src/messages/extensions.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ClientHello, ServerHello } from '../../src/messages/hello.js';
import { PreSharedKeyClientExt, PreSharedKeyServerExt, PskKeyExchangeModesExt } from '../../src/messages/index.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import type { Session } from '../../src/session/session.js';
import type { TlsContext, TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { clientFinished, serverFlightMessages } from '../ssl/support.js';
import { editServerHello, plainRecord, records, splitMessages, without } from '../tls12/support12.js';
import { clientCtx, connect, dec, enc, pumpExpectingError, serverCtx, setup, withIdentities } from './support13.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const KE = PskKeyExchangeMode.psk_ke;
const DHE = PskKeyExchangeMode.psk_dhe_ke;
const hasExt = (exts: readonly { type: number }[], type: number): boolean => exts.some((e) => e.type === type);
const hashOf = (suite: SuiteInfo, ...parts: Uint8Array[]): Uint8Array => {
  const h = nobleProvider().hash(suite.hash);
  for (const p of parts) h.update(p);
  return h.digest();
};

function ticketFrom(sctx: TlsContext, client: TlsContextOptions = {}): Session {
  return connect(sctx, clientCtx(chain, client)).sessions[0]!;
}

/**
 * Our client's ClientHello for `session`, with psk_key_exchange_modes set to
 * `modes` and the binder made again; given to the server. Returns the
 * server's first flight and the raw hello.
 */
function handBuilt(sctx: TlsContext, session: Session, modes: number[], client: TlsContextOptions = {}) {
  const r = setup(sctx, clientCtx(chain, client), { session });
  r.client.doHandshake();
  const raw0 = records(r.client.takeOutgoing()!).find((x) => x.type === ContentType.handshake)!.fragment.slice();
  const ch0 = ClientHello.decode(raw0.subarray(4));
  const exts = ch0.extensions.map((e) => (e.type === ExtensionType.psk_key_exchange_modes ? makeExtension(PskKeyExchangeModesExt, modes) : e));
  const raw1 = encodeHandshake(new ClientHello(ch0.legacyVersion, ch0.random, ch0.legacySessionId, ch0.cipherSuites, ch0.compressionMethods, exts));
  const ch = withIdentities(raw1, [findExtension(ch0.extensions, PreSharedKeyClientExt)!.identities[0]!], [session.secret]);
  r.server.receive(plainRecord(ContentType.handshake, ch));
  const out = r.server.takeOutgoing()!;
  const shRaw = splitMessages(records(out).find((x) => x.type === ContentType.handshake)!.fragment).messages[0]!;
  return { server: r.server, ch, out, shRaw, sh: ServerHello.decode(shRaw.subarray(4)) };
}

/** Play the client of a psk_ke resumption to the end, then data both ways; returns what the server sent after its Finished. */
function finishAsPskKeClient(hb: ReturnType<typeof handBuilt>, session: Session): { data: string[]; tickets: number } {
  const provider = nobleProvider();
  // The suite the server chose (that of the session it resumes).
  const suite = suiteInfo(hb.sh.cipherSuite)!;
  expect(suite.id).toBe(session.cipherSuite);
  const ks = new KeySchedule13(provider, suite.hash, session.secret);
  ks.toHandshake(new Uint8Array(hashLength[suite.hash])); // RFC 8446 §7.1: no (EC)DHE: Hash.length zeros
  const th = hashOf(suite, hb.ch, hb.shRaw);
  const cHs = ks.derive('c hs traffic', th);
  const sHs = ks.derive('s hs traffic', th);
  const msgs = serverFlightMessages(hb.out, sHs, suite);
  expect(msgs.map((m) => m[0])).toEqual([HandshakeType.server_hello, HandshakeType.encrypted_extensions, HandshakeType.finished]);
  const fin = clientFinished([hb.ch, ...msgs], cHs, suite);
  ks.toMaster();
  const th2 = hashOf(suite, hb.ch, ...msgs);
  const cAp = ks.derive('c ap traffic', th2);
  const sAp = ks.derive('s ap traffic', th2);
  hb.server.receive(SendProtection.tls13(provider, suite, cHs).seal(ContentType.handshake, fin));
  expect(hb.server.handshakeComplete).toBe(true);
  hb.server.receive(SendProtection.tls13(provider, suite, cAp).seal(ContentType.application_data, enc('ping')));
  expect(dec(hb.server.read())).toBe('ping');
  hb.server.write(enc('pong'));
  const open = ReceiveProtection.tls13(provider, suite, sAp);
  const got = { data: [] as string[], tickets: 0 };
  for (const r of records(hb.server.takeOutgoing()!)) {
    const rec = open.open({ type: r.type, version: 0x0303, header: r.bytes.subarray(0, 5), fragment: r.fragment });
    if (rec.type === ContentType.application_data) got.data.push(dec(rec.data)!);
    if (rec.type === ContentType.handshake) got.tickets += splitMessages(rec.data).messages.filter((m) => m[0] === HandshakeType.new_session_ticket).length;
  }
  return got;
}

describe('psk_key_exchange_modes our client sends', () => {
  it('[psk_dhe_ke] by default; [psk_dhe_ke, psk_ke] with allowNoDheKex (OpenSSL sends psk_dhe_ke first)', () => {
    const sctx = serverCtx(chain);
    const modes = (o: TlsContextOptions): number[] | undefined => findExtension(connect(sctx, clientCtx(chain, o)).hellos[0]!.extensions, PskKeyExchangeModesExt);
    expect(modes({})).toEqual([DHE]);
    expect(modes({ allowNoDheKex: true })).toEqual([DHE, KE]);
  });

  it('allowNoDheKex must be a boolean', () => {
    expect(() => clientCtx(chain, { allowNoDheKex: 1 as unknown as boolean })).toThrow(TypeError);
  });
});

describe('a server with allowNoDheKex', () => {
  it('a client offering both modes with a usable share: psk_dhe_ke is preferred (key_share in the ServerHello); resumed, data both ways', () => {
    const sctx = serverCtx(chain, { allowNoDheKex: true });
    const cOpts = { allowNoDheKex: true };
    const r = connect(sctx, clientCtx(chain, cOpts), ticketFrom(sctx, cOpts));
    const sh = r.serverHellos[0]!;
    expect(hasExt(sh.extensions, ExtensionType.key_share)).toBe(true);
    expect(findExtension(sh.extensions, PreSharedKeyServerExt)).toBe(0);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
    expect(r.client.negotiated.group).toBe(NamedGroup.x25519);
  });

  it('both modes and no usable share: a HelloRetryRequest for a share, then psk_dhe_ke (OpenSSL prefers (EC)DHE to psk_ke)', () => {
    const sctx = serverCtx(chain, { allowNoDheKex: true, groups: [NamedGroup.secp256r1] });
    const cOpts = { allowNoDheKex: true, groups: [NamedGroup.x25519, NamedGroup.secp256r1] };
    const r = connect(sctx, clientCtx(chain, cOpts), ticketFrom(sctx, cOpts));
    expect(r.serverHellos.map((sh) => sh.isHelloRetryRequest)).toEqual([true, false]);
    expect(hasExt(r.serverHellos[1]!.extensions, ExtensionType.key_share)).toBe(true);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
  });

  it('a client offering psk_ke only: ServerHello with pre_shared_key and no key_share; handshake secret from zeros; both ends agree (data both ways); one ticket after', () => {
    const sctx = serverCtx(chain, { allowNoDheKex: true });
    const session = ticketFrom(sctx);
    const hb = handBuilt(sctx, session, [KE]);
    expect(hb.sh.extensions.map((e) => e.type)).toEqual([ExtensionType.supported_versions, ExtensionType.pre_shared_key]);
    expect(findExtension(hb.sh.extensions, PreSharedKeyServerExt)).toBe(0);
    const got = finishAsPskKeClient(hb, session);
    expect(got.data).toEqual(['pong']);
    expect(got.tickets).toBe(1);
    expect(hb.server.isSessionReused).toBe(true);
    expect(hb.server.negotiated.group).toBeUndefined();
  });

  it('psk_ke only and no usable share: no HelloRetryRequest, psk_ke at once', () => {
    const sctx = serverCtx(chain, { allowNoDheKex: true, groups: [NamedGroup.secp256r1] });
    const cOpts = { groups: [NamedGroup.x25519, NamedGroup.secp256r1] };
    const session = ticketFrom(sctx, cOpts);
    const hb = handBuilt(sctx, session, [KE], cOpts);
    expect(hb.sh.isHelloRetryRequest).toBe(false);
    expect(hasExt(hb.sh.extensions, ExtensionType.key_share)).toBe(false);
    expect(finishAsPskKeClient(hb, session).data).toEqual(['pong']);
  });

  it('psk_ke only with a ticket that does not resume: a full handshake (key_share, no pre_shared_key)', () => {
    const sctx = serverCtx(chain, { allowNoDheKex: true });
    const session = ticketFrom(sctx);
    sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.IGNORE_RENEW });
    const hb = handBuilt(sctx, session, [KE]);
    expect(hasExt(hb.sh.extensions, ExtensionType.key_share)).toBe(true);
    expect(hasExt(hb.sh.extensions, ExtensionType.pre_shared_key)).toBe(false);
  });
});

describe('a server without allowNoDheKex never picks psk_ke', () => {
  it('a client offering psk_ke only gets a full handshake: key_share, no pre_shared_key, the decrypt callback is not called', () => {
    const sctx = serverCtx(chain);
    const session = ticketFrom(sctx);
    let calls = 0;
    sctx.setSessionTicketCallbacks({ decrypt: () => (calls++, TicketReturn.USE) });
    const hb = handBuilt(sctx, session, [KE]);
    expect(hasExt(hb.sh.extensions, ExtensionType.key_share)).toBe(true);
    expect(hasExt(hb.sh.extensions, ExtensionType.pre_shared_key)).toBe(false);
    expect(hb.server.isSessionReused).toBe(false);
    expect(calls).toBe(0);
  });
});

describe('our client and a ServerHello without key_share', () => {
  const dropKeyShare = (dir: string, raw: Uint8Array): Uint8Array =>
    dir === 's2c' && raw[0] === HandshakeType.server_hello ? editServerHello(raw, (sh) => ({ extensions: without(sh.extensions, ExtensionType.key_share) })) : raw;

  it('a full handshake: missing_extension', () => {
    const r = setup(serverCtx(chain), clientCtx(chain, { allowNoDheKex: true }), { rewrite: dropKeyShare });
    r.client.doHandshake();
    const { side, error } = pumpExpectingError(r);
    expect([side, error.code, error.bug]).toEqual(['client', 'ERR_TLS_MISSING_EXTENSION', false]);
  });

  it('a resumption when psk_ke is not allowed (not offered): missing_extension', () => {
    const sctx = serverCtx(chain);
    const r = setup(sctx, clientCtx(chain), { session: ticketFrom(sctx), rewrite: dropKeyShare });
    r.client.doHandshake();
    const { side, error } = pumpExpectingError(r);
    expect([side, error.code]).toEqual(['client', 'ERR_TLS_MISSING_EXTENSION']);
  });

  it('a resumption that offered psk_ke: accepted as psk_ke (here the server used psk_dhe_ke, so the keys then disagree: not missing_extension)', () => {
    const sctx = serverCtx(chain, { allowNoDheKex: true });
    const cOpts = { allowNoDheKex: true };
    const r = setup(sctx, clientCtx(chain, cOpts), { session: ticketFrom(sctx, cOpts), rewrite: dropKeyShare });
    r.client.doHandshake();
    const { side, error } = pumpExpectingError(r);
    expect(side).toBe('client');
    expect(error.code).not.toBe('ERR_TLS_MISSING_EXTENSION');
    expect(error.code).toBe('ERR_TLS_BAD_RECORD_MAC');
  });
});
