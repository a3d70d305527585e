/**
 * The server's AEAD preference through the Node adapter (issue 19, item 5):
 * with no `ciphers`/`ciphersuites` and honorCipherOrder not false, a puretls
 * server picks the AEAD its provider runs fastest among those a node:tls
 * client offers (ChaCha20-Poly1305 on @noble, AES-GCM on node:crypto);
 * `ciphers`, `honorCipherOrder: false` or `aeadPreference: 'order'` give
 * node's rule (the server's suite order). node:tls's client offers
 * TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256.
 */
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../src/crypto/node-crypto.js';
import { createServer, type TlsServerOptions } from '../../src/node/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** The suite a node:tls client negotiates with a puretls server made with `options` (TLS 1.3 unless maxVersion says otherwise). */
async function negotiated(options: TlsServerOptions, clientOptions: tls.ConnectionOptions = {}): Promise<string | undefined> {
  const server = track(createServer({ cert: certs.cert, key: certs.key, ...options }, (s) => s.end()));
  const port = await listen(server);
  return new Promise((resolve, reject) => {
    const c = tls.connect({ port, host: '127.0.0.1', ca: certs.ca, servername: 'localhost', ...clientOptions }, () => {
      const name = c.getCipher().standardName;
      c.on('close', () => resolve(name));
      c.resume();
    });
    c.on('error', reject);
  });
}

describe("a puretls server's AEAD choice (aeadPreference)", () => {
  it('by default on @noble: ChaCha20-Poly1305, though node:tls lists AES-256-GCM first', async () => {
    expect(await negotiated({})).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });

  it('by default on @noble, TLS 1.2: ECDHE-ECDSA-CHACHA20-POLY1305', async () => {
    expect(await negotiated({}, { maxVersion: 'TLSv1.2' })).toBe('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
  });

  it('by default on node:crypto: AES-GCM (AES-128 first), though the client lists ChaCha20 first', async () => {
    const name = await negotiated({ provider: nodeCryptoProvider() }, { ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256' });
    expect(name).toBe('TLS_AES_128_GCM_SHA256');
  });

  it("aeadPreference 'order', `ciphers`, or honorCipherOrder false: node's rule", async () => {
    // the server's default order (DEFAULT_CIPHER_SUITES: AES-128-GCM first) wins under honorCipherOrder
    expect(await negotiated({ aeadPreference: 'order' })).toBe('TLS_AES_128_GCM_SHA256');
    // a `ciphers` string is an order: the TLS 1.3 names it lists are used as given
    expect(await negotiated({ ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' })).toBe('TLS_AES_128_GCM_SHA256');
    // the client's order: node's client lists AES-256-GCM first
    expect(await negotiated({ honorCipherOrder: false })).toBe('TLS_AES_256_GCM_SHA384');
    // explicit 'speed' with a `ciphers` order: the fastest AEAD among those listed
    expect(await negotiated({ aeadPreference: 'speed', ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' })).toBe(
      'TLS_CHACHA20_POLY1305_SHA256',
    );
  });

  it('a bad value is refused by name (ERR_INVALID_ARG_VALUE)', () => {
    for (const bad of ['fast', null, 1]) {
      let err: (Error & { code?: string }) | undefined;
      try {
        createServer({ cert: certs.cert, key: certs.key, aeadPreference: bad as unknown as 'speed' });
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err).toBeInstanceOf(TypeError);
      expect(err?.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(err?.message).toMatch(/options\.aeadPreference/);
    }
  });
});
