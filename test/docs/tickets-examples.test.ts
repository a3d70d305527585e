/**
 * Every code example of docs/tickets.md, run against an in-memory Connection
 * pair. The first test checks that each ```ts block of the page appears here
 * line for line (import lines aside: the page imports from 'puretls'), so
 * the page cannot drift from code that compiles and runs.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AlertDescription,
  Connection,
  HandshakeType,
  ProtocolVersion,
  RotatingTicketCodec,
  Session,
  TicketReturn,
  TicketStatus,
  TlsContext,
  type CertifiedKey,
  type CertificateVerifier,
  type TicketCodec,
  type TicketDecryptInfo,
  type TicketKey,
  type TicketOpenResult,
} from '../../src/index.js';
import { certifiedKey, chainFor, serverCert, verifierFor } from '../helpers/pair.js';

let certificate: CertifiedKey;
let clientCertificate: CertifiedKey;
let verifier: CertificateVerifier;
beforeAll(async () => {
  const chain = await chainFor('p256');
  certificate = serverCert(chain);
  clientCertificate = certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]);
  verifier = verifierFor(chain);
});

const dec = (b: Uint8Array | null): string => (b ? new TextDecoder().decode(b) : '');

// ---- docs/tickets.md, "A pair in memory" -------------------------------------

/** Move bytes between two Connections until neither has anything to send (your transport stands here). */
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

// ---- docs/tickets.md, "Ticket app data" ---------------------------------------

const POLICY = 3; // bump it to refuse every ticket issued before
interface TicketData {
  policy: number;
  user: string | null;
}
const readData = (s: Session | undefined): TicketData | null => {
  const raw = s?.getTicketAppData();
  return raw ? (JSON.parse(new TextDecoder().decode(raw)) as TicketData) : null;
};
const writeData = (s: Session, d: TicketData): void => {
  s.setTicketAppData(new TextEncoder().encode(JSON.stringify(d)));
};

function appDataServerContext(): TlsContext {
  const serverCtx = new TlsContext({ certificate });
  serverCtx.setSessionTicketCallbacks({
    // Before each ticket is sealed; `session` is the connection's (server.session).
    generate: (session) => {
      writeData(session, { policy: POLICY, user: readData(session)?.user ?? null });
      return true; // false: the handshake ends with internal_error
    },
    // After an offered ticket was opened, or failed to. `session` is not the connection's yet.
    decrypt: ({ status, session }) => {
      if (status !== TicketStatus.SUCCESS && status !== TicketStatus.SUCCESS_RENEW) return TicketReturn.IGNORE_RENEW;
      if (readData(session)?.policy !== POLICY) return TicketReturn.IGNORE_RENEW; // a full handshake, new tickets
      return TicketReturn.USE_RENEW; // resume, and send one new ticket
    },
  });
  return serverCtx;
}

