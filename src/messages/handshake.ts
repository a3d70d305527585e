/**
 * The handshake message framing shared by TLS 1.2 and 1.3 (RFC 8446 §4,
 * RFC 5246 §7.4): a 1-byte type, a 3-byte length, the body.
 */
import { HandshakeType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { Reader, Writer } from './codec.js';

/** A message class instance that can write its body. */
export interface HandshakeBody {
  readonly msgType: HandshakeType;
  encodeBody(w: Writer): void;
}

/** A framed handshake message as received: `raw` is header + body (what the transcript hashes). */
export interface HandshakeMessage {
  readonly type: HandshakeType;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/** Length of the handshake header (msg_type u8, length u24). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** Encode a message with its 4-byte header. @throws {RangeError} if the body exceeds 2^24-1 bytes */
export function encodeHandshake(m: HandshakeBody): Uint8Array {
  const w = new Writer();
  w.u8(m.msgType);
  w.vec24((b) => m.encodeBody(b));
  return w.finish();
}

/** Encode a message and return it in the received-message shape (for the transcript). */
export function toHandshakeMessage(m: HandshakeBody): HandshakeMessage {
  const raw = encodeHandshake(m);
  return { type: m.msgType, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
}

/**
 * Parse exactly one framed message (header + body, nothing after).
 * The type is not checked against known types; callers decide.
 * @throws {TlsError} decode_error if the length does not match
 */
export function decodeHandshakeMessage(raw: Uint8Array): HandshakeMessage {
  const r = new Reader(raw);
  const type = r.u8('handshake type') as HandshakeType;
  const body = r.vec24('handshake body');
  r.end('handshake message');
  return { type, body, raw };
}

/**
 * Split the complete messages off the front of `buf` (a reassembly buffer).
 * `rest` is the incomplete tail (possibly empty), a view into `buf`.
 * `maxLength` bounds a single body: a larger announced length is a decode_error
 * before any of it arrives (callers pick a limit; 2^24-1 disables it).
 * @throws {TlsError} decode_error if a header announces more than maxLength
 */
export function splitHandshakeMessages(
  buf: Uint8Array,
  maxLength = 0xffffff,
): { messages: HandshakeMessage[]; rest: Uint8Array } {
  const messages: HandshakeMessage[] = [];
  let at = 0;
  while (buf.length - at >= HANDSHAKE_HEADER_LENGTH) {
    const len = (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
    if (len > maxLength) throw TlsError.decode(`handshake message: length ${len} exceeds ${maxLength}`);
    const end = at + HANDSHAKE_HEADER_LENGTH + len;
    if (end > buf.length) break;
    const raw = buf.subarray(at, end);
    messages.push({ type: buf[at]! as HandshakeType, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw });
    at = end;
  }
  return { messages, rest: buf.subarray(at) };
}

/** Check the body of a message that carries nothing. @throws {TlsError} decode_error if not empty */
export function decodeEmptyBody(body: Uint8Array, what: string): void {
  new Reader(body).end(what);
}

const NAMES: Record<number, string> = {
  [HandshakeType.hello_request]: 'HelloRequest',
  [HandshakeType.client_hello]: 'ClientHello',
  [HandshakeType.server_hello]: 'ServerHello',
  [HandshakeType.new_session_ticket]: 'NewSessionTicket',
  [HandshakeType.end_of_early_data]: 'EndOfEarlyData',
  [HandshakeType.encrypted_extensions]: 'EncryptedExtensions',
  [HandshakeType.certificate]: 'Certificate',
  [HandshakeType.server_key_exchange]: 'ServerKeyExchange',
  [HandshakeType.certificate_request]: 'CertificateRequest',
  [HandshakeType.server_hello_done]: 'ServerHelloDone',
  [HandshakeType.certificate_verify]: 'CertificateVerify',
  [HandshakeType.client_key_exchange]: 'ClientKeyExchange',
  [HandshakeType.finished]: 'Finished',
  [HandshakeType.certificate_status]: 'CertificateStatus',
  [HandshakeType.key_update]: 'KeyUpdate',
  [HandshakeType.message_hash]: 'MessageHash',
};

/** The RFC name of a handshake type, e.g. 'ClientHello'; 'UnknownHandshake(N)' otherwise. */
export function handshakeName(type: number): string {
  return NAMES[type] ?? `UnknownHandshake(${type})`;
}
