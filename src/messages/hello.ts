/**
 * ClientHello and ServerHello (RFC 8446 §4.1.2-4.1.4, RFC 5246 §7.4.1.2-3),
 * HelloRetryRequest detection, downgrade sentinels and PSK binder truncation.
 *
 * A hello whose extensions are empty encodes without an extensions block (as
 * RFC 5246 allows and Go does); decoding accepts both the absent and the empty
 * block. Transcripts hash the received raw bytes, never a re-encoding.
 */
import { ExtensionType, HandshakeType } from '../common/constants.js';
import { bytesEqual, fromHex } from '../common/bytes.js';
import { TlsError } from '../common/errors.js';
import { Reader, type Writer } from './codec.js';
import { check, decodeExtensions, encodeExtensions, type Extension } from './extensions.js';
import type { HandshakeBody } from './handshake.js';

/** RFC 8446 §4.1.3: ServerHello.random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). Do not mutate. */
export const HRR_RANDOM: Uint8Array = fromHex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
/** RFC 8446 §4.1.3: last 8 bytes of ServerHello.random from a TLS 1.3 server negotiating TLS 1.2. */
export const DOWNGRADE_TLS12: Uint8Array = fromHex('444f574e47524401');
/** RFC 8446 §4.1.3: the same, negotiating TLS 1.1 or below. */
export const DOWNGRADE_TLS11: Uint8Array = fromHex('444f574e47524400');

/** Which downgrade sentinel ends a ServerHello.random, if any. */
export function downgradeSentinel(random: Uint8Array): 'tls12' | 'tls11' | undefined {
  const tail = random.subarray(random.length - 8);
  if (bytesEqual(tail, DOWNGRADE_TLS12)) return 'tls12';
  if (bytesEqual(tail, DOWNGRADE_TLS11)) return 'tls11';
  return undefined;
}

function checkHelloFields(what: string, random: Uint8Array, sessionId: Uint8Array): void {
  check(random.length === 32, `${what}: random must be 32 bytes`);
  check(sessionId.length <= 32, `${what}: session id longer than 32 bytes`);
}

function encodeOptionalExtensions(w: Writer, exts: readonly Extension[]): void {
  if (exts.length > 0) encodeExtensions(w, exts);
}

export class ClientHello implements HandshakeBody {
  static readonly msgType = HandshakeType.client_hello;
  readonly msgType = HandshakeType.client_hello;

  /** @throws {RangeError} on a random that is not 32 bytes, a session id over 32, an empty suite or compression list */
  constructor(
    readonly legacyVersion: number,
    readonly random: Uint8Array,
    readonly legacySessionId: Uint8Array,
    readonly cipherSuites: number[],
    readonly compressionMethods: Uint8Array,
    readonly extensions: Extension[],
  ) {
    checkHelloFields('ClientHello', random, legacySessionId);
    check(cipherSuites.length > 0, 'ClientHello: no cipher suites');
    check(compressionMethods.length > 0, 'ClientHello: no compression methods');
  }

  encodeBody(w: Writer): void {
    w.u16(this.legacyVersion).bytes(this.random).opaque8(this.legacySessionId);
    w.vec16(() => this.cipherSuites.forEach((s) => w.u16(s)));
    w.opaque8(this.compressionMethods);
    encodeOptionalExtensions(w, this.extensions);
  }

  /**
   * Parse a ClientHello body. No bytes after compression_methods means no
   * extensions (RFC 5246 §7.4.1.2).
   * @throws {TlsError} decode_error on bad framing; illegal_parameter on a
   *   duplicate extension or a pre_shared_key that is not last
   */
  static decode(body: Uint8Array): ClientHello {
    const r = new Reader(body);
    const version = r.u16('legacy_version');
    const random = r.bytes(32, 'random');
    const sessionId = r.vec8('legacy_session_id', 0, 32);
    // RFC 8446 §4.1.2: cipher_suites<2..2^16-2>; an odd length fails in the u16 reads.
    const suites = r.list16('cipher_suites', (e) => e.u16('cipher_suite'), { minBytes: 2, maxBytes: 0xfffe });
    const compression = r.vec8('legacy_compression_methods', 1);
    const extensions = r.remaining === 0 ? [] : decodeExtensions(r, 'ClientHello');
    r.end('ClientHello');
    // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension in the ClientHello.
    const psk = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
    if (psk >= 0 && psk !== extensions.length - 1) throw TlsError.illegal('ClientHello: pre_shared_key is not the last extension');
    return new ClientHello(version, random, sessionId, suites, compression, extensions);
  }

