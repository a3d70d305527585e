/**
 * TlsSocket's writable side and its failures: writes sealed OUT_SLICE bytes
 * per step once the handshake is complete (held during a renegotiation),
 * end() as close_notify then the transport's end, and how the socket fails
 * (its fatal alert first, node's error codes, 'tlsClientError' on a server
 * before the handshake). 'close' carries node's `hadError`. Also how a
 * socket listens (to its transport, to the scheduler) without a closure per
 * connection: see OWNER.
 */
import type { Duplex } from 'node:stream';
import { AlertDescription, TlsError } from '../common/errors.js';
import { plaintextAlert } from '../ssl/peek.js';
import { closedError } from './coded-errors.js';
import { nodeError } from './node-errors.js';
import { scheduler, type Task } from './scheduler.js';
import { SocketInfo } from './socket-info.js';
import { asError, endTransport, reported, writeTransport } from './transport.js';

type Callback = (err?: Error | null) => void;

/** The most bytes of a write sealed in one step. */
export const OUT_SLICE = 64 * 1024;

/**
 * The socket over a transport. The transport's listeners are shared
 * functions, run with the transport as `this`, which find their socket
 * here: a connection keeps no closures for them. (They reach the socket's
 * private members through functions set by the class's static block: naming
 * the class inside its own body would make the bundler rename it, and
 * node's socket.constructor.name would no longer be 'TlsSocket'.)
 */
const OWNER = Symbol('puretls.socket');
type Carrier = Duplex & { [OWNER]?: SocketOutput };

/** What the shared functions below do to a socket (set by SocketOutput's static block). */
let on: {
  step(s: SocketOutput): boolean;
  drain(s: SocketOutput): void;
  data(s: SocketOutput, chunk: Buffer | Uint8Array | string): void;
  end(s: SocketOutput): void;
  error(s: SocketOutput, err: Error): void;
  close(s: SocketOutput): void;
  newListener(s: SocketOutput, event: string | symbol): void;
};

/** The scheduler's handle on a socket: one small object (a closure would add its context). */
class SocketTask implements Task {
  constructor(private readonly socket: SocketOutput) {}
  step(): boolean {
    return on.step(this.socket);
  }
}

// The listeners, one function per event for every socket, run with the emitter as `this`.
function onTransportDrain(this: Carrier): void {
  const s = this[OWNER];
  if (s) on.drain(s);
}
function onTransportData(this: Carrier, chunk: Buffer | Uint8Array | string): void {
  const s = this[OWNER];
  if (s) on.data(s, chunk);
}
function onTransportEnd(this: Carrier): void {
  const s = this[OWNER];
  if (s) on.end(s);
}
function onTransportError(this: Carrier, err: Error): void {
  const s = this[OWNER];
  if (s) on.error(s, err);
}
function onTransportClose(this: Carrier): void {
  const s = this[OWNER];
  if (s) on.close(s);
}
function onNewListener(this: SocketOutput, event: string | symbol): void {
  on.newListener(this, event);
}

export abstract class SocketOutput extends SocketInfo {
  /** The write in progress (stream.Writable gives one at a time); held until the handshake completes. */
  private writing: { data: Uint8Array; offset: number; cb: Callback } | null = null;
  /** Waiting for the transport's 'drain' between two pieces of a write. */
  private outBlocked = false;
  private pendingFinal: Callback | null = null;
  /** A fatal alert is leaving: the transport is destroyed once it has. */
  protected linger = false;
  /** A 'newSession' callback is awaited: our last flight and 'secure' wait (as node's). */
  protected sessionHold = false;
  /** The socket failed (node's `hadError` of 'close'). */
  private failed = false;
  /** What the scheduler runs for this socket. */
  protected readonly task: Task = new SocketTask(this);
  /** One piece of work (see TlsSocket.step). */
  protected abstract step(): boolean;

  /** A write can go on: not during a renegotiation either (OpenSSL's SSL_write finishes the handshake first; its peers refuse data mid-handshake). */
  protected outReady(): boolean {
    return this.established && this.writing !== null && !this.outBlocked && this.conn?.handshaking !== true && !this.sessionHold;
  }

  /** After a handshake: the write held for it (with our last flight, in one transport write), or the end held for it. */
  protected releaseOutput(): void {
    if (this.writing && !this.outBlocked) this.writePiece();
    else this.flush();
    if (this.destroyed) return;
    const final = this.pendingFinal;
    this.pendingFinal = null;
    if (final) this.closeWrite(final);
  }

  /** Seal the next piece of the write in progress and hand it to the transport; after the last, the write's callback. */
  protected writePiece(): void {
    const w = this.writing!;
    const end = Math.min(w.offset + OUT_SLICE, w.data.length);
    try {
      this.conn!.write(w.offset === 0 && end === w.data.length ? w.data : w.data.subarray(w.offset, end));
    } catch (e) {
      this.writing = null;
      this.fatal(e);
      return w.cb(asError(e));
    }
    w.offset = end;
    if (end === w.data.length) {
      this.writing = null;
      return this.flush((err) => {
        if (!err) this.dataWritten += w.data.length;
        w.cb(err);
      });
    }
    this.flush();
    const t = this.transport;
    if (t.writableNeedDrain && !t.destroyed) {
      this.outBlocked = true;
      t.once('drain', onTransportDrain);
    }
  }

