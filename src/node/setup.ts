/**
 * From node:tls options to what one TlsSocket needs: the core context, the
 * name to ask for and check (client), the SNI context selection (server),
 * the handshake timeout. Computed once per connect() or once per server.
 */
import { Session } from '../session/session.js';
import type { TlsContext } from '../ssl/context.js';
import type { AlpnSelect } from '../ssl/context.js';
import { codedError, invalidArgType } from './coded-errors.js';
import { tlsContextFor, type ContextParams } from './core-context.js';
import { parseAlpn, parseTimeout, type AlpnCallback, type ConnectOptions, type SecureContextOptions, type TlsServerOptions, type TlsSocketOptions } from './options.js';
import type { CheckServerIdentity } from './peer-certificate.js';
import { SecureContext } from './secure-context.js';
import { refuseUnsupportedOptions, unsupportedOption } from './unsupported-options.js';
import type { SessionEventsMode } from './session-events.js';
import { defaultServerSessionIdContext, type SessionCaches } from './sessions.js';

/** What a server-side socket reports to its server (net.Server / EventEmitter shape). */
export interface ServerHooks {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  listenerCount(event: string | symbol): number;
}

export type SelectContext = (servername: string, cb: (err: Error | null, ctx?: TlsContext) => void) => void;

/** How one TlsSocket is wired. */
export interface SocketSetup {
  readonly role: 'client' | 'server';
  /** The context to use (server: the default, before any SNI choice). */
  readonly context: TlsContext;
  /** Client: the SNI to send (not sent when an IP literal) and the name to check. */
  readonly serverName?: string | undefined;
  /** Server: choose a context by the client's SNI (asynchronously). */
  readonly selectContext?: SelectContext | undefined;
  readonly server?: ServerHooks | undefined;
  /** Fail the handshake after this many ms (0 or undefined: never). */
  readonly handshakeTimeout?: number | undefined;
  /** Server: a client certificate was asked for (node's `authorized` rules). */
  readonly requestCert: boolean;
  /** node's rejectUnauthorized (the default for renegotiate()). */
  readonly rejectUnauthorized: boolean;
  /** Server: the TLS 1.2 session cache its contexts use. */
  readonly sessions?: SessionCaches | undefined;
  /** Server: node's 'newSession' / 'resumeSession' are emitted (a listener was there when the connection arrived). */
  readonly sessionEvents?: SessionEventsMode | undefined;
  /** Client: the session to offer (node's `session` option), parsed. */
  readonly session?: Session | undefined;
}

export const DEFAULT_SERVER_HANDSHAKE_TIMEOUT = 120_000;

/**
 * The setup a socket keeps. A server's connections get one shared object per
 * variant from their TlsServer (connectionSetup), kept as it is; any other is
 * kept as an object literal's copy (Object.assign): V8 gives each object made
 * by a spread that overrides a field a hidden class of its own (about 0.4 KiB
 * per connection).
 */
export function sharedSetup(setup: SocketSetup): SocketSetup {
  return setup.server ? setup : Object.assign({}, setup);
}

/** node:tls's SecureContext (its `context` is OpenSSL's native handle). */
function isNodeSecureContext(v: object): boolean {
  return !(v instanceof SecureContext) && 'context' in v && typeof (v as { context: unknown }).context === 'object' && v.constructor?.name === 'SecureContext';
}

function checkObject(options: unknown): void {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
}

function secureContextOf(options: ConnectOptions | TlsServerOptions): SecureContext {
  if (options.secureContext === undefined) return new SecureContext(options);
  if (!(options.secureContext instanceof SecureContext)) {
    throw invalidArgType('secureContext', 'a SecureContext from createSecureContext()', options.secureContext);
  }
  return options.secureContext;
}

/** @throws {TypeError} naming the first of `names` that is set to something other than a boolean */
function checkBooleans<T extends object>(options: T, ...names: (keyof T & string)[]): void {
  for (const name of names) {
    const v = options[name];
    if (v !== undefined && typeof v !== 'boolean') throw invalidArgType(name, 'a boolean', v);
  }
}

/**
 * Socket-level node:tls / net options puretls does not implement (beside
 * the security options of UNSUPPORTED_OPTIONS): refused rather than ignored.
 */
