/**
 * Client-side TLS 1.3 resumption (RFC 8446 §2.2, §4.2.11, §4.6.1) against
 * servers that issue tickets: openssl s_server and node:tls. (Our own server
 * issues no tickets yet.)
 */
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { NamedGroup } from '../../src/common/constants.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import { Session } from '../../src/session/session.js';
import { installPeerCleanup, startOpensslServer, type PeerHandle } from '../helpers/peers.js';
import { connectOurs, installSocketCleanup, makeCertSets, trackServer, verifierFor, within, type CertSet } from './support.js';

installPeerCleanup();
installSocketCleanup();

const T = 15_000;
let set: CertSet;
beforeAll(async () => {
  set = (await makeCertSets()).p256;
});

/** Connect our client, exchange a line, wait for the server's tickets; returns the sessions and the client. */
async function session(port: number, options: TlsContextOptions, offered?: Session, wantTickets = 1) {
  const conn = new Connection(new TlsContext({ verifier: verifierFor(set.chain), ...options }), 'client', { serverName: 'localhost', ...(offered ? { session: offered } : {}) });
  const sessions: Session[] = [];
  conn.on('session', (s) => sessions.push(s));
  const p = connectOurs(conn, port);
  await within(p.handshake, T, () => `handshake: ${conn.stateName}`);
  p.send('ping\n');
  await within(p.waitForData((b) => b.includes('\n'), T), T, () => 'no echo');
  await within(
    new Promise<void>((resolve) => {
      const check = () => sessions.length >= wantTickets && resolve();
      conn.on('session', check);
      check();
    }),
    T,
    () => `no ticket (got ${sessions.length})`,
  );
  await p.end();
  return { conn, sessions, received: p.received().toString() };
}

function sServer(extra: string[] = []): Promise<PeerHandle> {
  const l = set.chain.leaf;
  return startOpensslServer(['-tls1_3', '-rev', '-cert', l.certPath, '-key', l.keyPath, '-cert_chain', set.chain.intermediatesPath, ...extra]);
}

describe('resumption against openssl s_server', () => {
  it('a ticket from the first connection resumes the second (no certificate, same server identity)', async () => {
    const srv = await sServer();
    const first = await session(srv.port, {});
    expect(first.conn.isSessionReused).toBe(false);
    expect(first.sessions.length).toBeGreaterThanOrEqual(1);
    const s = first.sessions.at(-1)!;
    expect(s.serverName).toBe('localhost');
    expect(s.peerCertificates.length).toBe(2);
    // The stored form round-trips.
    const stored = Session.fromBytes(s.toBytes());
    const second = await session(srv.port, {}, stored);
    expect(second.conn.isSessionReused).toBe(true);
    expect(second.received).toBe('gnip\n');
    expect(second.conn.peerVerification?.authorized).toBe(true);
    expect(second.conn.peerCertificates.length).toBe(2);
    // A resumed connection gets fresh tickets too.
    expect(second.sessions.length).toBeGreaterThanOrEqual(1);
  });

  it('resumes after a HelloRetryRequest (the binder covers the retried transcript)', async () => {
    const srv = await sServer(['-groups', 'P-256']);
    const options = { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] };
    const first = await session(srv.port, options);
    expect(first.conn.negotiated.helloRetry).toBe(true);
    const second = await session(srv.port, options, first.sessions.at(-1));
    expect(second.conn.negotiated.helloRetry).toBe(true);
    expect(second.conn.isSessionReused).toBe(true);
  });

  it('a session from another server is refused by it, and the handshake falls back to a full one', async () => {
    const a = await sServer();
    const b = await sServer();
    const first = await session(a.port, {});
    const other = await session(b.port, {}, first.sessions.at(-1));
    expect(other.conn.isSessionReused).toBe(false);
    expect(other.received).toBe('gnip\n');
  });

  it('an expired session is not offered', async () => {
    const srv = await sServer();
    const first = await session(srv.port, {});
    const s = first.sessions.at(-1)!;
    const old = new Session({ ...s, receivedAtMs: s.receivedAtMs - (s.lifetimeSeconds + 1) * 1000 });
    const second = await session(srv.port, {}, old);
    expect(second.conn.isSessionReused).toBe(false);
  });
});

describe('resumption against node:tls', () => {
  it('node reports the session reused too', async () => {
    const server = trackServer(
      tls.createServer({ cert: set.chain.leaf.certPem + set.chain.intermediate.certPem, key: set.chain.leaf.keyPem, minVersion: 'TLSv1.3' }, (s) => {
        s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().split('').reverse().join('').slice(1) + '\n')));
        s.on('error', () => undefined);
      }),
    );
    const reused: boolean[] = [];
    server.on('secureConnection', (s: tls.TLSSocket) => reused.push(s.isSessionReused()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const first = await session(port, {});
    // node sends no new ticket after a resumption.
    const second = await session(port, {}, first.sessions.at(-1), 0);
    expect(second.conn.isSessionReused).toBe(true);
    expect(second.received).toBe('gnip\n');
    expect(reused).toEqual([false, true]);
  });
});
