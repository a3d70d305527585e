/**
 * bunSocketHandlers (src/web/bun-socket.ts) against a scripted stand-in for
 * Bun's Socket, under Node: what each handler does to the stream pair, write
 * back-pressure ('drain'), read back-pressure (pause/resume), and the ends.
 * The real thing (Bun.connect / Bun.listen against openssl) is in
 * deno-bun.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bunSocketHandlers, type BunSocketStreams } from '../../src/web/bun-socket.js';

/** A socket that accepts up to `room` bytes per write until given more. */
class FakeSocket {
  written: number[] = [];
  calls: string[] = [];
  room = Infinity;
  closed = false;
  write(data: Uint8Array): number {
    if (this.closed) return -1;
    const n = Math.min(this.room, data.byteLength);
    this.room -= n;
    this.written.push(...data.subarray(0, n));
    return n;
  }
  end(): void {
    this.calls.push('end');
  }
  terminate(): void {
    this.calls.push('terminate');
  }
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
}

function open(options?: { readHighWaterMark?: number }): { socket: FakeSocket; streams: BunSocketStreams; h: ReturnType<typeof bunSocketHandlers<FakeSocket>> } {
  const socket = new FakeSocket();
  let streams: BunSocketStreams | undefined;
  const h = bunSocketHandlers<FakeSocket>((s, sock) => {
    expect(sock).toBe(socket);
    streams = s;
  }, options);
  h.open(socket);
  return { socket, streams: streams!, h };
}

describe('bunSocketHandlers', () => {
  it('received data becomes chunks of readable (copies); the peer FIN ends it', async () => {
    const { socket, streams, h } = open();
    const buf = Uint8Array.of(1, 2, 3);
    h.data(socket, buf);
    buf[0] = 9; // the runtime reuses its buffer: the chunk must not change
    h.data(socket, new Uint8Array(0));
    h.end(socket);
    h.close(socket);
    const reader = streams.readable.getReader();
    expect(await reader.read()).toEqual({ done: false, value: Uint8Array.of(1, 2, 3) });
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });

  it('a socket error errors the readable and later writes', async () => {
    const { socket, streams, h } = open();
    const boom = new Error('ECONNRESET');
    h.error(socket, boom);
    h.close(socket, boom);
    await expect(streams.readable.getReader().read()).rejects.toBe(boom);
    await expect(streams.writable.getWriter().write(Uint8Array.of(1))).rejects.toBe(boom);
  });

  it('a write the socket takes in part waits for drain, then sends the rest in order', async () => {
    const { socket, streams, h } = open();
    socket.room = 2;
    const writer = streams.writable.getWriter();
    let done = false;
    const w = writer.write(Uint8Array.of(1, 2, 3, 4, 5)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 0));
    expect(socket.written).toEqual([1, 2]);
    expect(done).toBe(false);
    socket.room = Infinity;
    h.drain(socket);
    await w;
    await writer.write(Uint8Array.of(6));
    expect(socket.written).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('the close while a write waits for drain rejects it', async () => {
    const { socket, streams, h } = open();
    socket.room = 1;
    const w = streams.writable.getWriter().write(Uint8Array.of(1, 2));
    await new Promise((r) => setTimeout(r, 0));
    socket.closed = true;
    h.close(socket);
    await expect(w).rejects.toThrow(/the socket is closed/);
  });

  it('pauses the socket while more than readHighWaterMark bytes are unread, resumes when read', async () => {
    const { socket, streams, h } = open({ readHighWaterMark: 4 });
    h.data(socket, new Uint8Array(3));
    expect(socket.calls).toEqual([]);
    h.data(socket, new Uint8Array(3));
    expect(socket.calls).toEqual(['pause']);
    h.data(socket, new Uint8Array(3)); // still accepted (already in flight), no second pause
    expect(socket.calls).toEqual(['pause']);
    const reader = streams.readable.getReader();
    for (let i = 0; i < 3; i++) await reader.read();
    expect(socket.calls).toEqual(['pause', 'resume']);
  });

  it('writable.close() ends the socket, abort() terminates it, readable.cancel() ends it', async () => {
    const a = open();
    await a.streams.writable.close();
    expect(a.socket.calls).toEqual(['end']);
    const b = open();
    await b.streams.writable.abort(new Error('x'));
    expect(b.socket.calls).toEqual(['terminate']);
    const c = open();
    await c.streams.readable.cancel();
    expect(c.socket.calls).toEqual(['end']);
  });

  it('checks its arguments', () => {
    expect(() => bunSocketHandlers(null as unknown as () => void)).toThrow(TypeError);
    expect(() => bunSocketHandlers(() => {}, { readHighWaterMark: 0 })).toThrow(RangeError);
    expect(() => bunSocketHandlers(() => {}, { readHighWaterMark: Infinity })).toThrow(RangeError);
  });
});
