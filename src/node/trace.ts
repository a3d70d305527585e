/**
 * enableTrace(): one line per handshake message and alert on stderr, in the
 * style of `puretls s_client -msg` (OpenSSL's msg callback):
 *
 *   >>> TLS 1.3, Handshake [length 0124], ClientHello
 *   <<< TLS 1.3, Alert [length 0002], warning close_notify
 *
 * node's enableTrace prints OpenSSL's SSL_trace, which also dumps every
 * field; these lines name the messages only. (src/cli/msg.ts has the same
 * format for the command line; the Node adapter does not import the CLI.)
 */
import { ProtocolVersion } from '../common/constants.js';
import { AlertLevel, alertName } from '../common/errors.js';
import { handshakeName } from '../messages/handshake.js';
import type { AlertEvent, Connection, MessageEvent } from '../ssl/connection.js';

function versionLabel(version: number | undefined): string {
  return version === ProtocolVersion.TLSv1_3 ? 'TLS 1.3' : version === ProtocolVersion.TLSv1_2 ? 'TLS 1.2' : 'TLS ?';
}

const arrow = (sent: boolean): string => (sent ? '>>>' : '<<<');
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** `>>> TLS 1.3, Handshake [length 00c4], ClientHello` */
export function traceHandshakeLine(ev: MessageEvent, version: number | undefined): string {
  return `${arrow(ev.direction === 'sent')} ${versionLabel(version)}, Handshake [length ${hex4(ev.length)}], ${handshakeName(ev.type)}`;
}

/** `<<< TLS 1.3, Alert [length 0002], fatal unknown_ca` */
export function traceAlertLine(ev: AlertEvent, version: number | undefined): string {
  const level = ev.level === AlertLevel.warning ? 'warning' : ev.level === AlertLevel.fatal ? 'fatal' : `level(${ev.level})`;
  return `${arrow(ev.sent)} ${versionLabel(version)}, Alert [length 0002], ${level} ${alertName(ev.description)}`;
}

/** Write a line (and a newline) per message and alert of `conn` through `write`. */
export function attachTrace(conn: Connection, write: (line: string) => void): void {
  const version = (): number | undefined => conn.negotiated.version ?? conn.config.maxVersion;
  conn.on('message', (ev) => write(`${traceHandshakeLine(ev, version())}\n`));
  conn.on('alert', (ev) => write(`${traceAlertLine(ev, version())}\n`));
}
