/**
 * The IO of a TlsStream (docs/web.md, "How it works"): one read loop feeds
 * the transport's chunks to the Connection and its data to `readable`,
 * pausing while that queue is full and nothing needs the peer's bytes; after
 * each receive, write and doHandshake one `takeOutgoing` becomes one write
 * on the one transport writer; a TlsError sends its queued alert, then the
 * transport closes and everything fails with that same error.
 */
import { KeyUpdateType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import type { Connection } from '../ssl/connection.js';
import { Deferred, noop, streamClosed, unexpectedEof } from './deferred.js';
import type { ByteStreams } from './streams.js';

/** How a failure tears the transport down: 'close' lets a queued alert leave first; 'abort' drops everything. */
type Teardown = 'close' | 'abort';

export class StreamDriver {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly handshake = new Deferred();
  readonly closed = new Deferred();
  /** No more IO: the stream failed or was destroyed. */
  dead = false;
  /** What ended it: the failure, or destroy()'s reason. */
  private endError: unknown = undefined;

  readonly #conn: Connection;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #readCtl!: ReadableStreamDefaultController<Uint8Array>;
  #writeCtl!: WritableStreamDefaultController;
  /** The last transport write handed to the writer (they complete in order). */
  #lastWrite: Promise<void> = Promise.resolve();
  /** Resumes the paused read loop. */
  #wake: (() => void) | null = null;
  /** `readable` pulled (the application reads) since we last enqueued. */
  #wanted = false;
  /** `readable` is done: closed on the peer's close_notify, or cancelled by the application. */
  #readDone = false;
  /** The peer's close_notify was handled (readable closed), or the connection never started and we closed. */
  #peerEnded = false;
  /** Our close_notify went out and the transport writable is closed. */
  #writeDone = false;
  /** writer.close() was called: output taken after it is dropped. */
  #writerClosing = false;
  /** We sent update_requested and no KeyUpdate came back yet. */
  #awaitingKeyUpdate = false;
  /** Writes held by the Connection during a handshake, released once it has sealed them. */
  #held: Deferred[] = [];
  /** closeWrite() waits for the close_notify to be taken (after a running handshake). */
  #closeSent: Deferred | null = null;
  #closing: Promise<void> | null = null;
  #started = false;

  constructor(conn: Connection, transport: ByteStreams, highWaterMark: number) {
    this.#conn = conn;
    this.#reader = transport.readable.getReader();
    this.#writer = transport.writable.getWriter();
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#readCtl = c;
        },
        pull: () => this.#pull(),
        cancel: () => {
          this.#readDone = true;
          this.#maybeClosed();
          this.wake();
        },
      },
      { highWaterMark, size: (chunk) => chunk.byteLength },
    );
    this.writable = new WritableStream<Uint8Array>({
      start: (c) => {
        this.#writeCtl = c;
      },
      write: (chunk) => this.#write(chunk),
      close: () => this.closeWrite(),
      abort: (reason: unknown) => this.destroy(reason),
    });
    conn.on('keyUpdate', (ev) => {
      if (ev.direction === 'received') this.#awaitingKeyUpdate = false;
      else if (ev.type === KeyUpdateType.REQUESTED) this.#awaitingKeyUpdate = true;
    });
    // In a microtask, so that listeners attached right after fromStreams() see the first flight's
    // events; a write, close or doHandshake before then starts at once.
    queueMicrotask(() => this.start());
  }

  /** The client's first flight and the read loop (once). */
  start(): void {
    if (this.#started || this.dead) return;
    this.#started = true;
    const c = this.#conn;
    if (c.failure) return this.fail(c.failure, 'close');
    if (c.role === 'client') {
      try {
        c.doHandshake();
      } catch (e) {
        // Even local misuse (a Connection given closed) ends the stream: its handshake can never complete.
        return this.fail(c.failure ?? e, c.failure ? 'close' : 'abort');
      }
    }
    this.flush();
    this.#loop().catch((e: unknown) => this.fail(e, 'abort'));
  }

  // ---- input ------------------------------------------------------------------------

  async #loop(): Promise<void> {
    for (;;) {
      if (this.dead) return;
      if (this.#shouldPause()) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      let chunk: unknown;
      try {
        const r = await this.#reader.read();
        if (this.dead) return;
        if (r.done) return this.#eof();
        chunk = r.value;
      } catch (e) {
        return this.fail(e, 'abort');
      }
      if (this.dead) return;
      const bytes = chunk instanceof Uint8Array ? chunk : chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : null;
      if (!bytes) return this.fail(new TypeError('fromStreams: transport.readable must yield Uint8Array chunks'), 'abort');
      this.#receive(bytes);
    }
  }

  /**
   * Read on unless the application's queue is full and nothing needs the
   * peer's bytes. After `readable` is done the loop reads to the end (the
   * Connection ignores what follows close_notify; a cancelled `readable`
   * still lets key updates and close_notify in).
   */
  #shouldPause(): boolean {
    const c = this.#conn;
    if (this.#readDone || !c.handshakeComplete || c.handshaking) return false;
    if (c.pending.keyUpdate !== KeyUpdateType.NONE || c.pending.renegotiate !== null || this.#awaitingKeyUpdate) return false;
    return !this.#wanted && (this.#readCtl.desiredSize ?? 0) <= 0;
  }

  wake(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** Bytes from the transport: receive, read (delivering data), then one transport write of what is due. */
  #receive(bytes: Uint8Array): void {
    try {
      this.#conn.receive(bytes);
    } catch (e) {
      return this.connectionError(e);
    }
    this.#read();
    if (!this.dead) this.flush();
  }

  /** Connection.read (which flushes pending actions, as a read): data into `readable`, close_notify closes it. */
  #read(): void {
    let data: Uint8Array | null;
    try {
      data = this.#conn.read();
    } catch (e) {
      return this.connectionError(e);
    }
    if (data && data.length > 0 && !this.#readDone) {
      this.#wanted = false;
      this.#readCtl.enqueue(data);
    }
    if (this.#conn.peerClosed && !this.#peerEnded) this.#peerEnd();
  }

  #pull(): void {
    this.#wanted = true;
    if (!this.dead && !this.#peerEnded) {
      this.#read();
      if (!this.dead) this.flush();
    }
    this.wake();
  }

  #peerEnd(): void {
    const c = this.#conn;
    if (!c.handshakeComplete || c.handshaking) return this.fail(unexpectedEof('close_notify before the handshake completed'), 'close');
    this.#peerEnded = true;
    if (!this.#readDone) {
      this.#readDone = true;
      this.#readCtl.close();
    }
    this.#maybeClosed();
  }

  #eof(): void {
    if (this.#peerEnded) return; // after close_notify (or our close before the start): a clean end
    const c = this.#conn;
    if (!c.handshakeComplete || c.handshaking) return this.fail(unexpectedEof('the transport ended before the handshake completed'), 'close');
    if (this.#readDone) return; // the application cancelled readable: no data is lost to it
    this.fail(unexpectedEof('the transport ended without close_notify (truncation)'), 'close');
  }

  // ---- output -----------------------------------------------------------------------

  /** What the Connection has to send, in one transport write; the promise of the last write handed over. */
  flush(): Promise<void> {
    if (this.dead) return this.#lastWrite;
    let out: Uint8Array | null;
    try {
      out = this.#conn.takeOutgoing();
    } catch (e) {
      this.connectionError(e);
      const failed = Promise.reject(this.#conn.failure ?? e);
      failed.catch(noop); // reported by the stream's failure; a caller may still await it
      return failed;
    }
    if (out && !this.#writerClosing) {
      const p = this.#writer.write(out);
      p.catch((e: unknown) => this.fail(e, 'abort'));
      this.#lastWrite = p;
    }
    this.#afterFlush();
    return this.#lastWrite;
  }

  /** After output was taken: the first handshake done, held writes sealed, close_notify out. */
  #afterFlush(): void {
    const c = this.#conn;
    if (c.handshakeComplete) this.handshake.resolve();
    if (this.#held.length > 0 && c.handshakeComplete && !c.handshaking) {
      const written = this.#lastWrite;
      for (const d of this.#held.splice(0)) written.then(() => d.resolve(), (e: unknown) => d.reject(e));
    }
    if (this.#closeSent && c.closed) {
      this.#closeSent.resolve();
      this.#closeSent = null;
    }
    this.wake(); // a handshake may have started or ended
  }

  async #write(chunk: unknown): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('TlsStream.writable: each chunk must be a Uint8Array');
    this.checkAlive('write');
    this.start();
    const c = this.#conn;
    try {
      c.write(chunk);
    } catch (e) {
      this.connectionError(e);
      throw c.failure ?? e;
    }
    let held: Promise<void> | null = null;
    if (chunk.length > 0 && (!c.handshakeComplete || c.handshaking)) {
      const d = new Deferred();
      this.#held.push(d);
      held = d.promise;
    }
    const written = this.flush();
    await (held ?? written);
  }

  /** close_notify (after any running handshake), then close the transport writable. Idempotent. */
  closeWrite(): Promise<void> {
    this.#closing ??= this.#closeWrite();
    return this.#closing;
  }

  /** closeWrite()'s promise once it was called. */
  get closing(): Promise<void> | null {
    return this.#closing;
  }

  async #closeWrite(): Promise<void> {
    this.checkAlive('close');
    this.start();
    const c = this.#conn;
    const started = c.handshakeComplete || c.handshaking;
    const sent = new Deferred();
    this.#closeSent = sent;
    try {
      c.close();
    } catch (e) {
      this.connectionError(e);
      throw c.failure ?? e;
    }
    if (!started) {
      // Closed before the handshake started: nothing is sent, the connection is over (both ways).
      this.#peerEnded = true;
      if (!this.#readDone) {
        this.#readDone = true;
        this.#readCtl.close();
      }
      this.handshake.reject(streamClosed('close() before the handshake started'));
    }
    this.flush();
    await sent.promise;
    await this.#lastWrite;
    this.checkAlive('close');
    this.#writerClosing = true;
    try {
      await this.#writer.close();
    } catch (e) {
      this.fail(e, 'abort');
      throw e;
    }
    this.#writeDone = true;
    if (!started) this.#reader.cancel().catch(noop);
    this.#maybeClosed();
  }

  #maybeClosed(): void {
    if (this.#readDone && this.#writeDone && !this.dead) this.closed.resolve();
  }

  // ---- failure ------------------------------------------------------------------------

  /**
   * An exception out of a Connection call. A failed connection (a TlsError:
   * the peer's bytes, or its alert) fails the stream with its error; local
   * misuse (ERR_TLS_CLOSED, ERR_TLS_INVALID_STATE) is only the caller's; any
   * other exception is a listener of the connection's events that threw,
   * and ends the stream with it.
   */
  connectionError(e: unknown): void {
    const failure = this.#conn.failure;
    if (failure) return this.fail(failure, 'close');
    if (e instanceof TlsError && (e.code === 'ERR_TLS_CLOSED' || e.code === 'ERR_TLS_INVALID_STATE')) return;
    this.fail(e, 'abort');
  }

  /** End the stream with `err`: the queued alert (if any) leaves, then the transport closes; everything rejects with `err`. */
  fail(err: unknown, how: Teardown): void {
    if (this.dead) return;
    this.dead = true;
    this.endError = err;
    let out: Uint8Array | null = null;
    if (how === 'close' && this.#conn.failure) {
      try {
        out = this.#conn.takeOutgoing();
      } catch {
        // the alert was queued when the connection failed; nothing more to take
      }
    }
    this.#teardown(how, err, out);
    this.#settle(err, err);
  }

  /** destroy(): abort both transport sides; `closed` resolves without a reason, rejects with one. */
  destroy(reason?: unknown): void {
    if (this.dead) return;
    this.dead = true;
    this.endError = reason;
    const err = reason ?? streamClosed('the stream was destroyed');
    this.#teardown('abort', err, null);
    this.#settle(err, reason);
  }

  #teardown(how: Teardown, reason: unknown, out: Uint8Array | null): void {
    const w = this.#writer;
    const r = this.#reader;
    if (how === 'abort') {
      w.abort(reason).catch(noop);
      r.cancel(reason).catch(noop);
      return;
    }
    const closing = this.#writerClosing ? Promise.resolve() : (out ? w.write(out) : Promise.resolve()).then(() => w.close());
    this.#writerClosing = true;
    closing.catch(noop).finally(() => r.cancel(reason).catch(noop));
  }

  #settle(err: unknown, closedReason: unknown): void {
    // A readable closed by the peer's close_notify keeps the data it holds.
    if (!this.#peerEnded) this.#readCtl.error(err);
    this.#writeCtl.error(err);
    this.handshake.reject(err);
    if (closedReason === undefined) this.closed.resolve();
    else this.closed.reject(closedReason);
    for (const d of this.#held.splice(0)) d.reject(err);
    this.#closeSent?.reject(err);
    this.#closeSent = null;
    this.wake();
  }

  /** The error for a call on a stream that is over: the connection's failure, a TlsError that ended it, else ERR_TLS_CLOSED. */
  deadError(what: string): unknown {
    const f = this.#conn.failure ?? this.endError;
    if (f instanceof TlsError) return f;
    return streamClosed(`${what}: the stream was destroyed or failed`, f);
  }

  checkAlive(what: string): void {
    if (this.dead) throw this.deadError(what);
  }
}
