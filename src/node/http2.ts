/**
 * puretls/http2: node:http2's secure client and server over puretls's TLS.
 *
 * node's HTTP/2 (nghttp2) runs over any stream.Duplex: an Http2Session
 * wraps a socket that has no native handle (ours) in node's JSStreamSocket.
 * So:
 * - `connect(authority, options, listener)` is node's http2.connect with a
 *   `createConnection` that returns our TlsSocket (ALPN ['h2'], SNI from
 *   the authority's host unless it is an IP literal, as node).
 * - `createSecureServer(options, onRequest)` is node's plain
 *   http2.createServer (it listens; sessions, streams, the compatibility
 *   API, settings are node's) with puretls's TLS in front (tls-front.ts):
 *   once a handshake completes, the TlsSocket goes to node's own http2
 *   connection handler, the one Http2SecureServer calls on
 *   'secureConnection'. That handler dispatches on `socket.alpnProtocol`:
 *   'h2' starts an HTTP/2 session; 'http/1.1' or none goes, with
 *   `allowHTTP1`, to node's http connection handler (the same 'request'
 *   event, with http.IncomingMessage / ServerResponse and `req.socket` our
 *   TlsSocket), else to 'unknownProtocol' (node's 403 answer without a
 *   listener). ALPN is ['h2'] (+ 'http/1.1' with allowHTTP1) unless
 *   ALPNCallback is given, as node.
 *
 * Because node sees a JSStreamSocket, not a tls.TLSSocket, two things are
 * restored by hand on each session: `session.encrypted` / `alpnProtocol`
 * (node would say false / 'h2c'), and on `session.socket` (and so on the
 * compatibility API's `req.socket`) the TLS accessors of our socket:
 * getPeerCertificate(), getCipher(), getProtocol(), alpnProtocol,
 * servername, authorized, remoteAddress, ... (values as of the handshake).
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { connect as tlsConnect } from './connect.js';
import type { ConnectOptions as TlsConnectOptions, SecureContextOptions, TlsServerOptions } from './options.js';
import type { TlsSocket } from './socket.js';
import { putTlsInFront, setServer, type TlsServerMethods } from './tls-front.js';

/** Our socket's TLS methods copied (bound) onto node's wrapper of it. */
const TLS_METHODS = [
  'getPeerCertificate',
  'getCipher',
  'getProtocol',
  'getSession',
  'getTLSTicket',
  'isSessionReused',
  'exportKeyingMaterial',
  'getFinished',
  'getPeerFinished',
  'getEphemeralKeyInfo',
] as const;
/** Our socket's TLS properties copied onto node's wrapper of it. */
const TLS_VALUES = ['encrypted', 'alpnProtocol', 'servername', 'authorized', 'authorizationError'] as const;

/**
 * Make node's view of a session over our TlsSocket say what node says of a
 * session over a tls.TLSSocket. `session.socket` is node's proxy of the
 * JSStreamSocket wrapping ours; assignments through it land on that wrapper.
 */
function exposeTls(session: http2.Http2Session, socket: TlsSocket): void {
  Object.defineProperties(session, {
    encrypted: { configurable: true, get: () => (socket.secureConnecting ? undefined : true) },
    alpnProtocol: { configurable: true, get: () => (socket.secureConnecting ? undefined : socket.alpnProtocol) },
  });
  const copy = (): void => {
    if (session.destroyed) return;
    const target = session.socket as unknown as Record<string, unknown>;
    const source = socket as unknown as Record<string, unknown>;
    for (const name of TLS_METHODS) target[name] = (source[name] as (...args: unknown[]) => unknown).bind(socket);
    for (const name of TLS_VALUES) target[name] = source[name];
    // net.Socket's remoteAddress / localAddress read these when its handle (a JSStream) has no address.
    target['_peername'] = { address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily };
    target['_sockname'] = { address: socket.localAddress, port: socket.localPort };
  };
  if (socket.secureConnecting) socket.once('secure', copy);
  else copy();
}

/** connect() options: node's http2 client session options and puretls's connect() options. */
export type ConnectOptions = Omit<http2.ClientSessionOptions, 'createConnection'> & TlsConnectOptions;
/** Called once the TLS handshake completed, with the session and our TlsSocket. */
export type SessionListener = (session: http2.ClientHttp2Session, socket: TlsSocket) => void;

/**
 * node's http2.connect over puretls: a TLS connection (ALPN h2) to the
 * authority's host and port (default 443), with `options`' TLS options.
 * As node over TLS, 'connect' is emitted once the handshake completed
 * (node's HTTP/2 session over our socket is ready at once: requests made
 * before go out after the handshake); `listener` gets the session and our
 * TlsSocket.
 * @throws {TypeError|RangeError} on a bad TLS option (named in the message)
 */
