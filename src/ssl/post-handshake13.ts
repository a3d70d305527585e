/**
 * TLS 1.3 after the handshake, for the engine (RFC 8446 §4.6): KeyUpdate
 * both ways (and the key log's generations), the server's NewSessionTickets
 * (after the handshake, on request, after the client authenticates), the
 * client's tickets, and the server's side of post-handshake client
 * authentication (§4.6.2): a CertificateRequest on request, the client's
 * new identity committed once its Finished verifies.
 */
import { KeyUpdateType, ProtocolVersion } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { ExpectTraffic13 } from '../handshake/traffic13.js';
import { encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import { KeyUpdate, NewSessionTicket13 } from '../messages/messages13.js';
import type { ReceiveProtection, SendProtection } from '../record/protection.js';
import type { Engine } from './engine.js';
import { ServerTickets, serverSession } from './server-tickets.js';
import { sessionFromTicket } from './tickets.js';

/** Server: where a post-handshake authentication stands (OpenSSL's pha states). */
export type ClientAuthState = 'none' | 'pending' | 'requested';

export class PostHandshake13 {
  /** Server: TLS 1.3 tickets (count, queue, template session). */
  readonly tickets: ServerTickets;
  /** Server: 'pending' asked for and not yet sent; 'requested' sent and not yet answered. */
  clientAuth: ClientAuthState = 'none';
  /** Tickets to send once the client authenticates (fixed when it was asked for). */
  private ticketsAfterClientAuth = 0;
  /** Key update generations per direction (N of *_TRAFFIC_SECRET_N in the key log). */
  private sendGeneration = 0;
  private receiveGeneration = 0;

  constructor(private readonly e: Engine) {
    this.tickets = new ServerTickets(e.config.getNumTickets());
  }

  /**
   * RFC 8446 §4.6.1, SSL_set_num_tickets: numTickets after a full handshake;
   * one after a resumption (none with numTickets 0); none when the decrypt
   * callback decided no ticket was due (IGNORE, USE).
   */
  ticketsAfterHandshake(): number {
    const r = this.e.result;
    // OpenSSL (ticket_expected): IGNORE / USE alone, no ticket even after a full handshake (server-psk.ts).
    if (r?.renewTicket === false) return 0;
    // After a resumption one at most: numTickets 0 still means none (OpenSSL's write_transition).
    return r?.resumed ? Math.min(1, this.tickets.numTickets) : this.tickets.numTickets;
  }

  /**
   * Server, the handshake is done: the connection's session exists from now
   * on (SSL_get_session; app data may be set on it before any ticket), and
   * the tickets of RFC 8446 §4.6.1 go out.
   */
  handshakeDone(): void {
    const e = this.e;
    this.tickets.template ??= serverSession(e, e.secrets!.resumptionMaster!);
    this.sendTickets(this.ticketsAfterHandshake());
  }

  sendTickets(count: number): void {
    const e = this.e;
    for (const t of this.tickets.issue(e, e.secrets!.resumptionMaster!, count)) {
      e.sendHandshake(encodeHandshake(t.message));
      e.raise('newSession', t.session);
    }
  }

  /** Client: a NewSessionTicket becomes the session to offer next. */
  ticketReceived(msg: HandshakeMessage): void {
    const e = this.e;
    e.repeats.count('tickets');
    e.raise('ticket', msg);
    const session = sessionFromTicket(e, NewSessionTicket13.decode(msg.body), e.secrets!.resumptionMaster!);
    if (session) e.sessionReady(session);
  }

  keyUpdateReceived(requested: boolean): void {
    const e = this.e;
    // RFC 8446 §5.1: KeyUpdate must end its record (the key changes after it).
    if (!e.inbound.handshakeAligned) throw TlsError.unexpected('data after KeyUpdate in the same record');
    e.repeats.count('keyUpdates');
    const prot = e.inbound.protection;
    prot.ratchet13();
    this.logTrafficSecret(e.role === 'client' ? 'server' : 'client', ++this.receiveGeneration, prot);
    if (requested) e.pending.answerKeyUpdate = true;
    e.raise('keyUpdate', { direction: 'received', type: requested ? KeyUpdateType.REQUESTED : KeyUpdateType.NOT_REQUESTED });
  }

  /** Server (verifyClientPostHandshake): a CertificateRequest with the next flush. */
  requestClientAuth(): void {
    this.clientAuth = 'pending';
    // SSL_set_num_tickets before SSL_verify_client_post_handshake sets how many follow.
    this.ticketsAfterClientAuth = this.ticketsAfterHandshake();
  }

  /** TLS 1.3: the client's current application traffic secret. */
  clientTrafficSecret(): Uint8Array {
    const e = this.e;
    const secret = e.role === 'client' ? e.outbox.protection.trafficSecret : e.inbound.protection.trafficSecret;
    if (!secret) throw TlsError.internal('no TLS 1.3 application traffic secret');
    return secret;
  }

  /**
   * Server: the client answered our CertificateRequest and its Finished
   * verified. Its certificate (if any) becomes the connection's peer identity
   * and the session's; new tickets carry it (SSL_set_num_tickets page).
   */
  clientAuthenticated(chain: readonly Uint8Array[]): void {
    const e = this.e;
    this.clientAuth = 'none';
    if (chain.length > 0) {
      e.commit();
      this.tickets.reidentify(chain, e.negotiated.peerVerify?.authorized === true);
    }
    this.sendTickets(this.ticketsAfterClientAuth);
    e.raise('postHandshakeAuth', { peerCertificates: chain });
  }

  /**
   * The TLS 1.3 part of the pending actions (DESIGN.md "Pending actions"):
   * the answer to update_requested, then our own KeyUpdate (one message
   * serves both; a read sends only our own, so requests that arrive while we
   * are silent get exactly one answer, RFC 8446 §4.6.3); tickets asked for
   * with newSessionTicket() go with a write; a CertificateRequest with any.
   */
  flush(trigger: 'read' | 'write'): void {
    const e = this.e;
    const p = e.pending;
    if (p.keyUpdate !== KeyUpdateType.NONE || (p.answerKeyUpdate && trigger === 'write')) {
      const type = p.keyUpdate !== KeyUpdateType.NONE ? p.keyUpdate : KeyUpdateType.NOT_REQUESTED;
      e.sendHandshake(encodeHandshake(new KeyUpdate(type)));
      e.outbox.sealHandshake(); // under the old key (RFC 8446 §4.6.3) ...
      e.outbox.protection.ratchet13(); // ... then ratchet (§7.2)
      this.logTrafficSecret(e.role, ++this.sendGeneration, e.outbox.protection);
      p.answerKeyUpdate = false;
      p.keyUpdate = KeyUpdateType.NONE;
      e.raise('keyUpdate', { direction: 'sent', type });
    }
    if (this.tickets.queued > 0 && trigger === 'write') {
      const n = this.tickets.queued;
      this.tickets.queued = 0;
      this.sendTickets(n);
    }
    if (this.clientAuth === 'pending') {
      const state = e.state;
      if (!(state instanceof ExpectTraffic13)) throw TlsError.internal('post-handshake authentication outside the traffic state');
      this.clientAuth = 'requested';
      e.openDraft(); // the client's answer writes its identity there, committed when its Finished verifies
      e.state = state.requestCertificate(e);
    }
  }

  /** Seal application data; at the key's safe record limit, update the key first (RFC 8446 §5.5). */
  sealApplication(data: Uint8Array): void {
    const { outbox, pending } = this.e;
    const limit = this.recordsPerKey();
    let offset = 0;
    while (offset < data.length) {
      // Keep one record under this key for the KeyUpdate itself.
      const left = limit - 1 - Number(outbox.protection.sequence);
      if (left <= 0) {
        if (pending.keyUpdate === KeyUpdateType.NONE) pending.keyUpdate = KeyUpdateType.NOT_REQUESTED;
        this.e.flushPending();
        continue;
      }
      const take = Math.min(data.length - offset, left * outbox.maxFragment);
      outbox.application(data.subarray(offset, offset + take));
      offset += take;
    }
    if (Number(outbox.protection.sequence) >= limit - 1 && pending.keyUpdate === KeyUpdateType.NONE) {
      pending.keyUpdate = KeyUpdateType.NOT_REQUESTED;
    }
  }

  /** Records one send key may seal before it must be updated (RFC 8446 §5.5). */
  recordsPerKey(): number {
    const e = this.e;
    // TLS 1.2 has no KeyUpdate: the sequence number's own bound (2^64) applies.
    if (e.version !== ProtocolVersion.TLSv1_3) return Number.MAX_SAFE_INTEGER;
    const configured = e.config.limits.keyUpdateAfterRecords;
    if (configured !== undefined) return configured;
    // AES-GCM keys are good for 2^24.5 full records.
    return e.negotiated.suite?.aead === 'CHACHA20-POLY1305' ? Number.MAX_SAFE_INTEGER : Math.floor(2 ** 24.5);
  }

  /** Key log line for an updated traffic secret, as OpenSSL writes it (CLIENT_TRAFFIC_SECRET_N). */
  private logTrafficSecret(owner: 'client' | 'server', n: number, p: SendProtection | ReceiveProtection): void {
    if (!this.e.listening('keylog')) return;
    const secret = p.trafficSecret;
    if (secret) this.e.keylog(`${owner.toUpperCase()}_TRAFFIC_SECRET_${n}`, secret);
  }
}
