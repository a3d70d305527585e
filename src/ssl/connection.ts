import { plain } from '../common/bytes.js';
import { KeyUpdateType, MAX_PLAINTEXT, ProtocolVersion } from '../common/constants.js';
import { Emitter } from '../common/emitter.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { Negotiated } from '../handshake/state.js';
import { Session } from '../session/session.js';
import type { VerifyResult } from '../x509/verifier.js';
import { checkNumTickets, type TlsContext } from './context.js';
import { Engine } from './engine.js';
import { checkExporterArgs, checkKeyUpdate, checkRenegotiation, checkServerControl13, type ControlState } from './control-checks.js';
import type { ConnectionEvents } from './events.js';
import type { PendingActions } from './pending.js';

export type { AlertEvent, ConnectionEvents, KeyUpdateEvent, MessageEvent } from './events.js';

export interface ConnectionOptions {
  /** Client: the server name for SNI and certificate checks. */
  serverName?: string;
  /** Client: a session from an earlier connection's 'session' event, offered for resumption. */
  session?: Session;
}

/**
 * One TLS connection, sans-IO (SSL in OpenSSL's terms). Feed it the peer's
 * bytes with `receive`, send what `takeOutgoing` returns, and use
 * `read`/`write` for application data. It never blocks and never does IO.
 *
 * The machinery (handshake states, records, keys) lives in a private
 * `Engine`; this class checks arguments, runs each call through the one
 * catch site, and delivers the events the call raised once it is done, so a
 * listener that throws surfaces to the caller (as with Node's EventEmitter)
 * without sending an alert or poisoning the connection.
 */
export class Connection extends Emitter<ConnectionEvents> {
  readonly role: 'client' | 'server';
  readonly serverName: string | undefined;
  readonly offeredSession: Session | undefined;
  readonly #engine: Engine;

  constructor(
    readonly config: TlsContext,
    role: 'client' | 'server',
    options: ConnectionOptions = {},
  ) {
    super();
    if (role !== 'client' && role !== 'server') throw new TypeError("Connection: role must be 'client' or 'server'");
    if (options.serverName !== undefined && (typeof options.serverName !== 'string' || options.serverName.length === 0)) {
      throw new TypeError('Connection: serverName must be a non-empty string');
    }
    if (role === 'server' && !config.certificate) throw new TypeError('Connection: a server needs a certificate');
    if (options.session !== undefined && !(options.session instanceof Session)) throw new TypeError('Connection: session must be a Session');
    this.role = role;
    this.serverName = options.serverName;
    // A client given no session offers the one its context's clientSessionCache holds for the server name.
    const cache = role === 'client' && this.serverName !== undefined ? config.clientSessionCache : undefined;
    this.offeredSession = role === 'client' ? (options.session ?? cache?.get(this.serverName!)) : undefined;
    this.#engine = new Engine(config, role, this.serverName, this.offeredSession, (name) => this.hasListeners(name));
    if (cache) this.on('session', (s) => cache.put(this.serverName!, s));
  }

  // ---- state --------------------------------------------------------------

  /**
   * What the handshake decided: the committed result of the last completed
   * handshake, or, during the first one, what has been agreed so far.
   */
  get negotiated(): Readonly<Negotiated> {
    return this.#engine.result ?? this.#engine.negotiated;
  }
  /** What the user asked for and is not yet on the wire. */
  get pending(): Readonly<PendingActions> {
    return this.#engine.pending;
  }
  /** The first handshake completed: application data can flow. */
  get handshakeComplete(): boolean {
    return this.#engine.trafficReady;
  }
  /** A handshake is running (the first one, or a renegotiation). */
  get handshaking(): boolean {
    return this.#engine.handshaking;
  }
  /** The peer sent close_notify: no more data will come. */
  get peerClosed(): boolean {
    return this.#engine.peerClosed;
  }
  /** We sent (or queued) close_notify, or closed before the handshake started. */
  get closed(): boolean {
    return this.#engine.closeSent;
  }
  /** The fatal error that ended this connection, if any. */
  get failure(): TlsError | null {
    return this.#engine.error;
  }
  /** 'TLSv1.3' or 'TLSv1.2' once negotiated. */
  get protocol(): string | null {
    const v = this.negotiated.version;
    return v === ProtocolVersion.TLSv1_3 ? 'TLSv1.3' : v === ProtocolVersion.TLSv1_2 ? 'TLSv1.2' : null;
  }
  get cipherSuite(): SuiteInfo | null {
    return this.negotiated.suite ?? null;
  }
  /** The server accepted the offered session (a PSK handshake). */
  get isSessionReused(): boolean {
    return this.negotiated.resumed === true;
  }
  get alpnProtocol(): string | false {
    return this.negotiated.alpn ?? false;
  }
  get peerCertificates(): readonly Uint8Array[] {
    return this.negotiated.peerCertificates ?? [];
  }
  get peerVerification(): VerifyResult | null {
    return this.negotiated.peerVerify ?? null;
  }
  /** The handshake state's name (for diagnostics and tests). */
  get stateName(): string {
    return this.#engine.state?.name ?? (this.role === 'client' ? 'Start' : 'ExpectClientHello');
  }

