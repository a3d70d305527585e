/**
 * Helpers for the hostile-input and fuzz tests on the sans-IO Connection:
 * seeded pairs, a sealer for the client's keys, and `expectFatal`, which
 * checks everything a fatal error must do: the exact code and alert, no bug
 * (no exception that was not a deliberate TlsError), the connection closed
 * with that error for every later call, and the alert on the wire.
 */
import { expect } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { ContentType } from '../../src/common/constants.js';
import { AlertLevel, TlsError } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { testProvider } from '../../src/crypto/random.js';
import { suiteInfo, type SuiteInfo } from '../../src/crypto/suites.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import { KeySchedule13 } from '../../src/handshake/keyschedule13.js';
import { encodeHandshake, splitHandshakeMessages } from '../../src/messages/handshake.js';
import { ServerHello } from '../../src/messages/hello.js';
import { Finished } from '../../src/messages/messages13.js';
import type { Connection } from '../../src/ssl/connection.js';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { thrownTlsError } from '../helpers/errors.js';
import { makePair, serverCert, verifierFor } from '../helpers/pair.js';

/** A plaintext record of `type` around `data`. */
export const plain = (type: number, data: Uint8Array): Uint8Array =>
  concat(new Uint8Array([type, 3, 3, data.length >> 8, data.length & 0xff]), data);

/** Seeded providers: the same side produces the same bytes every time. */
export const seeded = (role: string, now: number) => testProvider(`hostile-${role}`, now);

/** A pair for `chain`, with the client's secrets collected from its key log. */
export function fresh(chain: Chain, limits = {}, server: TlsContextOptions = {}, client: TlsContextOptions = {}) {
  const p = makePair({ certificate: serverCert(chain), limits, ...server }, { verifier: verifierFor(chain), limits, ...client });
  return { ...p, secrets: collectSecrets(p.client) };
}

/**
 * A sealer under one of the secrets of a key log (default: the client's first
 * application traffic secret; any label, e.g. a server secret to play the
 * server), in `suite`: by default the suite negotiated by the
 * connection `secrets` were collected from (collectSecrets), so records forged
 * with it open whatever suite the server chose.
 */
export function clientSealer(secrets: Map<string, Uint8Array>, label = 'CLIENT_TRAFFIC_SECRET_0', suite?: SuiteInfo): SendProtection {
  return SendProtection.tls13(nobleProvider(), suite ?? negotiatedSuite(secrets), secrets.get(label)!);
}

/** An opener for records under one of the secrets in `secrets`, in `suite` (default: the suite negotiated, as clientSealer). */
export function recordOpener(secrets: Map<string, Uint8Array>, label: string, suite?: SuiteInfo): ReceiveProtection {
  return ReceiveProtection.tls13(nobleProvider(), suite ?? negotiatedSuite(secrets), secrets.get(label)!);
}

/** The connection each map of collectSecrets collects from. */
const secretsOwner = new WeakMap<Map<string, Uint8Array>, Connection>();

/**
 * The suite negotiated by the connection whose key log filled `secrets` (a
 * server knows it from the ClientHello on, a client from the ServerHello).
 * @throws {Error} if `secrets` does not come from collectSecrets, or nothing is negotiated yet
 */
export function negotiatedSuite(secrets: Map<string, Uint8Array>): SuiteInfo {
  const conn = secretsOwner.get(secrets);
  if (!conn) throw new Error('negotiatedSuite: these secrets do not come from collectSecrets; pass the suite');
  const suite = conn.cipherSuite;
  if (!suite) throw new Error('negotiatedSuite: no suite negotiated yet');
  return suite;
}

/** The TlsError `fn` throws (fails the test if it throws anything else, or nothing). */
export const thrown = thrownTlsError;

/**
 * `fn` fails `conn` with `code` (and `alert`): not a bug; the connection keeps
 * that error for every later call; a fatal alert record went out (unless the
 * peer's own alert ended it) and nothing after it.
 */
