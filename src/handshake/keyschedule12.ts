import { plain, wipe } from '../common/bytes.js';
import { TlsError } from '../common/errors.js';
import { prf12 } from '../crypto/prf12.js';
import { hashLength, type CryptoProvider, type HashAlgorithm } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';

/**
 * The TLS 1.2 key schedule (RFC 5246 §6.3, §7.4.9, §8.1; RFC 7627; RFC 5705),
 * all of it the PRF of src/crypto/prf12.ts under the suite's hash.
 *
 * Who wipes what:
 * - the pre-master secret is the caller's (the key exchange made it): wipe it
 *   right after `KeySchedule12.fromPreMaster` / `masterSecret12`;
 * - the master secret belongs to the `KeySchedule12` that derived or copied
 *   it, until `wipe()` (at close; a Session keeps its own copy);
 * - the key block is wiped here once split; the per-direction keys returned
 *   are the caller's, and `setPending12` copies them, so wipe them
 *   (`wipeKeyBlock12`) once both directions are prepared;
 * - PRF intermediates are wiped by prf12; exporter output is the caller's.
 */

export const MASTER_SECRET_LENGTH = 48;
/** RFC 5246 §7.4.9: verify_data_length is 12 unless a suite says otherwise (none of ours does). */
export const VERIFY_DATA_LENGTH_12 = 12;
const RANDOM_LENGTH = 32;

/** client_random and server_random (RFC 5246 §7.4.1.2), 32 bytes each. */
export interface Randoms12 {
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
}

/** One direction's keys, ready for `setPending12(provider, suite, key, iv)`. */
export interface DirectionKeys12 {
  readonly key: Uint8Array;
  /** The fixed IV: 4 bytes (GCM, RFC 5288 §3) or 12 bytes (ChaCha20-Poly1305, RFC 7905 §2). */
  readonly iv: Uint8Array;
}

/** The key block split by direction: `client` protects what the client writes. */
export interface KeyBlock12 {
  readonly client: DirectionKeys12;
  readonly server: DirectionKeys12;
}

/** A key log entry: the connection's `keylog(label, secret)` adds the client random. */
export interface KeylogEntry12 {
  readonly label: 'CLIENT_RANDOM';
  readonly secret: Uint8Array;
}

/**
 * The labels TLS itself uses (RFC 5705 §4 forbids them to exporters; RFC 7627
 * §7 adds "extended master secret"). A label that starts with one of them is
 * refused too, since the PRF sees label + seed as one string. (OpenSSL tests
 * label + client_random + ..., so it also refuses a strict prefix such as
 * "key expansio" when the client random starts with "n"; we do not, so that
 * whether a label works never depends on the randoms.)
 */
const RESERVED_EXPORTER_LABELS = [
  'client finished',
  'server finished',
  'master secret',
  'extended master secret',
  'key expansion',
] as const;

// ---- pure functions ------------------------------------------------------------

/**
 * RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master secret",
 * client_random + server_random)[0..47]. preMaster is as the key exchange
 * defines it: ECDHE's shared x-coordinate / X25519 output with its leading
 * zeros (RFC 8422 §5.10), RSA's 48 decrypted bytes (RFC 5246 §8.1.1).
 * @throws {TypeError} a non-Uint8Array argument
 * @throws {RangeError} an empty pre-master secret, randoms not 32 bytes
 */
export function masterSecret12(provider: CryptoProvider, hash: HashAlgorithm, preMaster: Uint8Array, randoms: Randoms12): Uint8Array {
  checkPreMaster(preMaster, 'masterSecret12');
  checkRandoms(randoms, 'masterSecret12');
  return prf12(provider, hash, preMaster, 'master secret', [randoms.clientRandom, randoms.serverRandom], MASTER_SECRET_LENGTH);
}

/**
 * RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret",
 * session_hash)[0..47], session_hash = Hash(handshake messages up to and
 * including ClientKeyExchange) under the PRF hash (RFC 7627 §3).
 * @throws {TypeError} a non-Uint8Array argument
 * @throws {RangeError} an empty pre-master secret, sessionHash not the hash's length
 */
export function extendedMasterSecret12(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  preMaster: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  checkPreMaster(preMaster, 'extendedMasterSecret12');
  checkDigest(sessionHash, hash, 'extendedMasterSecret12', 'sessionHash');
  return prf12(provider, hash, preMaster, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH);
}

/**
 * RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion",
 * server_random + client_random), cut into client_write_MAC_key,
 * server_write_MAC_key (none: our suites are AEAD), client_write_key,
 * server_write_key, client_write_IV, server_write_IV. The block is wiped;
 * the returned keys are copies the caller owns.
 * @throws {TypeError} a non-Uint8Array argument
 * @throws {RangeError} suite not TLS 1.2, master not 48 bytes, randoms not 32 bytes
 */
