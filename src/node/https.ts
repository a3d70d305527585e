/**
 * puretls/https: node:https's shape over puretls's TLS.
 *
 * - `createServer(options, requestListener)` / `Server`: node's http.Server
 *   (it listens; HTTP parsing, keep-alive, timeouts and connection tracking
 *   are node's) with puretls's TLS in front (see tls-front.ts): requests
 *   arrive on our TlsSocket (`req.socket.getPeerCertificate()`,
 *   `req.socket.alpnProtocol`, ...), and the server has node's tls.Server
 *   events ('secureConnection', 'tlsClientError', 'keylog', 'newSession',
 *   'resumeSession') and methods (addContext, setSecureContext,
 *   getTicketKeys, setTicketKeys). As node's https.Server: ALPN 'http/1.1'
 *   unless ALPNProtocols or ALPNCallback is given, and a 'tlsClientError'
 *   is also emitted as 'clientError' (the socket is destroyed when nobody
 *   listens).
 * - `Agent`: node's https.Agent over puretls's connect(): http.Agent's
 *   pooling and keep-alive, one pool per host, port and TLS options
 *   (getName), SNI from the Host, and the last TLS session of each pool
 *   offered by its next connection (maxCachedSessions pools, default 100).
 * - `request` / `get` / `globalAgent`: node's https.request / https.get with
 *   this module's Agent as the default agent (`agent: false`: a new one).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { connect } from './connect.js';
import type { ConnectOptions, SecureContextOptions, TlsServerOptions } from './options.js';
import type { TlsServer } from './server.js';
import type { TlsSocket } from './socket.js';
import { putTlsInFront, setServer, type TlsServerMethods } from './tls-front.js';

/** createServer() options: puretls's TLS server options and node's http.Server options. */
export type ServerOptions = TlsServerOptions & http.ServerOptions;

/** node's https.Server: an http.Server whose connections are puretls TlsSockets. */
export class Server extends http.Server implements TlsServerMethods {
  readonly #tls: TlsServer;

  /** @throws {TypeError|RangeError} on a bad option (named in the message) */
  constructor(options: ServerOptions = {}, requestListener?: http.RequestListener) {
    super(options, requestListener);
    const tlsOptions: TlsServerOptions = options.ALPNCallback ? options : { ALPNProtocols: ['http/1.1'], ...options };
    const { tls, handler } = putTlsInFront(this, tlsOptions);
    this.#tls = tls;
    // As node's https.Server (a tls.Server whose 'secureConnection' handler is http's).
    this.on('secureConnection', (socket: TlsSocket) => {
      setServer(socket, this);
      handler.call(this, socket);
    });
    this.on('tlsClientError', (err: Error, socket: TlsSocket) => {
      if (!this.emit('clientError', err, socket)) socket.destroy(err);
    });
  }

  /** node's server.addContext: the context for client SNI names matching `hostname` ('*' = one label). */
  addContext(...args: Parameters<TlsServer['addContext']>): void {
    this.#tls.addContext(...args);
  }

  /** node's server.setSecureContext: new connections use these options (merged over the old ones). */
  setSecureContext(options: SecureContextOptions): void {
    this.#tls.setSecureContext(options);
  }

  /** node's server.getTicketKeys(). */
  getTicketKeys(): Buffer {
    return this.#tls.getTicketKeys();
  }

  /** node's server.setTicketKeys(keys). */
  setTicketKeys(keys: Uint8Array): void {
    this.#tls.setTicketKeys(keys);
  }
}

/** node's https.createServer. */
export function createServer(requestListener?: http.RequestListener): Server;
export function createServer(options: ServerOptions, requestListener?: http.RequestListener): Server;
export function createServer(options?: ServerOptions | http.RequestListener, requestListener?: http.RequestListener): Server {
  if (typeof options === 'function') return new Server({}, options);
  return new Server(options ?? {}, requestListener);
}

/** Agent options: node's http.Agent options, puretls's connect() options for every connection, and maxCachedSessions. */
export type AgentOptions = http.AgentOptions &
  ConnectOptions & {
    /** Pools whose last TLS session is kept for the next connection (node's default 100; 0: none). */
    maxCachedSessions?: number;
  };

/** What http.Agent gives createConnection: the request's options merged with the agent's, and the pool's name. */
type AgentConnectOptions = http.ClientRequestArgs & ConnectOptions & { _agentKey?: string };

/** TLS options that make connections different (node's https.Agent getName, plus puretls's ciphersuites). */
const NAME_KEYS = [
  'ca',
  'cert',
  'clientCertEngine',
  'ciphers',
  'key',
  'pfx',
  'rejectUnauthorized',
  'servername',
  'minVersion',
  'maxVersion',
  'secureProtocol',
  'crl',
  'honorCipherOrder',
  'ecdhCurve',
  'dhparam',
  'secureOptions',
  'sessionIdContext',
  'sigalgs',
  'privateKeyIdentifier',
  'privateKeyEngine',
  'ciphersuites',
] as const;

