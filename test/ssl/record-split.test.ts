/**
 * Record layer property (fast-check): how a flight is cut into records and how
 * the byte stream is cut into receive() calls must not matter. Every flight of
 * a handshake is re-cut at random boundaries into new records (plaintext
 * handshake records re-framed; encrypted ones opened and re-sealed under the
 * same traffic secret, taken from the 'keylog' event) and delivered in random
 * chunks (1 byte up to all of it). With seeded providers both peers are
 * deterministic, so the result must equal the run with whole flights: the
 * same bytes out of every receiver, the same events, the same application data.
 *
 * No seed is fixed; a failure prints fast-check's seed and path: replay with
 * FC_SEED=<seed> FC_PATH=<path>; FC_RUNS scales the runs.
 */
import fc from 'fast-check';
import { fcRuns } from '../helpers/fc.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType, KeyUpdateType, NamedGroup } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { testProvider } from '../../src/crypto/random.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import type { Connection } from '../../src/ssl/connection.js';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, makePair, serverCert, verifierFor, type Pair } from '../helpers/pair.js';


/** A handshake costs some 30 ms; these keep the file near 10 s. */
const HANDSHAKE_RUNS = 20;
const DATA_RUNS = 30;

let chain: Chain;
let NOW = 0;
beforeAll(async () => {
  chain = await chainFor('p256');
  NOW = Date.now() + 2000; // certificates are made with second precision just before
});

type Side = 'client' | 'server';
const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const MAX_FRAGMENT = 1 << 14;

// ---- a connected pair that records what it does ------------------------------------

interface Scenario {
  readonly name: string;
  readonly server: TlsContextOptions;
  readonly client: TlsContextOptions;
}

interface Watched {
  readonly p: Pair;
  readonly conn: Record<Side, Connection>;
  /** Traffic secrets by NSS key log label (both peers log the same ones). */
  readonly secrets: Map<string, Uint8Array>;
  /** Every event each side raised, as text, in order. */
  readonly events: Record<Side, string[]>;
}

function watchedPair(s: Scenario): Watched {
  const p = makePair(
    { certificate: serverCert(chain), provider: testProvider('split-server', NOW), ...s.server },
    { verifier: verifierFor(chain), provider: testProvider('split-client', NOW), ...s.client },
  );
  const secrets = new Map<string, Uint8Array>();
  const events: Record<Side, string[]> = { client: [], server: [] };
  for (const side of ['client', 'server'] as const) {
    const c = p[side];
    const log = (line: string) => events[side].push(line);
    c.on('keylog', (l) => {
      const [label, , secret] = l.split(' ');
      secrets.set(label!, Uint8Array.from(Buffer.from(secret!, 'hex')));
      log(`keylog ${l}`);
    });
    c.on('handshake', () => log('handshake'));
    c.on('message', (m) => log(`message ${m.direction} ${m.type} ${m.length}`));
    c.on('alert', (a) => log(`alert ${a.sent} ${a.level} ${a.description}`));
    c.on('keyUpdate', (k) => log(`keyUpdate ${k.direction} ${k.type}`));
    c.on('close', () => log('close'));
    c.on('ticket', () => log('ticket'));
    c.on('session', () => log('session'));
  }
  return { p, conn: { client: p.client, server: p.server }, secrets, events };
}

// ---- cutting a flight into other records ------------------------------------------

interface RawRec {
  readonly type: number;
  readonly version: number;
  readonly header: Uint8Array;
  readonly fragment: Uint8Array;
}

function parseRecords(b: Uint8Array): RawRec[] {
  const out: RawRec[] = [];
  for (let at = 0; at < b.length; ) {
    if (b.length - at < 5) throw new Error(`parseRecords: ${b.length - at} bytes of a header left over`);
    const end = at + 5 + ((b[at + 3]! << 8) | b[at + 4]!);
    if (end > b.length) throw new Error('parseRecords: a record runs past the flight');
    out.push({ type: b[at]!, version: (b[at + 1]! << 8) | b[at + 2]!, header: b.subarray(at, at + 5), fragment: b.subarray(at + 5, end) });
    at = end;
  }
  return out;
}

/** A run of records of one kind: plaintext, or sealed under one traffic secret (`label`). */
type Segment =
  | { readonly kind: 'raw'; readonly bytes: Uint8Array }
  | { readonly kind: 'plain'; readonly type: number; readonly version: number; readonly data: Uint8Array }
  | { readonly kind: 'sealed'; readonly label: string; readonly type: number; readonly data: Uint8Array };

