import { ByteQueue } from '../common/bytes.js';
import type { HandshakeType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { HANDSHAKE_HEADER_LENGTH, type HandshakeMessage } from '../messages/handshake.js';

export type { HandshakeMessage };

/** Default cap on one handshake message: large certificate chains fit. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 131072;

/**
 * The largest body a message of `type` may declare, or -1 when the type is
 * not one this connection can receive at all (unexpected_message at once).
 * `max` is the joiner's maxMessageSize (so that one function, not a closure
 * per connection, can serve every configured maximum).
 */
export type MessageSizeLimit = (type: number, max: number) => number;

const uniform: MessageSizeLimit = (_type, max) => max;

/**
 * Reassembles handshake messages from the fragments of handshake records:
 * a message may span records and a record may carry several (RFC 8446 §5.1).
 * A message that lies within one fragment is returned as subarrays of it;
 * one that spans fragments costs one copy of the message.
 *
 * Each message's declared length is checked against its type's limit from
 * the 4-byte header, before the body is buffered, so a peer cannot park a
 * large partial message (decode_error, as OpenSSL and node:tls).
 */
export class HandshakeJoiner {
  /** What is buffered; none while nothing is (most of a connection's life: handshake messages are rare after the handshake). */
  private queue: ByteQueue | null = null;
  private readonly limit: MessageSizeLimit;
  private readonly max: number;
  private failed: TlsError | null = null;

  /**
   * `maxMessageSize`: one cap for every type (default 128 KiB); `limit`: a cap
   * per type (see MessageSizeLimit, which is given maxMessageSize), which takes precedence.
   * @throws {RangeError} if opts.maxMessageSize is not an integer in 0..2^24-1 (checked when it is the cap: no `limit`)
   */
  constructor(opts?: { maxMessageSize?: number; limit?: MessageSizeLimit }) {
    const max = opts?.maxMessageSize ?? DEFAULT_MAX_HANDSHAKE_MESSAGE;
    if (!opts?.limit && (!Number.isInteger(max) || max < 0 || max > 0xffffff)) {
      throw new RangeError('HandshakeJoiner: maxMessageSize must be an integer in 0..16777215');
    }
    this.max = max;
    this.limit = opts?.limit ?? uniform;
  }

  /**
   * Append the fragment of one handshake record (kept by reference).
   * @throws {TlsError} decode_error when a message header now visible declares
   *   more than its type's limit; unexpected_message for a type never received here
   */
  push(fragment: Uint8Array): void {
    if (!(fragment instanceof Uint8Array)) throw new TypeError('HandshakeJoiner.push: fragment must be a Uint8Array');
    if (this.failed) throw this.failed;
    if (fragment.length === 0) return;
    (this.queue ??= new ByteQueue()).push(fragment);
    this.headLength();
  }

  /**
   * The next complete message, or null when more fragments are needed.
   * @throws {TlsError} as push
   */
  next(): HandshakeMessage | null {
    if (this.failed) throw this.failed;
    const length = this.headLength();
    const q = this.queue;
    if (length < 0 || !q || q.length < HANDSHAKE_HEADER_LENGTH + length) return null;
    const raw = q.take(HANDSHAKE_HEADER_LENGTH + length);
    if (q.length === 0) this.queue = null;
    return { type: raw[0] as HandshakeType, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
  }

  /**
   * True when no partial message is buffered: RFC 8446 §5.1 requires a key
   * change to fall on a record boundary with no message spanning it.
   */
  get isEmpty(): boolean {
    return this.queue === null;
  }

  /** Bytes buffered (the head of at most one partial message, plus whole ones). */
  get buffered(): number {
    return this.queue?.length ?? 0;
  }

  /** Body length of the first buffered message, -1 if its header is incomplete. */
  private headLength(): number {
    const q = this.queue;
    if (!q || q.length < HANDSHAKE_HEADER_LENGTH) return -1;
    const h = q.peek(HANDSHAKE_HEADER_LENGTH);
    const length = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
    const max = this.limit(h[0]!, this.max);
    if (max < 0) {
      this.failed = TlsError.unexpected(`handshake message of type ${h[0]} is not expected here`);
      throw this.failed;
    }
    // RFC 8446 §6 / RFC 5246 §7.2: a length beyond what the message can hold is a decode_error.
    if (length > max) {
      this.failed = TlsError.decode(`handshake message too large: type ${h[0]} declares ${length} bytes (limit ${max})`);
      throw this.failed;
    }
    return length;
  }
}
