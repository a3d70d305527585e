/** PEM (RFC 7468) decoding and encoding, with a strict base64 codec. */
import { parseError } from './der.js';

export interface PemBlock {
  /** The label between BEGIN and END, e.g. "CERTIFICATE". */
  readonly label: string;
  /** RFC 1421 header lines (Proc-Type, DEK-Info, ...), when present. */
  readonly headers: Readonly<Record<string, string>>;
  readonly der: Uint8Array;
}

export const ENCRYPTED_KEY_MESSAGE = 'encrypted private keys are not supported';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(256).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Strict base64 (padding required, whitespace ignored). */
export function base64Decode(text: string): Uint8Array {
  const s = text.replace(/[\s]+/g, '');
  if (s.length % 4 !== 0) throw parseError('base64: length is not a multiple of 4');
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    const v: number[] = [];
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      if (c === 0x3d && last && j >= 4 - pad) {
        v.push(0);
        continue;
      }
      const x = c < 256 ? B64_INDEX[c]! : -1;
      if (x < 0) throw parseError('base64: invalid character');
      v.push(x);
    }
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    const bytes = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
    const take = last ? 3 - pad : 3;
    // Non-canonical encodings (stray bits under the padding) are rejected.
    if (last && pad > 0 && bytes.slice(take).some((b) => b !== 0)) throw parseError('base64: non-canonical padding');
    for (let j = 0; j < take; j++) out[o++] = bytes[j]!;
  }
  return out;
}

export function base64Encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    s += i + 1 < b.length ? B64[(n >> 6) & 63]! : '=';
    s += i + 2 < b.length ? B64[n & 63]! : '=';
  }
  return s;
}

function toText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  let s = '';
  for (let i = 0; i < input.length; i += 4096) s += String.fromCharCode(...input.subarray(i, i + 4096));
  return s;
}

/** True when the input looks like PEM text (has a BEGIN line). */
export function isPem(input: string | Uint8Array): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(toText(input));
}

/**
 * Every PEM block in `input`, in order (text between blocks is ignored).
 * Encrypted private keys ("ENCRYPTED PRIVATE KEY", or Proc-Type ENCRYPTED) are
 * refused with a clear error.
 */
export function pemDecode(input: string | Uint8Array): PemBlock[] {
  const text = toText(input);
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const label = m[1]!;
    if (m[3] !== label) throw parseError(`PEM: BEGIN ${label} closed by END ${m[3]}`);
    if (label === 'ENCRYPTED PRIVATE KEY') throw parseError(ENCRYPTED_KEY_MESSAGE);
    let body = m[2]!;
    const headers: Record<string, string> = {};
    if (/^\s*[A-Za-z-]+:/.test(body)) {
      const split = /\r?\n\s*\r?\n/.exec(body);
      if (!split) throw parseError('PEM: headers without a blank line');
      for (const line of body.slice(0, split.index).split(/\r?\n/)) {
        const t = line.trim();
        if (!t) continue;
        const c = t.indexOf(':');
        if (c < 0) throw parseError('PEM: bad header line');
        headers[t.slice(0, c).trim()] = t.slice(c + 1).trim();
      }
      body = body.slice(split.index + split[0].length);
    }
    if (/ENCRYPTED/i.test(headers['Proc-Type'] ?? '')) throw parseError(ENCRYPTED_KEY_MESSAGE);
    blocks.push({ label, headers, der: base64Decode(body) });
  }
  return blocks;
}

/** One PEM block, 64 columns, with a trailing newline. */
export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Aliases: `decodePem` / `encodePem` read the same as pemDecode / pemEncode. */
export const decodePem = pemDecode;
export const encodePem = pemEncode;
