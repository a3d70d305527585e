/**
 * puretls/undici: a connector for undici (and so for `fetch` through an
 * undici Agent): `new Agent({ connect: connector({ ca }) })`.
 *
 * It does what undici's own buildConnector does, with puretls's connect()
 * in place of node:tls: https origins get a TlsSocket (ALPN http/1.1, and h2
 * with `allowH2`; SNI from the origin's host unless it is an IP literal, or
 * `servername`), http origins a net.Socket; TCP keep-alive (60 s) and
 * TCP_NODELAY; a connect timeout (`timeout`, default 10 s, 0: none) that
 * fails with code UND_ERR_CONNECT_TIMEOUT. The last TLS session of each
 * origin (servername, host and port) is kept and offered by the origin's
 * next connection (`maxCachedSessions` origins, default 100; 0: none), as
 * undici's own. The TLS options make one SecureContext, shared by every
 * connection (certificates parsed once); a bad option throws at once.
 *
 * No runtime import of undici: the types below are undici's connector
 * signature, written out. undici types its connector's socket as a
 * net.Socket; ours is a stream.Duplex with the net.Socket methods undici
 * uses (setNoDelay, setKeepAlive, setTimeout, ref, unref, cork, uncork,
 * remoteAddress, alpnProtocol), so it is handed over as one.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { connect } from './connect.js';
import { codedError, invalidArgValue } from './coded-errors.js';
import type { ConnectOptions } from './options.js';
import { SecureContext } from './secure-context.js';
import { clientSetup } from './setup.js';
import type { TlsSocket } from './socket.js';

/** What undici passes its connector for each new connection (undici's buildConnector.Options). */
export interface UndiciConnectOptions {
  hostname: string;
  host?: string;
  protocol: string;
  port: string;
  servername?: string;
  localAddress?: string | null;
  /** A socket to upgrade to TLS (a CONNECT tunnel). */
  httpSocket?: Duplex;
}

/** undici's buildConnector.Callback. */
export type UndiciConnectCallback = (...args: [null, net.Socket] | [Error, null]) => void;

/** undici's buildConnector.connector: the `connect` option of an undici Agent, Pool or Client. */
export type UndiciConnector = (options: UndiciConnectOptions, callback: UndiciConnectCallback) => void;

/** connector() options: puretls's connect() options for every TLS connection, and undici's connector options. */
export interface ConnectorOptions extends Omit<ConnectOptions, 'host' | 'port' | 'path' | 'socket' | 'timeout' | 'session' | 'ALPNProtocols'> {
  /** Offer h2 as well as http/1.1 (undici's allowH2; the Agent needs allowH2 too). Default false. */
  allowH2?: boolean;
  /** Origins whose last TLS session is kept. Default 100; 0: none. */
  maxCachedSessions?: number;
  /** Connect timeout in ms (TCP and TLS handshake). Default 10000; 0: none. */
  timeout?: number;
}

/** Keep the last session of at most `max` origins; the least recently stored goes first. */
class SessionCache {
  readonly #map = new Map<string, Buffer>();
  constructor(private readonly max: number) {}
  get(key: string): Buffer | undefined {
    return this.#map.get(key);
  }
  set(key: string, session: Buffer): void {
    if (this.max === 0) return;
    this.#map.delete(key);
    if (this.#map.size >= this.max) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
    this.#map.set(key, session);
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
}

function connectTimeoutError(hostname: string, port: number, ms: number): Error {
  const err = codedError(new Error(`Connect Timeout Error (attempted address: ${hostname}:${port}, timeout: ${ms}ms)`), 'UND_ERR_CONNECT_TIMEOUT');
  err.name = 'ConnectTimeoutError';
  return err;
}

/** undici's getServerName: the host without its port; '' for an IP literal. */
function serverNameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  let name = host;
  if (name.startsWith('[')) name = name.slice(1, name.indexOf(']'));
  else if (name.includes(':') && net.isIP(name) === 0) name = name.slice(0, name.lastIndexOf(':'));
  return net.isIP(name) !== 0 ? '' : name;
}

/**
 * An undici connector over puretls: `new Agent({ connect: connector({ ca }) })`.
 * TLS options are checked at once (a bad one throws here, not per connection).
 * @throws {TypeError|RangeError} on a bad option (named in the message)
 */
export function connector(options: ConnectorOptions = {}): UndiciConnector {
  const { allowH2 = false, maxCachedSessions = 100, timeout = 10_000, ...tls } = options;
  if (!Number.isInteger(maxCachedSessions) || maxCachedSessions < 0) throw invalidArgValue('maxCachedSessions', maxCachedSessions, 'must be a non-negative integer');
  if (typeof timeout !== 'number' || !(timeout >= 0)) throw invalidArgValue('timeout', timeout, 'must be a non-negative number of milliseconds');
  // One context for every connection (node's secureContext option): the certificates are parsed once,
  // and every option is checked here, as connect() would check it.
  const secureContext = tls.secureContext ?? new SecureContext(tls);
  clientSetup({ ...tls, secureContext });
  const sessions = new SessionCache(maxCachedSessions);
  const keepAlive = tls.keepAlive !== false;
  const keepAliveInitialDelay = tls.keepAliveInitialDelay ?? 60_000;

  return ({ hostname, host, protocol, port, servername, localAddress, httpSocket }, callback) => {
    let socket: TlsSocket | net.Socket;
    let secure = false;
    try {
      if (protocol === 'https:') {
        secure = true;
        const portNumber = Number(port) || 443;
        const sni = servername || tls.servername || serverNameOf(host) || '';
        const key = `${sni}|${hostname}:${portNumber}`;
        const session = sessions.get(key);
        const s = connect({
          ...tls,
          secureContext,
          host: hostname,
          port: portNumber,
          servername: sni,
          ...(localAddress ? { localAddress } : {}),
          ...(httpSocket ? { socket: httpSocket } : {}),
          ...(session ? { session } : {}),
          ALPNProtocols: allowH2 ? ['http/1.1', 'h2'] : ['http/1.1'],
        });
        s.on('session', (b: Buffer) => sessions.set(key, b));
        socket = s;
      } else {
        if (httpSocket) throw new TypeError('httpSocket can only be sent on TLS update');
        socket = net.connect({ host: hostname, port: Number(port) || 80, ...(localAddress ? { localAddress } : {}) });
      }
    } catch (e) {
      callback(e instanceof Error ? e : new Error(String(e)), null);
      return;
    }
    if (keepAlive) socket.setKeepAlive(true, keepAliveInitialDelay);
    socket.setNoDelay(true);
    let done = false;
    const timer =
      timeout > 0
        ? setTimeout(() => {
            if (done) return;
            done = true;
            const err = connectTimeoutError(hostname, Number(port) || (secure ? 443 : 80), timeout);
            socket.destroy(err);
            callback(err, null);
          }, timeout)
        : undefined;
    timer?.unref();
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      callback(null, socket as net.Socket);
    });
    socket.on('error', (err: Error) => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      callback(err, null);
    });
  };
}
