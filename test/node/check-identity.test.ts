/**
 * The Error returned by the user's checkServerIdentity is the error the
 * socket emits: the same object, as node:tls does (the core's TlsError carries
 * it as `identityError`); the fatal alert still goes to the peer.
 */
import { once } from 'node:events';
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription, TlsError } from '../../src/common/errors.js';
import { connect, createServer } from '../../src/node/index.js';
import { clientSetup } from '../../src/node/setup.js';
import { TlsSocket } from '../../src/node/socket.js';
import { TlsContext } from '../../src/ssl/context.js';
import type { CertificateVerifier } from '../../src/x509/verifier.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

async function ourServer(): Promise<{ port: number; clientError: Promise<unknown[]> }> {
  const srv = createServer({ cert: certs.cert, key: certs.key });
  const clientError = once(srv, 'tlsClientError');
  return { port: await listen(srv), clientError };
}

describe("checkServerIdentity's Error", () => {
  it("is the very object the 'error' event carries; the server gets the alert", async () => {
    const { port, clientError } = await ourServer();
    const mine = Object.assign(new Error('not the host I wanted'), { code: 'MY_IDENTITY_CHECK' });
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, checkServerIdentity: () => mine }));
    const [err] = (await once(sock, 'error')) as [Error];
    expect(err).toBe(mine);
    const [serverErr] = (await clientError) as [TlsError];
    expect(serverErr.code).toBe('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN'); // node's name for the alert received
    expect((serverErr as unknown as { tlsCode: string }).tlsCode).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(serverErr.alert).toBe(AlertDescription.certificate_unknown);
  });

  it('a TlsError carrying identityError (from any verifier) is reported as that Error', async () => {
    // The socket's side alone: a verifier that fails with such a TlsError.
    const { port, clientError } = await ourServer();
    const mine = new Error('pinned key mismatch');
    const setup = clientSetup({ servername: 'localhost', ca: certs.ca });
    const base = setup.context.verifier!;
    const verifier: CertificateVerifier = {
      verify(chain, cx) {
        const r = base.verify(chain, cx);
        const error = Object.assign(new TlsError('ERR_TLS_CERT_ALTNAME_INVALID', AlertDescription.bad_certificate, 'pinned key mismatch'), { identityError: mine });
        return { ...r, authorized: false, error };
      },
    };
    const context = new TlsContext({ verifier, provider: setup.context.provider });
    const raw = track(net.connect(port, '127.0.0.1'));
    const sock = track(new TlsSocket(raw, {}, { ...setup, context }));
    const [err] = (await once(sock, 'error')) as [Error];
    expect(err).toBe(mine);
    const [serverErr] = (await clientError) as [TlsError];
    expect(serverErr.alert).toBe(AlertDescription.bad_certificate);
  });
});
