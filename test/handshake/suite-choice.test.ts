/**
 * How a server chooses its suite (TlsContext `aeadPreference`,
 * src/handshake/suite-choice.ts): by default ('speed', when neither
 * cipherSuites nor honorCipherOrder is given) the first AEAD of its provider's
 * aeadSpeedOrder among the suites both sides offer (ChaCha20-Poly1305 first on
 * the @noble provider, AES-GCM first on node:crypto), then the order rule
 * among suites with that AEAD; 'order' is the order rule alone (ours with
 * honorCipherOrder, else the client's), as OpenSSL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CipherSuite, ProtocolVersion } from '../../src/common/constants.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { nodeCryptoProvider } from '../../src/crypto/node-crypto.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { DEFAULT_CIPHER_SUITES, TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';

const C = CipherSuite;
const AES_128 = C.TLS_AES_128_GCM_SHA256;
const AES_256 = C.TLS_AES_256_GCM_SHA384;
const CHACHA = C.TLS_CHACHA20_POLY1305_SHA256;
const TLS12 = ProtocolVersion.TLSv1_2;

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

/** The suite a handshake between a server and a client with these options settles on (both ends agree). */
function chosen(server: TlsContextOptions, client: TlsContextOptions = {}): number {
  const p = makePair({ certificate: serverCert(chain), ...server }, { verifier: verifierFor(chain), ...client });
  handshake(p);
  expect(p.client.cipherSuite).toBe(p.server.cipherSuite);
  return p.server.cipherSuite!.id;
}

/** The @noble provider with another AEAD speed order. */
const withSpeedOrder = (order: CryptoProvider['aeadSpeedOrder']): CryptoProvider => ({ ...nobleProvider(), aeadSpeedOrder: order });

/** The @noble provider with no aeadSpeedOrder at all. */
function withoutSpeedOrder(): CryptoProvider {
  const { aeadSpeedOrder, ...rest } = nobleProvider();
  expect(aeadSpeedOrder).toBeDefined();
  return rest;
}

