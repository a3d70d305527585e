import { ContentType, MAX_CIPHERTEXT_13, MAX_PLAINTEXT } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, type Aead, type CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { nextTrafficSecret, trafficKeys } from '../crypto/tls13-kdf.js';
import { aeadSealTo, RECORD_VERSION_12, type RecordCipher, writeHeader, xorNonce } from './cipher.js';
import { RECORD_HEADER_LENGTH, type RawRecord } from './deframer.js';

/** RFC 8446 §5.4: TLSInnerPlaintext is content || type || zeros, at most 2^14 + 1 bytes. */
export const MAX_INNER_PLAINTEXT_13 = MAX_PLAINTEXT + 1;

/**
 * TLS 1.3 record protection under one traffic secret (RFC 8446 §5.2–§5.4).
 * Key and IV come from the secret (§7.3); the AEAD is set up once here.
 */
export class Tls13Cipher implements RecordCipher {
  readonly version = '1.3' as const;
  private readonly aead: Aead;
  private readonly key: Uint8Array;
  private readonly iv: Uint8Array;
  private readonly secret: Uint8Array;
  /** The per-record nonce, rewritten for each record (the AEADs copy it; nothing keeps it). */
  private readonly nonce = new Uint8Array(AEAD_NONCE_LENGTH);

  /** The secret is copied; the copy is wiped when this cipher is retired. */
  constructor(
    private readonly provider: CryptoProvider,
    private readonly suite: SuiteInfo,
    trafficSecret: Uint8Array,
  ) {
    this.secret = trafficSecret.slice();
    const { key, iv } = trafficKeys(provider, suite.hash, this.secret, suite.keyLength, AEAD_NONCE_LENGTH);
    this.key = key;
    this.iv = iv;
    this.aead = provider.aead(suite.aead, key);
  }

  /** A copy of the traffic secret. */
  trafficSecret(): Uint8Array {
    return this.secret.slice();
  }

  /** RFC 8446 §7.2: the cipher for application_traffic_secret_N+1. Does not wipe this one. */
  next(): Tls13Cipher {
    const secret = nextTrafficSecret(this.provider, this.suite.hash, this.secret);
    const c = new Tls13Cipher(this.provider, this.suite, secret);
    secret.fill(0);
    return c;
  }

  sealedLength(dataLength: number, padding: number): number {
    return RECORD_HEADER_LENGTH + dataLength + 1 + padding + AEAD_TAG_LENGTH;
  }

  maxPadding(dataLength: number): number {
    return MAX_INNER_PLAINTEXT_13 - 1 - dataLength;
  }

  sealInto(out: Uint8Array, offset: number, seq: bigint, type: number, data: Uint8Array, padding: number): number {
    const n = data.length;
    const innerLength = n + 1 + padding;
    const length = innerLength + AEAD_TAG_LENGTH;
    // Outer header: opaque_type application_data, legacy_record_version 0x0303; it is the AAD.
    writeHeader(out, offset, ContentType.application_data, RECORD_VERSION_12, length);
    const body = offset + RECORD_HEADER_LENGTH;
    // RFC 8446 §5.2: TLSInnerPlaintext = content || real type || zeros, built where the record goes and sealed in place.
    const inner = out.subarray(body, body + innerLength);
    inner.set(data);
    inner[n] = type;
    if (padding > 0) inner.fill(0, n + 1);
    aeadSealTo(this.aead, xorNonce(this.iv, seq, this.nonce), inner, out.subarray(offset, body), out, body);
    return body + length;
  }

  open(seq: bigint, rec: RawRecord): { type: number; data: Uint8Array } {
    // RFC 8446 §5.2: protected records travel as application_data (CCS is handled by the caller).
    if (rec.type !== ContentType.application_data) {
      throw TlsError.unexpected(`record type ${rec.type} where a protected record was expected`);
    }
    const f = rec.fragment;
    // RFC 8446 §5.2: TLSCiphertext.length over 2^14 + 256, or an inner plaintext
    // that would exceed 2^14 + 1 (§5.4), → record_overflow.
    if (f.length > MAX_CIPHERTEXT_13 || f.length - AEAD_TAG_LENGTH > MAX_INNER_PLAINTEXT_13) {
      throw TlsError.alert(AlertDescription.record_overflow, `protected record of ${f.length} bytes`);
    }
    // RFC 8446 §5.2: failed deprotection → bad_record_mac.
    if (f.length < AEAD_TAG_LENGTH) throw TlsError.alert(AlertDescription.bad_record_mac, 'record too short');
    const inner = this.aead.open(xorNonce(this.iv, seq, this.nonce), f, rec.header);
    if (inner === null) throw TlsError.alert(AlertDescription.bad_record_mac, 'record authentication failed');
    const end = lastNonZero(inner);
    // RFC 8446 §5.4: no non-zero octet (no content type) → unexpected_message.
    if (end < 0) throw TlsError.unexpected('protected record without a content type');
    const type = inner[end]!;
    // RFC 8446 §5: unknown inner types and a protected change_cipher_spec → unexpected_message.
    if (type !== ContentType.alert && type !== ContentType.handshake && type !== ContentType.application_data) {
      throw TlsError.unexpected(`protected record of content type ${type}`);
    }
    return { type, data: inner.subarray(0, end) };
  }

  wipe(): void {
    this.secret.fill(0);
    this.key.fill(0);
    this.iv.fill(0);
    this.nonce.fill(0);
  }
}

/**
 * Index of the last non-zero byte, or -1. Scans back over the padding only,
 * 32 bits at a time on the aligned part (padding is usually absent: the first
 * test returns).
 */
export function lastNonZero(b: Uint8Array): number {
  let end = b.length; // candidates are b[0..end)
  if (end > 0 && b[end - 1] !== 0) return end - 1;
  while (end > 0 && ((b.byteOffset + end) & 3) !== 0) {
    if (b[end - 1] !== 0) return end - 1;
    end--;
  }
  const firstWord = (b.byteOffset + 3) >>> 2;
  const endWord = (b.byteOffset + end) >>> 2;
  if (endWord > firstWord) {
    const words = new Uint32Array(b.buffer, firstWord << 2, endWord - firstWord);
    let w = words.length - 1;
    while (w >= 0 && words[w] === 0) w--;
    end = ((firstWord + w + 1) << 2) - b.byteOffset;
  }
  while (end > 0) {
    if (b[end - 1] !== 0) return end - 1;
    end--;
  }
  return -1;
}
