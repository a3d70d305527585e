/**
 * node's `secureOptions` (OpenSSL's SSL_OP_* flags, crypto.constants): the
 * flags puretls honours, those that ask for nothing it does not already do,
 * and the rest, refused by name. Hardening snippets commonly set
 * SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION:
 * those hold by construction here (TLS 1.2 and 1.3 only, no compression).
 */
import { ProtocolVersion } from '../common/constants.js';
import { codedError } from './coded-errors.js';

/** OpenSSL's values (OpenSSL 3, as node's crypto.constants). */
export const SSL_OP = {
  ALL: 0x80000850, // bug workarounds: none needed by puretls
  ALLOW_NO_DHE_KEX: 0x400,
  ALLOW_UNSAFE_LEGACY_RENEGOTIATION: 0x40000,
  CIPHER_SERVER_PREFERENCE: 0x400000,
  CISCO_ANYCONNECT: 0x8000,
  COOKIE_EXCHANGE: 0x2000,
  CRYPTOPRO_TLSEXT_BUG: 0x80000000,
  DONT_INSERT_EMPTY_FRAGMENTS: 0x800,
  LEGACY_SERVER_CONNECT: 0x4,
  NO_COMPRESSION: 0x20000,
  NO_ENCRYPT_THEN_MAC: 0x80000,
  NO_QUERY_MTU: 0x1000,
  NO_RENEGOTIATION: 0x40000000,
  NO_SESSION_RESUMPTION_ON_RENEGOTIATION: 0x10000,
  NO_SSLv3: 0x2000000,
  NO_TICKET: 0x4000,
  NO_TLSv1: 0x4000000,
  NO_TLSv1_1: 0x10000000,
  NO_TLSv1_2: 0x8000000,
  NO_TLSv1_3: 0x20000000,
  PRIORITIZE_CHACHA: 0x200000,
  TLS_ROLLBACK_BUG: 0x800000,
} as const;

/** Flags that ask for what puretls always does (or that concern what it does not have). */
const ALREADY_SO =
  SSL_OP.ALL | SSL_OP.NO_SSLv3 | SSL_OP.NO_TLSv1 | SSL_OP.NO_TLSv1_1 | SSL_OP.NO_COMPRESSION | SSL_OP.NO_ENCRYPT_THEN_MAC |
  SSL_OP.DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP.NO_QUERY_MTU | SSL_OP.COOKIE_EXCHANGE;

/** Flags with an effect here. */
const HONOURED = SSL_OP.NO_TICKET | SSL_OP.CIPHER_SERVER_PREFERENCE | SSL_OP.NO_TLSv1_2 | SSL_OP.NO_TLSv1_3 | SSL_OP.NO_RENEGOTIATION | SSL_OP.ALLOW_NO_DHE_KEX;

/** What the honoured flags change. */
export interface SecureOptionEffects {
  /** SSL_OP_NO_TICKET */
  readonly noTicket: boolean;
  /** SSL_OP_CIPHER_SERVER_PREFERENCE (honorCipherOrder) */
  readonly serverPreference: boolean;
  /** SSL_OP_NO_TLSv1_2 / SSL_OP_NO_TLSv1_3: the versions left. */
  readonly minVersion: number | undefined;
  readonly maxVersion: number | undefined;
  /** SSL_OP_NO_RENEGOTIATION: refuse renegotiation both ways. */
  readonly noRenegotiation: boolean;
  /** SSL_OP_ALLOW_NO_DHE_KEX: psk_ke resumption (TLS 1.3). */
  readonly allowNoDheKex: boolean;
}

const NAMES = Object.entries(SSL_OP).filter(([k]) => k !== 'ALL');

/**
 * Read `secureOptions`.
 * @throws {TypeError} ERR_INVALID_ARG_TYPE for a non-integer; ERR_TLS_OPTION_UNSUPPORTED naming the flags puretls cannot honour
 */
export function parseSecureOptions(value: unknown): SecureOptionEffects {
  const given = value ?? 0;
  if (typeof given !== 'number' || !Number.isInteger(given) || given < -0x80000000 || given > 0xffffffff) {
    throw codedError(new TypeError(`The "secureOptions" option must be an integer of OpenSSL's SSL_OP_* flags. Received ${String(value)}`), 'ERR_INVALID_ARG_TYPE');
  }
  // JavaScript's | gives a negative number once SSL_OP_ALL's top bit is in: the same 32 bits.
  const v = given >>> 0;
  const rest = (v & ~(ALREADY_SO | HONOURED)) >>> 0;
  if (rest !== 0) {
    const named = NAMES.filter(([, bit]) => (rest & bit) >>> 0 === bit).map(([k]) => `SSL_OP_${k}`);
    const unknown = (rest & ~NAMES.reduce((a, [, bit]) => a | bit, 0)) >>> 0;
    const list = [...named, ...(unknown ? [`0x${unknown.toString(16)}`] : [])].join(', ');
    throw codedError(new TypeError(`The "secureOptions" option is not supported by puretls for ${list}: those flags are not implemented (unsafe legacy renegotiation, workarounds for old peers, ChaCha prioritisation)`), 'ERR_TLS_OPTION_UNSUPPORTED');
  }
  const has = (bit: number): boolean => ((v & bit) >>> 0) === bit;
  const no12 = has(SSL_OP.NO_TLSv1_2);
  const no13 = has(SSL_OP.NO_TLSv1_3);
  if (no12 && no13) throw codedError(new RangeError('The "secureOptions" option disables both TLS 1.2 and TLS 1.3: no protocols available'), 'ERR_SSL_NO_PROTOCOLS_AVAILABLE');
  return {
    noTicket: has(SSL_OP.NO_TICKET),
    serverPreference: has(SSL_OP.CIPHER_SERVER_PREFERENCE),
    minVersion: no12 ? ProtocolVersion.TLSv1_3 : undefined,
    maxVersion: no13 ? ProtocolVersion.TLSv1_2 : undefined,
    noRenegotiation: has(SSL_OP.NO_RENEGOTIATION),
    allowNoDheKex: has(SSL_OP.ALLOW_NO_DHE_KEX),
  };
}
