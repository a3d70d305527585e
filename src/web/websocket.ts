/**
 * A browser WebSocket as a WHATWG byte-stream pair, for `fromStreams`: the
 * way a page reaches a TLS server through a WebSocket-to-TCP relay (a page
 * cannot open TCP connections; the relay pipes bytes, TLS stays end to end
 * between the page and the server).
 *
 *   const ws = new WebSocket('wss://relay.example/tcp');
 *   const { readable, writable, opened } = webSocketStreams(ws);
 *   await opened;
 *   const tls = fromStreams({ readable, writable }, { context, serverName: 'example.com' });
 *
 * No Node dependency: this file is part of puretls/core and compiles with
 * the web platform's types only (tsconfig.core.json). The socket is described
 * structurally (`WebSocketLike`), so any object with the browser WebSocket's
 * shape works (Deno's, Bun's, Node 22's global WebSocket, the `ws` package).
 */

/** WebSocket.readyState values (the WHATWG constants). */
const CONNECTING = 0;
const OPEN = 1;

/** What a 'message' event carries here: binaryType 'arraybuffer' gives ArrayBuffers. */
export interface WebSocketMessageLike {
  readonly data: unknown;
}

/** What a 'close' event carries. */
export interface WebSocketCloseLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** The part of the browser WebSocket API used here (a DOM `WebSocket` is one). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: WebSocketMessageLike) => void): void;
  addEventListener(type: 'close', listener: (event: WebSocketCloseLike) => void): void;
}

export interface WebSocketStreamsOptions {
  /**
   * Writes wait while more than this many bytes are queued in the socket
   * (`bufferedAmount`), polled every `pollMs`: the browser WebSocket has no
   * 'drain' event. Default 1 MiB.
   */
  readonly writeHighWaterMark?: number;
  /** How often a waiting write looks at `bufferedAmount` again, in ms. Default 10. */
  readonly pollMs?: number;
  /**
   * A browser WebSocket cannot be paused: received messages are queued until
   * read. When more than this many bytes are unread, the readable errors
   * and the socket is closed rather than growing without bound. Default 16 MiB.
   */
  readonly maxReadBuffer?: number;
  /**
   * A WebSocket has no half-close. After `writable.close()` (a TlsStream's
   * close(): our close_notify is out) the socket stays open for the peer's
   * last bytes (its close_notify) until the peer closes it, `readable` is
   * cancelled, or this many ms pass; then it is closed. 0: at once;
   * Infinity: wait for the peer. Default 5000.
   */
  readonly closeLingerMs?: number;
}

export interface WebSocketStreams {
  /** The bytes received, one chunk per binary message; ends when the socket closes cleanly, errors when it does not. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Each chunk is sent as one binary message; close() and abort() close the socket. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves when the socket is open (at once if it already is); rejects if it fails or closes first. */
  readonly opened: Promise<void>;
}

/** The WebSocket failed or closed; `code` and `reason` are the close event's (1006: no close frame). */
export class WebSocketClosedError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'WebSocketClosedError';
  }
}

const DEFAULT_WRITE_HIGH_WATER_MARK = 1 << 20;
const DEFAULT_POLL_MS = 10;
const DEFAULT_MAX_READ_BUFFER = 16 << 20;
const DEFAULT_CLOSE_LINGER_MS = 5000;

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new RangeError(`webSocketStreams: ${name} must be a positive number`);
  return value;
}

/**
 * Turn a WebSocket (connecting or open) into a byte-stream pair. Sets
 * `binaryType` to 'arraybuffer'. Mapping:
 * - a binary message → a chunk of `readable`; a text message is a protocol
 *   error (the readable errors with a TypeError, the socket is closed);
 * - the socket closes cleanly (`wasClean`) → `readable` ends; otherwise (an
 *   'error' event, a 1006 close) → `readable` errors with a WebSocketClosedError;
 * - a chunk written to `writable` → one binary message, once the socket is
 *   open; `writable.abort()` or `readable.cancel()` → `ws.close()`;
 * - `writable.close()` → `ws.close()` once the readable is done too (the
 *   peer closed the socket, or the readable was cancelled or failed), or
 *   after `closeLingerMs`: a WebSocket has no half-close, and a TLS close
 *   wants the peer's close_notify after ours.
 *
 * Call it right after `new WebSocket(...)` (in the same task), so that no
 * message is dispatched before its listener is there.
 */
