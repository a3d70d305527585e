import { describe, expect, it } from 'vitest';
import { bytesEqual, concat } from '../../src/common/bytes.js';
import { AlertDescription } from '../../src/common/errors.js';
import { type HandshakeMessage, HandshakeJoiner } from '../../src/record/joiner.js';
import { alertOf, pattern } from './support.js';
const filled = (n: number, seed = 0): Uint8Array => pattern(n, seed, 7);

function message(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out.set([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]);
  out.set(body, 4);
  return out;
}


function drain(j: HandshakeJoiner): HandshakeMessage[] {
  const out: HandshakeMessage[] = [];
  for (let m = j.next(); m; m = j.next()) out.push(m);
  return out;
}


describe('HandshakeJoiner', () => {
  it('joins a message split across 3 records', () => {
    const body = filled(500, 3);
    const raw = message(11, body);
    const j = new HandshakeJoiner();
    j.push(raw.subarray(0, 2)); // even the header is split
    expect(j.next()).toBeNull();
    expect(j.isEmpty).toBe(false);
    j.push(raw.subarray(2, 300));
    expect(j.next()).toBeNull();
    j.push(raw.subarray(300));
    const m = j.next()!;
    expect(m.type).toBe(11);
    expect(m.body).toEqual(body);
    expect(m.raw).toEqual(raw);
    expect(j.isEmpty).toBe(true);
    expect(j.next()).toBeNull();
  });

  it('splits 3 messages from one record, as views of it', () => {
    const a = message(8, filled(40, 1));
    const b = message(11, filled(445, 2));
    const c = message(14, new Uint8Array(0)); // an empty body is legal (ServerHelloDone)
    const record = concat(a, b, c);
    const j = new HandshakeJoiner();
    j.push(record);
    const got = drain(j);
    expect(got.map((m) => m.type)).toEqual([8, 11, 14]);
    expect(got.map((m) => m.raw)).toEqual([a, b, c]);
    expect(got[2]!.body.length).toBe(0);
    expect(got[1]!.raw.buffer).toBe(record.buffer);
    expect(got[1]!.body.byteOffset).toBe(got[1]!.raw.byteOffset + 4);
    expect(j.isEmpty).toBe(true);
  });

  it('joins a 100 KiB message from full records, with a second message after it', () => {
    const body = filled(100 * 1024, 9);
    const next = message(15, filled(10, 0));
    const stream = concat(message(11, body), next);
    const j = new HandshakeJoiner();
    const got: HandshakeMessage[] = [];
    for (let o = 0; o < stream.length; o += 16384) {
      j.push(stream.subarray(o, o + 16384));
      got.push(...drain(j));
    }
    expect(got.length).toBe(2);
    expect(bytesEqual(got[0]!.body, body)).toBe(true);
    expect(got[1]!.raw).toEqual(next);
    expect(j.isEmpty).toBe(true);
  });

  it('refuses a too-large declared length as soon as the header is seen, with decode_error', () => {
    const j = new HandshakeJoiner();
    expect(alertOf(() => j.push(Uint8Array.of(11, 0x02, 0x00, 0x01)))).toBe(AlertDescription.decode_error);
    // header split over two pushes: the second push throws
    const k = new HandshakeJoiner({ maxMessageSize: 1000 });
    k.push(Uint8Array.of(11, 0));
    expect(alertOf(() => k.push(Uint8Array.of(0x03, 0xe9)))).toBe(AlertDescription.decode_error);
    expect(() => k.next()).toThrow(/handshake message too large/);
    // exactly the limit is fine
    const l = new HandshakeJoiner({ maxMessageSize: 1000 });
    l.push(message(11, new Uint8Array(1000)));
    expect(l.next()!.body.length).toBe(1000);
  });

  it('refuses an oversize message behind a good one in the same record', () => {
    const j = new HandshakeJoiner({ maxMessageSize: 100 });
    j.push(concat(message(2, filled(10, 0)), Uint8Array.of(11, 0, 0, 101)));
    expect(j.next()!.type).toBe(2);
    expect(alertOf(() => j.next())).toBe(AlertDescription.decode_error);
  });

  it('applies a per-type limit from the header; a type the limit refuses is unexpected_message', () => {
    const limit = (type: number) => (type === 24 ? 1 : type === 20 ? 48 : type === 11 ? 1000 : -1);
    const j = new HandshakeJoiner({ limit });
    // a KeyUpdate announcing 128 KiB fails at its 4-byte header, nothing buffered
    expect(alertOf(() => j.push(Uint8Array.of(24, 0x02, 0x00, 0x00)))).toBe(AlertDescription.decode_error);
    const k = new HandshakeJoiner({ limit });
    expect(alertOf(() => k.push(Uint8Array.of(20, 0x02, 0x00, 0x00)))).toBe(AlertDescription.decode_error); // Finished of 2^17
    const l = new HandshakeJoiner({ limit });
    l.push(message(24, Uint8Array.of(0)));
    expect(l.next()!.body).toEqual(Uint8Array.of(0));
    const m = new HandshakeJoiner({ limit });
    expect(alertOf(() => m.push(Uint8Array.of(99, 0, 0, 0)))).toBe(AlertDescription.unexpected_message);
  });

  it('tracks isEmpty for key-change boundaries', () => {
    const j = new HandshakeJoiner();
    expect(j.isEmpty).toBe(true);
    const m = message(20, filled(32, 5));
    j.push(m.subarray(0, 10));
    expect(j.isEmpty).toBe(false);
    j.push(m.subarray(10));
    expect(j.isEmpty).toBe(false); // complete but not yet taken
    j.next();
    expect(j.isEmpty).toBe(true);
    j.push(m.subarray(0, 1));
    expect(j.isEmpty).toBe(false);
    expect(j.buffered).toBe(1);
  });

  it('checks its arguments', () => {
    expect(() => new HandshakeJoiner({ maxMessageSize: 1 << 24 })).toThrow(RangeError);
    expect(() => new HandshakeJoiner().push([1] as unknown as Uint8Array)).toThrow(TypeError);
  });
});
