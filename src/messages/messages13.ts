/**
 * TLS 1.3 handshake messages after the hellos (RFC 8446 §4.3-4.6), plus
 * Finished and CertificateVerify, which TLS 1.2 shares in shape.
 */
import { HandshakeType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { Reader, type Writer } from './codec.js';
import { check, decodeExtensions, encodeExtensions, type Extension } from './extensions.js';
import { decodeEmptyBody, type HandshakeBody } from './handshake.js';

/** RFC 8446 §4.3.1 EncryptedExtensions {Extension extensions<0..2^16-1>}. */
export class EncryptedExtensions implements HandshakeBody {
  static readonly msgType = HandshakeType.encrypted_extensions;
  readonly msgType = HandshakeType.encrypted_extensions;
  constructor(readonly extensions: Extension[]) {}

  encodeBody(w: Writer): void {
    encodeExtensions(w, this.extensions);
  }

  /** @throws {TlsError} decode_error; illegal_parameter on a duplicate extension */
  static decode(body: Uint8Array): EncryptedExtensions {
    const r = new Reader(body);
    const extensions = decodeExtensions(r, 'EncryptedExtensions');
    r.end('EncryptedExtensions');
    return new EncryptedExtensions(extensions);
  }
}

/** RFC 8446 §4.4.2 CertificateEntry: cert_data<1..2^24-1> (X.509 DER) and its extensions. */
export interface CertificateEntry {
  readonly data: Uint8Array;
  readonly extensions: Extension[];
}

/** RFC 8446 §4.4.2 Certificate {certificate_request_context<0..2^8-1>, certificate_list<0..2^24-1>}. */
export class Certificate13 implements HandshakeBody {
  static readonly msgType = HandshakeType.certificate;
  readonly msgType = HandshakeType.certificate;
  /** @throws {RangeError} on an empty certificate */
  constructor(
    readonly context: Uint8Array,
    readonly entries: CertificateEntry[],
  ) {
    check(entries.every((e) => e.data.length > 0), 'Certificate13: empty cert_data');
  }

  encodeBody(w: Writer): void {
    w.opaque8(this.context);
    w.vec24(() => {
      for (const e of this.entries) {
        w.opaque24(e.data);
        encodeExtensions(w, e.extensions);
      }
    });
  }

  /** @throws {TlsError} decode_error; illegal_parameter on a duplicate extension in an entry */
  static decode(body: Uint8Array): Certificate13 {
    const r = new Reader(body);
    const context = r.vec8('certificate_request_context');
    const entries = r.list24('certificate_list', (e) => ({
      data: e.vec24('cert_data', 1),
      extensions: decodeExtensions(e, 'CertificateEntry'),
    }));
    r.end('Certificate');
    return new Certificate13(context, entries);
  }
}

/**
 * RFC 8446 §4.3.2 CertificateRequest {certificate_request_context<0..2^8-1>,
 * extensions<2..2^16-1>}. (signature_algorithms being present is checked by the state.)
 */
export class CertificateRequest13 implements HandshakeBody {
  static readonly msgType = HandshakeType.certificate_request;
  readonly msgType = HandshakeType.certificate_request;
  constructor(
    readonly context: Uint8Array,
    readonly extensions: Extension[],
  ) {}

  encodeBody(w: Writer): void {
    w.opaque8(this.context);
    encodeExtensions(w, this.extensions);
  }

  /** @throws {TlsError} decode_error (also for an empty extension list); illegal_parameter on a duplicate */
  static decode(body: Uint8Array): CertificateRequest13 {
    const r = new Reader(body);
    const context = r.vec8('certificate_request_context');
    const extensions = decodeExtensions(r, 'CertificateRequest', 2);
    r.end('CertificateRequest');
    return new CertificateRequest13(context, extensions);
  }
}

/**
 * RFC 8446 §4.4.3 CertificateVerify {SignatureScheme algorithm; opaque signature<0..2^16-1>};
 * the same bytes as a TLS 1.2 CertificateVerify with a SignatureAndHashAlgorithm (RFC 5246 §7.4.8).
 */
export class CertificateVerify implements HandshakeBody {
  static readonly msgType = HandshakeType.certificate_verify;
  readonly msgType = HandshakeType.certificate_verify;
  constructor(
    readonly scheme: number,
    readonly signature: Uint8Array,
  ) {}

  encodeBody(w: Writer): void {
    w.u16(this.scheme).opaque16(this.signature);
  }

  /** @throws {TlsError} decode_error */
  static decode(body: Uint8Array): CertificateVerify {
    const r = new Reader(body);
    const scheme = r.u16('algorithm');
    const signature = r.vec16('signature');
    r.end('CertificateVerify');
    return new CertificateVerify(scheme, signature);
  }
}

/** RFC 8446 §4.4.4 / RFC 5246 §7.4.9 Finished: verify_data, Hash.length (1.3) or 12 bytes (1.2). */
export class Finished implements HandshakeBody {
  static readonly msgType = HandshakeType.finished;
  readonly msgType = HandshakeType.finished;
  constructor(readonly verifyData: Uint8Array) {}

  encodeBody(w: Writer): void {
    w.bytes(this.verifyData);
  }

  /**
   * @param hashLength the expected verify_data length (32/48 in TLS 1.3, 12 in TLS 1.2)
   * @throws {TlsError} decode_error if the body is not exactly hashLength bytes
   */
  static decode(body: Uint8Array, hashLength: number): Finished {
    if (body.length !== hashLength) throw TlsError.decode(`Finished: ${body.length} bytes, expected ${hashLength}`);
    return new Finished(body);
  }
}

/**
 * RFC 8446 §4.6.1 NewSessionTicket {ticket_lifetime u32, ticket_age_add u32,
 * ticket_nonce<0..255>, ticket<1..2^16-1>, extensions<0..2^16-2>}. The 7-day
 * lifetime cap is the receiver's policy, not a parse error.
 */
export class NewSessionTicket13 implements HandshakeBody {
  static readonly msgType = HandshakeType.new_session_ticket;
  readonly msgType = HandshakeType.new_session_ticket;
  /** @throws {RangeError} on an empty ticket */
  constructor(
    readonly lifetime: number,
    readonly ageAdd: number,
    readonly nonce: Uint8Array,
    readonly ticket: Uint8Array,
    readonly extensions: Extension[],
  ) {
    check(ticket.length > 0, 'NewSessionTicket13: empty ticket');
  }

  encodeBody(w: Writer): void {
    w.u32(this.lifetime).u32(this.ageAdd).opaque8(this.nonce).opaque16(this.ticket);
    encodeExtensions(w, this.extensions);
  }

  /** @throws {TlsError} decode_error; illegal_parameter on a duplicate extension */
  static decode(body: Uint8Array): NewSessionTicket13 {
    const r = new Reader(body);
    const lifetime = r.u32('ticket_lifetime');
    const ageAdd = r.u32('ticket_age_add');
    const nonce = r.vec8('ticket_nonce');
    const ticket = r.vec16('ticket', 1);
    // RFC 8446 §4.6.1: Extension extensions<0..2^16-2>.
    const extensions = decodeExtensions(r, 'NewSessionTicket', 0, 0xfffe);
    r.end('NewSessionTicket');
    return new NewSessionTicket13(lifetime, ageAdd, nonce, ticket, extensions);
  }
}

/** RFC 8446 §4.6.3 KeyUpdateRequest values. */
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

/** RFC 8446 §4.6.3 KeyUpdate {KeyUpdateRequest request_update}. */
export class KeyUpdate implements HandshakeBody {
  static readonly msgType = HandshakeType.key_update;
  readonly msgType = HandshakeType.key_update;
  /** @throws {RangeError} unless requestUpdate is 0 or 1 */
  constructor(readonly requestUpdate: number) {
    check(requestUpdate === 0 || requestUpdate === 1, 'KeyUpdate: requestUpdate must be 0 or 1');
  }

  /** True for update_requested: the peer must answer with its own KeyUpdate. */
  get updateRequested(): boolean {
    return this.requestUpdate === KeyUpdateRequest.update_requested;
  }

  encodeBody(w: Writer): void {
    w.u8(this.requestUpdate);
  }

  /** @throws {TlsError} decode_error unless 1 byte; illegal_parameter for a value other than 0 or 1 */
  static decode(body: Uint8Array): KeyUpdate {
    const r = new Reader(body);
    const v = r.u8('request_update');
    r.end('KeyUpdate');
    // RFC 8446 §4.6.3: a request_update value other than 0 or 1 is an illegal_parameter.
    if (v !== 0 && v !== 1) throw TlsError.illegal(`KeyUpdate: request_update ${v}`);
    return new KeyUpdate(v);
  }
}

/** RFC 8446 §4.5 EndOfEarlyData: empty body. */
export class EndOfEarlyData implements HandshakeBody {
  static readonly msgType = HandshakeType.end_of_early_data;
  readonly msgType = HandshakeType.end_of_early_data;
  encodeBody(): void {}
  /** @throws {TlsError} decode_error on a non-empty body */
  static decode(body: Uint8Array): EndOfEarlyData {
    decodeEmptyBody(body, 'EndOfEarlyData');
    return new EndOfEarlyData();
  }
}