/**
 * node's https.Agent over puretls: http.Agent's pooling (keepAlive,
 * maxSockets, maxFreeSockets, scheduling, timeout) with connections from
 * puretls's connect(). Each pool (getName: host, port, local address and
 * the TLS options) keeps its last session, offered by its next new
 * connection, as node's https.Agent; a connection that closes with an error
 * forgets its pool's session.
 */
export class Agent extends http.Agent {
  /** node's https.Agent defaults. */
  defaultPort = 443;
  protocol = 'https:';
  /** The number of pools whose last session is kept. */
  maxCachedSessions: number;
  /** Pool name → its last session; Map order is insertion order (the oldest is evicted first). */
  readonly #sessions = new Map<string, Buffer>();

  constructor(options?: AgentOptions) {
    super(options);
    this.maxCachedSessions = options?.maxCachedSessions ?? 100;
  }

  /** node's https.Agent getName: http.Agent's (host:port:localAddress[:family]) and the TLS options, ':'-separated. */
  override getName(options: http.ClientRequestArgs & ConnectOptions = {}): string {
    let name = super.getName(options);
    const given = options as Record<string, unknown>;
    for (const key of NAME_KEYS) {
      name += ':';
      const v = given[key];
      if (key === 'servername') {
        if (typeof v === 'string' && v !== '' && v !== options.host) name += v;
      } else if (key === 'rejectUnauthorized' || key === 'honorCipherOrder' || key === 'secureOptions') {
        if (v !== undefined) name += String(v);
      } else if (key === 'sigalgs') {
        if (v) name += JSON.stringify(v);
      } else if (v) {
        name += String(v);
      }
    }
    return name;
  }

  /** A TlsSocket from puretls's connect(), offering the pool's last session. */
  override createConnection(options: http.ClientRequestArgs): Duplex {
    const given = options as AgentConnectOptions;
    const key = given._agentKey;
    let connectOptions: ConnectOptions = given;
    const cached = key !== undefined ? this.#sessions.get(key) : undefined;
    if (cached) connectOptions = { session: cached, ...given };
    const socket = connect(connectOptions);
    if (key !== undefined) {
      socket.on('session', (session: Buffer) => this.#cacheSession(key, session));
      socket.once('close', () => {
        if (socket.errored) this.#sessions.delete(key);
      });
    }
    return socket;
  }

  #cacheSession(key: string, session: Buffer): void {
    if (this.maxCachedSessions <= 0) return;
    if (this.#sessions.has(key)) {
      this.#sessions.set(key, session);
      return;
    }
    if (this.#sessions.size >= this.maxCachedSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    this.#sessions.set(key, session);
  }
}

/** The default Agent of request() and get(), as node's https.globalAgent (keep-alive, 5 s idle timeout). */
export const globalAgent = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });

export type RequestOptions = http.RequestOptions & ConnectOptions;
type ResponseListener = (res: http.IncomingMessage) => void;

/**
 * node's https.request: an http.ClientRequest through `options.agent`
 * (default: this module's globalAgent; false: a new Agent). TLS options
 * (ca, servername, rejectUnauthorized, ...) go to the agent's connections.
 */
export function request(options: RequestOptions | string | URL, callback?: ResponseListener): http.ClientRequest;
export function request(url: string | URL, options: RequestOptions, callback?: ResponseListener): http.ClientRequest;
export function request(...args: unknown[]): http.ClientRequest {
  const rest = [...args];
  const url = typeof rest[0] === 'string' || rest[0] instanceof URL ? (rest.shift() as string | URL) : undefined;
  const given = rest[0] !== undefined && typeof rest[0] !== 'function' ? (rest.shift() as RequestOptions) : {};
  const callback = rest[0] as ResponseListener | undefined;
  const options: RequestOptions = { ...given };
  if (options.agent === undefined && options.createConnection === undefined) options.agent = globalAgent;
  else if (options.agent === false) options.agent = new Agent();
  // Without a URL, the protocol the agent expects (http.request's default is 'http:').
  if (url === undefined && options.protocol == null) options.protocol = 'https:';
  return url === undefined ? http.request(options, callback) : http.request(url, options, callback);
}

/** node's https.get: request() with method GET, ended at once. */
export function get(options: RequestOptions | string | URL, callback?: ResponseListener): http.ClientRequest;
export function get(url: string | URL, options: RequestOptions, callback?: ResponseListener): http.ClientRequest;
export function get(...args: unknown[]): http.ClientRequest {
  const req = (request as (...a: unknown[]) => http.ClientRequest)(...args);
  req.end();
  return req;
}