const UNSUPPORTED_SOCKET_OPTIONS: Readonly<Record<string, string>> = {
  onread: "reading into a user buffer is not implemented; use 'data' events or read()",
};

/** @throws {TypeError} ERR_TLS_OPTION_UNSUPPORTED naming the option */
function refuseUnsupportedSocketOptions(options: object): void {
  const given = options as Record<string, unknown>;
  for (const [name, why] of Object.entries(UNSUPPORTED_SOCKET_OPTIONS)) {
    if (given[name] !== undefined && given[name] !== null) throw unsupportedOption(name, why);
  }
}

/** connect() / a client TlsSocket. Throws synchronously on a bad option. */
export function clientSetup(options: ConnectOptions): SocketSetup {
  checkObject(options);
  // All of them, also when a secureContext makes node skip the context options: none is dropped unseen.
  refuseUnsupportedOptions(options, 'client');
  refuseUnsupportedSocketOptions(options);
  const sc = secureContextOf(options);
  checkBooleans(options, 'rejectUnauthorized', 'noDelay', 'postHandshakeAuth');
  const check = options.checkServerIdentity;
  if (check !== undefined && typeof check !== 'function') throw invalidArgType('checkServerIdentity', 'a function', check);
  if (options.servername !== undefined && typeof options.servername !== 'string') throw invalidArgType('servername', 'a string', options.servername);
  if (options.host !== undefined && typeof options.host !== 'string') throw invalidArgType('host', 'a string', options.host);
  const session = parseSession(options.session);
  // node: the name checked is servername || host || 'localhost'; an IP literal is checked but never sent as SNI.
  const serverName = options.servername || options.host || 'localhost';
  const params: ContextParams = {
    role: 'client',
    alpnProtocols: parseAlpn(options.ALPNProtocols),
    rejectUnauthorized: options.rejectUnauthorized !== false,
    checkServerIdentity: check as CheckServerIdentity | undefined,
    postHandshakeAuth: options.postHandshakeAuth === true,
  };
  return {
    role: 'client',
    context: tlsContextFor(sc, params),
    serverName,
    handshakeTimeout: parseTimeout('handshakeTimeout', options.handshakeTimeout),
    requestCert: false,
    rejectUnauthorized: params.rejectUnauthorized,
    session,
  };
}

/**
 * node's `session` option: the bytes of a 'session' event or getSession().
 * Absent (undefined or null): no session is offered.
 * @throws {TypeError} naming the option, when the value is not such bytes
 */
function parseSession(value: unknown): Session | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Uint8Array)) throw invalidArgType('session', 'a Buffer or Uint8Array', value);
  try {
    // A plain copy: Session.fromBytes keeps `.slice()`s of its input, and a Buffer's slice is a view into
    // memory node reuses (the Buffer pool), which would change the master secret under the session.
    return Session.fromBytes(new Uint8Array(value));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw codedError(new TypeError(`The "session" option is not a session from a 'session' event or getSession() (${why})`), 'ERR_INVALID_ARG_VALUE');
  }
}

/**
 * createServer() / a server TlsSocket. `extraSni` (the server's addContext
 * table) is consulted when there is no SNICallback.
 */
