/**
 * TLS in front of one of node's own servers (http.Server, http2's server):
 * the shared wiring of puretls/https and puretls/http2.
 *
 * The outer server is node's own (it listens, and its HTTP machinery, timeouts
 * and connection tracking are node's). Its 'connection' listener, node's
 * HTTP connection handler, is taken off: raw connections go to a TlsServer of
 * ours, which makes server-side TlsSockets; once a handshake completes, the
 * TlsSocket is handed to node's handler, as node's https and http2 secure
 * servers hand theirs (a tls.TLSSocket) on 'secureConnection'.
 *
 * The TLS events our sockets report ('secureConnection', 'tlsClientError',
 * 'keylog', 'newSession', 'resumeSession') are emitted on the outer server,
 * and the listener counts they depend on are the outer server's: it has
 * node's tls.Server events.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { TlsServerOptions } from './options.js';
import { TlsServer } from './server.js';

/** The events a TlsServer's sockets report to it, emitted on the outer server instead. */
const TLS_EVENTS: ReadonlySet<string | symbol> = new Set(['secureConnection', 'tlsClientError', 'keylog', 'newSession', 'resumeSession']);

/** node's connection handler, as registered by node's server constructor. */
export type ConnectionHandler = (this: net.Server, socket: Duplex) => void;

/** A TlsServer that never listens: it accepts what the outer server gives it and reports to the outer server. */
class FrontTlsServer extends TlsServer {
  private outer: net.Server | undefined;

  constructor(outer: net.Server, options: TlsServerOptions) {
    super(options);
    this.outer = outer;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const outer = this.outer;
    if (outer && TLS_EVENTS.has(event)) return outer.emit(event, ...args);
    return super.emit(event, ...args);
  }

  override listenerCount(event: string | symbol, listener?: Function): number {
    const outer = this.outer;
    if (outer && TLS_EVENTS.has(event)) return outer.listenerCount(event, listener);
    return super.listenerCount(event, listener);
  }
}

/**
 * Take node's connection handler off `outer` (the only 'connection' listener
 * its constructor registered) and put TLS in front: raw connections become
 * TlsSockets of a TlsServer made from `options`. Returns the TlsServer (for
 * addContext, setSecureContext, ticket keys) and node's handler, to call
 * with `this` = outer on each 'secureConnection'.
 * @throws {TypeError|RangeError} on a bad TLS option (named in the message)
 */
export function putTlsInFront(outer: net.Server, options: TlsServerOptions): { tls: TlsServer; handler: ConnectionHandler } {
  const listeners = outer.listeners('connection');
  if (listeners.length !== 1) throw new Error(`puretls: expected node's server to have one 'connection' listener, found ${listeners.length}`);
  const handler = listeners[0] as ConnectionHandler;
  outer.removeListener('connection', handler);
  const tls = new FrontTlsServer(outer, options);
  outer.on('connection', (raw: net.Socket) => {
    tls.emit('connection', raw);
  });
  return { tls, handler };
}

/**
 * Make `socket.server` the outer server, as a plain writable property:
 * node's HTTP handlers assign `socket.server = server` (and http2's
 * HTTP/1.1 fallback reads it first), which a getter-only accessor would
 * refuse (a TypeError in strict mode).
 */
export function setServer(socket: Duplex, server: net.Server): void {
  Object.defineProperty(socket, 'server', { value: server, writable: true, configurable: true, enumerable: true });
}

/** node's tls.Server methods, delegated to the TlsServer in front (see putTlsInFront). */
export interface TlsServerMethods {
  addContext: TlsServer['addContext'];
  setSecureContext: TlsServer['setSecureContext'];
  getTicketKeys: TlsServer['getTicketKeys'];
  setTicketKeys: TlsServer['setTicketKeys'];
}
