/**
 * Limits decided at the record and message headers: per-type handshake
 * message sizes (decode_error before the body is buffered), what may still
 * arrive in plaintext once encryption started, a ChangeCipherSpec inside a
 * fragmented message, and RFC 8449 record_size_limit in both directions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { ContentType } from '../../src/common/constants.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, handshake } from '../helpers/pair.js';
import { clientSealer, collectSecrets, expectFatal, fresh, plain, serverFlightMessages, splitRecords } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

describe('handshake message size limits, from the 4-byte header (decode_error)', () => {
  it('a KeyUpdate announcing 128 KiB after the handshake fails at its header; nothing is parked', () => {
    const p = fresh(chain);
    handshake(p);
    const header = new Uint8Array([24, ...u24(128 * 1024), 0, 0, 0]);
    expectFatal(p.server, () => p.server.receive(clientSealer(p.secrets).seal(ContentType.handshake, header)), 'ERR_TLS_DECODE', 50);
  });

  it('a KeyUpdate of 2 bytes is refused at its header', () => {
    const p = fresh(chain);
    handshake(p);
    const msg = new Uint8Array([24, 0, 0, 2, 0, 0]);
    expectFatal(p.server, () => p.server.receive(clientSealer(p.secrets).seal(ContentType.handshake, msg)), 'ERR_TLS_DECODE', 50);
  });

  it('a Finished of 2^17 bytes is refused at its header', () => {
    const p = fresh(chain, {}, {}, { middleboxCompat: false });
    const secrets = collectSecrets(p.server);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.server.takeOutgoing();
    const sealer = clientSealer(secrets, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    const header = new Uint8Array([20, ...u24(1 << 17)]);
    expectFatal(p.server, () => p.server.receive(sealer.seal(ContentType.handshake, header)), 'ERR_TLS_DECODE', 50);
  });

  it('a ServerHello announcing 1 MiB is refused at its header', () => {
    const p = fresh(chain);
    p.client.doHandshake();
    p.client.takeOutgoing();
    expectFatal(p.client, () => p.client.receive(plain(ContentType.handshake, new Uint8Array([2, ...u24(1 << 20)]))), 'ERR_TLS_DECODE', 50);
  });

  it('a ClientHello over 64 KiB is refused at its header', () => {
    const p = fresh(chain);
    expectFatal(p.server, () => p.server.receive(plain(ContentType.handshake, new Uint8Array([1, ...u24(65537)]))), 'ERR_TLS_DECODE', 50);
  });

  it('a Certificate may go up to the configured maximum, and not beyond', () => {
    // The size of the server's Certificate body, from a first run.
    const probe = fresh(chain);
    const secrets = collectSecrets(probe.server);
    probe.client.doHandshake();
    probe.server.receive(probe.client.takeOutgoing()!);
    const msgs = serverFlightMessages(probe.server.takeOutgoing()!, secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!);
    const certBody = msgs.find((m) => m[0] === 11)!.length - 4;
    const run = (limit: number) => {
      const p = fresh(chain, {}, {}, { limits: { maxHandshakeMessageSize: limit } });
      p.client.doHandshake();
      p.server.receive(p.client.takeOutgoing()!);
      return p;
    };
    const fits = run(certBody);
    fits.client.receive(fits.server.takeOutgoing()!);
    expect(fits.client.handshakeComplete).toBe(true);
    const over = run(certBody - 1);
    expectFatal(over.client, () => over.client.receive(over.server.takeOutgoing()!), 'ERR_TLS_DECODE', 50);
  });

  it('a handshake type no peer may send is unexpected_message at its header', () => {
    const p = fresh(chain);
    expectFatal(p.server, () => p.server.receive(plain(ContentType.handshake, new Uint8Array([99, 0, 0, 1]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });
});

describe('plaintext records once encryption started (RFC 8446 §5)', () => {
  it('a plaintext alert before the peer\'s first protected record is reported (the peer failed before it had keys)', () => {
    const p = fresh(chain);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.server.takeOutgoing();
    const err = expectFatal(p.server, () => p.server.receive(plain(ContentType.alert, new Uint8Array([2, 40]))), 'ERR_TLS_ALERT_RECEIVED', 40);
    expect(err.remote).toBe(true);
  });

  it('a plaintext alert after a protected record is unexpected_message', () => {
    const p = fresh(chain, {}, {}, { middleboxCompat: false });
    const secrets = collectSecrets(p.server);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const flight = p.server.takeOutgoing()!;
    // Re-cut the server's flight: ServerHello, then EncryptedExtensions alone in the first protected record.
    const msgs = serverFlightMessages(flight, secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!);
    const sealer = clientSealer(secrets, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    p.client.receive(concat(plain(ContentType.handshake, msgs[0]!), sealer.seal(ContentType.handshake, msgs[1]!)));
    expect(p.client.handshakeComplete).toBe(false);
    expectFatal(p.client, () => p.client.receive(plain(ContentType.alert, new Uint8Array([2, 40]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });

  it('a plaintext handshake record after encryption started is unexpected_message', () => {
    const p = fresh(chain);
    handshake(p);
    expectFatal(p.server, () => p.server.receive(plain(ContentType.handshake, new Uint8Array([24, 0, 0, 1, 0]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });

  it('a ChangeCipherSpec while a handshake message is partly reassembled is unexpected_message (RFC 8446 §5.1)', () => {
    const p = fresh(chain);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const sh = splitRecords(p.server.takeOutgoing()!)[0]!.fragment;
    p.client.receive(plain(ContentType.handshake, sh.subarray(0, 10)));
    expectFatal(p.client, () => p.client.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });
});

describe('record_size_limit (RFC 8449) both ways, from the first protected record', () => {
  it('a client announcing 512 gets a server flight whose protected records carry at most 512 inner bytes', () => {
    const p = fresh(chain, {}, {}, { recordSizeLimit: 512 });
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const records = splitRecords(p.server.takeOutgoing()!);
    const protectedRecords = records.filter((r) => r.type === ContentType.application_data);
    expect(protectedRecords.length).toBeGreaterThan(2);
    for (const r of protectedRecords) expect(r.fragment.length - 16).toBeLessThanOrEqual(512);
    // and the handshake still completes over those records
    p.client.receive(concat(...records.map((r) => r.bytes)));
    expect(p.client.handshakeComplete).toBe(true);
  });

  it('application data to a peer that announced 600 is cut at 599 bytes a record', () => {
    const p = fresh(chain, {}, {}, { recordSizeLimit: 600 });
    handshake(p);
    p.server.write(new Uint8Array(5000));
    for (const r of splitRecords(p.server.takeOutgoing()!)) expect(r.fragment.length - 16).toBeLessThanOrEqual(600);
  });

  it('a protected record over the limit we announced is record_overflow (server)', () => {
    const p = fresh(chain, {}, { recordSizeLimit: 700 }, { recordSizeLimit: 600 });
    handshake(p);
    const s = clientSealer(p.secrets);
    p.server.receive(s.seal(ContentType.application_data, new Uint8Array(699)));
    expect(p.server.read()!.length).toBe(699);
    expectFatal(p.server, () => p.server.receive(s.seal(ContentType.application_data, new Uint8Array(700))), 'ERR_TLS_RECORD_OVERFLOW', 22);
  });

  it('a protected record over the limit we announced is record_overflow (client)', () => {
    const p = fresh(chain, {}, {}, { recordSizeLimit: 600 });
    handshake(p);
    const s = clientSealer(p.secrets, 'SERVER_TRAFFIC_SECRET_0');
    expectFatal(p.client, () => p.client.receive(s.seal(ContentType.application_data, new Uint8Array(1000))), 'ERR_TLS_RECORD_OVERFLOW', 22);
  });
});