  // ---- IO ------------------------------------------------------------------

  /**
   * Bytes from the peer. Processes every complete record.
   * @throws {TlsError} on a fatal protocol error (the alert is queued for takeOutgoing)
   * @throws {TypeError} if bytes is not a Uint8Array
   * @throws whatever a listener of an event this call raised throws (the connection is unharmed)
   */
  receive(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('receive: bytes must be a Uint8Array');
    const e = this.#engine;
    this.throwIfFailed();
    // RFC 8446 §6.1: data after close_notify is ignored; so is data after a close before the handshake.
    if (e.peerClosed || (e.closeSent && !e.started)) return;
    this.run(() => e.receive(plain(bytes))); // kept by reference: a Buffer's slice() would be a view
  }

  /** Everything to send to the peer now, as one buffer (one transport write), or null. */
  takeOutgoing(): Uint8Array | null {
    const e = this.#engine;
    if (!e.error) this.run(() => e.outbox.sealHandshake(), false);
    const out = e.outbox.take();
    this.deliver();
    return out;
  }

  /** Is there anything for takeOutgoing? */
  get wantsWrite(): boolean {
    return this.#engine.outbox.hasOutput;
  }

  /**
   * Decrypted application data received so far, or null when none. Sends a
   * KeyUpdate we scheduled first (not the answer to a peer's request: as in
   * OpenSSL, that goes out with our next write, so several requests get one answer).
   * @throws {TlsError} the connection's fatal error, if it has one
   */
  read(): Uint8Array | null {
    this.throwIfFailed();
    const e = this.#engine;
    this.run(() => e.flushPending('read'));
    return e.takeApplicationData();
  }

  /**
   * read() without the copy: the decrypted application data received so far
   * as it came, one array per record (empty when none). For adapters that
   * hand chunks on (the Node adapter pushes each), where joining them
   * would copy every byte once more.
   * @throws {TlsError} the connection's fatal error, if it has one
   */
  readChunks(): Uint8Array[] {
    this.throwIfFailed();
    const e = this.#engine;
    this.run(() => e.flushPending('read'));
    return e.takeApplicationChunks();
  }

