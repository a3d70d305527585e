/**
 * Helpers for the TLS 1.2 tests on the sans-IO Connection:
 *
 * - pairs that speak TLS 1.2 (`pair12`), providers with a settable clock;
 * - record and handshake-message surgery on plaintext flights;
 * - `Mitm12`, a man in the middle that knows both ends' master secrets (from
 *   their 'keylog' events) and so can open, rewrite, drop, inject and reseal
 *   any record of a TLS 1.2 connection, including the encrypted Finished and
 *   renegotiation flights, optionally recomputing each Finished for the
 *   receiver's transcript (`fixFinished`) so that a rewritten handshake can
 *   still complete;
 * - `expectFatal12`, which checks everything a fatal error must do on the
 *   failing side (code, alert, no bug, `failure`, every later call throws it,
 *   the alert on the wire and nothing after it) and on the peer (it receives
 *   exactly that alert, fails with ERR_TLS_ALERT_RECEIVED and sends nothing back).
 */
import { expect } from 'vitest';
import { concat, toHex } from '../../src/common/bytes.js';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/common/constants.js';
import { AlertLevel, TlsError } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { deterministicRandom } from '../../src/crypto/random.js';
import { suiteInfo, type SuiteInfo } from '../../src/crypto/suites.js';
import { KeySchedule12 } from '../../src/handshake/keyschedule12.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ClientHello, ServerHello } from '../../src/messages/hello.js';
import type { Extension } from '../../src/messages/extensions.js';
import { Finished } from '../../src/messages/messages13.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import type { Session } from '../../src/session/session.js';
import type { Connection, ConnectionOptions } from '../../src/ssl/connection.js';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { thrownTlsError } from '../helpers/errors.js';
import { makePair, serverCert, verifierFor, type Pair } from '../helpers/pair.js';

export const TLS12 = ProtocolVersion.TLSv1_2;
export const TLS13 = ProtocolVersion.TLSv1_3;
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

/** A pair whose client speaks TLS 1.2 only (server: both versions unless told otherwise). */
export function pair12(chain: Chain, server: TlsContextOptions = {}, client: TlsContextOptions = {}, conn: ConnectionOptions = { serverName: 'localhost' }): Pair {
  return makePair({ certificate: serverCert(chain), ...server }, { verifier: verifierFor(chain), maxVersion: TLS12, ...client }, conn);
}

/** A provider whose clock the test sets (and, with a seed, whose randomness is reproducible). */
export interface Clock {
  provider: CryptoProvider;
  now: number;
  advance(ms: number): void;
}
export function clocked(start = Date.now(), seed?: string): Clock {
  const c: Clock = {
    now: start,
    provider: nobleProvider({ clock: () => c.now, ...(seed !== undefined ? { random: deterministicRandom(enc(seed)) } : {}) }),
    advance(ms: number) {
      c.now += ms;
    },
  };
  return c;
}

/** Seeded provider at a clock in the certificates' validity. */
export function seededAt(seed: string, now: number): CryptoProvider {
  return nobleProvider({ random: deterministicRandom(enc(seed)), clock: () => now });
}

// ---- records ----------------------------------------------------------------------

export interface WireRecord {
  type: number;
  fragment: Uint8Array;
  bytes: Uint8Array;
}

