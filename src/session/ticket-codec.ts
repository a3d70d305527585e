/**
 * The server's session ticket codec (DESIGN.md, "Tickets"): a Session in,
 * opaque ticket bytes out, and back, with OpenSSL's SSL_TICKET_* statuses
 * (spec/SSL_CTX_set_session_ticket_cb.pod). Not wired into the handshake here.
 *
 * RotatingTicketCodec's ticket format (version 1):
 *
 *     version (1) = 0x01 || key_name (16) || nonce (12) || AES-256-GCM(session.toBytes()) || tag (16)
 *     AAD = version || key_name
 *
 * - Nonces are random 96-bit values (provider.randomBytes). NIST SP 800-38D
 *   §8.3 allows at most 2^32 random-nonce seals per key; each key counts its
 *   seals and the codec rotates after `maxSealsPerKey` (default 2^28: chance
 *   of any nonce repeating under one key below 2^-41). Keys given by the user
 *   start at a count of 0 (this instance's seals only; servers sharing a key
 *   share its budget, so keep their total under it).
 * - Key ring, newest first; the newest seals. A key stops sealing when a newer
 *   one is created, so its retirement time is the next newer key's createdMs
 *   (derived from the ring alone, so a ring shared by keys()/setKeys() behaves
 *   the same on every server). A retired key opens (SUCCESS_RENEW) for
 *   `keyLifetimeMs` after retirement (default 7 days, RFC 8446 §4.6.1's longest
 *   ticket lifetime, so a ticket sealed just before a rotation lives out its
 *   lifetime), then it is dropped and its tickets are NO_DECRYPT. The sealing
 *   key answers SUCCESS, or SUCCESS_RENEW once it is due to be rotated.
 * - Rotation is lazy: seal() makes a new key when the ring is empty, the newest
 *   is `rotateAfterMs` old (default 12 h; Infinity turns this off, e.g. for a
 *   fleet that rotates centrally with setKeys) or its seal budget is spent.
 *   open() never draws randomness. The first key is made on first use, not in
 *   the constructor, so building a context does not shift a test's random stream.
 * - open() never throws on bytes: tickets longer than 65535 bytes (the wire
 *   limit of NewSessionTicket.ticket) or shorter than the fixed overhead are
 *   refused before any crypto; an unknown key name costs no crypto either.
 *   The session's own lifetime is not checked here (the handshake checks age).
 */
import { constantTimeEqual, wipe } from '../common/bytes.js';
import { nobleProvider } from '../crypto/noble.js';
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, type Aead, type CryptoProvider } from '../crypto/provider.js';
import { MAX_TICKET_LIFETIME_SECONDS, Session } from './session.js';
import { TICKET_KEY_LENGTH, TICKET_KEY_NAME_LENGTH, type TicketKey, copyTicketKeys, ticketKeyFromNode, ticketKeyToNode } from './ticket-keys.js';

export { NODE_TICKET_KEYS_LENGTH, TICKET_KEY_LENGTH, TICKET_KEY_NAME_LENGTH, type TicketKey } from './ticket-keys.js';

/** OpenSSL's SSL_TICKET_EMPTY, _NO_DECRYPT, _SUCCESS, _SUCCESS_RENEW. */
export const TicketStatus = { EMPTY: 0, NO_DECRYPT: 1, SUCCESS: 2, SUCCESS_RENEW: 3 } as const;
export type TicketStatus = (typeof TicketStatus)[keyof typeof TicketStatus];

export interface TicketOpenResult {
  readonly status: TicketStatus;
  /** Only with SUCCESS / SUCCESS_RENEW. Holds the resumption secret. */
  readonly session?: Session;
  /** The 16-byte key name read from the ticket, when the ticket was long enough and of a known format. */
  readonly keyName?: Uint8Array;
}

export interface TicketCodec {
  /** Seal a session into opaque ticket bytes (a server's NewSessionTicket.ticket). */
  seal(session: Session): Uint8Array;
  /** Open a ticket: EMPTY for zero bytes, NO_DECRYPT for anything that does not open (never throws on any bytes), SUCCESS, or SUCCESS_RENEW when the key that opened it is no longer the sealing key. */
  open(ticket: Uint8Array): TicketOpenResult;
}

