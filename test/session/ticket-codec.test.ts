import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/common/bytes.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { testProvider } from '../../src/crypto/random.js';
import { Session } from '../../src/session/session.js';
import {
  MAX_TICKET_LENGTH,
  RotatingTicketCodec,
  TICKET_FORMAT_VERSION,
  TicketStatus,
  type TicketCodec,
  type TicketKey,
} from '../../src/session/ticket-codec.js';
import { APP_DATA, DAY, FIELDS, HOUR, SECRET, T0, clock, contains, counting, makeSession } from './support.js';

const codecAt = (c: ReturnType<typeof clock>, seed = 'codec', extra: ConstructorParameters<typeof RotatingTicketCodec>[0] = {}) =>
  new RotatingTicketCodec({ provider: testProvider(seed), now: c.now, ...extra });

/** The key name written in a ticket (after the version byte). */
const nameOf = (ticket: Uint8Array): Uint8Array => ticket.slice(1, 17);

function expectSameSession(got: Session | undefined, want: Session): void {
  expect(got).toBeInstanceOf(Session);
  for (const f of FIELDS) expect(got![f], f).toEqual(want[f]);
  expect(got!.getTicketAppData()).toEqual(want.getTicketAppData());
  expect(got!.toBytes()).toEqual(want.toBytes());
}

describe('RotatingTicketCodec: seal and open', () => {
  it('round-trips every Session field and the ticket app data', () => {
    const codec = codecAt(clock());
    const s = makeSession();
    s.setTicketAppData(APP_DATA);
    const r = codec.open(codec.seal(s));
    expect(r.status).toBe(TicketStatus.SUCCESS);
    expect(r.keyName).toEqual(codec.keys()[0]!.name);
    expectSameSession(r.session, s);
    expect(r.session!.getTicketAppData()).toEqual(APP_DATA);
  });

  it('round-trips a TLS 1.3-shaped session without app data (null stays null) and with empty app data', () => {
    const codec = codecAt(clock());
    const s = makeSession({ version: 0x0304, cipherSuite: 0x1302, secret: SECRET, sessionId: new Uint8Array(0), extendedMasterSecret: false, serverName: undefined, alpn: undefined, peerCertificates: [] });
    const r = codec.open(codec.seal(s));
    expect(r.status).toBe(TicketStatus.SUCCESS);
    expectSameSession(r.session, s);
    expect(r.session!.getTicketAppData()).toBeNull();
    s.setTicketAppData(new Uint8Array(0));
    expect(codec.open(codec.seal(s)).session!.getTicketAppData()).toEqual(new Uint8Array(0));
  });

  it('has the documented layout: version, key name, nonce, ciphertext and tag', () => {
    const codec = codecAt(clock());
    const s = makeSession();
    const t = codec.seal(s);
    expect(t[0]).toBe(TICKET_FORMAT_VERSION);
    expect(nameOf(t)).toEqual(codec.keys()[0]!.name);
    expect(t.length).toBe(1 + 16 + 12 + s.toBytes().length + 16);
  });

  it('gives a different ticket (fresh nonce) for each seal of the same session', () => {
    const codec = codecAt(clock());
    const s = makeSession();
    const tickets = Array.from({ length: 20 }, () => codec.seal(s));
    expect(new Set(tickets.map((t) => toHex(t.subarray(17, 29)))).size).toBe(20);
    expect(new Set(tickets.map(toHex)).size).toBe(20);
    for (const t of tickets) expect(codec.open(t).status).toBe(TicketStatus.SUCCESS);
  });

  it('never shows the secret, any 8 bytes of it, or the app data in clear', () => {
    const codec = codecAt(clock());
    const s = makeSession();
    s.setTicketAppData(APP_DATA);
    for (let n = 0; n < 10; n++) {
      const t = codec.seal(s);
      expect(contains(t, SECRET)).toBe(false);
      for (let i = 0; i + 8 <= SECRET.length; i++) expect(contains(t, SECRET.subarray(i, i + 8))).toBe(false);
      expect(contains(t, APP_DATA.subarray(0, 8))).toBe(false);
    }
  });

  it('is deterministic with testProvider: same seed, same tickets; another seed, others', () => {
    const s = makeSession();
    const run = (seed: string) => {
      const codec = codecAt(clock(), seed);
      return [codec.seal(s), codec.seal(s), codec.toNodeTicketKeys()].map(toHex);
    };
    expect(run('a')).toEqual(run('a'));
    expect(run('a')[0]).not.toBe(run('b')[0]);
  });

  it('draws no randomness until the first key is needed; open() never draws any', () => {
    const { provider, counts } = counting(testProvider('lazy'));
    const codec = new RotatingTicketCodec({ provider, now: () => T0 });
    expect(counts.random).toBe(0);
    expect(codec.open(Uint8Array.of(1, 2, 3)).status).toBe(TicketStatus.NO_DECRYPT);
    expect(codec.open(new Uint8Array(200).fill(1)).status).toBe(TicketStatus.NO_DECRYPT);
    expect(counts.random).toBe(0);
    const t = codec.seal(makeSession());
    expect(counts.random).toBe(3); // key name, key, nonce
    codec.open(t);
    expect(counts.random).toBe(3);
  });

  it('seals a server session (no ticket, no session id) that opens again; refuses a ticket over 65535 bytes', () => {
    const codec = codecAt(clock());
    const serverSide = makeSession({ ticket: new Uint8Array(0), sessionId: new Uint8Array(0) });
    expect(codec.open(codec.seal(serverSide)).session?.secret).toEqual(serverSide.secret);
    expect(() => codec.seal(makeSession({ peerCertificates: [new Uint8Array(40000), new Uint8Array(30000)] }))).toThrow(RangeError);
    expect(() => codec.seal({} as Session)).toThrow(TypeError);
  });
});

