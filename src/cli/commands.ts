/**
 * The one-letter commands typed on stdin (not with -quiet), as OpenSSL 3's:
 *
 *   k / K   KeyUpdate (TLS 1.3): update_not_requested / update_requested;
 *           "KEYUPDATE" on stderr.
 *   R       renegotiation (TLS 1.2). s_client: a full handshake
 *           (SSL_renegotiate), "RENEGOTIATING" on stderr first. s_server: a
 *           HelloRequest, then "SSL_do_handshake -> 1" on stdout.
 *   r       s_client: an abbreviated renegotiation, offering the current
 *           session (SSL_renegotiate_abbreviated; openssl s_client has no
 *           `r` and sends it as data). s_server: as R.
 *   n       s_server: a TLS 1.3 NewSessionTicket (SSL_new_session_ticket),
 *           sent at once; "SSL_do_handshake -> 1" on stdout.
 *
 * openssl s_server's `R` also sets SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE
 * (ask for a client certificate); ours does not. A client that answers the
 * HelloRequest by resuming its session (openssl s_client and ours do) gets
 * no CertificateRequest from openssl either.
 *
 * Where OpenSSL cannot renegotiate (TLS 1.3, -no_renegotiation) it prints
 * the same first line and an error; we print one `puretls:` line after it
 * and the connection goes on (openssl s_client 3.0 then quits, on the error
 * left in its queue). A renegotiation the peer refuses fails the
 * connection, as in OpenSSL (the socket's 'error').
 */
import { KeyUpdateType as KeyUpdate } from '../common/constants.js';
import { errorText, type CliSocket } from './session.js';

/** Who types, and where the lines go. */
export interface CommandContext {
  readonly role: 'client' | 'server';
  /** -no_renegotiation: R / r are refused here (SSL_renegotiate fails in OpenSSL). */
  readonly noRenegotiation: boolean;
  /** stdout */
  readonly out: (line: string) => void;
  /** stderr */
  readonly err: (line: string) => void;
}

/** OpenSSL's line after s_server's R / r (and k / K; ours also after n): SSL_do_handshake's return value. */
export const SERVER_RENEGOTIATE_LINE = 'SSL_do_handshake -> 1';

/** The commands both s_client and s_server take. Returns null when `line` is not one of them. */
export function sharedCommand(sock: CliSocket, line: string, cx: CommandContext): Promise<void> | null {
  switch (line) {
    case 'k':
    case 'K':
      return keyUpdateCommand(sock, line === 'K', cx.err);
    case 'R':
    case 'r':
      return renegotiateCommand(sock, line === 'r' && cx.role === 'client' ? 'abbreviated' : 'full', cx);
    default:
      return null;
  }
}

/** `k` / `K`: schedule a KeyUpdate and send it now; OpenSSL prints KEYUPDATE. */
export async function keyUpdateCommand(sock: CliSocket, requested: boolean, err: (line: string) => void): Promise<void> {
  try {
    sock.keyUpdate(requested ? KeyUpdate.REQUESTED : KeyUpdate.NOT_REQUESTED);
    await sock.doHandshake();
    err('KEYUPDATE');
  } catch (e) {
    err(`puretls: key update failed: ${errorText(e)}`);
  }
}

/** Why a renegotiation cannot start here, or undefined. */
function cannotRenegotiate(sock: CliSocket, cx: CommandContext): string | undefined {
  if (cx.noRenegotiation) return 'puretls: renegotiation is disabled (-no_renegotiation)';
  if (sock.getProtocol() === 'TLSv1.3') return 'puretls: renegotiation is not possible on TLS 1.3 (wrong ssl version); k or K updates the keys';
  return undefined;
}

/**
 * `R` / `r`: start a renegotiation and send its first message now. It ends
 * on the next 'secure' (with -msg its handshake lines show); a failure is
 * the socket's 'error' (or, when it cannot start, one line here).
 */
export async function renegotiateCommand(sock: CliSocket, kind: 'full' | 'abbreviated', cx: CommandContext): Promise<void> {
  const { err } = cx;
  if (cx.role === 'client') err('RENEGOTIATING');
  const reason = cannotRenegotiate(sock, cx);
  if (reason === undefined) {
    let scheduled: boolean | undefined;
    const onDone = (e: Error | null): void => {
      // A renegotiation that started and fails is the socket's 'error'; one that could not start is said here.
      if (e && scheduled === false) err(`puretls: renegotiation failed: ${errorText(e)}`);
    };
    scheduled = kind === 'abbreviated' ? sock.renegotiateAbbreviated(onDone) : sock.renegotiate({}, onDone);
    if (scheduled) {
      try {
        await sock.doHandshake();
      } catch (e) {
        err(`puretls: renegotiation failed: ${errorText(e)}`);
        return;
      }
    }
  }
  if (cx.role === 'server') cx.out(SERVER_RENEGOTIATE_LINE);
  if (reason !== undefined) err(reason);
}

/**
 * `n` (s_server): one more TLS 1.3 NewSessionTicket (SSL_new_session_ticket),
 * sent at once by SSL_do_handshake, then OpenSSL's "SSL_do_handshake -> 1"
 * (stdout), as after s_server's other commands. (openssl s_server 3.0 has no
 * `n` and sends it as data.) Where no ticket can be issued (TLS 1.2: its ticket
 * comes in the handshake; -no_ticket; a closed connection) one `puretls:` line
 * on stderr and nothing is sent.
 */
export async function newTicketCommand(sock: CliSocket, cx: CommandContext & { readonly noTicket: boolean }): Promise<void> {
  const { err } = cx;
  if (cx.noTicket) return err('puretls: n: -no_ticket: this server issues no session tickets');
  const conn = sock.connection;
  if (!conn) return err('puretls: n: this socket does not expose its Connection; no ticket sent');
  const protocol = sock.getProtocol();
  if (protocol !== 'TLSv1.3') {
    return err(`puretls: n: new session tickets after the handshake are TLS 1.3 only (this connection is ${protocol ?? 'not established'}; TLS 1.2 sends its ticket in the handshake)`);
  }
  try {
    conn.newSessionTicket();
  } catch (e) {
    return err(`puretls: n: cannot issue a session ticket: ${errorText(e)}`);
  }
  try {
    await sock.doHandshake();
  } catch (e) {
    return err(`puretls: n: the session ticket was not sent: ${errorText(e)}`);
  }
  cx.out(SERVER_RENEGOTIATE_LINE);
}
