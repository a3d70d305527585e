/**
 * Our TLS 1.3 server's tickets: issued after the handshake (SSL_set_num_tickets),
 * resumed by our client, the ticket callbacks and app data (SSL_CTX_set_session_ticket_cb).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import { TicketReturn, type TicketDecryptInfo } from '../../src/handshake/config.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import type { Session } from '../../src/session/session.js';
import { TicketStatus } from '../../src/session/ticket-codec.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, drive, handshake, serverCert, verifierFor } from '../helpers/pair.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : '');

function connect(server: TlsContext, session?: Session): { client: Connection; server: Connection; sessions: Session[]; issued: Session[] } {
  const client = new Connection(new TlsContext({ verifier: verifierFor(chain), maxVersion: ProtocolVersion.TLSv1_3, minVersion: ProtocolVersion.TLSv1_3 }), 'client', { serverName: 'localhost', ...(session ? { session } : {}) });
  const srv = new Connection(server, 'server');
  const sessions: Session[] = [];
  const issued: Session[] = [];
  client.on('session', (s) => sessions.push(s));
  srv.on('newSession', (s) => issued.push(s));
  handshake({ client, server: srv });
  drive(client, srv);
  return { client, server: srv, sessions, issued };
}

describe('TLS 1.3 server tickets', () => {
  it('a full handshake sends 2 tickets by default; each resumes; after a resumption exactly one', () => {
    const ctx = new TlsContext({ certificate: serverCert(chain) });
    const first = connect(ctx);
    expect(first.issued).toHaveLength(2);
    expect(first.sessions).toHaveLength(2);
    for (const s of first.sessions) {
      const again = connect(ctx, s);
      expect(again.client.isSessionReused).toBe(true);
      expect(again.server.isSessionReused).toBe(true);
      expect(again.sessions).toHaveLength(1);
      again.client.write(enc('ping'));
      drive(again.client, again.server);
      expect(dec(again.server.read())).toBe('ping');
    }
  });

  it('setNumTickets(0 / 5) on the context and on the connection', () => {
    const ctx = new TlsContext({ certificate: serverCert(chain), numTickets: 0 });
    expect(connect(ctx).sessions).toHaveLength(0);
    ctx.setNumTickets(5);
    expect(connect(ctx).sessions).toHaveLength(5);
    expect(() => ctx.setNumTickets(-1)).toThrow(RangeError);
    expect(() => ctx.setNumTickets(1.5)).toThrow(RangeError);
  });

  it('app data set in generate is read in decrypt and from the resumed connection session', () => {
    const ctx = new TlsContext({ certificate: serverCert(chain) });
    const seen: TicketDecryptInfo[] = [];
    ctx.setSessionTicketCallbacks({
      generate: (s) => {
        s.setTicketAppData(enc('user=42'));
        return true;
      },
      decrypt: (info) => {
        seen.push(info);
        return info.status === TicketStatus.SUCCESS || info.status === TicketStatus.SUCCESS_RENEW ? TicketReturn.USE : TicketReturn.IGNORE_RENEW;
      },
    });
    const first = connect(ctx);
    const again = connect(ctx, first.sessions[0]);
    expect(again.server.isSessionReused).toBe(true);
    expect(seen).toHaveLength(1);
    expect(dec(seen[0]!.session!.getTicketAppData())).toBe('user=42');
    expect(dec(again.server.session!.getTicketAppData())).toBe('user=42');
    // USE (not USE_RENEW): no ticket after this resumption.
    expect(again.sessions).toHaveLength(0);
  });

  it('a garbage ticket is NO_DECRYPT and the handshake completes in full', () => {
    const ctx = new TlsContext({ certificate: serverCert(chain) });
    const other = new TlsContext({ certificate: serverCert(chain) });
    const first = connect(other);
    const statuses: number[] = [];
    ctx.setSessionTicketCallbacks({ decrypt: (i) => (statuses.push(i.status), TicketReturn.IGNORE_RENEW) });
    const again = connect(ctx, first.sessions[0]);
    expect(again.server.isSessionReused).toBe(false);
    expect(statuses).toEqual([TicketStatus.NO_DECRYPT]);
    expect(again.sessions).toHaveLength(2);
  });

  it('newSessionTicket() queues tickets sent with the next write, before its data', () => {
    const ctx = new TlsContext({ certificate: serverCert(chain), numTickets: 0 });
    const c = connect(ctx);
    expect(c.server.newSessionTicket()).toBe(true);
    expect(c.server.newSessionTicket()).toBe(true);
    c.server.read();
    expect(c.server.takeOutgoing()).toBeNull();
    c.server.write(enc('data'));
    drive(c.client, c.server);
    expect(c.sessions).toHaveLength(2);
    expect(c.issued).toHaveLength(2);
    expect(dec(c.client.read())).toBe('data');
    expect(() => c.client.newSessionTicket()).toThrow(/servers only/);
  });
});
