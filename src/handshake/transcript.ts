import { concat } from '../common/bytes.js';
import { HandshakeType } from '../common/constants.js';
import type { CryptoProvider, HashAlgorithm, HashContext } from '../crypto/provider.js';

/**
 * The running transcript hash (RFC 8446 §4.4.1). Until the suite (and so the
 * hash) is known, raw messages are buffered; `start(hash)` hashes them.
 */
export class Transcript {
  private buffered: Uint8Array[] = [];
  private ctx: HashContext | null = null;
  /** TLS 1.2: the messages themselves, which a CertificateVerify signs (RFC 5246 §7.4.8). */
  private kept: Uint8Array[] | null = null;

  constructor(private readonly provider: CryptoProvider) {}

  get algorithm(): HashAlgorithm | null {
    return this.ctx?.algorithm ?? null;
  }

  start(hash: HashAlgorithm): void {
    if (this.ctx) return;
    this.ctx = this.provider.hash(hash);
    for (const m of this.buffered) this.ctx.update(m);
    this.buffered = [];
  }

  add(raw: Uint8Array): void {
    if (this.ctx) this.ctx.update(raw);
    else this.buffered.push(raw);
    this.kept?.push(raw);
  }

  /** Keep the messages from now on (call before the first add), for messages(). */
  keepMessages(): void {
    this.kept ??= [];
  }

  /** Stop keeping them (the version turned out to be TLS 1.3). */
  dropMessages(): void {
    this.kept = null;
  }

  /** Every message so far, concatenated (requires keepMessages()). */
  messages(): Uint8Array {
    if (!this.kept) throw new Error('transcript: messages were not kept');
    return concat(...this.kept);
  }

  /** Hash of everything so far (requires start()). */
  hash(): Uint8Array {
    if (!this.ctx) throw new Error('transcript: hash not started');
    return this.ctx.digest();
  }

  /** Hash of everything so far plus `extra`, without adding it. */
  hashWith(extra: Uint8Array): Uint8Array {
    if (!this.ctx) throw new Error('transcript: hash not started');
    const c = this.ctx.clone();
    c.update(extra);
    return c.digest();
  }

  /**
   * A copy that goes on independently (RFC 8446 §4.6.2: each post-handshake
   * authentication continues the handshake transcript on its own).
   */
  fork(): Transcript {
    if (!this.ctx) throw new Error('transcript: hash not started');
    const t = new Transcript(this.provider);
    t.ctx = this.ctx.clone();
    return t;
  }

  /**
   * RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
   * message_hash(Hash(ClientHello1)). Call with the hash started and only CH1 added.
   */
  replaceWithMessageHash(): void {
    if (!this.ctx) throw new Error('transcript: hash not started');
    const h = this.ctx.digest();
    const next = this.provider.hash(this.ctx.algorithm);
    next.update(new Uint8Array([HandshakeType.message_hash, 0, 0, h.length]));
    next.update(h);
    this.ctx = next;
  }
}
