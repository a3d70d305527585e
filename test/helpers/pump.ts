/**
 * A minimal socket loop driving a sans-IO TLS connection over a net.Socket
 * (until the real Node adapter exists).
 *
 *   const sock = net.connect(srv.port, '127.0.0.1');
 *   const p = pump(conn, sock);
 *   await p.handshake;
 *   p.send('hello\n');
 *   await p.waitForData((b) => b.includes('olleh'), 5_000);
 *   await p.end();
 *
 * Loop: pump() calls conn.doHandshake() once (a client queues its ClientHello)
 * and flushes; on socket 'data' → conn.receive(bytes), then every conn.takeOutgoing()
 * buffer is written with one socket.write each, then conn.read() is drained into
 * `received()`. A throw from the connection (fatal TlsError) flushes whatever
 * the connection queued (the alert), rejects the pending promises, and closes
 * the socket. The connection type is structural: nothing from src/ is imported.
 */
import type net from 'node:net';

/** What the pump needs from src/ssl/connection.ts's Connection. */
export interface SansIoConnection {
  receive(bytes: Uint8Array): void;
  takeOutgoing(): Uint8Array | null;
  read(): Uint8Array | null;
  write(data: Uint8Array): void;
  doHandshake(): void;
  close(): void;
  readonly handshakeComplete: boolean;
  readonly peerClosed: boolean;
  on(event: 'handshake', fn: () => void): unknown;
}

export interface Pump {
  /** Resolves when the handshake completed; rejects on a fatal error / socket close before. */
  readonly handshake: Promise<void>;
  /** Resolves when a close_notify arrived; rejects on error or close without one. */
  readonly peerClosed: Promise<void>;
  /** Settles once the socket has closed: resolved if there was no error, else rejected with the first error. */
  readonly closed: Promise<void>;
  /** All application data received so far. */
  received(): Buffer;
  /** Wait until at least `n` bytes arrived, or `pred(received())` holds. Resolves with received(). */
  waitForData(what: number | ((data: Buffer) => boolean), timeoutMs?: number): Promise<Buffer>;
  /** conn.write + flush. */
  send(data: Uint8Array | string): void;
  /** conn.close() (close_notify) + flush + socket.end(); resolves when the socket closed (destroyed after timeoutMs). */
  end(timeoutMs?: number): Promise<void>;
  /** The first error (from the connection or the socket), if any. */
  error(): Error | null;
  readonly conn: SansIoConnection;
  readonly socket: net.Socket;
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // rejections are reported to whoever awaits; never "unhandled"
  return { promise, resolve, reject };
}

function preview(b: Buffer): string {
  const s = b.subarray(0, 400).toString('latin1').replace(/[^\x20-\x7e\n]/g, '.');
  return b.length > 400 ? `${s}…(${b.length} bytes)` : s;
}

export function pump(conn: SansIoConnection, socket: net.Socket): Pump {
  const chunks: Buffer[] = [];
  let total = 0;
  let cached: Buffer | null = null;
  let firstError: Error | null = null;
  let socketClosed = false;
  const hs = deferred();
  const pc = deferred();
  const cl = deferred();
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };

  const received = (): Buffer => {
    if (!cached || cached.length !== total) cached = Buffer.concat(chunks, total);
    return cached;
  };

  const flush = (): void => {
    for (let out = conn.takeOutgoing(); out !== null; out = conn.takeOutgoing()) {
      if (out.length > 0 && !socket.destroyed && socket.writable) socket.write(out);
    }
  };

  const drain = (): void => {
    for (let d = conn.read(); d !== null; d = conn.read()) {
      if (d.length === 0) continue;
      chunks.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
      total += d.length;
    }
  };

  const checkState = (): void => {
    if (conn.handshakeComplete) hs.resolve();
    if (conn.peerClosed) pc.resolve();
  };

  const fail = (e: unknown): void => {
    const err = e instanceof Error ? e : new Error(String(e));
    if (!firstError) firstError = err;
    try {
      flush(); // e.g. the fatal alert the connection queued
    } catch {
      // ignore
    }
    hs.reject(err);
    pc.reject(err);
    // `closed` settles (rejected with this error) in the socket's 'close' handler
    if (!socket.destroyed) {
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    }
    wake();
  };

  /** Run one step against the connection; on a throw, fail. */
  const step = (fn: () => void): boolean => {
    if (firstError) return false;
    try {
      fn();
      // read() flushes the connection's pending actions (e.g. the KeyUpdate that
      // answers the peer's update_requested), which queues outgoing records:
      // drain before flushing, or they would wait for the next socket event.
      drain();
      flush();
      checkState();
      wake();
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  };

  conn.on('handshake', () => {
    hs.resolve();
  });

  socket.on('data', (chunk: Buffer) => {
    step(() => conn.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  });
  socket.on('error', (e) => fail(e));
  socket.on('close', () => {
    socketClosed = true;
    const why = firstError ?? new Error('socket closed');
    hs.reject(why);
    pc.reject(new Error(`socket closed without close_notify${firstError ? `: ${firstError.message}` : ''}`));
    if (firstError) cl.reject(firstError);
    else cl.resolve();
    wake();
  });

  step(() => conn.doHandshake());

  const api: Pump = {
    handshake: hs.promise,
    peerClosed: pc.promise,
    closed: cl.promise,
    received,
    error: () => firstError,
    conn,
    socket,
    waitForData(what, timeoutMs = 10_000) {
      const ok = typeof what === 'number' ? (b: Buffer) => b.length >= what : what;
      return new Promise<Buffer>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const done = (): void => {
          waiters.delete(check);
          clearTimeout(timer);
        };
        const check = (): void => {
          const b = received();
          if (ok(b)) {
            done();
            resolve(b);
          } else if (firstError) {
            done();
            reject(new Error(`connection failed before the expected data arrived: ${firstError.message}\nreceived so far: ${preview(b)}`));
          } else if (socketClosed) {
            done();
            reject(new Error(`socket closed before the expected data arrived; received so far: ${preview(b)}`));
          }
        };
        timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for data; received so far (${total} bytes): ${preview(received())}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    send(data) {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      if (firstError) throw firstError;
      if (!step(() => conn.write(bytes))) throw firstError ?? new Error('send failed');
    },
    async end(timeoutMs = 5_000) {
      if (!socketClosed && !firstError) {
        step(() => conn.close());
        if (!socket.destroyed) socket.end();
      }
      if (socketClosed) return;
      const t = setTimeout(() => socket.destroy(), timeoutMs);
      try {
        await new Promise<void>((resolve) => {
          if (socketClosed) resolve();
          else socket.once('close', () => resolve());
        });
      } finally {
        clearTimeout(t);
      }
    },
  };
  return api;
}

/**
 * conn.doHandshake() (which sends what a control such as renegotiate() or
 * keyUpdate() scheduled) and write what it queued, outside the pump's own
 * data-driven steps. A throw propagates to the caller (the pump is not failed).
 */
export function doHandshakeAndFlush(p: Pump): void {
  p.conn.doHandshake();
  for (let out = p.conn.takeOutgoing(); out !== null; out = p.conn.takeOutgoing()) {
    if (out.length > 0 && !p.socket.destroyed && p.socket.writable) p.socket.write(out);
  }
}
