import { EMPTY } from '../common/bytes.js';
import { ContentType, MAX_PLAINTEXT } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { MAX_SEQUENCE, RECORD_VERSION_12, type RecordCipher, writeHeader } from './cipher.js';
import { RECORD_HEADER_LENGTH, type RawRecord } from './deframer.js';
import { Tls12AeadCipher } from './protection12.js';
import { Tls13Cipher } from './protection13.js';

function disposed(): never {
  throw TlsError.invalidState('record protection used after dispose()');
}
/** Stands in for the cipher of a disposed direction. */
const DISPOSED: RecordCipher = {
  version: '1.3',
  sealedLength: () => 0,
  maxPadding: () => 0,
  sealInto: disposed,
  open: disposed,
  wipe: () => {},
};

/**
 * Record protection for one direction (STYLE §2): the cipher, its sequence
 * number and traffic secret, and the TLS 1.2 keys a ChangeCipherSpec arms.
 * A TLS 1.3 KeyUpdate ratchets exactly one direction.
 */
abstract class Direction {
  protected seq = 0n;
  /** TLS 1.2: keys prepared by the key exchange, switched on by changeCipherSpec12(). */
  private pending: RecordCipher | null = null;

  protected constructor(protected cipher: RecordCipher | null) {}

  /** False until keys are in use. */
  get encrypted(): boolean {
    return this.cipher !== null;
  }

  /** 'plaintext', '1.2' or '1.3'. */
  get protocol(): 'plaintext' | '1.2' | '1.3' {
    return this.cipher === null ? 'plaintext' : this.cipher.version;
  }

  /** A copy of the current TLS 1.3 traffic secret; null for plaintext and TLS 1.2. */
  get trafficSecret(): Uint8Array | null {
    return this.cipher instanceof Tls13Cipher ? this.cipher.trafficSecret() : null;
  }

  /** Records processed under the current key (the next record's sequence number). */
  get sequence(): bigint {
    return this.seq;
  }

  /** True when TLS 1.2 keys wait for a ChangeCipherSpec. */
  get hasPending12(): boolean {
    return this.pending !== null;
  }

  /**
   * RFC 8446 §7.2: move to the next application traffic secret
   * (HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)), new key and
   * IV, sequence 0; the old secret and keys are overwritten.
   * @throws {TlsError} internal_error when this direction has no TLS 1.3 keys
   */
  ratchet13(): void {
    if (!(this.cipher instanceof Tls13Cipher)) throw TlsError.internal('ratchet13: no TLS 1.3 traffic keys');
    this.install(this.cipher.next());
  }

  /**
   * TLS 1.2: prepare the keys the next ChangeCipherSpec switches on (RFC 5246 §7.1).
   * @throws {RangeError} if the suite is not TLS 1.2 or key/fixedIv lengths do not match it
   */
  setPending12(provider: CryptoProvider, suite: SuiteInfo, key: Uint8Array, fixedIv: Uint8Array): void {
    const next = new Tls12AeadCipher(provider, suite, key, fixedIv);
    this.pending?.wipe();
    this.pending = next;
  }

  /**
   * TLS 1.2 ChangeCipherSpec (sent or received): the pending keys take over
   * and the sequence number restarts at 0 (RFC 5246 §6.1).
   * @throws {TlsError} unexpected_message when no keys are pending (a CCS out of turn)
   */
  changeCipherSpec12(): void {
    if (this.pending === null) throw TlsError.unexpected('ChangeCipherSpec without pending keys');
    const next = this.pending;
    this.pending = null;
    this.install(next);
  }

  /** Overwrite every key held (at close). Any later seal or open throws invalid state. */
  dispose(): void {
    this.cipher?.wipe();
    this.pending?.wipe();
    this.pending = null;
    this.cipher = DISPOSED;
  }

  protected install(next: RecordCipher): void {
    this.cipher?.wipe();
    this.cipher = next;
    this.seq = 0n;
  }

  /** RFC 8446 §5.3, RFC 5246 §6.1: a sequence number never wraps. */
  protected checkSequence(records: bigint): void {
    if (this.seq + records - 1n > MAX_SEQUENCE) {
      throw TlsError.internal('record sequence number would wrap (RFC 8446 §5.3): a key update is required');
    }
  }
}

/** Our outgoing records. */
export class SendProtection extends Direction {
  private constructor(
    cipher: RecordCipher | null,
    private readonly recordVersion: number,
  ) {
    super(cipher);
  }