describe('RotatingTicketCodec: statuses on bad input (never throws)', () => {
  const c = clock();
  const codec = codecAt(c);
  const s = makeSession();
  s.setTicketAppData(APP_DATA);
  const good = codec.seal(s);
  const name = nameOf(good);

  it('EMPTY for zero bytes', () => {
    expect(codec.open(new Uint8Array(0))).toEqual({ status: TicketStatus.EMPTY });
  });

  it('NO_DECRYPT for every truncation, with the key name once 17 bytes are there', () => {
    for (let n = 1; n < good.length; n++) {
      const r = codec.open(good.slice(0, n));
      expect(r.status, `length ${n}`).toBe(TicketStatus.NO_DECRYPT);
      expect(r.session).toBeUndefined();
      if (n >= 17) expect(r.keyName).toEqual(name);
      else expect(r.keyName).toBeUndefined();
    }
  });

  it('NO_DECRYPT with a trailing byte', () => {
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(codec.open(longer).status).toBe(TicketStatus.NO_DECRYPT);
  });

  it('NO_DECRYPT for every single bit flipped', () => {
    for (let bit = 0; bit < good.length * 8; bit++) {
      const t = good.slice();
      t[bit >> 3]! ^= 1 << (bit & 7);
      const r = codec.open(t);
      expect(r.status, `bit ${bit}`).toBe(TicketStatus.NO_DECRYPT);
      expect(r.session).toBeUndefined();
    }
    expect(codec.open(good).status).toBe(TicketStatus.SUCCESS); // the original still opens
  });

  it('NO_DECRYPT for another codec instance\'s ticket, naming its key', () => {
    const other = codecAt(c, 'another codec');
    const t = other.seal(s);
    const r = codec.open(t);
    expect(r.status).toBe(TicketStatus.NO_DECRYPT);
    expect(r.keyName).toEqual(other.keys()[0]!.name);
    expect(other.open(good).status).toBe(TicketStatus.NO_DECRYPT);
  });

  it('NO_DECRYPT for random bytes of many lengths', () => {
    const rnd = testProvider('garbage');
    for (let n = 1; n <= 600; n += 7) {
      const g = rnd.randomBytes(n);
      expect(codec.open(g).status).toBe(TicketStatus.NO_DECRYPT);
      g[0] = TICKET_FORMAT_VERSION; // past the version check
      expect(codec.open(g).status).toBe(TicketStatus.NO_DECRYPT);
      if (n >= 17) {
        g.set(name, 1); // and past the key lookup: the AEAD must refuse it
        expect(codec.open(g).status).toBe(TicketStatus.NO_DECRYPT);
      }
    }
  });

  it('NO_DECRYPT for oversized, short, unknown-version and unknown-key tickets without any crypto', () => {
    const { provider, counts } = counting(testProvider('cheap'));
    const k = new RotatingTicketCodec({ provider, now: c.now });
    const t = k.seal(s);
    const big = new Uint8Array(MAX_TICKET_LENGTH + 1);
    big.set(t);
    const huge = new Uint8Array(1 << 20);
    huge.set(t);
    const wrongVersion = t.slice();
    wrongVersion[0] = TICKET_FORMAT_VERSION + 1;
    const unknownKey = t.slice();
    unknownKey[5]! ^= 0x40;
    const short = t.slice(0, 1 + 16 + 12 + 16); // no plaintext byte at all
    for (const x of [big, huge, wrongVersion, unknownKey, short]) expect(k.open(x).status).toBe(TicketStatus.NO_DECRYPT);
    expect(k.open(wrongVersion).keyName).toBeUndefined();
    expect(counts.opens).toBe(0);
    expect(k.open(t).status).toBe(TicketStatus.SUCCESS);
    expect(counts.opens).toBe(1);
  });

  it('NO_DECRYPT for an authentic ciphertext that is not a session, or under an unknown version', () => {
    const key = codec.keys()[0]!;
    const aead = nobleProvider().aead('AES-256-GCM', key.key);
    const forge = (version: number, plain: Uint8Array): Uint8Array => {
      const head = new Uint8Array(29);
      head[0] = version;
      head.set(key.name, 1);
      head.set(new Uint8Array(12).fill(7), 17);
      const body = aead.seal(head.subarray(17), plain, head.subarray(0, 17));
      const out = new Uint8Array(29 + body.length);
      out.set(head);
      out.set(body, 29);
      return out;
    };
    const sessionBytes = s.toBytes();
    expect(codec.open(forge(TICKET_FORMAT_VERSION, sessionBytes)).status).toBe(TicketStatus.SUCCESS); // the forge is right
    const withTrailing = new Uint8Array(sessionBytes.length + 1);
    withTrailing.set(sessionBytes);
    for (const plain of [Uint8Array.of(0), new Uint8Array(100), withTrailing, sessionBytes.subarray(0, sessionBytes.length - 1)]) {
      const r = codec.open(forge(TICKET_FORMAT_VERSION, plain));
      expect(r.status).toBe(TicketStatus.NO_DECRYPT);
      expect(r.keyName).toEqual(key.name);
    }
    expect(codec.open(forge(2, sessionBytes)).status).toBe(TicketStatus.NO_DECRYPT);
  });
});

