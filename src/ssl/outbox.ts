import { concat } from '../common/bytes.js';
import { ContentType, MAX_PLAINTEXT } from '../common/constants.js';
import { AlertLevel } from '../common/errors.js';
import { SendProtection } from '../record/protection.js';

const CCS_RECORD = new Uint8Array([ContentType.change_cipher_spec, 3, 3, 0, 1, 1]);
const CCS_BODY = new Uint8Array([1]);

/**
 * Our side of the wire: handshake messages waiting to be sealed (coalesced
 * into as few records as fit, so a flight is one write), sealed records
 * waiting for takeOutgoing, and the current send protection. A change of
 * protection seals what is queued under the old one first.
 */
export class Outbox {
  private records: Uint8Array[] = [];
  private handshake: Uint8Array[] = [];
  private prot: SendProtection = SendProtection.plaintext();
  /** Largest plaintext per record (setMaxSendFragment, the peer's record_size_limit). */
  maxFragment = MAX_PLAINTEXT;

  get protection(): SendProtection {
    return this.prot;
  }

  get hasOutput(): boolean {
    return this.records.length > 0 || this.handshake.length > 0;
  }

  queueHandshake(raw: Uint8Array): void {
    this.handshake.push(raw);
  }

  /** Seal the queued handshake messages under the current protection. */
  sealHandshake(): void {
    if (this.handshake.length === 0) return;
    const data = concat(...this.handshake);
    this.handshake = [];
    this.records.push(this.prot.sealAll(ContentType.handshake, data, this.maxFragment));
  }

  /** A middlebox-compat ChangeCipherSpec, always plaintext (RFC 8446 Appendix D.4). */
  changeCipherSpec(): void {
    this.sealHandshake();
    this.records.push(CCS_RECORD);
  }

  /** TLS 1.2 ChangeCipherSpec under the current keys (plaintext only in a first handshake), then `next` (RFC 5246 §7.1). */
  changeCipherSpec12(next: SendProtection): void {
    this.sealHandshake();
    this.records.push(this.prot.seal(ContentType.change_cipher_spec, CCS_BODY));
    this.prot = next;
  }

  switchProtection(p: SendProtection): void {
    this.sealHandshake();
    this.prot = p;
  }

  /** Application data, after any handshake messages queued before it (a KeyUpdate, tickets). */
  application(data: Uint8Array): void {
    this.sealHandshake();
    this.records.push(this.prot.sealAll(ContentType.application_data, data, this.maxFragment));
  }

  alert(level: number, description: number): void {
    this.sealHandshake();
    this.records.push(this.prot.seal(ContentType.alert, new Uint8Array([level, description])));
  }

  /** After a fatal error: drop unsent handshake bytes and queue the fatal alert if it can still be sealed. */
  fatal(description: number): void {
    this.handshake = [];
    try {
      this.records.push(this.prot.seal(ContentType.alert, new Uint8Array([AlertLevel.fatal, description])));
    } catch {
      // nothing more we can send
    }
  }

  /** Everything sealed so far as one buffer, or null. */
  take(): Uint8Array | null {
    if (this.records.length === 0) return null;
    const all = concat(...this.records);
    this.records = [];
    return all;
  }
}