/** Only handshake and application data may be cut and joined (alerts are neither, RFC 8446 §5.1). */
const cuttable = (type: number) => type === ContentType.handshake || type === ContentType.application_data;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Cut `data` at `points` (free naturals, taken modulo its length); no piece empty or over 2^14. */
function cut(data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const at = [...new Set(data.length > 1 ? points.map((p) => 1 + (p % (data.length - 1))) : [])].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, data.length]) {
    for (let o = from; o < to; o += MAX_FRAGMENT) pieces.push(data.subarray(o, Math.min(o + MAX_FRAGMENT, to)));
    from = to;
  }
  return pieces;
}

/** Two records' contents joined, if they may be (and then cut elsewhere): same type, same protection, cuttable. */
function join(a: Segment, b: Segment): Segment | null {
  if (a.kind === 'raw' || b.kind === 'raw' || a.type !== b.type || !cuttable(a.type)) return null;
  if (a.kind === 'plain') return b.kind === 'plain' && a.version === b.version ? { ...a, data: concat([a.data, b.data]) } : null;
  return b.kind === 'sealed' && a.label === b.label ? { ...a, data: concat([a.data, b.data]) } : null;
}

/** Label of the n-th key a side sends under: its handshake secret, then application secrets 0, 1, ... */
const epochLabel = (side: Side, n: number) =>
  n === 0 ? `${side.toUpperCase()}_HANDSHAKE_TRAFFIC_SECRET` : `${side.toUpperCase()}_TRAFFIC_SECRET_${n - 1}`;

/**
 * Re-cuts each side's output, as if the sender had framed it differently. It
 * follows each sender's keys (opening with the current one, moving to the next
 * on a failure) and re-seals under the same secrets, so sequence numbers run on.
 */
class Recutter {
  private readonly openers: Record<Side, { epoch: number; prot: ReceiveProtection | null }> = {
    client: { epoch: -1, prot: null },
    server: { epoch: -1, prot: null },
  };
  private readonly sealers = new Map<string, SendProtection>();
  constructor(private readonly w: Watched) {}

  private secret(label: string): Uint8Array {
    const s = this.w.secrets.get(label);
    if (!s) throw new Error(`Recutter: no key log line for ${label} yet`);
    return s;
  }
  private suite(side: Side) {
    const s = this.w.conn[side].cipherSuite;
    if (!s) throw new Error(`Recutter: ${side} has no suite but sent a protected record`);
    return s;
  }

  /** The sender's records as segments (consecutive cuttable records of one kind joined). */
  segments(from: Side, bytes: Uint8Array): Segment[] {
    const out: Segment[] = [];
    const o = this.openers[from];
    for (const rec of parseRecords(bytes)) {
      let seg: Segment;
      if (rec.type === ContentType.change_cipher_spec) seg = { kind: 'raw', bytes: concat([rec.header, rec.fragment]) };
      else if (rec.type !== ContentType.application_data) {
        if (o.epoch >= 0) throw new Error(`Recutter: plaintext record of type ${rec.type} after encryption started`);
        seg = { kind: 'plain', type: rec.type, version: rec.version, data: rec.fragment };
      } else {
        const opened = this.open(from, rec);
        seg = { kind: 'sealed', label: epochLabel(from, o.epoch), type: opened.type, data: opened.data.slice() };
      }
      const joined = out.length > 0 ? join(out[out.length - 1]!, seg) : null;
      if (joined) out[out.length - 1] = joined;
      else out.push(seg);
    }
    return out;
  }

  /** Open with the sender's current key; on bad_record_mac move on to its next one. */
  private open(from: Side, rec: RawRec): { type: number; data: Uint8Array } {
    const o = this.openers[from];
    for (;;) {
      if (o.prot === null) {
        o.epoch++;
        o.prot = ReceiveProtection.tls13(nobleProvider(), this.suite(from), this.secret(epochLabel(from, o.epoch)));
      }
      try {
        return o.prot.open(rec);
      } catch (e) {
        if (!(e instanceof TlsError) || e.code !== 'ERR_TLS_BAD_RECORD_MAC' || o.epoch > 8) throw e;
        o.prot = null; // the sender has moved to its next key
      }
    }
  }

