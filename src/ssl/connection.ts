import { concat, toHex } from '../common/bytes.js';
import { ContentType, HandshakeType, KeyUpdateType, MAX_CIPHERTEXT_13, MAX_PLAINTEXT, ProtocolVersion } from '../common/constants.js';
import { Emitter } from '../common/emitter.js';
import { AlertDescription, AlertLevel, TlsError } from '../common/errors.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { startClient13 } from '../handshake/client13.js';
import { KeySchedule13 } from '../handshake/keyschedule13.js';
import { ExpectClientHello } from '../handshake/server13.js';
import type { HandshakeContext, HandshakeState, Negotiated, TrafficSecrets13 } from '../handshake/state.js';
import { encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import { KeyUpdate, NewSessionTicket13 } from '../messages/messages13.js';
import { Session } from '../session/session.js';
import { sessionFromTicket } from './tickets.js';
import { HandshakeJoiner } from '../record/joiner.js';
import { RecordDeframer, type RawRecord } from '../record/deframer.js';
import { ReceiveProtection, SendProtection } from '../record/protection.js';
import type { VerifyResult } from '../x509/verifier.js';
import type { TlsContext } from './context.js';
import { Outbox } from './outbox.js';
import { PeerLimits } from './peer-limits.js';
import { PendingActions } from './pending.js';

export interface ConnectionOptions {
  /** Client: the server name for SNI and certificate checks. */
  serverName?: string;
  /** Client: a session from an earlier connection's 'session' event, offered for resumption. */
  session?: Session;
}

export interface AlertEvent {
  readonly sent: boolean;
  readonly level: number;
  readonly description: number;
}

export interface KeyUpdateEvent {
  readonly direction: 'sent' | 'received';
  readonly type: KeyUpdateType;
}

/** A handshake message sent or received, for `-msg` style tracing. */
export interface MessageEvent {
  readonly direction: 'sent' | 'received';
  readonly type: number;
  readonly length: number;
}

export type ConnectionEvents = {
  /** The handshake completed. */
  handshake: void;
  alert: AlertEvent;
  /** One NSS key log line (no newline). Emitted only while someone listens. */
  keylog: string;
  keyUpdate: KeyUpdateEvent;
  /** The peer sent close_notify. */
  close: void;
  /** A handshake message went out or came in. */
  message: MessageEvent;
  /** A NewSessionTicket arrived (client). */
  ticket: HandshakeMessage;
  /** Client: a resumable session, made from a NewSessionTicket. */
  session: Session;
};


/**
 * One TLS connection, sans-IO (SSL in OpenSSL's terms). Feed it the peer's
 * bytes with `receive`, send what `takeOutgoing` returns, and use
 * `read`/`write` for application data. It never blocks and never does IO.
 */
export class Connection extends Emitter<ConnectionEvents> implements HandshakeContext {
  readonly role: 'client' | 'server';
  readonly serverName: string | undefined;
  readonly offeredSession: Session | undefined;
  readonly negotiated: Negotiated = {};
  private state: HandshakeState | null = null;
  private readonly deframer = new RecordDeframer();
  private readonly joiner: HandshakeJoiner;
  private readonly outbox = new Outbox();
  private recvProt: ReceiveProtection = ReceiveProtection.plaintext();
  private appIn: Uint8Array[] = [];
  private appOut: Uint8Array[] = [];
  private error: TlsError | null = null;
  private started = false;
  private complete = false;
  private closeRequested = false;
  private closeSent = false;
  private peerClosedFlag = false;
  private secrets: TrafficSecrets13 | null = null;
  /** Counters of what a peer may repeat; reset by application data. */
  private readonly repeats: PeerLimits;
  /** Key update generations per direction (N of *_TRAFFIC_SECRET_N in the key log). */
  private readonly generations = { send: 0, receive: 0 };
  /** What the user asked for, flushed on the next read/write/doHandshake. */
  readonly pending = new PendingActions();

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
    this.offeredSession = role === 'client' ? options.session : undefined;
    this.joiner = new HandshakeJoiner({ maxMessageSize: config.limits.maxHandshakeMessageSize });
    this.repeats = new PeerLimits(config.limits);
  }

  // ---- state --------------------------------------------------------------

  get handshakeComplete(): boolean {
    return this.complete;
  }
  /** The peer sent close_notify: no more data will come. */
  get peerClosed(): boolean {
    return this.peerClosedFlag;
  }
  /** We sent (or queued) close_notify. */
  get closed(): boolean {
    return this.closeSent;
  }
  /** The fatal error that ended this connection, if any. */
  get failure(): TlsError | null {
    return this.error;
  }
  /** 'TLSv1.3' once negotiated. */
  get protocol(): string | null {
    return this.negotiated.version === ProtocolVersion.TLSv1_3 ? 'TLSv1.3' : null;
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
    return this.state?.name ?? (this.role === 'client' ? 'Start' : 'ExpectClientHello');
  }

  // ---- IO ------------------------------------------------------------------

  /**
   * Bytes from the peer. Processes every complete record.
   * @throws {TlsError} on a fatal protocol error (the alert is queued for takeOutgoing)
   * @throws {TypeError} if bytes is not a Uint8Array
   */
  receive(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('receive: bytes must be a Uint8Array');
    this.throwIfFailed();
    if (this.peerClosedFlag) return; // RFC 8446 §6.1: data after close_notify is ignored
    this.guard(() => {
      this.startIfNeeded();
      this.deframer.push(bytes);
      let rec: RawRecord | null;
      while (!this.peerClosedFlag && !this.error && (rec = this.deframer.next())) this.processRecord(rec);
    });
  }

  /** Everything to send to the peer now, as one buffer (one transport write), or null. */
  takeOutgoing(): Uint8Array | null {
    if (!this.error) this.guard(() => this.outbox.sealHandshake());
    return this.outbox.take();
  }

  /** Is there anything for takeOutgoing? */
  get wantsWrite(): boolean {
    return this.outbox.hasOutput;
  }

  /**
   * Decrypted application data received so far, or null when none. Sends a
   * KeyUpdate we scheduled first (not the answer to a peer's request: as in
   * OpenSSL, that goes out with our next write, so several requests get one answer).
   * @throws {TlsError} the connection's fatal error, if it has one
   */
  read(): Uint8Array | null {
    this.throwIfFailed();
    this.guard(() => this.flushPending('read'));
    if (this.appIn.length === 0) return null;
    const data = concat(...this.appIn);
    this.appIn = [];
    return data;
  }

  /**
   * Queue application data; sealed at once after the handshake, held until then.
   * @throws {TypeError} if data is not a Uint8Array
   * @throws {TlsError} ERR_TLS_CLOSED after close(), or the connection's fatal error
   */
  write(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('write: data must be a Uint8Array');
    this.throwIfFailed();
    if (this.closeRequested) throw new TlsError('ERR_TLS_CLOSED', AlertDescription.close_notify, 'write after close');
    this.guard(() => {
      this.startIfNeeded();
      this.flushPending();
      if (data.length === 0) return;
      if (this.complete) this.sealApplication(data);
      else this.appOut.push(data.slice());
    });
  }

  /** Start (client) or continue the handshake and flush pending actions. */
  doHandshake(): void {
    this.throwIfFailed();
    this.guard(() => {
      this.startIfNeeded();
      this.flushPending();
    });
  }

  /** Queue close_notify (after any data already written). Idempotent. */
  close(): void {
    if (this.error || this.closeRequested) return;
    this.closeRequested = true;
    this.guard(() => {
      if (this.complete || !this.started) this.sendClose();
    });
  }

  /** The largest plaintext per record we send (node's setMaxSendFragment). */
  setMaxSendFragment(size: number): void {
    if (!Number.isInteger(size) || size < 512 || size > MAX_PLAINTEXT) {
      throw new RangeError('setMaxSendFragment: size must be an integer in 512..16384');
    }
    this.outbox.maxFragment = size;
  }

  /**
   * Keying material exporter (RFC 8446 §7.5).
   * @throws {TlsError} ERR_TLS_INVALID_STATE before the handshake completes
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    if (!Number.isInteger(length) || length < 0 || length > 255 * 64) throw new RangeError('exportKeyingMaterial: bad length');
    if (typeof label !== 'string') throw new TypeError('exportKeyingMaterial: label must be a string');
    if (context !== undefined && !(context instanceof Uint8Array)) throw new TypeError('exportKeyingMaterial: context must be a Uint8Array');
    if (!this.complete || !this.secrets) throw TlsError.invalidState('exportKeyingMaterial before the handshake completed');
    const ks = new KeySchedule13(this.config.provider, this.negotiated.suite!.hash);
    return ks.exportKeyingMaterial(this.secrets.exporterMaster, label, context ?? new Uint8Array(0), length);
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
    if (type !== KeyUpdateType.NOT_REQUESTED && type !== KeyUpdateType.REQUESTED) {
      throw new RangeError('keyUpdate: type must be KeyUpdateType.NOT_REQUESTED (0) or KeyUpdateType.REQUESTED (1)');
    }
    this.throwIfFailed();
    if (!this.complete) throw TlsError.invalidState('keyUpdate: the handshake is not complete');
    if (this.closeRequested) throw TlsError.invalidState('keyUpdate: the connection is closed');
    if (this.negotiated.version !== ProtocolVersion.TLSv1_3) throw TlsError.invalidState('keyUpdate: TLS 1.3 only');
    this.pending.keyUpdate = type;
    return true;
  }

  /**
   * The scheduled, not yet sent, key update type (SSL_get_key_update_type).
   * As in OpenSSL, an answer owed to a peer's update_requested shows as
   * NOT_REQUESTED until it is sent.
   */
  getKeyUpdateType(): KeyUpdateType {
    const p = this.pending;
    if (p.keyUpdate !== KeyUpdateType.NONE) return p.keyUpdate;
    return p.answerKeyUpdate ? KeyUpdateType.NOT_REQUESTED : KeyUpdateType.NONE;
  }

  // ---- HandshakeContext ------------------------------------------------------

  sendHandshake(raw: Uint8Array): void {
    this.outbox.queueHandshake(raw);
    if (this.hasListeners('message')) this.emit('message', { direction: 'sent', type: raw[0]!, length: raw.length });
  }

  sendChangeCipherSpec(): void {
    this.outbox.changeCipherSpec();
  }

  setSendProtection(p: SendProtection): void {
    this.outbox.switchProtection(p);
  }

  setReceiveProtection(p: ReceiveProtection): void {
    // RFC 8446 §5.1: a key change must fall on a record boundary.
    if (!this.joiner.isEmpty) throw TlsError.unexpected('handshake data spans a key change');
    this.recvProt = p;
  }

  keylog(label: string, secret: Uint8Array): void {
    if (!this.hasListeners('keylog')) return;
    this.emit('keylog', `${label} ${toHex(this.negotiated.clientRandom ?? new Uint8Array(32))} ${toHex(secret)}`);
  }

  /** Key log line for an updated traffic secret, as OpenSSL writes it (CLIENT_TRAFFIC_SECRET_N). */
  private logTrafficSecret(owner: 'client' | 'server', n: number, p: SendProtection | ReceiveProtection): void {
    if (!this.hasListeners('keylog')) return;
    const secret = p.trafficSecret;
    if (secret) this.keylog(`${owner.toUpperCase()}_TRAFFIC_SECRET_${n}`, secret);
  }

  finishHandshake(secrets: TrafficSecrets13): void {
    this.complete = true;
    this.secrets = secrets;
    this.deframer.setMaxFragment(MAX_CIPHERTEXT_13);
    const limit = this.negotiated.peerRecordSizeLimit;
    // RFC 8449 §4: the limit counts the inner content type byte in TLS 1.3.
    if (limit !== undefined) this.outbox.maxFragment = Math.min(this.outbox.maxFragment, limit - 1);
    for (const d of this.appOut) this.sealApplication(d);
    this.appOut = [];
    this.emit('handshake', undefined);
    if (this.closeRequested) this.sendClose();
  }

  keyUpdateReceived(requested: boolean): void {
    // RFC 8446 §5.1: KeyUpdate must end its record (the key changes after it).
    if (!this.joiner.isEmpty) throw TlsError.unexpected('data after KeyUpdate in the same record');
    this.repeats.count('keyUpdates');
    this.recvProt.ratchet13();
    this.logTrafficSecret(this.role === 'client' ? 'server' : 'client', ++this.generations.receive, this.recvProt);
    if (requested) this.pending.answerKeyUpdate = true;
    this.emit('keyUpdate', { direction: 'received', type: requested ? KeyUpdateType.REQUESTED : KeyUpdateType.NOT_REQUESTED });
  }

  ticketReceived(msg: HandshakeMessage): void {
    this.repeats.count('tickets');
    this.emit('ticket', msg);
    const session = sessionFromTicket(this, NewSessionTicket13.decode(msg.body), this.secrets!.resumptionMaster);
    if (session) this.emit('session', session);
  }

  // ---- internals -------------------------------------------------------------

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  /** The one catch site: every error becomes a TlsError, sends its alert once and poisons the connection. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw this.fail(e);
    }
  }

  private fail(e: unknown): TlsError {
    if (e instanceof TlsError && e.code === 'ERR_TLS_INVALID_STATE') return e;
    const err = e instanceof TlsError ? e : TlsError.internal(e);
    if (this.error) return this.error;
    this.error = err;
    if (!err.remote) {
      this.outbox.fatal(err.alert);
      this.emit('alert', { sent: true, level: AlertLevel.fatal, description: err.alert });
    }
    return err;
  }

  private startIfNeeded(): void {
    if (this.started) return;
    this.started = true;
    this.state = this.role === 'client' ? startClient13(this) : new ExpectClientHello();
  }

  /** Seal application data; at the key's safe record limit, update the key first (RFC 8446 §5.5). */
  private sealApplication(data: Uint8Array): void {
    const limit = this.recordLimit();
    let offset = 0;
    while (offset < data.length) {
      // Keep one record under this key for the KeyUpdate itself.
      const left = limit - 1 - Number(this.outbox.protection.sequence);
      if (left <= 0) {
        if (this.pending.keyUpdate === KeyUpdateType.NONE) this.pending.keyUpdate = KeyUpdateType.NOT_REQUESTED;
        this.flushPending();
        continue;
      }
      const take = Math.min(data.length - offset, left * this.outbox.maxFragment);
      this.outbox.application(data.subarray(offset, offset + take));
      offset += take;
    }
    if (Number(this.outbox.protection.sequence) >= limit - 1 && this.pending.keyUpdate === KeyUpdateType.NONE) {
      this.pending.keyUpdate = KeyUpdateType.NOT_REQUESTED;
    }
  }

  /** Records one send key may seal before it must be updated. */
  private recordLimit(): number {
    const configured = this.config.limits.keyUpdateAfterRecords;
    if (configured !== undefined) return configured;
    // RFC 8446 §5.5: AES-GCM keys are good for 2^24.5 full records.
    return this.negotiated.suite?.aead === 'CHACHA20-POLY1305' ? Number.MAX_SAFE_INTEGER : Math.floor(2 ** 24.5);
  }

  private sendAlert(level: number, description: number): void {
    this.outbox.alert(level, description);
    this.emit('alert', { sent: true, level, description });
  }

  private sendClose(): void {
    if (this.closeSent) return;
    this.flushPending('read');
    this.closeSent = true;
    this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
  }

  /**
   * DESIGN.md "Pending actions": the answer to update_requested, then our own
   * KeyUpdate (one message serves both). A read sends only our own; the answer
   * waits for a write (or doHandshake), so requests that arrive while we are
   * silent get exactly one answer (RFC 8446 §4.6.3: before our next data).
   */
  private flushPending(trigger: 'read' | 'write' = 'write'): void {
    if (!this.complete || this.closeSent) return;
    const p = this.pending;
    if (p.keyUpdate !== KeyUpdateType.NONE || (p.answerKeyUpdate && trigger === 'write')) {
      // One KeyUpdate answers a request; one of our own already scheduled answers it too (RFC 8446 §4.6.3).
      const type = p.keyUpdate !== KeyUpdateType.NONE ? p.keyUpdate : KeyUpdateType.NOT_REQUESTED;
      this.outbox.sealHandshake();
      this.sendHandshake(encodeHandshake(new KeyUpdate(type)));
      this.outbox.sealHandshake(); // under the old key (RFC 8446 §4.6.3) ...
      this.outbox.protection.ratchet13(); // ... then ratchet (§7.2)
      this.logTrafficSecret(this.role, ++this.generations.send, this.outbox.protection);
      p.answerKeyUpdate = false;
      p.keyUpdate = KeyUpdateType.NONE;
      this.emit('keyUpdate', { direction: 'sent', type });
    }
  }

  private processRecord(rec: RawRecord): void {
    if (rec.type === ContentType.change_cipher_spec) return this.changeCipherSpec(rec);
    // A peer that fails before it has our keys can only send its alert in plaintext;
    // accept that during the handshake so the real reason is reported.
    if (rec.type === ContentType.alert && !this.complete && this.recvProt.encrypted && rec.fragment.length === 2) {
      return this.alertRecord(rec.fragment);
    }
    const { type, data } = this.recvProt.open(rec);
    // RFC 8446 §5.1: handshake messages may not be interleaved with other record types.
    if (type !== ContentType.handshake && !this.joiner.isEmpty) throw TlsError.unexpected('record interleaved with a fragmented handshake message');
    switch (type) {
      case ContentType.handshake:
        return this.handshakeRecord(data);
      case ContentType.alert:
        return this.alertRecord(data);
      case ContentType.application_data:
        return this.applicationRecord(data);
      default:
        throw TlsError.unexpected(`record type ${type}`);
    }
  }

  /** RFC 8446 §5: one plaintext CCS (0x01) may arrive between the first ClientHello and the peer's Finished. */
  private changeCipherSpec(rec: RawRecord): void {
    if (rec.fragment.length !== 1 || rec.fragment[0] !== 1) throw TlsError.unexpected('bad ChangeCipherSpec');
    const afterFirstHello = this.role === 'client' ? this.started : this.negotiated.clientRandom !== undefined;
    if (this.complete || !afterFirstHello) throw TlsError.unexpected('ChangeCipherSpec outside the handshake');
    this.repeats.count('ccs');
  }

  private handshakeRecord(data: Uint8Array): void {
    // RFC 8446 §5.1: zero-length handshake fragments are not allowed.
    if (data.length === 0) throw TlsError.unexpected('empty handshake record');
    this.joiner.push(data);
    let msg: HandshakeMessage | null;
    while ((msg = this.joiner.next())) {
      if (!this.state) throw TlsError.unexpected('handshake message before start');
      if (this.hasListeners('message')) this.emit('message', { direction: 'received', type: msg.type, length: msg.raw.length });
      if (msg.type === HandshakeType.new_session_ticket || msg.type === HandshakeType.key_update) {
        if (!this.complete) throw TlsError.unexpected('post-handshake message during the handshake');
      }
      this.state = this.state.handle(this, msg);
    }
  }

  private alertRecord(data: Uint8Array): void {
    // RFC 8446 §5.1: alerts are neither fragmented nor coalesced.
    if (data.length !== 2) throw TlsError.decode('alert record must be 2 bytes');
    const [level, description] = [data[0]!, data[1]!];
    if (level !== AlertLevel.warning && level !== AlertLevel.fatal) throw TlsError.illegal('bad alert level');
    this.emit('alert', { sent: false, level, description });
    if (description === AlertDescription.close_notify) {
      this.peerClosedFlag = true;
      this.emit('close', undefined);
      return;
    }
    if (description === AlertDescription.user_canceled && level === AlertLevel.warning) {
      this.repeats.count('warnings');
      return;
    }
    // RFC 8446 §6.2: every other alert is fatal, whatever its level.
    throw TlsError.received(description);
  }

  private applicationRecord(data: Uint8Array): void {
    if (!this.complete) throw TlsError.unexpected('application data before the handshake completed');
    if (data.length === 0) {
      this.repeats.count('empty');
      return;
    }
    this.repeats.applicationData();
    this.appIn.push(data);
  }
}
