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
import { codedError, received } from './coded-errors.js';
import type { SecureContextOptions, TlsServerOptions } from './options.js';
import { SecureContext } from './secure-context.js';
import { serverSetup, type SocketSetup } from './setup.js';
import type { SessionEventsMode } from './session-events.js';
import { TlsSocket } from './socket.js';
import { RotatingTicketCodec } from '../session/ticket-codec.js';
import { setNodeTicketKeys } from './ticket-keys.js';

export type { NewSessionListener, ResumeSessionCallback, ResumeSessionListener } from './session-events.js';

/** createServer()'s listener: called with each socket whose handshake completed ('secureConnection'). */
export type SecureConnectionListener = (socket: TlsSocket) => void;

/**
 * node's addContext pattern: '*' stands for any run of characters within a
 * label; case-sensitive, as node's. Unlike node, '(', ')' and '|' are
 * literal characters (node leaves them as regular-expression syntax).
 */
function hostnamePattern(hostname: string): RegExp {
  const escaped = hostname.replace(/[.^$+?\-\\[\]{}()|]/g, '\\$&').replaceAll('*', '[^.]*');
  return new RegExp(`^${escaped}$`);
}

/**
 * The options of a server's own SecureContext: setSecureContext() replaces
 * these (an absent one is its default again), as node's does.
 */
const CONTEXT_OPTIONS = [
  'pfx', 'key', 'passphrase', 'cert', 'clientCertEngine', 'ca', 'minVersion', 'maxVersion', 'secureProtocol', 'crl', 'sigalgs',
  'ciphers', 'ciphersuites', 'ecdhCurve', 'dhparam', 'honorCipherOrder', 'aeadPreference', 'secureOptions', 'sessionIdContext', 'privateKeyIdentifier',
  'privateKeyEngine', 'allowPartialTrustChain', 'secureContext',
] as const;

/** node's ERR_INVALID_ARG_TYPE for a non-object `options` argument. */
function notAnObject(value: unknown): Error {
  return codedError(new TypeError(`The "options" argument must be of type object. Received ${received(value)}`), 'ERR_INVALID_ARG_TYPE');
}

export class TlsServer extends net.Server {
  private options: TlsServerOptions;
  private setup!: SocketSetup;
  /** connectionSetup()'s variants of the current setup. */
  private readonly connectionSetups = new Map<string, SocketSetup>();
  private sniCallback = false;
  private readonly contexts: { pattern: RegExp; context: SecureContext }[] = [];

  /** @throws {TypeError|RangeError} on a bad option (named in the message) */
  constructor(options: TlsServerOptions = {}, secureConnectionListener?: SecureConnectionListener) {
    super({ allowHalfOpen: true });
    if (options === null || typeof options !== 'object') throw notAnObject(options);
    this.options = { ...options };
    this.configure(this.options);
    this.on('connection', (raw: net.Socket) => this.accept(raw));
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
  }

  private configure(options: TlsServerOptions): void {
    // As node's tls.Server: the server's suite order wins unless honorCipherOrder is false.
    const { setup, sni } = serverSetup({ ...options, honorCipherOrder: options.honorCipherOrder ?? true }, {
      server: this,
      extraSni: (name) => this.contexts.find((c) => c.pattern.test(name))?.context,
    });
    this.setup = setup;
    this.connectionSetups.clear();
    this.sniCallback = sni;
  }

  /**
   * The setup of a connection arriving now: one shared object per variant
   * (with SNI or not; session events off, on, or on with 'resumeSession'),
   * made once per context, so an idle connection keeps no copy of its own.
   */
  private connectionSetup(useSni: boolean, sessionEvents: SessionEventsMode | undefined): SocketSetup {
    const key = `${useSni ? 'sni' : '-'}:${sessionEvents === undefined ? '-' : sessionEvents.resume ? 'resume' : 'events'}`;
    let setup = this.connectionSetups.get(key);
    if (!setup) {
      setup = { ...this.setup, ...(useSni ? {} : { selectContext: undefined }), sessionEvents };
      this.connectionSetups.set(key, setup);
    }
    return setup;
  }

  private accept(raw: net.Socket): void {
    // Nagle off: an answer does not wait for the ACK of the previous small write.
    if (this.options.noDelay !== false) raw.setNoDelay(true);
    const useSni = this.sniCallback || this.contexts.length > 0;
    // As node: the session events are on for connections that arrive while a listener is there.
    const resume = this.listenerCount('resumeSession') > 0;
    const sessionEvents = resume || this.listenerCount('newSession') > 0 ? { resume } : undefined;
    const setup = this.connectionSetup(useSni, sessionEvents);
    const { allowHalfOpen, highWaterMark, rejectTruncation, enableTrace } = this.options;
    // The socket reports to this server: 'secureConnection' or 'tlsClientError'.
    new TlsSocket(raw, { isServer: true, rejectTruncation, enableTrace, ...(allowHalfOpen !== undefined ? { allowHalfOpen } : {}), ...(highWaterMark ? { highWaterMark } : {}) }, setup);
  }

  /**
   * node's server.addContext: the context for client SNI names matching
   * `hostname`, where '*' matches within one label ('*.example.com' matches
   * 'a.example.com', not 'example.com' nor 'a.b.example.com'); the latest
   * added match wins. `context` is a SecureContext or its options.
   * @throws {Error} ERR_TLS_REQUIRED_SERVER_NAME without a hostname, as node
   */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    if (!hostname) throw codedError(new Error('"servername" is required parameter for Server.addContext'), 'ERR_TLS_REQUIRED_SERVER_NAME');
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

  /**
   * node's server.setSecureContext: connections that arrive from now on use
   * a context made of these options. As node's, the context options
   * (cert, key, ca, ciphers, minVersion ...) are replaced: one left out is
   * its default again; the server's own options (requestCert, ALPN,
   * SNICallback, addContext's contexts ...) and sessionTimeout / ticketKeys
   * stay. The TLS 1.2 session cache and (without `ticketKeys`) the ticket
   * keys are new, so older sessions do not resume.
   * @throws {TypeError|RangeError} on a bad option, and then nothing changes
   */
  setSecureContext(options: SecureContextOptions): void {
    if (options === null || typeof options !== 'object') throw notAnObject(options);
    const next: Record<string, unknown> = { ...this.options };
    for (const name of CONTEXT_OPTIONS) delete next[name];
    for (const [name, value] of Object.entries(options)) if (value !== undefined) next[name] = value;
    this.configure(next);
    this.options = next;
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
