import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.js';
import { hashLength } from '../crypto/provider.js';
import { hkdfExpandLabel } from '../crypto/tls13-kdf.js';
import { wipe } from '../common/bytes.js';

/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1), one stage at a time:
 * early secret → handshake secret → master secret. Each stage's secret is
 * wiped once the next one is derived.
 */
export class KeySchedule13 {
  private readonly hashLen: number;
  private readonly emptyHash: Uint8Array;
  private current: Uint8Array;
  private stage: 'early' | 'handshake' | 'master' = 'early';

  constructor(
    private readonly provider: CryptoProvider,
    readonly hash: HashAlgorithm,
    psk?: Uint8Array,
  ) {
    this.hashLen = hashLength[hash];
    this.emptyHash = provider.hash(hash).digest();
    this.current = provider.hkdfExtract(hash, new Uint8Array(this.hashLen), psk ?? new Uint8Array(this.hashLen));
  }

  /** The secret of the current stage (for tests and the RFC 8448 known answers). */
  get secret(): Uint8Array {
    return this.current;
  }

  expandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
    return hkdfExpandLabel(this.provider, this.hash, secret, label, context, length);
  }

  /** Derive-Secret(current, label, transcriptHash). */
  derive(label: string, transcriptHash: Uint8Array): Uint8Array {
    return this.expandLabel(this.current, label, transcriptHash, this.hashLen);
  }

  private next(ikm: Uint8Array): void {
    const salt = this.derive('derived', this.emptyHash);
    const prev = this.current;
    this.current = this.provider.hkdfExtract(this.hash, salt, ikm);
    wipe(prev, salt);
  }

  /** Early → handshake secret with the (EC)DHE shared secret. */
  toHandshake(sharedSecret: Uint8Array): void {
    if (this.stage !== 'early') throw new Error('key schedule: not at early stage');
    this.next(sharedSecret);
    this.stage = 'handshake';
  }

  /** Handshake → master secret. */
  toMaster(): void {
    if (this.stage !== 'handshake') throw new Error('key schedule: not at handshake stage');
    this.next(new Uint8Array(this.hashLen));
    this.stage = 'master';
  }

  /** binder_key (RFC 8446 §7.1) at the early stage. */
  binderKey(external: boolean): Uint8Array {
    return this.derive(external ? 'ext binder' : 'res binder', this.emptyHash);
  }

  /** RFC 8446 §4.4.4: HMAC(finished_key, transcript hash). */
  finishedVerifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    const finishedKey = this.expandLabel(baseKey, 'finished', new Uint8Array(0), this.hashLen);
    const out = this.provider.hmac(this.hash, finishedKey, transcriptHash);
    wipe(finishedKey);
    return out;
  }

  /** RFC 8446 §7.5 exporter, from an exporter_master_secret. */
  exportKeyingMaterial(exporterMaster: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
    return exportKeyingMaterial13(this.provider, this.hash, exporterMaster, label, context, length);
  }
}

/**
 * RFC 8446 §7.5: HKDF-Expand-Label(Derive-Secret(exporter_master_secret,
 * label, ""), "exporter", Hash(context), length). Needs no key schedule, so
 * a connection at rest keeps only the exporter master (not the master secret).
 */
export function exportKeyingMaterial13(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  exporterMaster: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const ctxHash = provider.hash(hash);
  ctxHash.update(context);
  const secret = hkdfExpandLabel(provider, hash, exporterMaster, label, provider.hash(hash).digest(), hashLength[hash]);
  const out = hkdfExpandLabel(provider, hash, secret, 'exporter', ctxHash.digest(), length);
  wipe(secret);
  return out;
}
