/**
 * connect(): node:tls's tls.connect, over a new TCP connection or over
 * `options.socket` (any Duplex).
 */
import net from 'node:net';
import { invalidArgType } from './coded-errors.js';
import type { ConnectOptions } from './options.js';
import { clientSetup } from './setup.js';
import { TlsSocket } from './socket.js';

type SecureConnectListener = () => void;

/** net.connect options taken from connect()'s. */
const NET_KEYS = ['host', 'port', 'path', 'localAddress', 'localPort', 'family', 'lookup', 'keepAlive', 'keepAliveInitialDelay'] as const;

function isPort(v: unknown): boolean {
  return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
}

/** node's argument forms: (options[, cb]), (port[, host][, options][, cb]), (path[, options][, cb]). */
function normalize(args: readonly unknown[]): { options: ConnectOptions; cb: SecureConnectListener | undefined } {
  const rest = [...args];
  const cb = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as SecureConnectListener) : undefined;
  let options: ConnectOptions = {};
  const first = rest[0];
  if (first !== null && typeof first === 'object') {
    options = { ...(first as ConnectOptions) };
  } else if (first !== undefined) {
    const positional: ConnectOptions = {};
    let i = 1;
    if (isPort(first)) {
      positional.port = first as number | string;
      if (typeof rest[1] === 'string') {
        positional.host = rest[1];
        i = 2;
      }
    } else if (typeof first === 'string') {
      positional.path = first;
    } else {
      throw invalidArgType('options', 'an object, a port or a path', first);
    }
    const extra = rest[i];
    if (extra !== undefined && (extra === null || typeof extra !== 'object')) throw invalidArgType('options', 'an object', extra);
    options = { ...(extra as ConnectOptions | undefined), ...positional };
  }
  return { options, cb };
}

/**
 * Open a TLS connection, as node's tls.connect. Option errors throw
 * synchronously; connection and handshake errors are emitted as 'error'.
 * A TCP connection it opens has TCP_NODELAY set (Nagle off) unless
 * `noDelay: false`; a given `socket` is left as it is.
 */
export function connect(options: ConnectOptions, secureConnectListener?: SecureConnectListener): TlsSocket;
export function connect(port: number, host?: string, options?: ConnectOptions, secureConnectListener?: SecureConnectListener): TlsSocket;
export function connect(port: number, options?: ConnectOptions, secureConnectListener?: SecureConnectListener): TlsSocket;
export function connect(path: string, options?: ConnectOptions, secureConnectListener?: SecureConnectListener): TlsSocket;
export function connect(...args: unknown[]): TlsSocket {
  const { options, cb } = normalize(args);
  const setup = clientSetup(options); // every option is checked before any IO
  let transport = options.socket;
  if (!transport) {
    const netOptions: Record<string, unknown> = { allowHalfOpen: true };
    for (const k of NET_KEYS) if (options[k] !== undefined) netOptions[k] = options[k];
    if (netOptions['host'] === undefined && netOptions['path'] === undefined) netOptions['host'] = 'localhost';
    const raw = net.connect(netOptions as unknown as net.NetConnectOpts);
    // TCP_NODELAY, as node's https does: a small write (a request, the first
    // data after the handshake) does not wait for the ACK of the previous one.
    if (options.noDelay !== false) raw.setNoDelay(true);
    transport = raw;
  }
  const socket = new TlsSocket(transport, options, setup);
  if (options.timeout !== undefined) socket.setTimeout(options.timeout);
  if (cb) socket.once('secureConnect', cb);
  return socket;
}
