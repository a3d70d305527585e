/**
 * OpenSSL's cipher-string language (SSL_CTX_set_cipher_list, ciphers(1)),
 * evaluated over the TLS 1.2 suites puretls implements: the six ECDHE AEAD
 * suites. Everything else OpenSSL knows (CBC, DHE, static RSA, PSK, ...)
 * selects nothing here, exactly as an unknown word does in OpenSSL.
 *
 * The list operations mirror OpenSSL 3.0's ssl_cipher_apply_rule (checked
 * against `openssl ciphers -s -tls1_2` and node's ClientHello, see
 * test/node/tls12-ciphers.test.ts):
 * - `x` adds the matching suites not yet in the list at its end (a suite
 *   already there keeps its place);
 * - `-x` takes them out, but moves them to the head of the pool, so a later
 *   `x` puts them back first among what it adds;
 * - `!x` removes them for good; `+x` moves the active ones to the end;
 * - `a+b` matches what a and b both match; an unknown word voids the rule;
 * - `@STRENGTH` sorts by cipher bits (stable), `DEFAULT` at the very start is
 *   OpenSSL's default list ("ALL:!COMPLEMENTOFDEFAULT:!eNULL": all six);
 * - items are separated by ':', ' ', ',' or ';'; names are case-sensitive.
 */
import { CipherSuite } from '../common/constants.js';
import { suiteInfo, type SuiteInfo } from '../crypto/suites.js';

const C = CipherSuite;