  /**
   * Queue application data; sealed at once after the handshake, held until then.
   * Handshake messages already queued (a KeyUpdate answer) go out before it.
   * @throws {TypeError} if data is not a Uint8Array
   * @throws {TlsError} ERR_TLS_CLOSED after close(), or the connection's fatal error
   */
  write(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('write: data must be a Uint8Array');
    this.throwIfFailed();
    if (this.#engine.closeRequested) throw new TlsError('ERR_TLS_CLOSED', AlertDescription.close_notify, 'write after close');
    this.run(() => this.#engine.write(data));
  }

  /**
   * Start (client) or continue the handshake and flush pending actions.
   * @throws {TlsError} ERR_TLS_CLOSED after close() (nothing changes), or the connection's fatal error
   */
  doHandshake(): void {
    this.throwIfFailed();
    const e = this.#engine;
    if (e.closeSent && !e.started) throw new TlsError('ERR_TLS_CLOSED', AlertDescription.close_notify, 'doHandshake after close');
    this.run(() => {
      e.startIfNeeded();
      e.flushPending();
    });
  }

  /**
   * Queue close_notify (after any data already written). Before the
   * handshake has started nothing is sent and the connection is over.
   * Idempotent.
   */
  close(): void {
    const e = this.#engine;
    if (e.error || e.closeRequested) return;
    this.run(() => e.close());
  }

  /** The largest plaintext per record we send (node's setMaxSendFragment). */
  setMaxSendFragment(size: number): void {
    if (!Number.isInteger(size) || size < 512 || size > MAX_PLAINTEXT) {
      throw new RangeError('setMaxSendFragment: size must be an integer in 512..16384');
    }
    this.#engine.setMaxSendFragment(size);
  }

  /**
   * Keying material exporter (RFC 8446 §7.5).
   * @throws {TlsError} ERR_TLS_INVALID_STATE before the handshake completes
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    checkExporterArgs(length, label, context);
    const e = this.#engine;
    if (!e.trafficReady || !e.secrets) throw TlsError.invalidState('exportKeyingMaterial before the handshake completed');
    return e.secrets.exportKeyingMaterial(label, context, length);
  }

  // ---- controls (OpenSSL's SSL_key_update and friends) -----------------------

  /**
   * Schedule a KeyUpdate (SSL_key_update): sent by the next read, write or
   * doHandshake. A later call before then replaces the type. Returns true
   * (OpenSSL's 1); errors are thrown, never returned.
   * @throws {RangeError} for a type other than NOT_REQUESTED / REQUESTED
   * @throws {TlsError} ERR_TLS_INVALID_STATE before the handshake, after close, or on TLS 1.2
   */
  keyUpdate(type: KeyUpdateType): true {
    checkKeyUpdate(this.controlState(), type);
    this.#engine.pending.keyUpdate = type;
    return true;
  }

  /**
   * The scheduled, not yet sent, key update type (SSL_get_key_update_type).
   * As in OpenSSL, an answer owed to a peer's update_requested shows as
   * NOT_REQUESTED until it is sent.
   */
  getKeyUpdateType(): KeyUpdateType {
    const p = this.#engine.pending;
    if (p.keyUpdate !== KeyUpdateType.NONE) return p.keyUpdate;
    return p.answerKeyUpdate ? KeyUpdateType.NOT_REQUESTED : KeyUpdateType.NONE;
  }

  /**
   * Schedule a renegotiation (SSL_renegotiate), TLS 1.2 only: a client sends a
   * ClientHello that offers no session (a full handshake), a server a
   * HelloRequest, on the next read, write or doHandshake. Returns true.
   * @throws {TlsError} ERR_TLS_INVALID_STATE before the handshake, during one,
   *   after close, on TLS 1.3, or when the peer lacks RFC 5746 secure renegotiation
   */
  renegotiate(): true {
    return this.scheduleRenegotiation('renegotiate', 'full');
  }

  /**
   * SSL_renegotiate_abbreviated: as renegotiate(), but a client offers the
   * current session (an abbreviated handshake if the server resumes it); on a
   * server the same as renegotiate().
   * @throws {TlsError} as renegotiate()
   */
  renegotiateAbbreviated(): true {
    return this.scheduleRenegotiation('renegotiateAbbreviated', 'abbreviated');
  }

  /**
   * SSL_set_num_tickets: the TLS 1.3 tickets this server sends after a full
   * handshake (the context's value until then; default 2; 0 allowed). After
   * a resumption one is sent, unless the decrypt callback says USE.
   * @throws {RangeError} for a negative or non-integer count
   */
  setNumTickets(n: number): true {
    this.#engine.post13.tickets.numTickets = checkNumTickets(n, 'setNumTickets');
    return true;
  }

  /** SSL_get_num_tickets. */
  getNumTickets(): number {
    return this.#engine.post13.tickets.numTickets;
  }

  /**
   * SSL_new_session_ticket: one more TLS 1.3 ticket, sent (with any others
   * queued) by the next write or doHandshake, before that write's data. The
   * 'newSession' event fires as each is generated. Returns true.
   * @throws {TlsError} ERR_TLS_INVALID_STATE on a client, before the handshake, on TLS 1.2, after close, or without a ticket codec
   */
  newSessionTicket(): true {
    checkServerControl13(this.controlState(), 'newSessionTicket');
    if (!this.config.ticketCodec) throw TlsError.invalidState('newSessionTicket: the context issues no tickets (ticketCodec: null)');
    this.#engine.post13.tickets.queued++;
    return true;
  }

  /**
   * SSL_verify_client_post_handshake (RFC 8446 §4.6.2): ask the client for a
   * certificate after the handshake. A pending action: the CertificateRequest
   * goes out with the next read, write or doHandshake. The answer is checked
   * as it arrives (with requireCert, none is certificate_required); then
   * 'postHandshakeAuth' fires, `negotiated.peerCertificates` is the client's,
   * and new tickets carrying it follow (getNumTickets() as of this call, one
   * after a resumption). Returns true.
   * @throws {TlsError} ERR_TLS_INVALID_STATE on a client, before the handshake, on TLS 1.2,
   *   after close, when the client did not send post_handshake_auth, or while a request is unanswered
   */
  verifyClientPostHandshake(): true {
    checkServerControl13(this.controlState(), 'verifyClientPostHandshake');
    const e = this.#engine;
    // RFC 8446 §4.6.2: never to a client that did not send post_handshake_auth.
    if (this.negotiated.postHandshakeAuth !== true) throw TlsError.invalidState('verifyClientPostHandshake: the client did not send post_handshake_auth');
    if (e.post13.clientAuth !== 'none') throw TlsError.invalidState(`verifyClientPostHandshake: a request is already ${e.post13.clientAuth === 'pending' ? 'pending' : 'sent and unanswered'}`);
    e.post13.requestClientAuth();
    return true;
  }

  /**
   * SSL_get_session: this connection's session. A server's holds the ticket
   * app data its tickets carry (set it in the generate callback, or before a
   * ticket is made); a resumed server's is the session from the ticket. A
   * client's is its latest (a TLS 1.2 session, or the last ticket's).
   */
  get session(): Session | undefined {
    return this.role === 'server' ? this.#engine.post13.tickets.template : this.#engine.offeredSession;
  }

  /** SSL_renegotiate_pending: a renegotiation (or request) is scheduled and its ClientHello / HelloRequest not yet written. */
  renegotiatePending(): boolean {
    return this.#engine.pending.renegotiate !== null;
  }

  /**
   * SSL_set_verify for this connection only: from the next handshake on (a
   * renegotiation, node's renegotiate({ requestCert, rejectUnauthorized })),
   * a server asks for (requestCert) or requires (requireCert) a client
   * certificate; rejectUnauthorized fails a handshake whose peer chain does not verify.
   * @throws {TypeError} for a value that is not a boolean
   */
  setPeerVerification(options: { requestCert?: boolean; requireCert?: boolean; rejectUnauthorized?: boolean }): void {
    if (options === null || typeof options !== 'object') throw new TypeError('setPeerVerification: options must be an object');
    const set: Partial<Record<'requestCert' | 'requireCert' | 'rejectUnauthorized', boolean>> = {};
    for (const k of ['requestCert', 'requireCert', 'rejectUnauthorized'] as const) {
      const v = options[k];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') throw new TypeError(`setPeerVerification: ${k} must be a boolean`);
      set[k] = v;
    }
    this.#engine.overrideConfig(set);
  }

  // ---- internals -------------------------------------------------------------

  private controlState(): ControlState {
    return { engine: this.#engine, negotiated: this.negotiated, role: this.role };
  }

  private scheduleRenegotiation(what: string, kind: 'full' | 'abbreviated'): true {
    checkRenegotiation(this.controlState(), what);
    this.#engine.pending.renegotiate = kind;
    return true;
  }

  private throwIfFailed(): void {
    const err = this.#engine.error;
    if (err) throw err;
  }

  /** Run `fn` through the catch site, then deliver the events it raised (also when it failed). */
  private run(fn: () => void, deliver = true): void {
    try {
      this.#engine.guard(fn);
    } finally {
      if (deliver) this.deliver();
    }
  }

  /**
   * Deliver queued events in order. A listener that throws stops delivery
   * there: its exception reaches the caller, and the events after it wait
   * for the next call.
   */
  private deliver(): void {
    const q = this.#engine.events;
    while (q.length > 0) {
      const ev = q.shift()!;
      this.emit(ev.name, ev.arg as never);
    }
  }
}