describe('docs/tickets.md', () => {
  it("every ```ts block of the page is code of this file", () => {
    const norm = (text: string): string[] =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('import '));
    const page = readFileSync(new URL('../../docs/tickets.md', import.meta.url), 'utf8');
    const here = norm(readFileSync(new URL(import.meta.url), 'utf8')).join('\n');
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const block of blocks) expect(here, block).toContain(norm(block).join('\n'));
  });

  it('app data: set at login, sealed by newSessionTicket(), read by decrypt, on the resumed server session', () => {
    const serverCtx = appDataServerContext();
    const clientCtx = new TlsContext({ verifier });
    const seen: TicketDecryptInfo[] = [];
    const decrypt = serverCtx.sessionTicketCallbacks.decrypt!;
    serverCtx.setSessionTicketCallbacks({ ...serverCtx.sessionTicketCallbacks, decrypt: (info) => (seen.push(info), decrypt(info)) });

    // ---- docs/tickets.md, "Ticket app data": the first connection
    const client = new Connection(clientCtx, 'client', { serverName: 'localhost' });
    const server = new Connection(serverCtx, 'server');
    const stored: Uint8Array[] = []; // the client's session store: bytes hold a secret
    client.on('session', (s) => stored.push(s.toBytes()));
    client.doHandshake();
    pump(client, server); // the handshake, then 2 tickets (numTickets) with user: null

    // The user logs in at the application layer: one more ticket, that remembers them.
    writeData(server.session!, { policy: POLICY, user: 'alice' });
    server.newSessionTicket(); // pending: nothing is sent yet
    server.write(new TextEncoder().encode('welcome, alice')); // the NewSessionTicket, then the data
    pump(client, server);
    // ---- end

    expect(stored).toHaveLength(3); // 2 after the handshake, 1 with the write
    expect(dec(client.read())).toBe('welcome, alice');
    expect(client.session!.getTicketAppData()).toBeNull(); // the client never sees app data: it is inside the ticket

    // ---- docs/tickets.md, "Ticket app data": resuming
    const session = Session.fromBytes(stored[2]!);
    const client2 = new Connection(clientCtx, 'client', { serverName: 'localhost', session });
    const server2 = new Connection(serverCtx, 'server');
    client2.doHandshake();
    pump(client2, server2);
    client2.isSessionReused; // true
    readData(server2.session)?.user; // 'alice'
    // ---- end

    expect(client2.isSessionReused && server2.isSessionReused).toBe(true);
    expect(readData(server2.session)).toEqual({ policy: POLICY, user: 'alice' });
    expect(seen.map((i) => i.status)).toEqual([TicketStatus.SUCCESS]);
    expect(readData(seen[0]!.session)?.user).toBe('alice');

    // An earlier ticket resumes as nobody.
    const client3 = new Connection(clientCtx, 'client', { serverName: 'localhost', session: Session.fromBytes(stored[0]!) });
    const server3 = new Connection(serverCtx, 'server');
    let renewed = 0;
    client3.on('session', () => renewed++);
    client3.doHandshake();
    pump(client3, server3);
    expect(server3.isSessionReused).toBe(true);
    expect(readData(server3.session)).toEqual({ policy: POLICY, user: null });
    expect(renewed).toBe(1); // USE_RENEW: one ticket after a resumption
  });

  it('app data: decrypt refuses a ticket of another policy (a full handshake, numTickets new tickets)', () => {
    const serverCtx = appDataServerContext();
    // An older deployment with the same codec stamped policy 2.
    const old = new TlsContext({ certificate, ticketCodec: serverCtx.ticketCodec! });
    old.setSessionTicketCallbacks({ generate: (s) => (writeData(s, { policy: 2, user: 'bob' }), true) });
    const clientCtx = new TlsContext({ verifier });
    const a = new Connection(clientCtx, 'client', { serverName: 'localhost' });
    const sessions: Session[] = [];
    a.on('session', (s) => sessions.push(s));
    a.doHandshake();
    pump(a, new Connection(old, 'server'));
    const b = new Connection(clientCtx, 'client', { serverName: 'localhost', session: sessions[0]! });
    const server = new Connection(serverCtx, 'server');
    let tickets = 0;
    b.on('session', () => tickets++);
    b.doHandshake();
    pump(b, server);
    expect(b.isSessionReused).toBe(false);
    expect(tickets).toBe(2);
    expect(readData(server.session)).toEqual({ policy: POLICY, user: null });
  });
});

// ---- docs/tickets.md, "A fleet without custom code" -----------------------------

function sharedRing(): { serverA: TlsContext; serverB: TlsContext; rotateFleet: () => void } {
  // The key job (one place): makes and rotates the keys.
  const job = new RotatingTicketCodec({ rotateAfterMs: Infinity });
  // Each server: the job's ring, as it is; it never rotates by itself.
  const codecA = new RotatingTicketCodec({ rotateAfterMs: Infinity, keys: job.keys() });
  const codecB = new RotatingTicketCodec({ rotateAfterMs: Infinity, keys: job.keys() });
  const serverA = new TlsContext({ certificate, ticketCodec: codecA });
  const serverB = new TlsContext({ certificate, ticketCodec: codecB });
  // Every 12 hours: a new sealing key; the old ones keep opening for keyLifetimeMs.
  const rotateFleet = (): void => {
    job.rotate();
    for (const codec of [codecA, codecB]) codec.setKeys(job.keys());
  };
  return { serverA, serverB, rotateFleet };
}

