import { concat, plain, toHex } from '../common/bytes.js';
import { HandshakeType, MAX_PLAINTEXT, ProtocolVersion } from '../common/constants.js';
import { AlertDescription, AlertLevel, TlsError } from '../common/errors.js';
import { startClient } from '../handshake/client-hello.js';
import { ExpectClientHello } from '../handshake/server-hello.js';
import { commitNegotiated, type HandshakeContext, type HandshakeSecrets, type HandshakeState, type Negotiated } from '../handshake/state.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import type { ReceiveProtection, SendProtection } from '../record/protection.js';
import type { Session } from '../session/session.js';
import type { TlsContext } from './context.js';
import type { ConnectionEvents, QueuedEvent } from './events.js';
import { Inbound, type InboundSink } from './inbound.js';
import { Outbox } from './outbox.js';
import { PeerLimits } from './peer-limits.js';
import { PendingActions } from './pending.js';
import { configView, Renegotiations } from './renegotiation.js';
import { PostHandshake13 } from './post-handshake13.js';

/** What `events` is while none wait (never added to: raise makes a queue). */
const NO_EVENTS: QueuedEvent[] = [];

/**
 * Everything a connection is, behind the public `Connection`: the handshake
 * states see it as their `HandshakeContext` (send, switch keys, finish), the
 * record layer as its `InboundSink`. Users never hold it, so they cannot
 * reach `sendHandshake` or a key switch on a live connection. Events are
 * queued here and delivered by `Connection` after each call, outside the
 * catch site: a throwing listener cannot poison the connection.
 */
export class Engine implements HandshakeContext, InboundSink {
  /** The draft a running handshake fills in; none at rest (see negotiated). */
  private draft: Negotiated | null = {};
  /** What the user asked for, flushed on the next read/write/doHandshake. */
  readonly pending = new PendingActions();
  readonly outbox = new Outbox();
  readonly inbound: Inbound;
  private queue: QueuedEvent[] | null = null;
  /** Events raised and not yet delivered (Connection shifts them off); a queue found empty is let go. */
  get events(): QueuedEvent[] {
    if (this.queue?.length === 0) this.queue = null;
    return this.queue ?? NO_EVENTS;
  }
  state: HandshakeState | null = null;
  error: TlsError | null = null;
  started = false;
  /** Application traffic keys exist: data may flow (also while a renegotiation runs, RFC 5246). */
  trafficReady = false;
  /** A handshake (the first, or later a renegotiation) is in progress. */
  handshaking = false;
  /**
   * What the last completed handshake decided, committed once at its end
   * (read-only); `negotiated` is the draft the running handshake fills in.
   */
  result: Readonly<Negotiated> | null = null;
  /** The draft; at rest the committed result itself (frozen: only read, until beginHandshake or openDraft). */
  get negotiated(): Negotiated {
    return this.draft ?? this.result!;
  }
  closeRequested = false;
  closeSent = false;
  peerClosed = false;
  secrets: HandshakeSecrets | null = null;
  private appIn: Uint8Array[] = [];
  private appOut: Uint8Array[] = [];
  readonly renegotiations: Renegotiations;
  /** TLS 1.3 after the handshake: key updates, tickets, post-handshake client authentication. */
  readonly post13: PostHandshake13;
  private readonly baseConfig: TlsContext;
  private overrides: Record<string | symbol, unknown> | undefined;
  /** The TLS 1.2 session of this connection (made by its last full handshake). */
  private currentSession: Session | undefined;
  /** Counters of what a peer may repeat; reset by application data. */
  readonly repeats: PeerLimits;
  /** setMaxSendFragment's value; the peer's record_size_limit may lower what is used. */
  private userMaxFragment = MAX_PLAINTEXT;

  constructor(
    /** The context as the states see it: the context itself, or a view with this connection's overrides. */
    public config: TlsContext,
    readonly role: 'client' | 'server',
    readonly serverName: string | undefined,
    /** The session the application gave to offer (node's `session`). */
    private readonly givenSession: Session | undefined,
    /** Does anyone listen for this event (keylog and message lines are built only then)? */
    readonly listening: (name: keyof ConnectionEvents) => boolean,
  ) {
    this.baseConfig = config;
    this.post13 = new PostHandshake13(this);
    this.repeats = new PeerLimits(config.limits);
    this.renegotiations = new Renegotiations(this);
    this.inbound = new Inbound(config.limits, this);
  }

