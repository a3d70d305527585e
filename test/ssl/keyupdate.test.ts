/**
 * TLS 1.3 key update on the sans-IO core: OpenSSL's SSL_key_update /
 * SSL_get_key_update_type contract (shared/spec/SSL_key_update.md) and
 * RFC 8446 §4.6.3. Test names quoting the spec quote it verbatim.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { ContentType, KeyUpdateType } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { KeyUpdate } from '../../src/messages/messages13.js';
import { SendProtection } from '../../src/record/protection.js';
import type { Connection, KeyUpdateEvent } from '../../src/ssl/connection.js';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, drive, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('ed25519');
});

const enc = new TextEncoder();
const dec = new TextDecoder();

function pair(server: TlsContextOptions = {}, client: TlsContextOptions = {}) {
  const p = makePair({ certificate: serverCert(chain), ...server }, { verifier: verifierFor(chain), ...client });
  const secrets = new Map<string, string>();
  p.client.on('keylog', (l) => {
    const [label, , secret] = l.split(' ');
    secrets.set(label!, secret!);
  });
  const events = { client: [] as KeyUpdateEvent[], server: [] as KeyUpdateEvent[] };
  p.client.on('keyUpdate', (e) => events.client.push(e));
  p.server.on('keyUpdate', (e) => events.server.push(e));
  return { ...p, secrets, events };
}

function established(server: TlsContextOptions = {}, client: TlsContextOptions = {}) {
  const p = pair(server, client);
  handshake(p);
  return p;
}

/** Send text from a to b and check it arrives. */
function roundTrip(a: Connection, b: Connection, text: string): void {
  a.write(enc.encode(text));
  drive(a, b);
  expect(dec.decode(b.read() ?? new Uint8Array())).toBe(text);
}

/** Count KeyUpdate handshake messages that `conn` sends from now on. */
function countSent(conn: Connection): () => number {
  let n = 0;
  conn.on('message', (m) => {
    if (m.direction === 'sent' && m.type === 24) n++;
  });
  return () => n;
}

/** A record sealed with a traffic secret learnt from the key log (sequence 0), in the suite `conn` negotiated. */
function craftRecord(conn: Connection, secretHex: string, type: number, data: Uint8Array): Uint8Array {
  const secret = Uint8Array.from(Buffer.from(secretHex, 'hex'));
  return SendProtection.tls13(nobleProvider(), conn.cipherSuite!, secret).seal(type, data);
}

