/**
 * Property tests (fast-check) on whole TLS 1.2 conversations: a full
 * handshake (optionally with a client certificate), data both ways, a
 * client-initiated renegotiation (full or abbreviated) and a server-initiated
 * one, with data in flight. Both ends are seeded, so a conversation is a
 * fixed sequence of flights.
 *
 * 1. Re-cutting: however the handshake records (plaintext and protected,
 *    first handshake and renegotiations) are re-fragmented into records and
 *    the bytes into transport chunks, every flight either end sends is
 *    byte-identical to the reference run, and so are the results.
 * 2. Mutation: random byte mutations of any one flight give only deliberate
 *    TlsErrors (never a bug, never internal_error), the failing side's alert
 *    reaches the peer, and nothing hangs.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { AlertDescription, TlsError } from '../../src/common/errors.js';
import type { Connection } from '../../src/ssl/connection.js';
import { fcRuns } from '../helpers/fc.js';
import type { Chain } from '../helpers/keys.js';
import { certifiedKey, chainFor, makePair, serverCert, verifierFor, type Pair } from '../helpers/pair.js';
import { dec, enc, Mitm12, records, seededAt, TLS12, type Dir } from './support12.js';

let serverChain: Chain;
let clientChain: Chain;
let now = 0;
beforeAll(async () => {
  serverChain = await chainFor('ed25519');
  clientChain = await chainFor('p256');
  now = Date.now() + 1000;
});

interface Scenario {
  mutual: boolean;
  abbreviated: boolean;
}
const scenarios = fc.record({ mutual: fc.boolean(), abbreviated: fc.boolean() });

function setup(sc: Scenario): Pair {
  return makePair(
    {
      certificate: serverCert(serverChain),
      provider: seededAt('fuzz12-server', now),
      renegotiation: { acceptClientInitiated: true },
      ...(sc.mutual ? { requestCert: true, verifier: verifierFor(clientChain) } : {}),
    },
    {
      verifier: verifierFor(serverChain),
      provider: seededAt('fuzz12-client', now),
      maxVersion: TLS12,
      ...(sc.mutual ? { certificate: certifiedKey(clientChain.leaf, [clientChain.leaf, clientChain.intermediate]) } : {}),
    },
  );
}

interface Flight {
  dir: Dir;
  bytes: Uint8Array;
}
interface Outcome {
  flights: Flight[];
  clientRead: string;
  serverRead: string;
  finished?: Uint8Array | undefined;
  peerFinished?: Uint8Array | undefined;
  exporter?: Uint8Array;
}

/**
 * The conversation. `deliver` moves one flight (the sender's takeOutgoing) to
 * the receiver. Stops at the first TlsError (returned) when `tolerant`.
 */
function converse(p: Pair, sc: Scenario, deliver: (f: Flight, index: number) => void): Outcome {
  const flights: Flight[] = [];
  let clientRead = '';
  let serverRead = '';
  const pump = (): void => {
    for (let i = 0; i < 50; i++) {
      let moved = false;
      for (const [dir, from] of [['c2s', p.client], ['s2c', p.server]] as const) {
        const bytes = from.takeOutgoing();
        if (!bytes) continue;
        const f = { dir, bytes };
        flights.push(f);
        deliver(f, flights.length - 1);
        moved = true;
      }
      clientRead += dec(p.client.read()) ?? '';
      serverRead += dec(p.server.read()) ?? '';
      if (!moved) return;
    }
    throw new Error('no quiescence: the conversation hangs');
  };
  p.client.doHandshake();
  pump();
  p.client.write(enc('hello '));
  p.server.write(enc('world '));
  pump();
  if (sc.abbreviated) p.client.renegotiateAbbreviated();
  else p.client.renegotiate();
  p.client.write(enc('during '));
  p.server.write(enc('meanwhile '));
  pump();
  p.server.renegotiate();
  p.server.write(enc('again '));
  p.client.write(enc('sure '));
  pump();
  return {
    flights,
    clientRead,
    serverRead,
    finished: p.client.negotiated.finished,
    peerFinished: p.client.negotiated.peerFinished,
    exporter: p.client.exportKeyingMaterial(32, 'EXPORTER-fuzz'),
  };
}

const receiverOf = (p: Pair, dir: Dir): Connection => (dir === 'c2s' ? p.server : p.client);

const references = new Map<string, Outcome>();
function reference(sc: Scenario): Outcome {
  const key = JSON.stringify(sc);
  let r = references.get(key);
  if (!r) {
    const p = setup(sc);
    r = converse(p, sc, (f) => receiverOf(p, f.dir).receive(f.bytes));
    expect(r.serverRead).toBe('hello during sure ');
    expect(r.clientRead).toBe('world meanwhile again ');
    references.set(key, r);
  }
  return r;
}

