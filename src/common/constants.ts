/**
 * Wire constants, with their RFC/IANA names. Plain `as const` objects (not TS
 * enums) so they tree-shake and read as data.
 */

/** RFC 8446 §5.1 / RFC 5246 §6.2.1 */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** RFC 8446 §4 and RFC 5246 §7.4 */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  certificate_status: 22,
  key_update: 24,
  message_hash: 254,
} as const;
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];

export const ProtocolVersion = {
  TLSv1_0: 0x0301,
  TLSv1_1: 0x0302,
  TLSv1_2: 0x0303,
  TLSv1_3: 0x0304,
} as const;
export type ProtocolVersion = number;

/** RFC 8446 §4.2 plus the TLS 1.2 ones we know. */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;
export type ExtensionType = number;

export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  // TLS 1.2 (RFC 5289, RFC 7905, RFC 5288)
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
  TLS_FALLBACK_SCSV: 0x5600,
} as const;
export type CipherSuite = number;

/** RFC 8446 §4.2.7, RFC 7919 */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
} as const;
export type NamedGroup = number;

/** RFC 8446 §4.2.3 */
export const SignatureScheme = {
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;
export type SignatureScheme = number;

/** RFC 8446 §4.2.9 */
export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** RFC 8446 §4.6.3 (and OpenSSL's SSL_KEY_UPDATE_* values). */
export const KeyUpdateType = { NONE: -1, NOT_REQUESTED: 0, REQUESTED: 1 } as const;
export type KeyUpdateType = (typeof KeyUpdateType)[keyof typeof KeyUpdateType];

const namesByTable = new WeakMap<object, Map<number, string>>();

/**
 * Lookup of a constant's name for messages and `-msg` output. The decoders
 * name every extension they read (the context of a possible error), so the
 * reverse map is built once per table: a scan per call cost 2% of a server
 * handshake.
 */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  let names = namesByTable.get(table);
  if (names === undefined) {
    names = new Map();
    for (const [k, v] of Object.entries(table)) if (!names.has(v)) names.set(v, k);
    namesByTable.set(table, names);
  }
  return names.get(value) ?? `unknown(0x${value.toString(16).padStart(4, '0')})`;
}

/** RFC 8446 §5.1: TLSPlaintext.fragment length limit. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 8446 §5.2: TLSCiphertext.length limit (2^14 + 256). */
export const MAX_CIPHERTEXT_13 = (1 << 14) + 256;
/** RFC 5246 §6.2.3: TLSCiphertext.length limit (2^14 + 2048). */
export const MAX_CIPHERTEXT_12 = (1 << 14) + 2048;
