/**
 * Post-handshake client authentication through TlsSocket: the client's
 * postHandshakeAuth option, the server's verifyClientPostHandshake(), the
 * 'postHandshakeAuth' event and getPeerCertificate() after it.
 */
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PostHandshakeAuthEvent } from '../../src/ssl/events.js';
import { TlsSocket } from '../../src/node/index.js';
import { certsFor, clientCertFor, collect, installCleanup, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
let client: { cert: string; key: string };
beforeAll(async () => {
  certs = await certsFor('p256');
  client = await clientCertFor(certs.chain, 'pha client');
});

function pair(clientOptions: Record<string, unknown>): { client: TlsSocket; server: TlsSocket } {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const server = track(new TlsSocket(Duplex.from({ readable: ab, writable: ba }), { isServer: true, cert: certs.cert, key: certs.key, ca: certs.ca }));
  const cli = track(new TlsSocket(Duplex.from({ readable: ba, writable: ab }), { servername: 'localhost', ca: certs.ca, ...clientOptions }));
  return { client: cli, server };
}

describe('TlsSocket post-handshake authentication', () => {
  it("postHandshakeAuth: true with cert/key: the server's request is answered; getPeerCertificate() names the client", async () => {
    const p = pair({ postHandshakeAuth: true, cert: client.cert, key: client.key });
    await Promise.all([once(p.client, 'secureConnect'), once(p.server, 'secure')]);
    expect(p.server.getPeerCertificate()).toEqual({});
    const auth = once(p.server, 'postHandshakeAuth');
    expect(p.server.verifyClientPostHandshake()).toBe(true);
    await p.server.doHandshake();
    const [ev] = (await auth) as [PostHandshakeAuthEvent];
    expect(ev.peerCertificates).toHaveLength(2);
    expect(p.server.getPeerCertificate().subject?.CN).toBe('pha client');
    p.client.end('done');
    expect((await collect(p.server)).toString()).toBe('done');
  });

  it('a client without the option: the request is refused with ERR_TLS_INVALID_STATE; before the handshake too', async () => {
    const p = pair({});
    expect(() => p.server.verifyClientPostHandshake()).toThrowError(expect.objectContaining({ code: 'ERR_TLS_INVALID_STATE' }));
    await Promise.all([once(p.client, 'secureConnect'), once(p.server, 'secure')]);
    expect(() => p.server.verifyClientPostHandshake()).toThrowError(/did not send post_handshake_auth/);
    expect(() => p.client.verifyClientPostHandshake()).toThrowError(/servers only/);
    p.client.end();
    p.server.end();
  });

  it('postHandshakeAuth must be a boolean', () => {
    const opts = { servername: 'localhost', postHandshakeAuth: 'yes' } as unknown as ConstructorParameters<typeof TlsSocket>[1];
    expect(() => new TlsSocket(new PassThrough(), opts)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
