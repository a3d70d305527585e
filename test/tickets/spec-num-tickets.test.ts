/**
 * spec/SSL_set_num_tickets.pod, paragraph by paragraph (each test name quotes
 * it), except the one on SSL_verify_client_post_handshake, tested with
 * post-handshake authentication. Our API: TlsContext.setNumTickets /
 * getNumTickets and the numTickets option, Connection.setNumTickets /
 * getNumTickets / newSessionTicket, the server's 'newSession' event.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { clientCtx, connect, dec, enc, serverCtx, setup } from './support13.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

describe('DESCRIPTION', () => {
  it('"SSL_CTX_set_num_tickets() and SSL_set_num_tickets() ... set the number of TLSv1.3 session tickets that will be sent to the client after a full handshake. Set the desired value (which could be 0)"', () => {
    const sctx = serverCtx(chain, { numTickets: 0 });
    expect(connect(sctx, clientCtx(chain)).sessions).toHaveLength(0);
    sctx.setNumTickets(3);
    expect(connect(sctx, clientCtx(chain)).sessions).toHaveLength(3);
    const r = setup(sctx, clientCtx(chain));
    r.server.setNumTickets(1); // the connection's own count wins over the context's
    r.client.doHandshake();
    r.pump();
    expect(r.sessions).toHaveLength(1);
  });

  it('"Typically these functions should be called before the start of the handshake": set on the connection before it starts, it applies; after the handshake it does not change what was sent', () => {
    const sctx = serverCtx(chain);
    const r = setup(sctx, clientCtx(chain));
    r.server.setNumTickets(4);
    r.client.doHandshake();
    r.pump();
    expect(r.issued).toHaveLength(4);
    r.server.setNumTickets(7);
    expect(r.server.getNumTickets()).toBe(7);
    r.server.write(enc('after'));
    r.pump();
    expect(dec(r.client.read())).toBe('after');
    expect(r.issued).toHaveLength(4);
    // The context's count is read when a connection is made: later changes reach later connections only.
    const early = setup(sctx, clientCtx(chain));
    sctx.setNumTickets(1);
    early.client.doHandshake();
    early.pump();
    expect(early.sessions).toHaveLength(2);
    expect(connect(sctx, clientCtx(chain)).sessions).toHaveLength(1);
  });

  it('"The default number of tickets is 2; the default number of tickets sent following a resumption handshake is 1 but this cannot be changed using these functions" (except that 0 means none, as in OpenSSL\'s state machine)', () => {
    const sctx = serverCtx(chain);
    const first = connect(sctx, clientCtx(chain));
    expect(first.sessions).toHaveLength(2);
    sctx.setNumTickets(5);
    expect(connect(sctx, clientCtx(chain), first.sessions[0]).sessions).toHaveLength(1);
    sctx.setNumTickets(0);
    const none = connect(sctx, clientCtx(chain), first.sessions[1]);
    expect(none.server.isSessionReused).toBe(true);
    expect(none.sessions).toHaveLength(0);
  });

  it('"The number of tickets following a resumption handshake can be reduced to 0 using custom session ticket callbacks"', async () => {
    const { TicketReturn } = await import('../../src/handshake/config.js');
    const sctx = serverCtx(chain);
    const session = connect(sctx, clientCtx(chain)).sessions[0]!;
    sctx.setSessionTicketCallbacks({ decrypt: () => TicketReturn.USE });
    const r = connect(sctx, clientCtx(chain), session);
    expect(r.server.isSessionReused).toBe(true);
    expect(r.sessions).toHaveLength(0);
  });

  it('"SSL_new_session_ticket() is used by a server application to request that a new ticket be sent when it is safe to do so. New tickets are only allowed to be sent in this manner after the initial handshake has completed, and only for TLS 1.3 connections"', () => {
    const sctx = serverCtx(chain, { numTickets: 0 });
    const r = setup(sctx, clientCtx(chain));
    expect(() => r.server.newSessionTicket()).toThrow(/not complete/);
    r.client.doHandshake();
    r.pump();
    expect(r.server.newSessionTicket()).toBe(true);
    r.server.write(enc('x'));
    r.pump();
    expect(r.sessions).toHaveLength(1);
    const tls12 = connect(sctx, clientCtx(chain, { minVersion: ProtocolVersion.TLSv1_2, maxVersion: ProtocolVersion.TLSv1_2 }));
    expect(() => tls12.server.newSessionTicket()).toThrow(/TLS 1.3 only/);
  });

  it('"The ticket generation and transmission are delayed until the server is starting a new write operation, so that it is bundled with other application data being written"', () => {
    const r = connect(serverCtx(chain, { numTickets: 0 }), clientCtx(chain));
    r.server.newSessionTicket();
    r.server.read(); // a read is no write: nothing goes out (doHandshake, like a write, would send it)
    expect(r.server.takeOutgoing()).toBeNull();
    expect(r.issued).toHaveLength(0);
    r.server.write(enc('now'));
    expect(r.issued).toHaveLength(1);
    r.pump();
    expect(r.sessions).toHaveLength(1);
    expect(dec(r.client.read())).toBe('now');
  });

  it('"SSL_new_session_ticket() can be called more than once to request additional tickets be sent; all such requests are queued and written together"', () => {
    const r = connect(serverCtx(chain, { numTickets: 0 }), clientCtx(chain));
    for (let i = 0; i < 3; i++) r.server.newSessionTicket();
    r.server.write(enc('all'));
    const out = r.server.takeOutgoing();
    expect(out).not.toBeNull();
    expect(r.server.takeOutgoing()).toBeNull();
    r.client.receive(out!);
    expect(r.sessions).toHaveLength(3);
  });

  it('"a successful return from SSL_new_session_ticket() indicates only that the request to send a ticket was processed, not that the ticket itself was sent. To be notified ... a new-session callback ... will be invoked as the ticket or tickets are generated": the \'newSession\' event', () => {
    const r = connect(serverCtx(chain, { numTickets: 0 }), clientCtx(chain));
    expect(r.server.newSessionTicket()).toBe(true);
    expect(r.issued).toHaveLength(0);
    r.server.write(enc('go'));
    expect(r.issued).toHaveLength(1);
    r.pump();
    expect(r.sessions[0]!.secret).toEqual(r.issued[0]!.secret);
  });

  it('"SSL_CTX_get_num_tickets() and SSL_get_num_tickets() return the number of tickets set by a previous call ..., or 2 if no such call has been made"', () => {
    const sctx = serverCtx(chain);
    expect(sctx.getNumTickets()).toBe(2);
    const r = setup(sctx, clientCtx(chain));
    expect(r.server.getNumTickets()).toBe(2);
    sctx.setNumTickets(6);
    expect(sctx.getNumTickets()).toBe(6);
    expect(r.server.getNumTickets()).toBe(2);
    r.server.setNumTickets(0);
    expect(r.server.getNumTickets()).toBe(0);
  });
});

describe('RETURN VALUES', () => {
  it('"SSL_CTX_set_num_tickets(), SSL_set_num_tickets(), and SSL_new_session_ticket() return 1 on success or 0 on failure": true, or a RangeError / TlsError (ERR_TLS_INVALID_STATE) thrown instead of 0', () => {
    const sctx = serverCtx(chain);
    expect(sctx.setNumTickets(3)).toBe(true);
    for (const bad of [-1, 1.5, Number.NaN, 0x10000]) expect(() => sctx.setNumTickets(bad)).toThrow(RangeError);
    expect(sctx.getNumTickets()).toBe(3);
    const r = setup(sctx, clientCtx(chain));
    expect(r.server.setNumTickets(0)).toBe(true);
    expect(() => r.server.setNumTickets(-2)).toThrow(RangeError);
    let code: string | undefined;
    try {
      r.client.newSessionTicket();
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe('ERR_TLS_INVALID_STATE');
  });

  it('"SSL_CTX_get_num_tickets() and SSL_get_num_tickets() return the number of tickets that have been previously set"', () => {
    const sctx = serverCtx(chain, { numTickets: 9 });
    expect(sctx.getNumTickets()).toBe(9);
    const r = setup(sctx, clientCtx(chain));
    r.server.setNumTickets(4);
    expect(r.server.getNumTickets()).toBe(4);
  });
});
