import { ContentType, MAX_CIPHERTEXT_13 } from '../common/constants.js';
import { AlertDescription, AlertLevel, TlsError } from '../common/errors.js';
import type { TlsLimits } from '../handshake/config.js';
import { handshakeMessageLimit } from '../handshake/message-limits.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { RecordDeframer, type RawRecord } from '../record/deframer.js';
import { HandshakeJoiner } from '../record/joiner.js';
import { ReceiveProtection } from '../record/protection.js';

/** The AEAD tag of every suite we speak (RFC 5116 AES-GCM, RFC 8439 ChaCha20-Poly1305). */
const AEAD_TAG_LENGTH = 16;

/**
 * RFC 8446 §4.2.10: early data we did not accept is skipped, up to
 * max_early_data_size bytes. We issue no tickets that allow early data, so
 * the bound is 16 KiB (as rustls and OpenSSL use by default).
 */
export const MAX_SKIPPED_EARLY_DATA = 16384;

/** What the connection does with what the record layer found. */
export interface InboundSink {
  /** A complete handshake message. */
  handshakeMessage(msg: HandshakeMessage): void;
  /** An alert (level, description), already checked for framing. */
  alert(level: number, description: number): void;
  /** Decrypted application data (possibly empty). */
  applicationData(data: Uint8Array): void;
  /** A ChangeCipherSpec: TLS 1.2's, or TLS 1.3's compat one (RFC 8446 §5), which the sink counts. */
  changeCipherSpec(): void;
}

/**
 * The peer's side of the wire: record framing, the current receive
 * protection, handshake reassembly, and the record-level rules of both
 * versions in one place: RFC 8446 §5 (what may arrive in plaintext, the
 * compat CCS, interleaving, early data we skip, RFC 8449 record_size_limit)
 * and RFC 5246 §6 (under TLS 1.2 keys every record is protected, CCS included).
 */
export class Inbound {
  private readonly deframer = new RecordDeframer();
  private readonly joiner: HandshakeJoiner;
  private prot: ReceiveProtection = ReceiveProtection.plaintext();
  /** A protected record has been opened: from now on nothing but the compat CCS may be plaintext. */
  private receivedProtected = false;
  /** Early data we rejected and skip (RFC 8446 §4.2.10). */
  private earlySkip: { mode: 'hrr' | 'trial'; remaining: number } | null = null;
  /** RFC 8449: the limit we announced, once the peer has agreed to it (it applies to protected records). */
  private ownRecordLimit: number | undefined;

  constructor(
    limits: TlsLimits,
    private readonly sink: InboundSink,
  ) {
    this.joiner = new HandshakeJoiner({ maxMessageSize: limits.maxHandshakeMessageSize, limit: handshakeMessageLimit });
  }

  get protection(): ReceiveProtection {
    return this.prot;
  }

  /** No partial handshake message is buffered (RFC 8446 §5.1 key-change rule). */
  get handshakeAligned(): boolean {
    return this.joiner.isEmpty;
  }

  /** Switch the peer's keys; RFC 8446 §5.1: fails if a handshake message spans the change. */
  setProtection(p: ReceiveProtection): void {
    if (!this.joiner.isEmpty) throw TlsError.unexpected('handshake data spans a key change');
    this.prot = p;
    // RFC 8446 §5.2: a protected TLS 1.3 record is at most 2^14 + 256 bytes.
    if (p.protocol === '1.3') this.deframer.setMaxFragment(MAX_CIPHERTEXT_13);
  }

  /**
   * Server: the client offered early data we do not accept. 'trial' (1-RTT
   * answer): records that fail to decrypt under the handshake key are
   * dropped; 'hrr' (after a HelloRetryRequest): application_data records
   * before the second ClientHello are dropped. Both up to MAX_SKIPPED_EARLY_DATA.
   */
  skipEarlyData(mode: 'hrr' | 'trial'): void {
    this.earlySkip = { mode, remaining: MAX_SKIPPED_EARLY_DATA };
  }

  /** RFC 8449 §4: protected records over the limit we announced are record_overflow. */
  enforceRecordSizeLimit(limit: number): void {
    this.ownRecordLimit = limit;
  }

  push(bytes: Uint8Array): void {
    this.deframer.push(bytes);
  }

  /** Process complete records while `more()` says so. */
  process(more: () => boolean): void {
    let rec: RawRecord | null;
    while (more() && (rec = this.deframer.next())) this.record(rec);
  }