export function serverSetup(
  options: TlsServerOptions,
  hooks: { server?: ServerHooks; extraSni?: (servername: string) => SecureContext | undefined } = {},
): { setup: SocketSetup; sni: boolean } {
  checkObject(options);
  refuseUnsupportedOptions(options, 'server');
  const alpnSelect = alpnSelectOf(options);
  const sc = secureContextOf(options);
  checkBooleans(options, 'requestCert', 'rejectUnauthorized', 'noDelay');
  const callback = options.SNICallback;
  if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('SNICallback', 'a function', callback);
  const params: ContextParams = {
    role: 'server',
    alpnProtocols: parseAlpn(options.ALPNProtocols),
    alpnSelect,
    rejectUnauthorized: options.rejectUnauthorized !== false,
    requestCert: options.requestCert === true,
  };
  // As OpenSSL: one session cache, the server context's, for SNI contexts too; a
  // tls.Server's own context has node's default session ID context.
  const caches = sc.sessionCaches();
  const serverSid = sc.sessionIdContext ?? (hooks.server ? defaultServerSessionIdContext() : '');
  const paramsFor = (chosen: SecureContext): ContextParams => ({
    ...params,
    sessions: { caches, sessionIdContext: chosen === sc ? serverSid : (chosen.sessionIdContext ?? ''), lifetimeSeconds: sc.sessionTimeout },
  });
  const context = tlsContextFor(sc, paramsFor(sc));
  const cache = new WeakMap<SecureContext, TlsContext>([[sc, context]]);
  const contextFor = (chosen: SecureContext): TlsContext => {
    let c = cache.get(chosen);
    if (!c) cache.set(chosen, (c = tlsContextFor(chosen, paramsFor(chosen))));
    return c;
  };
  /** SNICallback's plain options objects, made into contexts once each. */
  const fromOptions = new WeakMap<object, SecureContext>();
  const selectContext: SelectContext = (servername, cb) => {
    const done = (err: Error | null, chosen?: SecureContext | SecureContextOptions): void => {
      if (err) return cb(err);
      if (chosen === undefined || chosen === null) return cb(null, context);
      // node:tls's own SecureContext cannot be read (OpenSSL's handle): the connection fails, as node's with a foreign one.
      if (typeof chosen !== 'object' || isNodeSecureContext(chosen)) {
        return cb(codedError(new TypeError('Invalid SNI context: SNICallback must give a SecureContext from createSecureContext() or its options'), 'ERR_TLS_INVALID_CONTEXT'));
      }
      try {
        // puretls also takes the options object itself (node 20 fails the connection then).
        let sc = chosen instanceof SecureContext ? chosen : fromOptions.get(chosen);
        if (!sc) fromOptions.set(chosen, (sc = new SecureContext(chosen as SecureContextOptions)));
        cb(null, contextFor(sc));
      } catch (e) {
        cb(e instanceof Error ? e : new Error(String(e)));
      }
    };
    if (callback) return callback(servername, done);
    done(null, hooks.extraSni?.(servername));
  };
  const timeout = parseTimeout('handshakeTimeout', options.handshakeTimeout) ?? DEFAULT_SERVER_HANDSHAKE_TIMEOUT;
  return {
    setup: {
      role: 'server',
      context,
      selectContext,
      server: hooks.server,
      handshakeTimeout: timeout,
      requestCert: params.requestCert === true,
      rejectUnauthorized: params.rejectUnauthorized,
      sessions: caches,
    },
    sni: callback !== undefined,
  };
}

/**
 * node's ALPNCallback as the core's alpnSelect. As node: exclusive with
 * ALPNProtocols (both truthy: ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS); called
 * with `{ servername (false without SNI), protocols }`; undefined refuses
 * (no_application_protocol); a value the client did not offer is
 * ERR_TLS_ALPN_CALLBACK_INVALID_RESULT (the handshake fails, internal_error).
 */
function alpnSelectOf(options: TlsServerOptions): AlpnSelect | undefined {
  const callback: unknown = options.ALPNCallback;
  if (!callback) return undefined;
  if (typeof callback !== 'function') throw invalidArgType('ALPNCallback', 'a function', callback);
  if (options.ALPNProtocols) {
    throw codedError(new TypeError('The ALPNCallback and ALPNProtocols TLS options are mutually exclusive'), 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS');
  }
  const cb = callback as AlpnCallback;
  return (offered, serverName) => {
    const protocols = [...offered];
    const chosen: unknown = cb({ servername: serverName ?? false, protocols });
    if (chosen === undefined) return undefined;
    if (typeof chosen !== 'string' || !offered.includes(chosen)) {
      const msg = `ALPN callback returned a value (${String(chosen)}) that did not match any of the client's offered protocols (${offered.join(', ')})`;
      throw codedError(new TypeError(msg), 'ERR_TLS_ALPN_CALLBACK_INVALID_RESULT');
    }
    return chosen;
  };
}

/** A standalone `new TlsSocket(transport, options)`: the role from `isServer`; SNI only with an SNICallback. */
export function setupFromOptions(options: TlsSocketOptions): SocketSetup {
  if (options === null || typeof options !== 'object' || !options.isServer) return clientSetup(options);
  const { setup, sni } = serverSetup(options);
  return sni ? setup : { ...setup, selectContext: undefined };
}