  /**
   * No protection (the initial state). `recordVersion` is the header's
   * legacy_record_version: 0x0303, or 0x0301 for an initial ClientHello
   * (RFC 8446 §5.1 allows it for compatibility).
   */
  static plaintext(recordVersion = RECORD_VERSION_12): SendProtection {
    if (recordVersion !== 0x0301 && recordVersion !== RECORD_VERSION_12) {
      throw new RangeError('SendProtection.plaintext: recordVersion must be 0x0301 or 0x0303');
    }
    return new SendProtection(null, recordVersion);
  }

  /** TLS 1.3 protection under `trafficSecret` (copied); key and IV per RFC 8446 §7.3. */
  static tls13(provider: CryptoProvider, suite: SuiteInfo, trafficSecret: Uint8Array): SendProtection {
    checkSuite13(suite, trafficSecret, provider, 'SendProtection.tls13');
    return new SendProtection(new Tls13Cipher(provider, suite, trafficSecret), RECORD_VERSION_12);
  }

  /**
   * TLS 1.2 AEAD protection, active at once (usually reached through
   * setPending12 + changeCipherSpec12 instead).
   * @throws {RangeError} if the suite is not TLS 1.2 or key/fixedIv lengths do not match it
   */
  static tls12(provider: CryptoProvider, suite: SuiteInfo, key: Uint8Array, fixedIv: Uint8Array): SendProtection {
    return new SendProtection(new Tls12AeadCipher(provider, suite, key, fixedIv), RECORD_VERSION_12);
  }

  /**
   * One record: header (the type, or application_data when TLS 1.3
   * protected; legacy_record_version; length) and fragment. TLS 1.3 inner
   * plaintext is data || type || `padding` zeros (RFC 8446 §5.4); padding is
   * ignored without TLS 1.3 protection.
   * @throws {RangeError} type not 20..23, data over 2^14 bytes, empty handshake/alert/CCS
   *   (RFC 8446 §5.1), or data plus padding beyond 2^14 + 1 inner bytes
   * @throws {TlsError} internal_error when the sequence number would wrap
   */
  seal(type: number, data: Uint8Array, padding = 0): Uint8Array {
    checkData(type, data, 'seal');
    checkPadding(padding, 'seal');
    const pad = this.cipher?.version === '1.3' ? padding : 0;
    if (pad > this.maxPadding(data.length)) {
      throw new RangeError(`seal: ${data.length} bytes plus ${padding} padding exceed 2^14 + 1 inner bytes`);
    }
    const out = new Uint8Array(this.recordLength(data.length, pad));
    this.sealAt(out, 0, type, data, pad);
    return out;
  }

  /**
   * Cut `data` into records of at most `maxFragment` bytes (default 2^14) and
   * seal each, into ONE buffer for one transport write. Empty application
   * data gives no records (an empty buffer). `padding` is added to each TLS
   * 1.3 record, reduced where a record would exceed 2^14 + 1 inner bytes. Under
   * an RFC 8449 record_size_limit L, pass maxFragment = L - 1 for TLS 1.3.
   * @throws {RangeError} as seal; maxFragment not an integer in 1..2^14
   * @throws {TlsError} internal_error when the sequence number would wrap
   */
  sealAll(type: number, data: Uint8Array, maxFragment = MAX_PLAINTEXT, padding = 0): Uint8Array {
    if (!(data instanceof Uint8Array)) throw new TypeError('sealAll: data must be a Uint8Array');
    if (!Number.isInteger(maxFragment) || maxFragment < 1 || maxFragment > MAX_PLAINTEXT) {
      throw new RangeError('sealAll: maxFragment must be an integer in 1..16384');
    }
    checkData(type, data.subarray(0, maxFragment), 'sealAll');
    checkPadding(padding, 'sealAll');
    const n = data.length;
    if (n === 0) return EMPTY; // application data only: checkData refused the other types
    const count = Math.ceil(n / maxFragment);
    if (this.cipher !== null) this.checkSequence(BigInt(count));
    // Every record is full but the last: size the one buffer up front.
    const last = n - (count - 1) * maxFragment;
    const fullPad = Math.min(padding, this.maxPadding(maxFragment));
    const lastPad = Math.min(padding, this.maxPadding(last));
    const out = new Uint8Array(
      (count - 1) * this.recordLength(maxFragment, fullPad) + this.recordLength(last, lastPad),
    );
    let at = 0;
    for (let o = 0; o < n; o += maxFragment) {
      const end = o + maxFragment < n ? o + maxFragment : n;
      at = this.sealAt(out, at, type, data.subarray(o, end), end === n ? lastPad : fullPad);
    }
    return out;
  }

  /** Padding a record of `dataLength` bytes may carry: 0 unless TLS 1.3 protected. */
  private maxPadding(dataLength: number): number {
    return this.cipher === null ? 0 : this.cipher.maxPadding(dataLength);
  }

