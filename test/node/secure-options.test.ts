/**
 * node's `secureOptions` (OpenSSL's SSL_OP_* flags): what puretls honours,
 * what holds by construction, and what it refuses by name; the honoured ones
 * give what node:tls gives with the same flags against the same peer.
 */
import { constants } from 'node:crypto';
import { once } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createSecureContext, createServer } from '../../src/node/index.js';
import { certsFor, installCleanup, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

const C = constants;
type Coded = Error & { code?: string };
const thrown = (fn: () => unknown): Coded | undefined => {
  try {
    fn();
  } catch (e) {
    return e as Coded;
  }
  return undefined;
};

/** A node:tls server echoing nothing; resolves its port. */
async function nodeServer(options: tls.TlsOptions = {}): Promise<number> {
  const srv = track(tls.createServer({ cert: certs.cert, key: certs.key, ...options }, (s) => s.end()));
  srv.on('tlsClientError', () => {});
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return (srv.address() as net.AddressInfo).port;
}

/** The protocol each module's client negotiates with `secureOptions` against a node:tls server. */
async function protocols(secureOptions: number): Promise<(string | null)[]> {
  const port = await nodeServer();
  const out: (string | null)[] = [];
  for (const mod of [tls, { connect }] as const) {
    const c = track((mod.connect as typeof tls.connect)({ port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca, secureOptions }));
    c.on('error', () => {});
    await once(c, 'secureConnect');
    out.push(c.getProtocol());
    c.destroy();
  }
  return out;
}

describe('secureOptions', () => {
  it('SSL_OP_NO_TLSv1_3: TLS 1.2 with node:tls and with puretls', async () => {
    expect(await protocols(C.SSL_OP_NO_TLSv1_3)).toEqual(['TLSv1.2', 'TLSv1.2']);
  });

  it('SSL_OP_NO_TLSv1_2 with a TLS 1.2-only server: both fail; against a default server both speak TLS 1.3', async () => {
    expect(await protocols(C.SSL_OP_NO_TLSv1_2)).toEqual(['TLSv1.3', 'TLSv1.3']);
    const port = await nodeServer({ maxVersion: 'TLSv1.2' });
    const c = track(connect({ port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca, secureOptions: C.SSL_OP_NO_TLSv1_2 }));
    const [err] = (await once(c, 'error')) as [Coded];
    expect(err.code).toMatch(/PROTOCOL_VERSION|ECONNRESET/);
  });

  it('both NO_TLSv1_2 and NO_TLSv1_3: no protocols available, at once', () => {
    expect(thrown(() => createSecureContext({ secureOptions: C.SSL_OP_NO_TLSv1_2 | C.SSL_OP_NO_TLSv1_3 }))?.code).toBe('ERR_SSL_NO_PROTOCOLS_AVAILABLE');
  });

  it('SSL_OP_NO_TICKET: no TLS 1.2 session ticket is offered or issued', async () => {
    const srv = track(createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2', secureOptions: C.SSL_OP_NO_TICKET }, (s) => s.end()));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const c = track(tls.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca }));
    c.on('error', () => {});
    await once(c, 'secureConnect');
    expect(c.getProtocol()).toBe('TLSv1.2');
    await once(c, 'close');
    expect(c.getTLSTicket() ?? null).toBeNull(); // node's client got no ticket
  });

  it('SSL_OP_CIPHER_SERVER_PREFERENCE: honorCipherOrder (the server picks its first suite)', () => {
    expect(createSecureContext({ secureOptions: C.SSL_OP_CIPHER_SERVER_PREFERENCE }).honorCipherOrder).toBe(true);
    expect(createSecureContext({ secureOptions: C.SSL_OP_CIPHER_SERVER_PREFERENCE, honorCipherOrder: false }).honorCipherOrder).toBe(false);
  });

  it('SSL_OP_NO_RENEGOTIATION: renegotiation refused both ways; SSL_OP_ALLOW_NO_DHE_KEX: psk_ke allowed', () => {
    const sc = createSecureContext({ secureOptions: C.SSL_OP_NO_RENEGOTIATION | C.SSL_OP_ALLOW_NO_DHE_KEX });
    expect(sc.renegotiation).toMatchObject({ acceptClientInitiated: false, refuseServerInitiated: true });
    expect(sc.allowNoDheKex).toBe(true);
  });

  it('flags for what puretls never does are accepted: SSL_OP_ALL, NO_SSLv3, NO_TLSv1, NO_TLSv1_1, NO_COMPRESSION', () => {
    const ok = C.SSL_OP_ALL | C.SSL_OP_NO_SSLv3 | C.SSL_OP_NO_TLSv1 | C.SSL_OP_NO_TLSv1_1 | C.SSL_OP_NO_COMPRESSION;
    expect(thrown(() => createSecureContext({ secureOptions: ok }))).toBeUndefined();
    expect(thrown(() => tls.createSecureContext({ secureOptions: ok }))).toBeUndefined();
  });

  it('flags puretls cannot honour are refused, each by name; a non-integer is ERR_INVALID_ARG_TYPE', () => {
    const err = thrown(() => createSecureContext({ secureOptions: C.SSL_OP_LEGACY_SERVER_CONNECT | C.SSL_OP_PRIORITIZE_CHACHA }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err?.code).toBe('ERR_TLS_OPTION_UNSUPPORTED');
    expect(err?.message).toMatch(/SSL_OP_LEGACY_SERVER_CONNECT, SSL_OP_PRIORITIZE_CHACHA/);
    expect(thrown(() => createSecureContext({ secureOptions: C.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION }))?.message).toMatch(/SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION/);
    expect(thrown(() => createSecureContext({ secureOptions: 'x' as unknown as number }))?.code).toBe('ERR_INVALID_ARG_TYPE');
  });
});