// ---- docs/tickets.md, "A fleet with a codec of your own" ------------------------

/** What each server holds of the shared key store: a snapshot, refreshed in the background. */
interface FleetKeys {
  /** The key that seals. */
  readonly current: TicketKey;
  /** The keys that open: the current one and those retired less than a ticket lifetime ago. */
  readonly accepted: readonly TicketKey[];
}

/** version (1) = 0x01 || key name (16) || IV (12) || AES-256-GCM(session.toBytes()) || tag (16); AAD = the first 17 bytes. */
class FleetTicketCodec implements TicketCodec {
  constructor(private readonly keys: () => FleetKeys) {}

  seal(session: Session): Uint8Array {
    const { name, key } = this.keys().current;
    const header = Buffer.concat([Buffer.from([1]), name]);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(header);
    const body = Buffer.concat([cipher.update(session.toBytes()), cipher.final()]);
    return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
  }

  open(ticket: Uint8Array): TicketOpenResult {
    if (ticket.length === 0) return { status: TicketStatus.EMPTY };
    if (ticket.length < 1 + 16 + 12 + 16 + 1 || ticket[0] !== 1) return { status: TicketStatus.NO_DECRYPT };
    const keyName = ticket.slice(1, 17);
    const { current, accepted } = this.keys();
    const k = accepted.find((a) => Buffer.compare(a.name, keyName) === 0);
    if (!k) return { status: TicketStatus.NO_DECRYPT, keyName };
    try {
      const decipher = createDecipheriv('aes-256-gcm', k.key, ticket.subarray(17, 29), { authTagLength: 16 });
      decipher.setAAD(ticket.subarray(0, 17)).setAuthTag(ticket.subarray(ticket.length - 16));
      const session = Session.fromBytes(Buffer.concat([decipher.update(ticket.subarray(29, ticket.length - 16)), decipher.final()]));
      const status = Buffer.compare(current.name, keyName) === 0 ? TicketStatus.SUCCESS : TicketStatus.SUCCESS_RENEW;
      return { status, session, keyName };
    } catch {
      return { status: TicketStatus.NO_DECRYPT, keyName }; // a wrong tag, or not a session: open() never throws
    }
  }
}

function fleet(): { serverA: TlsContext; serverB: TlsContext; publish: () => void; promote: () => void; retire: () => void } {
  // The shared store (Redis, a secrets manager, ...) seen as one snapshot per server.
  const newKey = (): TicketKey => ({ name: randomBytes(16), key: randomBytes(32), createdMs: Date.now() });
  const first = newKey();
  let snapshot: FleetKeys = { current: first, accepted: [first] };
  const serverA = new TlsContext({ certificate, ticketCodec: new FleetTicketCodec(() => snapshot) });
  const serverB = new TlsContext({ certificate, ticketCodec: new FleetTicketCodec(() => snapshot) });
  // Rotation, in the store. 1: publish a new key; every server opens with it after its next refresh.
  const publish = (): void => {
    snapshot = { current: snapshot.current, accepted: [newKey(), ...snapshot.accepted] };
  };
  // 2: one refresh interval later, seal with it; the old key still opens (SUCCESS_RENEW).
  const promote = (): void => {
    snapshot = { current: snapshot.accepted[0]!, accepted: snapshot.accepted };
  };
  // 3: a ticket lifetime after that, drop the old key: its tickets are NO_DECRYPT.
  const retire = (): void => {
    snapshot = { current: snapshot.current, accepted: [snapshot.current] };
  };
  return { serverA, serverB, publish, promote, retire };
}

