/**
 * TLS 1.2 interoperability of puretls with itself across every TLS 1.2 suite,
 * every ECDHE group, every certificate type that fits the suite (RFC 8422
 * §5.3: ECDSA suites take EC or EdDSA keys, RSA suites RSA keys) and every
 * RSA signature scheme (RFC 5246 §7.4.1.4.1); the NSS key log; and the
 * version chosen for each client/server version range (RFC 8446 §4.2.1,
 * RFC 5246 Appendix E.1).
 */
import { createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { CipherSuite, HandshakeType, NamedGroup, SignatureScheme } from '../../src/common/constants.js';
import { AlertDescription } from '../../src/common/errors.js';
import { suiteInfo } from '../../src/crypto/suites.js';
import type { Connection } from '../../src/ssl/connection.js';
import type { Chain, KeyType } from '../helpers/keys.js';
import { chainFor, drive, driveExpectingError, handshake, makePair, serverCert, verifierFor, type Pair } from '../helpers/pair.js';
import { ServerKeyExchangeEcdhe } from '../../src/messages/messages12.js';
import { checkFatal, dec, enc, pair12, plainMessages, TLS12, TLS13, watch } from './support12.js';
import { TlsError } from '../../src/common/errors.js';

const chains = new Map<KeyType, Chain>();
beforeAll(async () => {
  for (const k of ['rsa2048', 'p256', 'p384', 'ed25519'] as const) chains.set(k, await chainFor(k));
});
const chain = (k: KeyType): Chain => chains.get(k)!;

const C = CipherSuite;
const ECDSA_SUITES: number[] = [C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
const RSA_SUITES: number[] = [C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256];
const GROUPS = { x25519: NamedGroup.x25519, secp256r1: NamedGroup.secp256r1, secp384r1: NamedGroup.secp384r1, secp521r1: NamedGroup.secp521r1 } as const;
const S = SignatureScheme;
const RSA_SCHEMES = { rsa_pss_rsae_sha256: S.rsa_pss_rsae_sha256, rsa_pss_rsae_sha384: S.rsa_pss_rsae_sha384, rsa_pss_rsae_sha512: S.rsa_pss_rsae_sha512, rsa_pkcs1_sha256: S.rsa_pkcs1_sha256, rsa_pkcs1_sha384: S.rsa_pkcs1_sha384, rsa_pkcs1_sha512: S.rsa_pkcs1_sha512 } as const;
/** The scheme an EC/EdDSA leaf signs with. */
const EC_SCHEME: Record<'p256' | 'p384' | 'ed25519', number> = { p256: S.ecdsa_secp256r1_sha256, p384: S.ecdsa_secp384r1_sha384, ed25519: S.ed25519 };

const CERT_CURVE: Partial<Record<KeyType, number>> = { p256: NamedGroup.secp256r1, p384: NamedGroup.secp384r1 };

const KEYLOG_12 = /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/;

/**
 * A full TLS 1.2 handshake for (suite, group, key type, scheme) and all that
 * must hold after it: both ends agree on every negotiated field, data flows
 * both ways, the exporters agree, the Finished values cross, the key logs are
 * one identical CLIENT_RANDOM line whose random is the ClientHello's.
 */
function checkHandshake(suite: number, group: number, keyType: KeyType, scheme: number, schemesOffered?: number[]): void {
  const c = chain(keyType);
  // RFC 8422 §5.1.1: the client also lists the curve of an ECDSA certificate; the server's one group decides the key exchange.
  const curve = CERT_CURVE[keyType];
  const clientGroups = curve === undefined || curve === group ? [group] : [group, curve];
  const p = pair12(c, { cipherSuites: [suite], groups: [group] }, { cipherSuites: [suite], groups: clientGroups, ...(schemesOffered ? { signatureSchemes: schemesOffered } : {}) });
  const cw = watch(p.client);
  const sw = watch(p.server);
  p.client.doHandshake();
  const hello = p.client.takeOutgoing()!;
  p.server.receive(hello);
  drive(p.client, p.server);
  expect(p.client.negotiated.group).toBe(group);
  for (const conn of [p.client, p.server]) {
    expect(conn.handshakeComplete).toBe(true);
    expect(conn.handshaking).toBe(false);
    expect(conn.protocol).toBe('TLSv1.2');
    expect(conn.negotiated.version).toBe(TLS12);
    expect(conn.cipherSuite).toBe(suiteInfo(suite));
    expect(conn.negotiated.group).toBe(group);
    expect(conn.negotiated.extendedMasterSecret).toBe(true);
    expect(conn.negotiated.secureRenegotiation).toBe(true);
    expect(conn.isSessionReused).toBe(false);
    expect(conn.failure).toBeNull();
  }
  expect(p.server.negotiated.signatureScheme).toBe(scheme);
  expect(p.client.negotiated.peerSignatureScheme).toBe(scheme);
  expect(p.client.peerCertificates[0]).toEqual(new Uint8Array(c.leaf.certDer));
  expect(p.client.peerVerification?.authorized).toBe(true);
  expect(p.server.negotiated.serverName).toBe('localhost');
  // The Finished values cross (node's getFinished / getPeerFinished), 12 bytes each (RFC 5246 §7.4.9).
  expect(p.client.negotiated.finished).toHaveLength(12);
  expect(p.client.negotiated.finished).toEqual(p.server.negotiated.peerFinished);
  expect(p.server.negotiated.finished).toEqual(p.client.negotiated.peerFinished);
  expect(p.client.negotiated.finished).not.toEqual(p.server.negotiated.finished);
  // Messages of a full handshake (RFC 5246 §7.3); the server's default ticket (RFC 5077 §3.3) goes before its CCS and Finished.
  expect(cw.sent).toEqual([1, 16, 20]);
  expect(sw.sent).toEqual([2, 11, 12, 14, 4, 20]);
  expect(cw.received).toEqual(sw.sent);
  expect(sw.received).toEqual(cw.sent);
  expect(cw.handshakes).toBe(1);
  expect(sw.handshakes).toBe(1);
  // NSS key log: one identical line each, CLIENT_RANDOM <client random> <48-byte master secret>.
  expect(cw.keylog).toHaveLength(1);
  expect(cw.keylog[0]).toMatch(KEYLOG_12);
  expect(sw.keylog).toEqual(cw.keylog);
  // The client random is the ClientHello's (record 5 + handshake header 4 + legacy_version 2).
  expect(cw.keylog[0]!.split(' ')[1]).toBe(Buffer.from(hello.subarray(11, 43)).toString('hex'));
  // Data both ways, then the RFC 5705 exporter.
  roundTrip(p.client, p.server, 'ping');
  roundTrip(p.server, p.client, 'pong');
  const big = new Uint8Array(17_000).map((_, i) => i * 7);
  p.server.write(big);
  drive(p.client, p.server);
  expect(p.client.read()).toEqual(big);
  for (const [label, ctx] of [['EXPORTER-test', undefined], ['EXPORTER-test', new Uint8Array(0)], ['EXPORTER-test', enc('ctx')]] as const) {
    const a = p.client.exportKeyingMaterial(42, label, ctx);
    expect(a).toEqual(p.server.exportKeyingMaterial(42, label, ctx));
  }
  // RFC 5705 §4: no context and an empty context differ.
  expect(p.client.exportKeyingMaterial(16, 'EXPORTER-test')).not.toEqual(p.client.exportKeyingMaterial(16, 'EXPORTER-test', new Uint8Array(0)));
}

function roundTrip(a: Connection, b: Connection, text: string): void {
  a.write(enc(text));
  drive(a, b);
  expect(dec(b.read())).toBe(text);
}

describe('every ECDSA suite × group × EC/EdDSA certificate (RFC 8422)', () => {
  for (const suite of ECDSA_SUITES) {
    for (const [gname, group] of Object.entries(GROUPS)) {
      for (const keyType of ['p256', 'p384', 'ed25519'] as const) {
        it(`${suiteInfo(suite)!.name} over ${gname} with a ${keyType} certificate`, () => {
          checkHandshake(suite, group, keyType, EC_SCHEME[keyType]);
        });
      }
    }
  }
});

describe('every RSA suite × group × RSA signature scheme', () => {
  const schemes = Object.entries(RSA_SCHEMES);
  for (const suite of RSA_SUITES) {
    // Every group (the scheme rotating through the list) ...
    Object.entries(GROUPS).forEach(([gname, group], i) => {
      const [sname, scheme] = schemes[(RSA_SUITES.indexOf(suite) * 4 + i) % schemes.length]!;
      it(`${suiteInfo(suite)!.name} over ${gname}, rsa2048 certificate signing with ${sname}`, () => {
        checkHandshake(suite, group, 'rsa2048', scheme, [scheme]);
      });
    });
    // ... and every scheme.
    for (const [sname, scheme] of schemes) {
      it(`${suiteInfo(suite)!.name} over x25519, rsa2048 certificate signing with ${sname} (the only scheme offered)`, () => {
        checkHandshake(suite, NamedGroup.x25519, 'rsa2048', scheme, [scheme]);
      });
    }
  }

  it('with the default offer the server signs with its first RSA scheme: rsa_pss_rsae_sha256', () => {
    checkHandshake(C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, NamedGroup.x25519, 'rsa2048', S.rsa_pss_rsae_sha256);
  });
});

describe('suite selection by certificate type and preference', () => {
  const both = [...RSA_SUITES, ...ECDSA_SUITES];
  it('an RSA server skips the ECDSA suites the client prefers', () => {
    const p = pair12(chain('rsa2048'), { cipherSuites: both }, { cipherSuites: [...ECDSA_SUITES, ...RSA_SUITES] });
    handshake(p);
    expect(p.client.cipherSuite?.id).toBe(C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
  });
  it('an ECDSA server skips the RSA suites the client prefers', () => {
    const p = pair12(chain('p256'), { cipherSuites: both }, { cipherSuites: [...RSA_SUITES].reverse().concat(ECDSA_SUITES) });
    handshake(p);
    expect(p.client.cipherSuite?.id).toBe(C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
  });
  it("the client's order decides by default, the server's with honorCipherOrder", () => {
    const clientOrder = [C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384];
    const serverOrder = [C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    const a = pair12(chain('p256'), { cipherSuites: serverOrder }, { cipherSuites: clientOrder });
    handshake(a);
    expect(a.server.cipherSuite?.id).toBe(clientOrder[0]);
    const b = pair12(chain('p256'), { cipherSuites: serverOrder, honorCipherOrder: true }, { cipherSuites: clientOrder });
    handshake(b);
    expect(b.server.cipherSuite?.id).toBe(serverOrder[0]);
  });
  it('the server takes its first group the client offers (RFC 8422 §5.1.1)', () => {
    // The client lists secp256r1 last, for the server's P-256 certificate; the server does not use it for the key exchange.
    const p = pair12(chain('p256'), { groups: [NamedGroup.secp384r1, NamedGroup.x25519] }, { groups: [NamedGroup.x25519, NamedGroup.secp384r1, NamedGroup.secp256r1] });
    handshake(p);
    expect(p.client.negotiated.group).toBe(NamedGroup.secp384r1);
    expect(p.server.negotiated.group).toBe(NamedGroup.secp384r1);
  });
  it('an ECDSA-only server meeting an RSA-suites-only client: handshake_failure at the server', () => {
    const p = pair12(chain('p256'), { cipherSuites: ECDSA_SUITES }, { cipherSuites: RSA_SUITES });
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    checkFatal(p.server, error as TlsError, 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { conn: p.client });
  });
  it('no group in common: handshake_failure at the server', () => {
    const p = pair12(chain('p256'), { groups: [NamedGroup.secp521r1] }, { groups: [NamedGroup.x25519] });
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    checkFatal(p.server, error as TlsError, 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { conn: p.client });
  });
  it('no signature scheme in common with the server key: handshake_failure at the server', () => {
    // In TLS 1.2 any ECDSA scheme fits any EC key (see below), so the client offers none.
    const p = pair12(chain('p384'), {}, { signatureSchemes: [S.ed25519, S.rsa_pss_rsae_sha256, S.rsa_pkcs1_sha256] });
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    checkFatal(p.server, error as TlsError, 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { conn: p.client });
  });
  it('ALPN is negotiated in TLS 1.2 too', () => {
    const p = pair12(chain('p256'), { alpnProtocols: ['h2', 'http/1.1'] }, { alpnProtocols: ['http/1.1', 'h2'] });
    handshake(p);
    expect(p.client.alpnProtocol).toBe('h2');
    expect(p.server.alpnProtocol).toBe('h2');
  });
});

describe("an ECDSA certificate's curve (RFC 8422 §5.1.1) and the TLS 1.2 meaning of ECDSA schemes (RFC 5246 §7.4.1.4.1)", () => {
  const ECDSA_128 = C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
  const refusedAtServer = (keyType: KeyType, clientGroups: number[]) => {
    const p = pair12(chain(keyType), {}, { groups: clientGroups });
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    const err = checkFatal(p.server, error as TlsError, 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { conn: p.client });
    expect(err.message).toContain("our ECDSA certificate's curve is not in the client's supported_groups");
    expect(p.server.negotiated.suite).toBeUndefined(); // refused before any suite was chosen
  };
  it('a server with a P-256 certificate, a client whose supported_groups is [x25519] only: handshake_failure at the server (OpenSSL: no shared cipher)', () => {
    refusedAtServer('p256', [NamedGroup.x25519]);
  });
  it("a server with a P-384 certificate, a client listing x25519 and secp256r1 but not secp384r1: handshake_failure at the server", () => {
    refusedAtServer('p384', [NamedGroup.x25519, NamedGroup.secp256r1]);
  });
  it('an Ed25519 certificate has no curve to check: a client with [x25519] only connects', () => {
    const p = pair12(chain('ed25519'), {}, { groups: [NamedGroup.x25519] });
    handshake(p);
    expect(p.client.negotiated.version).toBe(TLS12);
    expect(p.client.negotiated.peerSignatureScheme).toBe(S.ed25519);
  });
  it('a P-256 server and a client that offers TLS 1.3 too with [x25519] only: TLS 1.3 is negotiated (the curve check is TLS 1.2 only)', () => {
    const c = chain('p256');
    const p = makePair({ certificate: serverCert(c) }, { verifier: verifierFor(c), groups: [NamedGroup.x25519] });
    handshake(p);
    expect(p.client.negotiated.version).toBe(TLS13);
    expect(p.client.negotiated.peerSignatureScheme).toBe(S.ecdsa_secp256r1_sha256);
  });
  it('a P-384 certificate signs with ecdsa_secp256r1_sha256 when the client offers only that scheme: ECDSA with SHA-256 on P-384 (TLS 1.2 names the hash only)', () => {
    checkHandshake(ECDSA_128, NamedGroup.x25519, 'p384', S.ecdsa_secp256r1_sha256, [S.ecdsa_secp256r1_sha256]);
  });
  it('... and that ServerKeyExchange signature is ECDSA with SHA-256 by the P-384 key (checked with node:crypto)', () => {
    const c = chain('p384');
    const p = pair12(c, { cipherSuites: [ECDSA_128] }, { cipherSuites: [ECDSA_128], signatureSchemes: [S.ecdsa_secp256r1_sha256] });
    p.client.doHandshake();
    const helloFlight = p.client.takeOutgoing()!;
    p.server.receive(helloFlight);
    const flight = p.server.takeOutgoing()!;
    const ch = plainMessages(helloFlight)[0]!;
    const [sh, cert, skeRaw, shd] = plainMessages(flight);
    expect([sh![0], cert![0], skeRaw![0], shd![0]]).toEqual([HandshakeType.server_hello, HandshakeType.certificate, HandshakeType.server_key_exchange, HandshakeType.server_hello_done]);
    const ske = ServerKeyExchangeEcdhe.decode(skeRaw!.subarray(4));
    expect(ske.scheme).toBe(S.ecdsa_secp256r1_sha256);
    // RFC 8422 §5.4: the signature covers client random, server random and the ECDH params.
    const signed = concat(ch.subarray(6, 38), sh!.subarray(6, 38), ske.params());
    const key = createPublicKey(c.leaf.certPem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(verify('sha256', signed, { key, dsaEncoding: 'der' }, ske.signature)).toBe(true);
    expect(verify('sha384', signed, { key, dsaEncoding: 'der' }, ske.signature)).toBe(false);
    p.client.receive(flight);
    drive(p.client, p.server);
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    expect(p.client.negotiated.peerSignatureScheme).toBe(S.ecdsa_secp256r1_sha256);
  });
  it('a P-256 certificate signs with ecdsa_secp384r1_sha384 when the client offers only that scheme', () => {
    checkHandshake(ECDSA_128, NamedGroup.x25519, 'p256', S.ecdsa_secp384r1_sha384, [S.ecdsa_secp384r1_sha384]);
  });
  it("offered both, a P-384 certificate prefers the scheme of its own curve (ecdsa_secp384r1_sha384), although the server's list puts ecdsa_secp256r1_sha256 first", () => {
    checkHandshake(ECDSA_128, NamedGroup.x25519, 'p384', S.ecdsa_secp384r1_sha384, [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384]);
  });
  it('in TLS 1.3 the scheme names the curve: a P-384 certificate and a client offering only ecdsa_secp256r1_sha256 fail with handshake_failure at the server', () => {
    const c = chain('p384');
    const p = makePair({ certificate: serverCert(c) }, { verifier: verifierFor(c), minVersion: TLS13, signatureSchemes: [S.ecdsa_secp256r1_sha256] });
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    checkFatal(p.server, error as TlsError, 'ERR_TLS_HANDSHAKE_FAILURE', AlertDescription.handshake_failure, { conn: p.client });
  });
});

describe('version selection: client min/max × server min/max', () => {
  const ranges = { '1.2 only': [TLS12, TLS12], '1.2-1.3': [TLS12, TLS13], '1.3 only': [TLS13, TLS13] } as const;
  const expected = (c: readonly [number, number], s: readonly [number, number]): number | 'protocol_version' => {
    const hi = Math.min(c[1], s[1]);
    const lo = Math.max(c[0], s[0]);
    return hi >= lo ? hi : 'protocol_version';
  };
  for (const [cn, cr] of Object.entries(ranges)) {
    for (const [sn, sr] of Object.entries(ranges)) {
      const want = expected(cr, sr);
      it(`client ${cn} × server ${sn} → ${want === 'protocol_version' ? 'protocol_version at the server' : want === TLS13 ? 'TLS 1.3' : 'TLS 1.2'}`, () => {
        const c = chain('p256');
        const p: Pair = makePair({ certificate: serverCert(c), minVersion: sr[0], maxVersion: sr[1] }, { verifier: verifierFor(c), minVersion: cr[0], maxVersion: cr[1] });
        p.client.doHandshake();
        if (want === 'protocol_version') {
          const { side, error } = driveExpectingError(p.client, p.server);
          expect(side).toBe('b');
          checkFatal(p.server, error as TlsError, 'ERR_TLS_PROTOCOL_VERSION', AlertDescription.protocol_version, { conn: p.client });
          return;
        }
        drive(p.client, p.server);
        expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
        expect(p.client.negotiated.version).toBe(want);
        expect(p.server.negotiated.version).toBe(want);
        expect(p.client.protocol).toBe(want === TLS13 ? 'TLSv1.3' : 'TLSv1.2');
        roundTrip(p.client, p.server, 'v');
      });
    }
  }

  it('a TLS 1.3 client meeting a TLS 1.2-only server negotiates TLS 1.2 (no downgrade sentinel from a server that cannot do 1.3)', () => {
    const c = chain('p256');
    const p = makePair({ certificate: serverCert(c), maxVersion: TLS12 }, { verifier: verifierFor(c) });
    handshake(p);
    expect(p.client.protocol).toBe('TLSv1.2');
    expect(p.client.cipherSuite?.version).toBe('1.2');
  });
  it('a client whose cipherSuites has no TLS 1.2 suite speaks TLS 1.3 only (minVersion raised)', () => {
    const c = chain('p256');
    const p = makePair({ certificate: serverCert(c), maxVersion: TLS12 }, { verifier: verifierFor(c), cipherSuites: [C.TLS_AES_128_GCM_SHA256] });
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    checkFatal(p.server, error as TlsError, 'ERR_TLS_PROTOCOL_VERSION', AlertDescription.protocol_version, { conn: p.client });
  });
});
