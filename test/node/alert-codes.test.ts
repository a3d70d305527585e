/**
 * Issue 18, errors: a fatal alert received gets the code node:tls gives for
 * it (OpenSSL's reason name: ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ...), with
 * puretls's own code kept as `tlsCode` and the alert as `alert`. Each case
 * makes node:tls and puretls receive the same alert from the same peer and
 * compares err.code; the other situations of docs/errors.md too
 * (ECONNRESET before the handshake, certificate verification).
 */
import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer } from '../../src/node/index.js';
import { receivedAlertCode } from '../../src/node/node-errors.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

type Coded = Error & { code?: string; tlsCode?: string; alert?: number; library?: string; reason?: string; remote?: boolean };

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** A raw TCP server that answers the first bytes (a ClientHello) with a plaintext fatal alert. */
async function alertingServer(description: number): Promise<number> {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end(Buffer.from([21, 3, 3, 0, 2, 2, description])));
  });
  return listen(srv);
}

function firstError(sock: Duplex): Promise<Coded> {
  return new Promise((resolve) => sock.once('error', (e: Coded) => resolve(e)));
}

/** node's codes, measured on node 20 (OpenSSL 3.0): every alert OpenSSL names. */
const NAMED = [10, 20, 21, 22, 30, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 60, 70, 71, 80, 86, 90, 100, 109, 110, 111, 112, 113, 114, 115, 116, 120];

describe('a fatal alert received before the handshake completes: node\'s code', () => {
  it.each(NAMED)('alert %i: the same err.code as node:tls', async (description) => {
    const port = await alertingServer(description);
    const theirs = await firstError(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    const ours = await firstError(track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    expect(ours.code).toBe(theirs.code);
    expect(ours.code).toBe(receivedAlertCode(description));
    expect({ library: ours.library, reason: ours.reason }).toEqual({ library: theirs.library, reason: theirs.reason });
    expect(ours).toMatchObject({ tlsCode: 'ERR_TLS_ALERT_RECEIVED', alert: description, remote: true });
    expect(ours.message).toContain(`SSL alert number ${description}`);
  });

  it.each([0, 200])('alert %i (no OpenSSL name, or close_notify): ECONNRESET, as node:tls', async (description) => {
    const port = await alertingServer(description);
    const theirs = await firstError(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    const ours = await firstError(track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    expect([ours.code, ours.message]).toEqual([theirs.code, theirs.message]);
    expect(theirs.code).toBe('ECONNRESET');
  });
});

describe('alerts from a real peer, as node:tls names them', () => {
  // node's client destroys its socket right after its unknown_ca alert: whether a server reads the
  // alert before the EOF is a race, for node:tls's server as for ours (seen both ways on each).
  it("a client that does not know the server's CA: ERR_SSL_TLSV1_ALERT_UNKNOWN_CA or ECONNRESET on tlsClientError, node:tls and puretls servers alike", async () => {
    const codes: (string | undefined)[] = [];
    for (const make of [tls.createServer, createServer] as const) {
      const srv = (make as (o: object) => net.Server)({ cert: certs.cert, key: certs.key });
      const serverErr = once(srv, 'tlsClientError');
      const port = make === tls.createServer ? await nodeListen(srv) : await listen(srv);
      // No ca: node's default roots do not hold our test root.
      track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost' })).on('error', () => {});
      codes.push(((await serverErr)[0] as Coded).code);
    }
    for (const code of codes) expect(['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ECONNRESET']).toContain(code);
  });

  it('TLS 1.3, a server that requires a client certificate and gets none: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED on our client as on node\'s', async () => {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, requestCert: true, rejectUnauthorized: true, ca: certs.ca });
    srv.on('tlsClientError', () => {});
    const port = await nodeListen(srv);
    const theirs = await firstError(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    const ours = await firstError(track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    expect(ours.code).toBe(theirs.code);
    expect(ours.code).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it('our client that does not trust a node:tls server: the verification code as node (UNABLE_TO_VERIFY_LEAF_SIGNATURE)', async () => {
    const srv = tls.createServer({ cert: certs.chain.leaf.certPem, key: certs.key });
    srv.on('tlsClientError', () => {});
    const port = await nodeListen(srv);
    const theirs = await firstError(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    const ours = await firstError(track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    expect(ours.code).toBe(theirs.code);
    expect(ours.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('a peer that closes before the handshake: ECONNRESET with node\'s message', async () => {
    const srv = net.createServer((s) => s.end());
    const port = await listen(srv);
    const theirs = await firstError(track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    const ours = await firstError(track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca })));
    expect([ours.code, ours.message]).toEqual([theirs.code, theirs.message]);
  });
});

async function nodeListen(srv: net.Server): Promise<number> {
  track(srv);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return (srv.address() as net.AddressInfo).port;
}