describe('RotatingTicketCodec: key ring', () => {
  it('after rotate(): old tickets SUCCESS_RENEW naming key 1, new tickets SUCCESS under key 2', () => {
    const c = clock();
    const codec = codecAt(c);
    const s = makeSession();
    const t1 = codec.seal(s);
    const key1 = codec.keys()[0]!;
    c.advance(HOUR);
    codec.rotate();
    const ring = codec.keys();
    expect(ring.map((k) => toHex(k.name))).toEqual([toHex(ring[0]!.name), toHex(key1.name)]);
    expect(ring[0]!.createdMs).toBe(T0 + HOUR);
    const r = codec.open(t1);
    expect(r.status).toBe(TicketStatus.SUCCESS_RENEW);
    expect(r.keyName).toEqual(key1.name);
    expectSameSession(r.session, s);
    const t2 = codec.seal(s);
    expect(nameOf(t2)).toEqual(ring[0]!.name);
    expect(codec.open(t2).status).toBe(TicketStatus.SUCCESS);
  });

  it('a retired key opens for keyLifetimeMs after it stopped sealing, then NO_DECRYPT', () => {
    const c = clock();
    const codec = codecAt(c); // default keyLifetimeMs: 7 days
    expect(codec.keyLifetimeMs).toBe(7 * DAY);
    const t1 = codec.seal(makeSession());
    c.advance(3 * HOUR);
    codec.rotate(); // key 1 retires at T0 + 3 h
    c.set(T0 + 3 * HOUR + 7 * DAY - 1);
    expect(codec.open(t1).status).toBe(TicketStatus.SUCCESS_RENEW);
    c.set(T0 + 3 * HOUR + 7 * DAY);
    const r = codec.open(t1);
    expect(r.status).toBe(TicketStatus.NO_DECRYPT);
    expect(r.keyName).toEqual(nameOf(t1));
    expect(codec.keys()).toHaveLength(1); // dropped
  });

  it('keyLifetimeMs: 0 retires a key at once (node-like)', () => {
    const c = clock();
    const codec = codecAt(c, 'zero', { keyLifetimeMs: 0 });
    const t1 = codec.seal(makeSession());
    codec.rotate();
    expect(codec.open(t1).status).toBe(TicketStatus.NO_DECRYPT);
  });

  it('rotates by itself once the sealing key is rotateAfterMs old; due tickets answer SUCCESS_RENEW', () => {
    const c = clock();
    const codec = codecAt(c, 'auto', { rotateAfterMs: 2 * HOUR });
    const s = makeSession();
    const t1 = codec.seal(s);
    c.advance(2 * HOUR - 1);
    const t1b = codec.seal(s);
    expect(nameOf(t1b)).toEqual(nameOf(t1));
    expect(codec.open(t1).status).toBe(TicketStatus.SUCCESS);
    c.advance(1);
    expect(codec.open(t1).status).toBe(TicketStatus.SUCCESS_RENEW); // due: the next seal uses a new key
    expect(codec.keys()).toHaveLength(1); // open() did not rotate
    const t2 = codec.seal(s);
    expect(nameOf(t2)).not.toEqual(nameOf(t1));
    expect(codec.keys().map((k) => k.createdMs)).toEqual([T0 + 2 * HOUR, T0]);
    expect(codec.open(t2).status).toBe(TicketStatus.SUCCESS);
    expect(codec.open(t1).status).toBe(TicketStatus.SUCCESS_RENEW);
  });

  it('rotateAfterMs: Infinity never rotates by time', () => {
    const c = clock();
    const codec = codecAt(c, 'never', { rotateAfterMs: Infinity });
    const t1 = codec.seal(makeSession());
    c.advance(365 * DAY);
    expect(codec.open(t1).status).toBe(TicketStatus.SUCCESS);
    expect(nameOf(codec.seal(makeSession()))).toEqual(nameOf(t1));
  });

  it('rotates after maxSealsPerKey seals (the nonce budget), also across setKeys of the same key', () => {
    const codec = codecAt(clock(), 'budget', { maxSealsPerKey: 3 });
    const s = makeSession();
    const names = Array.from({ length: 7 }, () => toHex(nameOf(codec.seal(s))));
    expect(names.slice(0, 3).every((n) => n === names[0])).toBe(true);
    expect(names.slice(3, 6).every((n) => n === names[3])).toBe(true);
    expect(names[3]).not.toBe(names[0]);
    expect(names[6]).not.toBe(names[3]);
    codec.seal(s);
    codec.seal(s); // key 3 now has sealed 3 times
    codec.setKeys(codec.keys()); // same keys: counts kept
    expect(toHex(nameOf(codec.seal(s)))).not.toBe(names[6]);
  });

  it('bounds the ring by maxKeys; evicted keys answer NO_DECRYPT', () => {
    const c = clock();
    const codec = codecAt(c, 'bounded', { maxKeys: 3 });
    const s = makeSession();
    const tickets: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) {
      tickets.push(codec.seal(s));
      c.advance(1000);
      codec.rotate();
      expect(codec.keys().length).toBe(Math.min(i + 2, 3));
    }
    const statuses = tickets.map((t) => codec.open(t).status);
    expect(statuses).toEqual([1, 1, 1, 1, 3, 3].map((x) => x as TicketStatus));
  });

  it('derives a default maxKeys that covers keyLifetimeMs', () => {
    expect(new RotatingTicketCodec().maxKeys).toBe(15); // 7 d / 12 h + 1
    expect(new RotatingTicketCodec({ rotateAfterMs: Infinity, keyLifetimeMs: Infinity }).maxKeys).toBe(4);
    expect(new RotatingTicketCodec({ rotateAfterMs: 1, keyLifetimeMs: DAY }).maxKeys).toBe(64);
  });

  it('a fleet given the same keys opens each other\'s tickets', () => {
    const c = clock();
    const a = codecAt(c, 'fleet a');
    const s = makeSession();
    s.setTicketAppData(APP_DATA);
    const b = codecAt(c, 'fleet b', { keys: a.keys() });
    const d = codecAt(c, 'fleet d');
    d.setKeys(a.keys());
    const fromB = b.seal(s);
    for (const [x, y] of [[a, b], [b, d], [d, a], [a, d]] as [TicketCodec, TicketCodec][]) {
      const r = y.open(x.seal(s));
      expect(r.status).toBe(TicketStatus.SUCCESS);
      expectSameSession(r.session, s);
    }
    expect(a.open(fromB).keyName).toEqual(a.keys()[0]!.name);
  });

  it('keys() hands out copies; setKeys copies its input', () => {
    const codec = codecAt(clock());
    const t = codec.seal(makeSession());
    const ring = codec.keys();
    ring[0]!.key.fill(0);
    ring[0]!.name.fill(0);
    expect(codec.open(t).status).toBe(TicketStatus.SUCCESS);
    const given = codec.keys();
    codec.setKeys(given);
    given[0]!.key.fill(1);
    expect(codec.open(t).status).toBe(TicketStatus.SUCCESS);
  });
});

