import type { KeyUpdateType } from '../common/constants.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import type { Session } from '../session/session.js';

export interface AlertEvent {
  readonly sent: boolean;
  readonly level: number;
  readonly description: number;
}

export interface KeyUpdateEvent {
  readonly direction: 'sent' | 'received';
  readonly type: KeyUpdateType;
}

/** A handshake message sent or received, for `-msg` style tracing. */
export interface MessageEvent {
  readonly direction: 'sent' | 'received';
  readonly type: number;
  readonly length: number;
}

export interface PostHandshakeAuthEvent {
  /** The client's certificates (DER, leaf first); empty when it sent none. */
  readonly peerCertificates: readonly Uint8Array[];
}

export type ConnectionEvents = {
  /** The handshake completed. */
  handshake: void;
  alert: AlertEvent;
  /** One NSS key log line (no newline). Emitted only while someone listens. */
  keylog: string;
  keyUpdate: KeyUpdateEvent;
  /** The peer sent close_notify. */
  close: void;
  /** A handshake message went out or came in. */
  message: MessageEvent;
  /** A ChangeCipherSpec record went out or came in (TLS 1.2's, or TLS 1.3's middlebox-compatibility one). */
  changeCipherSpec: { readonly direction: 'sent' | 'received' };
  /** A NewSessionTicket arrived (client). */
  ticket: HandshakeMessage;
  /** Client: a resumable session, made from a NewSessionTicket (TLS 1.3) or at the end of a full handshake (TLS 1.2). */
  session: Session;
  /** Server: a ticket was made for this session (as OpenSSL's new-session callback), as each is generated. */
  newSession: Session;
  /** Server, TLS 1.3: the client answered verifyClientPostHandshake() and its Finished verified (an empty chain: it sent no certificate). */
  postHandshakeAuth: PostHandshakeAuthEvent;
};

/** An event the engine raised, delivered to listeners once the call that raised it is done. */
export type QueuedEvent = { [K in keyof ConnectionEvents]: { readonly name: K; readonly arg: ConnectionEvents[K] } }[keyof ConnectionEvents];
