/**
 * Peek at the first ClientHello without consuming it (sans-IO): a server
 * that picks its certificate by SNI (node's SNICallback) reads the server
 * name and the ALPN list from the first bytes, decides, and only then builds
 * the Connection that receives those same bytes.
 *
 * The peek is lenient by design: anything that is not a well-formed
 * ClientHello is reported as 'invalid' so the caller can hand the bytes to a
 * Connection, which then fails with the precise alert.
 */
import { ContentType, HandshakeType, MAX_PLAINTEXT } from '../common/constants.js';
import { AlertLevel } from '../common/errors.js';
import { AlpnExt, ServerNameExt } from '../messages/ext-core.js';
import { findExtension } from '../messages/extensions.js';
import { ClientHello } from '../messages/hello.js';

export type ClientHelloPeek =
  /** More bytes are needed to see the whole ClientHello. */
  | { readonly status: 'more' }
  /** The ClientHello is complete; `serverName` / `alpnProtocols` are absent when not offered. */
  | { readonly status: 'done'; readonly serverName?: string; readonly alpnProtocols?: readonly string[] }
  /** Not a (well-formed) ClientHello: let a Connection reject it. */
  | { readonly status: 'invalid'; readonly reason: string };

const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
/** Default bound on the ClientHello size we are willing to wait for. */
export const PEEK_MAX_CLIENT_HELLO = 128 * 1024;

function invalid(reason: string): ClientHelloPeek {
  return { status: 'invalid', reason };
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Look for a complete ClientHello at the start of `input` (the bytes received
 * so far, in order). Never throws and never modifies the input.
 */
export function peekClientHello(
  input: Uint8Array | readonly Uint8Array[],
  maxSize: number = PEEK_MAX_CLIENT_HELLO,
): ClientHelloPeek {
  const data = input instanceof Uint8Array ? input : join(input);
  const fragments: Uint8Array[] = [];
  let have = 0;
  let pos = 0;
  while (data.length - pos >= 1) {
    // RFC 8446 §5.1: the ClientHello travels in plaintext handshake records.
    if (data[pos] !== ContentType.handshake) return invalid(`record type ${data[pos]} is not handshake`);
    if (data.length - pos >= 2 && data[pos + 1] !== 3) return invalid('not a TLS record');
    if (data.length - pos < RECORD_HEADER) return { status: 'more' };
    const length = (data[pos + 3]! << 8) | data[pos + 4]!;
    if (length === 0 || length > MAX_PLAINTEXT) return invalid(`bad record length ${length}`);
    if (data.length - pos - RECORD_HEADER < length) return { status: 'more' };
    const fragment = data.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + length);
    pos += RECORD_HEADER + length;
    fragments.push(fragment);
    have += fragment.length;
    if (have < HANDSHAKE_HEADER) continue;
    const msg = join(fragments);
    if (msg[0] !== HandshakeType.client_hello) return invalid(`first handshake message is type ${msg[0]}`);
    const bodyLength = (msg[1]! << 16) | (msg[2]! << 8) | msg[3]!;
    if (bodyLength > maxSize) return invalid(`ClientHello of ${bodyLength} bytes is too large`);
    if (have < HANDSHAKE_HEADER + bodyLength) continue;
    return parse(msg.subarray(HANDSHAKE_HEADER, HANDSHAKE_HEADER + bodyLength));
  }
  return { status: 'more' };
}

function parse(body: Uint8Array): ClientHelloPeek {
  try {
    const ch = ClientHello.decode(body);
    const names = findExtension(ch.extensions, ServerNameExt);
    const alpn = findExtension(ch.extensions, AlpnExt);
    return {
      status: 'done',
      ...(names && names.length > 0 ? { serverName: names[0]! } : {}),
      ...(alpn ? { alpnProtocols: alpn } : {}),
    };
  } catch (e) {
    return invalid(e instanceof Error ? e.message : String(e));
  }
}

/**
 * A plaintext fatal alert record, for refusing a client before any
 * Connection exists (e.g. the SNI callback failed).
 */
export function plaintextAlert(description: number): Uint8Array {
  return new Uint8Array([ContentType.alert, 3, 3, 0, 2, AlertLevel.fatal, description]);
}