describe('RotatingTicketCodec: node:tls ticketKeys', () => {
  const nodeKeys = testProvider('node keys').randomBytes(48);

  it('fromNodeTicketKeys then toNodeTicketKeys gives the same 48 bytes; the name is bytes 0..16', () => {
    const codec = codecAt(clock());
    codec.fromNodeTicketKeys(nodeKeys);
    expect(codec.toNodeTicketKeys()).toEqual(nodeKeys);
    expect(codec.keys()[0]!.name).toEqual(nodeKeys.subarray(0, 16));
    expect(codec.keys()[0]!.key).toEqual(nodeKeys.subarray(16));
    const t = codec.seal(makeSession());
    expect(nameOf(t)).toEqual(nodeKeys.subarray(0, 16));
    const other = codecAt(clock(), 'other');
    other.fromNodeTicketKeys(Buffer.from(nodeKeys)); // a Buffer, as node hands out
    expect(other.open(t).status).toBe(TicketStatus.SUCCESS);
  });

  it('toNodeTicketKeys of a fresh codec round-trips into another', () => {
    const a = codecAt(clock(), 'a');
    const buf = a.toNodeTicketKeys();
    expect(buf).toHaveLength(48);
    const b = codecAt(clock(), 'b');
    b.fromNodeTicketKeys(buf);
    expect(b.open(a.seal(makeSession())).status).toBe(TicketStatus.SUCCESS);
  });

  it('setting node keys retires the previous key; setting them again changes nothing', () => {
    const codec = codecAt(clock());
    const before = codec.seal(makeSession());
    codec.fromNodeTicketKeys(nodeKeys);
    expect(codec.open(before).status).toBe(TicketStatus.SUCCESS_RENEW);
    codec.fromNodeTicketKeys(nodeKeys);
    expect(codec.keys()).toHaveLength(2);
    const changed = nodeKeys.slice();
    changed[47]! ^= 1; // same name, other key: replaces the entry of that name
    codec.fromNodeTicketKeys(changed);
    expect(codec.keys().map((k) => toHex(k.key))).toEqual([toHex(changed.subarray(16)), expect.any(String)]);
  });

  it('a wrong length is a RangeError naming the 48 bytes; not bytes is a TypeError', () => {
    const codec = codecAt(clock());
    for (const n of [0, 16, 32, 47, 49, 80]) {
      expect(() => codec.fromNodeTicketKeys(new Uint8Array(n))).toThrow(RangeError);
      expect(() => codec.fromNodeTicketKeys(new Uint8Array(n))).toThrow(/48 bytes/);
    }
    expect(() => codec.fromNodeTicketKeys('x'.repeat(48) as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('RotatingTicketCodec: argument checks and secrecy', () => {
  const k = (over: Partial<TicketKey> = {}): TicketKey => ({ name: new Uint8Array(16).fill(1), key: new Uint8Array(32).fill(2), createdMs: T0, ...over });

  it('setKeys validates lengths, types, order and names', () => {
    const codec = codecAt(clock(), 'v', { maxKeys: 2 });
    expect(() => codec.setKeys([k({ name: new Uint8Array(15) })])).toThrow(RangeError);
    expect(() => codec.setKeys([k({ key: new Uint8Array(16) })])).toThrow(RangeError);
    expect(() => codec.setKeys([k({ key: Array(32).fill(0) as unknown as Uint8Array })])).toThrow(TypeError);
    expect(() => codec.setKeys([k({ createdMs: '1' as unknown as number })])).toThrow(TypeError);
    expect(() => codec.setKeys([k({ createdMs: NaN })])).toThrow(RangeError);
    expect(() => codec.setKeys([])).toThrow(RangeError);
    expect(() => codec.setKeys([k(), k({ name: new Uint8Array(16) }), k({ name: new Uint8Array(16).fill(3) })])).toThrow(RangeError);
    expect(() => codec.setKeys([k(), k({ createdMs: T0 - 1 })])).toThrow(/twice/);
    expect(() => codec.setKeys([k({ name: new Uint8Array(16) }), k({ createdMs: T0 + 1 })])).toThrow(/newest first/);
    expect(() => codec.setKeys(null as unknown as TicketKey[])).toThrow(TypeError);
    expect(() => codec.setKeys([null as unknown as TicketKey])).toThrow(TypeError);
    codec.setKeys([k({ name: new Uint8Array(16), createdMs: T0 + 1 }), k()]);
    expect(codec.keys()).toHaveLength(2);
  });

  it('options are checked', () => {
    expect(() => new RotatingTicketCodec({ rotateAfterMs: 0 })).toThrow(RangeError);
    expect(() => new RotatingTicketCodec({ keyLifetimeMs: -1 })).toThrow(RangeError);
    expect(() => new RotatingTicketCodec({ maxKeys: 0 })).toThrow(RangeError);
    expect(() => new RotatingTicketCodec({ maxKeys: 1.5 })).toThrow(RangeError);
    expect(() => new RotatingTicketCodec({ maxSealsPerKey: 2 ** 32 + 1 })).toThrow(RangeError);
    expect(() => new RotatingTicketCodec({ rotateAfterMs: '1' as unknown as number })).toThrow(TypeError);
    expect(() => new RotatingTicketCodec({ now: 5 as unknown as () => number })).toThrow(TypeError);
    expect(() => new RotatingTicketCodec({ keys: [k({ key: new Uint8Array(31) })] })).toThrow(RangeError);
  });

  it('toString, inspect, JSON and errors show no key bytes', () => {
    const codec = codecAt(clock(), 'secrecy');
    codec.seal(makeSession());
    const { name, key } = codec.keys()[0]!;
    const shown = [String(codec), inspect(codec, { showHidden: true, depth: 5 }), JSON.stringify(codec)];
    try {
      codec.fromNodeTicketKeys(new Uint8Array(47).fill(0xab));
    } catch (e) {
      shown.push(String(e));
    }
    try {
      codec.setKeys([{ name, key: key.subarray(0, 31), createdMs: T0 }]);
    } catch (e) {
      shown.push(String(e));
    }
    for (const text of shown) {
      expect(text).not.toContain(toHex(key).slice(0, 8));
      expect(text).not.toContain(toHex(name).slice(0, 8));
      expect(text).not.toMatch(/ab,? ?ab|171, 171/);
      expect(text).not.toMatch(/Uint8Array|Buffer/);
    }
  });
});