export function connect(authority: string | URL, listener?: SessionListener): http2.ClientHttp2Session;
export function connect(authority: string | URL, options?: ConnectOptions, listener?: SessionListener): http2.ClientHttp2Session;
export function connect(authority: string | URL, options?: ConnectOptions | SessionListener, listener?: SessionListener): http2.ClientHttp2Session {
  if (typeof options === 'function') {
    listener = options;
    options = {};
  }
  const given: ConnectOptions = { ...options };
  const made: TlsSocket[] = [];
  const createConnection = (url: URL): TlsSocket => {
    let host = url.hostname;
    if (host.startsWith('[')) host = host.slice(1, -1);
    // As node's http2.connect (initializeTLSOptions): SNI is the host unless it is an IP literal.
    const servername = given.servername || (net.isIP(host) ? undefined : host);
    const socket = tlsConnect({
      ...given,
      host,
      port: url.port === '' ? 443 : Number(url.port),
      ...(servername !== undefined ? { servername } : {}),
      ALPNProtocols: ['h2'],
    });
    made.push(socket);
    return socket;
  };
  const session = http2.connect(authority, { ...given, createConnection });
  const socket = made[0];
  if (!socket) return session;
  exposeTls(session, socket);
  // node emits 'connect' when the session is set up, at once over a socket
  // it wraps; over node's own TLS that is after the handshake: so here too.
  const emit = session.emit.bind(session) as (event: string | symbol, ...args: unknown[]) => boolean;
  Object.defineProperty(session, 'emit', {
    configurable: true,
    writable: true,
    value: (event: string | symbol, ...args: unknown[]): boolean => {
      if (event !== 'connect' || !socket.secureConnecting) return emit(event, ...args);
      socket.once('secureConnect', () => emit(event, ...args));
      return session.listenerCount(event) > 0;
    },
  });
  if (listener) {
    const cb = listener;
    session.once('connect', () => cb(session, socket));
  }
  return session;
}

/** createSecureServer() options: node's http2 secure server options and puretls's TLS server options. */
export type SecureServerOptions = Omit<http2.SecureServerOptions, keyof TlsServerOptions | 'key' | 'cert' | 'ca'> & TlsServerOptions;

/** node's Http2SecureServer, as puretls's createSecureServer returns it: an http2 server with tls.Server's methods. */
export interface Http2SecureServer extends http2.Http2Server, TlsServerMethods {
  /** With allowHTTP1: close idle HTTP/1.1 connections (node's); otherwise nothing. */
  closeIdleConnections(): void;
}

type RequestListener = (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void;

/** http.Server's connection tracking (headersTimeout, requestTimeout), node's own function: the 'listening' listener of an http.Server. */
function httpConnectionsTracking(): ((this: net.Server) => void) | undefined {
  const probe = http.createServer();
  const [fn] = probe.listeners('listening');
  return typeof fn === 'function' ? (fn as (this: net.Server) => void) : undefined;
}

/**
 * node's http2.createSecureServer over puretls's TLS (see the module
 * comment): HTTP/2 over ALPN h2, and with `allowHTTP1` HTTP/1.1 for clients
 * that do not offer h2.
 * @throws {TypeError|RangeError} on a bad option (named in the message)
 */
export function createSecureServer(onRequest?: RequestListener): Http2SecureServer;
export function createSecureServer(options: SecureServerOptions, onRequest?: RequestListener): Http2SecureServer;
export function createSecureServer(options?: SecureServerOptions | RequestListener, onRequest?: RequestListener): Http2SecureServer {
  if (typeof options === 'function') {
    onRequest = options;
    options = {};
  }
  const given: SecureServerOptions = { ...options };
  const allowHTTP1 = given.allowHTTP1 === true;
  const h2 = http2.createServer(given as http2.ServerOptions, onRequest);
  // As node's initializeTLSOptions.
  const tlsOptions: TlsServerOptions = given.ALPNCallback ? given : { ...given, ALPNProtocols: allowHTTP1 ? ['h2', 'http/1.1'] : ['h2'] };
  const { tls, handler } = putTlsInFront(h2, tlsOptions);
  let handing: TlsSocket | undefined;
  h2.on('session', (session: http2.ServerHttp2Session) => {
    if (handing) exposeTls(session, handing);
  });
  h2.on('secureConnection', (socket: TlsSocket) => {
    // node's handler reads socket.server (a net.Server's connections have it) for the HTTP/1.1 fallback.
    setServer(socket, h2);
    handing = socket;
    try {
      handler.call(h2, socket);
    } finally {
      handing = undefined;
    }
  });
  // As node's Http2SecureServer (onErrorSecureServerSession).
  h2.on('tlsClientError', (err: Error, socket: TlsSocket) => {
    if (!h2.emit('clientError', err, socket)) socket.destroy(err);
  });
  const netClose = h2.close.bind(h2);
  const tracked = h2 as unknown as Record<string | symbol, unknown>;
  if (allowHTTP1) {
    // As node's Http2SecureServer with allowHTTP1: http.Server's timeouts and connection tracking.
    Object.assign(h2, { headersTimeout: 60_000, requestTimeout: 300_000, connectionsCheckingInterval: 30_000 });
    const tracking = httpConnectionsTracking();
    if (tracking) h2.on('listening', tracking);
  }
  const closeIdleConnections = (): void => {
    if (allowHTTP1) http.Server.prototype.closeIdleConnections.call(h2 as unknown as http.Server);
  };
  const methods: TlsServerMethods & { closeIdleConnections(): void; close(callback?: (err?: Error) => void): Http2SecureServer } = {
    addContext: (hostname, context) => tls.addContext(hostname, context),
    setSecureContext: (o: SecureContextOptions) => tls.setSecureContext(o),
    getTicketKeys: () => tls.getTicketKeys(),
    setTicketKeys: (keys) => tls.setTicketKeys(keys),
    closeIdleConnections,
    close(callback?: (err?: Error) => void): Http2SecureServer {
      if (allowHTTP1) {
        // node's httpServerPreClose: idle HTTP/1.1 connections, and the tracking interval.
        closeIdleConnections();
        for (const sym of Object.getOwnPropertySymbols(tracked)) {
          if (sym.description === 'http.server.connectionsCheckingInterval') clearInterval(tracked[sym] as NodeJS.Timeout);
        }
      }
      netClose(callback);
      return server;
    },
  };
  const server: Http2SecureServer = Object.assign(h2, methods);
  return server;
}