  /**
   * This connection's own values for some context fields (setPeerVerification):
   * the states then see the context through a view that answers those fields
   * and delegates the rest (methods bound to the context, for its private fields).
   */
  overrideConfig(fields: Partial<Record<'requestCert' | 'requireCert' | 'rejectUnauthorized', boolean>>): void {
    this.overrides = { ...this.overrides, ...fields };
    this.config = configView(this.baseConfig, this.overrides);
  }

  raise<K extends keyof ConnectionEvents>(name: K, arg: ConnectionEvents[K]): void {
    (this.queue ??= []).push({ name, arg } as QueuedEvent);
  }

  // ---- the one catch site ------------------------------------------------------

  /** Every error becomes a TlsError, sends its alert once and poisons the connection. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw this.fail(e);
    }
  }

  private fail(e: unknown): TlsError {
    if (e instanceof TlsError && e.code === 'ERR_TLS_INVALID_STATE') return e;
    if (this.error) return this.error;
    const err = e instanceof TlsError ? e : TlsError.bug(e);
    this.error = err;
    if (!err.remote) {
      this.outbox.fatal(err.alert);
      this.raise('alert', { sent: true, level: AlertLevel.fatal, description: err.alert });
    }
    return err;
  }

  // ---- operations (called by Connection inside guard) -----------------------------

  startIfNeeded(): void {
    if (this.started) return;
    this.started = true;
    this.handshaking = true;
    this.state = this.role === 'client' ? startClient(this) : new ExpectClientHello();
  }

  receive(bytes: Uint8Array): void {
    this.startIfNeeded();
    this.inbound.push(bytes);
    this.inbound.process(() => !this.peerClosed && !this.error);
  }

  takeApplicationData(): Uint8Array | null {
    if (this.appIn.length === 0) return null;
    const data = this.appIn.length === 1 ? this.appIn[0]! : concat(...this.appIn);
    this.appIn = [];
    return data;
  }

  /** The application data received so far, a chunk per record as decrypted (no concatenation). */
  takeApplicationChunks(): Uint8Array[] {
    const chunks = this.appIn;
    this.appIn = [];
    return chunks;
  }

  write(data: Uint8Array): void {
    this.startIfNeeded();
    this.flushPending();
    if (data.length === 0) return;
    // During a renegotiation our data waits for its end, as OpenSSL's SSL_write finishes the
    // handshake first: OpenSSL and GnuTLS peers refuse application data inside a handshake
    // (RFC 5246 §6.2.1 would allow it). We still accept theirs.
    if (this.trafficReady && !this.handshaking) this.post13.sealApplication(data);
    else this.appOut.push(plain(data).slice());
  }

  close(): void {
    this.closeRequested = true;
    // Before the handshake starts there is nobody to tell: nothing is sent.
    if (!this.started) this.closeSent = true;
    // During a renegotiation close_notify follows the data held for its end (finishHandshake sends it).
    else if (this.trafficReady && !this.handshaking) this.sendClose();
  }

  setMaxSendFragment(size: number): void {
    this.userMaxFragment = size;
    this.applyFragmentLimit();
  }

  // ---- HandshakeContext ------------------------------------------------------

  sendHandshake(raw: Uint8Array): void {
    this.outbox.queueHandshake(raw);
    if (this.listening('message')) this.raise('message', { direction: 'sent', type: raw[0]!, length: raw.length });
  }

  sendChangeCipherSpec(): void {
    this.outbox.changeCipherSpec();
    this.raise('changeCipherSpec', { direction: 'sent' });
  }

  changeCipherSpec12(next: SendProtection): void {
    this.outbox.changeCipherSpec12(next);
    this.applyFragmentLimit();
    this.raise('changeCipherSpec', { direction: 'sent' });
  }

  get previous(): Readonly<Negotiated> | undefined {
    return this.handshaking ? (this.result ?? undefined) : undefined;
  }

