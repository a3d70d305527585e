/**
 * TlsSocket's Connection: made from a context (a server's once the
 * ClientHello chose it, see HelloGate), its events turned into node's
 * ('keyUpdate', 'postHandshakeAuth', 'keylog', 'session', the trace of
 * enableTrace), made again by setServername() before the first flight, and
 * the client's first flight as a step of the scheduler.
 */
import net from 'node:net';
import { HandshakeType } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { Session } from '../session/session.js';
import { Connection } from '../ssl/connection.js';
import type { TlsContext } from '../ssl/context.js';
import { renegotiationDisabled } from './node-errors.js';
import { ticketsSent } from './session-events.js';
import { scheduler } from './scheduler.js';
import { SocketOutput } from './socket-output.js';
import { attachTrace } from './trace.js';
import { asError } from './transport.js';

/** The Connection events a socket re-emits when it has listeners for them, as bits of `attached`. */
const FORWARDED = ['keylog', 'keyUpdate', 'postHandshakeAuth'] as const;
/** The 'message' listener of disableRenegotiation() (the bit after FORWARDED's). */
const GUARD = 1 << FORWARDED.length;

export abstract class SocketConnection extends SocketOutput {
  protected conn: Connection | null = null;
  /** The client's first flight is due. */
  protected startPending = false;
  /** Client: the first flight went out (setServername() has no effect after). */
  private started = false;
  /** The Connection that has the trace attached (enableTrace). */
  private traced: Connection | null = null;
  /** Server with the session events: a TLS 1.2 ticket went out since the last call. */
  protected ticketSent: (() => boolean) | undefined;
  /** What is attached to the current Connection (FORWARDED, GUARD): only what a listener needs, a closure each. */
  private attached = 0;
  /** Renegotiations the Connection completed ('handshake' events after the first), and those reported ('secure'). */
  protected handshakes = 0;
  protected reportedHandshakes = 0;

  protected createConnection(context: TlsContext): boolean {
    const server = this.setup.role === 'server';
    if (server && !context.certificate) {
      const name = typeof this.servername === 'string' ? ` for '${this.servername}'` : '';
      this.refuse(new TlsError('ERR_TLS_UNRECOGNIZED_NAME', AlertDescription.unrecognized_name, `no certificate${name}`));
      return false;
    }
    try {
      const session = this.setup.session;
      const serverName = this.setupName || this.setup.serverName;
      this.conn = new Connection(context, this.setup.role, server ? {} : { serverName, ...(session ? { session } : {}) });
    } catch (e) {
      this.fail(asError(e));
      return false;
    }
    this.applyMaxSendFragment();
    this.attached = 0;
    if (this.renegotiationRefused) this.guardRenegotiation();
    if (this.tracing) this.traceConnection();
    if (server && this.setup.sessionEvents) this.ticketSent = ticketsSent(this.conn);
    if (!server) this.conn.on('session', (s: Session) => this.sessionReceived(s));
    if ((this.setup.server?.listenerCount('keylog') ?? 0) > 0) this.forward('keylog');
    for (const name of FORWARDED) if (this.listenerCount(name) > 0) this.forward(name);
    return true;
  }

  /**
   * The socket has (or is getting) a listener for `event`: re-emit the
   * Connection's events of that name ('keylog' as node's line Buffer, also on
   * the server). Attached once per Connection, and only then: a socket
   * nobody listens to holds no closure for them.
   */
  protected forward(event: string | symbol): void {
    const i = FORWARDED.indexOf(event as (typeof FORWARDED)[number]);
    const conn = this.conn;
    if (!conn || i < 0 || (this.attached & (1 << i)) !== 0) return;
    this.attached |= 1 << i;
    if (event === 'keyUpdate') conn.on('keyUpdate', (ev) => this.emit('keyUpdate', ev));
    else if (event === 'postHandshakeAuth') conn.on('postHandshakeAuth', (ev) => this.emit('postHandshakeAuth', ev));
    else {
      conn.on('keylog', (line) => {
        const buf = Buffer.from(`${line}\n`, 'latin1');
        this.emit('keylog', buf);
        this.setup.server?.emit('keylog', buf, this);
      });
    }
  }

  /**
   * The first handshake is complete: a TLS 1.2 connection counts the ones
   * that follow (renegotiations, each reported with 'secure'); a TLS 1.3 one
   * has none, and keeps no listener for them.
   */
  protected countRenegotiations(conn: Connection): void {
    this.handshakes = this.reportedHandshakes = 0;
    if (conn.protocol === 'TLSv1.2') conn.on('handshake', () => void this.handshakes++);
  }

  /** disableRenegotiation(): the peer's ClientHello (server) or HelloRequest (client) after the handshake fails the socket. */
  protected guardRenegotiation(): void {
    const conn = this.conn;
    if (!conn || (this.attached & GUARD) !== 0) return;
    this.attached |= GUARD;
    conn.on('message', (ev) => {
      const peerStarts = ev.direction === 'received' && this.established && (ev.type === HandshakeType.client_hello || ev.type === HandshakeType.hello_request);
      if (peerStarts) this.fail(renegotiationDisabled());
    });
  }

  protected traceConnection(): void {
    const conn = this.conn;
    if (!this.tracing || !conn || this.traced === conn) return;
    this.traced = conn;
    attachTrace(conn, (line) => void process.stderr.write(line));
  }

  /** setServername() before the first flight: a new Connection for the new name (nothing was sent yet). */
  protected renameServer(name: string): void {
    if (this.started || !this.conn || this.destroyed) return;
    this.servername = name !== '' && net.isIP(name) === 0 ? name : false;
    this.setupName = name;
    this.conn = null;
    this.createConnection(this.setup.context);
  }
  /** Client: the server name given to the Connection (setServername() replaces the option's). */
  private setupName: string | undefined;

  protected requestStart(): void {
    if (this.destroyed || !this.conn) return;
    this.startPending = true;
    scheduler.schedule(this.task);
  }

  protected start(): void {
    if (this.destroyed || !this.conn) return;
    this.started = true;
    try {
      this.conn.doHandshake();
    } catch (e) {
      return this.fatal(e);
    }
    this.flush();
  }
}
