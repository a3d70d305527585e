/**
 * TLS 1.3 tickets across key rotation, tickets that do not open, and ticket
 * app data from one connection to the next.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TicketReturn, type TicketDecryptInfo } from '../../src/handshake/config.js';
import { Session } from '../../src/session/session.js';
import { RotatingTicketCodec, TicketStatus, type TicketCodec, type TicketOpenResult } from '../../src/session/ticket-codec.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { clientCtx, connect, dec, enc, serverCtx } from './support13.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const recording = (seen: TicketDecryptInfo[]) => (info: TicketDecryptInfo) => {
  seen.push(info);
  return info.session ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW;
};

describe('key rotation at TLS 1.3', () => {
  it('a ticket sealed under key 1, after rotating to key 2, opens SUCCESS_RENEW: resumed, and renewed by one ticket under key 2', () => {
    const codec = new RotatingTicketCodec();
    const sctx = serverCtx(chain, { ticketCodec: codec });
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recording(seen) });
    const session = connect(sctx, clientCtx(chain)).sessions[0]!;
    const key1 = codec.keys()[0]!.name;
    codec.rotate();
    const key2 = codec.keys()[0]!.name;
    const r = connect(sctx, clientCtx(chain), session);
    expect(seen.map((i) => i.status)).toEqual([TicketStatus.SUCCESS_RENEW]);
    expect(seen[0]!.keyName).toEqual(key1);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([true, true]);
    expect(r.sessions).toHaveLength(1);
    const renewed = codec.open(r.sessions[0]!.ticket);
    expect(renewed.status).toBe(TicketStatus.SUCCESS);
    expect(renewed.keyName).toEqual(key2);
    expect(connect(sctx, clientCtx(chain), r.sessions[0]!).server.isSessionReused).toBe(true);
  });

  it('a ticket under a key past its lifetime (retired, then keyLifetimeMs) is NO_DECRYPT: a full handshake and numTickets new ones', () => {
    let now = Date.now();
    const codec = new RotatingTicketCodec({ now: () => now, keyLifetimeMs: 60_000 });
    const sctx = serverCtx(chain, { ticketCodec: codec });
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recording(seen) });
    const session = connect(sctx, clientCtx(chain)).sessions[0]!;
    codec.rotate();
    now += 60_000;
    const r = connect(sctx, clientCtx(chain), session);
    expect(seen.map((i) => i.status)).toEqual([TicketStatus.NO_DECRYPT]);
    expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([false, false]);
    expect(r.sessions).toHaveLength(2);
  });
});

describe('tickets that do not open: NO_DECRYPT, and the handshake completes in full', () => {
  /** A codec of another kind: its tickets are a counter, nothing more. */
  class CounterCodec implements TicketCodec {
    private readonly held = new Map<number, Session>();
    seal(session: Session): Uint8Array {
      this.held.set(this.held.size, session);
      return Uint8Array.of(0xee, this.held.size - 1);
    }
    open(ticket: Uint8Array): TicketOpenResult {
      const s = ticket[0] === 0xee ? this.held.get(ticket[1]!) : undefined;
      return s ? { status: TicketStatus.SUCCESS, session: s } : { status: TicketStatus.NO_DECRYPT };
    }
  }

  it('random bytes, a truncated ticket, a bit-flipped one (each byte position class), one of another server, one of another codec kind', () => {
    const sctx = serverCtx(chain);
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recording(seen) });
    const session = connect(sctx, clientCtx(chain)).sessions[0]!;
    const t = session.ticket;
    const flip = (at: number): Uint8Array => t.map((b, i) => (i === at ? b ^ 0x80 : b));
    const foreign = connect(serverCtx(chain), clientCtx(chain)).sessions[0]!.ticket;
    const otherKind = connect(serverCtx(chain, { ticketCodec: new CounterCodec() }), clientCtx(chain)).sessions[0]!.ticket;
    const garbage: [string, Uint8Array][] = [
      ['random', Uint8Array.from({ length: 180 }, (_, i) => (i * 73 + 11) & 0xff)],
      ['random with our version byte', Uint8Array.from({ length: t.length }, (_, i) => (i === 0 ? 1 : (i * 31) & 0xff))],
      ['one byte', Uint8Array.of(1)],
      ['truncated by one', t.subarray(0, t.length - 1)],
      ['truncated to the header', t.subarray(0, 29)],
      ['version flipped', flip(0)],
      ['key name flipped', flip(5)],
      ['nonce flipped', flip(20)],
      ['ciphertext flipped', flip(40)],
      ['tag flipped', flip(t.length - 1)],
      ['another server', foreign],
      ["another codec's", otherKind],
    ];
    for (const [name, bytes] of garbage) {
      const before = seen.length;
      const r = connect(sctx, clientCtx(chain), new Session({ ...session, ticket: bytes }));
      expect(seen.slice(before).map((i) => i.status), name).toEqual([TicketStatus.NO_DECRYPT]);
      expect(seen.at(-1)!.session, name).toBeUndefined();
      expect([r.client.isSessionReused, r.server.isSessionReused], name).toEqual([false, false]);
      expect(r.sessions, name).toHaveLength(2);
    }
  });
});

describe('ticket app data at TLS 1.3', () => {
  it('set in generate, read in decrypt and from the resumed connection\'s session, and carried into the renewed ticket', () => {
    const sctx = serverCtx(chain);
    const seen: TicketDecryptInfo[] = [];
    let n = 0;
    sctx.setSessionTicketCallbacks({
      generate: (s) => {
        if (s.getTicketAppData() === null) s.setTicketAppData(enc(`gen-${n++}`));
        return true;
      },
      decrypt: recording(seen),
    });
    const first = connect(sctx, clientCtx(chain));
    expect(dec(first.server.session!.getTicketAppData())).toBe('gen-0');
    expect(first.sessions[0]!.getTicketAppData()).toBeNull(); // only the server sees it
    const r = connect(sctx, clientCtx(chain), first.sessions[1]!);
    expect(r.server.isSessionReused).toBe(true);
    expect(dec(seen[0]!.session!.getTicketAppData())).toBe('gen-0');
    expect(dec(r.server.session!.getTicketAppData())).toBe('gen-0');
    expect(dec(sctx.ticketCodec!.open(r.sessions[0]!.ticket).session!.getTicketAppData())).toBe('gen-0');
  });

  it("set on the server's connection.session after the handshake, before newSessionTicket(): that ticket carries it; the earlier ones do not", () => {
    const sctx = serverCtx(chain);
    const seen: TicketDecryptInfo[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: recording(seen) });
    const first = connect(sctx, clientCtx(chain));
    expect(first.server.session!.getTicketAppData()).toBeNull();
    first.server.session!.setTicketAppData(enc('cart=7'));
    first.server.newSessionTicket();
    first.server.write(enc('more'));
    first.pump();
    expect(dec(first.client.read())).toBe('more');
    expect(first.sessions).toHaveLength(3);
    const late = connect(sctx, clientCtx(chain), first.sessions[2]!);
    expect(dec(seen[0]!.session!.getTicketAppData())).toBe('cart=7');
    expect(dec(late.server.session!.getTicketAppData())).toBe('cart=7');
    connect(sctx, clientCtx(chain), first.sessions[0]!);
    expect(seen[1]!.session!.getTicketAppData()).toBeNull();
  });
});
