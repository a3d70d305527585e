/**
 * The demo's ticket part (docs/tickets.md), in the sans-IO core: a server
 * and a client Connection with bytes moved in memory, since the Node
 * adapter does not expose the ticket callbacks. A full TLS 1.3 handshake
 * whose tickets carry app data set by the generate callback; a resumption
 * whose decrypt callback reads it and whose server session carries it; then
 * newSessionTicket() on the resumed server, sent with its next write.
 */
import { ProtocolVersion } from '../common/constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TicketReturn, type TicketDecryptInfo } from '../handshake/config.js';
import { handshakeName } from '../messages/handshake.js';
import { Session } from '../session/session.js';
import { TicketStatus } from '../session/ticket-codec.js';
import { Connection, type MessageEvent } from '../ssl/connection.js';
import { TlsContext } from '../ssl/context.js';
import { DefaultVerifier } from '../x509/default-verifier.js';
import type { GeneratedCert } from './certgen.js';

export interface TicketsDemoSetup {
  readonly cert: GeneratedCert;
  readonly provider: CryptoProvider;
  readonly say: (line?: string) => void;
  /** The section's number. */
  readonly section: number;
}

/** The user id the generate callback puts in every ticket. */
const APP_DATA = 'user=1001';
const NEXT_WRITE = 'data after newSessionTicket()';

/** Move bytes between two Connections until neither has anything to send. */
function pump(a: Connection, b: Connection): void {
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const out = from.takeOutgoing();
      if (out) {
        to.receive(out);
        moved = true;
      }
    }
  }
}

const nameOf = (table: Readonly<Record<string, number>>, v: number): string => Object.entries(table).find(([, x]) => x === v)?.[0] ?? String(v);
const text = (b: Uint8Array | null | undefined): string => (b ? `"${new TextDecoder().decode(b)}"` : '(none)');

/** Run the ticket section; returns the next section number. */
export function runTicketsDemo(d: TicketsDemoSetup): number {
  const { say, provider } = d;
  const serverCtx = new TlsContext({ provider, certificate: { chain: [d.cert.certDer], key: d.cert.privateKey }, numTickets: 2 });
  const decrypted: { info: TicketDecryptInfo; ret: TicketReturn }[] = [];
  let generated = 0;
  serverCtx.setSessionTicketCallbacks({
    generate: (session) => {
      if (session.getTicketAppData() === null) session.setTicketAppData(new TextEncoder().encode(APP_DATA));
      generated++;
      return true;
    },
    decrypt: (info) => {
      const ok = info.status === TicketStatus.SUCCESS || info.status === TicketStatus.SUCCESS_RENEW;
      const ret = ok && text(info.session?.getTicketAppData()) === `"${APP_DATA}"` ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW;
      decrypted.push({ info, ret });
      return ret;
    },
  });
  const clientCtx = new TlsContext({ provider, verifier: new DefaultVerifier({ ca: [d.cert.certDer] }), minVersion: ProtocolVersion.TLSv1_3 });

  say(`== ${d.section}. TLS 1.3 session tickets with app data (sans-IO core: a server and a client Connection, bytes moved in memory)`);
  // A full handshake: numTickets tickets, each made after the generate callback.
  const client = new Connection(clientCtx, 'client', { serverName: 'localhost' });
  const server = new Connection(serverCtx, 'server');
  const stored: Uint8Array[] = [];
  client.on('session', (s) => stored.push(s.toBytes()));
  client.doHandshake();
  pump(client, server);
  say(`   Full handshake: server getNumTickets() = ${server.getNumTickets()}; its generate callback ran ${generated} times and set app data ${text(server.session?.getTicketAppData())}`);
  say(`   client 'session' events: ${stored.length} tickets, stored with toBytes() (${stored.map((b) => b.length).join(' and ')} bytes; they hold the resumption secret)`);

  // A resumption with the first ticket.
  const client2 = new Connection(clientCtx, 'client', { serverName: 'localhost', session: Session.fromBytes(stored[0]!) });
  const server2 = new Connection(serverCtx, 'server');
  let tickets2 = 0;
  client2.on('session', () => tickets2++);
  const flight: string[] = [];
  client2.on('message', (ev: MessageEvent) => flight.push(`${ev.direction === 'sent' ? '>>>' : '<<<'} ${handshakeName(ev.type)}`));
  client2.doHandshake();
  pump(client2, server2);
  say('   Resumption offering Session.fromBytes(the first ticket):');
  for (const { info, ret } of decrypted) {
    say(`     server decrypt callback: status ${nameOf(TicketStatus, info.status)}, app data ${text(info.session?.getTicketAppData())} -> ${nameOf(TicketReturn, ret)}`);
  }
  say(`     resumed: client ${client2.isSessionReused ? 'yes' : 'no'}, server ${server2.isSessionReused ? 'yes' : 'no'}; the resumed server's session has app data ${text(server2.session?.getTicketAppData())}`);
  say(`     Handshake messages seen by the client: ${flight.join(', ')}`);
  const rets = decrypted.map((x) => nameOf(TicketReturn, x.ret)).join(', ');
  say(`     tickets after the resumption: ${tickets2} (the decrypt callback said ${rets}; USE would send none)`);

  // newSessionTicket(): queued; the next write sends it before the data.
  const queued = server2.newSessionTicket();
  const before = tickets2;
  const onWire = server2.takeOutgoing();
  say(`   server newSessionTicket() -> ${queued} (queued); takeOutgoing() before a write: ${onWire === null ? 'null (nothing sent yet)' : `${onWire.length} bytes`}`);
  if (onWire) client2.receive(onWire);
  server2.write(new TextEncoder().encode(NEXT_WRITE));
  pump(client2, server2);
  const got = client2.read();
  say(`   server -> client: ${text(got)}; the client's tickets on this connection: ${before} -> ${tickets2}`);
  say('');
  return d.section + 1;
}
