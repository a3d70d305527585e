/**
 * TlsSocket: a stream.Duplex of application data over any Duplex transport
 * (a net.Socket, or anything else), driven by the sans-IO Connection.
 *
 * Backpressure runs both ways: a write's callback waits for the transport's
 * 'drain'; when the reader stops (push() returns false) the transport is
 * paused until _read. Each flight goes out in one transport write. end()
 * sends everything written, then close_notify, then ends the transport.
 *
 * The CPU work runs in bounded steps on the process-wide scheduler
 * (scheduler.ts), so that no connection holds the event loop: what arrives is
 * queued and fed to the Connection at most IN_SLICE bytes per step (one
 * handshake flight is one step), a write is sealed OUT_SLICE bytes per step
 * (its callback after the last piece), and the client's first flight is a
 * step. While input waits in the queue the transport is paused, so memory
 * stays bounded. Per socket, everything keeps its order.
 *
 * A TLS 1.2 renegotiation (renegotiate(), or one the peer starts) runs
 * beside the data: reads go on, writes wait until it completes (as
 * OpenSSL's SSL_write, whose peers refuse data in the middle of a
 * handshake), then 'secure' (and a client's 'secureConnect') again.
 *
 * A peer's close is surfaced even when nobody reads: as node's net.Socket,
 * the readable side ends with push(null) and read(0), so 'end' (and, without
 * allowHalfOpen, our own end and 'close') follow when nothing is buffered.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { Session } from '../session/session.js';
import { Connection } from '../ssl/connection.js';
import type { TlsContext } from '../ssl/context.js';
import { plaintextAlert } from '../ssl/peek.js';
import { closedError, codedError, disconnected, type TlsSocketOptions } from './options.js';
import { setupFromOptions, type ServerHooks, type SocketSetup } from './setup.js';
import { SocketControls } from './controls.js';
import { HelloGate } from './hello-gate.js';
import { Inbox } from './inbox.js';
import { emitNewSession, LoadedSession, ticketsSent } from './session-events.js';
import { scheduler, type Task } from './scheduler.js';
import { asError, destroyTransport, endTransport, reported, writeTransport } from './transport.js';

type Callback = (err?: Error | null) => void;

/** The most bytes handed to Connection.receive in one step. */
export const IN_SLICE = 64 * 1024;
/** The most bytes of a write sealed in one step. */
export const OUT_SLICE = 64 * 1024;

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export type { TlsSocketOptions };

export class TlsSocket extends SocketControls {
  /** The stream TLS runs over. */
  readonly transport: Duplex;
  protected conn: Connection | null = null;
  protected readonly setup: SocketSetup;
  private readEnded = false;
  private transportPaused = false;
  /** Received, not yet given to the Connection. */
  private readonly inbox = new Inbox();
  /** The transport ended or closed: handled once the inbox is empty. */
  private inEof = false;
  private eofHandled = false;
  /** The client's first flight is due. */
  private startPending = false;
  /** push() returned false: no more input is processed until _read. */
  private readBlocked = false;
  /** The write in progress (stream.Writable gives one at a time); held until the handshake completes. */
  private writing: { data: Uint8Array; offset: number; cb: Callback } | null = null;
  /** Waiting for the transport's 'drain' between two pieces of a write. */
  private outBlocked = false;
  /** What the scheduler runs for this socket. */
  private readonly task: Task = { step: () => this.step() };
  private pendingFinal: Callback | null = null;
  /** Server: the first bytes, until the Connection exists (see HelloGate). */
  private gate: HelloGate | undefined;
  /** Server: the 'resumeSession' answer, when the server had that listener. */
  private readonly loaded: LoadedSession | undefined;
  /** A 'newSession' callback is awaited: our last flight and 'secure' wait (as node's). */
  private sessionHold = false;
  /** Server with the session events: a TLS 1.2 ticket went out since the last call. */
  private ticketSent: (() => boolean) | undefined;
  private keylogAttached = false;
  private linger = false;
  /** Handshakes the Connection completed ('handshake' events), and those reported ('secure'). */
  private handshakes = 0;
  private reportedHandshakes = 0;

