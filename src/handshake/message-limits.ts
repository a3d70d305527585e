import { HandshakeType as H } from '../common/constants.js';

/**
 * The largest body each handshake message may declare, decided from its
 * 4-byte header before the body is buffered (as OpenSSL's
 * ossl_statem_*_max_message_size). Only the certificate messages, whose size
 * the chain decides, go up to the configured maximum; everything else has a
 * fixed bound a little above the largest real message, so a peer cannot park
 * a large partial message (a 128 KiB KeyUpdate) on a connection.
 */
const FIXED: Readonly<Record<number, number>> = {
  [H.hello_request]: 0, // RFC 5246 §7.4.1.1: empty
  [H.client_hello]: 65536, // many key shares and PSK identities still fit
  [H.server_hello]: 16384, // also a HelloRetryRequest
  [H.new_session_ticket]: 16384, // a ticket that carries a client certificate chain fits
  [H.end_of_early_data]: 0, // RFC 8446 §4.5: empty
  [H.encrypted_extensions]: 16384,
  [H.server_key_exchange]: 16384, // FFDHE 8192 parameters plus an RSA-8192 signature
  [H.server_hello_done]: 0, // RFC 5246 §7.4.5: empty
  [H.certificate_verify]: 16384, // 2 + 2 + signature (RSA-8192: 1024)
  [H.client_key_exchange]: 2048, // OpenSSL's bound: an FFDHE 8192 public value is 1024
  [H.certificate_status]: 16384,
  [H.key_update]: 1, // RFC 8446 §4.6.3: one byte
};

/** RFC 8446 §4.4.4: verify_data is Hash.length bytes; SHA-384 is our longest. */
export const MAX_FINISHED_LENGTH = 48;

/**
 * Body limit for a message of `type`: fixed per type, `maxCertificateMessage`
 * (the configured limit) for Certificate and CertificateRequest, -1 for a
 * type no peer may send us (unexpected_message at its header).
 */
export function handshakeMessageLimit(type: number, maxCertificateMessage: number): number {
  if (type === H.certificate || type === H.certificate_request) return maxCertificateMessage;
  if (type === H.finished) return MAX_FINISHED_LENGTH;
  return FIXED[type] ?? -1;
}
