/**
 * Hostile input on the Connection: every malformed or misplaced record gets
 * the right alert and a TlsError that is not a bug, and the connection stays
 * closed with the same error (expectFatal checks all of it).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType } from '../../src/common/constants.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, handshake } from '../helpers/pair.js';
import { clientSealer, expectFatal, fresh as freshFor, plain, thrown } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});
const fresh = (limits = {}) => freshFor(chain, limits);

describe('records before and around the handshake', () => {
  it('application data before the handshake is unexpected_message', () => {
    const p = fresh();
    expectFatal(p.server, () => p.server.receive(plain(ContentType.application_data, new Uint8Array([1]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });

  it('a ChangeCipherSpec before the first ClientHello is unexpected_message (RFC 8446 §5)', () => {
    const p = fresh();
    expectFatal(p.server, () => p.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });

  it('one compat ChangeCipherSpec during the handshake is dropped; a second, or a value other than 1, is unexpected_message', () => {
    const a = fresh();
    a.client.doHandshake();
    a.server.receive(a.client.takeOutgoing()!);
    a.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1])));
    expectFatal(a.server, () => a.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1]))), 'ERR_TLS_TOO_MANY', 10);
    const b = fresh();
    b.client.doHandshake();
    b.server.receive(b.client.takeOutgoing()!);
    expectFatal(b.server, () => b.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([2]))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a ChangeCipherSpec after the handshake is unexpected_message', () => {
    const p = fresh();
    handshake(p);
    expectFatal(p.server, () => p.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1]))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a record longer than the protocol allows is record_overflow', () => {
    const p = fresh();
    const header = new Uint8Array([22, 3, 3, 0x48, 0x01]); // 2^14 + 2049
    expectFatal(p.server, () => p.server.receive(header), 'ERR_TLS_RECORD_OVERFLOW', 22);
  });

  it('a fragmented handshake message interleaved with an alert is unexpected_message (RFC 8446 §5.1)', () => {
    const p = fresh();
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!.subarray(5);
    p.server.receive(plain(ContentType.handshake, ch.subarray(0, 10)));
    expectFatal(p.server, () => p.server.receive(plain(ContentType.alert, new Uint8Array([1, 0]))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a handshake message split across many records is reassembled', () => {
    const p = fresh();
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!.subarray(5);
    for (let i = 0; i < ch.length; i += 7) p.server.receive(plain(ContentType.handshake, ch.subarray(i, i + 7)));
    expect(p.server.takeOutgoing()).not.toBeNull();
  });

  it('an empty handshake record is unexpected_message', () => {
    const p = fresh();
    expectFatal(p.server, () => p.server.receive(plain(ContentType.handshake, new Uint8Array(0))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a ClientHello whose supported_versions lists only TLS 1.1 and 1.0 gets protocol_version', () => {
    const p = fresh();
    p.client.doHandshake();
    const rec = p.client.takeOutgoing()!;
    // supported_versions [0304, 0303] becomes [0302, 0301].
    const at = Buffer.from(rec).indexOf(Buffer.from([0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03]));
    expect(at).toBeGreaterThan(0);
    const bad = rec.slice();
    bad.set([0x03, 0x02, 0x03, 0x01], at + 5);
    expectFatal(p.server, () => p.server.receive(bad), 'ERR_TLS_PROTOCOL_VERSION', 70);
  });
});

describe('alerts and repeats after the handshake', () => {
  it('an alert record of 3 bytes is decode_error; an unknown level is illegal_parameter', () => {
    const a = fresh();
    handshake(a);
    expectFatal(a.server, () => a.server.receive(clientSealer(a.secrets).seal(ContentType.alert, new Uint8Array([1, 0, 0]))), 'ERR_TLS_DECODE', 50);
    const b = fresh();
    handshake(b);
    expectFatal(b.server, () => b.server.receive(clientSealer(b.secrets).seal(ContentType.alert, new Uint8Array([3, 0]))), 'ERR_TLS_ILLEGAL_PARAMETER');
  });

  it('a warning-level alert other than close_notify/user_canceled is fatal in TLS 1.3 (RFC 8446 §6.2), and no alert is sent back', () => {
    const p = fresh();
    handshake(p);
    const err = expectFatal(p.server, () => p.server.receive(clientSealer(p.secrets).seal(ContentType.alert, new Uint8Array([1, 42]))), 'ERR_TLS_ALERT_RECEIVED', 42);
    expect(err.remote).toBe(true);
    expect(p.server.takeOutgoing()).toBeNull();
  });

  it('limits user_canceled warnings without data between them', () => {
    const p = fresh({ maxWarningAlerts: 3 });
    handshake(p);
    const s = clientSealer(p.secrets);
    for (let i = 0; i < 3; i++) p.server.receive(s.seal(ContentType.alert, new Uint8Array([1, 90])));
    expectFatal(p.server, () => p.server.receive(s.seal(ContentType.alert, new Uint8Array([1, 90]))), 'ERR_TLS_TOO_MANY', 10);
  });

  it('limits empty application records without data between them', () => {
    const p = fresh({ maxEmptyRecords: 4 });
    handshake(p);
    const s = clientSealer(p.secrets);
    for (let i = 0; i < 4; i++) p.server.receive(s.seal(ContentType.application_data, new Uint8Array(0)));
    p.server.receive(s.seal(ContentType.application_data, new Uint8Array([7])));
    for (let i = 0; i < 4; i++) p.server.receive(s.seal(ContentType.application_data, new Uint8Array(0)));
    expectFatal(p.server, () => p.server.receive(s.seal(ContentType.application_data, new Uint8Array(0))), 'ERR_TLS_TOO_MANY');
    expect(() => p.server.read()).toThrowError(expect.objectContaining({ code: 'ERR_TLS_TOO_MANY' }));
  });

  it('a NewSessionTicket from a client is unexpected_message', () => {
    const p = fresh();
    handshake(p);
    const nst = new Uint8Array([4, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 9, 0, 0]);
    expectFatal(p.server, () => p.server.receive(clientSealer(p.secrets).seal(ContentType.handshake, nst.subarray(0, 17))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a tampered record is bad_record_mac and poisons the connection', () => {
    const p = fresh();
    handshake(p);
    p.client.write(new Uint8Array(100));
    const rec = p.client.takeOutgoing()!.slice();
    rec[50]! ^= 0x80;
    const err = expectFatal(p.server, () => p.server.receive(rec), 'ERR_TLS_BAD_RECORD_MAC', 20);
    expect(thrown(() => p.server.doHandshake())).toBe(err);
    expect(thrown(() => p.server.receive(new Uint8Array([23])))).toBe(err);
  });
});

