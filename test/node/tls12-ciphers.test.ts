/**
 * node's `ciphers` for TLS 1.2 and the version options: an OpenSSL cipher
 * string selects our six TLS 1.2 suites in OpenSSL's order. The reference is
 * node itself: the TLS 1.2 suites in the ClientHello node:tls sends for the
 * same string, in order, restricted to ours.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { CipherSuite as C, ExtensionType, ProtocolVersion } from '../../src/common/constants.js';
import { SUITES } from '../../src/crypto/suites.js';
import { SupportedVersionsClientExt } from '../../src/messages/ext-core.js';
import { findExtension } from '../../src/messages/extensions.js';
import { ClientHello } from '../../src/messages/hello.js';
import { connect, createSecureContext, createServer } from '../../src/node/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

type CodedError = Error & { code?: string };

const OURS12 = new Set(SUITES.filter((s) => s.version === '1.2').map((s) => s.id));
const NODE_DEFAULT_TLS12 = tls.DEFAULT_CIPHERS.split(':')
  .filter((c) => !c.startsWith('TLS_'))
  .join(':');

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

function thrown(fn: () => unknown): CodedError | undefined {
  try {
    fn();
  } catch (e) {
    return e as CodedError;
  }
  return undefined;
}

/** The first ClientHello a client sends to a raw server, decoded. */
async function captureHello(start: (port: number) => Duplex): Promise<ClientHello> {
  let bytes = Buffer.alloc(0);
  const complete = (): boolean => bytes.length >= 5 && bytes.length >= 5 + bytes.readUInt16BE(3);
  const raw = net.createServer();
  const got = new Promise<void>((resolve) => {
    raw.on('connection', (conn: net.Socket) => {
      conn.on('data', (d: Buffer) => {
        bytes = Buffer.concat([bytes, d]);
        if (!complete()) return;
        conn.destroy();
        resolve();
      });
    });
  });
  const port = await listen(raw);
  track(start(port)).on('error', () => {});
  await got;
  // one handshake record: 5-byte record header, 4-byte handshake header, the body
  return ClientHello.decode(bytes.subarray(9, 5 + bytes.readUInt16BE(3)));
}

/** Our TLS 1.2 suites in the ClientHello node:tls sends for `ciphers` (TLS 1.2 only, so OpenSSL's list is all there is). */
async function nodeOrder(ciphers: string): Promise<number[]> {
  const hello = await captureHello((port) => tls.connect({ port, host: '127.0.0.1', ciphers, maxVersion: 'TLSv1.2' }));
  return hello.cipherSuites.filter((id) => OURS12.has(id));
}

describe('the TLS 1.2 part of ciphers selects our suites in OpenSSL order (as node sends them)', () => {
  const strings = [
    NODE_DEFAULT_TLS12,
    'HIGH:!aNULL',
    'DEFAULT',
    'ALL',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE+AESGCM:ECDHE+CHACHA20',
    'EECDH+AESGCM:EDH+AESGCM',
    'ECDHE+AESGCM:-aRSA:ECDHE',
    'ALL:-aRSA:aRSA',
    'ALL:!aRSA:aRSA',
    'CHACHA20:ALL:+CHACHA20',
    'ECDHE-RSA-AES128-GCM-SHA256:ALL:@STRENGTH',
    'DEFAULT:-AESGCM:+CHACHA20:AESGCM:@STRENGTH',
    'AES:+aRSA:-AES128:CHACHA20:AES128',
    'AES128+FOO:AES256',
    'kECDHE+ECDSA:aRSA+AES256',
    'TLSv1.2+aRSA',
    'FIPS',
    'ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384,CHACHA20',
    'AES128-SHA:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256',
  ];

  it.each(strings)('%s', async (ciphers) => {
    const ours = createSecureContext({ ciphers }).tls12CipherSuites;
    expect(ours).toEqual(await nodeOrder(ciphers));
    expect(ours!.length).toBeGreaterThan(0);
  });

  it("'DEFAULT' counts only at the start (OpenSSL): 'ECDHE-RSA-AES128-SHA:DEFAULT' selects none of ours, in node too", async () => {
    expect(createSecureContext({ ciphers: 'ECDHE-RSA-AES128-SHA:DEFAULT' }).tls12CipherSuites).toEqual([]);
    expect(await nodeOrder('ECDHE-RSA-AES128-SHA:DEFAULT')).toEqual([]);
  });

  it("node's DEFAULT_CIPHERS: its four AES-GCM suites first, then ChaCha20 (from HIGH); the TLS 1.3 part is node's order", () => {
    const sc = createSecureContext({ ciphers: tls.DEFAULT_CIPHERS });
    expect(sc.tls12CipherSuites).toEqual([
      C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
      C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
      C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
      C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
      C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
      C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]);
    expect(sc.cipherSuites).toEqual([C.TLS_AES_256_GCM_SHA384, C.TLS_CHACHA20_POLY1305_SHA256, C.TLS_AES_128_GCM_SHA256]);
  });

  it('our client offers them in that order after its TLS 1.3 suites', async () => {
    const ciphers = 'TLS_CHACHA20_POLY1305_SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE+AESGCM:!aECDSA';
    const hello = await captureHello((port) => connect({ port, host: '127.0.0.1', ciphers }));
    expect(hello.cipherSuites.filter((id) => id !== C.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)).toEqual([
      C.TLS_CHACHA20_POLY1305_SHA256,
      C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
      C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ]);
  });

  it('our IANA names work too (node would send them to the TLS 1.3 list and lose them)', () => {
    const sc = createSecureContext({ ciphers: 'TLS_AES_128_GCM_SHA256:TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' });
    expect(sc.cipherSuites).toEqual([C.TLS_AES_128_GCM_SHA256]);
    expect(sc.tls12CipherSuites).toEqual([C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]);
    expect(createSecureContext({ ciphers: 'HIGH:!TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:-aECDSA' }).tls12CipherSuites).toEqual([
      C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
      C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]);
  });
});

