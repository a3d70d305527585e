/**
 * TlsSocket: a stream.Duplex of application data over any Duplex transport
 * (a net.Socket, or anything else), driven by the sans-IO Connection.
 *
 * Backpressure runs both ways: a write's callback waits for the transport's
 * 'drain'; when the reader stops (push() returns false) the transport is
 * paused until _read. Each flight goes out in one transport write. end()
 * sends everything written, then close_notify, then ends the transport.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { Session } from '../session/session.js';
import { Connection } from '../ssl/connection.js';
import type { TlsContext } from '../ssl/context.js';
import { peekClientHello, plaintextAlert } from '../ssl/peek.js';
import { closedError, codedError, disconnected, type TlsSocketOptions } from './options.js';
import { setupFromOptions, type SocketSetup } from './setup.js';
import { SocketControls } from './controls.js';

type Callback = (err?: Error | null) => void;

const LINGER_MS = 2000;

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export type { TlsSocketOptions };

export class TlsSocket extends SocketControls {
  /** The stream TLS runs over. */
  readonly transport: Duplex;
  protected conn: Connection | null = null;
  protected readonly setup: SocketSetup;
  private readEnded = false;
  private transportPaused = false;
  private pendingWrite: { data: Uint8Array; cb: Callback } | null = null;
  private pendingFinal: Callback | null = null;
  private peeked: Uint8Array[] = [];
  private choosing = false;
  private keylogAttached = false;
  private linger = false;

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
      if (transport instanceof net.Socket && transport.connecting) transport.once('connect', () => (this.emit('connect'), this.start()));
      else process.nextTick(() => this.start());
    } else if (!this.setup.selectContext && this.setup.context.certificate) {
      this.createConnection(this.setup.context); // else: peek first (SNI), or refuse on the first bytes
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
    if (!server) this.conn.on('session', (s: Session) => this.onSession(s));
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

  /** node: 'session' with the session's bytes, for each ticket; getSession() returns the latest. */
  private onSession(session: Session): void {
    const bytes = toBuffer(session.toBytes());
    this.latestSession = bytes;
    this.emit('session', bytes);
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
    if (this.conn) return this.receive(bytes);
    this.peeked.push(bytes);
    if (!this.choosing) this.peek();
  };

  private readonly onEnd = (): void => {
    if (this.destroyed) return;
    if (!this.established) return this.fail(disconnected());
    this.endReadable(); // EOF without close_notify still ends the readable side
  };

  private readonly onTransportError = (err: Error): void => {
    if (this.destroyed) return;
    if (this.readEnded && this.writableFinished) return void this.destroy(); // after a clean close, a reset is no error
    this.fail(err);
  };

  private readonly onTransportClose = (): void => {
    if (this.destroyed) return;
    if (!this.established) return this.fail(disconnected());
    this.endReadable();
  };

  // ---- server: SNI ------------------------------------------------------------

  private peek(): void {
    const r = peekClientHello(this.peeked);
    if (r.status === 'more') return;
    const select = this.setup.selectContext;
    if (r.status !== 'done' || r.serverName === undefined || !select) return this.begin(this.setup.context);
    this.servername = r.serverName;
    this.choosing = true;
    let called = false;
    try {
      select(r.serverName, (err, ctx) => {
        if (called) return;
        called = true;
        this.choosing = false;
        if (this.destroyed) return;
        if (err) return this.refuse(err, AlertDescription.internal_error);
        this.begin(ctx ?? this.setup.context);
      });
    } catch (e) {
      if (!called) {
        called = true;
        this.refuse(asError(e), AlertDescription.internal_error);
      }
    }
  }

  private begin(context: TlsContext): void {
    if (!this.createConnection(context)) return;
    const bytes = Buffer.concat(this.peeked);
    this.peeked = [];
    this.receive(bytes);
  }

  /** Refuse before a Connection exists: a plaintext fatal alert, then fail. */
  private refuse(err: Error, alert?: number): void {
    const description = alert ?? (err instanceof TlsError ? err.alert : AlertDescription.internal_error);
    this.endTransportWith(plaintextAlert(description));
    this.fail(err);
  }

  // ---- the IO loop --------------------------------------------------------------

  private receive(bytes: Uint8Array): void {
    const conn = this.conn!;
    try {
      conn.receive(bytes);
    } catch (e) {
      return this.fatal(e);
    }
    if (conn.handshakeComplete && !this.established) {
      this.establish(conn);
      const pw = this.pendingWrite;
      this.pendingWrite = null;
      // The Finished and data written before it leave in one transport write.
      if (pw) this.writeData(pw.data, pw.cb);
      else this.flush();
      if (this.destroyed) return;
      this.emitSecure();
      if (this.destroyed) return;
      const final = this.pendingFinal;
      this.pendingFinal = null;
      if (final) this.closeWrite(final);
    } else {
      this.flush();
    }
    this.drainReads();
  }

  private drainReads(): void {
    const conn = this.conn;
    if (!conn || this.destroyed) return;
    let data: Uint8Array | null;
    try {
      data = conn.read();
    } catch (e) {
      return this.fatal(e);
    }
    this.flush(); // read() flushes pending actions (a KeyUpdate answer)
    if (data && data.length > 0 && !this.readEnded && !this.push(toBuffer(data))) this.pauseTransport();
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
    const t = this.transport;
    if (t.destroyed || t.writableEnded) return cb?.(closedError());
    const ok = t.write(out);
    if (!cb) return;
    if (ok) return cb();
    const onDrain = (): void => {
      t.off('close', onClose);
      cb();
    };
    const onClose = (): void => {
      t.off('drain', onDrain);
      cb(closedError());
    };
    t.once('drain', onDrain);
    t.once('close', onClose);
  }

  private pauseTransport(): void {
    if (this.transportPaused) return;
    this.transportPaused = true;
    this.transport.pause();
  }

  private endReadable(): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.push(null);
  }

  private emitSecure(): void {
    this.emit('secure');
    if (this.setup.role === 'client') this.emit('secureConnect');
    else this.setup.server?.emit('secureConnection', this);
  }

  // ---- errors -----------------------------------------------------------------

  /** A TlsError from the Connection: its alert goes out, then the socket fails. */
  private fatal(e: unknown): void {
    let out: Uint8Array | null = null;
    try {
      out = this.conn?.takeOutgoing() ?? null;
    } catch {
      // the alert was queued before the failure; nothing more to take
    }
    if (out) this.endTransportWith(out);
    this.fail(asError(e));
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
    if (!this.transportPaused) return;
    this.transportPaused = false;
    this.transport.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: Callback): void {
    this.writeData(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: Callback): void {
    // Small writes are coalesced: one conn.write fills whole 16 KiB records.
    this.writeData(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  private writeData(data: Uint8Array, cb: Callback): void {
    if (!this.established) {
      this.pendingWrite = { data, cb };
      return;
    }
    try {
      this.conn!.write(data);
    } catch (e) {
      this.fatal(e);
      return cb(asError(e));
    }
    this.flush(cb);
  }

  override _final(cb: Callback): void {
    if (!this.established) {
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
    const t = this.transport;
    if (t.destroyed || t.writableFinished) return cb();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      t.off('finish', finish);
      t.off('close', finish);
      cb();
    };
    t.once('finish', finish);
    t.once('close', finish);
    if (t.writableEnded) return;
    if (out) t.end(out);
    else t.end();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    clearTimeout(this.timer);
    this.pendingWrite = null;
    this.pendingFinal = null;
    const t = this.transport;
    if (this.linger && !t.destroyed && !t.writableFinished) {
      // Let the fatal alert leave before the transport goes.
      const timer = setTimeout(() => t.destroy(), LINGER_MS);
      timer.unref?.();
      const kill = (): void => {
        clearTimeout(timer);
        t.destroy();
      };
      t.once('finish', kill);
      t.once('close', () => clearTimeout(timer));
    } else {
      t.destroy();
    }
    cb(err);
  }
}
