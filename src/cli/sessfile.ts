/**
 * Files s_client and s_server write or read: -keylogfile (NSS key log
 * lines) and -sess_out / -sess_in (a session as PEM, TLS 1.3 or TLS 1.2).
 */
import { appendFileSync, closeSync, openSync, writeFileSync } from 'node:fs';
import { ProtocolVersion } from '../common/constants.js';
import { suiteInfo } from '../crypto/suites.js';
import { Session } from '../session/session.js';
import { UsageError, readFileFlag } from './args.js';
import { errorText } from './session.js';

/** -keylogfile: append one line per secret. Checks the file can be opened now. */
export function openKeylog(path: string): (line: string | Uint8Array) => void {
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw new UsageError(`cannot write -keylogfile ${path}: ${(e as NodeJS.ErrnoException).code ?? errorText(e)}`);
  }
  return (line) => {
    const text = typeof line === 'string' ? line : Buffer.from(line).toString('latin1');
    appendFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
  };
}

/** The PEM label of a stored session (OpenSSL's is SSL SESSION PARAMETERS; ours is not interchangeable). */
export const SESSION_PEM_LABEL = 'PURETLS SESSION';

/** Session bytes (Session.toBytes(), or a 'session' event's Buffer) as PEM, 64-character lines. */
export function sessionToPem(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${SESSION_PEM_LABEL}-----\n${lines.join('\n')}\n-----END ${SESSION_PEM_LABEL}-----\n`;
}

/**
 * The session in a -sess_out file, checked (Session.fromBytes).
 * @throws {UsageError} one line naming the file and what is wrong
 */
export function sessionFromPem(flag: string, path: string, text: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${SESSION_PEM_LABEL}-----([^-]*)-----END ${SESSION_PEM_LABEL}-----`).exec(text);
  if (!m) throw new UsageError(`-${flag} ${path}: no ${SESSION_PEM_LABEL} PEM block in the file (write one with -sess_out)`);
  const body = m[1]!.replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new UsageError(`-${flag} ${path}: the ${SESSION_PEM_LABEL} block is not base64`);
  const bytes = new Uint8Array(Buffer.from(body, 'base64'));
  try {
    Session.fromBytes(bytes);
  } catch (e) {
    const why = errorText(e).replace(/^Session\.fromBytes: /, '');
    throw new UsageError(`-${flag} ${path}: ${/^not a/.test(why) ? why : `not a valid puretls session (${why})`}`);
  }
  return bytes;
}

/** -sess_in FILE → the session bytes to offer. */
export function readSessionFile(flag: string, path: string): Uint8Array {
  return sessionFromPem(flag, path, readFileFlag(flag, path));
}

/**
 * -sess_out FILE: checks now that the file can be written (without truncating
 * it: it may also be the -sess_in file); the writer replaces its content with
 * the latest session each time (mode 0600 when created: the bytes are a secret).
 */
export function openSessionOut(flag: string, path: string): (bytes: Uint8Array) => void {
  try {
    closeSync(openSync(path, 'a', 0o600));
  } catch (e) {
    throw new UsageError(`cannot write -${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? errorText(e)}`);
  }
  return (bytes) => writeFileSync(path, sessionToPem(bytes), { mode: 0o600 });
}

/** A TLS 1.3 session (from a NewSessionTicket), not a TLS 1.2 one (made by the handshake itself). */
export function isTls13Session(s: Session): boolean {
  return s.version === ProtocolVersion.TLSv1_3;
}

/** OpenSSL's block for a TLS 1.3 ticket (s_client prints it as each NewSessionTicket arrives). */
export function ticketLines(s: Session): string[] {
  const suite = suiteInfo(s.cipherSuite)?.name ?? `0x${s.cipherSuite.toString(16).padStart(4, '0')}`;
  return [
    '---',
    'Post-Handshake New Session Ticket arrived:',
    'SSL-Session:',
    '    Protocol  : TLSv1.3',
    `    Cipher    : ${suite}`,
    `    TLS session ticket lifetime hint: ${s.lifetimeSeconds} (seconds)`,
    `    Max Early Data: ${s.maxEarlyData}`,
    '---',
  ];
}
