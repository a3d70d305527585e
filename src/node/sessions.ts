/**
 * The server's TLS 1.2 session-ID cache, as node's SecureContext (an
 * SSL_CTX) has one, and node's sessionTimeout / sessionIdContext options.
 *
 * As OpenSSL: the cache belongs to the server's context (SNI contexts share
 * it, tls.Server.setSecureContext starts a new one), a session is resumed
 * only under the session ID context it was made in, and its lifetime is the
 * server context's sessionTimeout. Unlike node, whose servers resume session
 * IDs only through 'newSession'/'resumeSession' listeners (node turns
 * OpenSSL's internal cache off: SSL_SESS_CACHE_NO_INTERNAL), ours resume
 * from this cache by default. A connection whose server had a
 * 'resumeSession' listener when it arrived uses that listener instead (see
 * session-events.ts and ConnectionSessions): this cache is then neither
 * read nor written for it.
 */
import { createHash } from 'node:crypto';
import { bytesEqual } from '../common/bytes.js';
import type { SessionStore } from '../ssl/context.js';
import { MemorySessionCache } from '../session/cache.js';
import type { Session } from '../session/session.js';
import { codedError, received, type CodedError } from './coded-errors.js';

/** OpenSSL's SSL_MAX_SID_CTX_LENGTH. */
const MAX_SID_CTX_BYTES = 32;

function typeError(option: string, type: string, value: unknown): CodedError {
  return codedError(new TypeError(`The "options.${option}" property must be of type ${type}. Received ${received(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/**
 * node's sessionTimeout (validateInt32(value, 'options.sessionTimeout', 0)):
 * seconds, or undefined for the default. 0 is the default too (node's
 * tls.Server skips a falsy value; OpenSSL's SSL_CTX_set_timeout(0) means its
 * default, 300 s).
 */
export function parseSessionTimeout(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw typeError('sessionTimeout', 'number', value);
  const range = !Number.isInteger(value) ? 'an integer' : value < 0 || value > 0x7fffffff ? '>= 0 && <= 2147483647' : undefined;
  if (range) {
    throw codedError(new RangeError(`The value of "options.sessionTimeout" is out of range. It must be ${range}. Received ${value}`), 'ERR_OUT_OF_RANGE');
  }
  return value === 0 ? undefined : value;
}

/** node's sessionIdContext: a string of at most 32 bytes (UTF-8, as node hands it to SSL_CTX_set_session_id_context). */
export function parseSessionIdContext(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw typeError('sessionIdContext', 'string', value);
  if (Buffer.byteLength(value, 'utf8') > MAX_SID_CTX_BYTES) {
    const err = new RangeError(`The option 'sessionIdContext' is longer than ${MAX_SID_CTX_BYTES} bytes (OpenSSL: ssl session id context too long). Received '${value}'`);
    throw codedError(err, 'ERR_INVALID_ARG_VALUE');
  }
  return value;
}

/** node's tls.Server default sessionIdContext (lib/_tls_wrap.js): sha1 of the command line, 32 hex digits. */
export function defaultServerSessionIdContext(): string {
  return createHash('sha1').update(process.argv.join(' ')).digest('hex').slice(0, 32);
}

/**
 * One connection's own session handling, instead of the cache: node's
 * 'resumeSession' (its listener's answer, see session-events.ts).
 */
export interface ConnectionSessions {
  /** The session to resume for `sessionId`, if any; the cache is then neither read nor written. */
  lookup(sessionId: Uint8Array): Session | undefined;
}

/** What one Connection call did with sessions (see SessionCaches.watch). */
export interface Watched {
  /** The session it stored (a full handshake) or resumed. */
  readonly session: Session | undefined;
  /** `session` was made by this call (a full handshake completed). */
  readonly made: boolean;
}

/**
 * The sessions of one server context: a MemorySessionCache per session ID
 * context. It also tells which session a Connection call stored or resumed
 * (`watch`), so that a socket can forget its own (see `forget`) or announce
 * a new one (node's 'newSession').
 */
export class SessionCaches {
  private readonly stores = new Map<string, MemorySessionCache>();
  private seen: Session | undefined;
  private made = false;
  /** The connection being watched, when it has its own session handling. */
  private own: ConnectionSessions | undefined;

  constructor(private readonly nowMs: () => number) {}

  /** The store the core uses for connections under `sessionIdContext`. */
  storeFor(sessionIdContext: string): SessionStore {
    let inner = this.stores.get(sessionIdContext);
    if (!inner) this.stores.set(sessionIdContext, (inner = new MemorySessionCache({ nowMs: this.nowMs })));
    const cache = inner;
    return {
      put: (session) => {
        if (!this.own) cache.put(session);
        this.seen = session;
        this.made = true;
      },
      get: (sessionId) => {
        const session = this.own ? this.ownLookup(this.own, sessionId) : cache.get(sessionId);
        if (session) this.seen = session;
        return session;
      },
      delete: (sessionId) => {
        if (!this.own) cache.delete(sessionId);
      },
    };
  }

  /**
   * A session from the application, checked as OpenSSL checks one from its
   * external cache: within its lifetime; and (stricter than OpenSSL, which
   * then fails the handshake) made under the ID asked for.
   */
  private ownLookup(own: ConnectionSessions, sessionId: Uint8Array): Session | undefined {
    const s = own.lookup(sessionId);
    if (!s || !bytesEqual(s.sessionId, sessionId) || !s.isResumable(this.nowMs())) return undefined;
    return s;
  }

  /**
   * Run `fn` (a Connection call); returns the session it stored or looked
   * up, if any. With `own`, the connection's lookups go there and its new
   * sessions are not kept in the cache.
   */
  watch(fn: () => void, own?: ConnectionSessions): Watched {
    this.seen = undefined;
    this.made = false;
    this.own = own;
    try {
      fn();
      return { session: this.seen, made: this.made };
    } finally {
      this.seen = undefined;
      this.made = false;
      this.own = undefined;
    }
  }

  /**
   * Drop `session` from the cache. A server renegotiating to ask for a client
   * certificate forgets the connection's session first: the client offers it
   * again, and resuming it would skip the CertificateRequest (OpenSSL resumes
   * it unless SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION is set; node then
   * gets no certificate).
   */
  forget(session: Session): void {
    for (const cache of this.stores.values()) if (cache.get(session.sessionId) === session) cache.delete(session.sessionId);
  }
}
