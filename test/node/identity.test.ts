/**
 * The server identity check's own Error travels with the core's TlsError as
 * `identityError` (the very object checkServerIdentity returned or threw, or,
 * for the default check, an Error shaped like node's tls.checkServerIdentity
 * one), so that the socket can emit it as node:tls does; and authorized /
 * authorizationError follow node's rules (`err.code || err.message`).
 */
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription, TlsError } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import { connect, createSecureContext } from '../../src/node/index.js';
import { tlsContextFor } from '../../src/node/core-context.js';
import type { IdentityFailure } from '../../src/node/node-verifier.js';
import type { CheckServerIdentity } from '../../src/node/peer-certificate.js';
import { driveExpectingError, serverCert } from '../helpers/pair.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** A core client (the Node adapter's context: chain check, then the identity check) against a core server for 'localhost'. */
function coreHandshake(serverName: string, checkServerIdentity?: CheckServerIdentity): IdentityFailure {
  const sc = createSecureContext({ ca: certs.ca });
  const client = new Connection(tlsContextFor(sc, { role: 'client', rejectUnauthorized: true, checkServerIdentity }), 'client', { serverName });
  const server = new Connection(new TlsContext({ certificate: serverCert(certs.chain) }), 'server');
  client.doHandshake();
  const { side, error } = driveExpectingError(client, server);
  expect(side).toBe('a');
  expect(error).toBeInstanceOf(TlsError);
  return error as IdentityFailure;
}

describe('identityError on the core TlsError', () => {
  it('is the very Error a custom checkServerIdentity returned; the TlsError keeps the alert', () => {
    const mine = Object.assign(new Error('not this one'), { code: 'MY_CHECK' });
    const err = coreHandshake('localhost', () => mine);
    expect(err.identityError).toBe(mine);
    expect(err.alert).toBe(AlertDescription.certificate_unknown);
    expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(err.message).toContain('not this one');
  });

  it('is the very Error a custom checkServerIdentity threw', () => {
    const thrown = new Error('thrown by the check');
    const err = coreHandshake('localhost', () => {
      throw thrown;
    });
    expect(err.identityError).toBe(thrown);
  });

  it('a TlsError returned by the check keeps its own code and alert on the core error', () => {
    const mine = new TlsError('ERR_TLS_BAD_CERTIFICATE', AlertDescription.bad_certificate, 'pinned key mismatch');
    const err = coreHandshake('localhost', () => mine);
    expect(err.identityError).toBe(mine);
    expect(err.code).toBe('ERR_TLS_BAD_CERTIFICATE');
    expect(err.alert).toBe(AlertDescription.bad_certificate);
    expect(err.message).toBe(mine.message);
  });

  it("the default check's identityError is shaped like node's tls.checkServerIdentity Error", () => {
    const err = coreHandshake('wrong.example');
    expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(err.alert).toBe(AlertDescription.certificate_unknown);
    const id = err.identityError as Error & { code?: string; reason?: string; host?: string; cert?: { subject?: { CN?: string }; raw?: unknown } };
    expect(id).not.toBeInstanceOf(TlsError);
    expect(id.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(id.host).toBe('wrong.example');
    expect(id.cert?.subject?.CN).toBe('localhost');
    expect(Buffer.isBuffer(id.cert?.raw)).toBe(true);
    // node's own function on the same certificate gives the same message and reason.
    const nodeErr = tls.checkServerIdentity('wrong.example', id.cert as unknown as tls.PeerCertificate) as Error & { reason?: string };
    expect(id.message).toBe(nodeErr.message);
    expect(id.reason).toBe(nodeErr.reason);
  });
});

describe('authorized / authorizationError after an identity failure (rejectUnauthorized: false)', () => {
  async function authorization(checkServerIdentity: CheckServerIdentity): Promise<{ authorized: boolean; authorizationError: string | null }> {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => s.end());
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, rejectUnauthorized: false, checkServerIdentity }));
    await once(sock, 'secureConnect');
    return { authorized: sock.authorized, authorizationError: sock.authorizationError };
  }

  it("is the Error's code when it has one", async () => {
    const r = await authorization(() => Object.assign(new Error('pinned key mismatch'), { code: 'MY_PIN' }));
    expect(r).toEqual({ authorized: false, authorizationError: 'MY_PIN' });
  });

  it("is the Error's message when it has no code (as node: err.code || err.message)", async () => {
    const r = await authorization(() => new Error('not this one'));
    expect(r).toEqual({ authorized: false, authorizationError: 'not this one' });
  });

  it('is authorized when the check returns undefined', async () => {
    const r = await authorization(() => undefined);
    expect(r).toEqual({ authorized: true, authorizationError: null }); // node's null
  });
});