  private record(rec: RawRecord): void {
    const prot = this.prot;
    // RFC 5246 §6.2: under TLS 1.2 keys every record is protected, ChangeCipherSpec
    // and alerts too (a renegotiation's CCS is encrypted), and keeps its real type.
    if (prot.protocol === '1.2') return this.dispatch(this.open(rec)!);
    if (rec.type === ContentType.change_cipher_spec) return this.changeCipherSpec(rec.fragment);
    if (prot.encrypted && rec.type !== ContentType.application_data) {
      // A peer that fails before it has our keys can only send its alert in plaintext;
      // accepted until its first protected record (rustls's rule), so the real reason is reported.
      if (rec.type === ContentType.alert && !this.receivedProtected) return this.alertRecord(rec.fragment);
      // RFC 8446 §5: after that, only the compat CCS may travel unprotected.
      throw TlsError.unexpected(`unprotected record of type ${rec.type} after encryption started`);
    }
    if (this.earlySkip?.mode === 'hrr' && !prot.encrypted && rec.type === ContentType.application_data) {
      this.skip(rec); // RFC 8446 §4.2.10: 0-RTT sent before our HelloRetryRequest
      return;
    }
    const opened = this.open(rec);
    if (opened !== null) this.dispatch(opened);
  }

  private dispatch({ type, data }: { type: number; data: Uint8Array }): void {
    // RFC 8446 §5.1, RFC 5246 §6.2.1: handshake messages may not be interleaved with other record types.
    if (type !== ContentType.handshake && !this.joiner.isEmpty) throw TlsError.unexpected('record interleaved with a fragmented handshake message');
    switch (type) {
      case ContentType.handshake:
        return this.handshakeRecord(data);
      case ContentType.alert:
        return this.alertRecord(data);
      case ContentType.application_data:
        return this.sink.applicationData(data);
      case ContentType.change_cipher_spec:
        return this.changeCipherSpec(data);
      default:
        throw TlsError.unexpected(`record type ${type}`);
    }
  }

  /** Decrypt (or pass through) one record; null when it was skipped early data. */
  private open(rec: RawRecord): { type: number; data: Uint8Array } | null {
    const prot = this.prot;
    if (!prot.encrypted) return prot.open(rec);
    // RFC 8449 §4: the limit counts the inner plaintext (content, type, padding).
    if (this.ownRecordLimit !== undefined && rec.fragment.length - AEAD_TAG_LENGTH > this.ownRecordLimit) {
      throw TlsError.alert(AlertDescription.record_overflow, `protected record over our record_size_limit of ${this.ownRecordLimit}`);
    }
    let opened: { type: number; data: Uint8Array };
    if (this.earlySkip?.mode === 'trial') {
      try {
        opened = prot.open(rec);
      } catch (e) {
        // RFC 8446 §4.2.10: records that fail deprotection are rejected early data.
        if (e instanceof TlsError && e.alert === AlertDescription.bad_record_mac) return this.skip(rec);
        throw e;
      }
      this.earlySkip = null;
    } else {
      opened = prot.open(rec);
    }
    this.receivedProtected = true;
    return opened;
  }

  /** Drop one record of rejected early data; past the bound, bad_record_mac (RFC 8446 §4.2.10). */
  private skip(rec: RawRecord): null {
    const skip = this.earlySkip!;
    // Count what the record could carry (tag and type excluded), at least 1 so empty records are bounded too.
    skip.remaining -= Math.max(1, rec.fragment.length - AEAD_TAG_LENGTH - 1);
    if (skip.remaining < 0) throw TlsError.alert(AlertDescription.bad_record_mac, 'more undecryptable early data than we allow');
    return null;
  }

  /**
   * ChangeCipherSpec: TLS 1.2's protocol message, or TLS 1.3's compat record
   * (RFC 8446 §5); the sink decides whether one may come now.
   */
  private changeCipherSpec(fragment: Uint8Array): void {
    if (fragment.length !== 1 || fragment[0] !== 1) throw TlsError.unexpected('bad ChangeCipherSpec');
    // RFC 8446 §5.1, RFC 5246 §7.1: not in the middle of a fragmented handshake message.
    if (!this.joiner.isEmpty) throw TlsError.unexpected('ChangeCipherSpec inside a fragmented handshake message');
    this.sink.changeCipherSpec();
  }

  private handshakeRecord(data: Uint8Array): void {
    // RFC 8446 §5.1: zero-length handshake fragments are not allowed.
    if (data.length === 0) throw TlsError.unexpected('empty handshake record');
    if (this.earlySkip?.mode === 'hrr') this.earlySkip = null; // the second ClientHello: no 0-RTT follows it
    this.joiner.push(data);
    let msg: HandshakeMessage | null;
    while ((msg = this.joiner.next())) this.sink.handshakeMessage(msg);
  }

  private alertRecord(data: Uint8Array): void {
    // RFC 8446 §5.1: alerts are neither fragmented nor coalesced.
    if (data.length !== 2) throw TlsError.decode('alert record must be 2 bytes');
    const [level, description] = [data[0]!, data[1]!];
    if (level !== AlertLevel.warning && level !== AlertLevel.fatal) throw TlsError.illegal('bad alert level');
    this.sink.alert(level, description);
  }
}
