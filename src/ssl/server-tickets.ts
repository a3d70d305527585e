/**
 * The server's TLS 1.3 tickets (RFC 8446 §4.6.1): the connection's template
 * session (SSL_get_session, where ticket app data is set), and each
 * NewSessionTicket made from it: a unique nonce, a random age_add, the PSK
 * for that nonce, the session sealed by the context's TicketCodec.
 */
import { EMPTY } from '../common/bytes.js';
import { hashLength } from '../crypto/provider.js';
import { hkdfExpandLabel } from '../crypto/tls13-kdf.js';
import type { HandshakeConfig } from '../handshake/config.js';
import type { Negotiated } from '../handshake/state.js';
import { runGenerateCallback } from '../handshake/server-psk.js';
import { NewSessionTicket13 } from '../messages/messages13.js';
import { Session } from '../session/session.js';

const NO_CERTIFICATES: readonly Uint8Array[] = Object.freeze([]);

interface TicketContext {
  readonly config: HandshakeConfig;
  readonly negotiated: Readonly<Negotiated>;
}

/** The server's side: what each ticket it issues is made of. */
export interface IssuedTicket {
  /** The session sealed into the ticket (its own secret, age_add and creation time). */
  readonly session: Session;
  readonly message: NewSessionTicket13;
}

/**
 * The server's template session of a connection (SSL_get_session): what the
 * generate callback sees and where ticket app data is set; each ticket seals
 * a copy of it with the ticket's own secret and age_add.
 */
export function serverSession(
  cx: TicketContext,
  resumptionMaster: Uint8Array,
): Session {
  const n = cx.negotiated;
  return new Session({
    version: n.version!,
    cipherSuite: n.suite!.id,
    secret: resumptionMaster.slice(),
    // Shared empty values: a connection at rest keeps no arrays of its own for them.
    ticket: EMPTY,
    sessionId: EMPTY,
    extendedMasterSecret: false,
    ticketAgeAdd: 0,
    lifetimeSeconds: cx.config.ticketLifetimeSeconds,
    receivedAtMs: cx.config.provider.nowMs(),
    serverName: n.serverName,
    alpn: n.alpn,
    maxEarlyData: 0,
    peerCertificates: n.peerCertificates ?? NO_CERTIFICATES,
    peerVerified: n.peerVerify?.authorized === true,
  });
}

/**
 * One TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1): a unique nonce (the
 * counter), a random age_add, the PSK derived for that nonce, the session
 * sealed by the codec. The generate callback runs first and may set the
 * template's app data; returning false ends the handshake with internal_error.
 */
export function issueTicket13(
  cx: TicketContext,
  template: Session,
  resumptionMaster: Uint8Array,
  counter: number,
): IssuedTicket {
  const { config } = cx;
  runGenerateCallback(config, template);
  const suite = cx.negotiated.suite!;
  const provider = config.provider;
  const nonce = new Uint8Array(8);
  new DataView(nonce.buffer).setBigUint64(0, BigInt(counter));
  const ageAdd = new DataView(provider.randomBytes(4).buffer).getUint32(0);
  const session = new Session({
    ...template,
    secret: hkdfExpandLabel(provider, suite.hash, resumptionMaster, 'resumption', nonce, hashLength[suite.hash]),
    ticketAgeAdd: ageAdd,
    receivedAtMs: provider.nowMs(),
  });
  session.setTicketAppData(template.getTicketAppData());
  const ticket = config.ticketCodec!.seal(session);
  return { session, message: new NewSessionTicket13(config.ticketLifetimeSeconds, ageAdd, nonce, ticket, []) };
}

/** One connection's ticket issuing: the count (SSL_set_num_tickets), the nonce counter, the template. */
export class ServerTickets {
  /** Tickets after a full handshake (SSL_set_num_tickets); from the context at creation. */
  numTickets: number;
  /** Tickets asked for with newSessionTicket() and not yet sent. */
  queued = 0;
  /** The connection's session (SSL_get_session): a resumed one, or a template made at the end of the handshake. */
  template: Session | undefined;
  private counter = 0;

  constructor(numTickets: number) {
    this.numTickets = numTickets;
  }

  /**
   * After post-handshake authentication: the template names the client's
   * certificate from now on (its app data kept, as OpenSSL's session copy).
   */
  reidentify(peerCertificates: readonly Uint8Array[], peerVerified: boolean): void {
    const old = this.template;
    if (!old) return; // made from the connection's (updated) state when first needed
    this.template = new Session({ ...old, peerCertificates, peerVerified });
    this.template.setTicketAppData(old.getTicketAppData());
  }

  /**
   * Make `count` tickets (each runs the generate callback), in order.
   * @throws {TlsError} internal_error when the generate callback refuses
   */
  issue(cx: TicketContext, resumptionMaster: Uint8Array, count: number): IssuedTicket[] {
    if (!cx.config.ticketCodec || count === 0) return [];
    this.template ??= serverSession(cx, resumptionMaster);
    const out: IssuedTicket[] = [];
    for (let i = 0; i < count; i++) out.push(issueTicket13(cx, this.template, resumptionMaster, this.counter++));
    return out;
  }
}