describe('ciphers that select none of our TLS 1.2 suites', () => {
  it("'AES128-SHA' (CBC, which node accepts): TLS 1.2 is off, our client offers TLS 1.3 only", async () => {
    expect(thrown(() => tls.createSecureContext({ ciphers: 'AES128-SHA' }))).toBeUndefined();
    expect(createSecureContext({ ciphers: 'AES128-SHA' }).tls12CipherSuites).toEqual([]);
    const hello = await captureHello((port) => connect({ port, host: '127.0.0.1', ciphers: 'AES128-SHA' }));
    expect(hello.cipherSuites.filter((id) => OURS12.has(id))).toEqual([]);
    expect(findExtension(hello.extensions, SupportedVersionsClientExt)).toEqual([ProtocolVersion.TLSv1_3]);
  });

  it("only TLS_ names: TLS 1.2 is off, as node (it raises the minimum to TLS 1.3)", async () => {
    const hello = await captureHello((port) => connect({ port, host: '127.0.0.1', ciphers: 'TLS_AES_128_GCM_SHA256' }));
    expect(findExtension(hello.extensions, SupportedVersionsClientExt)).toEqual([ProtocolVersion.TLSv1_3]);
    const theirs = await captureHello((port) => tls.connect({ port, host: '127.0.0.1', ciphers: 'TLS_AES_128_GCM_SHA256' }));
    expect(findExtension(theirs.extensions, SupportedVersionsClientExt)).toEqual([ProtocolVersion.TLSv1_3]);
  });

  it("with maxVersion 'TLSv1.2' that is an error naming the option (node fails each connection with ERR_SSL_NO_CIPHERS_AVAILABLE)", () => {
    for (const ciphers of ['AES128-SHA', 'TLS_AES_128_GCM_SHA256']) {
      const err = thrown(() => createSecureContext({ ciphers, maxVersion: 'TLSv1.2' }));
      expect(err?.code).toBe('ERR_SSL_NO_CIPHER_MATCH');
      expect(err?.message).toMatch(/The 'ciphers' option selects no TLS 1\.2 suite puretls implements .*maxVersion is 'TLSv1\.2'/);
      expect(thrown(() => createServer({ cert: certs.cert, key: certs.key, ciphers, maxVersion: 'TLSv1.2' }))?.code).toBe('ERR_SSL_NO_CIPHER_MATCH');
    }
  });

  it.each(['FOO', 'FOO:BAR', 'ecdhe-rsa-aes128-gcm-sha256', 'HIGH:@FOO', 'TLS_AES_128_GCM_SHA256:NOPE'])('garbage %s: ERR_SSL_NO_CIPHER_MATCH, as node', (ciphers) => {
    expect(thrown(() => tls.createSecureContext({ ciphers }))?.code).toMatch(/^ERR_SSL_/);
    const err = thrown(() => createSecureContext({ ciphers }));
    expect(err?.code).toBe('ERR_SSL_NO_CIPHER_MATCH');
    expect(err?.message).toMatch(/'ciphers'/);
  });

  it.each(['SUITEB128', 'HIGH:@SECLEVEL=2'])('%s asks for what puretls does not enforce: ERR_INVALID_ARG_VALUE (node accepts it)', (ciphers) => {
    expect(thrown(() => tls.createSecureContext({ ciphers }))).toBeUndefined();
    const err = thrown(() => createSecureContext({ ciphers }));
    expect(err?.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(err?.message).toMatch(/'ciphers'.*not implemented/);
  });

  it('@SECLEVEL=0 and =1 change nothing for our suites', () => {
    expect(createSecureContext({ ciphers: 'HIGH:@SECLEVEL=1' }).tls12CipherSuites).toEqual(createSecureContext({ ciphers: 'HIGH' }).tls12CipherSuites);
    expect(createSecureContext({ ciphers: 'DEFAULT@SECLEVEL=0' }).tls12CipherSuites).toHaveLength(6);
  });
});

describe('minVersion / maxVersion', () => {
  it("accept 'TLSv1.2' and 'TLSv1.3' (node's defaults: TLSv1.2..TLSv1.3)", () => {
    expect(tls.DEFAULT_MIN_VERSION).toBe('TLSv1.2');
    expect(tls.DEFAULT_MAX_VERSION).toBe('TLSv1.3');
    const sc = createSecureContext({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect([sc.minVersion, sc.maxVersion]).toEqual([ProtocolVersion.TLSv1_2, ProtocolVersion.TLSv1_2]);
    expect(createSecureContext({ minVersion: null as unknown as string }).minVersion).toBeUndefined();
  });

  it.each(['TLSv1', 'TLSv1.1', 'SSLv3'])("%s is refused by name as not implemented (RFC 8996), where node would speak it", (v) => {
    for (const option of ['minVersion', 'maxVersion'] as const) {
      const err = thrown(() => createSecureContext({ [option]: v }));
      expect(err).toBeInstanceOf(TypeError);
      expect(err?.code).toBe('ERR_TLS_INVALID_PROTOCOL_VERSION');
      expect(err?.message).toBe(`The ${option} option '${v}' is not implemented by puretls: SSL 3.0, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996); use 'TLSv1.2' or 'TLSv1.3'`);
    }
    expect(thrown(() => connect({ port: 1, minVersion: v }))?.code).toBe('ERR_TLS_INVALID_PROTOCOL_VERSION');
  });

  it.each([['foo'], [''], [5], ['tlsv1.2']])('%j: the same TypeError as node', (v) => {
    for (const option of ['minVersion', 'maxVersion'] as const) {
      const theirs = thrown(() => tls.createSecureContext({ [option]: v } as tls.SecureContextOptions));
      const ours = thrown(() => createSecureContext({ [option]: v } as Record<string, unknown>));
      expect(theirs?.code).toBe('ERR_TLS_INVALID_PROTOCOL_VERSION');
      expect(ours).toBeInstanceOf(TypeError);
      expect(ours?.code).toBe(theirs?.code);
      expect(ours?.message).toBe(theirs?.message);
    }
  });

  it("minVersion above maxVersion: refused at once (node fails each connection with ERR_SSL_NO_PROTOCOLS_AVAILABLE)", () => {
    const err = thrown(() => connect({ port: 1, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }));
    expect(err?.code).toBe('ERR_SSL_NO_PROTOCOLS_AVAILABLE');
    expect(err?.message).toMatch(/minVersion .* maxVersion/);
  });

  it("our client with maxVersion 'TLSv1.2' offers TLS 1.2 only, no TLS 1.3 suite", async () => {
    const hello = await captureHello((port) => connect({ port, host: '127.0.0.1', maxVersion: 'TLSv1.2' }));
    expect(hello.extensions.some((e) => e.type === ExtensionType.supported_versions)).toBe(false);
    expect(hello.cipherSuites.filter((id) => OURS12.has(id))).toHaveLength(6);
    expect(hello.cipherSuites.some((id) => SUITES.find((s) => s.id === id)?.version === '1.3')).toBe(false);
  });
});
