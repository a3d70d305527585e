/**
 * The generic extension block (RFC 8446 §4.2, RFC 5246 §7.4.1.4) and the
 * typed-codec glue. Extensions stay opaque (`{type, data}`) inside messages so
 * unknown ones survive a re-encode byte for byte; a typed view is taken with
 * `findExtension(exts, SomeExt)`.
 */
import { ExtensionType, nameOf } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { Reader, Writer } from './codec.js';

/** One extension as on the wire; `data` is the extension_data (a view, not a copy). */
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** How one extension's data is read and written. `decode` need not call `r.end()`. */
export interface ExtensionCodec<T> {
  readonly type: number;
  decode(r: Reader): T;
  encode(w: Writer, value: T): void;
}

/**
 * Read a u16-length extension block. `where` names the message in errors.
 * @throws {TlsError} decode_error on bad framing or a block outside `minBytes..maxBytes`;
 *   illegal_parameter on a repeated type (RFC 8446 §4.2)
 */
export function decodeExtensions(r: Reader, where: string, minBytes = 0, maxBytes = 0xffff): Extension[] {
  const block = r.sub16(`${where} extensions`, minBytes, maxBytes);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16(`${where} extension type`);
    const data = block.vec16(`${where} extension ${extensionName(type)}`);
    // RFC 8446 §4.2: no more than one extension of a given type in a block.
    if (seen.has(type)) throw TlsError.illegal(`${where}: duplicate extension ${extensionName(type)}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/** Write a u16-length extension block, in the given order. */
export function encodeExtensions(w: Writer, exts: readonly Extension[]): void {
  w.vec16(() => {
    for (const e of exts) w.u16(e.type).opaque16(e.data);
  });
}

/**
 * Decode the extension `codec` names, if present. The data must be used up.
 * @throws {TlsError} decode_error (or the codec's own alert) on bad data
 */
export function findExtension<T>(exts: readonly Extension[], codec: ExtensionCodec<T>): T | undefined {
  const e = exts.find((x) => x.type === codec.type);
  return e === undefined ? undefined : decodeExtensionData(codec, e.data);
}

/** Decode one extension's data with `codec`, requiring it to be used up. @throws {TlsError} */
export function decodeExtensionData<T>(codec: ExtensionCodec<T>, data: Uint8Array): T {
  const r = new Reader(data);
  const v = codec.decode(r);
  r.end(`extension ${extensionName(codec.type)}`);
  return v;
}

/** Build an opaque extension from a typed value. @throws {RangeError} on a value the codec cannot write */
export function makeExtension<T>(codec: ExtensionCodec<T>, value: T): Extension {
  const w = new Writer(64);
  codec.encode(w, value);
  return { type: codec.type, data: w.finish() };
}

/** True if an extension of this type is present. */
export function hasExtension(exts: readonly Extension[], type: number): boolean {
  return exts.some((e) => e.type === type);
}

/** The IANA name of an extension type, e.g. 'key_share'. */
export function extensionName(type: number): string {
  return nameOf(ExtensionType, type);
}

/**
 * A codec for an extension whose data must be empty (value type void).
 * Its decode yields `true` at runtime, so `findExtension(exts, X) !== undefined`
 * tells presence (an honest `undefined` would hide it); `hasExtension` also works
 * but does not check that the data is empty.
 */
export function emptyCodec(type: number): ExtensionCodec<void> {
  return {
    type,
    decode(r) {
      if (r.remaining !== 0) throw TlsError.decode(`extension ${extensionName(type)}: must be empty`);
      return true;
    },
    encode() {},
  };
}

/** RangeError unless `ok`: argument checks for encoders. */
export function check(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(what);
}

/**
 * Protocol names and host names are bytes on the wire. We map them to strings
 * as latin1 (one char per byte, U+0000..U+00FF), which round-trips every byte
 * string exactly. ASCII names (all real ones) are unaffected.
 */
export function latin1Decode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/** Inverse of latin1Decode. @throws {RangeError} if a char is above U+00FF */
export function latin1Encode(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    check(c <= 0xff, `${what}: character U+${c.toString(16)} is not a byte (names are latin1)`);
    out[i] = c;
  }
  return out;
}