export function keyBlock12(provider: CryptoProvider, suite: SuiteInfo, master: Uint8Array, randoms: Randoms12): KeyBlock12 {
  checkSuite(suite, 'keyBlock12');
  checkMaster(master, 'keyBlock12');
  checkRandoms(randoms, 'keyBlock12');
  const k = suite.keyLength;
  const v = suite.fixedIvLength;
  const block = prf12(provider, suite.hash, master, 'key expansion', [randoms.serverRandom, randoms.clientRandom], 2 * (k + v));
  const out: KeyBlock12 = {
    client: { key: block.slice(0, k), iv: block.slice(2 * k, 2 * k + v) },
    server: { key: block.slice(k, 2 * k), iv: block.slice(2 * k + v, 2 * k + 2 * v) },
  };
  wipe(block);
  return out;
}

/** Overwrite both directions' keys (once `setPending12` has copied them). */
export function wipeKeyBlock12(kb: KeyBlock12): void {
  wipe(kb.client.key, kb.client.iv, kb.server.key, kb.server.iv);
}

/**
 * RFC 5246 §7.4.9: verify_data = PRF(master_secret, finished_label,
 * Hash(handshake_messages))[0..11], finished_label "client finished" or
 * "server finished" after who sends the Finished.
 * @throws {TypeError} a non-Uint8Array argument
 * @throws {RangeError} sender not 'client'/'server', master not 48 bytes,
 *   transcriptHash not the hash's length
 */
export function finishedVerifyData12(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  sender: 'client' | 'server',
  transcriptHash: Uint8Array,
): Uint8Array {
  if (sender !== 'client' && sender !== 'server') throw new RangeError("finishedVerifyData12: sender must be 'client' or 'server'");
  checkMaster(master, 'finishedVerifyData12');
  checkDigest(transcriptHash, hash, 'finishedVerifyData12', 'transcriptHash');
  return prf12(provider, hash, master, `${sender} finished`, transcriptHash, VERIFY_DATA_LENGTH_12);
}

/**
 * RFC 5705 §4 exporter: PRF(master_secret, label, client_random +
 * server_random [+ context_value_length(u16) + context_value])[length].
 * No context (undefined) and an empty context give different outputs.
 * @throws {TypeError} label not a string, context not a Uint8Array
 * @throws {RangeError} label not printable ASCII or starting with a label TLS
 *   uses (RFC 5705 §4, RFC 7627 §7), context of 2^16 bytes or more, length not
 *   a non-negative integer, master not 48 bytes, randoms not 32 bytes
 */
export function exportKeyingMaterial12(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  randoms: Randoms12,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  const fn = 'exportKeyingMaterial12';
  if (typeof label !== 'string') throw new TypeError(`${fn}: label must be a string`);
  if (!/^[\x20-\x7e]*$/.test(label)) throw new RangeError(`${fn}: label must be printable ASCII`);
  const reserved = RESERVED_EXPORTER_LABELS.find((r) => label.startsWith(r));
  if (reserved !== undefined) throw new RangeError(`${fn}: the label "${reserved}" is TLS's own (RFC 5705 §4)`);
  if (context !== undefined && !(context instanceof Uint8Array)) throw new TypeError(`${fn}: context must be a Uint8Array`);
  // RFC 5705 §4: context_value_length is a uint16.
  if (context !== undefined && context.length > 0xffff) throw new RangeError(`${fn}: context must be under 65536 bytes`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`${fn}: length must be a non-negative integer`);
  checkMaster(master, fn);
  checkRandoms(randoms, fn);
  const seed = [randoms.clientRandom, randoms.serverRandom];
  if (context !== undefined) seed.push(Uint8Array.of(context.length >>> 8, context.length & 0xff), context);
  return prf12(provider, hash, master, label, seed, length);
}

// ---- the stateful owner of a master secret -------------------------------------

/**
 * One TLS 1.2 session's master secret with the randoms of this connection:
 * derives the key block, Finished verify_data, exporter output and the key
 * log entry. Owns its copy of the master secret until `wipe()`.
 */
export class KeySchedule12 {
  private master: Uint8Array;

  private constructor(
    private readonly provider: CryptoProvider,
    readonly suite: SuiteInfo,
    master: Uint8Array,
    private readonly randoms: Randoms12,
    /** True when the master secret is RFC 7627's (resumption must keep it so, RFC 7627 §5.3). */
    readonly extendedMasterSecret: boolean,
  ) {
    this.master = master;
  }

  /**
   * A full handshake: the master secret from the pre-master secret, classic
   * (RFC 5246 §8.1) or, given `sessionHash`, extended (RFC 7627 §4). The
   * pre-master secret stays the caller's to wipe; the randoms are copied.
   * @throws {TypeError}/{RangeError} as masterSecret12 / extendedMasterSecret12, suite not TLS 1.2
   */
  static fromPreMaster(
    provider: CryptoProvider,
    suite: SuiteInfo,
    preMaster: Uint8Array,
    randoms: Randoms12,
    sessionHash?: Uint8Array,
  ): KeySchedule12 {
    checkSuite(suite, 'KeySchedule12.fromPreMaster');
    checkRandoms(randoms, 'KeySchedule12.fromPreMaster');
    const master =
      sessionHash === undefined
        ? masterSecret12(provider, suite.hash, preMaster, randoms)
        : extendedMasterSecret12(provider, suite.hash, preMaster, sessionHash);
    return new KeySchedule12(provider, suite, master, copyRandoms(randoms), sessionHash !== undefined);
  }