describe("aeadPreference 'speed' (the default) on the @noble provider: ChaCha20-Poly1305 first", () => {
  it('the default context is speed-first, with the provider\'s order', () => {
    const ctx = new TlsContext({ certificate: serverCert(chain) });
    expect(ctx.aeadPreference).toBe('speed');
    expect(ctx.aeadSpeedOrder).toEqual(['CHACHA20-POLY1305', 'AES-128-GCM', 'AES-256-GCM']);
  });

  it('TLS 1.3: a client offering [AES_128, CHACHA, AES_256] gets TLS_CHACHA20_POLY1305_SHA256', () => {
    expect(chosen({}, { cipherSuites: [AES_128, CHACHA, AES_256] })).toBe(CHACHA);
  });

  it('TLS 1.3: a default client (AES_128 listed first) gets ChaCha too', () => {
    expect(DEFAULT_CIPHER_SUITES[0]).toBe(AES_128);
    expect(chosen({}, {})).toBe(CHACHA);
  });

  it('a TLS 1.2-only pair (ECDSA certificate): ECDHE-ECDSA-CHACHA20-POLY1305', () => {
    const offered = [C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384];
    expect(chosen({ maxVersion: TLS12 }, { maxVersion: TLS12, cipherSuites: offered })).toBe(C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
    // and with the client's default list (AES-128 first), both ends limited to TLS 1.2
    expect(chosen({ maxVersion: TLS12 }, { maxVersion: TLS12 })).toBe(C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
  });
});

describe('a client that does not offer ChaCha20-Poly1305', () => {
  it('a default server: the client\'s order when it lists the next fastest AEAD (AES-128-GCM) first', () => {
    expect(chosen({}, { cipherSuites: [AES_128, AES_256] })).toBe(AES_128);
  });

  it('a default server: the speed order still ranks AES-128-GCM before AES-256-GCM on @noble, whatever the client\'s order', () => {
    expect(chosen({}, { cipherSuites: [AES_256, AES_128] })).toBe(AES_128);
  });

  it('honorCipherOrder (so the order rule): our order', () => {
    const server = { cipherSuites: [AES_256, AES_128, CHACHA], honorCipherOrder: true };
    expect(new TlsContext({ certificate: serverCert(chain), ...server }).aeadPreference).toBe('order');
    expect(chosen(server, { cipherSuites: [AES_128, AES_256] })).toBe(AES_256);
  });

  it('under speed, with none of the client\'s AEADs in the speed order: the order rule (the client\'s; ours with honorCipherOrder)', () => {
    const provider = withSpeedOrder(['CHACHA20-POLY1305']);
    expect(chosen({ provider }, { cipherSuites: [AES_256, AES_128] })).toBe(AES_256);
    expect(chosen({ provider }, { cipherSuites: [AES_128, AES_256] })).toBe(AES_128);
    const ours = { provider, aeadPreference: 'speed', cipherSuites: [AES_128, CHACHA, AES_256], honorCipherOrder: true } as const;
    expect(chosen(ours, { cipherSuites: [AES_256, AES_128] })).toBe(AES_128);
    // ChaCha, when offered, still comes first.
    expect(chosen(ours, { cipherSuites: [AES_256, AES_128, CHACHA] })).toBe(CHACHA);
  });
});

describe("aeadPreference 'order': the order rule alone (the old behaviour)", () => {
  it('AES_128 when the client lists it first', () => {
    expect(chosen({ aeadPreference: 'order' }, { cipherSuites: [AES_128, CHACHA, AES_256] })).toBe(AES_128);
    expect(chosen({ aeadPreference: 'order' }, {})).toBe(AES_128);
  });

  it("the client's first, whichever AEAD it is", () => {
    expect(chosen({ aeadPreference: 'order' }, { cipherSuites: [AES_256, AES_128, CHACHA] })).toBe(AES_256);
    expect(chosen({ aeadPreference: 'order' }, { cipherSuites: [CHACHA, AES_128] })).toBe(CHACHA);
  });

  it('TLS 1.2: the client\'s first', () => {
    expect(chosen({ aeadPreference: 'order', maxVersion: TLS12 }, { maxVersion: TLS12 })).toBe(C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
  });

  it('no speed order on the context', () => {
    expect(new TlsContext({ certificate: serverCert(chain), aeadPreference: 'order' }).aeadSpeedOrder).toBeNull();
  });
});

describe("giving cipherSuites or honorCipherOrder makes the default 'order'", () => {
  const ctx = (o: TlsContextOptions) => new TlsContext({ certificate: serverCert(chain), ...o });

  it('cipherSuites (even the default list), honorCipherOrder (even false), or both', () => {
    for (const o of [{ cipherSuites: DEFAULT_CIPHER_SUITES }, { honorCipherOrder: false }, { honorCipherOrder: true }, { cipherSuites: [CHACHA, AES_128], honorCipherOrder: true }]) {
      const c = ctx(o);
      expect(c.aeadPreference, JSON.stringify(o)).toBe('order');
      expect(c.aeadSpeedOrder).toBeNull();
    }
    expect(ctx({}).aeadPreference).toBe('speed');
  });

  it('and the server then follows the order: the client\'s AES_128 first', () => {
    expect(chosen({ cipherSuites: DEFAULT_CIPHER_SUITES }, { cipherSuites: [AES_128, CHACHA, AES_256] })).toBe(AES_128);
    expect(chosen({ honorCipherOrder: false }, { cipherSuites: [AES_128, CHACHA, AES_256] })).toBe(AES_128);
  });

  it("an explicit aeadPreference wins: 'speed' with cipherSuites and honorCipherOrder", () => {
    const server = { cipherSuites: [AES_128, AES_256, CHACHA], honorCipherOrder: true, aeadPreference: 'speed' } as const;
    expect(ctx(server).aeadPreference).toBe('speed');
    expect(chosen(server, { cipherSuites: [AES_128, CHACHA, AES_256] })).toBe(CHACHA);
  });
});

describe('a provider whose speed order puts AES-GCM first', () => {
  const AES_FIRST = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as const;

  it('AES_128 even when the client lists ChaCha first (TLS 1.3 and TLS 1.2)', () => {
    const provider = withSpeedOrder(AES_FIRST);
    expect(new TlsContext({ certificate: serverCert(chain), provider }).aeadSpeedOrder).toEqual(AES_FIRST);
    expect(chosen({ provider }, { cipherSuites: [CHACHA, AES_256, AES_128] })).toBe(AES_128);
    const tls12 = [C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    expect(chosen({ provider, maxVersion: TLS12 }, { maxVersion: TLS12, cipherSuites: tls12 })).toBe(C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
  });

  it('the node:crypto provider has that order', () => {
    const provider = nodeCryptoProvider();
    expect(provider.aeadSpeedOrder).toEqual(AES_FIRST);
    expect(chosen({ provider }, { cipherSuites: [CHACHA, AES_256, AES_128] })).toBe(AES_128);
    // Without AES-128 offered, the next of its order.
    expect(chosen({ provider }, { cipherSuites: [CHACHA, AES_256] })).toBe(AES_256);
  });
});

describe('a provider without aeadSpeedOrder: the order rule', () => {
  it("'speed' on the context, but no speed order to apply", () => {
    const c = new TlsContext({ certificate: serverCert(chain), provider: withoutSpeedOrder() });
    expect(c.aeadPreference).toBe('speed');
    expect(c.aeadSpeedOrder).toBeNull();
  });

  it("the client's order; ours with honorCipherOrder", () => {
    expect(chosen({ provider: withoutSpeedOrder() }, { cipherSuites: [AES_256, CHACHA, AES_128] })).toBe(AES_256);
    expect(chosen({ provider: withoutSpeedOrder() }, { cipherSuites: [AES_128, CHACHA, AES_256] })).toBe(AES_128);
    const ours = { provider: withoutSpeedOrder(), aeadPreference: 'speed', cipherSuites: [AES_256, AES_128, CHACHA], honorCipherOrder: true } as const;
    expect(chosen(ours, { cipherSuites: [CHACHA, AES_128, AES_256] })).toBe(AES_256);
  });
});

describe('aeadPreference is checked', () => {
  it("'fast' (or anything but 'speed' and 'order') is a TypeError naming the option", () => {
    for (const bad of ['fast', 'SPEED', '', 1, null]) {
      expect(() => new TlsContext({ certificate: serverCert(chain), aeadPreference: bad as unknown as 'speed' })).toThrow(TypeError);
    }
    expect(() => new TlsContext({ certificate: serverCert(chain), aeadPreference: 'fast' as unknown as 'speed' })).toThrow(/aeadPreference/);
  });
});
