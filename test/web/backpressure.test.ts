/**
 * Backpressure through fromStreams, both ways: a consumer that does not
 * read stops the stream from reading its transport (bounded by the
 * high-water mark and one chunk), which stops the peer's transport writes,
 * which holds the peer application's writes; reading again lets
 * everything through, in order. The handshake still runs with nobody
 * reading (highWaterMark 0).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { settle, streamPair } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const CHUNK = 16 * 1024;
/** A 16 KiB write as it goes on the wire: one TLS 1.3 record (header, content type, tag). */
const RECORD = CHUNK + 5 + 1 + 16;

/** Settle until `value()` stops changing for a few turns. */
async function quiet(value: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  while (same < 5) {
    await settle(2);
    const v = value();
    same = v === last ? same + 1 : 0;
    last = v;
  }
  return last;
}

describe('fromStreams: backpressure', () => {
  it('a slow consumer: bytes read from the transport stay bounded, the writer is held, then everything arrives', async () => {
    const hwm = 64 * 1024;
    const { client, server, s2c } = streamPair(chain, {}, {}, { serverName: 'localhost', highWaterMark: hwm });
    await Promise.all([client.handshake, server.handshake]);
    await settle();
    const atStart = s2c.bytesRead;

    const total = 32; // 512 KiB in 16 KiB writes
    const data = new Uint8Array(total * CHUNK).map((_, i) => (i * 31 + (i >> 14)) & 0xff);
    const w = server.writable.getWriter();
    let resolved = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const p = w.write(data.subarray(i * CHUNK, (i + 1) * CHUNK));
      void p.then(() => void resolved++);
      writes.push(p);
    }

    const read = (await quiet(() => s2c.bytesRead)) - atStart;
    // The client read at most its high-water mark of data (+ the record that crossed it) from the transport.
    expect(read, "the client filled its queue").toBeGreaterThanOrEqual(hwm);
    expect(read).toBeLessThanOrEqual(hwm + RECORD);
    // The server's application writes are held: only those the pipe and the client have taken resolved.
    expect(resolved).toBeLessThanOrEqual(hwm / CHUNK + 3);
    expect(w.desiredSize).toBeLessThanOrEqual(0);

    // The consumer reads: everything arrives, in order, and every write resolves.
    const r = client.readable.getReader();
    const got = new Uint8Array(data.length);
    let n = 0;
    let maxAhead = 0;
    while (n < data.length) {
      const x = await r.read();
      expect(x.done).toBe(false);
      got.set(x.value!, n);
      n += x.value!.length;
      // Never more than the high-water mark (+ one record) read ahead of the consumer.
      maxAhead = Math.max(maxAhead, s2c.bytesRead - atStart - n * (RECORD / CHUNK));
    }
    expect(got).toEqual(data);
    expect(maxAhead).toBeLessThanOrEqual(hwm + 2 * RECORD);
    await Promise.all(writes);
    expect(resolved).toBe(total);
  });

  it('highWaterMark 0: nothing is read ahead, yet the handshake completes with nobody reading', async () => {
    const { client, server, s2c } = streamPair(chain, { numTickets: 0 }, {}, { serverName: 'localhost', highWaterMark: 0 });
    await Promise.all([client.handshake, server.handshake]);
    await settle();
    const atStart = s2c.bytesRead;
    const w = server.writable.getWriter();
    const first = w.write(new Uint8Array(CHUNK).fill(1));
    void w.write(new Uint8Array(CHUNK).fill(2));
    await quiet(() => s2c.bytesRead);
    expect(s2c.bytesRead - atStart, 'nothing read while nobody reads').toBe(0);
    const r = client.readable.getReader();
    const x = await r.read();
    expect(x.value!.length).toBe(CHUNK);
    expect(x.value![0]).toBe(1);
    await first;
    expect(s2c.bytesRead - atStart).toBe(RECORD);
  });
});