/** A connection to `server` offering `session`; its statuses seen by the decrypt callback and the client's new sessions. */
function resume(server: TlsContext, session?: Session, maxVersion: number = ProtocolVersion.TLSv1_3): { reused: boolean; statuses: number[]; sessions: Session[] } {
  const statuses: number[] = [];
  server.setSessionTicketCallbacks({
    decrypt: ({ status }) => {
      statuses.push(status);
      if (status === TicketStatus.SUCCESS) return maxVersion === ProtocolVersion.TLSv1_3 ? TicketReturn.USE_RENEW : TicketReturn.USE;
      return status === TicketStatus.SUCCESS_RENEW ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW; // the defaults
    },
  });
  const client = new Connection(new TlsContext({ verifier, maxVersion }), 'client', { serverName: 'localhost', ...(session ? { session } : {}) });
  const s = new Connection(server, 'server');
  const sessions: Session[] = [];
  client.on('session', (x) => sessions.push(x));
  client.doHandshake();
  pump(client, s);
  expect(client.handshakeComplete && s.handshakeComplete).toBe(true);
  return { reused: client.isSessionReused && s.isSessionReused, statuses, sessions };
}

describe('docs/tickets.md: fleets', () => {
  it('RotatingTicketCodec rings from one key job: A and B resume each other\'s tickets, across a rotation', () => {
    const { serverA, serverB, rotateFleet } = sharedRing();
    const t = resume(serverA).sessions;
    expect(t).toHaveLength(2);
    expect(resume(serverB, t[0]!)).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS] });
    rotateFleet();
    const r = resume(serverA, t[1]!);
    expect(r).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS_RENEW] });
    expect(resume(serverB, r.sessions[0]!)).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS] });
  });

  it('FleetTicketCodec: A and B resume each other\'s TLS 1.3 and TLS 1.2 tickets; a rotated key renews; a retired one is NO_DECRYPT', () => {
    const { serverA, serverB, publish, promote, retire } = fleet();
    const t13 = resume(serverA).sessions;
    expect(t13).toHaveLength(2);
    expect(resume(serverB, t13[0]!)).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS] });

    const t12 = resume(serverB, undefined, ProtocolVersion.TLSv1_2).sessions;
    expect(t12).toHaveLength(1);
    expect(t12[0]!.version).toBe(ProtocolVersion.TLSv1_2);
    const r12 = resume(serverA, t12[0]!, ProtocolVersion.TLSv1_2);
    expect(r12).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS] });
    expect(r12.sessions).toHaveLength(0); // TLS 1.2 with SUCCESS: USE, no new ticket

    publish();
    expect(resume(serverA, t13[1]!)).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS] }); // still sealed by the current key
    promote();
    const renewed = resume(serverB, t13[1]!);
    expect(renewed).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS_RENEW] });
    expect(renewed.sessions).toHaveLength(1);
    retire();
    expect(resume(serverA, renewed.sessions[0]!)).toMatchObject({ reused: true, statuses: [TicketStatus.SUCCESS] });
    const refused = resume(serverA, t13[1]!);
    expect(refused).toMatchObject({ reused: false, statuses: [TicketStatus.NO_DECRYPT] });
    expect(refused.sessions).toHaveLength(2);
    // open() never throws on bytes.
    const codec = serverA.ticketCodec!;
    for (const junk of [new Uint8Array(0), new Uint8Array(1), new Uint8Array(200).fill(1), randomBytes(300)]) {
      expect([TicketStatus.EMPTY, TicketStatus.NO_DECRYPT]).toContain(codec.open(junk).status);
    }
  });
});

