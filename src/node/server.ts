/**
 * createServer(): node:tls's tls.createServer. A net.Server whose raw
 * connections become server-side TlsSockets.
 *
 * Events: 'secureConnection'(tlsSocket), 'tlsClientError'(err, tlsSocket)
 * for connections that fail before the handshake completes (including
 * ERR_TLS_HANDSHAKE_TIMEOUT), 'keylog'(line, tlsSocket), and net.Server's.
 * TLS 1.2 sessions are kept in the server's own cache (see sessions.ts), and
 * node's 'newSession'(sessionId, sessionData, callback) and
 * 'resumeSession'(sessionId, callback) are emitted for connections that
 * arrive while the server has a listener: TLS 1.2 session IDs only (see
 * session-events.ts: a 'resumeSession' listener replaces the own cache;
 * 'newSession' holds the handshake's end until its callback, as node).
 * Clients may renegotiate, as with node: tls.CLIENT_RENEG_LIMIT times per
 * tls.CLIENT_RENEG_WINDOW seconds, beyond which the socket fails with
 * ERR_TLS_SESSION_ATTACK.
 */
import net from 'node:net';
import { invalidArgType, type SecureContextOptions, type TlsServerOptions } from './options.js';
import { SecureContext } from './secure-context.js';
import { serverSetup, type SocketSetup } from './setup.js';
import { TlsSocket } from './socket.js';
import { RotatingTicketCodec } from '../session/ticket-codec.js';
import { setNodeTicketKeys } from './secure-context.js';

export type { NewSessionListener, ResumeSessionCallback, ResumeSessionListener } from './session-events.js';

type SecureConnectionListener = (socket: TlsSocket) => void;

function hostnamePattern(hostname: string): RegExp {
  // node's addContext: '*' stands for one label.
  const escaped = hostname.replace(/[.^$+?\-\\[\]{}()|]/g, '\\$&').replaceAll('*', '[^.]*');
  return new RegExp(`^${escaped}$`, 'i');
}

export class TlsServer extends net.Server {
  private options: TlsServerOptions;
  private setup!: SocketSetup;
  private sniCallback = false;
  private readonly contexts: { pattern: RegExp; context: SecureContext }[] = [];

  /** @throws {TypeError|RangeError} on a bad option (named in the message) */
  constructor(options: TlsServerOptions = {}, secureConnectionListener?: SecureConnectionListener) {
    super({ allowHalfOpen: true });
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    this.options = { ...options };
    this.configure(this.options);
    this.on('connection', (raw: net.Socket) => this.accept(raw));
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
  }

  private configure(options: TlsServerOptions): void {
    const { setup, sni } = serverSetup(options, {
      server: this,
      extraSni: (name) => this.contexts.find((c) => c.pattern.test(name))?.context,
    });
    this.setup = setup;
    this.sniCallback = sni;
  }

  private accept(raw: net.Socket): void {
    // Nagle off: an answer does not wait for the ACK of the previous small write.
    if (this.options.noDelay !== false) raw.setNoDelay(true);
    const useSni = this.sniCallback || this.contexts.length > 0;
    // As node: the session events are on for connections that arrive while a listener is there.
    const resume = this.listenerCount('resumeSession') > 0;
    const sessionEvents = resume || this.listenerCount('newSession') > 0 ? { resume } : undefined;
    const setup = { ...this.setup, ...(useSni ? {} : { selectContext: undefined }), sessionEvents };
    const { allowHalfOpen, highWaterMark } = this.options;
    // The socket reports to this server: 'secureConnection' or 'tlsClientError'.
    new TlsSocket(raw, { isServer: true, ...(allowHalfOpen !== undefined ? { allowHalfOpen } : {}), ...(highWaterMark ? { highWaterMark } : {}) }, setup);
  }

  /** node's server.addContext: the context for client SNI names matching `hostname` ('*' = one label). */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    if (typeof hostname !== 'string' || hostname === '') throw invalidArgType('hostname', 'a non-empty string', hostname);
    const sc = context instanceof SecureContext ? context : new SecureContext(context);
    this.contexts.unshift({ pattern: hostnamePattern(hostname), context: sc }); // the latest added wins
  }

  /** node's server.getTicketKeys(): the 48 bytes of the key that seals tickets now. */
  getTicketKeys(): Buffer {
    return Buffer.from(this.ticketCodec().toNodeTicketKeys());
  }

  /**
   * node's server.setTicketKeys(keys): seal new tickets under these 48 bytes.
   * Unlike node, tickets sealed under the previous key still open (and are
   * renewed) for one ticket lifetime.
   * @throws {TypeError|RangeError} not 48 bytes
   */
  setTicketKeys(keys: Uint8Array): void {
    setNodeTicketKeys(this.ticketCodec(), keys, 'keys');
  }

  private ticketCodec(): RotatingTicketCodec {
    const codec = this.setup.context.ticketCodec;
    if (!(codec instanceof RotatingTicketCodec)) throw new TypeError('this server has no ticket keys');
    return codec;
  }

  /** node's server.setSecureContext: new connections use these options (merged over the old ones). */
  setSecureContext(options: SecureContextOptions): void {
    const merged = { ...this.options, ...options };
    this.configure(merged);
    this.options = merged;
  }
}

/** node's tls.createServer. */
export function createServer(secureConnectionListener?: SecureConnectionListener): TlsServer;
export function createServer(options: TlsServerOptions, secureConnectionListener?: SecureConnectionListener): TlsServer;
export function createServer(
  options?: TlsServerOptions | SecureConnectionListener,
  secureConnectionListener?: SecureConnectionListener,
): TlsServer {
  if (typeof options === 'function') return new TlsServer({}, options);
  return new TlsServer(options ?? {}, secureConnectionListener);
}
