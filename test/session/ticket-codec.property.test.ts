/**
 * Property tests (fast-check) for RotatingTicketCodec: any session round-trips;
 * any change to a ticket, and any bytes at all, answer NO_DECRYPT (or EMPTY)
 * without throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual } from '../../src/common/bytes.js';
import { testProvider } from '../../src/crypto/random.js';
import { Session } from '../../src/session/session.js';
import { RotatingTicketCodec, TICKET_FORMAT_VERSION, TicketStatus } from '../../src/session/ticket-codec.js';
import { fcRuns } from '../helpers/fc.js';
import { APP_DATA, T0, makeSession } from './support.js';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const latin1 = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 });

const session = fc
  .record({
    version: fc.constantFrom(0x0303, 0x0304),
    cipherSuite: fc.integer({ min: 0, max: 0xffff }),
    secret: bytes(32, 64),
    ticket: bytes(0, 300),
    sessionId: bytes(0, 32),
    extendedMasterSecret: fc.boolean(),
    ticketAgeAdd: fc.integer({ min: 0, max: 0xffffffff }),
    lifetimeSeconds: fc.integer({ min: 0, max: 7 * 24 * 3600 }),
    receivedAtMs: fc.integer({ min: 0, max: 2 ** 45 }),
    serverName: fc.option(latin1, { nil: undefined }),
    alpn: fc.option(latin1, { nil: undefined }),
    maxEarlyData: fc.integer({ min: 0, max: 0xffffffff }),
    peerCertificates: fc.array(bytes(1, 200), { maxLength: 3 }),
    appData: fc.option(bytes(0, 100), { nil: undefined }),
  })
  .filter((f) => f.ticket.length > 0 || f.sessionId.length > 0)
  .map(({ appData, ...f }) => {
    const s = new Session(f);
    if (appData) s.setTicketAppData(appData);
    return s;
  });

describe('RotatingTicketCodec properties', () => {
  const codec = new RotatingTicketCodec({ provider: testProvider('property'), now: () => T0 });
  const s = makeSession();
  s.setTicketAppData(APP_DATA);
  const good = codec.seal(s);

  it('any session round-trips, byte for byte', () => {
    fc.assert(
      fc.property(session, (x) => {
        const r = codec.open(codec.seal(x));
        expect(r.status).toBe(TicketStatus.SUCCESS);
        expect(r.session!.toBytes()).toEqual(x.toBytes());
        expect(r.session!.getTicketAppData()).toEqual(x.getTicketAppData());
      }),
      fcRuns(100),
    );
  });

  it('any edit of a real ticket (flips, cuts, insertions, overwrites) is NO_DECRYPT unless it changed nothing', () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), data: bytes(1, 40) }),
      fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), data: bytes(1, 40) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let t = good.slice();
        for (const e of edits) {
          const at = t.length === 0 ? 0 : e.at % t.length;
          if (e.kind === 'flip' && t.length > 0) t[at]! ^= e.mask;
          else if (e.kind === 'cut') t = Uint8Array.from([...t.subarray(0, at), ...t.subarray(at + e.n)]);
          else if (e.kind === 'insert') t = Uint8Array.from([...t.subarray(0, at), ...e.data, ...t.subarray(at)]);
          else if (e.kind === 'overwrite') t.set(e.data.subarray(0, t.length - at), at);
        }
        const r = codec.open(t);
        if (bytesEqual(t, good)) expect(r.status).toBe(TicketStatus.SUCCESS);
        else if (t.length === 0) expect(r.status).toBe(TicketStatus.EMPTY);
        else {
          expect(r.status).toBe(TicketStatus.NO_DECRYPT);
          expect(r.session).toBeUndefined();
        }
      }),
      fcRuns(300),
    );
  });

  it('any bytes, also behind a real version and key name, are NO_DECRYPT or EMPTY and never throw', () => {
    const header = good.subarray(0, 17);
    fc.assert(
      fc.property(bytes(0, 400), fc.integer({ min: 0, max: 2 }), (b, prefix) => {
        const t = prefix === 0 ? b : prefix === 1 ? Uint8Array.from([TICKET_FORMAT_VERSION, ...b]) : Uint8Array.from([...header, ...b]);
        const r = codec.open(t);
        expect(r.status).toBe(t.length === 0 ? TicketStatus.EMPTY : TicketStatus.NO_DECRYPT);
      }),
      fcRuns(300),
    );
  });
});
