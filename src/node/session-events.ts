/**
 * node:tls's server events for an external TLS 1.2 session-ID cache:
 * 'newSession' and 'resumeSession', as node emits them (lib/_tls_wrap.js
 * onnewsession / loadSession), over the core's synchronous SessionStore.
 *
 * Whether a connection uses them is decided when it arrives, as node does
 * (listeners added later count for later connections only):
 * - a server with a 'resumeSession' listener peeks every ClientHello that
 *   offers a session ID (and no RFC 5077 ticket, as node) and emits the
 *   event before the Connection sees the hello, which waits for the
 *   callback (the handshake timeout runs, input is held, the transport is
 *   paused). That connection resumes only what the listener gave, never
 *   from the server's own cache, and puts nothing in it: the application's
 *   store is the cache, as node's (whose internal cache is off).
 * - a server with either listener emits 'newSession' when a TLS 1.2 full
 *   handshake makes a session, and (as node, which holds its output until
 *   then) sends its Finished and emits 'secure' / 'secureConnection' only
 *   once the callback was called. Without a 'resumeSession' listener the
 *   session is kept in the server's cache too, and resumed from it.
 *
 * TLS 1.2 session IDs only. As node (OpenSSL gives a session it issues an
 * RFC 5077 ticket for no session ID), a TLS 1.2 full handshake that sends a
 * ticket emits no 'newSession', and a ClientHello that offers one no
 * 'resumeSession': ticket-capable clients resume by ticket, without the
 * application's store. TLS 1.3 sessions are tickets, for which node also
 * emits 'newSession' (one per ticket) and we do not. As node,
 * 'resumeSession' is emitted for any ClientHello with a session ID, also one
 * that goes on to negotiate TLS 1.3 (whose legacy_session_id is random in
 * middlebox-compatibility mode); the answer is then unused.
 *
 * Unlike node: a session from 'resumeSession' is not checked against the
 * session ID context (our session bytes do not carry it; OpenSSL's DER
 * does), but it must be the one asked for (OpenSSL resumes whatever it is
 * given, and the handshake then fails); and our SNICallback also runs for a
 * ClientHello that resumes (node's runs from OpenSSL's certificate callback,
 * in full handshakes only).
 */
import { concat } from '../common/bytes.js';
import { ExtensionType, HandshakeType } from '../common/constants.js';
import { ClientHello } from '../messages/hello.js';
import { Session } from '../session/session.js';
import type { Connection } from '../ssl/connection.js';
import { codedError } from './coded-errors.js';
import type { ConnectionSessions } from './sessions.js';
import type { ServerHooks } from './setup.js';
import { asError } from './transport.js';

/**
 * node's tls.Server 'newSession' listener. Our server emits it for TLS 1.2
 * session IDs only (a full handshake that issued no ticket), not for TLS 1.3
 * tickets. `sessionData` is our session's bytes (not OpenSSL's DER), for a
 * later 'resumeSession' answer. Call `callback` to let the handshake
 * complete (our Finished and 'secureConnection' wait for it, as node's).
 * The bytes hold the master secret: keep them as secret as a key.
 */
export type NewSessionListener = (sessionId: Buffer, sessionData: Buffer, callback: () => void) => void;

/**
 * node's 'resumeSession' answer: the `sessionData` a 'newSession' gave for
 * this ID to resume it; null or undefined (or bytes that are not a session,
 * expired, or of another ID) for a full handshake; an `err` destroys the
 * socket (the server's 'tlsClientError' gets it). Calling it twice fails
 * the socket with ERR_MULTIPLE_CALLBACK.
 */
export type ResumeSessionCallback = (err: Error | null, sessionData?: Uint8Array | null) => void;
/**
 * node's tls.Server 'resumeSession' listener: emitted before the handshake
 * goes on, for a ClientHello that offers a session ID and no ticket; its
 * answer resumes a TLS 1.2 session ID only (a TLS 1.3 handshake ignores it).
 */
export type ResumeSessionListener = (sessionId: Buffer, callback: ResumeSessionCallback) => void;

