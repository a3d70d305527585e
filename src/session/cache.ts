import { toHex } from '../common/bytes.js';
import type { SessionStore } from '../handshake/config.js';
import type { Session } from './session.js';

export interface MemorySessionCacheOptions {
  /** Sessions held at most; the oldest is dropped for a new one. Default 20480 (OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT). */
  maxEntries?: number;
  /** The clock (ms). Default Date.now. */
  nowMs?: () => number;
}

/**
 * The server's session-ID cache for TLS 1.2 resumption (RFC 5246 §7.3):
 * bounded in entries (oldest out first) and in time (each session's own
 * lifetime, checked on lookup). Replace it with any `SessionStore`, e.g.
 * one shared by several servers.
 */
export class MemorySessionCache implements SessionStore {
  readonly maxEntries: number;
  private readonly now: () => number;
  private readonly byId = new Map<string, Session>();

  /** @throws {RangeError} maxEntries not a positive integer; {TypeError} nowMs not a function */
  constructor(options: MemorySessionCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 20480;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('MemorySessionCache: maxEntries must be a positive integer');
    if (options.nowMs !== undefined && typeof options.nowMs !== 'function') throw new TypeError('MemorySessionCache: nowMs must be a function');
    this.now = options.nowMs ?? Date.now;
  }

  get size(): number {
    return this.byId.size;
  }

  put(session: Session): void {
    if (session.sessionId.length === 0) return;
    const key = toHex(session.sessionId);
    this.byId.delete(key);
    this.byId.set(key, session);
    while (this.byId.size > this.maxEntries) this.byId.delete(this.byId.keys().next().value!);
  }

  get(sessionId: Uint8Array): Session | undefined {
    if (sessionId.length === 0) return undefined;
    const key = toHex(sessionId);
    const s = this.byId.get(key);
    if (s && !s.isResumable(this.now())) {
      this.byId.delete(key);
      return undefined;
    }
    return s;
  }

  delete(sessionId: Uint8Array): void {
    this.byId.delete(toHex(sessionId));
  }
}