export function webSocketStreams(ws: WebSocketLike, options: WebSocketStreamsOptions = {}): WebSocketStreams {
  if (ws === null || typeof ws !== 'object' || typeof ws.send !== 'function' || typeof ws.addEventListener !== 'function') {
    throw new TypeError('webSocketStreams: ws must be a WebSocket');
  }
  const highWater = positive(options.writeHighWaterMark, DEFAULT_WRITE_HIGH_WATER_MARK, 'writeHighWaterMark');
  const pollMs = positive(options.pollMs, DEFAULT_POLL_MS, 'pollMs');
  const maxRead = positive(options.maxReadBuffer, DEFAULT_MAX_READ_BUFFER, 'maxReadBuffer');
  const linger = options.closeLingerMs ?? DEFAULT_CLOSE_LINGER_MS;
  if (typeof linger !== 'number' || !(linger >= 0)) throw new RangeError('webSocketStreams: closeLingerMs must be a number >= 0');
  ws.binaryType = 'arraybuffer';

  /** Why the socket is unusable (set at the first error or close), for writes after it. */
  let failure: Error | null = null;
  let closeRequested = false;
  let lingerTimer: ReturnType<typeof setTimeout> | undefined;
  const closeSocket = (): void => {
    closeRequested = true;
    if (lingerTimer !== undefined) clearTimeout(lingerTimer);
    lingerTimer = undefined;
    if (ws.readyState === CONNECTING || ws.readyState === OPEN) ws.close();
  };

  // ---- opened ------------------------------------------------------------------
  let markOpen!: () => void;
  let markFailed!: (e: Error) => void;
  const opened = new Promise<void>((res, rej) => {
    markOpen = res;
    markFailed = rej;
  });
  opened.catch(() => {}); // a failure is also reported by the streams: never an unhandled rejection
  if (ws.readyState === OPEN) markOpen();

  // ---- readable ------------------------------------------------------------------
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let readDone = false;
  /** writable.close() was called: the socket only waits for the peer now. */
  let writeClosed = false;
  const endRead = (how: 'close' | Error): void => {
    if (readDone) return;
    readDone = true;
    if (writeClosed) closeSocket();
    if (how === 'close') controller.close();
    else controller.error(how);
  };
  const readable = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      cancel() {
        readDone = true;
        closeSocket();
      },
    },
    // The queue is counted in bytes, for maxReadBuffer; 0: start() pulls nothing, messages are pushed.
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  );

  if (ws.readyState !== CONNECTING && ws.readyState !== OPEN) {
    // Its close event is gone: both streams fail at once.
    failure = new WebSocketClosedError('webSocketStreams: the WebSocket is already closing or closed', 1006, '');
    markFailed(failure);
    endRead(failure);
  }

  ws.addEventListener('open', () => markOpen());
  ws.addEventListener('message', (event) => {
    if (readDone) return;
    const { data } = event;
    if (!(data instanceof ArrayBuffer)) {
      const e = new TypeError(`webSocketStreams: a ${typeof data === 'string' ? 'text' : 'non-binary'} message on a byte stream`);
      failure ??= e;
      endRead(e);
      closeSocket();
      return;
    }
    if (data.byteLength === 0) return;
    controller.enqueue(new Uint8Array(data));
    // desiredSize is -(unread bytes) with highWaterMark 0.
    if (-(controller.desiredSize ?? 0) > maxRead) {
      const e = new RangeError(`webSocketStreams: more than ${maxRead} received bytes unread (maxReadBuffer)`);
      failure ??= e;
      endRead(e);
      closeSocket();
    }
  });
  ws.addEventListener('error', () => {
    // Browsers give no detail; the close event that follows has the code.
    failure ??= new WebSocketClosedError('webSocketStreams: WebSocket error', 1006, '');
    markFailed(failure);
  });
  ws.addEventListener('close', (event) => {
    const clean = event.wasClean && !(failure && !closeRequested);
    const why = new WebSocketClosedError(
      `webSocketStreams: WebSocket closed${clean ? '' : ' abnormally'} (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
      event.code,
      event.reason,
    );
    failure ??= why;
    if (lingerTimer !== undefined) clearTimeout(lingerTimer);
    lingerTimer = undefined;
    markFailed(why); // no effect once open
    endRead(clean ? 'close' : failure);
  });

  // ---- writable ------------------------------------------------------------------
  const whenWritable = async (): Promise<void> => {
    await opened;
    while (ws.readyState === OPEN && ws.bufferedAmount > highWater) {
      await new Promise<void>((res) => setTimeout(res, pollMs));
    }
    if (ws.readyState !== OPEN) throw failure ?? new WebSocketClosedError('webSocketStreams: the WebSocket is closed', 1006, '');
  };
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('webSocketStreams: write a Uint8Array');
      if (chunk.byteLength === 0) return;
      await whenWritable();
      ws.send(chunk);
    },
    close() {
      // Our side is done; the peer's may not be (see closeLingerMs).
      if (readDone || linger === 0) closeSocket();
      else if (linger !== Infinity) lingerTimer = setTimeout(closeSocket, linger);
      writeClosed = true;
    },
    abort() {
      closeSocket();
    },
  });

  return { readable, writable, opened };
}