/** How a server connection uses the events, fixed when it arrives. */
export interface SessionEventsMode {
  /** The server had a 'resumeSession' listener: lookups go to it, not to the cache. */
  readonly resume: boolean;
}

/** node's ERR_MULTIPLE_CALLBACK. */
function multipleCallback(): Error {
  return codedError(new Error('Callback called multiple times'), 'ERR_MULTIPLE_CALLBACK');
}

/**
 * The session ID a complete ClientHello offers, when node would emit
 * 'resumeSession' for it: a non-empty ID and no non-empty session_ticket
 * (node's `hello.tlsTicket`: the ticket would resume it). `input` holds the
 * records peekClientHello found complete.
 */
export function helloSessionOffer(input: readonly Uint8Array[]): Uint8Array | undefined {
  const data = concat(...input);
  const fragments: Uint8Array[] = [];
  let have = 0;
  for (let pos = 0; pos + 5 <= data.length; ) {
    const length = (data[pos + 3]! << 8) | data[pos + 4]!;
    fragments.push(data.subarray(pos + 5, pos + 5 + length));
    have += length;
    pos += 5 + length;
    if (have < 4) continue;
    const msg = concat(...fragments);
    const bodyLength = (msg[1]! << 16) | (msg[2]! << 8) | msg[3]!;
    if (have < 4 + bodyLength) continue;
    try {
      const hello = ClientHello.decode(msg.subarray(4, 4 + bodyLength));
      const ticket = hello.extensions.some((e) => e.type === ExtensionType.session_ticket && e.data.length > 0);
      return hello.legacySessionId.length > 0 && !ticket ? hello.legacySessionId.slice() : undefined;
    } catch {
      return undefined; // the Connection rejects it with the precise alert
    }
  }
  return undefined;
}

/**
 * Emit 'resumeSession' for `sessionId`. `answer` gets the listener's first
 * call (its err, or its data); a second call is `misuse`. Returns false when
 * nobody listens (nothing is called then).
 */
export function askResumeSession(
  server: ServerHooks,
  sessionId: Uint8Array,
  answer: (err: Error | null, data: unknown) => void,
  misuse: (err: Error) => void,
): boolean {
  let called = false;
  const callback: ResumeSessionCallback = (err, sessionData) => {
    if (called) return misuse(multipleCallback());
    called = true;
    answer(err ? asError(err) : null, sessionData);
  };
  return server.emit('resumeSession', Buffer.from(sessionId), callback);
}

/**
 * Emit 'newSession' for a session a full handshake made; `done` once the
 * listener calls back (at once when nobody listens; later calls are
 * ignored, as node's).
 */
export function emitNewSession(server: ServerHooks, session: Session, done: () => void): void {
  let called = false;
  const callback = (): void => {
    if (called) return;
    called = true;
    done();
  };
  if (!server.emit('newSession', Buffer.from(session.sessionId), Buffer.from(session.toBytes()), callback)) callback();
}

/**
 * A server Connection's TLS 1.2 NewSessionTickets: the function tells whether
 * one was sent since its last call (a session that got a ticket is not
 * announced with 'newSession', as node's).
 */
export function ticketsSent(conn: Connection): () => boolean {
  let sent = false;
  conn.on('message', (m) => {
    if (m.direction === 'sent' && m.type === HandshakeType.new_session_ticket) sent = true;
  });
  return () => {
    const was = sent;
    sent = false;
    return was;
  };
}

/**
 * A connection's 'resumeSession' answer, as node's TLSWrap::LoadSession /
 * GetSessionCallback: parsed when given (bytes that do not parse are no
 * session, as node), handed out once (a renegotiation's ClientHello finds
 * nothing, as node's: a full handshake).
 */
export class LoadedSession implements ConnectionSessions {
  private session: Session | undefined;

  load(data: unknown): void {
    this.session = undefined;
    if (!(data instanceof Uint8Array)) return;
    try {
      // A plain copy: Session.fromBytes keeps views of its input (see setup.ts parseSession).
      this.session = Session.fromBytes(new Uint8Array(data));
    } catch {
      // not a session: a full handshake
    }
  }

  lookup(): Session | undefined {
    const s = this.session;
    this.session = undefined;
    return s;
  }
}
