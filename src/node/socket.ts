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
 * A transport that ends without close_notify (a truncation) ends the
 * readable side too, as node:tls (OpenSSL with SSL_OP_IGNORE_UNEXPECTED_EOF);
 * `closeNotifyReceived` tells the two apart, and `rejectTruncation: true`
 * makes a truncation an 'error' (ERR_SSL_UNEXPECTED_EOF_WHILE_READING, as
 * OpenSSL 3's default).
 *
 * The Connection's set-up and its events are in socket-connection.ts, the
 * writable side, failures and the shared listeners in socket-output.ts,
 * node's accessors in socket-info.ts, the controls in controls.ts.
 *
 * At rest (issue 19, bench/idle-heap.mjs) a socket keeps no closure per
 * event: its transport's listeners and its scheduler task are shared
 * functions (SocketOutput), the Connection's events are attached only when
 * something listens to them, its setup is shared with its server's other
 * sockets, and the handshake timer and hello gate go once used.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Session } from '../session/session.js';
import type { Connection } from '../ssl/connection.js';
import { codedError, disconnected } from './coded-errors.js';
import type { TlsSocketOptions } from './options.js';
import { setupFromOptions, sharedSetup, type ServerHooks, type SocketSetup } from './setup.js';
import { HelloGate } from './hello-gate.js';
import { Inbox } from './inbox.js';
import { unexpectedEof } from './node-errors.js';
import { emitNewSession, LoadedSession } from './session-events.js';
import { scheduler } from './scheduler.js';
import { SocketConnection } from './socket-connection.js';
import { destroyTransport } from './transport.js';

export { OUT_SLICE } from './socket-output.js';

/** The most bytes handed to Connection.receive in one step. */
export const IN_SLICE = 64 * 1024;

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export type { TlsSocketOptions };

/**
 * node:tls's TLSSocket over the sans-IO Connection. Never emits
 * 'OCSPResponse': OCSP stapling is not implemented (node emits it only with
 * `requestOCSP`, which puretls refuses).
 */
export class TlsSocket extends SocketConnection {
  /** The stream TLS runs over. */
  readonly transport: Duplex;
  protected readonly setup: SocketSetup;
  private readEnded = false;
  private transportPaused = false;
  /** Received, not yet given to the Connection. */
  private readonly inbox = new Inbox();
  /** The transport ended or closed: handled once the inbox is empty. */
  private inEof = false;
  private eofHandled = false;
  /** push() returned false: no more input is processed until _read. */
  private readBlocked = false;
  /** puretls's rejectTruncation: a transport that ends without close_notify is an error. */
  private readonly rejectTruncation: boolean;
  /** Server: the first bytes, until the Connection exists (see HelloGate). */
  private gate: HelloGate | undefined;
  /** Server: the 'resumeSession' answer, when the server had that listener. */
  private readonly loaded: LoadedSession | undefined;

