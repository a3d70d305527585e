/**
 * Fuzzing the Connection with fast-check: mutated ClientHellos at a server,
 * mutated server flights at a client, mutated post-handshake records. Each
 * mutated input either is accepted, or fails with a TlsError that is not a
 * bug and not internal_error, after which the connection is closed with that
 * error (every later call throws it; the alert is queued once). fast-check
 * prints the seed and the shrunk mutation of any failure; such cases become
 * regression tests below.
 */
import fc from 'fast-check';
import { fcRuns } from '../helpers/fc.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { AlertDescription, TlsError } from '../../src/common/errors.js';
import { KeyUpdateType } from '../../src/common/constants.js';
import type { Connection } from '../../src/ssl/connection.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';
import { seeded } from './support.js';

let chain: Chain;
let now = 0;
beforeAll(async () => {
  chain = await chainFor('p256');
  now = Date.now() + 2000;
});

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number };

/** Up to three mutations; positions are fractions of the length, so they fit any buffer. */
const mutations = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), value: fc.nat(255) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), n: fc.integer({ min: 1, max: 8 }) }),
  ),
  { minLength: 1, maxLength: 3 },
);

function apply(src: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = src.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = Math.floor(m.at * b.length);
    switch (m.kind) {
      case 'flip':
        b[at]! ^= 1 << m.bit;
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = concat(b.subarray(0, at), m.bytes, b.subarray(at));
        break;
      case 'delete':
        b = concat(b.subarray(0, at), b.subarray(at + m.n));
        break;
    }
  }
  return b;
}

/**
 * Feed `input` to `conn`; if it fails, the failure must be a deliberate
 * TlsError (no bug, no internal_error) that closes the connection.
 */
function feed(conn: Connection, input: Uint8Array): 'accepted' | 'refused' {
  try {
    conn.receive(input);
    conn.takeOutgoing();
    return 'accepted';
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    const err = e as TlsError;
    expect(err.bug, `bug: ${err.message}`).toBe(false);
    expect(err.alert, `internal_error: ${err.message}`).not.toBe(AlertDescription.internal_error);
    expect(conn.failure).toBe(err);
    expect(() => conn.write(new Uint8Array([1]))).toThrow(err);
    expect(() => conn.receive(new Uint8Array([22]))).toThrow(err);
    if (!err.remote) expect(conn.takeOutgoing(), 'a fatal alert is queued').not.toBeNull();
    expect(conn.takeOutgoing()).toBeNull();
    return 'refused';
  }
}

const mkPair = () =>
  makePair({ certificate: serverCert(chain), provider: seeded('s', now) }, { verifier: verifierFor(chain), provider: seeded('c', now) });

describe('fuzz (fast-check): mutated input is accepted or refused cleanly, never a bug', () => {
  it('a server fed mutated ClientHellos', () => {
    const p = mkPair();
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!;
    let refused = 0;
    fc.assert(
      fc.property(mutations, (ms) => {
        const server = makePair({ certificate: serverCert(chain) }, {}).server;
        if (feed(server, apply(ch, ms)) === 'refused') refused++;
      }),
      fcRuns(1000),
    );
    expect(refused).toBeGreaterThan(0);
    // The unmutated ClientHello is answered.
    expect(feed(makePair({ certificate: serverCert(chain) }, {}).server, ch)).toBe('accepted');
  });

  it('a client fed mutated server flights', () => {
    const p = mkPair();
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const flight = p.server.takeOutgoing()!;
    let refused = 0;
    fc.assert(
      fc.property(mutations, (ms) => {
        const c = mkPair().client;
        c.doHandshake();
        c.takeOutgoing();
        if (feed(c, apply(flight, ms)) === 'refused') refused++;
      }),
      fcRuns(400),
    );
    expect(refused).toBeGreaterThan(0);
    const c = mkPair().client;
    c.doHandshake();
    c.takeOutgoing();
    feed(c, flight);
    expect(c.handshakeComplete).toBe(true);
  });

  it('a server fed mutated post-handshake records (KeyUpdate, data, close_notify)', () => {
    const p = mkPair();
    handshake(p);
    p.client.keyUpdate(KeyUpdateType.REQUESTED);
    p.client.write(new Uint8Array(300).fill(7));
    p.client.close();
    const records = p.client.takeOutgoing()!;
    fc.assert(
      fc.property(mutations, (ms) => {
        const q = mkPair();
        handshake(q);
        feed(q.server, apply(records, ms));
      }),
      fcRuns(80),
    );
  });
});
