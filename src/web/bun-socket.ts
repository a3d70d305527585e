/**
 * Bun's native TCP sockets as WHATWG byte-stream pairs, for `fromStreams`.
 * `Bun.connect` and `Bun.listen` are callback-based (one set of handlers per
 * client or listener, called with the socket): `bunSocketHandlers` is such a
 * set, and hands each socket's stream pair to `onOpen` as it opens.
 *
 *   let opened!: (streams: BunSocketStreams) => void;
 *   const ready = new Promise<BunSocketStreams>((resolve) => (opened = resolve));
 *   await Bun.connect({ hostname: 'example.com', port: 443, socket: bunSocketHandlers(opened) }); // rejects if it cannot connect
 *   const tls = fromStreams(await ready, { context, serverName: 'example.com' });
 *
 *   Bun.listen({
 *     hostname: '127.0.0.1', port: 8443,
 *     socket: bunSocketHandlers((streams) => serve(fromStreams(streams, { context, role: 'server' }))),
 *   });
 *
 * No Node dependency: this file is part of puretls/core and compiles with the
 * web platform's types only (tsconfig.core.json). The socket is described
 * structurally (`BunSocketLike`), so no Bun types are needed; Bun's `Socket`
 * has this shape. The handlers keep their state in a WeakMap keyed by the
 * socket: `socket.data` stays the caller's.
 */

/** The part of Bun's `Socket` used here. */
export interface BunSocketLike {
  /** Bytes written now (the rest waits for 'drain'); -1 when the socket is closed. */
  write(data: Uint8Array): number;
  /** Close after what was written (FIN). */
  end(): unknown;
  /** Close at once (RST). */
  terminate(): unknown;
  /** Stop / restart reading (Bun 1.1+); without them received data is queued unbounded. */
  pause?(): unknown;
  resume?(): unknown;
}

/** The stream pair of one socket. */
export interface BunSocketStreams {
  /** The bytes received; ends on the peer's FIN or the close, errors on a socket error. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Written in order, waiting for 'drain' when the socket's buffer is full; close() ends the socket (FIN), abort() terminates it. */
  readonly writable: WritableStream<Uint8Array>;
}

/** The handlers Bun.connect / Bun.listen take as `socket` (Bun's SocketHandler shape). */
export interface BunSocketHandlers<S extends BunSocketLike = BunSocketLike> {
  open(socket: S): void;
  data(socket: S, data: Uint8Array): void;
  drain(socket: S): void;
  end(socket: S): void;
  error(socket: S, error: Error): void;
  close(socket: S, error?: Error): void;
}

export interface BunSocketHandlersOptions {
  /** Received bytes queued unread before the socket is paused (socket.pause()). Default 64 KiB. */
  readonly readHighWaterMark?: number;
}

const DEFAULT_READ_HIGH_WATER_MARK = 64 * 1024;

/** Per-socket state. */
interface State {
  controller: ReadableStreamDefaultController<Uint8Array>;
  readDone: boolean;
  paused: boolean;
  closed: boolean;
  failure: Error | null;
  /** Resolves the write waiting for 'drain' (or for the close). */
  wake: (() => void) | null;
}

/**
 * Handlers for `Bun.connect({ socket })` / `Bun.listen({ socket })` that give
 * every socket, as it opens, a `{ readable, writable }` pair (call
 * `fromStreams` on it in `onOpen`: data may arrive right after). Mapping:
 * - received data → a chunk of `readable` (a copy); while more than
 *   `readHighWaterMark` bytes are unread the socket is paused;
 * - the peer's FIN or the close → `readable` ends; a socket error → it errors;
 * - a chunk written to `writable` → `socket.write`, the rest after 'drain';
 *   writes after the close reject; `writable.close()` → `socket.end()`,
 *   `abort()` → `socket.terminate()`; `readable.cancel()` → `socket.end()`.
 */
export function bunSocketHandlers<S extends BunSocketLike = BunSocketLike>(
  onOpen: (streams: BunSocketStreams, socket: S) => void,
  options: BunSocketHandlersOptions = {},
): BunSocketHandlers<S> {
  if (typeof onOpen !== 'function') throw new TypeError('bunSocketHandlers: onOpen must be a function');
  const highWater = options.readHighWaterMark ?? DEFAULT_READ_HIGH_WATER_MARK;
  if (typeof highWater !== 'number' || !(highWater > 0) || !Number.isFinite(highWater)) {
    throw new RangeError('bunSocketHandlers: readHighWaterMark must be a positive number');
  }
  const states = new WeakMap<S, State>();

  const endRead = (st: State, error?: Error): void => {
    if (st.readDone) return;
    st.readDone = true;
    if (error) st.controller.error(error);
    else st.controller.close();
  };
  const wake = (st: State): void => {
    const w = st.wake;
    st.wake = null;
    w?.();
  };
  const closedError = (st: State): Error => st.failure ?? new Error('bunSocketHandlers: the socket is closed');

  return {
    open(socket) {
      const st: State = {
        controller: undefined as unknown as ReadableStreamDefaultController<Uint8Array>,
        readDone: false,
        paused: false,
        closed: false,
        failure: null,
        wake: null,
      };
      states.set(socket, st);
      const readable = new ReadableStream<Uint8Array>(
        {
          start(c) {
            st.controller = c;
          },
          pull() {
            if (st.paused && !st.closed) {
              st.paused = false;
              socket.resume?.();
            }
          },
          cancel() {
            st.readDone = true;
            if (!st.closed) socket.end();
          },
        },
        { highWaterMark: highWater, size: (chunk) => chunk.byteLength },
      );
      const writable = new WritableStream<Uint8Array>({
        async write(chunk) {
          if (!(chunk instanceof Uint8Array)) throw new TypeError('bunSocketHandlers: write a Uint8Array');
          let rest = chunk;
          while (rest.byteLength > 0) {
            if (st.closed) throw closedError(st);
            const n = socket.write(rest);
            if (n < 0) throw closedError(st);
            rest = rest.subarray(n);
            if (rest.byteLength > 0) await new Promise<void>((res) => (st.wake = res));
          }
        },
        close() {
          if (!st.closed) socket.end();
        },
        abort() {
          if (!st.closed) socket.terminate();
        },
      });
      onOpen({ readable, writable }, socket);
    },
    data(socket, data) {
      const st = states.get(socket);
      if (!st || st.readDone || data.byteLength === 0) return;
      st.controller.enqueue(new Uint8Array(data)); // a copy: the runtime's buffer is not ours to keep
      if ((st.controller.desiredSize ?? 1) <= 0 && !st.paused && socket.pause) {
        st.paused = true;
        socket.pause();
      }
    },
    drain(socket) {
      const st = states.get(socket);
      if (st) wake(st);
    },
    end(socket) {
      const st = states.get(socket);
      if (st) endRead(st);
    },
    error(socket, error) {
      const st = states.get(socket);
      if (!st) return;
      st.failure ??= error;
      endRead(st, error);
    },
    close(socket, error) {
      const st = states.get(socket);
      if (!st) return;
      st.closed = true;
      if (error) st.failure ??= error;
      endRead(st, st.failure ?? undefined);
      wake(st);
    },
  };
}
