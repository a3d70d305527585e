/** RFC 8446 §4.2.8 key_share in its three forms. */
import { ExtensionType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import type { Reader, Writer } from './codec.js';
import { check, type ExtensionCodec } from './extensions.js';

/** KeyShareEntry {NamedGroup group; opaque key_exchange<1..2^16-1>}. */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

function readEntry(r: Reader): KeyShareEntry {
  const group = r.u16('KeyShareEntry group');
  const keyExchange = r.vec16('key_exchange', 1);
  return { group, keyExchange };
}

function writeEntry(w: Writer, e: KeyShareEntry): void {
  check(e.keyExchange.length > 0, 'key_share: empty key_exchange');
  w.u16(e.group).opaque16(e.keyExchange);
}

/**
 * ClientHello form: client_shares<0..2^16-1> (empty asks for an HRR).
 * RFC 8446 §4.2.8: a group offered twice is an illegal_parameter.
 */
export const KeyShareClientExt: ExtensionCodec<KeyShareEntry[]> = {
  type: ExtensionType.key_share,
  decode(r) {
    const shares = r.list16('client_shares', readEntry);
    const groups = new Set<number>();
    for (const s of shares) {
      // RFC 8446 §4.2.8: clients MUST NOT offer two KeyShareEntry values for one group.
      if (groups.has(s.group)) throw TlsError.illegal(`key_share: group 0x${s.group.toString(16)} offered twice`);
      groups.add(s.group);
    }
    return shares;
  },
  encode(w, shares) {
    w.vec16(() => shares.forEach((s) => writeEntry(w, s)));
  },
};

/** ServerHello form: server_share. */
export const KeyShareServerExt: ExtensionCodec<KeyShareEntry> = {
  type: ExtensionType.key_share,
  decode: readEntry,
  encode: writeEntry,
};

/** HelloRetryRequest form: selected_group. */
export const KeyShareHrrExt: ExtensionCodec<number> = {
  type: ExtensionType.key_share,
  decode: (r) => r.u16('selected_group'),
  encode: (w, g) => void w.u16(g),
};