  get previousFinished(): { client: Uint8Array; server: Uint8Array } | undefined {
    const r = this.previous;
    if (!r?.finished || !r.peerFinished) return undefined;
    return this.role === 'client' ? { client: r.finished, server: r.peerFinished } : { client: r.peerFinished, server: r.finished };
  }

  renegotiationRequested(msg: HandshakeMessage, current: HandshakeState): HandshakeState {
    return this.renegotiations.requested(msg, current);
  }

  /** A renegotiation starts: a new draft result; the committed one stays until it ends. */
  beginHandshake(): void {
    this.handshaking = true;
    this.draft = {};
  }

  /** A post-handshake exchange will write to the result (TLS 1.3 client authentication): a draft, a copy of it. */
  openDraft(): void {
    this.draft ??= Object.assign({}, this.result);
  }

  /** The draft becomes the result (frozen, not copied); none is left. */
  commit(): void {
    this.result = commitNegotiated(this.negotiated);
    this.draft = null;
  }

  /**
   * What a ClientHello offers: the session this connection made or resumed
   * (a renegotiation offers the current session, as OpenSSL), else the given one.
   */
  get offeredSession(): Session | undefined {
    return this.currentSession ?? this.givenSession;
  }

  sessionReady(session: Session): void {
    this.currentSession = session;
    this.raise('session', session);
  }

  setSendProtection(p: SendProtection): void {
    this.outbox.switchProtection(p);
    this.applyFragmentLimit();
  }

  setReceiveProtection(p: ReceiveProtection): void {
    this.inbound.setProtection(p);
    // RFC 8449 §4: once both sides sent record_size_limit, ours applies to protected records.
    if (p.encrypted && this.negotiated.peerRecordSizeLimit !== undefined) this.inbound.enforceRecordSizeLimit(this.config.recordSizeLimit);
  }

  skipEarlyData(mode: 'hrr' | 'trial'): void {
    this.inbound.skipEarlyData(mode);
  }

  keylog(label: string, secret: Uint8Array): void {
    if (!this.listening('keylog')) return;
    this.raise('keylog', `${label} ${toHex(this.negotiated.clientRandom ?? new Uint8Array(32))} ${toHex(secret)}`);
  }

  finishHandshake(secrets: HandshakeSecrets): void {
    this.trafficReady = true;
    this.handshaking = false;
    this.secrets = secrets;
    this.commit();
    // RFC 8446 §4.6.1: our tickets right after the handshake.
    if (this.role === 'server' && this.result?.version === ProtocolVersion.TLSv1_3) this.post13.handshakeDone();
    for (const d of this.appOut) this.post13.sealApplication(d);
    this.appOut = [];
    this.raise('handshake', undefined);
    if (this.closeRequested) this.sendClose();
  }

  keyUpdateReceived(requested: boolean): void {
    this.post13.keyUpdateReceived(requested);
  }

  ticketReceived(msg: HandshakeMessage): void {
    this.post13.ticketReceived(msg);
  }

  setServerSession(session: Session): void {
    this.post13.tickets.template = session;
  }

  clientTrafficSecret(): Uint8Array {
    return this.post13.clientTrafficSecret();
  }

  clientAuthenticated(chain: readonly Uint8Array[]): void {
    this.post13.clientAuthenticated(chain);
  }

  /** The running handshake may turn out TLS 1.2 (chosen, or offered and not yet chosen). */
  private mayBe12(): boolean {
    const v = this.negotiated.version;
    return v === undefined ? this.config.minVersion <= ProtocolVersion.TLSv1_2 : v === ProtocolVersion.TLSv1_2;
  }

  /** The running handshake may turn out TLS 1.3 (never a renegotiation). */
  private mayBe13(): boolean {
    const v = this.negotiated.version;
    if (this.previous !== undefined) return false;
    return v === undefined ? this.config.maxVersion >= ProtocolVersion.TLSv1_3 : v === ProtocolVersion.TLSv1_3;
  }

  /** The version of the running handshake, else of the last one. */
  get version(): number | undefined {
    return this.negotiated.version ?? this.result?.version;
  }

  // ---- InboundSink -----------------------------------------------------------