  /**
   * TLS over `transport`. Client (default): the handshake starts once the
   * transport is connected. Server (`isServer`): waits for the ClientHello.
   * @throws {TypeError|RangeError} on a bad option (named in the message)
   */
  constructor(transport: Duplex, options: TlsSocketOptions = {}, setup?: SocketSetup) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, ...(options.highWaterMark ? { highWaterMark: options.highWaterMark } : {}) });
    if (!(transport instanceof Duplex)) throw codedError(new TypeError('TlsSocket: transport must be a stream.Duplex'), 'ERR_INVALID_ARG_TYPE');
    this.setup = sharedSetup(setup ?? setupFromOptions(options));
    this.transport = transport;
    this.rejectTruncation = options.rejectTruncation === true;
    if (options.rejectTruncation !== undefined && typeof options.rejectTruncation !== 'boolean') {
      throw codedError(new TypeError(`The "rejectTruncation" option must be a boolean. Received ${typeof options.rejectTruncation}`), 'ERR_INVALID_ARG_TYPE');
    }
    if (options.enableTrace === true) this.tracing = true;
    // node: clients always verify the server; a server asks for a certificate with requestCert.
    this.verification = { requestCert: this.setup.role === 'client' || this.setup.requestCert, rejectUnauthorized: this.setup.rejectUnauthorized };
    this.attachTransport(transport);
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

  // ---- transport events (see SocketOutput.attachTransport) --------------------

  protected onData(chunk: Buffer | Uint8Array | string): void {
    if (this.destroyed) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.observeHello(bytes);
    if (this.conn) return this.enqueue([bytes]);
    (this.gate ??= this.helloGate()).push(bytes);
  }

  /** EOF without close_notify still ends the readable side, after what arrived before it. */
  protected onEnd(): void {
    if (this.destroyed || this.eofHandled) return;
    if (!this.conn || (this.sessionHold && !this.established)) return this.fail(disconnected());
    this.inEof = true;
    scheduler.schedule(this.task);
  }

  protected onTransportError(err: Error): void {
    if (this.destroyed) return;
    if (this.readEnded && this.writableFinished) return void this.destroy(); // after a clean close, a reset is no error
    this.fail(err);
  }

  protected onTransportClose(): void {
    if (this.destroyed) return;
    this.abandonWrite(); // nothing more can be sent: the write fails (the socket with it)
    this.onEnd();
  }

  // ---- server: before the Connection ------------------------------------------

  private helloGate(): HelloGate {
    return new HelloGate({
      setup: this.setup,
      loaded: this.loaded,
      isDestroyed: () => this.destroyed,
      setServername: (name) => void (this.servername = name),
      begin: (context, bytes) => {
        this.gate = undefined; // done: its closures go with it
        if (this.createConnection(context)) this.enqueue(bytes);
      },
      refuse: (err, alert) => this.refuse(err, alert),
      fail: (err) => this.fail(err),
      flowChanged: () => this.updateFlow(),
    });
  }

  // ---- the IO loop: steps run by the scheduler ------------------------------------

  /** Queue received bytes; the transport pauses while any wait. */
  private enqueue(chunks: readonly Uint8Array[]): void {
    this.inbox.push(chunks);
    if (this.inbox.bytes > 0) scheduler.schedule(this.task);
    this.updateFlow();
  }

  /** One piece of work: the first flight, or one slice of input; and one piece of the write in progress. */
  protected step(): boolean {
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
      // A truncation (no close_notify): node:tls ends; with rejectTruncation, OpenSSL 3's error.
      if (this.rejectTruncation && !this.readEnded && !this.conn.peerClosed) return this.fail(unexpectedEof());
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
    if (this.destroyed) return; // a listener failed the socket (disableRenegotiation)
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
      this.countRenegotiations(conn);
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

  /** A renegotiation completed: node's properties and events, as after each handshake ('secure', a client's 'secureConnect'). */
  private renegotiated(conn: Connection): void {
    this.reportedHandshakes = this.handshakes;
    this.alpnProtocol = conn.alpnProtocol;
    this.authorize(conn, false);
    this.emit('secure');
    if (this.setup.role === 'client') this.emit('secureConnect');
    this.renegotiations?.settle(null);
  }

  private drainReads(): void {
    const conn = this.conn;
    if (!conn || this.destroyed) return;
    let chunks: Uint8Array[];
    try {
      chunks = conn.readChunks(); // a chunk per record: no copy to join them
    } catch (e) {
      return this.fatalOrRethrow(e);
    }
    this.flush(); // reading flushes pending actions (a KeyUpdate answer)
    for (const data of chunks) {
      if (data.length === 0 || this.readEnded) continue;
      this.dataRead += data.length;
      if (!this.push(toBuffer(data))) this.readBlocked = true;
    }
    if (this.destroyed) return;
    if (conn.peerClosed) return this.established ? this.endReadable() : this.fail(disconnected());
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

  // ---- stream.Duplex ------------------------------------------------------------

  override _read(): void {
    if (!this.readBlocked) return;
    this.readBlocked = false;
    if (this.inReady()) scheduler.schedule(this.task);
    this.updateFlow();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    clearTimeout(this.timer);
    this.clearOutput();
    this.inbox.clear();
    destroyTransport(this.transport, this.linger); // a fatal alert leaves first
    cb(err);
  }
}
