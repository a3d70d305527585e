/**
 * The decrypt callback (SSL_CTX_set_session_ticket_cb) at TLS 1.3: every
 * status the codec can answer (NO_DECRYPT, SUCCESS, SUCCESS_RENEW; EMPTY
 * cannot occur) × every return value, as OpenSSL 3 behaves
 * (tls_parse_ctos_psk clears ticket_expected before the identities;
 * tls_decrypt_ticket sets it again for NO_DECRYPT, SUCCESS_RENEW, and for
 * IGNORE_RENEW / USE_RENEW; sslapitest's test_ticket_callbacks): IGNORE and
 * USE send no ticket, also after a full handshake; IGNORE_RENEW sends
 * numTickets after a full handshake, USE_RENEW one after a resumption.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/common/errors.js';
import { TicketReturn, type TicketDecryptInfo } from '../../src/handshake/config.js';
import { makeExtension } from '../../src/messages/extensions.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ClientHello } from '../../src/messages/hello.js';
import { PreSharedKeyClientExt } from '../../src/messages/index.js';
import { Session } from '../../src/session/session.js';
import { RotatingTicketCodec, TicketStatus } from '../../src/session/ticket-codec.js';
import type { TlsContext } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { expectFatal12, plainRecord } from '../tls12/support12.js';
import { clientCtx, connect, dec, enc, serverCtx, setup } from './support13.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const R = TicketReturn;
const S = TicketStatus;
const RETURNS = ['ABORT', 'IGNORE', 'IGNORE_RENEW', 'USE', 'USE_RENEW'] as const;
const STATUSES = ['NO_DECRYPT', 'SUCCESS', 'SUCCESS_RENEW'] as const;

const generate = (s: Session): boolean => {
  s.setTicketAppData(enc('user=42'));
  return true;
};

/** A server, a ticket offered to it that opens with `status`, and the key name that ticket names. */
function ticketWith(status: (typeof STATUSES)[number]): { sctx: TlsContext; session: Session; keyName: Uint8Array } {
  const codec = new RotatingTicketCodec();
  const sctx = serverCtx(chain, { ticketCodec: codec });
  sctx.setSessionTicketCallbacks({ generate });
  if (status === 'NO_DECRYPT') {
    const other = new RotatingTicketCodec();
    const otherCtx = serverCtx(chain, { ticketCodec: other });
    const session = connect(otherCtx, clientCtx(chain)).sessions[0]!;
    return { sctx, session, keyName: other.keys()[0]!.name };
  }
  const session = connect(sctx, clientCtx(chain)).sessions[0]!;
  const keyName = codec.keys()[0]!.name;
  if (status === 'SUCCESS_RENEW') codec.rotate();
  return { sctx, session, keyName };
}

/** What OpenSSL 3 does at TLS 1.3 for this status and return value. */
function expected(status: (typeof STATUSES)[number], ret: (typeof RETURNS)[number]): 'abort' | { resumed: boolean; tickets: number } {
  if (ret === 'ABORT') return 'abort';
  if (ret === 'USE' || ret === 'USE_RENEW') return status === 'NO_DECRYPT' ? 'abort' : { resumed: true, tickets: ret === 'USE' ? 0 : 1 };
  return { resumed: false, tickets: ret === 'IGNORE' ? 0 : 2 };
}

describe('TLS 1.3 decrypt callback: status × return value', () => {
  for (const status of STATUSES) {
    for (const ret of RETURNS) {
      const want = expected(status, ret);
      const outcome = want === 'abort' ? 'internal_error on both ends' : `${want.resumed ? 'resumed' : 'full handshake'}, ${want.tickets} ticket(s) after`;
      it(`${status} + ${ret}: ${outcome}${ret === 'IGNORE' ? ' (OpenSSL 1.3: IGNORE sends no ticket even after a full handshake, unlike IGNORE_RENEW)' : ''}`, () => {
        const { sctx, session, keyName } = ticketWith(status);
        const seen: TicketDecryptInfo[] = [];
        sctx.setSessionTicketCallbacks({ generate, decrypt: (info) => (seen.push(info), R[ret]) });
        if (want === 'abort') {
          const r = setup(sctx, clientCtx(chain), { session });
          r.client.doHandshake();
          const hello = r.client.takeOutgoing()!;
          expectFatal12(r.server, () => r.server.receive(hello), 'ERR_TLS_INTERNAL', AlertDescription.internal_error, { conn: r.client });
          expect(r.issued).toHaveLength(0);
        } else {
          const r = connect(sctx, clientCtx(chain), session);
          expect([r.client.isSessionReused, r.server.isSessionReused]).toEqual([want.resumed, want.resumed]);
          expect(r.issued).toHaveLength(want.tickets);
          expect(r.sessions).toHaveLength(want.tickets);
          if (want.resumed) expect(dec(r.server.session?.getTicketAppData())).toBe('user=42');
        }
        expect(seen).toHaveLength(1);
        expect(seen[0]!.status).toBe(S[status]);
        expect(seen[0]!.keyName).toEqual(keyName);
        if (status === 'NO_DECRYPT') {
          expect(seen[0]!.session).toBeUndefined();
        } else {
          expect(seen[0]!.session?.secret).toEqual(session.secret);
          expect(dec(seen[0]!.session!.getTicketAppData())).toBe('user=42');
        }
      });
    }
  }
});