  /**
   * Offset, in a raw ClientHello handshake message (header included), of the
   * PSK binders list: the binder MAC covers raw[0, offset) (RFC 8446 §4.2.11.2).
   * @throws {TlsError} decode_error on bad framing
   * @throws {RangeError} if the message has no pre_shared_key extension last
   */
  static bindersOffset(raw: Uint8Array): number {
    const r = new Reader(raw);
    if (r.u8('handshake type') !== HandshakeType.client_hello) throw TlsError.decode('bindersOffset: not a ClientHello');
    const len = r.u24('handshake length');
    if (len !== r.remaining) throw TlsError.decode('bindersOffset: handshake length mismatch');
    r.bytes(2 + 32, 'legacy_version, random');
    r.vec8('legacy_session_id');
    r.vec16('cipher_suites');
    r.vec8('legacy_compression_methods');
    const exts = r.sub16('ClientHello extensions');
    r.end('ClientHello');
    // Offsets inside `exts` are relative to its start, just after its 2-byte length.
    const extsStart = r.offset - exts.remaining;
    let psk: { start: number; data: Uint8Array } | undefined;
    while (exts.remaining > 0) {
      const type = exts.u16('extension type');
      const start = exts.offset + 2;
      const data = exts.vec16('extension data');
      psk = type === ExtensionType.pre_shared_key && exts.remaining === 0 ? { start, data } : undefined;
    }
    if (!psk) throw new RangeError('bindersOffset: no pre_shared_key as last extension');
    const pr = new Reader(psk.data);
    pr.vec16('pre_shared_key identities');
    return extsStart + psk.start + pr.offset;
  }
}

/**
 * The part of a raw ClientHello handshake message (header included) that PSK
 * binders are computed over: everything before the binders list (RFC 8446 §4.2.11.2).
 * @throws {TlsError} decode_error on bad framing
 * @throws {RangeError} if there is no pre_shared_key extension last
 */
export function truncateClientHelloForBinders(raw: Uint8Array): Uint8Array {
  return raw.subarray(0, ClientHello.bindersOffset(raw));
}

/** ServerHello, and HelloRetryRequest (same message, HRR_RANDOM as random). */
export class ServerHello implements HandshakeBody {
  static readonly msgType = HandshakeType.server_hello;
  readonly msgType = HandshakeType.server_hello;

  /** @throws {RangeError} on a random that is not 32 bytes or a session id over 32 */
  constructor(
    readonly legacyVersion: number,
    readonly random: Uint8Array,
    readonly legacySessionIdEcho: Uint8Array,
    readonly cipherSuite: number,
    readonly compressionMethod: number,
    readonly extensions: Extension[],
  ) {
    checkHelloFields('ServerHello', random, legacySessionIdEcho);
  }

  /** A HelloRetryRequest (RFC 8446 §4.1.4): legacy_version 0x0303, null compression. */
  static helloRetryRequest(sessionIdEcho: Uint8Array, cipherSuite: number, extensions: Extension[]): ServerHello {
    return new ServerHello(0x0303, HRR_RANDOM, sessionIdEcho, cipherSuite, 0, extensions);
  }

  /** RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with the special random. */
  get isHelloRetryRequest(): boolean {
    return bytesEqual(this.random, HRR_RANDOM);
  }

  encodeBody(w: Writer): void {
    w.u16(this.legacyVersion).bytes(this.random).opaque8(this.legacySessionIdEcho);
    w.u16(this.cipherSuite).u8(this.compressionMethod);
    encodeOptionalExtensions(w, this.extensions);
  }

  /**
   * Parse a ServerHello body; no bytes after compression_method means no
   * extensions (RFC 5246 §7.4.1.3).
   * @throws {TlsError} decode_error on bad framing; illegal_parameter on a duplicate extension
   */
  static decode(body: Uint8Array): ServerHello {
    const r = new Reader(body);
    const version = r.u16('legacy_version');
    const random = r.bytes(32, 'random');
    const sessionId = r.vec8('legacy_session_id_echo', 0, 32);
    const suite = r.u16('cipher_suite');
    const compression = r.u8('legacy_compression_method');
    const extensions = r.remaining === 0 ? [] : decodeExtensions(r, 'ServerHello');
    r.end('ServerHello');
    return new ServerHello(version, random, sessionId, suite, compression, extensions);
  }
}
