/** TLS 1.3 resumption extensions: PSK, modes, early data, cookie (RFC 8446 §4.2.2, §4.2.9-11). */
import { ExtensionType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { check, emptyCodec, type ExtensionCodec } from './extensions.js';

/** RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>. */
export const PskKeyExchangeModesExt: ExtensionCodec<number[]> = {
  type: ExtensionType.psk_key_exchange_modes,
  decode: (r) => r.list8('ke_modes', (e) => e.u8('ke_mode'), { minBytes: 1 }),
  encode(w, modes) {
    check(modes.length >= 1, 'psk_key_exchange_modes: empty list');
    w.vec8(() => modes.forEach((m) => w.u8(m)));
  },
};

/** PskIdentity {opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age}. */
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

/** OfferedPsks: identities<7..2^16-1>, binders<33..2^16-1> of PskBinderEntry<32..255>. */
export interface OfferedPsks {
  readonly identities: PskIdentity[];
  readonly binders: Uint8Array[];
}

/**
 * RFC 8446 §4.2.11 ClientHello form. One binder per identity, else
 * illegal_parameter. It must be the last extension: ClientHello.decode checks.
 */
export const PreSharedKeyClientExt: ExtensionCodec<OfferedPsks> = {
  type: ExtensionType.pre_shared_key,
  decode(r) {
    const identities = r.list16(
      'identities',
      (e) => ({ identity: e.vec16('PskIdentity identity', 1), obfuscatedTicketAge: e.u32('obfuscated_ticket_age') }),
      { minBytes: 7 },
    );
    const binders = r.list16('binders', (e) => e.vec8('PskBinderEntry', 32), { minBytes: 33 });
    // RFC 8446 §4.2.11: binders: one HMAC for each identity, in the same order.
    if (binders.length !== identities.length) {
      throw TlsError.illegal(`pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
    }
    return { identities, binders };
  },
  encode(w, v) {
    check(v.identities.length > 0 && v.identities.length === v.binders.length, 'pre_shared_key: one binder per identity');
    w.vec16(() => {
      for (const id of v.identities) {
        check(id.identity.length > 0, 'pre_shared_key: empty identity');
        w.opaque16(id.identity).u32(id.obfuscatedTicketAge);
      }
    });
    w.vec16(() => {
      for (const b of v.binders) {
        check(b.length >= 32, 'pre_shared_key: binder shorter than 32 bytes');
        w.opaque8(b);
      }
    });
  },
};

/** Wire length of the binders list (with its u16 prefix) for binders of these lengths. */
export function pskBindersLength(binderLengths: readonly number[]): number {
  return 2 + binderLengths.reduce((n, l) => n + 1 + l, 0);
}

/** RFC 8446 §4.2.11 ServerHello form: selected_identity. */
export const PreSharedKeyServerExt: ExtensionCodec<number> = {
  type: ExtensionType.pre_shared_key,
  decode: (r) => r.u16('selected_identity'),
  encode: (w, v) => void w.u16(v),
};

/** RFC 8446 §4.2.10 early_data in ClientHello and EncryptedExtensions: empty. */
export const EarlyDataEmptyExt: ExtensionCodec<void> = emptyCodec(ExtensionType.early_data);

/** RFC 8446 §4.2.10 early_data in NewSessionTicket: max_early_data_size u32. */
export const EarlyDataTicketExt: ExtensionCodec<number> = {
  type: ExtensionType.early_data,
  decode: (r) => r.u32('max_early_data_size'),
  encode: (w, v) => void w.u32(v),
};

/** RFC 8446 §4.2.2 cookie: opaque cookie<1..2^16-1>. */
export const CookieExt: ExtensionCodec<Uint8Array> = {
  type: ExtensionType.cookie,
  decode: (r) => r.vec16('cookie', 1),
  encode(w, v) {
    check(v.length > 0, 'cookie: empty');
    w.opaque16(v);
  },
};