/** Cut `bytes` into chunks of the given sizes (cycled). */
function chunks(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('re-cutting the records of a TLS 1.2 conversation changes nothing', () => {
  it('random record fragmentation of every handshake flight and random transport chunking give byte-identical flights and results', () => {
    fc.assert(
      fc.property(
        scenarios,
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }),
        (sc, recordSizes, chunkSizes) => {
          const ref = reference(sc);
          const p = setup(sc);
          const m = new Mitm12(p.client, p.server, { handshakeSizes: () => recordSizes });
          let records12 = 0;
          const got = converse(p, sc, (f) => {
            const fwd = m.forward(f.dir, f.bytes);
            records12 += records(fwd).length;
            for (const c of chunks(fwd, chunkSizes)) receiverOf(p, f.dir).receive(c);
          });
          expect(got.flights.length).toBe(ref.flights.length);
          got.flights.forEach((f, i) => {
            expect(f.dir).toBe(ref.flights[i]!.dir);
            expect(Buffer.from(f.bytes).equals(Buffer.from(ref.flights[i]!.bytes)), `flight ${i} (${f.dir}) differs`).toBe(true);
          });
          expect(got.clientRead).toBe(ref.clientRead);
          expect(got.serverRead).toBe(ref.serverRead);
          expect(got.finished).toEqual(ref.finished);
          expect(got.peerFinished).toEqual(ref.peerFinished);
          expect(got.exporter).toEqual(ref.exporter);
          expect(records12).toBeGreaterThanOrEqual(ref.flights.reduce((n, f) => n + records(f.bytes).length, 0));
        },
      ),
      fcRuns(20),
    );
  });
});

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const mutations = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fraction, bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('set' as const), at: fraction, value: fc.nat(255) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
    fc.record({ kind: fc.constant('insert' as const), at: fraction, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fraction, n: fc.integer({ min: 1, max: 8 }) }),
  ),
  { minLength: 1, maxLength: 3 },
);

function mutate(src: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = src.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = Math.floor(m.at * b.length);
    if (m.kind === 'flip') b[at]! ^= 1 << m.bit;
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'truncate') b = b.slice(0, at);
    else if (m.kind === 'insert') b = concat(b.subarray(0, at), m.bytes, b.subarray(at));
    else b = concat(b.subarray(0, at), b.subarray(at + m.n));
  }
  return b;
}

/** A connection's fatal error must be deliberate: a TlsError, not a bug, not internal_error; every later call throws it. */
function checkFailure(conn: Connection): void {
  const err = conn.failure;
  if (!err) return;
  expect(err).toBeInstanceOf(TlsError);
  expect(err.bug, `bug: ${err.message}`).toBe(false);
  expect(err.alert, `internal_error: ${err.message}`).not.toBe(AlertDescription.internal_error);
  expect(() => conn.write(new Uint8Array([1]))).toThrow(err);
  expect(() => conn.receive(new Uint8Array([21, 3, 3, 0, 2, 1, 0]))).toThrow(err);
}

describe('mutated TLS 1.2 flights give only TlsErrors', () => {
  it('random byte mutations of any one flight (hellos, key exchange, protected Finished, renegotiation flights, data)', () => {
    const outcomes = { refused: 0, accepted: 0 };
    fc.assert(
      fc.property(scenarios, fc.nat(), mutations, (sc, pick, ms) => {
        const ref = reference(sc);
        const k = pick % ref.flights.length;
        const p = setup(sc);
        let mutated = false;
        try {
          converse(p, sc, (f, i) => {
            const bytes = i === k ? mutate(f.bytes, ms) : f.bytes;
            mutated ||= i === k;
            receiverOf(p, f.dir).receive(bytes);
          });
          outcomes.accepted++;
        } catch (e) {
          // A call on a failed or stalled connection: a TlsError only.
          if (!(e instanceof TlsError)) throw e;
          expect(e.bug, `bug: ${e.message}`).toBe(false);
          expect(mutated, `an error before the mutation: ${e.message}`).toBe(true);
          outcomes.refused++;
        }
        checkFailure(p.client);
        checkFailure(p.server);
        // The failing side's fatal alert reaches its peer, which fails with it (or had failed already).
        for (const [from, to] of [[p.client, p.server], [p.server, p.client]] as const) {
          const err = from.failure;
          if (!err || err.remote) continue;
          const out = from.takeOutgoing();
          expect(out, 'a fatal alert is queued').not.toBeNull();
          if (to.failure) continue;
          try {
            to.receive(out!);
          } catch (e) {
            expect(e).toBeInstanceOf(TlsError);
            expect((e as TlsError).bug).toBe(false);
          }
          checkFailure(to);
        }
      }),
      fcRuns(150),
    );
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