describe('SSL_key_update() (shared/spec/SSL_key_update.md)', () => {
  it('"If the updatetype parameter is set to SSL_KEY_UPDATE_NOT_REQUESTED then the sending keys for this connection will be updated and the peer will be informed of the change."', () => {
    const p = established();
    expect(p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED)).toBe(true);
    p.client.doHandshake();
    drive(p.client, p.server);
    expect(p.events.client).toEqual([{ direction: 'sent', type: KeyUpdateType.NOT_REQUESTED }]);
    expect(p.events.server).toEqual([{ direction: 'received', type: KeyUpdateType.NOT_REQUESTED }]);
    // The peer is not asked to update: its next write carries no KeyUpdate.
    const serverSent = countSent(p.server);
    roundTrip(p.server, p.client, 'still old server key');
    expect(serverSent()).toBe(0);
    roundTrip(p.client, p.server, 'new client key');
  });

  it('"If the updatetype parameter is set to SSL_KEY_UPDATE_REQUESTED then the sending keys for this connection will be updated and the peer will be informed of the change along with a request for the peer to additionally update its sending keys."', () => {
    const p = established();
    p.client.keyUpdate(KeyUpdateType.REQUESTED);
    p.client.doHandshake();
    drive(p.client, p.server);
    expect(p.events.server).toEqual([{ direction: 'received', type: KeyUpdateType.REQUESTED }]);
    // The peer answers with update_not_requested on its next IO, before its data.
    roundTrip(p.server, p.client, 'after my own update');
    expect(p.events.server[1]).toEqual({ direction: 'sent', type: KeyUpdateType.NOT_REQUESTED });
    expect(p.events.client[1]).toEqual({ direction: 'received', type: KeyUpdateType.NOT_REQUESTED });
    roundTrip(p.client, p.server, 'both updated');
  });

  it('"It is an error if updatetype is set to SSL_KEY_UPDATE_NONE."', () => {
    const p = established();
    expect(() => p.client.keyUpdate(KeyUpdateType.NONE)).toThrow(RangeError);
    expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    p.client.doHandshake();
    expect(p.client.takeOutgoing()).toBeNull();
  });

  it('"SSL_key_update() must only be called after the initial handshake has been completed and TLSv1.3 has been negotiated"', () => {
    const p = pair();
    for (const c of [p.client, p.server]) {
      expect(() => c.keyUpdate(KeyUpdateType.REQUESTED)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
      expect(c.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    }
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    // Mid-handshake (server has sent its flight, waits for the client Finished).
    expect(() => p.server.keyUpdate(KeyUpdateType.NOT_REQUESTED)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    drive(p.client, p.server);
    expect(p.server.keyUpdate(KeyUpdateType.NOT_REQUESTED)).toBe(true);
  });

  it('"The key update will not take place until the next time an IO operation such as SSL_read_ex() or SSL_write_ex() takes place on the connection." (read)', () => {
    const p = established();
    p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    expect(p.client.takeOutgoing()).toBeNull(); // nothing sent by keyUpdate itself
    expect(p.client.read()).toBeNull(); // a read that returns no data still flushes
    expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    drive(p.client, p.server);
    expect(p.events.server).toEqual([{ direction: 'received', type: KeyUpdateType.NOT_REQUESTED }]);
  });

  it('"The key update will not take place until the next time an IO operation such as SSL_read_ex() or SSL_write_ex() takes place on the connection." (write: KeyUpdate first, under the old key, then the data)', () => {
    const p = established();
    const order: string[] = [];
    p.server.on('keyUpdate', () => order.push('keyUpdate'));
    p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    p.client.write(enc.encode('data'));
    const wire = p.client.takeOutgoing()!;
    p.server.receive(wire);
    const data = p.server.read();
    order.push(dec.decode(data!));
    expect(order).toEqual(['keyUpdate', 'data']);
  });

  it('"Alternatively SSL_do_handshake() can be called to force the update to take place immediately."', () => {
    const p = established();
    p.server.keyUpdate(KeyUpdateType.REQUESTED);
    p.server.doHandshake();
    expect(p.server.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    const wire = p.server.takeOutgoing();
    expect(wire).not.toBeNull();
    p.client.receive(wire!);
    expect(p.events.client).toEqual([{ direction: 'received', type: KeyUpdateType.REQUESTED }]);
  });

  it('a later call before the flush replaces the scheduled type; one KeyUpdate goes out', () => {
    const p = established();
    const sent = countSent(p.client);
    p.client.keyUpdate(KeyUpdateType.REQUESTED);
    p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.NOT_REQUESTED);
    p.client.doHandshake();
    drive(p.client, p.server);
    expect(sent()).toBe(1);
    expect(p.events.server).toEqual([{ direction: 'received', type: KeyUpdateType.NOT_REQUESTED }]);
  });
});

describe('SSL_get_key_update_type() (shared/spec/SSL_key_update.md)', () => {
  it('"SSL_get_key_update_type() can be used to determine whether a key update operation has been scheduled but not yet performed. The type of the pending key update operation will be returned if there is one, or SSL_KEY_UPDATE_NONE otherwise."', () => {
    const p = established();
    expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    p.client.keyUpdate(KeyUpdateType.REQUESTED);
    expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.REQUESTED);
    p.client.write(enc.encode('x'));
    expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
  });
});

describe('RETURN VALUES (shared/spec/SSL_key_update.md)', () => {
  it('"SSL_key_update(), SSL_renegotiate() and SSL_renegotiate_abbreviated() return 1 on success or 0 on error." — keyUpdate returns true on success; an error is a typed exception and changes nothing', () => {
    const p = established();
    expect(p.client.keyUpdate(KeyUpdateType.REQUESTED)).toBe(true);
    const bad: unknown[] = [KeyUpdateType.NONE, 2, -2, 0.5, '1', null, undefined, NaN];
    for (const b of bad) {
      expect(() => p.client.keyUpdate(b as KeyUpdateType)).toThrow(RangeError);
      expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.REQUESTED);
    }
    p.client.close();
    expect(() => p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
  });

  it('every bad call leaves getKeyUpdateType() as it was', () => {
    const p = pair();
    expect(() => p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED)).toThrow(TlsError);
    expect(p.client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    handshake(p);
    p.server.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    expect(() => p.server.keyUpdate(7 as KeyUpdateType)).toThrow(RangeError);
    expect(p.server.getKeyUpdateType()).toBe(KeyUpdateType.NOT_REQUESTED);
  });
});

describe('receiving KeyUpdate (RFC 8446 §4.6.3, §5.1)', () => {
  it('answers update_requested with exactly one update_not_requested, however many requests arrived before it wrote', () => {
    const p = established();
    const serverSent = countSent(p.server);
    for (let i = 0; i < 3; i++) {
      p.client.keyUpdate(KeyUpdateType.REQUESTED);
      p.client.doHandshake();
      p.server.receive(p.client.takeOutgoing()!);
    }
    expect(p.events.server.filter((e) => e.direction === 'received')).toHaveLength(3);
    // The owed answer shows as scheduled (as in OpenSSL); a read does not send it.
    expect(p.server.getKeyUpdateType()).toBe(KeyUpdateType.NOT_REQUESTED);
    expect(p.server.read()).toBeNull();
    expect(p.server.takeOutgoing()).toBeNull();
    roundTrip(p.server, p.client, 'answer then data');
    expect(p.server.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    expect(serverSent()).toBe(1);
    expect(p.events.server.filter((e) => e.direction === 'sent')).toEqual([{ direction: 'sent', type: KeyUpdateType.NOT_REQUESTED }]);
    roundTrip(p.client, p.server, 'client after three updates');
  });

  it('a KeyUpdate of our own already scheduled answers a request (no second one)', () => {
    const p = established();
    const serverSent = countSent(p.server);
    p.server.keyUpdate(KeyUpdateType.REQUESTED);
    p.client.keyUpdate(KeyUpdateType.REQUESTED);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    roundTrip(p.server, p.client, 'one update');
    expect(serverSent()).toBe(1);
    expect(p.events.server.filter((e) => e.direction === 'sent')).toEqual([{ direction: 'sent', type: KeyUpdateType.REQUESTED }]);
  });

  it('a record carrying a KeyUpdate and more data after it is unexpected_message', () => {
    const p = established();
    const ku = encodeHandshake(new KeyUpdate(0));
    const rec = craftRecord(p.server, p.secrets.get('CLIENT_TRAFFIC_SECRET_0')!, ContentType.handshake, concat(ku, ku));
    expect(() => p.server.receive(rec)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_UNEXPECTED_MESSAGE', alert: 10 }));
  });

  it('a KeyUpdate before the handshake is complete is unexpected_message', () => {
    const p = pair();
    const serverSecrets = new Map<string, string>();
    p.server.on('keylog', (l) => serverSecrets.set(l.split(' ')[0]!, l.split(' ')[2]!));
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const rec = craftRecord(p.server, serverSecrets.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET')!, ContentType.handshake, encodeHandshake(new KeyUpdate(0)));
    expect(() => p.server.receive(rec)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_UNEXPECTED_MESSAGE' }));
  });

  it('a KeyUpdate of bad length is decode_error; a type other than 0 or 1 is illegal_parameter', () => {
    const a = established();
    const long = craftRecord(a.server, a.secrets.get('CLIENT_TRAFFIC_SECRET_0')!, ContentType.handshake, new Uint8Array([24, 0, 0, 2, 0, 0]));
    expect(() => a.server.receive(long)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_DECODE', alert: 50 }));
    const b = established();
    const two = craftRecord(b.server, b.secrets.get('CLIENT_TRAFFIC_SECRET_0')!, ContentType.handshake, new Uint8Array([24, 0, 0, 1, 2]));
    expect(() => b.server.receive(two)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_ILLEGAL_PARAMETER', alert: 47 }));
  });

  it('limits KeyUpdates without application data between them (configurable), then fails with a fatal alert', () => {
    const p = established({ limits: { maxKeyUpdates: 5 } });
    for (let i = 0; i < 5; i++) {
      p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
      p.client.doHandshake();
      p.server.receive(p.client.takeOutgoing()!);
    }
    // Application data resets the count.
    roundTrip(p.client, p.server, 'reset');
    for (let i = 0; i < 5; i++) {
      p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
      p.client.doHandshake();
      p.server.receive(p.client.takeOutgoing()!);
    }
    p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    p.client.doHandshake();
    expect(() => p.server.receive(p.client.takeOutgoing()!)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_TOO_MANY', alert: 10 }));
    expect(() => p.client.receive(p.server.takeOutgoing()!)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_ALERT_RECEIVED', alert: 10 }));
  });

  it('updates the send key by itself before the record limit (lowered to 4 records here)', () => {
    const p = established({}, { limits: { keyUpdateAfterRecords: 4 } });
    const data = new Uint8Array(10 * 16384).map((_, i) => i % 253);
    p.client.write(data);
    drive(p.client, p.server);
    expect(p.server.read()).toEqual(data);
    // At most 4 records per key, the KeyUpdate included: 3 data + KeyUpdate, three times, then 1 data record.
    const nr = { direction: 'sent', type: KeyUpdateType.NOT_REQUESTED };
    expect(p.events.client).toEqual([nr, nr, nr]);
    expect(p.events.server.filter((e) => e.direction === 'received')).toHaveLength(3);
  });

  it('10 000 key updates in a row, alternating sides and types, with data checked after each', () => {
    const p = established();
    const types = [KeyUpdateType.NOT_REQUESTED, KeyUpdateType.REQUESTED] as const;
    for (let i = 0; i < 10_000; i++) {
      const [a, b] = i % 2 === 0 ? [p.client, p.server] : [p.server, p.client];
      a.keyUpdate(types[(i >> 1) % 2]!);
      a.write(enc.encode(`m${i}`));
      drive(a, b);
      expect(dec.decode(b.read()!)).toBe(`m${i}`);
      // The other side answers any request on its next IO.
      b.doHandshake();
      drive(a, b);
    }
    const sent = (c: typeof p.events.client) => c.filter((e) => e.direction === 'sent').length;
    // 5 000 own updates per side, plus one answer to each of the peer's 2 500 requests.
    expect(sent(p.events.client)).toBe(7_500);
    expect(sent(p.events.server)).toBe(7_500);
    roundTrip(p.client, p.server, 'done');
  });

  it('logs each updated traffic secret as OpenSSL does (CLIENT_TRAFFIC_SECRET_N / SERVER_TRAFFIC_SECRET_N), the same on both sides', () => {
    const p = established();
    const lines = { client: [] as string[], server: [] as string[] };
    p.client.on('keylog', (l) => lines.client.push(l));
    p.server.on('keylog', (l) => lines.server.push(l));
    p.client.keyUpdate(KeyUpdateType.REQUESTED);
    p.client.doHandshake();
    drive(p.client, p.server);
    p.server.doHandshake();
    drive(p.client, p.server);
    const labels = (l: string[]) => l.map((x) => x.split(' ')[0]);
    expect(labels(lines.client)).toEqual(['CLIENT_TRAFFIC_SECRET_1', 'SERVER_TRAFFIC_SECRET_1']);
    expect(lines.server).toEqual(lines.client);
  });
});