  /**
   * An abbreviated handshake (RFC 5246 §7.3): a resumed session's master
   * secret with this connection's new randoms. `master` and the randoms are copied.
   * @throws {TypeError}/{RangeError} suite not TLS 1.2, master not 48 bytes, randoms not 32 bytes
   */
  static fromMaster(
    provider: CryptoProvider,
    suite: SuiteInfo,
    master: Uint8Array,
    randoms: Randoms12,
    extendedMasterSecret: boolean,
  ): KeySchedule12 {
    checkSuite(suite, 'KeySchedule12.fromMaster');
    checkMaster(master, 'KeySchedule12.fromMaster');
    checkRandoms(randoms, 'KeySchedule12.fromMaster');
    return new KeySchedule12(provider, suite, plain(master).slice(), copyRandoms(randoms), extendedMasterSecret);
  }

  /** A copy of the master secret (for a Session). @throws {TlsError} invalid state after wipe() */
  get masterSecret(): Uint8Array {
    return this.live().slice();
  }

  /** The client_random (a copy). */
  get clientRandom(): Uint8Array {
    return this.randoms.clientRandom.slice();
  }

  /** RFC 5246 §6.3: both directions' keys; the caller wipes them once installed. */
  keyBlock(): KeyBlock12 {
    return keyBlock12(this.provider, this.suite, this.live(), this.randoms);
  }

  /** RFC 5246 §7.4.9 verify_data of `sender`'s Finished over Hash(handshake_messages). */
  finishedVerifyData(sender: 'client' | 'server', transcriptHash: Uint8Array): Uint8Array {
    return finishedVerifyData12(this.provider, this.suite.hash, this.live(), sender, transcriptHash);
  }

  /** RFC 5705 exporter; see exportKeyingMaterial12. */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    return exportKeyingMaterial12(this.provider, this.suite.hash, this.live(), this.randoms, label, context, length);
  }

  /**
   * NSS key log for TLS 1.2: `CLIENT_RANDOM <client_random> <master_secret>`;
   * pass to `cx.keylog(e.label, e.secret)`. The secret is a copy.
   */
  keylogEntry(): KeylogEntry12 {
    return { label: 'CLIENT_RANDOM', secret: this.live().slice() };
  }

  /** Overwrite the master secret; every later use throws TlsError (ERR_TLS_INVALID_STATE). */
  wipe(): void {
    wipe(this.master);
    this.master = new Uint8Array(0);
  }

  private live(): Uint8Array {
    if (this.master.length === 0) throw TlsError.invalidState('KeySchedule12 used after wipe()');
    return this.master;
  }
}

// ---- argument checks -----------------------------------------------------------

function copyRandoms(r: Randoms12): Randoms12 {
  return { clientRandom: plain(r.clientRandom).slice(), serverRandom: plain(r.serverRandom).slice() };
}

function checkSuite(suite: SuiteInfo, fn: string): void {
  if (suite?.version !== '1.2') throw new RangeError(`${fn}: ${String(suite?.name)} is not a TLS 1.2 suite`);
}

function checkPreMaster(preMaster: Uint8Array, fn: string): void {
  if (!(preMaster instanceof Uint8Array)) throw new TypeError(`${fn}: preMaster must be a Uint8Array`);
  if (preMaster.length === 0) throw new RangeError(`${fn}: preMaster must not be empty`);
}

function checkMaster(master: Uint8Array, fn: string): void {
  if (!(master instanceof Uint8Array)) throw new TypeError(`${fn}: master must be a Uint8Array`);
  if (master.length !== MASTER_SECRET_LENGTH) throw new RangeError(`${fn}: master must be ${MASTER_SECRET_LENGTH} bytes`);
}

function checkRandoms(r: Randoms12, fn: string): void {
  for (const name of ['clientRandom', 'serverRandom'] as const) {
    const b = r?.[name];
    if (!(b instanceof Uint8Array)) throw new TypeError(`${fn}: ${name} must be a Uint8Array`);
    if (b.length !== RANDOM_LENGTH) throw new RangeError(`${fn}: ${name} must be ${RANDOM_LENGTH} bytes`);
  }
}

function checkDigest(d: Uint8Array, hash: HashAlgorithm, fn: string, name: string): void {
  if (!(d instanceof Uint8Array)) throw new TypeError(`${fn}: ${name} must be a Uint8Array`);
  if (d.length !== hashLength[hash]) throw new RangeError(`${fn}: ${name} must be ${hashLength[hash]} bytes (${hash})`);
}