  handshakeMessage(msg: HandshakeMessage): void {
    if (!this.state) throw TlsError.unexpected('handshake message before start');
    // RFC 5246 §7.4.1.1: a client ignores HelloRequest while it negotiates (before
    // the ServerHello too, when it offered TLS 1.2), as OpenSSL does in any handshake state.
    if (msg.type === HandshakeType.hello_request && this.role === 'client' && this.handshaking && this.mayBe12()) return;
    if (this.listening('message')) this.raise('message', { direction: 'received', type: msg.type, length: msg.raw.length });
    this.state = this.state.handle(this, msg);
  }

  changeCipherSpec(): void {
    this.raise('changeCipherSpec', { direction: 'received' });
    // TLS 1.2: a protocol message, expected by exactly one state of each handshake.
    if (this.state?.changeCipherSpec) {
      this.state = this.state.changeCipherSpec(this);
      return;
    }
    // RFC 8446 §5's compat CCS exists only in a TLS 1.3 negotiation.
    if (this.version === ProtocolVersion.TLSv1_2 || !this.mayBe13()) throw TlsError.unexpected('ChangeCipherSpec out of turn');
    const afterFirstHello = this.role === 'client' ? this.started : this.negotiated.clientRandom !== undefined;
    if (!this.handshaking || !afterFirstHello) throw TlsError.unexpected('ChangeCipherSpec outside the handshake');
    this.repeats.count('ccs');
  }

  alert(level: number, description: number): void {
    this.raise('alert', { sent: false, level, description });
    if (description === AlertDescription.close_notify) {
      this.peerClosed = true;
      this.raise('close', undefined);
      return;
    }
    if (level === AlertLevel.warning && description === AlertDescription.no_renegotiation && this.version === ProtocolVersion.TLSv1_2) {
      // Our renegotiation (a ClientHello, or a server's HelloRequest) was refused. OpenSSL ends the
      // connection (handshake_failure): the application asked for a new handshake and presumably needs it.
      throw TlsError.alert(AlertDescription.handshake_failure, 'the peer refused to renegotiate (no_renegotiation)');
    }
    // RFC 5246 §7.2: a TLS 1.2 warning lets the connection go on; RFC 8446 §6.2: in TLS 1.3 only user_canceled does.
    if (level === AlertLevel.warning && (description === AlertDescription.user_canceled || this.version === ProtocolVersion.TLSv1_2)) {
      this.repeats.count('warnings');
      return;
    }
    throw TlsError.received(description);
  }

  applicationData(data: Uint8Array): void {
    if (!this.trafficReady) throw TlsError.unexpected('application data before the handshake completed');
    if (data.length === 0) {
      this.repeats.count('empty');
      return;
    }
    this.repeats.applicationData();
    this.appIn.push(data);
  }

  // ---- sending -----------------------------------------------------------------

  /** Largest plaintext per record: ours, lowered by the peer's record_size_limit on protected records. */
  private applyFragmentLimit(): void {
    const limit = this.negotiated.peerRecordSizeLimit;
    // RFC 8449 §4: in TLS 1.3 the limit counts the inner content type byte; plaintext records are exempt.
    const typeByte = this.outbox.protection.protocol === '1.3' ? 1 : 0;
    const peerMax = limit !== undefined && this.outbox.protection.encrypted ? limit - typeByte : MAX_PLAINTEXT;
    this.outbox.maxFragment = Math.min(this.userMaxFragment, peerMax);
  }

  private sendClose(): void {
    if (this.closeSent) return;
    this.flushPending('read');
    this.closeSent = true;
    this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
  }

  sendAlert(level: number, description: number): void {
    this.outbox.alert(level, description);
    this.raise('alert', { sent: true, level, description });
  }

  /**
   * DESIGN.md "Pending actions": TLS 1.3's first (KeyUpdate, tickets, a
   * CertificateRequest: PostHandshake13.flush), then a TLS 1.2 renegotiation.
   */
  flushPending(trigger: 'read' | 'write' = 'write'): void {
    if (!this.trafficReady || this.closeSent) return;
    this.post13.flush(trigger);
    this.renegotiations.flush();
  }
}