/** Split a buffer of whole records (no decryption). */
export function records(buf: Uint8Array): WireRecord[] {
  const out: WireRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + 5 > buf.length) throw new Error('records: partial header');
    const len = (buf[at + 3]! << 8) | buf[at + 4]!;
    if (at + 5 + len > buf.length) throw new Error('records: partial record');
    out.push({ type: buf[at]!, fragment: buf.subarray(at + 5, at + 5 + len), bytes: buf.subarray(at, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

/** A plaintext TLS 1.2 record. */
export const plainRecord = (type: number, data: Uint8Array): Uint8Array =>
  concat(new Uint8Array([type, 3, 3, data.length >> 8, data.length & 0xff]), data);

/**
 * The fragment length of a TLS 1.2 record protecting `plaintextLength` bytes
 * in `suite`: the explicit nonce (8 bytes with AES-GCM, RFC 5288 §3; none with
 * ChaCha20-Poly1305, RFC 7905 §2), the ciphertext, the 16-byte tag.
 */
export function protectedLength12(suite: SuiteInfo, plaintextLength: number): number {
  const explicitNonce = suite.aead === 'CHACHA20-POLY1305' ? 0 : 8;
  return explicitNonce + plaintextLength + 16;
}

export const CCS_RECORD = plainRecord(ContentType.change_cipher_spec, new Uint8Array([1]));

/** Handshake messages (raw) in the plaintext handshake records before the first ChangeCipherSpec of a flight. */
export function plainMessages(flight: Uint8Array): Uint8Array[] {
  const data: Uint8Array[] = [];
  for (const r of records(flight)) {
    if (r.type === ContentType.change_cipher_spec) break;
    if (r.type === ContentType.handshake) data.push(r.fragment);
  }
  return splitMessages(concat(...data)).messages;
}

export function splitMessages(buf: Uint8Array): { messages: Uint8Array[]; rest: Uint8Array } {
  const messages: Uint8Array[] = [];
  let at = 0;
  while (buf.length - at >= 4) {
    const len = (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
    if (at + 4 + len > buf.length) break;
    messages.push(buf.slice(at, at + 4 + len));
    at += 4 + len;
  }
  return { messages, rest: buf.subarray(at) };
}

// ---- message surgery -----------------------------------------------------------------

export interface HelloEdit {
  version?: number;
  random?: Uint8Array;
  sessionId?: Uint8Array;
  suites?: number[];
  compression?: Uint8Array;
  extensions?: Extension[];
}

export function editClientHello(raw: Uint8Array, edit: (ch: ClientHello) => HelloEdit): Uint8Array {
  const ch = ClientHello.decode(raw.subarray(4));
  const c = edit(ch);
  return encodeHandshake(
    new ClientHello(c.version ?? ch.legacyVersion, c.random ?? ch.random, c.sessionId ?? ch.legacySessionId, c.suites ?? ch.cipherSuites, c.compression ?? ch.compressionMethods, c.extensions ?? ch.extensions),
  );
}

export interface ServerHelloEdit {
  version?: number;
  random?: Uint8Array;
  sessionId?: Uint8Array;
  suite?: number;
  compression?: number;
  extensions?: Extension[];
}

export function editServerHello(raw: Uint8Array, edit: (sh: ServerHello) => ServerHelloEdit): Uint8Array {
  const sh = ServerHello.decode(raw.subarray(4));
  const c = edit(sh);
  return encodeHandshake(
    new ServerHello(c.version ?? sh.legacyVersion, c.random ?? sh.random, c.sessionId ?? sh.legacySessionIdEcho, c.suite ?? sh.cipherSuite, c.compression ?? sh.compressionMethod, c.extensions ?? sh.extensions),
  );
}

export const without = (exts: readonly Extension[], type: number): Extension[] => exts.filter((e) => e.type !== type);

/** Change one byte of a raw message (XOR). */
export function flipByte(raw: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const out = raw.slice();
  const i = at < 0 ? out.length + at : at;
  out[i]! ^= mask;
  return out;
}

// ---- the man in the middle --------------------------------------------------------------

export type Dir = 'c2s' | 's2c';
type Role = 'client' | 'server';
export interface Rec {
  type: number;
  data: Uint8Array;
}

export interface MitmOptions {
  /** Rewrite one handshake message (raw, header included) travelling in `dir`: the replacement(s); [] drops it. */
  onMessage?: (dir: Dir, raw: Uint8Array) => Uint8Array | Uint8Array[];
  /** Rewrite one non-handshake record (alert, application data, CCS) travelling in `dir`: the replacement(s). */
  onRecord?: (dir: Dir, rec: Rec) => Rec[];
  /** Recompute each Finished for the receiver's view of the transcript (after rewritten messages). */
  fixFinished?: boolean;
  /**
   * Whose master secret protected records are resealed with: the receiver's
   * (default: an active attacker who knows both ends' keys) or the sender's
   * (what a passive relay's bytes amount to when the two ends disagree).
   */
  resealWith?: 'receiver' | 'sender';
  /** Cut the handshake bytes forwarded for one record into records of these sizes (cycled; default: one record). */
  handshakeSizes?: (dir: Dir, length: number) => number[];
}

interface Leg {
  rx: ReceiveProtection;
  tx: SendProtection;
  buf: Uint8Array;
}

/**
 * A man in the middle of a TLS 1.2 connection that knows the master secrets
 * (from both ends' key logs): every record is opened, handed to the hooks,
 * and resealed for the receiver with this leg's own sequence numbers, so
 * records may be rewritten, dropped, split or added at any point.
 */
export class Mitm12 {
  /** Master secrets by role and client random (hex). */
  private readonly masters = { client: new Map<string, Uint8Array>(), server: new Map<string, Uint8Array>() };
  private readonly legs: Record<Dir, Leg> = {
    c2s: { rx: ReceiveProtection.plaintext(), tx: SendProtection.plaintext(), buf: new Uint8Array(0) },
    s2c: { rx: ReceiveProtection.plaintext(), tx: SendProtection.plaintext(), buf: new Uint8Array(0) },
  };
  private clientRandom: Uint8Array | undefined;
  private serverRandom: Uint8Array | undefined;
  private suite: SuiteInfo | undefined;
  /** Each side's view of the running handshake's transcript (HelloRequest excluded). */
  private views = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
  /** Handshake message types seen, per direction, as the sender sent them. */
  readonly seen: Record<Dir, number[]> = { c2s: [], s2c: [] };

  constructor(
    readonly client: Connection,
    readonly server: Connection,
    readonly options: MitmOptions = {},
  ) {
    for (const [role, conn] of [['client', client], ['server', server]] as const) {
      conn.on('keylog', (line) => {
        const [label, cr, secret] = line.split(' ');
        if (label === 'CLIENT_RANDOM') this.masters[role].set(cr!, Uint8Array.from(Buffer.from(secret!, 'hex')));
      });
    }
  }

  /** The records `bytes` (whole records from the sender) become for the receiver. */
  forward(dir: Dir, bytes: Uint8Array): Uint8Array {
    const leg = this.legs[dir];
    const out: Uint8Array[] = [];
    for (const r of records(bytes)) {
      const rec = leg.rx.open({ type: r.type, version: 0x0303, header: r.bytes.subarray(0, 5), fragment: r.fragment });
      if (rec.type === ContentType.handshake) {
        const data = this.handshake(dir, rec.data);
        if (data.length === 0) continue;
        const sizes = this.options.handshakeSizes?.(dir, data.length) ?? [];
        if (sizes.length === 0) {
          out.push(leg.tx.sealAll(ContentType.handshake, data));
          continue;
        }
        for (let at = 0, i = 0; at < data.length; i++) {
          const n = Math.max(1, sizes[i % sizes.length]!);
          out.push(leg.tx.seal(ContentType.handshake, data.subarray(at, at + n)));
          at += n;
        }
        continue;
      }
      const recs = this.options.onRecord ? this.options.onRecord(dir, { type: rec.type, data: rec.data.slice() }) : [{ type: rec.type, data: rec.data.slice() }];
      for (const x of recs) {
        out.push(leg.tx.seal(x.type, x.data));
        if (x.type === ContentType.change_cipher_spec) this.switchKeys(dir, 'tx');
      }
      if (rec.type === ContentType.change_cipher_spec) this.switchKeys(dir, 'rx');
    }
    return concat(...out);
  }

  /** A record sealed for the receiver in `dir` (deliver it in order with what forward returns). */
  inject(dir: Dir, type: number, data: Uint8Array): Uint8Array {
    const leg = this.legs[dir];
    const out = leg.tx.seal(type, data);
    if (type === ContentType.change_cipher_spec) this.switchKeys(dir, 'tx');
    return out;
  }

  /**
   * Forward `bytes` record by record, each delivered before the next is
   * rewritten: the receiver has derived its keys (and logged its master
   * secret) before the middle reseals what follows the sender's
   * ChangeCipherSpec, so each leg can use its own end's master secret (they
   * differ when a rewritten transcript feeds the extended master secret).
   */
  deliver(dir: Dir, bytes: Uint8Array): void {
    const receiver = dir === 'c2s' ? this.server : this.client;
    for (const r of records(bytes)) receiver.receive(this.forward(dir, r.bytes));
  }

  /** Move bytes both ways through the middle until quiet. */
  drive(maxRounds = 200): void {
    for (let i = 0; i < maxRounds; i++) {
      let moved = false;
      const a = this.client.takeOutgoing();
      if (a) {
        this.deliver('c2s', a);
        moved = true;
      }
      const b = this.server.takeOutgoing();
      if (b) {
        this.deliver('s2c', b);
        moved = true;
      }
      if (!moved) return;
    }
    throw new Error('Mitm12.drive: no quiescence');
  }

  /** As drive, until a side throws: which side, and what. */
  driveExpectingError(): { side: 'client' | 'server'; error: TlsError } {
    for (let i = 0; i < 200; i++) {
      const a = this.client.takeOutgoing();
      if (a) {
        try {
          this.deliver('c2s', a);
        } catch (e) {
          return { side: 'server', error: asTlsError(e) };
        }
      }
      const b = this.server.takeOutgoing();
      if (b) {
        try {
          this.deliver('s2c', b);
        } catch (e) {
          return { side: 'client', error: asTlsError(e) };
        }
      }
      if (!a && !b) break;
    }
    throw new Error('Mitm12.driveExpectingError: no error happened');
  }

  private handshake(dir: Dir, data: Uint8Array): Uint8Array {
    const leg = this.legs[dir];
    const { messages, rest } = splitMessages(concat(leg.buf, data));
    leg.buf = rest.slice();
    const out: Uint8Array[] = [];
    const [sender, receiver] = dir === 'c2s' ? (['client', 'server'] as const) : (['server', 'client'] as const);
    for (const raw of messages) {
      this.seen[dir].push(raw[0]!);
      if (raw[0] === HandshakeType.client_hello) {
        this.views = { client: [], server: [] };
        this.clientRandom = raw.slice(6, 38);
      }
      if (raw[0] === HandshakeType.server_hello) {
        this.serverRandom = raw.slice(6, 38);
        const sid = raw[38]!;
        this.suite = suiteInfo((raw[39 + sid]! << 8) | raw[40 + sid]!);
      }
      const hooked = this.options.onMessage ? this.options.onMessage(dir, raw) : raw;
      const replaced = Array.isArray(hooked) ? hooked : [hooked];
      for (let m of replaced) {
        if (m[0] === HandshakeType.finished && this.options.fixFinished) m = this.fixedFinished(sender, receiver);
        if (m[0] !== HandshakeType.hello_request) this.views[receiver].push(m);
        out.push(m);
      }
      if (raw[0] !== HandshakeType.hello_request) this.views[sender].push(raw);
    }
    return concat(...out);
  }

  /** The sender's Finished as the receiver's transcript wants it. */
  private fixedFinished(sender: 'client' | 'server', receiver: 'client' | 'server'): Uint8Array {
    const suite = this.suite!;
    const h = nobleProvider().hash(suite.hash);
    for (const m of this.views[receiver]) h.update(m);
    const ks = this.schedule(receiver) ?? this.schedule(sender)!;
    return encodeHandshake(new Finished(ks.finishedVerifyData(sender, h.digest())));
  }

  private schedule(role: 'client' | 'server'): KeySchedule12 | undefined {
    if (!this.clientRandom || !this.serverRandom || !this.suite) return undefined;
    const master = this.masters[role].get(toHex(this.clientRandom));
    if (!master) return undefined;
    return KeySchedule12.fromMaster(nobleProvider(), this.suite, master, { clientRandom: this.clientRandom, serverRandom: this.serverRandom }, false);
  }

  /**
   * After a ChangeCipherSpec in `dir`: the new keys for that half of the leg,
   * the sender's (rx) or the receiver's (tx) view of the master secret.
   */
  private switchKeys(dir: Dir, half: 'rx' | 'tx'): void {
    const sender: Role = dir === 'c2s' ? 'client' : 'server';
    const receiver: Role = sender === 'client' ? 'server' : 'client';
    const [first, second]: [Role, Role] = half === 'rx' || this.options.resealWith === 'sender' ? [sender, receiver] : [receiver, sender];
    const ks = this.schedule(first) ?? this.schedule(second);
    if (!ks) throw new Error(`Mitm12: no master secret known at the ${sender}'s ChangeCipherSpec`);
    const kb = ks.keyBlock();
    const k = sender === 'client' ? kb.client : kb.server;
    if (half === 'rx') this.legs[dir].rx = ReceiveProtection.tls12(nobleProvider(), this.suite!, k.key, k.iv);
    else this.legs[dir].tx = SendProtection.tls12(nobleProvider(), this.suite!, k.key, k.iv);
  }
}

function asTlsError(e: unknown): TlsError {
  if (!(e instanceof TlsError)) throw e;
  return e;
}

// ---- fatal errors ----------------------------------------------------------------------

/**
 * `fn` fails `conn` with `code` and `alert`: a deliberate TlsError (not a
 * bug), kept as `failure` and thrown again by every later call; the fatal
 * alert is the last record on the wire and nothing follows it. When `peer`
 * is given, the alert is delivered (through `via`, e.g. a Mitm12) and the
 * peer must fail with ERR_TLS_ALERT_RECEIVED for exactly that alert, raise
 * the 'alert' event and send nothing back.
 */
export function expectFatal12(
  conn: Connection,
  fn: () => void,
  code: string,
  alert: number,
  peer?: { conn: Connection; via?: (bytes: Uint8Array) => Uint8Array },
): TlsError {
  const sentAlerts: { sent: boolean; level: number; description: number }[] = [];
  conn.on('alert', (a) => sentAlerts.push(a));
  const err = thrownTlsError(fn);
  return checkFatal(conn, err, code, alert, peer, sentAlerts);
}

/** As expectFatal12, for an error already caught (e.g. by driveExpectingError). */
export function checkFatal(
  conn: Connection,
  err: TlsError,
  code: string,
  alert: number,
  peer?: { conn: Connection; via?: (bytes: Uint8Array) => Uint8Array },
  sentAlerts?: { sent: boolean; level: number; description: number }[],
): TlsError {
  expect(err.bug, `a bug surfaced as internal_error: ${err.message}`).toBe(false);
  expect({ code: err.code, alert: err.alert, remote: err.remote }, err.message).toEqual({ code, alert, remote: false });
  if (sentAlerts) expect(sentAlerts).toContainEqual({ sent: true, level: AlertLevel.fatal, description: alert });
  expect(conn.failure).toBe(err);
  expect(thrownTlsError(() => conn.receive(new Uint8Array([23, 3, 3, 0, 1, 0])))).toBe(err);
  expect(thrownTlsError(() => conn.write(new Uint8Array([1])))).toBe(err);
  expect(thrownTlsError(() => conn.read())).toBe(err);
  expect(thrownTlsError(() => conn.doHandshake())).toBe(err);
  const out = conn.takeOutgoing();
  expect(out, 'a fatal alert must be queued').not.toBeNull();
  const recs = records(out!);
  const last = recs[recs.length - 1]!;
  // TLS 1.2 keeps the real content type on protected records too (RFC 5246 §6.2.3).
  expect(last.type).toBe(ContentType.alert);
  if (last.fragment.length === 2) expect([...last.fragment]).toEqual([AlertLevel.fatal, alert]);
  expect(conn.takeOutgoing()).toBeNull();
  if (peer) {
    const got: { sent: boolean; level: number; description: number }[] = [];
    peer.conn.on('alert', (a) => got.push(a));
    const bytes = peer.via ? peer.via(out!) : out!;
    const perr = thrownTlsError(() => peer.conn.receive(bytes));
    expect({ code: perr.code, alert: perr.alert, remote: perr.remote, bug: perr.bug }).toEqual({ code: 'ERR_TLS_ALERT_RECEIVED', alert, remote: true, bug: false });
    expect(got).toContainEqual({ sent: false, level: AlertLevel.fatal, description: alert });
    expect(peer.conn.failure).toBe(perr);
    expect(peer.conn.takeOutgoing()).toBeNull();
    expect(thrownTlsError(() => peer.conn.write(new Uint8Array([1])))).toBe(perr);
  }
  return err;
}

/** The TlsError `fn` throws (local misuse): ERR_TLS_INVALID_STATE, nothing queued. */
export function expectInvalidState(conn: Connection, fn: () => unknown): TlsError {
  const err = thrownTlsError(fn);
  expect(err.code).toBe('ERR_TLS_INVALID_STATE');
  expect(err.bug).toBe(false);
  expect(conn.failure).toBeNull();
  expect(conn.renegotiatePending()).toBe(false);
  return err;
}

/** Attach listeners that record events of interest on a connection. */
export function watch(conn: Connection) {
  const w = {
    handshakes: 0,
    sent: [] as number[],
    received: [] as number[],
    alerts: [] as { sent: boolean; level: number; description: number }[],
    keylog: [] as string[],
    sessions: [] as Session[],
  };
  conn.on('handshake', () => w.handshakes++);
  conn.on('message', (m) => (m.direction === 'sent' ? w.sent : w.received).push(m.type));
  conn.on('alert', (a) => w.alerts.push(a));
  conn.on('keylog', (l) => w.keylog.push(l));
  conn.on('session', (s) => w.sessions.push(s));
  return w;
}

// ---- the wire, as the two ends sent it -------------------------------------------------------

const HANDSHAKE_NAMES = new Map<number, string>(Object.entries(HandshakeType).map(([name, type]) => [type, name]));

/** What crossed a Mitm12, per direction, in the order the sender put it on the wire. */
export type WireLog = Record<Dir, string[]>;

/**
 * Mitm12 hooks that log, per direction and in wire order, each handshake
 * message by name ('client_hello', 'finished', ...; HelloRequest included),
 * each ChangeCipherSpec ('CCS'), each application data record with its text
 * ('data:<utf-8>') and each alert ('alert:<level>.<description>'), all
 * opened from the protected records, then forwarded (handshake messages
 * through `onMessage`, when given).
 */
export function wireLogged(onMessage?: MitmOptions['onMessage']): { log: WireLog; hooks: MitmOptions } {
  const log: WireLog = { c2s: [], s2c: [] };
  const hooks: MitmOptions = {
    onMessage: (dir, raw) => {
      log[dir].push(HANDSHAKE_NAMES.get(raw[0]!) ?? `handshake:${raw[0]}`);
      return onMessage ? onMessage(dir, raw) : raw;
    },
    onRecord: (dir, rec) => {
      if (rec.type === ContentType.change_cipher_spec) log[dir].push('CCS');
      else if (rec.type === ContentType.application_data) log[dir].push(`data:${dec(rec.data)}`);
      else if (rec.type === ContentType.alert) log[dir].push(`alert:${rec.data[0]}.${rec.data[1]}`);
      else log[dir].push(`record:${rec.type}`);
      return [rec];
    },
  };
  return { log, hooks };
}

/** Mitm hooks that rewrite one ClientHello / ServerHello / message type in flight. */
export const onClientHello = (edit: Parameters<typeof editClientHello>[1]): MitmOptions => ({
  onMessage: (dir, raw) => (dir === 'c2s' && raw[0] === HandshakeType.client_hello ? editClientHello(raw, edit) : raw),
});
export const onServerHello = (edit: Parameters<typeof editServerHello>[1]): MitmOptions => ({
  onMessage: (dir, raw) => (dir === 's2c' && raw[0] === HandshakeType.server_hello ? editServerHello(raw, edit) : raw),
});
export const onMessageOf = (d: Dir, type: number, edit: (raw: Uint8Array) => Uint8Array | Uint8Array[]): MitmOptions => ({
  onMessage: (dir, raw) => (dir === d && raw[0] === type ? edit(raw) : raw),
});

/**
 * A first handshake through a Mitm12 with `hooks` that must fail at `side`
 * with `code`/`alert`: checked with checkFatal, the alert forwarded to the peer.
 */
export function failsAt(
  chain: Chain,
  side: 'client' | 'server',
  code: string,
  alert: number,
  hooks: MitmOptions,
  server: TlsContextOptions = {},
  client: TlsContextOptions = {},
) {
  const p = pair12(chain, server, client);
  const m = new Mitm12(p.client, p.server, hooks);
  p.client.doHandshake();
  const { side: failed, error } = m.driveExpectingError();
  expect(failed, error.message).toBe(side);
  const [conn, peer, back]: [Connection, Connection, Dir] = side === 'client' ? [p.client, p.server, 'c2s'] : [p.server, p.client, 's2c'];
  checkFatal(conn, error, code, alert, { conn: peer, via: (b) => m.forward(back, b) });
  return { ...p, m, error };
}
