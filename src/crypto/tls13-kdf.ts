import type { CryptoProvider, HashAlgorithm } from './provider.js';

const LABEL_PREFIX = [0x74, 0x6c, 0x73, 0x31, 0x33, 0x20]; // "tls13 "

function encodeLabel(label: string): Uint8Array {
  const b = new Uint8Array(LABEL_PREFIX.length + label.length);
  b.set(LABEL_PREFIX);
  for (let i = 0; i < label.length; i++) b[LABEL_PREFIX.length + i] = label.charCodeAt(i);
  return b;
}

/**
 * The protocol's own labels (RFC 8446 §7.1, §7.3, §4.6.1, §7.2), encoded once.
 * Other labels (the exporter's, chosen by callers) are encoded per call and
 * never cached, so no caller can grow this table.
 */
const PROTOCOL_LABELS: ReadonlyMap<string, Uint8Array> = new Map(
  [
    'derived', 'ext binder', 'res binder', 'c e traffic', 'e exp master', 'c hs traffic', 's hs traffic',
    'c ap traffic', 's ap traffic', 'exp master', 'res master', 'finished', 'key', 'iv', 'traffic upd',
    'resumption', 'exporter',
  ].map((l) => [l, encodeLabel(l)]),
);

/** Entries in the label table: constant whatever labels callers use (for tests). */
export function cachedLabelCount(): number {
  return PROTOCOL_LABELS.size;
}

function labelBytes(label: string): Uint8Array {
  return PROTOCOL_LABELS.get(label) ?? encodeLabel(label);
}

/** RFC 8446 §7.1 HkdfLabel: length u16, label<7..255> = "tls13 " + label, context<0..255>. */
export function hkdfLabelInfo(label: string, context: Uint8Array, length: number): Uint8Array {
  const l = labelBytes(label);
  const info = new Uint8Array(2 + 1 + l.length + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = l.length;
  info.set(l, 3);
  info[3 + l.length] = context.length;
  info.set(context, 4 + l.length);
  return info;
}

/** RFC 8446 §7.1 HKDF-Expand-Label(Secret, Label, Context, Length). */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return provider.hkdfExpand(hash, secret, hkdfLabelInfo(label, context, length), length);
}

/** Traffic key and IV for a TLS 1.3 traffic secret (RFC 8446 §7.3). */
export function trafficKeys(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  keyLength: number,
  ivLength = 12,
): { key: Uint8Array; iv: Uint8Array } {
  const empty = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(provider, hash, secret, 'key', empty, keyLength),
    iv: hkdfExpandLabel(provider, hash, secret, 'iv', empty, ivLength),
  };
}

/** RFC 8446 §7.2: application_traffic_secret_N+1. */
export function nextTrafficSecret(provider: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, 'traffic upd', new Uint8Array(0), secret.length);
}
