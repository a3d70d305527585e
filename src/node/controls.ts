/**
 * TlsSocket's controls and node:tls / net.Socket accessors that need no IO
 * loop of their own: exporters, Finished values, key updates, max fragment,
 * and the transport's addresses and socket options.
 */
import { Duplex } from 'node:stream';
import type { KeyUpdateType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import type { Session } from '../session/session.js';
import type { Connection } from '../ssl/connection.js';
import { codedError, received } from './coded-errors.js';
import { sniFromServer } from './node-errors.js';
import type { IdentityFailure } from './node-verifier.js';
import {
  checkRenegotiateArgs,
  nextVerification,
  RenegotiationWaiters,
  wrongSslVersion,
  type PeerVerification,
  type RenegotiateCallback,
  type RenegotiateOptions,
} from './renegotiate.js';
import type { SocketSetup } from './setup.js';

type Callback = (err?: Error | null) => void;

function argType(name: string, expected: string, value: unknown): Error {
  const got = value === null ? 'null' : typeof value;
  return codedError(new TypeError(`The "${name}" argument must be ${expected}. Received type ${got}`), 'ERR_INVALID_ARG_TYPE');
}

function notEstablished(): Error {
  return codedError(new Error('TLS socket connection must be securely established'), 'ERR_TLS_INVALID_STATE');
}

export abstract class SocketControls extends Duplex {
  /** node: always true on a TLS socket. */
  readonly encrypted = true;
  /** The peer's certificate verified (and, client side, matched the name). */
  authorized = false;
  /** Why not: a code such as 'ERR_TLS_CERT_ALTNAME_INVALID' or 'UNABLE_TO_GET_ISSUER_CERT'; null when authorized or nothing was verified (node's value). */
  authorizationError: string | null = null;
  /** The negotiated ALPN protocol; false when none; null before the handshake. */
  alpnProtocol: string | false | null = null;
  /** Server: the SNI the client sent (false when none). Client: the SNI we sent. */
  servername: string | false | null = null;
  /** True until the handshake completes. */
  secureConnecting = true;
  abstract readonly transport: Duplex;
  protected abstract conn: Connection | null;
  protected abstract readonly setup: SocketSetup;
  protected established = false;
  /** The latest session (client), as emitted with 'session'. */
  protected latestSession: Buffer | undefined = undefined;
  /** The same session, parsed (getTLSTicket). */
  protected currentSession: Session | undefined = undefined;
  /** node's _requestCert / _rejectUnauthorized: what the next handshake asks of the peer. */
  protected verification: PeerVerification = { requestCert: false, rejectUnauthorized: true };
  /** renegotiate() callbacks waiting for the handshake under way (made with the first). */
  protected renegotiations: RenegotiationWaiters | undefined;
  /** Run the Connection's pending actions (a scheduled renegotiation) on the IO loop. */
  protected abstract requestStart(): void;
  /** Server: the TLS 1.2 session this connection made or resumed (to forget before asking for a certificate). */
  protected serverSession: Session | undefined = undefined;
  /** Client: a session that came before the first 'secureConnect', emitted after it (as node). */
  private heldSession: Buffer | undefined = undefined;
  protected timer: NodeJS.Timeout | undefined;
  /** Hand the Connection's output to the transport; cb when it was accepted. */
  protected abstract flush(cb?: Callback): void;
  protected abstract fail(err: Error): void;
  private maxFragment: number | undefined;

  /**
   * The sans-IO Connection under this socket, for its events ('message',
   * 'alert', 'keyUpdate', ...). Null until it exists (a server waiting on
   * SNICallback creates it after the ClientHello arrives).
   */
  get connection(): Connection | null {
    return this.conn;
  }

  /**
   * Client: node's 'session' with the session's bytes (a TLS 1.3 ticket, a
   * TLS 1.2 session after each full handshake); getSession() returns the
   * latest. As node, one that completes the first handshake is emitted after
   * 'secureConnect' (releaseSession).
   */
  protected sessionReceived(session: Session): void {
    const bytes = Buffer.from(session.toBytes());
    this.latestSession = bytes;
    this.currentSession = session;
    if (this.established) this.emit('session', bytes);
    else this.heldSession = bytes;
  }

  /** After the first 'secureConnect': the session that came with the handshake. */
  protected releaseSession(): void {
    const held = this.heldSession;
    this.heldSession = undefined;
    if (held) this.emit('session', held);
  }

  /** The handshake completed: fill in node's properties. */
  protected establish(conn: Connection): void {
    this.established = true;
    this.secureConnecting = false;
    clearTimeout(this.timer);
    this.timer = undefined; // a connection at rest keeps no Timeout
    this.alpnProtocol = conn.alpnProtocol;
    // As node (SSL_get_session): a resumed connection's session is the one in use until a new ticket comes.
    const given = this.setup.session;
    if (conn.isSessionReused && this.latestSession === undefined && given) {
      this.latestSession = Buffer.from(given.toBytes());
      this.currentSession = given;
    }
    if (this.setup.role === 'server') this.servername = conn.negotiated.serverName ?? false;
    this.authorize(conn, true);
  }

  /**
   * node's `authorized` / `authorizationError` after a handshake (its
   * onConnectSecure / onServerSocketSecure run on every 'secure'). After a
   * renegotiation that verified nothing (a resumed session) they stay.
   */
  protected authorize(conn: Connection, first: boolean): void {
    const v = conn.peerVerification;
    if (this.setup.role === 'server') {
      if (!this.verification.requestCert) return;
      if (!v) {
        // node's value when the client sent no certificate
        if (first || !conn.isSessionReused) this.authorizationError = 'UNABLE_TO_GET_ISSUER_CERT';
        return;
      }
    } else if (!v && !first) {
      return;
    }
    this.authorized = v?.authorized ?? false;
    if (v?.error) {
      // A failed identity check carries the check's own Error (see identityFailure): node's
      // authorizationError is then `err.code || err.message`; a chain failure is our code (node's names).
      const id = (v.error as Partial<IdentityFailure>).identityError;
      const idCode = (id as { code?: unknown } | undefined)?.code;
      this.authorizationError = id ? (typeof idCode === 'string' && idCode !== '' ? idCode : id.message) : v.error.code;
    }
  }

  // ---- node:tls controls -----------------------------------------------------

  /** RFC 8446 §7.5 exporter, as node's exportKeyingMaterial(length, label[, context]). */
  exportKeyingMaterial(length: number, label: string, context?: ArrayBufferView): Buffer {
    if (typeof length !== 'number') throw argType('length', 'of type number', length);
    if (!Number.isInteger(length) || length < 1 || length > 0xffffffff) {
      throw codedError(new RangeError(`The value of "length" is out of range. It must be >= 1 && <= 4294967295. Received ${length}`), 'ERR_OUT_OF_RANGE');
    }
    if (typeof label !== 'string') throw argType('label', 'of type string', label);
    if (context !== undefined && !ArrayBuffer.isView(context)) throw argType('context', 'an instance of Buffer, TypedArray, or DataView', context);
    const conn = this.conn;
    if (!conn || !conn.handshakeComplete) throw notEstablished();
    const ctx = context === undefined ? undefined : new Uint8Array(context.buffer, context.byteOffset, context.byteLength);
    const out = conn.exportKeyingMaterial(length, label, ctx);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  /** The largest record plaintext we send (512..16384); false when out of range. */
  setMaxSendFragment(size: number): boolean {
    if (typeof size !== 'number') throw argType('size', 'of type number', size);
    if (!Number.isInteger(size) || size < 512 || size > 16384) return false;
    this.maxFragment = size;
    this.applyMaxSendFragment();
    return true;
  }

  protected applyMaxSendFragment(): void {
    if (this.maxFragment !== undefined) this.conn?.setMaxSendFragment(this.maxFragment);
  }

  /**
   * node's setServername(name), client only: the SNI to send. It takes
   * effect when called before the handshake starts (right after connect()
   * or new TlsSocket(), before the transport connects or the next tick);
   * later, as node's, it changes nothing. Unlike node, the name is also the
   * one the server certificate is checked against (node keeps checking
   * `servername || host`).
   * @throws {TypeError} ERR_INVALID_ARG_TYPE when name is not a string
   * @throws {Error} ERR_TLS_SNI_FROM_SERVER on a server socket
   */
  setServername(name: string): void {
    if (typeof name !== 'string') {
      throw codedError(new TypeError(`The "name" argument must be of type string. Received ${received(name)}`), 'ERR_INVALID_ARG_TYPE');
    }
    if (this.setup.role === 'server') throw sniFromServer();
    this.renameServer(name);
  }

  /** Client: use `name` as the server name if the handshake has not started. */
  protected abstract renameServer(name: string): void;

  /**
   * node's disableRenegotiation(): a renegotiation the peer starts (a
   * ClientHello after the handshake on a server; unlike node, a
   * HelloRequest on a client too) fails the socket with
   * ERR_TLS_RENEGOTIATION_DISABLED. Our own renegotiate() is not affected.
   */
  disableRenegotiation(): void {
    this.renegotiationRefused = true;
    this.guardRenegotiation();
  }
  /** disableRenegotiation() was called. */
  protected renegotiationRefused = false;
  /** Watch the Connection's messages for a renegotiation the peer starts (after disableRenegotiation()). */
  protected abstract guardRenegotiation(): void;

  /**
   * node's enableTrace(): from now on, one line per handshake message and
   * alert on stderr (`>>> TLS 1.3, Handshake [length 00c4], ClientHello`,
   * see trace.ts), where node prints OpenSSL's SSL_trace. The `enableTrace`
   * option does the same from the start.
   */
  enableTrace(): void {
    if (this.tracing) return;
    this.tracing = true;
    this.traceConnection();
  }
  /** enableTrace() was called: a Connection made later is traced too. */
  protected tracing = false;
  /** Attach the trace to the current Connection (once per Connection). */
  protected abstract traceConnection(): void;

  /**
   * Schedule a TLS 1.3 KeyUpdate (SSL_key_update). It is sent by the next
   * write or read, or at once by doHandshake().
   * @throws {RangeError} on a bad type; TlsError ERR_TLS_INVALID_STATE before the handshake
   */
  keyUpdate(type: KeyUpdateType): true {
    const conn = this.conn;
    if (!conn) {
      if (type !== 0 && type !== 1) throw new RangeError('keyUpdate: type must be KeyUpdateType.NOT_REQUESTED (0) or KeyUpdateType.REQUESTED (1)');
      throw TlsError.invalidState('keyUpdate: the handshake is not complete');
    }
    return conn.keyUpdate(type);
  }

  /**
   * puretls (SSL_verify_client_post_handshake), a TLS 1.3 server: ask the
   * client for a certificate (RFC 8446 §4.6.2); the CertificateRequest goes
   * with the next write or read, or at once by doHandshake(). When the answer
   * is verified, 'postHandshakeAuth' fires and getPeerCertificate() is the
   * client's. The client must have offered it (puretls's postHandshakeAuth,
   * openssl s_client -enable_pha).
   * @throws TlsError ERR_TLS_INVALID_STATE on a client, before the handshake, on TLS 1.2, or when the client did not offer it
   */
  verifyClientPostHandshake(): true {
    const conn = this.conn;
    if (!conn) throw TlsError.invalidState('verifyClientPostHandshake: the handshake is not complete');
    return conn.verifyClientPostHandshake();
  }

  /** The scheduled, not yet sent key update (SSL_get_key_update_type). */
  getKeyUpdateType(): KeyUpdateType {
    const conn = this.conn;
    return conn ? conn.getKeyUpdateType() : (-1 as KeyUpdateType);
  }

  /**
   * node's tlsSocket.renegotiate(): a new TLS 1.2 handshake, with
   * `requestCert` (server) and `rejectUnauthorized` for it and the ones
   * after. Returns true when it was scheduled (it runs at once, beside data
   * in flight); `callback(null)` on the next 'secure', `callback(err)` if it
   * fails. On TLS 1.3 or before the handshake: false, and callback(err) on
   * the next tick (ERR_SSL_WRONG_SSL_VERSION / ERR_TLS_INVALID_STATE),
   * changing nothing. A destroyed socket: undefined, no callback (as node).
   * A server asking for a certificate anew does not resume the session.
   */
  renegotiate(options: RenegotiateOptions, callback?: RenegotiateCallback): boolean | undefined {
    checkRenegotiateArgs(options, callback);
    return this.startRenegotiation('full', options, callback);
  }

  /**
   * puretls (SSL_renegotiate_abbreviated): as renegotiate({}, callback), but
   * a client offers the current session, so that the server may resume it
   * (an abbreviated handshake: no certificates, no key exchange; the
   * Finished messages change). On a server, the same as renegotiate({}).
   * The socket's requestCert / rejectUnauthorized stay as they are.
   */
  renegotiateAbbreviated(callback?: RenegotiateCallback): boolean | undefined {
    checkRenegotiateArgs({}, callback);
    return this.startRenegotiation('abbreviated', {}, callback);
  }

  private startRenegotiation(kind: 'full' | 'abbreviated', options: RenegotiateOptions, callback?: RenegotiateCallback): boolean | undefined {
    if (this.destroyed) return undefined;
    const conn = this.conn;
    let err: Error | undefined;
    if (!conn || !this.established) err = notEstablished();
    else if (conn.protocol !== 'TLSv1.2') err = wrongSslVersion();
    else err = this.scheduleRenegotiation(conn, kind, nextVerification(this.verification, options));
    if (err) {
      if (callback) process.nextTick(callback, err);
      return false;
    }
    if (callback) (this.renegotiations ??= new RenegotiationWaiters()).add(callback);
    this.requestStart();
    return true;
  }

  /** Schedule it in the core (joining one already scheduled or running); the error if the core refuses. */
  private scheduleRenegotiation(conn: Connection, kind: 'full' | 'abbreviated', next: PeerVerification): Error | undefined {
    if (conn.handshaking || conn.renegotiatePending()) return undefined;
    try {
      if (kind === 'abbreviated') conn.renegotiateAbbreviated();
      else conn.renegotiate();
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
    const { requestCert, rejectUnauthorized } = next;
    if (this.setup.role === 'client') {
      conn.setPeerVerification({ rejectUnauthorized });
    } else {
      // As tlsContextFor: node's SSL_VERIFY_FAIL_IF_NO_PEER_CERT when it rejects unauthorized clients.
      conn.setPeerVerification({ requestCert, requireCert: requestCert && rejectUnauthorized, rejectUnauthorized });
      if (requestCert && !this.verification.requestCert && this.serverSession) this.setup.sessions?.forget(this.serverSession);
    }
    this.verification = next;
    return undefined;
  }

  /**
   * Flush pending actions now (SSL_do_handshake): resolves once the bytes
   * were handed to the transport.
   */
  doHandshake(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const conn = this.conn;
      if (!conn || this.destroyed) return reject(notEstablished());
      try {
        conn.doHandshake();
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (!(e instanceof TlsError && e.code === 'ERR_TLS_INVALID_STATE')) this.fail(err);
        return reject(err);
      }
      this.flush((err) => (err ? reject(err) : resolve()));
    });
  }
}
