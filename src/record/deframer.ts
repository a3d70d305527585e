import { ByteQueue } from '../common/bytes.js';
import { MAX_CIPHERTEXT_12 } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';

/** RFC 8446 §5.1 TLSPlaintext / §5.2 TLSCiphertext header length. */
export const RECORD_HEADER_LENGTH = 5;

/** One record as it came off the wire, not yet decrypted. */
export interface RawRecord {
  /** Outer content type (20..23). */
  readonly type: number;
  /** legacy_record_version; informational only (RFC 8446 §5.1). */
  readonly version: number;
  /** The 5-byte header: the TLS 1.3 AEAD additional data (RFC 8446 §5.2). */
  readonly header: Uint8Array;
  readonly fragment: Uint8Array;
}

/**
 * Cuts a byte stream into records. Bytes are held by reference (ByteQueue):
 * a record that lies inside one pushed chunk is returned as subarrays of it,
 * a record that spans chunks costs one copy of that record.
 *
 * Header checks run as soon as the header bytes are present, before the
 * fragment is buffered, so a peer cannot make us hold more than one record.
 */
export class RecordDeframer {
  /** What is buffered; none between records (a connection at rest keeps no queue). */
  private queue: ByteQueue | null = null;
  private maxFragment: number;
  /** The error that ended this stream; every later call throws it again. */
  private failed: TlsError | null = null;

  /** @throws {RangeError} if opts.maxFragment is not an integer in 0..2^16-1 */
  constructor(opts?: { maxFragment?: number }) {
    this.maxFragment = checkMax(opts?.maxFragment ?? MAX_CIPHERTEXT_12, 'RecordDeframer: maxFragment');
  }

  /**
   * Set the largest accepted fragment length (2^14 + 256 once TLS 1.3 is
   * negotiated, RFC 8446 §5.2). @throws {RangeError} if n is not in 0..2^16-1
   */
  setMaxFragment(n: number): void {
    this.maxFragment = checkMax(n, 'setMaxFragment: n');
  }

  /** Append bytes read from the transport (kept by reference, not copied). */
  push(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('RecordDeframer.push: bytes must be a Uint8Array');
    if (this.failed) throw this.failed;
    if (bytes.length === 0) return;
    (this.queue ??= new ByteQueue()).push(bytes);
  }

  /**
   * The next complete record, or null when more bytes are needed.
   * @throws {TlsError} unexpected_message (unknown content type, RFC 8446 §5),
   *   protocol_version (not a TLS record version), record_overflow (length
   *   over the limit, RFC 8446 §5.1/§5.2).
   */
  next(): RawRecord | null {
    if (this.failed) throw this.failed;
    const q = this.queue;
    if (!q) return null;
    const have = q.length;
    // Check what we have of the header byte by byte, so garbage (HTTP, SSLv2)
    // fails on its first byte instead of waiting for a length it never means.
    const head = q.peek(have < RECORD_HEADER_LENGTH ? have : RECORD_HEADER_LENGTH);
    const type = head[0]!;
    // RFC 8446 §5: a record type we do not know → unexpected_message.
    if (type < 20 || type > 23) return this.fail(TlsError.unexpected(`unknown record content type ${type}`));
    if (have < 2) return null;
    if (head[1] !== 3) {
      const v = `${head[1]}.${head[2] ?? '?'}`;
      return this.fail(TlsError.alert(AlertDescription.protocol_version, `record version ${v} is not TLS`));
    }
    if (have < RECORD_HEADER_LENGTH) return null;
    const length = (head[3]! << 8) | head[4]!;
    // RFC 8446 §5.1/§5.2, RFC 5246 §6.2: a longer record → record_overflow.
    if (length > this.maxFragment) {
      const detail = `record of ${length} bytes exceeds ${this.maxFragment}`;
      return this.fail(TlsError.alert(AlertDescription.record_overflow, detail));
    }
    const total = RECORD_HEADER_LENGTH + length;
    if (have < total) return null;
    const bytes = q.take(total); // a subarray when the record sits in one chunk
    if (q.length === 0) this.queue = null;
    return {
      type,
      version: (head[1] << 8) | head[2]!,
      header: bytes.subarray(0, RECORD_HEADER_LENGTH),
      fragment: bytes.subarray(RECORD_HEADER_LENGTH),
    };
  }

  /** Bytes pushed and not yet returned as records. */
  get buffered(): number {
    return this.queue?.length ?? 0;
  }

  private fail(e: TlsError): never {
    this.failed = e;
    throw e;
  }
}

function checkMax(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${name} must be an integer in 0..65535`);
  return n;
}
