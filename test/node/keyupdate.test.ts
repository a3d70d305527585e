/**
 * Key update through TlsSocket (issue 11): scheduled by keyUpdate(), flushed by
 * the socket's next read or write or by doHandshake(), never lost by a
 * partial (backpressured) write.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyUpdateType } from '../../src/common/constants.js';
import type { KeyUpdateEvent } from '../../src/ssl/connection.js';
import { TlsSocket } from '../../src/node/index.js';
import { certsFor, collect, installCleanup, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('ed25519');
});

/** Two Duplexes back to back; small buffers make write() return false early (backpressure). */
function pair(highWaterMark = 16 * 1024): { client: TlsSocket; server: TlsSocket; clientWrites: Uint8Array[] } {
  const clientWrites: Uint8Array[] = [];
  const ab = new PassThrough({ highWaterMark });
  const ba = new PassThrough({ highWaterMark });
  const tap = Duplex.from({ readable: ba, writable: ab });
  const origWrite = tap.write.bind(tap);
  tap.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
    clientWrites.push(chunk);
    return (origWrite as (c: Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof tap.write;
  const server = track(new TlsSocket(Duplex.from({ readable: ab, writable: ba }), { isServer: true, cert: certs.cert, key: certs.key }));
  const client = track(new TlsSocket(tap, { servername: 'localhost', ca: certs.ca }));
  return { client, server, clientWrites };
}

async function established(highWaterMark?: number) {
  const p = pair(highWaterMark);
  await Promise.all([once(p.client, 'secureConnect'), once(p.server, 'secure')]);
  const events = { client: [] as KeyUpdateEvent[], server: [] as KeyUpdateEvent[] };
  p.client.on('keyUpdate', (e: KeyUpdateEvent) => events.client.push(e));
  p.server.on('keyUpdate', (e: KeyUpdateEvent) => events.server.push(e));
  return { ...p, events };
}

describe('TlsSocket key update', () => {
  it('keyUpdate before the handshake is a typed error and changes nothing; a bad type is a RangeError', async () => {
    const { client } = pair();
    expect(() => client.keyUpdate(KeyUpdateType.REQUESTED)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
    await once(client, 'secureConnect');
    expect(() => client.keyUpdate(KeyUpdateType.NONE)).toThrow(RangeError);
    expect(client.keyUpdate(KeyUpdateType.NOT_REQUESTED)).toBe(true);
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NOT_REQUESTED);
  });

  it('doHandshake() resolves once the KeyUpdate was handed to the transport', async () => {
    const { client, clientWrites, events } = await established();
    client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    const before = clientWrites.length;
    await client.doHandshake();
    expect(clientWrites.length).toBe(before + 1);
    // One record: 5-byte header + KeyUpdate (5) + content type (1) + tag (16).
    expect(clientWrites[before]!.length).toBe(5 + 5 + 1 + 16);
    expect(events.client).toEqual([{ direction: 'sent', type: KeyUpdateType.NOT_REQUESTED }]);
    expect(client.getKeyUpdateType()).toBe(KeyUpdateType.NONE);
  });

  it('the next read flushes a scheduled KeyUpdate, even a read that yields no data for the application', async () => {
    const { client, server, events } = await established();
    client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    const serverSaw = new Promise<void>((resolve) => server.on('keyUpdate', (e: KeyUpdateEvent) => e.direction === 'received' && resolve()));
    const appData: Buffer[] = [];
    client.on('data', (d: Buffer) => appData.push(d));
    // The server sends a KeyUpdate of its own: a record with no application data in it.
    server.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    await server.doHandshake();
    await serverSaw;
    expect(events.client).toEqual([
      { direction: 'received', type: KeyUpdateType.NOT_REQUESTED },
      { direction: 'sent', type: KeyUpdateType.NOT_REQUESTED },
    ]);
    expect(appData).toEqual([]);
  });

  it('a backpressured write flushes the KeyUpdate first and loses nothing (8 MiB through 4 KiB buffers)', async () => {
    const { client, server, events } = await established(4 * 1024);
    const data = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data.fill(i / 4096, i, i + 4096);
    const order: string[] = [];
    server.on('keyUpdate', (e: KeyUpdateEvent) => order.push(`keyUpdate ${e.direction}`));
    server.once('data', () => order.push('data'));
    client.keyUpdate(KeyUpdateType.REQUESTED);
    const ok = client.write(data);
    expect(ok).toBe(false); // the transport did not take it all at once
    client.end();
    const got = await collect(server);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(order[0]).toBe('keyUpdate received');
    expect(order.indexOf('data')).toBeGreaterThan(0);
    expect(events.client[0]).toEqual({ direction: 'sent', type: KeyUpdateType.REQUESTED });
  });
});
