/**
 * Ordering and lifecycle of the sans-IO Connection: queued handshake bytes
 * before application data, close() before the handshake, listener
 * exceptions, what the public class exposes, user callbacks that throw, and
 * bounded caches.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType, KeyUpdateType } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import { cachedLabelCount } from '../../src/crypto/tls13-kdf.js';
import { Outbox } from '../../src/ssl/outbox.js';
import type { CertificateVerifier } from '../../src/x509/verifier.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, drive, handshake, makePair, serverCert } from '../helpers/pair.js';
import { collectSecrets, expectFatal, fresh, recordOpener, splitRecords, thrown } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

describe('queued handshake messages go out before application data queued after them', () => {
  it('Outbox: a queued handshake message is sealed ahead of application data', () => {
    const box = new Outbox();
    box.queueHandshake(new Uint8Array([24, 0, 0, 1, 0]));
    box.application(new Uint8Array([0xaa, 0xbb]));
    const records = splitRecords(box.take()!);
    expect(records.map((r) => r.type)).toEqual([ContentType.handshake, ContentType.application_data]);
  });

  it('Connection: a scheduled KeyUpdate then a write: the KeyUpdate record comes first, under the old key', () => {
    // No tickets, so the server's first record under SERVER_TRAFFIC_SECRET_0 is the KeyUpdate (sequence 0).
    const p = fresh(chain, {}, { numTickets: 0 });
    const serverSecrets = collectSecrets(p.server);
    handshake(p);
    p.server.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    p.server.write(new Uint8Array([1, 2, 3]));
    const records = splitRecords(p.server.takeOutgoing()!);
    expect(records.length).toBe(2);
    const old = recordOpener(serverSecrets, 'SERVER_TRAFFIC_SECRET_0');
    const first = old.open({ type: records[0]!.type, version: 0x0303, header: records[0]!.bytes.subarray(0, 5), fragment: records[0]!.fragment });
    expect(first.type).toBe(ContentType.handshake);
    expect([...first.data]).toEqual([24, 0, 0, 1, 0]);
    p.client.receive(records[0]!.bytes);
    p.client.receive(records[1]!.bytes);
    expect([...p.client.read()!]).toEqual([1, 2, 3]);
  });
});

describe('close() before the handshake starts', () => {
  it('sends nothing and ends the connection; doHandshake and write are typed errors that change nothing', () => {
    const { client } = fresh(chain);
    client.close();
    expect(client.closed).toBe(true);
    expect(client.takeOutgoing()).toBeNull();
    const hs = thrown(() => client.doHandshake());
    expect(hs.code).toBe('ERR_TLS_CLOSED');
    expect(thrown(() => client.write(new Uint8Array([1]))).code).toBe('ERR_TLS_CLOSED');
    expect(client.failure).toBeNull();
    expect(client.takeOutgoing()).toBeNull();
    expect(client.stateName).toBe('Start');
  });

  it('a server closed before any ClientHello ignores what arrives', () => {
    const p = fresh(chain);
    p.server.close();
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    expect(p.server.takeOutgoing()).toBeNull();
    expect(p.server.stateName).toBe('ExpectClientHello');
  });

  it('close() during the handshake sends close_notify once it completes', () => {
    const p = fresh(chain);
    p.client.doHandshake();
    p.client.close();
    drive(p.client, p.server);
    expect(p.client.handshakeComplete).toBe(true);
    expect(p.server.peerClosed).toBe(true);
  });
});

describe('a throwing event listener', () => {
  it('surfaces to the caller of receive(); no alert is sent and the connection carries on', () => {
    const p = fresh(chain);
    const boom = new Error('listener bug');
    p.client.on('handshake', () => {
      throw boom;
    });
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    let caught: unknown;
    try {
      p.client.receive(p.server.takeOutgoing()!);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    expect(p.client.failure).toBeNull();
    expect(p.client.handshakeComplete).toBe(true);
    // The client Finished (not an alert) goes out, and data flows both ways.
    p.server.receive(p.client.takeOutgoing()!);
    expect(p.server.handshakeComplete).toBe(true);
    p.client.write(new Uint8Array([5]));
    p.server.receive(p.client.takeOutgoing()!);
    expect([...p.server.read()!]).toEqual([5]);
  });

  it('events after the throwing one are delivered by the next call, in order', () => {
    const p = fresh(chain);
    const seen: string[] = [];
    let first = true;
    p.client.on('keylog', (line) => {
      seen.push(line.split(' ')[0]!);
      if (first) {
        first = false;
        throw new Error('first keylog listener call throws');
      }
    });
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    expect(() => p.client.receive(p.server.takeOutgoing()!)).toThrow('first keylog listener call throws');
    expect(seen).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET']);
    p.client.takeOutgoing();
    expect(seen).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET']);
  });
});

describe('handshake internals are not part of the public class', () => {
  it('a Connection has no sendHandshake, key switches or finishHandshake to call', () => {
    const { client } = fresh(chain);
    const surface = client as unknown as Record<string, unknown>;
    for (const name of ['sendHandshake', 'sendChangeCipherSpec', 'setSendProtection', 'setReceiveProtection', 'finishHandshake', 'keyUpdateReceived', 'ticketReceived', 'keylog', 'skipEarlyData', 'guard']) {
      expect(surface[name], name).toBeUndefined();
    }
    expect(Object.keys(client)).not.toContain('engine');
  });
});

describe('a handshake commits its result once, at its end', () => {
  it('negotiated is a frozen record after the handshake; handshaking is true only while one runs', () => {
    const p = fresh(chain);
    expect(p.client.handshaking).toBe(false);
    p.client.doHandshake();
    expect(p.client.handshaking).toBe(true);
    expect(Object.isFrozen(p.client.negotiated)).toBe(false);
    drive(p.client, p.server);
    const r = p.client.negotiated;
    expect(p.client.handshaking).toBe(false);
    expect(Object.isFrozen(r)).toBe(true);
    expect(r.version).toBe(0x0304);
    expect(r.finished).toBeInstanceOf(Uint8Array);
    expect(p.client.negotiated).toBe(r);
    expect(Object.isFrozen(p.server.negotiated)).toBe(true);
  });
});

describe('user callbacks that throw during the handshake', () => {
  it('a throwing certificate verifier fails the handshake with internal_error, its exception as cause, not flagged as a bug', () => {
    const boom = new Error('verifier exploded');
    const verifier: CertificateVerifier = {
      verify: () => {
        throw boom;
      },
    };
    const p = makePair({ certificate: serverCert(chain) }, { verifier });
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const flight = p.server.takeOutgoing()!;
    const err = expectFatal(p.client, () => p.client.receive(flight), 'ERR_TLS_INTERNAL', 80);
    expect((err as Error & { cause?: unknown }).cause).toBe(boom);
  });

  it('an exception that is not a TlsError inside the core is flagged as a bug, with the original as cause', () => {
    const e = TlsError.bug(new TypeError('x is undefined'));
    expect(e.bug).toBe(true);
    expect(e.code).toBe('ERR_TLS_INTERNAL');
    expect((e as Error & { cause?: unknown }).cause).toBeInstanceOf(TypeError);
    expect(TlsError.internal('deliberate').bug).toBe(false);
  });
});

describe('caches a caller can grow are bounded', () => {
  it('exportKeyingMaterial with 10 000 distinct labels leaves the label table as it was', () => {
    const p = fresh(chain);
    handshake(p);
    const before = cachedLabelCount();
    const a = p.client.exportKeyingMaterial(32, 'EXPORTER-label-0');
    for (let i = 0; i < 10_000; i++) p.client.exportKeyingMaterial(16, `EXPORTER-label-${i}`);
    expect(cachedLabelCount()).toBe(before);
    expect(p.server.exportKeyingMaterial(32, 'EXPORTER-label-0')).toEqual(a);
  });

  it('an exporter label that cannot be encoded is a RangeError', () => {
    const p = fresh(chain);
    handshake(p);
    expect(() => p.client.exportKeyingMaterial(16, 'x'.repeat(250))).toThrow(RangeError);
    expect(() => p.client.exportKeyingMaterial(16, 'caf\u00e9')).toThrow(RangeError);
  });
});
