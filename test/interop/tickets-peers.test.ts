/**
 * Our server's session tickets seen by clients that are not OpenSSL's
 * command line: node:tls clients ('session' events, one per TLS 1.3 ticket,
 * and the `session` option) and our own Node adapter client, against
 * `puretls s_server` (-num_tickets, -no_ticket, typed n) and against the
 * adapter's createServer. `openssl s_client -msg` / `gnutls-cli --resume`
 * against our server: test/cli/tickets.test.ts; our client resuming
 * `openssl s_server`'s TLS 1.2 tickets: test/interop/openssl12.test.ts.
 *
 * "All tickets have arrived" is read from the data: a line sent by our
 * server after its tickets reaches the client last. Each test stops what it
 * started (peers: installPeerCleanup; sockets and listeners: installSocketCleanup).
 */
import { once } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type TlsSocket } from '../../src/node/index.js';
import { Session } from '../../src/session/session.js';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { installPeerCleanup, type PeerHandle } from '../helpers/peers.js';
import { buildCli, servedLine, settleThrough, startCliServer, type CliBuild } from '../cli/support.js';
import { installSocketCleanup, track, trackServer, within } from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 8_000;
let build: CliBuild;
let cert: CertInfo;
beforeAll(async () => {
  [build, cert] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' })]);
});

/** A client socket (node:tls or ours) with its 'session' Buffers and the text it read. */
interface Client {
  sock: tls.TLSSocket | TlsSocket;
  sessions: Buffer[];
  /** Resolves once the data read so far contains `text`. */
  read(text: string): Promise<void>;
  /** close_notify, then wait for 'close'. */
  close(): Promise<void>;
}

function watch(sock: tls.TLSSocket | TlsSocket, what: string): Client {
  const sessions: Buffer[] = [];
  sock.on('session', (s: Buffer) => sessions.push(s));
  let text = '';
  let failure: Error | undefined;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  sock.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    wake();
  });
  sock.on('error', (e: Error) => {
    failure = e;
    wake();
  });
  const read = (want: string): Promise<void> =>
    within(
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (text.includes(want)) {
            waiters.delete(check);
            resolve();
          } else if (failure) {
            waiters.delete(check);
            reject(failure);
          }
        };
        waiters.add(check);
        check();
      }),
      T,
      () => `${what}: no '${want}' (read so far: ${JSON.stringify(text)}, ${sessions.length} sessions)`,
    );
  const close = async (): Promise<void> => {
    const closed = once(sock, 'close');
    sock.end();
    await within(closed, T, () => `${what}: no 'close'`);
  };
  return { sock, sessions, read, close };
}

/** A node:tls client to 127.0.0.1:port (TLS 1.3 unless said), verifying our certificate; resolves after its handshake. */
async function nodeClient(port: number, options: tls.ConnectionOptions = {}): Promise<Client> {
  const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.certPem, minVersion: 'TLSv1.3', ...options });
  track(sock as net.Socket);
  const c = watch(sock, 'node:tls client');
  await within(once(sock, 'secureConnect'), T, () => 'node:tls client: no secureConnect');
  return c;
}

/** Type a marker line into our s_server; resolves once `client` read it (so every ticket before it has arrived). */
const settle = (srv: PeerHandle, client: Client): Promise<void> => settleThrough(srv, (marker) => client.read(marker));

/** Our s_server's summary line for its next connection (printed before it takes stdin lines for it). */
const served = (srv: PeerHandle, mark = srv.mark()): Promise<string> => servedLine(srv, mark, T);

describe("puretls s_server -num_tickets / -no_ticket: node:tls client 'session' events (one per TLS 1.3 ticket)", () => {
  it.each([
    { args: [] as string[], want: 2, what: 'default → 2 sessions' },
    { args: ['-num_tickets', '0'], want: 0, what: '-num_tickets 0 → 0 sessions' },
    { args: ['-num_tickets', '1'], want: 1, what: '-num_tickets 1 → 1 session' },
    { args: ['-num_tickets', '5'], want: 5, what: '-num_tickets 5 → 5 sessions' },
    { args: ['-no_ticket'], want: 0, what: '-no_ticket → 0 sessions' },
  ])('$what', async ({ args, want }) => {
    const { srv, port } = await startCliServer(build, cert, args);
    const mark = srv.mark();
    const client = await nodeClient(port);
    expect(await served(srv, mark)).toMatch(/^New, TLSv1\.3, /);
    await settle(srv, client);
    expect(client.sessions).toHaveLength(want);
    for (const s of client.sessions) expect(Buffer.isBuffer(s)).toBe(true);
    await client.close();
  });
});

