/**
 * A client's session cache keyed by server name (Go's ClientSessionCache):
 * a client Connection with a server name and no session of its own offers
 * the cached one, and each new session it gets ('session' events: TLS 1.3
 * tickets, TLS 1.2 sessions) replaces it.
 */
import type { Session } from './session.js';

export interface ClientSessionCache {
  /** The session cached under `key` (a server name), or undefined. */
  get(key: string): Session | undefined;
  /** Cache `session` under `key`; undefined forgets the key. */
  put(key: string, session: Session | undefined): void;
}

/**
 * A ClientSessionCache of at most `capacity` server names: the least recently
 * used (got or put) goes first; a session past its lifetime is never
 * returned (and is dropped when asked for).
 */
export class LruClientSessionCache implements ClientSessionCache {
  readonly capacity: number;
  readonly #now: () => number;
  /** Map order is use order: the first key is the least recently used. */
  readonly #byKey = new Map<string, Session>();

  /**
   * @param capacity server names kept (default 64, as Go's NewLRUClientSessionCache)
   * @param nowMs the clock for lifetimes (default Date.now)
   * @throws {RangeError} capacity not a positive integer; {TypeError} nowMs not a function
   */
  constructor(capacity = 64, nowMs: () => number = Date.now) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('LruClientSessionCache: capacity must be a positive integer');
    if (typeof nowMs !== 'function') throw new TypeError('LruClientSessionCache: nowMs must be a function');
    this.capacity = capacity;
    this.#now = nowMs;
  }

  /** Server names held (expired sessions included until they are asked for). */
  get size(): number {
    return this.#byKey.size;
  }

  /** @throws {TypeError} key not a string */
  get(key: string): Session | undefined {
    if (typeof key !== 'string') throw new TypeError('LruClientSessionCache.get: key must be a string');
    const s = this.#byKey.get(key);
    if (s === undefined) return undefined;
    this.#byKey.delete(key);
    if (!s.isResumable(this.#now())) return undefined;
    this.#byKey.set(key, s);
    return s;
  }

  /** @throws {TypeError} key not a string */
  put(key: string, session: Session | undefined): void {
    if (typeof key !== 'string') throw new TypeError('LruClientSessionCache.put: key must be a string');
    this.#byKey.delete(key);
    if (session === undefined) return;
    this.#byKey.set(key, session);
    while (this.#byKey.size > this.capacity) this.#byKey.delete(this.#byKey.keys().next().value!);
  }
}