export interface RotatingTicketCodecOptions {
  /** Randomness (keys, nonces), AEAD and the default clock. Default: nobleProvider(). */
  readonly provider?: CryptoProvider;
  /** Age at which seal() makes a new sealing key. Default 12 h; Infinity: only rotate() / the seal budget. */
  readonly rotateAfterMs?: number;
  /** How long a retired key still opens, from its retirement. Default 7 days. 0: retired keys never open. */
  readonly keyLifetimeMs?: number;
  /** Most keys held (sealing key included). Default: enough for keyLifetimeMs at rotateAfterMs (15 with the defaults), at least 4, at most 64. */
  readonly maxKeys?: number;
  /** Seals per key before an automatic rotation, 1..2^32. Default 2^28. */
  readonly maxSealsPerKey?: number;
  /** The starting ring, newest first (see setKeys). Default: one key, made on first use. */
  readonly keys?: readonly TicketKey[];
  /** The clock (ms since the epoch). Default: provider.nowMs. */
  readonly now?: () => number;
}

/** Version byte of the format above. Another value is NO_DECRYPT. */
export const TICKET_FORMAT_VERSION = 1;
/** The wire limit: NewSessionTicket.ticket is opaque<1..2^16-1> (RFC 8446 §4.6.1, RFC 5077 §3.3). */
export const MAX_TICKET_LENGTH = 0xffff;
const AAD_LENGTH = 1 + TICKET_KEY_NAME_LENGTH;
const HEADER_LENGTH = AAD_LENGTH + AEAD_NONCE_LENGTH;
/** Header, tag and at least one byte of plaintext. */
const MIN_TICKET_LENGTH = HEADER_LENGTH + AEAD_TAG_LENGTH + 1;
const MAX_SEALS_LIMIT = 2 ** 32;

const HOUR_MS = 3600 * 1000;
const EMPTY_RESULT: TicketOpenResult = Object.freeze({ status: TicketStatus.EMPTY });
const NO_DECRYPT_RESULT: TicketOpenResult = Object.freeze({ status: TicketStatus.NO_DECRYPT });

interface Entry {
  readonly name: Uint8Array;
  readonly key: Uint8Array;
  readonly createdMs: number;
  aead: Aead | null;
  seals: number;
}

