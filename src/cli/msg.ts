/**
 * `-msg`: one line per handshake message and alert, modelled on OpenSSL's
 * msg callback (apps/lib/s_cb.c), which prints e.g.
 *
 *   >>> TLS 1.3, Handshake [length 0124], ClientHello
 *   <<< TLS 1.3, Handshake [length 007a], ServerHello
 *   >>> TLS 1.3, Handshake [length 0005], KeyUpdate
 *   <<< TLS 1.3, Alert [length 0002], warning close_notify
 *
 * ">>>" is sent, "<<<" received; the length is the whole handshake message
 * (4-byte header included), four hex digits. OpenSSL follows each line with a
 * hex dump and also prints RecordHeader / InnerContent pseudo-lines; we print
 * neither. For a KeyUpdate we add its type on the next line, as `-trace` does:
 *
 *       update_requested (1)          or          update_not_requested (0)
 */
import { KeyUpdateType, ProtocolVersion } from '../common/constants.js';
import { AlertLevel, alertName } from '../common/errors.js';
import { handshakeName } from '../messages/handshake.js';
import type { AlertEvent, Connection, KeyUpdateEvent, MessageEvent } from '../ssl/connection.js';

export function versionLabel(version: number | undefined): string {
  switch (version) {
    case ProtocolVersion.TLSv1_3:
      return 'TLS 1.3';
    case ProtocolVersion.TLSv1_2:
      return 'TLS 1.2';
    case ProtocolVersion.TLSv1_1:
      return 'TLS 1.1';
    case ProtocolVersion.TLSv1_0:
      return 'TLS 1.0';
    default:
      return 'TLS ?';
  }
}

function arrow(direction: 'sent' | 'received'): string {
  return direction === 'sent' ? '>>>' : '<<<';
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** `>>> TLS 1.3, Handshake [length 00c4], ClientHello` */
export function formatHandshakeLine(ev: MessageEvent, version: string): string {
  return `${arrow(ev.direction)} ${version}, Handshake [length ${hex4(ev.length)}], ${handshakeName(ev.type)}`;
}

/** `<<< TLS 1.3, Alert [length 0002], warning close_notify` */
export function formatAlertLine(ev: AlertEvent, version: string): string {
  const level = ev.level === AlertLevel.warning ? 'warning' : ev.level === AlertLevel.fatal ? 'fatal' : `level(${ev.level})`;
  return `${arrow(ev.sent ? 'sent' : 'received')} ${version}, Alert [length 0002], ${level} ${alertName(ev.description)}`;
}

/** `    update_requested (1)` */
export function formatKeyUpdateType(type: KeyUpdateType): string {
  return type === KeyUpdateType.REQUESTED ? '    update_requested (1)' : '    update_not_requested (0)';
}

/**
 * Print -msg lines for `conn` through `write` (one line, no newline, per call).
 * Returns a function that detaches the listeners.
 */
export function attachMsgTrace(conn: Connection, write: (line: string) => void): () => void {
  const version = (): string => versionLabel(conn.negotiated.version ?? conn.config.maxVersion);
  const onMessage = (ev: MessageEvent): void => write(formatHandshakeLine(ev, version()));
  const onAlert = (ev: AlertEvent): void => write(formatAlertLine(ev, version()));
  // Connection emits 'keyUpdate' right after the KeyUpdate's 'message' event (both directions).
  const onKeyUpdate = (ev: KeyUpdateEvent): void => write(formatKeyUpdateType(ev.type));
  conn.on('message', onMessage);
  conn.on('alert', onAlert);
  conn.on('keyUpdate', onKeyUpdate);
  return () => {
    conn.off('message', onMessage);
    conn.off('alert', onAlert);
    conn.off('keyUpdate', onKeyUpdate);
  };
}
