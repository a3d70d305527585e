/** TLS 1.2 extensions: secure renegotiation, EMS, EC point formats, session tickets. */
import { ExtensionType } from '../common/constants.js';
import { check, emptyCodec, type ExtensionCodec } from './extensions.js';

/** RFC 5746 §3.2: opaque renegotiated_connection<0..255>. */
export const RenegotiationInfoExt: ExtensionCodec<Uint8Array> = {
  type: ExtensionType.renegotiation_info,
  decode: (r) => r.vec8('renegotiated_connection'),
  encode: (w, v) => void w.opaque8(v),
};

/** RFC 7627 §5.1 extended_master_secret: empty. */
export const ExtendedMasterSecretExt: ExtensionCodec<void> = emptyCodec(ExtensionType.extended_master_secret);

/** RFC 8422 §5.1.2 ECPointFormat ec_point_format_list<1..2^8-1>. */
export const EcPointFormatsExt: ExtensionCodec<number[]> = {
  type: ExtensionType.ec_point_formats,
  decode: (r) => r.list8('ec_point_format_list', (e) => e.u8('ECPointFormat'), { minBytes: 1 }),
  encode(w, v) {
    check(v.length >= 1, 'ec_point_formats: empty list');
    w.vec8(() => v.forEach((f) => w.u8(f)));
  },
};

/** RFC 8422 §5.1.2 ECPointFormat uncompressed. */
export const EC_POINT_FORMAT_UNCOMPRESSED = 0;

/**
 * RFC 5077 §3.2 SessionTicket: the whole extension data is the ticket, empty
 * to ask for one (ClientHello) or to promise one (ServerHello).
 */
export const SessionTicketExt: ExtensionCodec<Uint8Array> = {
  type: ExtensionType.session_ticket,
  decode: (r) => r.rest(),
  encode: (w, v) => void w.bytes(v),
};
