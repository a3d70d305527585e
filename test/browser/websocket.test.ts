/**
 * webSocketStreams (src/web/websocket.ts) against a scripted WebSocket in
 * Node: the mapping of open / message / error / close events onto the two
 * streams, the write backpressure on bufferedAmount, the read bound, and the
 * close linger. (The real thing, Chromium's WebSocket through a relay, is in
 * chromium.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { webSocketStreams, WebSocketClosedError, type WebSocketCloseLike, type WebSocketLike, type WebSocketMessageLike } from '../../src/core.js';

type Listener = (event: never) => void;

/** A WebSocket whose events the test fires; it records what was sent and whether close() was called. */
class FakeWebSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  closeCalls = 0;
  readonly #listeners = new Map<string, Listener[]>();

  send(data: Uint8Array): void {
    if (this.readyState !== 1) throw new Error('send while not open');
    this.sent.push(data.slice());
  }
  close(): void {
    this.closeCalls++;
    if (this.readyState <= 1) this.readyState = 2;
  }
  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  #fire(type: string, event: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) (l as (e: unknown) => void)(event);
  }
  open(): void {
    this.readyState = 1;
    this.#fire('open', {});
  }
  message(data: unknown): void {
    this.#fire('message', { data } satisfies WebSocketMessageLike);
  }
  error(): void {
    this.#fire('error', {});
  }
  closed(code: number, wasClean: boolean, reason = ''): void {
    this.readyState = 3;
    this.#fire('close', { code, reason, wasClean } satisfies WebSocketCloseLike);
  }
}

const bytes = (...b: number[]): ArrayBuffer => Uint8Array.from(b).buffer;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('webSocketStreams', () => {
  it('sets binaryType, resolves opened on open, and maps binary messages to chunks and a clean close to the end', async () => {
    const ws = new FakeWebSocket();
    const { readable, opened } = webSocketStreams(ws);
    expect(ws.binaryType).toBe('arraybuffer');
    ws.open();
    await opened;
    ws.message(bytes(1, 2, 3));
    ws.message(bytes()); // empty: nothing
    ws.message(bytes(4));
    ws.closed(1000, true);
    const reader = readable.getReader();
    expect(await reader.read()).toEqual({ done: false, value: Uint8Array.of(1, 2, 3) });
    expect(await reader.read()).toEqual({ done: false, value: Uint8Array.of(4) });
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });

  it('queues writes until the socket opens, and sends each chunk as one message', async () => {
    const ws = new FakeWebSocket();
    const { writable } = webSocketStreams(ws);
    const writer = writable.getWriter();
    const w = writer.write(Uint8Array.of(9, 9));
    await tick();
    expect(ws.sent).toEqual([]);
    ws.open();
    await w;
    await writer.write(Uint8Array.of(7));
    expect(ws.sent).toEqual([Uint8Array.of(9, 9), Uint8Array.of(7)]);
  });

  it('holds a write while bufferedAmount is above the high-water mark', async () => {
    const ws = new FakeWebSocket();
    ws.open();
    const { writable } = webSocketStreams(ws, { writeHighWaterMark: 100, pollMs: 5 });
    ws.bufferedAmount = 500;
    let done = false;
    const w = writable
      .getWriter()
      .write(Uint8Array.of(1))
      .then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    ws.bufferedAmount = 50;
    await w;
    expect(ws.sent).toEqual([Uint8Array.of(1)]);
  });

  it('a failure before open rejects opened; an abnormal close errors the readable and later writes', async () => {
    const ws = new FakeWebSocket();
    const { readable, writable, opened } = webSocketStreams(ws);
    ws.error();
    ws.closed(1006, false);
    await expect(opened).rejects.toBeInstanceOf(WebSocketClosedError);
    await expect(readable.getReader().read()).rejects.toMatchObject({ name: 'WebSocketClosedError', code: 1006 });
    await expect(writable.getWriter().write(Uint8Array.of(1))).rejects.toBeInstanceOf(WebSocketClosedError);
  });

  it('a text message errors the readable with a TypeError and closes the socket', async () => {
    const ws = new FakeWebSocket();
    ws.open();
    const { readable } = webSocketStreams(ws);
    ws.message('hello');
    await expect(readable.getReader().read()).rejects.toBeInstanceOf(TypeError);
    expect(ws.closeCalls).toBe(1);
  });

  it('more unread bytes than maxReadBuffer error the readable and close the socket', async () => {
    const ws = new FakeWebSocket();
    ws.open();
    const { readable } = webSocketStreams(ws, { maxReadBuffer: 10 });
    ws.message(new ArrayBuffer(6));
    expect(ws.closeCalls).toBe(0);
    ws.message(new ArrayBuffer(6));
    expect(ws.closeCalls).toBe(1);
    await expect(readable.getReader().read()).rejects.toBeInstanceOf(RangeError);
  });

  it('writable.close() lingers for the peer (its close ends the readable), or closes after closeLingerMs', async () => {
    const ws = new FakeWebSocket();
    ws.open();
    const { readable, writable } = webSocketStreams(ws, { closeLingerMs: 10_000 });
    await writable.getWriter().close();
    expect(ws.closeCalls).toBe(0); // still open for the peer's last bytes
    ws.message(bytes(5));
    ws.closed(1000, true);
    const reader = readable.getReader();
    expect(await reader.read()).toEqual({ done: false, value: Uint8Array.of(5) });
    expect((await reader.read()).done).toBe(true);

    const ws2 = new FakeWebSocket();
    ws2.open();
    const s2 = webSocketStreams(ws2, { closeLingerMs: 20 });
    await s2.writable.getWriter().close();
    expect(ws2.closeCalls).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(ws2.closeCalls).toBe(1);

    const ws3 = new FakeWebSocket();
    ws3.open();
    const s3 = webSocketStreams(ws3, { closeLingerMs: 0 });
    await s3.writable.getWriter().close();
    expect(ws3.closeCalls).toBe(1);
  });

  it('readable.cancel() and writable.abort() close the socket', async () => {
    const ws = new FakeWebSocket();
    ws.open();
    await webSocketStreams(ws).readable.cancel();
    expect(ws.closeCalls).toBe(1);
    const ws2 = new FakeWebSocket();
    ws2.open();
    await webSocketStreams(ws2).writable.abort();
    expect(ws2.closeCalls).toBe(1);
  });

  it('refuses what is not a WebSocket, bad options, and an already closed socket', async () => {
    expect(() => webSocketStreams({} as WebSocketLike)).toThrow(TypeError);
    expect(() => webSocketStreams(new FakeWebSocket(), { writeHighWaterMark: -1 })).toThrow(RangeError);
    expect(() => webSocketStreams(new FakeWebSocket(), { closeLingerMs: Number.NaN })).toThrow(RangeError);
    const ws = new FakeWebSocket();
    ws.readyState = 3;
    const closed = webSocketStreams(ws);
    await expect(closed.opened).rejects.toBeInstanceOf(WebSocketClosedError);
    await expect(closed.readable.getReader().read()).rejects.toBeInstanceOf(WebSocketClosedError);
    await expect(closed.writable.getWriter().write(Uint8Array.of(1))).rejects.toBeInstanceOf(WebSocketClosedError);
  });
});
