import { MAX_CIPHERTEXT_12, MAX_PLAINTEXT } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, type Aead, type CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { aeadSealTo, RECORD_VERSION_12, type RecordCipher, writeHeader, writeSeq, xorNonce } from './cipher.js';
import { RECORD_HEADER_LENGTH, type RawRecord } from './deframer.js';

/** RFC 5246 §6.2.3.3 additional_data: seq_num(8) || type(1) || version(2) || length(2). */
const AAD_LENGTH_12 = 13;

/**
 * TLS 1.2 AEAD record protection under one key (RFC 5246 §6.2.3.3).
 * - AES-GCM (RFC 5288 §3): nonce = 4-byte implicit salt || 8-byte explicit
 *   nonce carried in front of the ciphertext; we send the sequence number
 *   as the explicit part (never repeats under one key).
 * - ChaCha20-Poly1305 (RFC 7905 §2): nonce = 12-byte fixed IV XOR the
 *   left-padded sequence number; no explicit nonce.
 */
export class Tls12AeadCipher implements RecordCipher {
  readonly version = '1.2' as const;
  private readonly aead: Aead;
  private readonly key: Uint8Array;
  private readonly fixedIv: Uint8Array;
  /** Bytes of explicit nonce on the wire: 8 for GCM, 0 for ChaCha20. */
  private readonly explicit: number;
  /** Per-record scratch: the nonce and the additional data, rewritten for each record. */
  private readonly nonce = new Uint8Array(AEAD_NONCE_LENGTH);
  private readonly aad = new Uint8Array(AAD_LENGTH_12);

  /**
   * Key and IV are copied (and wiped on retirement).
   * @throws {RangeError} if the suite is not TLS 1.2 or a length does not match it
   */
  constructor(provider: CryptoProvider, suite: SuiteInfo, key: Uint8Array, fixedIv: Uint8Array) {
    if (suite.version !== '1.2') throw new RangeError(`Tls12AeadCipher: ${suite.name} is not a TLS 1.2 suite`);
    if (key.length !== suite.keyLength) throw new RangeError(`Tls12AeadCipher: key must be ${suite.keyLength} bytes`);
    if (fixedIv.length !== suite.fixedIvLength) {
      throw new RangeError(`Tls12AeadCipher: fixedIv must be ${suite.fixedIvLength} bytes`);
    }
    this.key = key.slice();
    this.fixedIv = fixedIv.slice();
    this.explicit = AEAD_NONCE_LENGTH - suite.fixedIvLength;
    this.aead = provider.aead(suite.aead, this.key);
  }

  sealedLength(dataLength: number): number {
    return RECORD_HEADER_LENGTH + this.explicit + dataLength + AEAD_TAG_LENGTH;
  }

  maxPadding(): number {
    return 0;
  }

  sealInto(out: Uint8Array, offset: number, seq: bigint, type: number, data: Uint8Array): number {
    const length = this.explicit + data.length + AEAD_TAG_LENGTH;
    writeHeader(out, offset, type, RECORD_VERSION_12, length);
    if (this.explicit > 0) writeSeq(out, offset + RECORD_HEADER_LENGTH, seq); // RFC 5288 §3: the explicit nonce goes on the wire in front of the ciphertext.
    const nonce = this.nonceFor(seq, out.subarray(offset + RECORD_HEADER_LENGTH, offset + RECORD_HEADER_LENGTH + this.explicit));
    const aad = aad12(this.aad, seq, type, RECORD_VERSION_12, data.length);
    aeadSealTo(this.aead, nonce, data, aad, out, offset + RECORD_HEADER_LENGTH + this.explicit);
    return offset + RECORD_HEADER_LENGTH + length;
  }

  open(seq: bigint, rec: RawRecord): { type: number; data: Uint8Array } {
    const f = rec.fragment;
    // RFC 5246 §6.2.3: TLSCiphertext.length over 2^14 + 2048 → record_overflow.
    if (f.length > MAX_CIPHERTEXT_12) {
      throw TlsError.alert(AlertDescription.record_overflow, `protected record of ${f.length} bytes`);
    }
    if (f.length < this.explicit + AEAD_TAG_LENGTH) {
      throw TlsError.alert(AlertDescription.bad_record_mac, 'record too short');
    }
    const plainLength = f.length - this.explicit - AEAD_TAG_LENGTH;
    // RFC 5246 §6.2.3: a TLSCompressed (here plaintext) longer than 2^14 → record_overflow.
    if (plainLength > MAX_PLAINTEXT) {
      throw TlsError.alert(AlertDescription.record_overflow, `record plaintext of ${plainLength} bytes`);
    }
    const nonce = this.nonceFor(seq, f.subarray(0, this.explicit));
    const aad = aad12(this.aad, seq, rec.type, rec.version, plainLength);
    const data = this.aead.open(nonce, f.subarray(this.explicit), aad);
    // RFC 5246 §6.2.3.3: authentication failure → bad_record_mac.
    if (data === null) throw TlsError.alert(AlertDescription.bad_record_mac, 'record authentication failed');
    return { type: rec.type, data };
  }

  /**
   * The record's nonce in this cipher's scratch (the AEADs copy it): the fixed
   * IV XOR the sequence number (ChaCha20-Poly1305), or the 4-byte salt and
   * the record's 8-byte explicit nonce (AES-GCM).
   */
  private nonceFor(seq: bigint, explicitNonce: Uint8Array): Uint8Array {
    if (this.explicit === 0) return xorNonce(this.fixedIv, seq, this.nonce);
    this.nonce.set(this.fixedIv);
    this.nonce.set(explicitNonce, 4);
    return this.nonce;
  }

  wipe(): void {
    this.key.fill(0);
    this.fixedIv.fill(0);
    this.nonce.fill(0);
  }
}

/** RFC 5246 §6.2.3.3 additional_data, written into `aad` (a cipher's scratch). */
function aad12(aad: Uint8Array, seq: bigint, type: number, version: number, length: number): Uint8Array {
  writeSeq(aad, 0, seq);
  aad[8] = type;
  aad[9] = version >>> 8;
  aad[10] = version;
  aad[11] = length >>> 8;
  aad[12] = length;
  return aad;
}