describe('TLS 1.3 defaults without a decrypt callback', () => {
  it('SUCCESS and SUCCESS_RENEW resume with one ticket after ("In TLSv1.3 the default behaviour is to always issue a new ticket on resumption"); NO_DECRYPT is a full handshake with numTickets', () => {
    for (const status of STATUSES) {
      const { sctx, session } = ticketWith(status);
      const r = connect(sctx, clientCtx(chain), session);
      expect(r.server.isSessionReused).toBe(status !== 'NO_DECRYPT');
      expect(r.sessions).toHaveLength(status === 'NO_DECRYPT' ? 2 : 1);
    }
  });
});

describe('EMPTY cannot occur in TLS 1.3', () => {
  it('the callback never sees EMPTY: a full handshake offers no ticket at all (no pre_shared_key), so it is not called', () => {
    const sctx = serverCtx(chain);
    const seen: number[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i.status), R.IGNORE_RENEW) });
    const r = connect(sctx, clientCtx(chain));
    expect(r.hellos[0]!.extensions.some((e) => e.type === PreSharedKeyClientExt.type)).toBe(false);
    expect(seen).toEqual([]);
  });

  it('a client cannot offer an empty ticket: a TLS 1.3 Session with no ticket is not offered', () => {
    const sctx = serverCtx(chain);
    const session = connect(sctx, clientCtx(chain)).sessions[0]!;
    const seen: number[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i.status), R.IGNORE_RENEW) });
    const r = connect(sctx, clientCtx(chain), new Session({ ...session, ticket: new Uint8Array(0) }));
    expect(r.hellos[0]!.extensions.some((e) => e.type === PreSharedKeyClientExt.type)).toBe(false);
    expect(r.server.isSessionReused).toBe(false);
    expect(seen).toEqual([]);
  });

  it('a hand-made ClientHello with an empty identity ("In TLSv1.3 it is not valid for a client to send an empty ticket"): decode_error, the callback is not called', () => {
    const sctx = serverCtx(chain);
    const session = connect(sctx, clientCtx(chain)).sessions[0]!;
    const seen: number[] = [];
    sctx.setSessionTicketCallbacks({ decrypt: (i) => (seen.push(i.status), R.IGNORE_RENEW) });
    const r = setup(sctx, clientCtx(chain), { session });
    r.client.doHandshake();
    const flight = r.client.takeOutgoing()!;
    const raw = flight.subarray(5, 5 + ((flight[3]! << 8) | flight[4]!));
    const ch = ClientHello.decode(raw.subarray(4));
    // The codec refuses to write an empty identity: identities = [u16 6][u16 0 (identity)][u32 age], then the binders.
    const ok = makeExtension(PreSharedKeyClientExt, { identities: [{ identity: new Uint8Array(1), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(32)] });
    const data = ok.data.slice();
    const empty = Uint8Array.of(0, 6, 0, 0, 0, 0, 0, 0, ...data.subarray(9));
    const bad = new ClientHello(ch.legacyVersion, ch.random, ch.legacySessionId, ch.cipherSuites, ch.compressionMethods, [...ch.extensions.slice(0, -1), { type: ok.type, data: empty }]);
    const err = expectFatal12(r.server, () => r.server.receive(plainRecord(22, encodeHandshake(bad))), 'ERR_TLS_DECODE', AlertDescription.decode_error, { conn: r.client });
    expect(err.message).toMatch(/identit/i);
    expect(seen).toEqual([]);
  });
});
