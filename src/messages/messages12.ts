/**
 * TLS 1.2 handshake messages (RFC 5246 §7.4, RFC 8422 §5.4/5.7 ECDHE,
 * RFC 5077 §3.3 tickets, RFC 6066 §8 CertificateStatus). Finished and
 * CertificateVerify are shared with TLS 1.3 (messages13.ts).
 */
import { HandshakeType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { Reader, Writer } from './codec.js';
import { CertificateStatusExt, readDistinguishedNames, writeDistinguishedNames } from './ext-core.js';
import { check } from './extensions.js';
import { decodeEmptyBody, type HandshakeBody } from './handshake.js';

/** RFC 5246 §7.4.1.1 HelloRequest: empty. */
export class HelloRequest implements HandshakeBody {
  static readonly msgType = HandshakeType.hello_request;
  readonly msgType = HandshakeType.hello_request;
  encodeBody(): void {}
  /** @throws {TlsError} decode_error on a non-empty body */
  static decode(body: Uint8Array): HelloRequest {
    decodeEmptyBody(body, 'HelloRequest');
    return new HelloRequest();
  }
}

/** RFC 5246 §7.4.5 ServerHelloDone: empty. */
export class ServerHelloDone implements HandshakeBody {
  static readonly msgType = HandshakeType.server_hello_done;
  readonly msgType = HandshakeType.server_hello_done;
  encodeBody(): void {}
  /** @throws {TlsError} decode_error on a non-empty body */
  static decode(body: Uint8Array): ServerHelloDone {
    decodeEmptyBody(body, 'ServerHelloDone');
    return new ServerHelloDone();
  }
}

/** RFC 5246 §7.4.2 Certificate {ASN.1Cert certificate_list<0..2^24-1>}, each <1..2^24-1>. */
export class Certificate12 implements HandshakeBody {
  static readonly msgType = HandshakeType.certificate;
  readonly msgType = HandshakeType.certificate;
  /** @throws {RangeError} on an empty certificate */
  constructor(readonly certificates: Uint8Array[]) {
    check(certificates.every((c) => c.length > 0), 'Certificate12: empty certificate');
  }

  encodeBody(w: Writer): void {
    w.vec24(() => this.certificates.forEach((c) => w.opaque24(c)));
  }

  /** @throws {TlsError} decode_error */
  static decode(body: Uint8Array): Certificate12 {
    const r = new Reader(body);
    const certificates = r.list24('certificate_list', (e) => e.vec24('ASN.1Cert', 1));
    r.end('Certificate');
    return new Certificate12(certificates);
  }
}

/** RFC 8422 §5.4 ECCurveType named_curve. */
export const EC_CURVE_TYPE_NAMED_CURVE = 3;

/**
 * RFC 8422 §5.4 ServerKeyExchange for ECDHE: ServerECDHParams {ECParameters
 * {curve_type named_curve, NamedCurve}, ECPoint public<1..255>} then a
 * digitally-signed {SignatureAndHashAlgorithm, signature<0..2^16-1>} (RFC 5246 §4.7).
 */
export class ServerKeyExchangeEcdhe implements HandshakeBody {
  static readonly msgType = HandshakeType.server_key_exchange;
  readonly msgType = HandshakeType.server_key_exchange;
  /** @throws {RangeError} on an empty or over-255-byte public key */
  constructor(
    readonly group: number,
    readonly publicKey: Uint8Array,
    readonly scheme: number,
    readonly signature: Uint8Array,
  ) {
    check(publicKey.length >= 1 && publicKey.length <= 255, 'ServerKeyExchangeEcdhe: public key must be 1..255 bytes');
  }

  /** The ServerECDHParams bytes, signed after client_random + server_random (RFC 8422 §5.4). */
  params(): Uint8Array {
    const w = new Writer(8 + this.publicKey.length);
    this.writeParams(w);
    return w.finish();
  }

  private writeParams(w: Writer): void {
    w.u8(EC_CURVE_TYPE_NAMED_CURVE).u16(this.group).opaque8(this.publicKey);
  }

  encodeBody(w: Writer): void {
    this.writeParams(w);
    w.u16(this.scheme).opaque16(this.signature);
  }

  /** @throws {TlsError} decode_error; illegal_parameter for a curve_type other than named_curve */
  static decode(body: Uint8Array): ServerKeyExchangeEcdhe {
    const r = new Reader(body);
    const curveType = r.u8('curve_type');
    // RFC 8422 §5.4: only named_curve is allowed (explicit curves are deprecated).
    if (curveType !== EC_CURVE_TYPE_NAMED_CURVE) throw TlsError.illegal(`ServerKeyExchange: curve_type ${curveType}`);
    const group = r.u16('namedcurve');
    const publicKey = r.vec8('ECPoint', 1);
    const scheme = r.u16('SignatureAndHashAlgorithm');
    const signature = r.vec16('signature');
    r.end('ServerKeyExchange');
    return new ServerKeyExchangeEcdhe(group, publicKey, scheme, signature);
  }
}

/** RFC 8422 §5.7 ClientKeyExchange for ECDHE: ClientECDiffieHellmanPublic {ECPoint ecdh_Yc<1..255>}. */
export class ClientKeyExchangeEcdhe implements HandshakeBody {
  static readonly msgType = HandshakeType.client_key_exchange;
  readonly msgType = HandshakeType.client_key_exchange;
  /** @throws {RangeError} on an empty or over-255-byte public key */
  constructor(readonly publicKey: Uint8Array) {
    check(publicKey.length >= 1 && publicKey.length <= 255, 'ClientKeyExchangeEcdhe: public key must be 1..255 bytes');
  }

  encodeBody(w: Writer): void {
    w.opaque8(this.publicKey);
  }

  /** @throws {TlsError} decode_error */
  static decode(body: Uint8Array): ClientKeyExchangeEcdhe {
    const r = new Reader(body);
    const publicKey = r.vec8('ecdh_Yc', 1);
    r.end('ClientKeyExchange');
    return new ClientKeyExchangeEcdhe(publicKey);
  }
}

/** RFC 5246 §7.4.4 ClientCertificateType values we meet. */
export const ClientCertificateType = { rsa_sign: 1, ecdsa_sign: 64 } as const;

/**
 * RFC 5246 §7.4.4 CertificateRequest {ClientCertificateType certificate_types<1..2^8-1>,
 * supported_signature_algorithms<2..2^16-2>, DistinguishedName certificate_authorities<0..2^16-1>}.
 */
export class CertificateRequest12 implements HandshakeBody {
  static readonly msgType = HandshakeType.certificate_request;
  readonly msgType = HandshakeType.certificate_request;
  /** @throws {RangeError} on an empty type or algorithm list */
  constructor(
    readonly certificateTypes: number[],
    readonly signatureAlgorithms: number[],
    readonly certificateAuthorities: Uint8Array[],
  ) {
    check(certificateTypes.length >= 1, 'CertificateRequest12: no certificate types');
    check(signatureAlgorithms.length >= 1, 'CertificateRequest12: no signature algorithms');
  }

  encodeBody(w: Writer): void {
    w.vec8(() => this.certificateTypes.forEach((t) => w.u8(t)));
    w.vec16(() => this.signatureAlgorithms.forEach((s) => w.u16(s)));
    writeDistinguishedNames(w, this.certificateAuthorities);
  }

  /** @throws {TlsError} decode_error */
  static decode(body: Uint8Array): CertificateRequest12 {
    const r = new Reader(body);
    const types = r.list8('certificate_types', (e) => e.u8('ClientCertificateType'), { minBytes: 1 });
    const algs = r.list16('supported_signature_algorithms', (e) => e.u16('SignatureAndHashAlgorithm'), {
      minBytes: 2,
      maxBytes: 0xfffe,
    });
    const cas = readDistinguishedNames(r, 'certificate_authorities', 0);
    r.end('CertificateRequest');
    return new CertificateRequest12(types, algs, cas);
  }
}

/**
 * RFC 5077 §3.3 NewSessionTicket {uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>}.
 * An empty ticket means "no ticket after all".
 */
export class NewSessionTicket12 implements HandshakeBody {
  static readonly msgType = HandshakeType.new_session_ticket;
  readonly msgType = HandshakeType.new_session_ticket;
  constructor(
    readonly lifetimeHint: number,
    readonly ticket: Uint8Array,
  ) {}

  encodeBody(w: Writer): void {
    w.u32(this.lifetimeHint).opaque16(this.ticket);
  }

  /** @throws {TlsError} decode_error */
  static decode(body: Uint8Array): NewSessionTicket12 {
    const r = new Reader(body);
    const lifetimeHint = r.u32('ticket_lifetime_hint');
    const ticket = r.vec16('ticket');
    r.end('NewSessionTicket');
    return new NewSessionTicket12(lifetimeHint, ticket);
  }
}

/** RFC 6066 §8 CertificateStatus (TLS 1.2 stapled OCSP) {status_type ocsp, OCSPResponse<1..2^24-1>}. */
export class CertificateStatus implements HandshakeBody {
  static readonly msgType = HandshakeType.certificate_status;
  readonly msgType = HandshakeType.certificate_status;
  /** @throws {RangeError} on an empty response */
  constructor(readonly ocspResponse: Uint8Array) {
    check(ocspResponse.length > 0, 'CertificateStatus: empty OCSP response');
  }

  encodeBody(w: Writer): void {
    CertificateStatusExt.encode(w, this.ocspResponse);
  }

  /** @throws {TlsError} decode_error, also for a status_type other than ocsp */
  static decode(body: Uint8Array): CertificateStatus {
    const r = new Reader(body);
    const resp = CertificateStatusExt.decode(r);
    r.end('CertificateStatus');
    return new CertificateStatus(resp);
  }
}