  /** The segments framed anew: each cuttable one cut at its own points. */
  reframe(from: Side, segments: readonly Segment[], cuts: readonly (readonly number[])[]): Uint8Array {
    const out: Uint8Array[] = [];
    segments.forEach((seg, i) => {
      if (seg.kind === 'raw') return void out.push(seg.bytes);
      const pieces = cuttable(seg.type) ? cut(seg.data, cuts[i] ?? []) : [seg.data];
      for (const piece of pieces) {
        if (seg.kind === 'plain') {
          out.push(Uint8Array.of(seg.type, seg.version >> 8, seg.version & 0xff, piece.length >> 8, piece.length & 0xff), piece);
        } else {
          let s = this.sealers.get(seg.label);
          if (!s) this.sealers.set(seg.label, (s = SendProtection.tls13(nobleProvider(), this.suite(from), this.secret(seg.label))));
          out.push(s.seal(seg.type, piece));
        }
      }
    });
    return concat(out);
  }
}

// ---- delivering in chunks ---------------------------------------------------------

type Chunking = { readonly kind: 'points'; readonly points: readonly number[] } | { readonly kind: 'every'; readonly size: number };

function chunks(b: Uint8Array, c: Chunking): Uint8Array[] {
  if (b.length === 0) return [];
  if (c.kind === 'every') {
    const out: Uint8Array[] = [];
    for (let o = 0; o < b.length; o += c.size) out.push(b.subarray(o, o + c.size));
    return out;
  }
  // Like cut, without the 2^14 cap: a receive() call may be any size.
  const at = [...new Set(b.length > 1 ? c.points.map((p) => 1 + (p % (b.length - 1))) : [])].sort((x, y) => x - y);
  return [0, ...at].map((from, i) => b.subarray(from, i < at.length ? at[i] : b.length));
}

const chunking: fc.Arbitrary<Chunking> = fc.oneof(
  fc.record({ kind: fc.constant('points' as const), points: fc.array(fc.nat(), { maxLength: 24 }) }),
  fc.record({ kind: fc.constant('every' as const), size: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('every' as const), size: fc.integer({ min: 1, max: 6000 }) }),
);
/** How one flight is re-cut: cut points per segment, and the receive() chunking. */
interface Plan {
  readonly cuts: readonly (readonly number[])[];
  readonly chunking: Chunking;
}
const plan: fc.Arbitrary<Plan> = fc.record({
  cuts: fc.array(fc.array(fc.nat(), { maxLength: 16 }), { maxLength: 6 }),
  chunking,
});
const WHOLE: Plan = { cuts: [], chunking: { kind: 'points', points: [] } };

// ---- playing a scenario ------------------------------------------------------------

interface Result {
  /** Every flight, in order, as its sender's takeOutgoing() gave it. */
  readonly flights: { readonly from: Side; readonly hex: string }[];
  readonly events: Record<Side, string[]>;
  readonly read: Record<Side, string>;
  readonly complete: Record<Side, boolean>;
}

const EARLY = { client: new TextEncoder().encode('written by the client before the handshake'), server: new Uint8Array(3000).fill(0x53) };
const AFTER = { client: new Uint8Array(5000).map((_, i) => i % 253), server: new TextEncoder().encode('after the handshake, from the server') };

/**
 * Moves flights between the peers. Flight k goes through `plans[k]` (whole
 * after the last plan): the receiver gets it re-cut and chunked, reads after
 * every chunk, and what it sends is taken after every chunk too (as a socket
 * loop would), joined into the next flight.
 */
class Net {
  readonly flights: { from: Side; bytes: Uint8Array }[] = [];
  readonly read: Record<Side, Uint8Array[]> = { client: [], server: [] };
  private readonly queue: { from: Side; bytes: Uint8Array }[] = [];
  private readonly re: Recutter;
  constructor(
    readonly w: Watched,
    private readonly plans: readonly Plan[],
  ) {
    this.re = new Recutter(w);
  }

  take(side: Side): void {
    const b = this.w.conn[side].takeOutgoing();
    if (b) this.queue.push({ from: side, bytes: b });
  }

  pump(): void {
    while (this.queue.length > 0) {
      const f = this.queue.shift()!;
      this.flights.push(f);
      const plan = this.plans[this.flights.length - 1] ?? WHOLE;
      const side = other(f.from);
      const to = this.w.conn[side];
      const stream = this.re.reframe(f.from, this.re.segments(f.from, f.bytes), plan.cuts);
      const answer: Uint8Array[] = [];
      for (const c of chunks(stream, plan.chunking)) {
        to.receive(c);
        const b = to.takeOutgoing();
        if (b) answer.push(b);
        const d = to.read();
        if (d) this.read[side].push(d);
      }
      if (answer.length > 0) this.queue.push({ from: side, bytes: concat(answer) });
      this.take(f.from);
    }
  }
}

