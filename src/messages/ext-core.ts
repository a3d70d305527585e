/**
 * Extensions shared by TLS 1.2 and 1.3: names, groups, signature schemes,
 * versions, ALPN, OCSP stapling, record size limit, CAs, post-handshake auth.
 * Host names and ALPN protocol names are latin1 strings (see latin1Decode).
 */
import { ExtensionType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import type { Reader, Writer } from './codec.js';
import { check, emptyCodec, latin1Decode, latin1Encode, type ExtensionCodec } from './extensions.js';

/** A codec for a u16 list inside a u16 vector, as groups and schemes are. */
function u16ListCodec(type: number, field: string, minBytes: number, maxBytes: number): ExtensionCodec<number[]> {
  return {
    type,
    decode: (r) => r.list16(field, (e) => e.u16(field), { minBytes, maxBytes }),
    encode(w, v) {
      check(v.length * 2 >= minBytes && v.length * 2 <= maxBytes, `${field}: ${v.length} entries out of range`);
      w.vec16(() => v.forEach((x) => w.u16(x)));
    },
  };
}

/** RFC 6066 §3 name_type host_name. */
const HOST_NAME = 0;

/**
 * server_name in a ClientHello (RFC 6066 §3): the host_name entries. Entries
 * of other name types are parsed (u16-length opaque) and dropped. An empty list
 * and a second host_name ("MUST NOT contain more than one name of the same
 * name_type", as OpenSSL and Go read it) are decode_error, as is a NUL byte.
 */
export const ServerNameExt: ExtensionCodec<string[]> = {
  type: ExtensionType.server_name,
  decode(r) {
    const list = r.sub16('server_name_list', 1);
    const names: string[] = [];
    while (list.remaining > 0) {
      const nameType = list.u8('server_name name_type');
      const name = list.vec16('server_name HostName', 1);
      if (nameType !== HOST_NAME) continue;
      if (names.length > 0) throw TlsError.decode('server_name: more than one host_name');
      if (name.includes(0)) throw TlsError.decode('server_name: NUL in host_name');
      names.push(latin1Decode(name));
    }
    return names;
  },
  encode(w, names) {
    check(names.length === 1, 'server_name: exactly one host name');
    w.vec16(() => {
      for (const n of names) {
        check(n.length > 0, 'server_name: empty host name');
        w.u8(HOST_NAME).opaque16(latin1Encode(n, 'server_name'));
      }
    });
  },
};

/** server_name with empty data, as a server acknowledges it (RFC 6066 §3; RFC 8446 EE). */
export const EmptyServerNameExt: ExtensionCodec<void> = emptyCodec(ExtensionType.server_name);

/** RFC 8446 §4.2.7: named_group_list<2..2^16-1>. */
export const SupportedGroupsExt = u16ListCodec(ExtensionType.supported_groups, 'supported_groups', 2, 0xffff);

/** RFC 8446 §4.2.3: supported_signature_algorithms<2..2^16-2>. */
export const SignatureAlgorithmsExt = u16ListCodec(ExtensionType.signature_algorithms, 'signature_algorithms', 2, 0xfffe);

/** RFC 8446 §4.2.3: signature_algorithms_cert, same shape. */
export const SignatureAlgorithmsCertExt = u16ListCodec(
  ExtensionType.signature_algorithms_cert,
  'signature_algorithms_cert',
  2,
  0xfffe,
);

/** RFC 8446 §4.2.1 ClientHello form: versions<2..254>. */
export const SupportedVersionsClientExt: ExtensionCodec<number[]> = {
  type: ExtensionType.supported_versions,
  decode: (r) => r.list8('supported_versions', (e) => e.u16('supported_versions'), { minBytes: 2, maxBytes: 254 }),
  encode(w, v) {
    check(v.length >= 1 && v.length <= 127, 'supported_versions: 1..127 versions');
    w.vec8(() => v.forEach((x) => w.u16(x)));
  },
};

/** RFC 8446 §4.2.1 ServerHello/HRR form: selected_version. */
export const SupportedVersionsServerExt: ExtensionCodec<number> = {
  type: ExtensionType.supported_versions,
  decode: (r) => r.u16('selected_version'),
  encode: (w, v) => void w.u16(v),
};

/**
 * RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>, each <1..2^8-1>.
 * Names are latin1 strings (bytes one-to-one); pass a UTF-8 name as
 * `Buffer.from(name, 'utf8').toString('latin1')`.
 */
export const AlpnExt: ExtensionCodec<string[]> = {
  type: ExtensionType.application_layer_protocol_negotiation,
  decode: (r) =>
    r.list16('protocol_name_list', (e) => latin1Decode(e.vec8('ProtocolName', 1)), { minBytes: 2 }),
  encode(w, names) {
    check(names.length > 0, 'alpn: empty protocol list');
    w.vec16(() => {
      for (const n of names) {
        check(n.length >= 1 && n.length <= 255, 'alpn: protocol name must be 1..255 bytes');
        w.opaque8(latin1Encode(n, 'alpn'));
      }
    });
  },
};

/** RFC 6066 §8 CertificateStatusType ocsp. */
export const CERT_STATUS_OCSP = 1;

export interface OcspStatusRequest {
  /** ResponderID entries, each DER opaque<1..2^16-1>. */
  readonly responderIds: Uint8Array[];
  /** DER Extensions, opaque<0..2^16-1>. */
  readonly extensions: Uint8Array;
}

/** RFC 6066 §8 CertificateStatusRequest (ClientHello; TLS 1.3 CertificateRequest). Only ocsp(1). */
export const StatusRequestExt: ExtensionCodec<OcspStatusRequest> = {
  type: ExtensionType.status_request,
  decode(r) {
    const t = r.u8('status_type');
    if (t !== CERT_STATUS_OCSP) throw TlsError.decode(`status_request: status_type ${t} is not ocsp`);
    const responderIds = r.list16('responder_id_list', (e) => e.vec16('ResponderID', 1));
    const extensions = r.vec16('request_extensions');
    return { responderIds, extensions };
  },
  encode(w, v) {
    w.u8(CERT_STATUS_OCSP);
    w.vec16(() => v.responderIds.forEach((id) => w.opaque16(id)));
    w.opaque16(v.extensions);
  },
};

/** status_request with empty data: a TLS 1.2 ServerHello agreeing to staple (RFC 6066 §8). */
export const EmptyStatusRequestExt: ExtensionCodec<void> = emptyCodec(ExtensionType.status_request);

/**
 * RFC 6066 §8 / RFC 8446 §4.4.2.1 CertificateStatus {status_type ocsp, OCSPResponse<1..2^24-1>}:
 * the status_request extension of a TLS 1.3 CertificateEntry, and the body of
 * the TLS 1.2 CertificateStatus message. Value: the DER OCSPResponse.
 */
export const CertificateStatusExt: ExtensionCodec<Uint8Array> = {
  type: ExtensionType.status_request,
  decode(r) {
    const t = r.u8('status_type');
    if (t !== CERT_STATUS_OCSP) throw TlsError.decode(`CertificateStatus: status_type ${t} is not ocsp`);
    return r.vec24('OCSPResponse', 1);
  },
  encode(w, v) {
    check(v.length > 0, 'CertificateStatus: empty OCSP response');
    w.u8(CERT_STATUS_OCSP).opaque24(v);
  },
};

/**
 * RFC 8449 §4 record_size_limit: RecordSizeLimit u16; below 64 is an
 * illegal_parameter. (Upper bound checks depend on the version; callers clamp.)
 */
export const RecordSizeLimitExt: ExtensionCodec<number> = {
  type: ExtensionType.record_size_limit,
  decode(r) {
    const v = r.u16('record_size_limit');
    // RFC 8449 §4: a value less than 64 MUST be treated as a fatal illegal_parameter.
    if (v < 64) throw TlsError.illegal(`record_size_limit ${v} below 64`);
    return v;
  },
  encode(w, v) {
    check(Number.isInteger(v) && v >= 64 && v <= 0xffff, 'record_size_limit: 64..65535');
    w.u16(v);
  },
};

/** RFC 8446 §4.2.6 post_handshake_auth: empty. */
export const PostHandshakeAuthExt: ExtensionCodec<void> = emptyCodec(ExtensionType.post_handshake_auth);

/** RFC 8446 §4.2.4: DistinguishedName authorities<3..2^16-1>, each <1..2^16-1> (DER Name). */
export const CertificateAuthoritiesExt: ExtensionCodec<Uint8Array[]> = {
  type: ExtensionType.certificate_authorities,
  decode: (r) => readDistinguishedNames(r, 'certificate_authorities', 3),
  encode(w, v) {
    check(v.length > 0, 'certificate_authorities: empty list');
    writeDistinguishedNames(w, v);
  },
};

/** DistinguishedName list (also TLS 1.2 CertificateRequest). */
export function readDistinguishedNames(r: Reader, field: string, minBytes: number): Uint8Array[] {
  return r.list16(field, (e) => e.vec16('DistinguishedName', 1), { minBytes });
}

export function writeDistinguishedNames(w: Writer, names: readonly Uint8Array[]): void {
  w.vec16(() => {
    for (const n of names) {
      check(n.length > 0, 'DistinguishedName: empty');
      w.opaque16(n);
    }
  });
}