function numberOption(where: string, value: unknown, fallback: number, ok: (n: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${where} must be a number`);
  if (!ok(value)) throw new RangeError(`${where} must be ${rule}, got ${value}`);
  return value;
}

/**
 * The default TicketCodec: AES-256-GCM under a rotating ring of named keys.
 * The keys live in private fields; toString() and util.inspect show only
 * counts. keys(), toNodeTicketKeys() and a ring given by the user carry the
 * raw key bytes: treat them as secrets.
 */
export class RotatingTicketCodec implements TicketCodec {
  readonly rotateAfterMs: number;
  readonly keyLifetimeMs: number;
  readonly maxKeys: number;
  readonly maxSealsPerKey: number;
  readonly #provider: CryptoProvider;
  readonly #now: () => number;
  #ring: Entry[] = [];

  /** @throws {TypeError} an option of the wrong type; {RangeError} an option out of range, or a bad ring (see setKeys) */
  constructor(options: RotatingTicketCodecOptions = {}) {
    const W = 'RotatingTicketCodec';
    if (typeof options !== 'object' || options === null) throw new TypeError(`${W}: options must be an object`);
    if (options.provider !== undefined && (typeof options.provider !== 'object' || options.provider === null)) {
      throw new TypeError(`${W}: provider must be a CryptoProvider`);
    }
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError(`${W}: now must be a function`);
    const provider = options.provider ?? nobleProvider();
    this.#provider = provider;
    this.#now = options.now ?? (() => provider.nowMs());
    this.rotateAfterMs = numberOption(`${W}: rotateAfterMs`, options.rotateAfterMs, 12 * HOUR_MS, (n) => n > 0, 'positive (Infinity allowed)');
    this.keyLifetimeMs = numberOption(`${W}: keyLifetimeMs`, options.keyLifetimeMs, MAX_TICKET_LIFETIME_SECONDS * 1000, (n) => n >= 0, 'non-negative (Infinity allowed)');
    const ratio = this.keyLifetimeMs / this.rotateAfterMs; // NaN when both are Infinity
    const derived = Number.isNaN(ratio) ? 4 : Math.min(64, Math.max(4, Math.ceil(ratio) + 1));
    this.maxKeys = numberOption(`${W}: maxKeys`, options.maxKeys, derived, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
    this.maxSealsPerKey = numberOption(`${W}: maxSealsPerKey`, options.maxSealsPerKey, 2 ** 28, (n) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_SEALS_LIMIT, 'an integer in 1..2^32');
    if (options.keys !== undefined) this.#install(copyTicketKeys(options.keys, this.maxKeys, W));
  }

  /**
   * @throws {TypeError} not a Session, or a session that Session.fromBytes would refuse (it could never be opened)
   * @throws {RangeError} the ticket would be longer than 65535 bytes
   */
  seal(session: Session): Uint8Array {
    if (!(session instanceof Session)) throw new TypeError('RotatingTicketCodec.seal: session must be a Session');
    const plain = session.toBytes();
    try {
      const length = HEADER_LENGTH + plain.length + AEAD_TAG_LENGTH;
      if (length > MAX_TICKET_LENGTH) throw new RangeError(`RotatingTicketCodec.seal: the ticket would be ${length} bytes, more than ${MAX_TICKET_LENGTH}`);
      checkReopens(plain);
      const now = this.#now();
      this.#prune(now);
      if (this.#sealingDue(now)) this.#rotate(now);
      const e = this.#ring[0]!;
      e.seals++; // counted before use: a nonce is never drawn beyond the budget
      const out = new Uint8Array(length);
      out[0] = TICKET_FORMAT_VERSION;
      out.set(e.name, 1);
      const nonce = this.#provider.randomBytes(AEAD_NONCE_LENGTH);
      out.set(nonce, AAD_LENGTH);
      out.set(this.#aead(e).seal(nonce, plain, out.subarray(0, AAD_LENGTH)), HEADER_LENGTH);
      return out;
    } finally {
      wipe(plain);
    }
  }

  /** Never throws on bytes (a TypeError only when `ticket` is not a Uint8Array). */
  open(ticket: Uint8Array): TicketOpenResult {
    if (!(ticket instanceof Uint8Array)) throw new TypeError('RotatingTicketCodec.open: ticket must be a Uint8Array');
    if (ticket.length === 0) return EMPTY_RESULT;
    // Cheap refusals first: no clock, no lookup, no crypto.
    if (ticket.length > MAX_TICKET_LENGTH || ticket.length < AAD_LENGTH || ticket[0] !== TICKET_FORMAT_VERSION) return NO_DECRYPT_RESULT;
    const keyName = ticket.slice(1, AAD_LENGTH);
    const noDecrypt: TicketOpenResult = { status: TicketStatus.NO_DECRYPT, keyName };
    if (ticket.length < MIN_TICKET_LENGTH) return noDecrypt;
    const now = this.#now();
    this.#prune(now);
    const index = this.#ring.findIndex((e) => constantTimeEqual(e.name, keyName));
    if (index < 0) return noDecrypt;
    const e = this.#ring[index]!;
    const plain = this.#aead(e).open(ticket.subarray(AAD_LENGTH, HEADER_LENGTH), ticket.subarray(HEADER_LENGTH), ticket.subarray(0, AAD_LENGTH));
    if (plain === null) return noDecrypt;
    let session: Session;
    try {
      session = Session.fromBytes(plain);
    } catch {
      return noDecrypt; // authentic, but not a session: refused like every other bad ticket
    } finally {
      wipe(plain);
    }
    const status = index === 0 && !this.#sealingDue(now) ? TicketStatus.SUCCESS : TicketStatus.SUCCESS_RENEW;
    return { status, session, keyName };
  }

  /** Make a new sealing key now; the previous ones retire (they still open until they expire). */
  rotate(): void {
    const now = this.#now();
    this.#prune(now);
    this.#rotate(now);
  }

  /** A copy of the ring, newest (sealing) first, to give to other servers with setKeys. Makes the first key if there is none. */
  keys(): TicketKey[] {
    this.#ensureKey();
    return this.#ring.map((e) => ({ name: e.name.slice(), key: e.key.slice(), createdMs: e.createdMs }));
  }

  /**
   * Replace the ring (copied), newest first: the first key seals. A key the
   * ring already holds (same name and bytes) keeps its seal count.
   * @throws {TypeError} not an array of TicketKey; {RangeError} empty, more than maxKeys,
   *   a name not 16 bytes, a key not 32 bytes, createdMs not finite or not newest first, a name twice
   */
  setKeys(keys: readonly TicketKey[]): void {
    this.#install(copyTicketKeys(keys, this.maxKeys, 'RotatingTicketCodec.setKeys'));
  }

  /**
   * node's setTicketKeys(): the 48 bytes (16 name, 16 HMAC secret, 16 AES key)
   * become the sealing key (name = bytes 0..16, AES-256-GCM key = bytes 16..48);
   * the previous keys retire as with rotate(). Setting the current sealing key
   * again changes nothing. To drop the old keys at once, use setKeys.
   * @throws {TypeError} not a Uint8Array; {RangeError} not 48 bytes
   */
  fromNodeTicketKeys(buf: Uint8Array): void {
    const W = 'RotatingTicketCodec.fromNodeTicketKeys';
    const now = this.#now();
    const k = ticketKeyFromNode(buf, Math.max(now, this.#ring[0]?.createdMs ?? now), W);
    const top = this.#ring[0];
    if (top && constantTimeEqual(top.name, k.name) && constantTimeEqual(top.key, k.key)) return;
    const rest = this.#ring.filter((e) => !constantTimeEqual(e.name, k.name)).map((e) => ({ name: e.name, key: e.key, createdMs: e.createdMs }));
    this.#install(copyTicketKeys([k, ...rest].slice(0, this.maxKeys), this.maxKeys, W));
    wipe(k.key);
    this.#prune(now);
  }

  /** node's getTicketKeys(): the sealing key as 48 bytes, name || key (fromNodeTicketKeys's inverse). Makes the first key if there is none. */
  toNodeTicketKeys(): Uint8Array {
    return ticketKeyToNode(this.#ensureKey());
  }

  toString(): string {
    return `RotatingTicketCodec { keys: ${this.#ring.length}, maxKeys: ${this.maxKeys} }`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #ensureKey(): Entry {
    const now = this.#now();
    this.#prune(now);
    if (this.#ring.length === 0) this.#rotate(now);
    return this.#ring[0]!;
  }

  #sealingDue(now: number): boolean {
    const top = this.#ring[0];
    return top === undefined || now - top.createdMs >= this.rotateAfterMs || top.seals >= this.maxSealsPerKey;
  }

  #rotate(now: number): void {
    const name = this.#provider.randomBytes(TICKET_KEY_NAME_LENGTH);
    if (this.#ring.some((e) => constantTimeEqual(e.name, name))) throw new Error('RotatingTicketCodec: the random source repeated a key name');
    const key = this.#provider.randomBytes(TICKET_KEY_LENGTH);
    // createdMs never goes back (a clock step back would break newest-first order).
    const createdMs = Math.max(now, this.#ring[0]?.createdMs ?? now);
    this.#ring.unshift({ name, key, createdMs, aead: null, seals: 0 });
    for (const e of this.#ring.splice(this.maxKeys)) wipe(e.key);
  }

  /** Drop retired keys past keyLifetimeMs: key i retired when key i-1 was created. */
  #prune(now: number): void {
    const ring = this.#ring;
    for (let i = 1; i < ring.length; i++) {
      if (now - ring[i - 1]!.createdMs >= this.keyLifetimeMs) {
        for (const e of ring.splice(i)) wipe(e.key);
        return; // older keys retired no later, so they are expired too
      }
    }
  }

  /** Take `keys` (private copies) as the ring. A key already held keeps its bytes, AEAD and seal count. */
  #install(keys: TicketKey[]): void {
    const old = this.#ring;
    const kept = new Set<Entry>();
    this.#ring = keys.map((k): Entry => {
      const same = old.find((e) => constantTimeEqual(e.name, k.name) && constantTimeEqual(e.key, k.key));
      if (!same) return { name: k.name, key: k.key, createdMs: k.createdMs, aead: null, seals: 0 };
      kept.add(same);
      wipe(k.key);
      return { name: same.name, key: same.key, createdMs: k.createdMs, aead: same.aead, seals: same.seals };
    });
    for (const e of old) if (!kept.has(e)) wipe(e.key);
  }

  #aead(e: Entry): Aead {
    return (e.aead ??= this.#provider.aead('AES-256-GCM', e.key));
  }
}

/** A session that toBytes() writes but fromBytes() refuses (e.g. neither ticket nor session id) would seal into a ticket that never opens. */
function checkReopens(plain: Uint8Array): void {
  let s: Session;
  try {
    s = Session.fromBytes(plain);
  } catch (e) {
    throw new TypeError(`RotatingTicketCodec.seal: the session would not open again (${e instanceof Error ? e.message : 'unparsable'})`);
  }
  wipe(s.secret);
}