  /**
   * TLS over `transport`. Client (default): the handshake starts once the
   * transport is connected. Server (`isServer`): waits for the ClientHello.
   * @throws {TypeError|RangeError} on a bad option (named in the message)
   */
  constructor(transport: Duplex, options: TlsSocketOptions = {}, setup?: SocketSetup) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, ...(options.highWaterMark ? { highWaterMark: options.highWaterMark } : {}) });
    if (!(transport instanceof Duplex)) throw codedError(new TypeError('TlsSocket: transport must be a stream.Duplex'), 'ERR_INVALID_ARG_TYPE');
    this.setup = setup ?? setupFromOptions(options);
    this.transport = transport;
    // node: clients always verify the server; a server asks for a certificate with requestCert.
    this.verification = { requestCert: this.setup.role === 'client' || this.setup.requestCert, rejectUnauthorized: this.setup.rejectUnauthorized };
    this.on('newListener', (event: string | symbol) => {
      if (event === 'keylog') this.attachKeylog();
    });
    transport.on('data', this.onData);
    transport.on('end', this.onEnd);
    transport.on('error', this.onTransportError);
    transport.on('close', this.onTransportClose);
    const ms = this.setup.handshakeTimeout;
    if (ms) {
      this.timer = setTimeout(() => {
        this.fail(codedError(new Error('TLS handshake timeout'), 'ERR_TLS_HANDSHAKE_TIMEOUT'));
      }, ms);
      this.timer.unref?.();
    }
    if (this.setup.role === 'client') {
      this.servername = this.setup.serverName && net.isIP(this.setup.serverName) === 0 ? this.setup.serverName : false;
      if (!this.createConnection(this.setup.context)) return;
      // node:tls emits 'connect' when the transport connects, before the handshake.
      if (transport instanceof net.Socket && transport.connecting) transport.once('connect', () => (this.emit('connect'), this.requestStart()));
      else process.nextTick(() => this.requestStart());
    } else {
      this.loaded = this.setup.sessionEvents?.resume ? new LoadedSession() : undefined;
      // Else peek first ('resumeSession', SNI), or refuse on the first bytes.
      if (!this.setup.selectContext && !this.loaded && this.setup.context.certificate) this.createConnection(this.setup.context);
    }
  }

  // ---- wiring ---------------------------------------------------------------

  private createConnection(context: TlsContext): boolean {
    const server = this.setup.role === 'server';
    if (server && !context.certificate) {
      const name = typeof this.servername === 'string' ? ` for '${this.servername}'` : '';
      this.refuse(new TlsError('ERR_TLS_UNRECOGNIZED_NAME', AlertDescription.unrecognized_name, `no certificate${name}`));
      return false;
    }
    try {
      const session = this.setup.session;
      this.conn = new Connection(context, this.setup.role, server ? {} : { serverName: this.setup.serverName, ...(session ? { session } : {}) });
    } catch (e) {
      this.fail(asError(e));
      return false;
    }
    this.applyMaxSendFragment();
    this.conn.on('keyUpdate', (ev) => this.emit('keyUpdate', ev));
    this.conn.on('postHandshakeAuth', (ev) => this.emit('postHandshakeAuth', ev));
    this.conn.on('handshake', () => void this.handshakes++);
    if (server && this.setup.sessionEvents) this.ticketSent = ticketsSent(this.conn);
    if (!server) this.conn.on('session', (s: Session) => this.sessionReceived(s));
    if (this.listenerCount('keylog') > 0 || (this.setup.server?.listenerCount('keylog') ?? 0) > 0) this.attachKeylog();
    return true;
  }

  private attachKeylog(): void {
    if (this.keylogAttached || !this.conn) return;
    this.keylogAttached = true;
    this.conn.on('keylog', (line) => {
      const buf = Buffer.from(`${line}\n`, 'latin1');
      this.emit('keylog', buf);
      this.setup.server?.emit('keylog', buf, this);
    });
  }

  protected requestStart(): void {
    if (this.destroyed || !this.conn) return;
    this.startPending = true;
    scheduler.schedule(this.task);
  }

  private start(): void {
    if (this.destroyed || !this.conn) return;
    try {
      this.conn.doHandshake();
    } catch (e) {
      return this.fatal(e);
    }
    this.flush();
  }

  // ---- transport events -------------------------------------------------------

  private readonly onData = (chunk: Buffer | Uint8Array | string): void => {
    if (this.destroyed) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    if (this.conn) return this.enqueue([bytes]);
    (this.gate ??= this.helloGate()).push(bytes);
  };

  /** EOF without close_notify still ends the readable side, after what arrived before it. */
  private readonly onEnd = (): void => {
    if (this.destroyed || this.eofHandled) return;
    if (!this.conn || (this.sessionHold && !this.established)) return this.fail(disconnected());
    this.inEof = true;
    scheduler.schedule(this.task);
  };

  private readonly onTransportError = (err: Error): void => {
    if (this.destroyed) return;
    if (this.readEnded && this.writableFinished) return void this.destroy(); // after a clean close, a reset is no error
    this.fail(err);
  };

  private readonly onTransportClose = (): void => {
    if (this.destroyed) return;
    const w = this.writing;
    if (w && this.established) {
      // Nothing more can be sent: the write fails (the socket with it).
      this.writing = null;
      this.transport.off('drain', this.onTransportDrain);
      w.cb(closedError());
    }
    this.onEnd();
  };

  private readonly onTransportDrain = (): void => {
    this.outBlocked = false;
    if (!this.destroyed && this.outReady()) scheduler.schedule(this.task);
  };

  // ---- server: before the Connection ------------------------------------------

  private helloGate(): HelloGate {
    return new HelloGate({
      setup: this.setup,
      loaded: this.loaded,
      isDestroyed: () => this.destroyed,
      setServername: (name) => void (this.servername = name),
      begin: (context, bytes) => void (this.createConnection(context) && this.enqueue(bytes)),
      refuse: (err, alert) => this.refuse(err, alert),
      fail: (err) => this.fail(err),
      flowChanged: () => this.updateFlow(),
    });
  }

  /** Refuse before a Connection exists: a plaintext fatal alert, then fail. */
  private refuse(err: Error, alert?: number): void {
    const description = alert ?? (err instanceof TlsError ? err.alert : AlertDescription.internal_error);
    this.endTransportWith(plaintextAlert(description));
    this.fail(err);
  }

  // ---- the IO loop: steps run by the scheduler ------------------------------------

  /** Queue received bytes; the transport pauses while any wait. */
  private enqueue(chunks: readonly Uint8Array[]): void {
    this.inbox.push(chunks);
    if (this.inbox.bytes > 0) scheduler.schedule(this.task);
    this.updateFlow();
  }

  /** One piece of work: the first flight, or one slice of input; and one piece of the write in progress. */
  private step(): boolean {
    if (this.destroyed) return false;
    this.stepIn();
    if (this.destroyed) return false;
    if (this.outReady()) this.writePiece();
    if (this.destroyed) return false;
    this.updateFlow();
    return this.inReady() || this.outReady();
  }

  private inReady(): boolean {
    if (!this.conn || this.sessionHold) return false;
    if (this.startPending) return true;
    return this.inbox.bytes > 0 ? !this.readBlocked : this.inEof;
  }

  /** A write can go on: not during a renegotiation either (OpenSSL's SSL_write finishes the handshake first; its peers refuse data mid-handshake). */
  private outReady(): boolean {
    return this.established && this.writing !== null && !this.outBlocked && this.conn?.handshaking !== true && !this.sessionHold;
  }

  private stepIn(): void {
    if (!this.conn) return;
    if (this.startPending) {
      this.startPending = false;
      return this.start();
    }
    if (this.inbox.bytes > 0) {
      if (!this.readBlocked) this.receive(this.inbox.take(IN_SLICE));
    } else if (this.inEof) {
      this.inEof = false;
      this.eofHandled = true;
      if (!this.established) return this.fail(disconnected());
      this.endReadable();
    }
  }

  /** Pause the transport while input waits, the reader is full, or the hello gate waits for a callback; resume when none. */
  private updateFlow(): void {
    const pause = this.readBlocked || this.inbox.bytes > 0 || this.gate?.waiting === true;
    if (pause === this.transportPaused || this.destroyed) return;
    this.transportPaused = pause;
    if (pause) this.transport.pause();
    else this.transport.resume();
  }

  private receive(bytes: Uint8Array): void {
    const conn = this.conn!;
    const sessions = this.setup.sessions;
    let made: Session | undefined;
    try {
      if (!sessions) conn.receive(bytes);
      else {
        // Server: which TLS 1.2 session this connection made or resumed (see SessionCaches.watch).
        const seen = sessions.watch(() => conn.receive(bytes), this.loaded);
        this.serverSession = seen.session ?? this.serverSession;
        // As node's: no 'newSession' for a session that got a ticket (OpenSSL gives it no ID).
        if (this.ticketSent?.() !== true && seen.made) made = seen.session;
      }
    } catch (e) {
      return this.fatalOrRethrow(e);
    }
    const server = this.setup.server;
    if (made && server && this.setup.sessionEvents && this.holdForNewSession(conn, made, server)) return;
    this.afterReceive(conn);
  }

  /**
   * node's 'newSession': our Finished (still in the Connection) and 'secure'
   * wait for its callback. True when it was not called at once.
   */
  private holdForNewSession(conn: Connection, session: Session, server: ServerHooks): boolean {
    let emitting = true;
    this.sessionHold = true;
    emitNewSession(server, session, () => {
      this.sessionHold = false;
      if (emitting || this.destroyed) return;
      this.afterReceive(conn);
      if (this.destroyed) return;
      this.updateFlow();
      if (this.inReady() || this.outReady()) scheduler.schedule(this.task);
    });
    emitting = false;
    return this.sessionHold;
  }

  /** After Connection.receive: report a completed handshake, send what is due, deliver what was read. */
  private afterReceive(conn: Connection): void {
    if (conn.handshakeComplete && !this.established) {
      this.reportedHandshakes = this.handshakes;
      this.establish(conn);
      // 'secureConnect' before our Finished leaves: data written before the
      // handshake completed, or in the listener, joins it in one transport
      // write (no Finished alone in a segment for Nagle to hold the data behind).
      this.emitSecure();
      if (this.destroyed) return;
      this.releaseSession();
      if (this.destroyed) return;
      this.releaseOutput();
    } else if (this.handshakes > this.reportedHandshakes) {
      this.flush();
      this.renegotiated(conn);
      if (this.destroyed) return;
      this.releaseOutput();
    } else {
      this.flush();
    }
    if (this.destroyed) return;
    this.drainReads();
  }

  /** After a handshake: the write held for it (with our last flight, in one transport write), or the end held for it. */
  private releaseOutput(): void {
    if (this.writing && !this.outBlocked) this.writePiece();
    else this.flush();
    if (this.destroyed) return;
    const final = this.pendingFinal;
    this.pendingFinal = null;
    if (final) this.closeWrite(final);
  }

  /** A renegotiation completed: node's properties and events, as after each handshake ('secure', a client's 'secureConnect'). */
  private renegotiated(conn: Connection): void {
    this.reportedHandshakes = this.handshakes;
    this.alpnProtocol = conn.alpnProtocol;
    this.authorize(conn, false);
    this.emit('secure');
    if (this.setup.role === 'client') this.emit('secureConnect');
    this.renegotiations.settle(null);
  }

  /** Seal the next piece of the write in progress and hand it to the transport; after the last, the write's callback. */
  private writePiece(): void {
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
      return this.flush(w.cb);
    }
    this.flush();
    const t = this.transport;
    if (t.writableNeedDrain && !t.destroyed) {
      this.outBlocked = true;
      t.once('drain', this.onTransportDrain);
    }
  }

  private drainReads(): void {
    const conn = this.conn;
    if (!conn || this.destroyed) return;
    let data: Uint8Array | null;
    try {
      data = conn.read();
    } catch (e) {
      return this.fatalOrRethrow(e);
    }
    this.flush(); // read() flushes pending actions (a KeyUpdate answer)
    if (data && data.length > 0 && !this.readEnded && !this.push(toBuffer(data))) this.readBlocked = true;
    if (this.destroyed) return;
    if (conn.peerClosed) return this.established ? this.endReadable() : this.fail(disconnected());
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

  private endReadable(): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.push(null);
    // As net.Socket: a stream nobody reads still ends ('end', then our own end
    // without allowHalfOpen, then 'close') when nothing is left in its buffer.
    this.read(0);
  }

  private emitSecure(): void {
    this.emit('secure');
    if (this.setup.role === 'client') this.emit('secureConnect');
    else this.setup.server?.emit('secureConnection', this);
  }

  // ---- errors -----------------------------------------------------------------

  /** A TlsError from the Connection: its alert goes out, then the socket fails. */
  /**
   * An exception out of the Connection: a TLS failure ends the socket; an
   * exception thrown by one of our listeners ('keyUpdate', 'session', 'keylog')
   * while the connection is healthy is the application's, and propagates
   * as it does from any node stream listener (the connection stays usable).
   */
  private fatalOrRethrow(e: unknown): void {
    if (!(e instanceof TlsError) && this.conn?.failure == null) throw e;
    this.fatal(e);
  }

  private fatal(e: unknown): void {
    let out: Uint8Array | null = null;
    try {
      out = this.conn?.takeOutgoing() ?? null;
    } catch {
      // the alert was queued before the failure; nothing more to take
    }
    if (out) this.endTransportWith(out);
    this.fail(reported(e));
  }

  private endTransportWith(bytes: Uint8Array): void {
    const t = this.transport;
    if (t.destroyed || t.writableEnded) return;
    this.linger = true;
    t.end(bytes);
  }

  /** Fail: before the handshake on a server, 'tlsClientError' on the server; else 'error'. */
  protected fail(err: Error): void {
    if (this.destroyed) return;
    this.renegotiations.settle(err);
    const server = this.setup.server;
    if (server && !this.established) {
      this.destroy();
      server.emit('tlsClientError', err, this);
    } else {
      this.destroy(err);
    }
  }

  // ---- stream.Duplex ------------------------------------------------------------

  override _read(): void {
    if (!this.readBlocked) return;
    this.readBlocked = false;
    if (this.inReady()) scheduler.schedule(this.task);
    this.updateFlow();
  }

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

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    clearTimeout(this.timer);
    this.writing = null;
    this.pendingFinal = null;
    this.inbox.clear();
    this.transport.off('drain', this.onTransportDrain);
    destroyTransport(this.transport, this.linger); // a fatal alert leaves first
    cb(err);
  }
}