describe('docs/tickets.md: the tables', () => {
  /** Full handshake at `server`, then a connection offering its first ticket (or a foreign one) with `ret` decided. */
  function decide(ret: TicketReturn, version: number, foreign = false): { reused: boolean; tickets: number } | 'internal_error' {
    const server = new TlsContext({ certificate });
    const issuer = foreign ? new TlsContext({ certificate }) : server;
    const first = resume(issuer, undefined, version).sessions[0]!;
    server.setSessionTicketCallbacks({ decrypt: () => ret });
    const client = new Connection(new TlsContext({ verifier, maxVersion: version }), 'client', { serverName: 'localhost', session: first });
    const s = new Connection(server, 'server');
    let tickets = 0; // NewSessionTicket messages, TLS 1.3 or 1.2
    client.on('message', (m) => m.direction === 'received' && m.type === HandshakeType.new_session_ticket && tickets++);
    client.doHandshake();
    try {
      pump(client, s);
    } catch {
      expect(s.failure?.alert).toBe(AlertDescription.internal_error);
      return 'internal_error';
    }
    return { reused: client.isSessionReused, tickets };
  }

  it.each([
    [ProtocolVersion.TLSv1_3, TicketReturn.IGNORE, { reused: false, tickets: 0 }],
    [ProtocolVersion.TLSv1_3, TicketReturn.IGNORE_RENEW, { reused: false, tickets: 2 }],
    [ProtocolVersion.TLSv1_3, TicketReturn.USE, { reused: true, tickets: 0 }],
    [ProtocolVersion.TLSv1_3, TicketReturn.USE_RENEW, { reused: true, tickets: 1 }],
    [ProtocolVersion.TLSv1_3, TicketReturn.ABORT, 'internal_error'],
    [ProtocolVersion.TLSv1_2, TicketReturn.IGNORE, { reused: false, tickets: 0 }],
    [ProtocolVersion.TLSv1_2, TicketReturn.IGNORE_RENEW, { reused: false, tickets: 1 }],
    [ProtocolVersion.TLSv1_2, TicketReturn.USE, { reused: true, tickets: 0 }],
    [ProtocolVersion.TLSv1_2, TicketReturn.USE_RENEW, { reused: true, tickets: 1 }],
    [ProtocolVersion.TLSv1_2, TicketReturn.ABORT, 'internal_error'],
  ] as const)('version %i, a good ticket, return %i: %o', (version, ret, expected) => {
    expect(decide(ret, version)).toEqual(expected);
  });

  it.each([ProtocolVersion.TLSv1_3, ProtocolVersion.TLSv1_2])('version %i: USE for a ticket that did not decrypt is internal_error', (version) => {
    expect(decide(TicketReturn.USE, version, true)).toBe('internal_error');
    expect(decide(TicketReturn.IGNORE_RENEW, version, true)).toMatchObject({ reused: false });
  });
});

describe('docs/tickets.md: post-handshake client authentication', () => {
  it('verifyClientPostHandshake(): the client answers, the event names its chain, the new ticket carries it', () => {
    // ---- docs/tickets.md, "Post-handshake client authentication"
    const server = new Connection(new TlsContext({ certificate, verifier }), 'server'); // verifier: for client certificates
    const client = new Connection(new TlsContext({ verifier, certificate: clientCertificate, postHandshakeAuth: true }), 'client', { serverName: 'localhost' });
    client.doHandshake();
    pump(client, server); // no client certificate yet; 2 tickets without one

    let clientChain: readonly Uint8Array[] = [];
    server.on('postHandshakeAuth', ({ peerCertificates }) => (clientChain = peerCertificates));
    server.setNumTickets(1); // tickets after the client's certificate
    server.verifyClientPostHandshake(); // pending: nothing is sent yet
    server.write(new TextEncoder().encode('who are you?')); // the CertificateRequest, then the data
    pump(client, server); // the client answers; then 1 ticket that carries its certificate
    // ---- end

    expect(clientChain).toEqual(clientCertificate.chain);
    expect(server.peerCertificates).toEqual(clientCertificate.chain);
    expect(dec(client.read())).toBe('who are you?');
    const last = client.session!;
    const again = new Connection(new TlsContext({ verifier, certificate: clientCertificate, postHandshakeAuth: true }), 'client', { serverName: 'localhost', session: last });
    const server2 = new Connection(server.config, 'server');
    again.doHandshake();
    pump(again, server2);
    expect(server2.isSessionReused).toBe(true);
    expect(server2.peerCertificates).toEqual(clientCertificate.chain);
  });
});