export function expectFatal(conn: Connection, fn: () => void, code: string, alert?: number): TlsError {
  const err = thrown(fn);
  expect(err.bug, `a bug surfaced as internal_error: ${err.message}`).toBe(false);
  expect(err.code).toBe(code);
  if (alert !== undefined) expect(err.alert).toBe(alert);
  expect(conn.failure).toBe(err);
  expect(thrown(() => conn.receive(new Uint8Array([23, 3, 3, 0, 1, 0])))).toBe(err);
  expect(thrown(() => conn.write(new Uint8Array([1])))).toBe(err);
  expect(thrown(() => conn.read())).toBe(err);
  const out = conn.takeOutgoing();
  if (err.remote) {
    expect(out).toBeNull();
  } else {
    // The last record is the fatal alert (encrypted records end with it too: 5-byte header; we check plaintext ones exactly).
    expect(out, 'a fatal alert must be queued').not.toBeNull();
    const rec = out!;
    const lastHeader = lastRecordStart(rec);
    if (rec[lastHeader] === ContentType.alert) expect([...rec.subarray(lastHeader + 5)]).toEqual([AlertLevel.fatal, err.alert]);
    else expect(rec[lastHeader]).toBe(ContentType.application_data); // sealed alert
  }
  expect(conn.takeOutgoing()).toBeNull();
  return err;
}

/** Offset of the last record in a buffer of whole records. */
function lastRecordStart(buf: Uint8Array): number {
  let at = 0;
  let last = 0;
  while (at + 5 <= buf.length) {
    last = at;
    at += 5 + ((buf[at + 3]! << 8) | buf[at + 4]!);
  }
  return last;
}

/** Split a buffer of whole records into { type, fragment } (no decryption). */
export function splitRecords(buf: Uint8Array): { type: number; fragment: Uint8Array; bytes: Uint8Array }[] {
  const out: { type: number; fragment: Uint8Array; bytes: Uint8Array }[] = [];
  let at = 0;
  while (at + 5 <= buf.length) {
    const len = (buf[at + 3]! << 8) | buf[at + 4]!;
    out.push({ type: buf[at]!, fragment: buf.subarray(at + 5, at + 5 + len), bytes: buf.subarray(at, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

/** The suite a ServerHello chose, from raw handshake messages (header included) the ServerHello is among. */
export function serverHelloSuite(messages: Uint8Array): SuiteInfo {
  const sh = splitHandshakeMessages(messages).messages.find((m) => m.type === 2);
  if (!sh) throw new Error('serverHelloSuite: no ServerHello');
  const suite = suiteInfo(ServerHello.decode(sh.body).cipherSuite);
  if (!suite) throw new Error('serverHelloSuite: unknown suite');
  return suite;
}

/**
 * The handshake messages (raw, header included) in a server's first flight:
 * the plaintext ServerHello and, decrypted under `serverHsSecret`, the rest,
 * in `suite` (default: the suite the flight's ServerHello chose).
 */
export function serverFlightMessages(flight: Uint8Array, serverHsSecret: Uint8Array, suite?: SuiteInfo): Uint8Array[] {
  let open: ReceiveProtection | undefined;
  const data: Uint8Array[] = [];
  for (const r of splitRecords(flight)) {
    if (r.type === ContentType.change_cipher_spec) continue;
    if (r.type === ContentType.handshake) {
      data.push(r.fragment);
      continue;
    }
    open ??= ReceiveProtection.tls13(nobleProvider(), suite ?? serverHelloSuite(concat(...data)), serverHsSecret);
    data.push(open.open({ type: r.type, version: 0x0303, header: r.bytes.subarray(0, 5), fragment: r.fragment }).data);
  }
  return splitHandshakeMessages(concat(...data)).messages.map((m) => m.raw);
}

/**
 * The client Finished (raw message) for a transcript of raw messages, with
 * the hash of `suite` (default: the suite of the ServerHello in the transcript).
 */
export function clientFinished(transcript: readonly Uint8Array[], clientHsSecret: Uint8Array, suite?: SuiteInfo): Uint8Array {
  const provider = nobleProvider();
  const hash = (suite ?? serverHelloSuite(concat(...transcript))).hash;
  const h = provider.hash(hash);
  for (const m of transcript) h.update(m);
  const ks = new KeySchedule13(provider, hash);
  return encodeHandshake(new Finished(ks.finishedVerifyData(clientHsSecret, h.digest())));
}

/** Collect a connection's key log secrets by label. */
export function collectSecrets(conn: Connection): Map<string, Uint8Array> {
  const secrets = new Map<string, Uint8Array>();
  secretsOwner.set(secrets, conn);
  conn.on('keylog', (l) => {
    const [label, , s] = l.split(' ');
    secrets.set(label!, Uint8Array.from(Buffer.from(s!, 'hex')));
  });
  return secrets;
}
