/**
 * Post-handshake client authentication on `puretls s_server` (RFC 8446
 * §4.6.2): `c` typed on stdin (OpenSSL's s_server command: SSL_verify_client_
 * post_handshake, then SSL_do_handshake) and `-www`'s `GET /secret`, which
 * answers with the client's subject once its certificate is verified.
 */
import { parseCertificate } from '../x509/certificate.js';
import type { PostHandshakeAuthEvent } from '../ssl/events.js';
import { SERVER_RENEGOTIATE_LINE, type CommandContext } from './commands.js';
import { errorText, type CliSocket } from './session.js';
import { verifyReturn } from './summary.js';

/** How long GET /secret waits for the client's answer. */
const ANSWER_TIMEOUT_MS = 10_000;

/** The subject of a DER certificate, as the CLI prints it. */
export function subjectOf(der: Uint8Array | undefined): string | null {
  if (!der) return null;
  try {
    return parseCertificate(der).subject.text;
  } catch {
    return '(unparseable certificate)';
  }
}

/** What the client's answer established. */
export interface ClientAuthResult {
  readonly subject: string | null;
  /** "0 (ok)" or OpenSSL's code and text for a chain that did not verify. */
  readonly verify: string;
}

function resultOf(sock: CliSocket, ev: PostHandshakeAuthEvent): ClientAuthResult {
  const v = sock.connection?.peerVerification;
  return { subject: subjectOf(ev.peerCertificates[0]), verify: v ? verifyReturn(v.authorized, v.error) : '0 (ok, no certificate sent)' };
}

/** Lines printed when a client's post-handshake answer is verified. */
export function clientAuthLines(r: ClientAuthResult): string[] {
  return r.subject === null ? ['Post-handshake authentication: no client certificate'] : [`Post-handshake authentication: client certificate ${r.subject}`, `Verify return code: ${r.verify}`];
}

/** Print each verified post-handshake answer on this connection. */
export function reportClientAuth(sock: CliSocket, out: (line: string) => void): void {
  sock.connection?.on('postHandshakeAuth', (ev) => {
    for (const l of clientAuthLines(resultOf(sock, ev))) out(l);
  });
}

/** `c`: ask for a client certificate now; OpenSSL prints "Failed to initiate request" when it cannot. */
export async function clientAuthCommand(sock: CliSocket, cx: CommandContext): Promise<void> {
  const conn = sock.connection;
  try {
    if (!conn) throw new Error('this socket does not expose its Connection');
    conn.verifyClientPostHandshake();
  } catch (e) {
    cx.out('Failed to initiate request');
    cx.err(`puretls: c: ${errorText(e)}`);
    return;
  }
  try {
    await sock.doHandshake();
  } catch (e) {
    cx.err(`puretls: c: the CertificateRequest was not sent: ${errorText(e)}`);
    return;
  }
  cx.out(SERVER_RENEGOTIATE_LINE);
}

/**
 * GET /secret: request a certificate and wait for the verified answer.
 * Resolves with the result, or with a reason string when it cannot be asked
 * for (TLS 1.2, a client that did not offer post_handshake_auth) or no answer came.
 */
export async function requestClientAuth(sock: CliSocket): Promise<ClientAuthResult | string> {
  const conn = sock.connection;
  if (!conn) return 'this socket does not expose its Connection';
  try {
    conn.verifyClientPostHandshake();
  } catch (e) {
    return errorText(e);
  }
  return new Promise<ClientAuthResult | string>((resolve) => {
    const done = (r: ClientAuthResult | string): void => {
      clearTimeout(timer);
      conn.off('postHandshakeAuth', onAuth);
      sock.off('close', onClose);
      resolve(r);
    };
    const onAuth = (ev: PostHandshakeAuthEvent): void => done(resultOf(sock, ev));
    const onClose = (): void => done('the connection closed before the client answered');
    const timer = setTimeout(() => done(`no answer from the client within ${ANSWER_TIMEOUT_MS / 1000} s`), ANSWER_TIMEOUT_MS);
    conn.on('postHandshakeAuth', onAuth);
    sock.once('close', onClose);
    sock.doHandshake().catch((e: unknown) => done(`the CertificateRequest was not sent: ${errorText(e)}`));
  });
}
