/**
 * RFC 7627 extended master secret in TLS 1.2: required by default on both
 * sides (requireExtendedMasterSecret), optional when turned off. A peer that
 * does not send the extension is simulated by a man in the middle that
 * strips it (and, where the handshake must complete, recomputes the Finished
 * messages for each side's transcript).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ExtensionType, HandshakeType } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { ClientHello, ServerHello } from '../../src/messages/hello.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, drive, handshake } from '../helpers/pair.js';
import { checkFatal, dec, failsAt, editClientHello, editServerHello, enc, Mitm12, pair12, plainMessages, watch, without, type Dir } from './support12.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const EMS = ExtensionType.extended_master_secret;
const stripFromClientHello = (dir: Dir, raw: Uint8Array): Uint8Array =>
  dir === 'c2s' && raw[0] === HandshakeType.client_hello ? editClientHello(raw, (ch) => ({ extensions: without(ch.extensions, EMS) })) : raw;
const stripFromServerHello = (dir: Dir, raw: Uint8Array): Uint8Array =>
  dir === 's2c' && raw[0] === HandshakeType.server_hello ? editServerHello(raw, (sh) => ({ extensions: without(sh.extensions, EMS) })) : raw;

describe('extended master secret (RFC 7627)', () => {
  it('both sides require it (the default): the ClientHello and ServerHello carry it and the handshake uses it', () => {
    const p = pair12(chain);
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!;
    expect(ClientHello.decode(plainMessages(ch)[0]!.subarray(4)).extensions.some((e) => e.type === EMS)).toBe(true);
    p.server.receive(ch);
    const flight = p.server.takeOutgoing()!;
    const sh = ServerHello.decode(plainMessages(flight)[0]!.subarray(4));
    expect(sh.extensions.find((e) => e.type === EMS)?.data).toEqual(new Uint8Array(0));
    p.client.receive(flight);
    drive(p.client, p.server);
    expect(p.client.negotiated.extendedMasterSecret).toBe(true);
    expect(p.server.negotiated.extendedMasterSecret).toBe(true);
  });

  it('both sides with requireExtendedMasterSecret false still use it when both send it', () => {
    const p = pair12(chain, { requireExtendedMasterSecret: false }, { requireExtendedMasterSecret: false });
    handshake(p);
    expect(p.client.negotiated.extendedMasterSecret).toBe(true);
    expect(p.server.negotiated.extendedMasterSecret).toBe(true);
  });

  it('a client (requireExtendedMasterSecret false) that does not send it, at a server that requires it: handshake_failure at the server (RFC 7627 §5.2)', () => {
    const { m } = failsAt(chain, 'server', 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { onMessage: stripFromClientHello }, {}, { requireExtendedMasterSecret: false });
    expect(m.seen.s2c).toEqual([]); // nothing but the alert came back
  });

  it('a server (requireExtendedMasterSecret false) that does not answer it, at a client that requires it: handshake_failure at the client (RFC 7627 §5.4)', () => {
    // The client's extension is stripped on the way, so the server answers without it.
    const { m } = failsAt(chain, 'client', 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { onMessage: stripFromClientHello }, { requireExtendedMasterSecret: false });
    expect(m.seen.s2c[0]).toBe(HandshakeType.server_hello);
  });

  it('a ServerHello with the extension stripped, at a client that requires it: handshake_failure at the client', () => {
    failsAt(chain, 'client', 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { onMessage: stripFromServerHello }, { requireExtendedMasterSecret: false });
  });

  it('stripping it from the ServerHello only (the server uses EMS, the client not) splits the keys: bad_record_mac at the server', () => {
    const p = pair12(chain, {}, { requireExtendedMasterSecret: false });
    // A relay that only rewrites the plaintext ServerHello: protected records pass as the sender sealed them.
    const m = new Mitm12(p.client, p.server, { onMessage: stripFromServerHello, resealWith: 'sender' });
    p.client.doHandshake();
    const { side, error } = m.driveExpectingError();
    expect(side).toBe('server');
    expect(p.client.negotiated.extendedMasterSecret).toBeUndefined(); // not committed: the handshake never finished
    checkFatal(p.server, error, 'ERR_TLS_BAD_RECORD_MAC', AlertDescription.bad_record_mac, { conn: p.client, via: (b) => m.forward('s2c', b) });
  });

  it('both sides with requireExtendedMasterSecret false and the extension stripped: works without EMS, and the exporters still agree', () => {
    const p = pair12(chain, { requireExtendedMasterSecret: false }, { requireExtendedMasterSecret: false });
    const cw = watch(p.client);
    const sw = watch(p.server);
    const m = new Mitm12(p.client, p.server, { onMessage: stripFromClientHello, fixFinished: true });
    p.client.doHandshake();
    m.drive();
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    expect(p.client.negotiated.extendedMasterSecret).toBe(false);
    expect(p.server.negotiated.extendedMasterSecret).toBe(false);
    // The classic master secret depends on the randoms only, so both ends have the same one.
    expect(cw.keylog).toHaveLength(1);
    expect(sw.keylog).toEqual(cw.keylog);
    expect(p.client.exportKeyingMaterial(32, 'EXPORTER-ems')).toEqual(p.server.exportKeyingMaterial(32, 'EXPORTER-ems'));
    p.client.write(enc('no ems'));
    m.drive();
    expect(dec(p.server.read())).toBe('no ems');
    p.server.write(enc('still private'));
    m.drive();
    expect(dec(p.client.read())).toBe('still private');
  });

  it('a session made without EMS is not offered by a client that requires EMS (RFC 7627 §5.3): full handshake', () => {
    const p = pair12(chain, { requireExtendedMasterSecret: false }, { requireExtendedMasterSecret: false });
    const cw = watch(p.client);
    const m = new Mitm12(p.client, p.server, { onMessage: stripFromClientHello, fixFinished: true });
    p.client.doHandshake();
    m.drive();
    const session = cw.sessions[0]!;
    expect(session.extendedMasterSecret).toBe(false);
    const q = pair12(chain, {}, {}, { serverName: 'localhost', session });
    q.client.doHandshake();
    const hello = q.client.takeOutgoing()!;
    const ch = ClientHello.decode(plainMessages(hello)[0]!.subarray(4));
    expect(ch.legacySessionId).toHaveLength(0);
    q.server.receive(hello);
    drive(q.client, q.server);
    expect(q.client.handshakeComplete).toBe(true);
    expect(q.client.isSessionReused).toBe(false);
  });

  it('a ClientHello without EMS offering a session made with EMS is not resumed (RFC 7627 §5.3): a full handshake without EMS', () => {
    const store = pair12(chain, { requireExtendedMasterSecret: false });
    const cw = watch(store.client);
    handshake(store);
    const session = cw.sessions[0]!;
    expect(session.extendedMasterSecret).toBe(true);
    // A second connection to a server sharing the first one's cache, with EMS stripped from the ClientHello.
    const serverCtx = store.server.config;
    const p = pair12(chain, { requireExtendedMasterSecret: false, sessionStore: serverCtx.sessionStore ?? null }, { requireExtendedMasterSecret: false }, { serverName: 'localhost', session });
    const m = new Mitm12(p.client, p.server, { onMessage: stripFromClientHello, fixFinished: true });
    const sw = watch(p.server);
    p.client.doHandshake();
    m.drive();
    expect(p.server.handshakeComplete).toBe(true);
    expect(p.server.isSessionReused).toBe(false);
    expect(p.client.isSessionReused).toBe(false);
    expect(sw.sent).toContain(HandshakeType.certificate);
    expect(p.server.negotiated.extendedMasterSecret).toBe(false);
  });
});
