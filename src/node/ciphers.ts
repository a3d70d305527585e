/**
 * node's `ciphers` option (and puretls's `ciphersuites`) → the cipher suites
 * for the core: the TLS 1.3 suites and the TLS 1.2 suites, each in order.
 */
import { createSecureContext as opensslSecureContext } from 'node:tls';
import { suiteByName, SUITES, TLS13_SUITES } from '../crypto/suites.js';
import { DEFAULT_CIPHER_SUITES } from '../ssl/context.js';
import { CipherStringError, isTls12IanaEntry, selectTls12Suites } from './cipher-string.js';
import { codedError, invalidArgType, invalidArgValue, type CodedError } from './coded-errors.js';

/** What `ciphers` chose; undefined parts keep puretls's defaults. */
export interface CipherChoice {
  /** TLS 1.3 suites, or undefined for the default. */
  readonly tls13: readonly number[] | undefined;
  /** TLS 1.2 suites ([] when the string selects none of ours: TLS 1.2 is off), or undefined for the default. */
  readonly tls12: readonly number[] | undefined;
}

const isVersion = (v: '1.2' | '1.3') => (id: number) => SUITES.find((s) => s.id === id)?.version === v;
/** puretls's defaults, per version (DEFAULT_CIPHER_SUITES). */
export const DEFAULT_TLS13_SUITES: readonly number[] = DEFAULT_CIPHER_SUITES.filter(isVersion('1.3'));
export const DEFAULT_TLS12_SUITES: readonly number[] = DEFAULT_CIPHER_SUITES.filter(isVersion('1.2'));
const TLS12_NAMES = SUITES.filter((s) => s.version === '1.2').map((s) => s.opensslName);

/** 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256' → suite ids, in order (puretls's `ciphersuites`: every name must be ours). */
export function parseCipherSuites(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType('ciphersuites', 'a string', value);
  const ids: number[] = [];
  for (const name of value.split(':').map((s) => s.trim()).filter((s) => s !== '')) {
    const s = suiteByName(name);
    if (!s || s.version !== '1.3') throw invalidArgValue('ciphersuites', value, `names an unknown TLS 1.3 cipher suite '${name}'`);
    if (!ids.includes(s.id)) ids.push(s.id);
  }
  if (ids.length === 0) throw invalidArgValue('ciphersuites', value, 'names no TLS 1.3 cipher suite');
  return ids;
}

export function noCipherMatch(value: string, why: string, cause?: unknown): CodedError {
  const err = codedError(new Error(`The 'ciphers' option ${why} (no cipher match). Received '${value}'`), 'ERR_SSL_NO_CIPHER_MATCH');
  return cause === undefined ? err : Object.assign(err, { cause });
}

/**
 * The TLS 1.3 entries (`TLS_*`, `!TLS_*`) → suite ids. Unknown names are
 * skipped if another one is known (OpenSSL's SSL_CTX_set_ciphersuites);
 * none known is 'no cipher match'. `!TLS_*` is refused: OpenSSL does not
 * remove a TLS 1.3 suite that way, and we do not drop what was asked for.
 */
function tls13Part(value: string, entries: readonly string[]): number[] | undefined {
  if (entries.length === 0) return undefined;
  const ids: number[] = [];
  for (const name of entries) {
    if (name.startsWith('!')) {
      throw invalidArgValue('ciphers', value, `cannot exclude a TLS 1.3 suite with '${name}' (OpenSSL ignores it); list the suites to allow instead`);
    }
    const s = suiteByName(name);
    if (s?.version === '1.3' && !ids.includes(s.id)) ids.push(s.id);
  }
  if (ids.length === 0) throw noCipherMatch(value, `names no TLS 1.3 suite puretls implements (${TLS13_SUITES.map((x) => x.name).join(', ')})`);
  return ids;
}

/** A `ciphers` entry as OpenSSL spells it: our IANA names become OpenSSL's (OpenSSL 3.0 knows only those). */
function opensslSpelling(entry: string): string {
  if (!isTls12IanaEntry(entry)) return entry;
  const op = '!-+'.includes(entry[0]!) ? entry[0]! : '';
  return op + suiteByName(entry.slice(op.length))!.opensslName;
}

/**
 * The TLS 1.2 entries, an OpenSSL cipher string → our TLS 1.2 suites in its
 * order. node's own OpenSSL judges the string first (its 'no cipher match'
 * is ours too); names it knows that puretls does not implement (CBC, DHE,
 * static RSA) select nothing. Our IANA names (TLS_ECDHE_*) are accepted here:
 * node would send them to OpenSSL's TLS 1.3 list, where they are lost.
 */
function tls12Part(value: string, entries: readonly string[]): number[] {
  const hidden = entries.flatMap((e) => e.split(/[ ,;]+/)).find((t) => /^!?TLS_/.test(t) && !isTls12IanaEntry(t));
  if (hidden !== undefined) throw invalidArgValue('ciphers', value, `has '${hidden}' joined by a space or comma; separate TLS 1.3 suites with ':'`);
  const openssl = entries.map(opensslSpelling).join(':');
  try {
    opensslSecureContext({ ciphers: openssl });
  } catch (e) {
    // As node: a TLS 1.2 list that matches nothing fails, even beside good TLS 1.3 names.
    throw noCipherMatch(value, `TLS 1.2 part '${entries.join(':')}' matches no cipher`, e);
  }
  try {
    return selectTls12Suites(entries.join(':'));
  } catch (e) {
    if (e instanceof CipherStringError) throw invalidArgValue('ciphers', value, `has ${e.message}`);
    throw e;
  }
}

/**
 * node's `ciphers` → the suites it chooses. Mirrors node 20
 * (lib/internal/tls/secure-context.js processCiphers, checked by experiment):
 * - the list is split on ':'; `TLS_*` (and `!TLS_*`) entries are the TLS 1.3
 *   suites, the others an OpenSSL cipher string for TLS 1.2;
 * - no TLS 1.3 entry: the TLS 1.3 suites stay the default;
 * - no TLS 1.2 entry: TLS 1.2 is off (node raises the minimum to TLS 1.3);
 * - nothing at all (':') is ERR_INVALID_ARG_VALUE; '' or absent means the defaults.
 * Refused where node would silently drop what the user asked for: `!TLS_*`,
 * a TLS_ name joined to the TLS 1.2 list by a space or comma, a TLS 1.3 list
 * naming no suite puretls implements (node accepts TLS_AES_128_CCM_SHA256).
 */
export function parseCiphers(value: unknown): CipherChoice {
  if (value === undefined || value === null || value === '') return { tls13: undefined, tls12: undefined };
  if (typeof value !== 'string') throw invalidArgType('ciphers', 'a string', value);
  const entries = value.split(':').filter((e) => e !== '');
  if (entries.length === 0) throw invalidArgValue('ciphers', value, 'names no cipher');
  const isTls12 = (e: string): boolean => !(e.startsWith('TLS_') || e.startsWith('!TLS_')) || isTls12IanaEntry(e);
  const tls12 = entries.filter(isTls12);
  return { tls13: tls13Part(value, entries.filter((e) => !isTls12(e))), tls12: tls12.length > 0 ? tls12Part(value, tls12) : [] };
}

/** The error for a TLS 1.2-only context whose `ciphers` select none of our TLS 1.2 suites. */
export function noTls12Suite(value: string | undefined): CodedError {
  return noCipherMatch(value ?? '', `selects no TLS 1.2 suite puretls implements (${TLS12_NAMES.join(', ')}), and maxVersion is 'TLSv1.2'`);
}
