/**
 * RFC 5077 session tickets in TLS 1.2: the server's decision on an offered
 * ticket (through the decrypt callback, SSL_CTX_set_session_ticket_cb), the
 * NewSessionTicket it sends before its ChangeCipherSpec, and the client's
 * state that receives it.
 */
import { HandshakeType as H, ProtocolVersion } from '../common/constants.js';
import { findExtension } from '../messages/extensions.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import type { ClientHello } from '../messages/hello.js';
import { SessionTicketExt } from '../messages/index.js';
import { NewSessionTicket12 } from '../messages/messages12.js';
import { Session } from '../session/session.js';
import { TicketStatus } from '../session/ticket-codec.js';
import { send } from './common13.js';
import type { Core12 } from './common12.js';
import { TicketReturn } from './config.js';
import { decideTicket, runGenerateCallback } from './server-psk.js';
import { expectType, type HandshakeContext, type HandshakeState } from './state.js';

/** The server's answer to a ClientHello's session_ticket extension. */
export interface TicketPlan12 {
  /** The session the offered ticket resumes, if it is used. */
  readonly session?: Session;
  /** Send a NewSessionTicket in this handshake (and session_ticket in the ServerHello). */
  readonly issue: boolean;
}

/**
 * RFC 5077 §3.1-3.4: no extension or no codec: no tickets. An empty one asks
 * for a ticket (status EMPTY); a non-empty one is opened and judged. A ticket
 * that cannot be used leads to a full handshake.
 */
export function planTickets12(cx: HandshakeContext, ch: ClientHello, usable: (s: Session) => boolean): TicketPlan12 {
  const codec = cx.config.ticketCodec;
  const offered = findExtension(ch.extensions, SessionTicketExt);
  if (!codec || offered === undefined || !cx.config.sessionTickets) return { issue: false };
  const opened = offered.length === 0 ? { status: TicketStatus.EMPTY } : codec.open(offered);
  const good = opened.status === TicketStatus.SUCCESS || opened.status === TicketStatus.SUCCESS_RENEW;
  const session = good && 'session' in opened ? opened.session : undefined;
  const ret = decideTicket(cx, { session, keyName: 'keyName' in opened ? opened.keyName : undefined, status: opened.status }, false);
  const use = ret === TicketReturn.USE || ret === TicketReturn.USE_RENEW;
  const fresh = session !== undefined && session.isResumable(cx.config.provider.nowMs());
  if (use && session && fresh && session.version === ProtocolVersion.TLSv1_2 && usable(session)) return { session, issue: ret === TicketReturn.USE_RENEW };
  // A ticket we would have used but cannot (expired, another name or suite): a full handshake and, as
  // OpenSSL, a ticket for the new session ("the session was from a ticket").
  return { issue: use || ret === TicketReturn.IGNORE_RENEW };
}

/**
 * The server's NewSessionTicket (RFC 5077 §3.3), before its ChangeCipherSpec:
 * the generate callback sees the connection's session first (returning false
 * is internal_error), then the codec seals it.
 */
export function sendTicket12(cx: HandshakeContext, core: Core12, session: Session): void {
  const { config } = cx;
  runGenerateCallback(config, session);
  const ticket = config.ticketCodec!.seal(session);
  send(cx, core.transcript, new NewSessionTicket12(config.ticketLifetimeSeconds, ticket));
}

/** Client: the server promised a ticket (session_ticket in its ServerHello): NewSessionTicket before its CCS. */
export class ExpectNewSessionTicket12 implements HandshakeState {
  readonly name = 'ExpectNewSessionTicket';
  constructor(
    private readonly core: Core12,
    private readonly next: (ticket: NewSessionTicket12) => HandshakeState,
  ) {}

  handle(_cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.new_session_ticket, this.name);
    const nst = NewSessionTicket12.decode(msg.body);
    this.core.transcript.add(msg.raw);
    return this.next(nst);
  }
}
