/**
 * `fromStreams`: TLS over any WHATWG byte-stream pair, for the web platform
 * (browsers, Deno, Bun, Workers; Node 20 too). The transport is
 * `{ readable, writable }` (Deno.connect's and Bun's sockets, the Direct
 * Sockets API, a WebSocket wrapper, `Duplex.toWeb(socket)` in Node); the
 * result is a `TlsStream` whose `readable` / `writable` carry the
 * application data. Part of puretls/core: no Node API.
 *
 * The controls keep OpenSSL's meaning (docs/controls.md): `keyUpdate`,
 * `renegotiate`, `newSessionTicket`, ... only schedule; the next read (the
 * stream reading the transport, or the application pulling `readable`), the
 * next write of `writable`, or `doHandshake()` sends them.
 */
import type { KeyUpdateType } from '../common/constants.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { Session } from '../session/session.js';
import { Connection } from '../ssl/connection.js';
import { TlsContext } from '../ssl/context.js';
import { StreamDriver } from './driver.js';

/** A byte-stream pair: what the peer sends comes out of `readable`, what goes to it into `writable`. */
export interface ByteStreams {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export interface FromStreamsOptions {
  /** The configuration (certificates, verifier, versions, suites). Required unless `connection` is given. */
  context?: TlsContext;
  /** Default 'client'. A client starts the handshake at once; a server waits for the ClientHello. */
  role?: 'client' | 'server';
  /** Client: the name for SNI and the certificate check (as ConnectionOptions.serverName). */
  serverName?: string;
  /** Client: a session from an earlier connection's 'session' event, offered for resumption. */
  session?: Session;
  /** Instead of context/role/serverName/session: a Connection already made (its role is used). */
  connection?: Connection;
  /**
   * Bytes of decrypted data `readable` queues before the stream stops reading
   * the transport (while no handshake or control needs the peer's bytes).
   * Default 65536.
   */
  highWaterMark?: number;
}

/** `readable`'s default high-water mark in bytes. */
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

const OPTION_NAMES = ['context', 'role', 'serverName', 'session', 'connection', 'highWaterMark'] as const;

/**
 * TLS over `transport`. The transport's two sides are locked (one reader,
 * one writer) for the life of the stream.
 * @throws {TypeError} for a transport that is not `{ readable, writable }` streams (or is locked), missing or wrong options
 * @throws {RangeError} for a bad highWaterMark
 */
export function fromStreams(transport: ByteStreams, options: FromStreamsOptions): TlsStream {
  return new TlsStream(transport, options);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function checkTransport(transport: unknown): ByteStreams {
  if (!isObject(transport)) throw new TypeError('fromStreams: transport must be an object { readable, writable }');
  const { readable, writable } = transport;
  if (!isObject(readable) || typeof readable['getReader'] !== 'function') throw new TypeError('fromStreams: transport.readable must be a ReadableStream');
  if (!isObject(writable) || typeof writable['getWriter'] !== 'function') throw new TypeError('fromStreams: transport.writable must be a WritableStream');
  if (readable['locked'] === true) throw new TypeError('fromStreams: transport.readable is locked (a reader holds it)');
  if (writable['locked'] === true) throw new TypeError('fromStreams: transport.writable is locked (a writer holds it)');
  return transport as unknown as ByteStreams;
}

/** The Connection the options describe (made here, or the one given). */
function connectionFrom(options: unknown): Connection {
  if (!isObject(options)) throw new TypeError('fromStreams: options must be an object with a context (a TlsContext)');
  const given = options['connection'];
  if (given !== undefined) {
    if (!(given instanceof Connection)) throw new TypeError('fromStreams: options.connection must be a Connection');
    const extra = OPTION_NAMES.filter((k) => k !== 'connection' && k !== 'highWaterMark' && options[k] !== undefined);
    if (extra.length > 0) throw new TypeError(`fromStreams: options.connection is already configured; ${extra.join(', ')} must be absent`);
    return given;
  }
  const context = options['context'];
  if (!(context instanceof TlsContext)) throw new TypeError('fromStreams: options.context must be a TlsContext (or give options.connection)');
  const role = options['role'] ?? 'client';
  if (role !== 'client' && role !== 'server') throw new TypeError("fromStreams: options.role must be 'client' or 'server'");
  const serverName = options['serverName'];
  const session = options['session'];
  if (role === 'server' && (serverName !== undefined || session !== undefined)) {
    throw new TypeError('fromStreams: serverName and session are client options (role is server)');
  }
  if (serverName !== undefined && (typeof serverName !== 'string' || serverName.length === 0)) {
    throw new TypeError('fromStreams: options.serverName must be a non-empty string');
  }
  if (session !== undefined && !(session instanceof Session)) throw new TypeError('fromStreams: options.session must be a Session');
  if (role === 'server' && !context.certificate) throw new TypeError('fromStreams: a server context needs a certificate');
  return new Connection(context, role, {
    ...(serverName !== undefined ? { serverName } : {}),
    ...(session !== undefined ? { session } : {}),
  });
}

function highWaterMarkFrom(options: FromStreamsOptions): number {
  const hwm = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (typeof hwm !== 'number' || !Number.isFinite(hwm) || hwm < 0) throw new RangeError('fromStreams: options.highWaterMark must be a finite number >= 0');
  return hwm;
}

/**
 * A TLS connection over a byte-stream pair (made by `fromStreams`). The
 * application reads `readable` and writes `writable`; `connection` is the
 * sans-IO core, whose events ('keyUpdate', 'session', 'alert', 'message',
 * 'keylog', ...) carry the detail. Errors are the core's `TlsError`s,
 * never wrapped.
 */
export class TlsStream {
  /** The core; its events are the place for detail. */
  readonly connection: Connection;
  /** Decrypted application data. Done on the peer's close_notify; errors with the TlsError (or transport error) on failure. */
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Application data. A write resolves when its records were handed to the
   * transport writer (during a handshake: when it ended and they went out);
   * close() sends close_notify then closes the transport writable; abort()
   * is destroy().
   */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves when the first handshake completes; rejects with the TlsError (or transport error) otherwise. */
  readonly handshake: Promise<void>;
  /**
   * Resolves when both directions are done (the peer's close_notify came, or
   * readable was cancelled; and our close_notify went out and the transport
   * writable closed), or on destroy() without a reason; rejects on failure.
   */
  readonly closed: Promise<void>;
  readonly #driver: StreamDriver;
  #closePromise: Promise<void> | null = null;

  /** Use fromStreams(). @throws as fromStreams */
  constructor(transport: ByteStreams, options: FromStreamsOptions) {
    const t = checkTransport(transport);
    const conn = connectionFrom(options);
    const hwm = highWaterMarkFrom(options);
    this.connection = conn;
    this.#driver = new StreamDriver(conn, t, hwm);
    this.readable = this.#driver.readable;
    this.writable = this.#driver.writable;
    this.handshake = this.#driver.handshake.promise;
    this.closed = this.#driver.closed.promise;
  }

  // ---- IO ------------------------------------------------------------------------

  /**
   * Connection.doHandshake() (start a client, flush pending actions: OpenSSL's
   * SSL_do_handshake), then the transport write of what it produced.
   * Resolves when that write was accepted (not when a handshake completes:
   * await `handshake` for the first one).
   * @throws {TlsError} (rejects) ERR_TLS_CLOSED after close() or destroy(), or the connection's failure
   */
  async doHandshake(): Promise<void> {
    const d = this.#driver;
    d.checkAlive('doHandshake');
    d.start();
    try {
      this.connection.doHandshake();
    } catch (e) {
      d.connectionError(e);
      throw this.connection.failure ?? e;
    }
    await d.flush();
  }

  /**
   * close_notify (after everything written, and after a handshake under way),
   * then the transport writable closes. Resolves then; the peer's
   * close_notify ends `readable` (and `closed` resolves) when it comes.
   * Idempotent. With `writable` unlocked this is `writable.close()`.
   */
  close(): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    const d = this.#driver;
    if (d.closing) return (this.#closePromise = d.closing); // writable.close() came first
    if (d.dead) return Promise.reject(d.deadError('close'));
    this.#closePromise = this.writable.locked ? d.closeWrite() : this.writable.close();
    return this.#closePromise;
  }

  /** Abort both transport sides; readable and writable error (with reason, else ERR_TLS_CLOSED). No alert is sent. */
  destroy(reason?: unknown): void {
    this.#driver.destroy(reason);
  }

  // ---- controls: they only schedule (the next read, write or doHandshake sends) -----------------

  /** SSL_key_update (TLS 1.3). @throws the Connection's errors unchanged; ERR_TLS_CLOSED after destroy() */
  keyUpdate(type: KeyUpdateType): true {
    return this.#control('keyUpdate', () => this.connection.keyUpdate(type));
  }

  /** SSL_get_key_update_type. */
  getKeyUpdateType(): KeyUpdateType {
    return this.connection.getKeyUpdateType();
  }

  /** SSL_renegotiate (TLS 1.2). @throws the Connection's errors unchanged; ERR_TLS_CLOSED after destroy() */
  renegotiate(): true {
    return this.#control('renegotiate', () => this.connection.renegotiate());
  }

  /** SSL_renegotiate_abbreviated (TLS 1.2). @throws as renegotiate() */
  renegotiateAbbreviated(): true {
    return this.#control('renegotiateAbbreviated', () => this.connection.renegotiateAbbreviated());
  }

  /** SSL_renegotiate_pending: scheduled and its ClientHello / HelloRequest not yet written. */
  renegotiatePending(): boolean {
    return this.connection.renegotiatePending();
  }

  /** SSL_set_num_tickets (server, TLS 1.3). @throws {RangeError} for a bad count */
  setNumTickets(n: number): true {
    return this.#control('setNumTickets', () => this.connection.setNumTickets(n));
  }

  /** SSL_get_num_tickets. */
  getNumTickets(): number {
    return this.connection.getNumTickets();
  }

  /** SSL_new_session_ticket (server, TLS 1.3): one more ticket with the next write or doHandshake. */
  newSessionTicket(): true {
    return this.#control('newSessionTicket', () => this.connection.newSessionTicket());
  }

  /** SSL_verify_client_post_handshake (server, TLS 1.3). */
  verifyClientPostHandshake(): true {
    return this.#control('verifyClientPostHandshake', () => this.connection.verifyClientPostHandshake());
  }

  /** Keying material exporter (RFC 8446 §7.5, RFC 5705). */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    return this.connection.exportKeyingMaterial(length, label, context);
  }

  #control(what: string, fn: () => true): true {
    this.#driver.checkAlive(what);
    const r = fn();
    this.#driver.wake(); // keep reading the transport while it is pending (it is sent by the next read, write or doHandshake)
    return r;
  }

  // ---- state ---------------------------------------------------------------------------

  /** 'TLSv1.3' or 'TLSv1.2' once negotiated. */
  get protocol(): string | null {
    return this.connection.protocol;
  }
  get cipherSuite(): SuiteInfo | null {
    return this.connection.cipherSuite;
  }
  get alpnProtocol(): string | false {
    return this.connection.alpnProtocol;
  }
  get isSessionReused(): boolean {
    return this.connection.isSessionReused;
  }
  /** SSL_get_session (see Connection.session). */
  get session(): Session | undefined {
    return this.connection.session;
  }
  /** The peer's certificates, DER, leaf first. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.connection.peerCertificates;
  }
}
