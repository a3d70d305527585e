import { KeyUpdateType } from '../common/constants.js';

/**
 * What the user (or the peer's request) asked for, not yet on the wire.
 * Flushed by Connection at the start of the next read, write or doHandshake,
 * in DESIGN.md's order: the answer to update_requested, our own KeyUpdate,
 * then (later issues) renegotiation and NewSessionTickets.
 */
export class PendingActions {
  /** Our scheduled KeyUpdate (SSL_get_key_update_type reports it). */
  keyUpdate: KeyUpdateType = KeyUpdateType.NONE;
  /** The peer asked for update_requested and has had no answer yet. */
  answerKeyUpdate = false;
  /**
   * A renegotiation we asked for (SSL_renegotiate / _abbreviated), not yet
   * acted on: a client's ClientHello ('full': offers no session), a server's HelloRequest.
   */
  renegotiate: 'full' | 'abbreviated' | null = null;

  get any(): boolean {
    return this.keyUpdate !== KeyUpdateType.NONE || this.answerKeyUpdate || this.renegotiate !== null;
  }
}