describe('typed n three times, then three resumptions', () => {
  it('node:tls client: 2 + 3 sessions; each of the three from n resumes (isSessionReused), and gets one ticket', async () => {
    const { srv, port } = await startCliServer(build, cert);
    let mark = srv.mark();
    const first = await nodeClient(port);
    await served(srv, mark);
    await settle(srv, first);
    expect(first.sessions).toHaveLength(2);
    srv.write('n\nn\nn\n');
    await srv.waitFor(/^SSL_do_handshake -> 1\nSSL_do_handshake -> 1\nSSL_do_handshake -> 1$/m, T, mark);
    await settle(srv, first);
    expect(first.sessions).toHaveLength(5);
    expect(new Set(first.sessions.map((s) => s.toString('hex'))).size).toBe(5); // five different tickets
    await first.close();

    for (const session of first.sessions.slice(2)) {
      mark = srv.mark();
      const again = await nodeClient(port, { session });
      expect(again.sock.isSessionReused()).toBe(true);
      expect(await served(srv, mark)).toMatch(/^Reused, TLSv1\.3, /);
      await settle(srv, again);
      expect(again.sessions).toHaveLength(1); // one ticket after a resumption
      again.sock.write('resumed\n');
      await srv.waitFor(/^resumed$/m, T, mark);
      await again.close();
    }
    expect(srv.stdout().match(/^(New|Reused), TLSv1\.3/gm)).toEqual(['New, TLSv1.3', 'Reused, TLSv1.3', 'Reused, TLSv1.3', 'Reused, TLSv1.3']);
  });

  it('our Node adapter client (connect): -num_tickets 5 gives 5 sessions; the last resumes', async () => {
    const { srv, port } = await startCliServer(build, cert, ['-num_tickets', '5']);
    const mark = srv.mark();
    const sock = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.certPem, minVersion: 'TLSv1.3' });
    const first = watch(sock, 'our client');
    await within(once(sock, 'secureConnect'), T, () => 'our client: no secureConnect');
    await served(srv, mark);
    await settle(srv, first);
    expect(first.sessions).toHaveLength(5);
    const last = Session.fromBytes(first.sessions[4]!);
    expect(last.ticket.length).toBeGreaterThan(0);
    expect(last.serverName).toBe('localhost');
    await first.close();

    const mark2 = srv.mark();
    const again = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.certPem, session: first.sessions[4]! });
    const second = watch(again, 'our resumed client');
    await within(once(again, 'secureConnect'), T, () => 'our resumed client: no secureConnect');
    expect(again.isSessionReused()).toBe(true);
    expect(await served(srv, mark2)).toMatch(/^Reused, TLSv1\.3, /);
    await settle(srv, second);
    expect(second.sessions).toHaveLength(1);
    await second.close();
  });
});

describe("node:tls client's session option against the adapter's createServer", () => {
  /** Our adapter server, echoing; the server sockets' isSessionReused(), in order. */
  async function echoServer(options: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<{ port: number; reused: boolean[] }> {
    const reused: boolean[] = [];
    const server = trackServer(
      createServer({ cert: cert.certPem, key: cert.keyPem, ...options }, (s: TlsSocket) => {
        reused.push(s.isSessionReused());
        s.on('data', (d: Buffer) => s.write(d));
        s.on('error', () => undefined);
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { port: (server.address() as net.AddressInfo).port, reused };
  }

  it.each([
    { version: 'TLSv1.3' as const, tickets: 2 },
    { version: 'TLSv1.2' as const, tickets: 1 },
  ])('$version: $tickets ticket(s) after the full handshake, then connect({ session }) resumes: isSessionReused() on both sides', async ({ version, tickets }) => {
    const srv = await echoServer({ maxVersion: version });
    const first = await nodeClient(srv.port, { minVersion: version, maxVersion: version });
    expect(first.sock.getProtocol()).toBe(version);
    first.sock.write('ping\n');
    await first.read('ping\n'); // the echo comes after the tickets
    expect(first.sessions).toHaveLength(tickets);
    await first.close();

    const second = await nodeClient(srv.port, { minVersion: version, maxVersion: version, session: first.sessions.at(-1)! });
    expect(second.sock.isSessionReused()).toBe(true);
    second.sock.write('resumed\n');
    await second.read('resumed\n');
    expect(srv.reused).toEqual([false, true]);
    // TLS 1.3: one new ticket after a resumption; TLS 1.2: a good ticket is not renewed
    expect(second.sessions).toHaveLength(version === 'TLSv1.3' ? 1 : 0);
    await second.close();
  });
});