  private recordLength(dataLength: number, padding: number): number {
    return this.cipher === null ? RECORD_HEADER_LENGTH + dataLength : this.cipher.sealedLength(dataLength, padding);
  }

  private sealAt(out: Uint8Array, offset: number, type: number, data: Uint8Array, padding: number): number {
    const c = this.cipher;
    if (c === null) {
      writeHeader(out, offset, type, this.recordVersion, data.length);
      out.set(data, offset + RECORD_HEADER_LENGTH);
      return offset + RECORD_HEADER_LENGTH + data.length;
    }
    this.checkSequence(1n);
    const end = c.sealInto(out, offset, this.seq, type, data, padding);
    this.seq++;
    return end;
  }
}

/** The peer's incoming records. */
export class ReceiveProtection extends Direction {
  private constructor(cipher: RecordCipher | null) {
    super(cipher);
  }

  static plaintext(): ReceiveProtection {
    return new ReceiveProtection(null);
  }

  /** TLS 1.3 protection under `trafficSecret` (copied); key and IV per RFC 8446 §7.3. */
  static tls13(provider: CryptoProvider, suite: SuiteInfo, trafficSecret: Uint8Array): ReceiveProtection {
    checkSuite13(suite, trafficSecret, provider, 'ReceiveProtection.tls13');
    return new ReceiveProtection(new Tls13Cipher(provider, suite, trafficSecret));
  }

  /** TLS 1.2 AEAD protection, active at once. @throws {RangeError} as SendProtection.tls12 */
  static tls12(provider: CryptoProvider, suite: SuiteInfo, key: Uint8Array, fixedIv: Uint8Array): ReceiveProtection {
    return new ReceiveProtection(new Tls12AeadCipher(provider, suite, key, fixedIv));
  }

  /**
   * Authenticate and decrypt one record; `data` may be a view into the
   * record or the decryption output (not copied).
   * @throws {TlsError} unexpected_message (TLS 1.3 outer type not
   *   application_data, no or unknown inner type, empty handshake/alert),
   *   bad_record_mac (authentication failed), record_overflow (too long)
   */
  open(rec: RawRecord): { type: number; data: Uint8Array } {
    const c = this.cipher;
    let out: { type: number; data: Uint8Array };
    if (c === null) {
      // RFC 8446 §5.1, RFC 5246 §6.2.1: TLSPlaintext.length over 2^14 → record_overflow.
      if (rec.fragment.length > MAX_PLAINTEXT) {
        throw TlsError.alert(AlertDescription.record_overflow, `plaintext record of ${rec.fragment.length} bytes`);
      }
      out = { type: rec.type, data: rec.fragment };
    } else {
      this.checkSequence(1n);
      out = c.open(this.seq, rec);
      this.seq++;
    }
    // RFC 8446 §5.1/§5.4, RFC 5246 §6.2.1: handshake and alert records are never empty.
    if (out.data.length === 0 && (out.type === ContentType.handshake || out.type === ContentType.alert)) {
      throw TlsError.unexpected(`empty ${out.type === ContentType.handshake ? 'handshake' : 'alert'} record`);
    }
    return out;
  }
}

function checkData(type: number, data: Uint8Array, fn: string): void {
  if (!(data instanceof Uint8Array)) throw new TypeError(`${fn}: data must be a Uint8Array`);
  if (!Number.isInteger(type) || type < ContentType.change_cipher_spec || type > ContentType.application_data) {
    throw new RangeError(`${fn}: type must be a content type 20..23`);
  }
  if (data.length > MAX_PLAINTEXT) throw new RangeError(`${fn}: data must be at most 16384 bytes`);
  // RFC 8446 §5.1 / RFC 5246 §6.2.1: no zero-length handshake, alert or CCS fragments.
  if (data.length === 0 && type !== ContentType.application_data) {
    throw new RangeError(`${fn}: a record of type ${type} must not be empty`);
  }
}

function checkPadding(padding: number, fn: string): number {
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`${fn}: padding must be a non-negative integer`);
  return padding;
}

function checkSuite13(suite: SuiteInfo, secret: Uint8Array, provider: CryptoProvider, fn: string): void {
  if (suite.version !== '1.3') throw new RangeError(`${fn}: ${suite.name} is not a TLS 1.3 suite`);
  if (!(secret instanceof Uint8Array) || secret.length === 0) throw new TypeError(`${fn}: trafficSecret must be bytes`);
  if (typeof provider?.aead !== 'function') throw new TypeError(`${fn}: provider must be a CryptoProvider`);
}