/** OpenSSL's order of our six suites for 'ALL' (its default sort: strength, then ECDSA before RSA). */
const BASE_ORDER: readonly number[] = [
  C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

type Match = (s: SuiteInfo) => boolean;

const all: Match = () => true;
const aes128: Match = (s) => s.aead === 'AES-128-GCM';
const aes256: Match = (s) => s.aead === 'AES-256-GCM';
const aesgcm: Match = (s) => s.aead !== 'CHACHA20-POLY1305';
const chacha: Match = (s) => s.aead === 'CHACHA20-POLY1305';
const rsa: Match = (s) => s.auth === 'RSA';
const ecdsa: Match = (s) => s.auth === 'ECDSA';

/**
 * OpenSSL 3.0's aliases (ssl_ciph.c cipher_aliases) that match some of our
 * suites. The others (kRSA, RSA, DHE, EDH, aNULL, eNULL, PSK, SRP, 3DES, RC4,
 * CAMELLIA, ARIA, AESCCM, SHA1, SHA256, SHA384 (MAC aliases: AEAD suites have
 * none), LOW, MEDIUM, SSLv3, TLSv1, COMPLEMENTOFDEFAULT, ...) match none of them.
 */
const ALIASES: Readonly<Record<string, Match>> = {
  ALL: all,
  HIGH: all,
  'TLSv1.2': all,
  kECDHE: all,
  kEECDH: all,
  ECDH: all,
  ECDHE: all,
  EECDH: all,
  // FIPS 140-2 approved: AES-GCM, not ChaCha20.
  FIPS: aesgcm,
  aRSA: rsa,
  aECDSA: ecdsa,
  ECDSA: ecdsa,
  AES: aesgcm,
  AESGCM: aesgcm,
  AES128: aes128,
  AES256: aes256,
  CHACHA20: chacha,
};

/** Cipher bits, for @STRENGTH (ChaCha20 has 256). */
function strengthBits(s: SuiteInfo): number {
  return s.aead === 'AES-128-GCM' ? 128 : 256;
}

/** One word (`a+b+c`) as a match, or undefined when a part is unknown (OpenSSL skips the rule). */
function wordMatch(word: string): Match | undefined {
  const parts: Match[] = [];
  for (const part of word.split('+')) {
    const alias = ALIASES[part];
    if (alias) {
      parts.push(alias);
      continue;
    }
    const id = BASE_ORDER.find((x) => suiteInfo(x)!.opensslName === part || suiteInfo(x)!.name === part);
    if (id === undefined) return undefined;
    parts.push((s) => s.id === id);
  }
  return (s) => parts.every((m) => m(s));
}

/** The candidate list: every suite in order, active or not; killed ones are gone. */
interface Pool {
  order: SuiteInfo[];
  active: Set<SuiteInfo>;
}

function add(pool: Pool, m: Match): void {
  const added = pool.order.filter((s) => !pool.active.has(s) && m(s));
  pool.order = [...pool.order.filter((s) => !added.includes(s)), ...added];
  for (const s of added) pool.active.add(s);
}

function remove(pool: Pool, m: Match): void {
  // OpenSSL: most recently deleted suites go to the head, keeping their order.
  const removed = pool.order.filter((s) => pool.active.has(s) && m(s));
  pool.order = [...removed, ...pool.order.filter((s) => !removed.includes(s))];
  for (const s of removed) pool.active.delete(s);
}

function moveToEnd(pool: Pool, m: Match): void {
  const moved = pool.order.filter((s) => pool.active.has(s) && m(s));
  pool.order = [...pool.order.filter((s) => !moved.includes(s)), ...moved];
}

function kill(pool: Pool, m: Match): void {
  pool.order = pool.order.filter((s) => !m(s));
  for (const s of [...pool.active]) if (m(s)) pool.active.delete(s);
}

function sortByStrength(pool: Pool): void {
  const bits = (s: SuiteInfo): number => (pool.active.has(s) ? strengthBits(s) : 0);
  pool.order = pool.order.map((s, i) => ({ s, i })).sort((a, b) => bits(b.s) - bits(a.s) || a.i - b.i).map((x) => x.s);
}

/** Why a cipher string is refused although OpenSSL accepts it (the caller names the option). */
export class CipherStringError extends Error {}

/** A command (`@...`, which OpenSSL has validated): @STRENGTH sorts; @SECLEVEL=0/1 change nothing for our suites. */
function command(pool: Pool, word: string): void {
  if (word === '@STRENGTH') return sortByStrength(pool);
  const level = /^@SECLEVEL=(\d+)$/.exec(word)?.[1];
  if (level === undefined || level === '0' || level === '1') return; // OpenSSL's default is 1; our suites, groups and signatures all pass it
  // Higher levels also restrict key sizes, groups and signatures, which puretls does not enforce.
  throw new CipherStringError(`'${word}', which is not implemented (puretls does not enforce OpenSSL security levels above 1)`);
}

function applyItem(pool: Pool, item: string): void {
  if (item.startsWith('@')) return command(pool, item);
  if (item.startsWith('SUITEB')) throw new CipherStringError(`'${item}', Suite B mode, which is not implemented`);
  const op = '!-+'.includes(item[0]!) ? item[0]! : '';
  const m = wordMatch(op === '' ? item : item.slice(1));
  if (!m) return; // unknown to us: OpenSSL skips unknown words too
  if (op === '!') kill(pool, m);
  else if (op === '-') remove(pool, m);
  else if (op === '+') moveToEnd(pool, m);
  else add(pool, m);
}

/**
 * Our TLS 1.2 suites an OpenSSL cipher string selects, in its order (empty
 * when it selects none of them). Whether OpenSSL accepts the string at all is
 * the caller's check (done first: unknown @commands are its to refuse).
 * @throws {CipherStringError} for what OpenSSL accepts but puretls does not implement (Suite B, @SECLEVEL above 1)
 */
export function selectTls12Suites(cipherString: string): number[] {
  const pool: Pool = { order: BASE_ORDER.map((id) => suiteInfo(id)!), active: new Set() };
  let rest = cipherString;
  if (rest.startsWith('DEFAULT')) {
    add(pool, all); // OpenSSL's default list selects all six
    rest = rest.slice('DEFAULT'.length);
  }
  for (const item of rest.split(/[:, ;]+/)) if (item !== '') applyItem(pool, item);
  return pool.order.filter((s) => pool.active.has(s)).map((s) => s.id);
}

/** The IANA name of one of our TLS 1.2 suites, for a `ciphers` entry (`!`, `-`, `+` prefixes allowed). */
export function isTls12IanaEntry(entry: string): boolean {
  const name = '!-+'.includes(entry[0] ?? '') ? entry.slice(1) : entry;
  return BASE_ORDER.some((id) => suiteInfo(id)!.name === name);
}
