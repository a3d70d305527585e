import { plain } from '../common/bytes.js';
/**
 * Ticket keys for RotatingTicketCodec: the key shape, argument checks and
 * node:tls's 48-byte `ticketKeys` layout.
 */
import { constantTimeEqual } from '../common/bytes.js';

/** Bytes of a key name: the ticket's first field after the version (as RFC 5077 §4's key_name). */
export const TICKET_KEY_NAME_LENGTH = 16;
/** Bytes of a ticket key: an AES-256-GCM key. */
export const TICKET_KEY_LENGTH = 32;
/** node:tls's `ticketKeys` / getTicketKeys() / setTicketKeys(): 16 name, 16 HMAC secret, 16 AES key. */
export const NODE_TICKET_KEYS_LENGTH = 48;

/**
 * One ticket key. `createdMs` is when it began to seal (ms since the epoch);
 * a ring is ordered newest first and each key stops sealing when the next
 * newer one was created. `key` is a secret: share it only with the servers
 * that should open the tickets.
 */
export interface TicketKey {
  /** 16 bytes, public: written in clear in every ticket this key seals. */
  readonly name: Uint8Array;
  /** 32 bytes, AES-256-GCM. */
  readonly key: Uint8Array;
  readonly createdMs: number;
}

function checkBytes(what: string, b: unknown, length: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  if (b.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${b.length}`);
}

/**
 * Check a ring given by the user and return private copies.
 * @throws {TypeError} not an array of { name, key, createdMs } of the right types
 * @throws {RangeError} empty, more than `maxKeys`, a wrong length, a non-finite
 *   createdMs, not newest first, or a key name used twice
 */
export function copyTicketKeys(keys: readonly TicketKey[], maxKeys: number, where: string): TicketKey[] {
  if (!Array.isArray(keys)) throw new TypeError(`${where}: keys must be an array of TicketKey`);
  if (keys.length === 0) throw new RangeError(`${where}: at least one key is needed (the first seals)`);
  if (keys.length > maxKeys) throw new RangeError(`${where}: ${keys.length} keys, more than maxKeys (${maxKeys})`);
  const out: TicketKey[] = [];
  keys.forEach((k: unknown, i) => {
    if (typeof k !== 'object' || k === null) throw new TypeError(`${where}: keys[${i}] must be a TicketKey object`);
    const { name, key, createdMs } = k as Record<string, unknown>;
    checkBytes(`${where}: keys[${i}].name`, name, TICKET_KEY_NAME_LENGTH);
    checkBytes(`${where}: keys[${i}].key`, key, TICKET_KEY_LENGTH);
    if (typeof createdMs !== 'number') throw new TypeError(`${where}: keys[${i}].createdMs must be a number`);
    if (!Number.isFinite(createdMs)) throw new RangeError(`${where}: keys[${i}].createdMs must be finite`);
    const prev = out[i - 1];
    if (prev && createdMs > prev.createdMs) {
      throw new RangeError(`${where}: keys must be newest first (keys[${i}].createdMs is later than keys[${i - 1}]'s)`);
    }
    if (out.some((o) => constantTimeEqual(o.name, name))) throw new RangeError(`${where}: keys[${i}].name is used twice`);
    out.push({ name: new Uint8Array(name), key: new Uint8Array(key), createdMs });
  });
  return out;
}

/**
 * node's 48 bytes as a ticket key: name = bytes 0..16; the AES-256-GCM key
 * is bytes 16..48 (node's HMAC secret || AES key) used as they are. They
 * come from a CSPRNG (node makes them with RAND_bytes), so they are already
 * a uniform 256-bit key; a one-way derivation (HKDF) would gain nothing and
 * would lose the round trip toNodeTicketKeys(fromNodeTicketKeys(b)) = b.
 * Only the key material is shared with node: its tickets (AES-128-CBC +
 * HMAC-SHA256) and ours do not open in each other.
 * @throws {TypeError} not a Uint8Array; {RangeError} not 48 bytes
 */
export function ticketKeyFromNode(buf: Uint8Array, createdMs: number, where: string): TicketKey {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${where}: ticket keys must be a Uint8Array (or Buffer)`);
  if (buf.length !== NODE_TICKET_KEYS_LENGTH) {
    throw new RangeError(`${where}: ticket keys must be 48 bytes (16 name, 16 HMAC secret, 16 AES key), got ${buf.length}`);
  }
  // plain(): a Buffer's slice() is a view, and the key is wiped later: copies, never the caller's bytes.
  const bytes = plain(buf);
  return { name: bytes.slice(0, TICKET_KEY_NAME_LENGTH), key: bytes.slice(TICKET_KEY_NAME_LENGTH), createdMs };
}

/** The inverse of ticketKeyFromNode: name || key, 48 fresh bytes. */
export function ticketKeyToNode(k: TicketKey): Uint8Array {
  const out = new Uint8Array(NODE_TICKET_KEYS_LENGTH);
  out.set(k.name);
  out.set(k.key, TICKET_KEY_NAME_LENGTH);
  return out;
}