  static {
    on = {
      step: (s) => s.step(),
      drain: (s) => {
        s.outBlocked = false;
        if (!s.destroyed && s.outReady()) scheduler.schedule(s.task);
      },
      data: (s, chunk) => s.onData(chunk),
      end: (s) => s.onEnd(),
      error: (s, err) => s.onTransportError(err),
      close: (s) => s.onTransportClose(),
      newListener: (s, event) => s.forward(event),
    };
  }

  /** Listen to the transport and to our own 'newListener', with the shared functions (see OWNER). */
  protected attachTransport(transport: Duplex): void {
    (transport as Carrier)[OWNER] = this;
    this.on('newListener', onNewListener);
    transport.on('data', onTransportData);
    transport.on('end', onTransportEnd);
    transport.on('error', onTransportError);
    transport.on('close', onTransportClose);
  }
  protected abstract onData(chunk: Buffer | Uint8Array | string): void;
  /** The transport ended. */
  protected abstract onEnd(): void;
  protected abstract onTransportError(err: Error): void;
  protected abstract onTransportClose(): void;
  /** The socket has (or is getting) a listener for `event` (see SocketConnection.forward). */
  protected abstract forward(event: string | symbol): void;

  /** The transport closed: a write in progress after the handshake fails (nothing more can be sent). */
  protected abandonWrite(): void {
    const w = this.writing;
    if (!w || !this.established) return;
    this.writing = null;
    this.transport.off('drain', onTransportDrain);
    w.cb(closedError());
  }

  /** Hand what the Connection has to send to the transport, in one write. */
  protected flush(cb?: Callback): void {
    const conn = this.conn;
    let out: Uint8Array | null = null;
    if (conn) {
      try {
        out = conn.takeOutgoing();
      } catch (e) {
        this.fatal(e);
        return cb?.(asError(e));
      }
    }
    if (!out) return cb?.();
    writeTransport(this.transport, out, cb);
  }

  // ---- stream.Duplex's writable side ----------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: Callback): void {
    this.writeData(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: Callback): void {
    // Small writes are coalesced: one conn.write fills whole 16 KiB records.
    this.writeData(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  /** Sealed in steps of OUT_SLICE once the handshake is complete (the first with our Finished). */
  private writeData(data: Uint8Array, cb: Callback): void {
    this.writing = { data, offset: 0, cb };
    if (this.established) scheduler.schedule(this.task);
  }

  override _final(cb: Callback): void {
    if (!this.established || this.conn?.handshaking || this.sessionHold) {
      this.pendingFinal = cb;
      return;
    }
    this.closeWrite(cb);
  }

  /** close_notify after everything written, then end the transport; cb once it has flushed. */
  private closeWrite(cb: Callback): void {
    let out: Uint8Array | null = null;
    try {
      this.conn!.close();
      out = this.conn!.takeOutgoing();
    } catch {
      // a failed connection sends no close_notify
    }
    endTransport(this.transport, out, cb);
  }

  /** On destroy: drop what waits to be written. */
  protected clearOutput(): void {
    this.writing = null;
    this.pendingFinal = null;
    this.transport.off('drain', onTransportDrain);
  }

  /** node's 'close' carries `hadError`: true when the socket failed (an 'error', or a server's 'tlsClientError'). */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'close' && args.length === 0) return super.emit('close', this.failed || this.errored !== null);
    return super.emit(event, ...args);
  }

  // ---- errors -----------------------------------------------------------------

  /**
   * An exception out of the Connection: a TLS failure ends the socket; an
   * exception thrown by one of our listeners ('keyUpdate', 'session', 'keylog')
   * while the connection is healthy is the application's, and propagates
   * as it does from any node stream listener (the connection stays usable).
   */
  protected fatalOrRethrow(e: unknown): void {
    if (!(e instanceof TlsError) && this.conn?.failure == null) throw e;
    this.fatal(e);
  }

  /** A TlsError from the Connection: its alert goes out, then the socket fails (with node's code for a received alert). */
  protected fatal(e: unknown): void {
    let out: Uint8Array | null = null;
    try {
      out = this.conn?.takeOutgoing() ?? null;
    } catch {
      // the alert was queued before the failure; nothing more to take
    }
    if (out) this.endTransportWith(out);
    this.fail(nodeError(reported(e), this.established));
  }

  /** Refuse before a Connection exists: a plaintext fatal alert, then fail. */
  protected refuse(err: Error, alert?: number): void {
    const description = alert ?? (err instanceof TlsError ? err.alert : AlertDescription.internal_error);
    this.endTransportWith(plaintextAlert(description));
    this.fail(err);
  }

  protected endTransportWith(bytes: Uint8Array): void {
    const t = this.transport;
    if (t.destroyed || t.writableEnded) return;
    this.linger = true;
    t.end(bytes);
  }

  /** Fail: before the handshake on a server, 'tlsClientError' on the server; else 'error'. */
  protected fail(err: Error): void {
    if (this.destroyed) return;
    this.failed = true;
    this.renegotiations?.settle(err);
    const server = this.setup.server;
    if (server && !this.established) {
      this.destroy();
      server.emit('tlsClientError', err, this);
    } else {
      this.destroy(err);
    }
  }

}