/** Handshake (with data written before it, held until it completes), then data both ways. */
function play(s: Scenario, plans: readonly Plan[]): Result {
  const w = watchedPair(s);
  const net = new Net(w, plans);
  w.p.client.write(EARLY.client);
  w.p.server.write(EARLY.server);
  w.p.client.doHandshake();
  net.take('client');
  net.pump();
  w.p.client.write(AFTER.client);
  net.take('client');
  w.p.server.write(AFTER.server);
  net.take('server');
  net.pump();
  return {
    flights: net.flights.map((f) => ({ from: f.from, hex: hex(f.bytes) })),
    events: w.events,
    read: { client: hex(concat(net.read.client)), server: hex(concat(net.read.server)) },
    complete: { client: w.p.client.handshakeComplete, server: w.p.server.handshakeComplete },
  };
}

const SCENARIOS: Scenario[] = [
  { name: 'full handshake (middlebox compat)', server: {}, client: {} },
  {
    name: 'HelloRetryRequest',
    server: { groups: [NamedGroup.secp256r1] },
    client: { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
  },
  {
    name: 'client certificate, no middlebox compat',
    server: { requestCert: true, requireCert: true, verifier: undefined },
    client: { middleboxCompat: false },
  },
];
/** The client-certificate scenario needs the chain, which exists only after beforeAll. */
function resolve(s: Scenario): Scenario {
  if (s.server.requestCert !== true) return s;
  return { ...s, server: { ...s.server, verifier: verifierFor(chain) }, client: { ...s.client, certificate: serverCert(chain) } };
}

describe.each(SCENARIOS)('record splitting: $name', (scenario) => {
  it('re-cut records and chunked delivery give the same flights, events and data as whole flights', () => {
    const s = resolve(scenario);
    const ref = play(s, []);
    expect(ref.complete).toEqual({ client: true, server: true });
    const expected = (side: Side) => hex(concat([EARLY[other(side)], AFTER[other(side)]]));
    expect(ref.read).toEqual({ client: expected('client'), server: expected('server') });
    fc.assert(
      fc.property(fc.array(plan, { minLength: ref.flights.length, maxLength: ref.flights.length }), (plans) => {
        const got = play(s, plans);
        expect(got.flights).toEqual(ref.flights);
        expect(got.events).toEqual(ref.events);
        expect(got.read).toEqual(ref.read);
        expect(got.complete).toEqual(ref.complete);
      }),
      fcRuns(HANDSHAKE_RUNS),
    );
  });
});

// ---- application data after the handshake -----------------------------------------

type Act =
  | { readonly kind: 'write'; readonly from: Side; readonly data: Uint8Array }
  | { readonly kind: 'keyUpdate'; readonly from: Side; readonly requested: boolean };

const act: fc.Arbitrary<Act> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      from: fc.constantFrom<Side>('client', 'server'),
      data: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.uint8Array({ minLength: 1, maxLength: 20000 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('keyUpdate' as const), from: fc.constantFrom<Side>('client', 'server'), requested: fc.boolean() }) },
);

describe('record splitting: application data', () => {
  it('data re-cut into other records and delivered in any chunks reads back the same, across key updates', () => {
    const s = SCENARIOS[0]!;
    fc.assert(
      fc.property(fc.array(act, { minLength: 1, maxLength: 8 }), fc.array(plan, { maxLength: 16 }), (acts, plans) => {
        const w = watchedPair(s);
        const net = new Net(w, plans);
        w.p.client.doHandshake();
        net.take('client');
        net.pump();
        expect(w.p.client.handshakeComplete && w.p.server.handshakeComplete).toBe(true);
        const sent: Record<Side, Uint8Array[]> = { client: [], server: [] };
        for (const a of acts) {
          const from = w.conn[a.from];
          if (a.kind === 'keyUpdate') {
            // Sent by the next write, or by a read (which the receiving side does after every chunk).
            from.keyUpdate(a.requested ? KeyUpdateType.REQUESTED : KeyUpdateType.NOT_REQUESTED);
            continue;
          }
          from.write(a.data);
          sent[a.from].push(a.data);
          net.take(a.from);
          net.pump();
        }
        for (const side of ['client', 'server'] as const) {
          expect(hex(concat(net.read[side]))).toBe(hex(concat(sent[other(side)])));
        }
      }),
      fcRuns(DATA_RUNS),
    );
  });
});
