/**
 * Hostile and broken TLS 1.2 peers: every case fails on the right side with
 * the exact code and alert (RFC 5246 §7.2, RFC 8446 §4.1.3, RFC 7507,
 * RFC 8422), the other side receives that alert, and nothing is a bug. The
 * peer is simulated by rewriting our own client's or server's messages in
 * flight (plaintext surgery, or a man in the middle that knows the keys).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../src/common/constants.js';
import { AlertDescription, AlertLevel } from '../../src/common/errors.js';
import { thrownTlsError } from '../helpers/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { schemeAlgorithm } from '../../src/handshake/sigschemes.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ServerHello, DOWNGRADE_TLS12 } from '../../src/messages/hello.js';
import { findExtension, makeExtension } from '../../src/messages/extensions.js';
import { EcPointFormatsExt, SupportedGroupsExt } from '../../src/messages/index.js';
import { Certificate12, ClientKeyExchangeEcdhe, ServerKeyExchangeEcdhe } from '../../src/messages/messages12.js';
import { CertificateVerify, Finished } from '../../src/messages/messages13.js';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain, KeyType } from '../helpers/keys.js';
import { certifiedKey, chainFor, drive, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';
import {
  CCS_RECORD,
  checkFatal,
  dec,
  editClientHello,
  enc,
  expectFatal12,
  failsAt as failsAtWith,
  flipByte,
  Mitm12,
  onClientHello,
  onMessageOf,
  onServerHello,
  pair12,
  plainMessages,
  plainRecord,
  records,
  TLS12,
  TLS13,
  watch,
  without,
  type MitmOptions,
} from './support12.js';

const chains = new Map<KeyType, Chain>();
beforeAll(async () => {
  for (const k of ['p256', 'p384', 'ed25519', 'rsa2048'] as const) chains.set(k, await chainFor(k));
});
const chain = (k: KeyType = 'p256'): Chain => chains.get(k)!;

const A = AlertDescription;
const isType = (raw: Uint8Array, type: number) => raw[0] === type;

/**
 * A pair through a man in the middle with `hooks`; the handshake must fail
 * on `side` with `code`/`alert`, and the other side must receive that alert.
 */
/** support12's failsAt with this file's chains by key type. */
const failsAt = (
  side: 'client' | 'server',
  code: string,
  alert: number,
  hooks: MitmOptions,
  server: TlsContextOptions = {},
  client: TlsContextOptions = {},
  keyType: KeyType = 'p256',
) => failsAtWith(chain(keyType), side, code, alert, hooks, server, client);
const onMessage = onMessageOf;

describe('version negotiation attacks', () => {
  it('downgrade sentinel: a TLS 1.3 client that gets a TLS 1.2 ServerHello whose random ends DOWNGRD\\x01 fails with illegal_parameter (RFC 8446 §4.1.3)', () => {
    let random: Uint8Array | undefined;
    const p = failsAt(
      'client',
      'ERR_TLS_ILLEGAL_PARAMETER',
      A.illegal_parameter,
      {
        onMessage: (dir, raw) => {
          // The attacker strips supported_versions, so our 1.3-capable server answers TLS 1.2 (with the sentinel).
          if (dir === 'c2s' && isType(raw, HandshakeType.client_hello)) return editClientHello(raw, (ch) => ({ extensions: without(ch.extensions, ExtensionType.supported_versions) }));
          if (dir === 's2c' && isType(raw, HandshakeType.server_hello)) random = ServerHello.decode(raw.subarray(4)).random;
          return raw;
        },
      },
      {},
      { maxVersion: TLS13 },
    );
    expect([...random!.subarray(24)]).toEqual([...DOWNGRADE_TLS12]);
    expect(Buffer.from(random!.subarray(24)).toString('latin1')).toBe('DOWNGRD\x01');
    expect(p.server.negotiated.version).toBe(TLS12);
  });

  it('a TLS 1.2-only client accepts the sentinel from a TLS 1.3-capable server (only TLS 1.3 clients check it)', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const flight = p.server.takeOutgoing()!;
    const sh = ServerHello.decode(plainMessages(flight)[0]!.subarray(4));
    expect([...sh.random.subarray(24)]).toEqual([...DOWNGRADE_TLS12]);
    p.client.receive(flight);
    drive(p.client, p.server);
    expect(p.client.handshakeComplete).toBe(true);
  });

  it('a server that cannot speak TLS 1.3 sets no sentinel', () => {
    const p = pair12(chain(), { maxVersion: TLS12 });
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const sh = ServerHello.decode(plainMessages(p.server.takeOutgoing()!)[0]!.subarray(4));
    expect([...sh.random.subarray(24)]).not.toEqual([...DOWNGRADE_TLS12]);
  });

  it('TLS_FALLBACK_SCSV from a client limited to TLS 1.2, at a server that speaks TLS 1.3: inappropriate_fallback (RFC 7507 §3)', () => {
    const p = failsAt('server', 'ERR_TLS_INAPPROPRIATE_FALLBACK', A.inappropriate_fallback, {}, {}, { sendFallbackScsv: true });
    expect(p.m.seen.c2s).toEqual([HandshakeType.client_hello]);
  });

  it('TLS_FALLBACK_SCSV at a server whose best version is TLS 1.2: the handshake works', () => {
    const p = pair12(chain(), { maxVersion: TLS12 }, { sendFallbackScsv: true });
    p.client.doHandshake();
    const hello = p.client.takeOutgoing()!;
    expect(Buffer.from(hello).includes(Buffer.from([0x56, 0x00]))).toBe(true);
    p.server.receive(hello);
    drive(p.client, p.server);
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
  });

  for (const version of [0x0300, 0x0301, 0x0302]) {
    it(`a ClientHello with legacy_version 0x${version.toString(16).padStart(4, '0')} and no supported_versions: protocol_version`, () => {
      failsAt('server', 'ERR_TLS_PROTOCOL_VERSION', A.protocol_version, onClientHello(() => ({ version })));
    });
  }

  it('a ClientHello with legacy_version 0x0304 and no supported_versions is answered with TLS 1.2 (RFC 8446 §4.2.1)', () => {
    const p = pair12(chain());
    const m = new Mitm12(p.client, p.server, { ...onClientHello(() => ({ version: 0x0304 })), fixFinished: true });
    p.client.doHandshake();
    m.drive();
    expect(p.server.negotiated.version).toBe(TLS12);
    expect(p.client.handshakeComplete).toBe(true);
  });

  for (const version of [0x0301, 0x0302, 0x0304]) {
    it(`a ServerHello with version 0x${version.toString(16).padStart(4, '0')} (no supported_versions): protocol_version at the client`, () => {
      failsAt('client', 'ERR_TLS_PROTOCOL_VERSION', A.protocol_version, onServerHello(() => ({ version })));
    });
  }
});

describe('ClientHello offers the server cannot accept', () => {
  it('only CBC, static-RSA and DHE suites: handshake_failure', () => {
    // TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    failsAt('server', 'ERR_TLS_HANDSHAKE_FAILURE', A.handshake_failure, onClientHello(() => ({ suites: [0x002f, 0x009c, 0x009e, 0xc009, 0x00ff] })));
  });
  it('no signature_algorithms (the SHA-1 default): handshake_failure', () => {
    failsAt('server', 'ERR_TLS_HANDSHAKE_FAILURE', A.handshake_failure, onClientHello((ch) => ({ extensions: without(ch.extensions, ExtensionType.signature_algorithms) })));
  });
  it('ec_point_formats without uncompressed: illegal_parameter (RFC 8422 §5.1.2)', () => {
    failsAt('server', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onClientHello((ch) => ({ extensions: ch.extensions.map((e) => (e.type === ExtensionType.ec_point_formats ? makeExtension(EcPointFormatsExt, [1, 2]) : e)) })));
  });
  it('compression methods without null: handshake_failure (RFC 5246 §7.4.1.2)', () => {
    failsAt('server', 'ERR_TLS_HANDSHAKE_FAILURE', A.handshake_failure, onClientHello(() => ({ compression: new Uint8Array([1]) })));
  });
  it('compression methods [deflate, null] are fine: null is chosen', () => {
    const p = pair12(chain());
    const m = new Mitm12(p.client, p.server, { ...onClientHello(() => ({ compression: new Uint8Array([1, 0]) })), fixFinished: true });
    p.client.doHandshake();
    m.drive();
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
  });
  it('supported_groups without an elliptic curve we speak: handshake_failure', () => {
    failsAt('server', 'ERR_TLS_HANDSHAKE_FAILURE', A.handshake_failure, {}, {}, { groups: [NamedGroup.ffdhe2048], maxVersion: TLS12 });
  });
});

describe('ServerHello and server flight the client cannot accept', () => {
  it('ec_point_formats without uncompressed: illegal_parameter', () => {
    failsAt('client', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onServerHello((sh) => ({ extensions: sh.extensions.map((e) => (e.type === ExtensionType.ec_point_formats ? makeExtension(EcPointFormatsExt, [1]) : e)) })));
  });
  it('a compression method other than null: illegal_parameter', () => {
    failsAt('client', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onServerHello(() => ({ compression: 1 })));
  });
  it('a suite the client did not offer: illegal_parameter', () => {
    failsAt('client', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onServerHello(() => ({ suite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 })), {}, { cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] });
  });
  it('a TLS 1.3 suite in a TLS 1.2 ServerHello (to a client that offered both versions): illegal_parameter', () => {
    failsAt('client', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onServerHello(() => ({ suite: CipherSuite.TLS_AES_128_GCM_SHA256 })), { maxVersion: TLS12 }, { maxVersion: TLS13 });
  });
  const keyShareExt = { type: ExtensionType.key_share, data: new Uint8Array([0, 0x1d, 0, 0]) };
  it('an extension the client did not request (status_request): unsupported_extension (RFC 5246 §7.4.1.4)', () => {
    failsAt('client', 'ERR_TLS_UNSUPPORTED_EXTENSION', A.unsupported_extension, onServerHello((sh) => ({ extensions: [...sh.extensions, { type: ExtensionType.status_request, data: new Uint8Array(0) }] })));
  });
  // A TLS 1.2 ClientHello asks for a ticket by default (RFC 5077 §3.2; see tickets.test.ts); sessionTickets: false does not.
  it('session_ticket to a client that did not request it (sessionTickets: false): unsupported_extension', () => {
    failsAt('client', 'ERR_TLS_UNSUPPORTED_EXTENSION', A.unsupported_extension, onServerHello((sh) => ({ extensions: [...sh.extensions, { type: ExtensionType.session_ticket, data: new Uint8Array(0) }] })), { ticketCodec: null }, { sessionTickets: false });
  });
  it('an extension not allowed in a TLS 1.2 ServerHello (key_share), even at a TLS 1.2-only client: illegal_parameter (RFC 8446 §4.2; OpenSSL answers the same)', () => {
    failsAt('client', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onServerHello((sh) => ({ extensions: [...sh.extensions, keyShareExt] })));
  });
  it('key_share, offered by a TLS 1.3-capable client, in a TLS 1.2 ServerHello: illegal_parameter (not allowed there, RFC 8446 §4.2)', () => {
    failsAt('client', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onServerHello((sh) => ({ extensions: [...sh.extensions, keyShareExt] })), { maxVersion: TLS12 }, { maxVersion: TLS13 });
  });
  it('an EC certificate for an RSA suite: unsupported_certificate (RFC 8422 §5.3)', () => {
    const both = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
    failsAt('client', 'ERR_TLS_UNSUPPORTED_CERTIFICATE', A.unsupported_certificate, onServerHello(() => ({ suite: both[1] })), {}, { cipherSuites: both });
  });
  it('an empty server Certificate: decode_error', () => {
    failsAt('client', 'ERR_TLS_DECODE', A.decode_error, onMessage('s2c', HandshakeType.certificate, () => encodeHandshake(new Certificate12([]))));
  });

  for (const keyType of ['p256', 'ed25519', 'rsa2048'] as const) {
    it(`a ServerKeyExchange with a bad signature (${keyType}): decrypt_error`, () => {
      // The last byte of the signature (of a DER ECDSA signature: of its s).
      failsAt('client', 'ERR_TLS_DECRYPT_ERROR', A.decrypt_error, onMessage('s2c', HandshakeType.server_key_exchange, (raw) => flipByte(raw, -1)), {}, {}, keyType);
    });
  }
  it('a ServerKeyExchange whose signed params were changed (the public key): decrypt_error', () => {
    failsAt('client', 'ERR_TLS_DECRYPT_ERROR', A.decrypt_error, onMessage('s2c', HandshakeType.server_key_exchange, (raw) => flipByte(raw, 4 + 4 + 3)));
  });
  it('a ServerKeyExchange signed with a scheme the client did not offer: illegal_parameter', () => {
    failsAt(
      'client',
      'ERR_TLS_ILLEGAL_PARAMETER',
      A.illegal_parameter,
      onMessage('s2c', HandshakeType.server_key_exchange, (raw) => {
        const ske = ServerKeyExchangeEcdhe.decode(raw.subarray(4));
        return encodeHandshake(new ServerKeyExchangeEcdhe(ske.group, ske.publicKey, SignatureScheme.ecdsa_secp384r1_sha384, ske.signature));
      }),
      {},
      { signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256] },
    );
  });
  // The client lists secp256r1 too: the curve of the server's P-256 certificate (RFC 8422 §5.1.1), not a key exchange group of the server's.
  it('a ServerKeyExchange for a group the client did not offer: illegal_parameter (RFC 8422 §5.4)', () => {
    failsAt(
      'client',
      'ERR_TLS_ILLEGAL_PARAMETER',
      A.illegal_parameter,
      onMessage('s2c', HandshakeType.server_key_exchange, (raw) => {
        const ske = ServerKeyExchangeEcdhe.decode(raw.subarray(4));
        expect(ske.group).toBe(NamedGroup.x25519);
        return encodeHandshake(new ServerKeyExchangeEcdhe(NamedGroup.secp384r1, ske.publicKey, ske.scheme, ske.signature));
      }),
      { groups: [NamedGroup.x25519] },
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1] },
    );
  });
  it('a ServerKeyExchange for a finite-field group the client offered (for TLS 1.3): illegal_parameter', () => {
    failsAt(
      'client',
      'ERR_TLS_ILLEGAL_PARAMETER',
      A.illegal_parameter,
      onMessage('s2c', HandshakeType.server_key_exchange, (raw) => {
        const ske = ServerKeyExchangeEcdhe.decode(raw.subarray(4));
        expect(ske.group).toBe(NamedGroup.x25519);
        return encodeHandshake(new ServerKeyExchangeEcdhe(NamedGroup.ffdhe2048, ske.publicKey, ske.scheme, ske.signature));
      }),
      { groups: [NamedGroup.x25519] },
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.ffdhe2048] },
    );
  });
  it("a P-384 server certificate when the client's supported_groups lacks secp384r1 (the middle added it to the ClientHello the server saw): illegal_parameter at the Certificate, before any Finished (RFC 8422 §5.1.1)", () => {
    const received: number[] = [];
    const p = failsAt(
      'client',
      'ERR_TLS_ILLEGAL_PARAMETER',
      A.illegal_parameter,
      {
        onMessage: (dir, raw) => {
          if (dir === 's2c') received.push(raw[0]!);
          if (dir !== 'c2s' || !isType(raw, HandshakeType.client_hello)) return raw;
          return editClientHello(raw, (ch) => {
            expect(findExtension(ch.extensions, SupportedGroupsExt)).toEqual([NamedGroup.x25519, NamedGroup.secp256r1]);
            return { extensions: ch.extensions.map((e) => (e.type === ExtensionType.supported_groups ? makeExtension(SupportedGroupsExt, [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) : e)) };
          });
        },
      },
      {},
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1] },
      'p384',
    );
    // The server accepted the rewritten offer and sent its whole flight; the client stopped at the Certificate.
    expect(received).toEqual([HandshakeType.server_hello, HandshakeType.certificate, HandshakeType.server_key_exchange, HandshakeType.server_hello_done]);
    expect(p.error.message).toContain("server certificate's curve is not in our supported_groups");
    expect(p.client.negotiated.group).toBeUndefined(); // the ServerKeyExchange was never processed
    expect(p.m.seen.c2s).toEqual([HandshakeType.client_hello]); // no ClientKeyExchange, no Finished: the alert came first
  });

  it('a properly signed ServerKeyExchange with a point not on the curve: illegal_parameter', () => {
    const key = serverCert(chain()).key;
    let randoms: Uint8Array = new Uint8Array(0);
    failsAt(
      'client',
      'ERR_TLS_ILLEGAL_PARAMETER',
      A.illegal_parameter,
      {
        onMessage: (dir, raw) => {
          if (isType(raw, HandshakeType.client_hello)) randoms = raw.slice(6, 38);
          if (isType(raw, HandshakeType.server_hello)) randoms = concat(randoms, raw.slice(6, 38));
          if (dir !== 's2c' || !isType(raw, HandshakeType.server_key_exchange)) return raw;
          const ske = ServerKeyExchangeEcdhe.decode(raw.subarray(4));
          const bad = ske.publicKey.slice();
          bad[bad.length - 1]! ^= 1; // y no longer matches x
          const unsigned = new ServerKeyExchangeEcdhe(ske.group, bad, ske.scheme, new Uint8Array(0));
          const signature = nobleProvider().sign(key, schemeAlgorithm(ske.scheme)!, concat(randoms, unsigned.params()));
          return encodeHandshake(new ServerKeyExchangeEcdhe(ske.group, bad, ske.scheme, signature));
        },
      },
      { groups: [NamedGroup.secp256r1] },
      { groups: [NamedGroup.secp256r1] },
    );
  });
});

describe('ClientKeyExchange the server cannot accept', () => {
  it('an X25519 low-order point (all zeros): illegal_parameter', () => {
    failsAt('server', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onMessage('c2s', HandshakeType.client_key_exchange, () => encodeHandshake(new ClientKeyExchangeEcdhe(new Uint8Array(32)))));
  });
  it('a P-256 point not on the curve: illegal_parameter', () => {
    failsAt(
      'server',
      'ERR_TLS_ILLEGAL_PARAMETER',
      A.illegal_parameter,
      onMessage('c2s', HandshakeType.client_key_exchange, (raw) => flipByte(raw, -1)),
      { groups: [NamedGroup.secp256r1] },
      { groups: [NamedGroup.secp256r1] },
    );
  });
  it('a public key of the wrong length: illegal_parameter', () => {
    failsAt('server', 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, onMessage('c2s', HandshakeType.client_key_exchange, () => encodeHandshake(new ClientKeyExchangeEcdhe(new Uint8Array(31).fill(9)))));
  });
});

describe('Finished', () => {
  const wrongFinished = (raw: Uint8Array) => encodeHandshake(new Finished(flipByte(raw.subarray(4), 0)));
  it("a wrong client Finished: decrypt_error at the server (RFC 5246 §7.4.9)", () => {
    failsAt('server', 'ERR_TLS_DECRYPT_ERROR', A.decrypt_error, onMessage('c2s', HandshakeType.finished, wrongFinished));
  });
  it('a wrong server Finished: decrypt_error at the client', () => {
    failsAt('client', 'ERR_TLS_DECRYPT_ERROR', A.decrypt_error, onMessage('s2c', HandshakeType.finished, wrongFinished));
  });
  it('a Finished of the wrong length (13 bytes): decode_error', () => {
    failsAt('server', 'ERR_TLS_DECODE', A.decode_error, onMessage('c2s', HandshakeType.finished, (raw) => encodeHandshake(new Finished(concat(raw.subarray(4), new Uint8Array([0]))))));
  });
  it('a wrong Finished in an abbreviated handshake (the server speaks first): decrypt_error at the client', () => {
    const first = pair12(chain());
    const w = watch(first.client);
    handshake(first);
    const p = pair12(chain(), { sessionStore: first.server.config.sessionStore ?? null }, {}, { serverName: 'localhost', session: w.sessions[0]! });
    const m = new Mitm12(p.client, p.server, onMessage('s2c', HandshakeType.finished, wrongFinished));
    p.client.doHandshake();
    const { side, error } = m.driveExpectingError();
    expect(side).toBe('client');
    checkFatal(p.client, error, 'ERR_TLS_DECRYPT_ERROR', A.decrypt_error, { conn: p.server, via: (b) => m.forward('c2s', b) });
  });
  it('a renegotiation Finished that is wrong: decrypt_error', () => {
    const p = pair12(chain(), { renegotiation: { acceptClientInitiated: true } });
    let hellos = 0;
    const m = new Mitm12(p.client, p.server, {
      onMessage: (dir, raw) => {
        if (isType(raw, HandshakeType.client_hello)) hellos++;
        return hellos === 2 && dir === 'c2s' && isType(raw, HandshakeType.finished) ? wrongFinished(raw) : raw;
      },
    });
    p.client.doHandshake();
    m.drive();
    p.client.renegotiate();
    p.client.doHandshake();
    const { side, error } = m.driveExpectingError();
    expect(side).toBe('server');
    checkFatal(p.server, error, 'ERR_TLS_DECRYPT_ERROR', A.decrypt_error, { conn: p.client, via: (b) => m.forward('s2c', b) });
  });
});

describe('ChangeCipherSpec out of order (RFC 5246 §7.1)', () => {
  it('before the ClientKeyExchange: unexpected_message at the server', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(p.server.takeOutgoing()!);
    p.client.takeOutgoing(); // the client's flight is held back
    expectFatal12(p.server, () => p.server.receive(CCS_RECORD), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, { conn: p.client });
  });

  it('between the ServerHello and the Certificate: unexpected_message at the client', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const [sh, ...rest] = plainMessages(p.server.takeOutgoing()!);
    const reordered = concat(plainRecord(ContentType.handshake, sh!), CCS_RECORD, plainRecord(ContentType.handshake, concat(...rest)));
    expectFatal12(p.client, () => p.client.receive(reordered), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, { conn: p.server });
  });

  it('a TLS 1.2-only client getting a ChangeCipherSpec before the ServerHello: unexpected_message (no TLS 1.3 compat CCS was possible)', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.client.takeOutgoing();
    expectFatal12(p.client, () => p.client.receive(CCS_RECORD), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message);
  });

  it("twice from the client (the second one protected): unexpected_message at the server", () => {
    let ccs = 0;
    failsAt('server', 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, {
      onRecord: (dir, rec) => (dir === 'c2s' && rec.type === ContentType.change_cipher_spec && ccs++ === 0 ? [rec, rec] : [rec]),
    });
  });

  it('twice from the server: unexpected_message at the client', () => {
    let ccs = 0;
    failsAt('client', 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, {
      onRecord: (dir, rec) => (dir === 's2c' && rec.type === ContentType.change_cipher_spec && ccs++ === 0 ? [rec, rec] : [rec]),
    });
  });

  it('a plaintext ChangeCipherSpec after the peer switched to protected records: bad_record_mac', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(p.server.takeOutgoing()!);
    const flight = p.client.takeOutgoing()!;
    const recs = records(flight);
    // CKE, CCS, then a second plaintext CCS instead of the protected Finished.
    expectFatal12(p.server, () => p.server.receive(concat(recs[0]!.bytes, recs[1]!.bytes, CCS_RECORD)), 'ERR_TLS_BAD_RECORD_MAC', A.bad_record_mac);
  });

  it('inside a fragmented handshake message: unexpected_message', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(p.server.takeOutgoing()!);
    const cke = plainMessages(p.client.takeOutgoing()!)[0]!;
    const split = concat(plainRecord(ContentType.handshake, cke.subarray(0, 10)), CCS_RECORD, plainRecord(ContentType.handshake, cke.subarray(10)));
    expectFatal12(p.server, () => p.server.receive(split), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, { conn: p.client });
  });

  it('a ChangeCipherSpec with a value other than 1: unexpected_message', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    expectFatal12(p.server, () => p.server.receive(plainRecord(ContentType.change_cipher_spec, new Uint8Array([2]))), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message);
  });

  it('after the handshake (protected): unexpected_message', () => {
    const p = pair12(chain());
    const m = new Mitm12(p.client, p.server);
    p.client.doHandshake();
    m.drive();
    const ccs = m.inject('c2s', ContentType.change_cipher_spec, new Uint8Array([1]));
    expectFatal12(p.server, () => p.server.receive(ccs), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, { conn: p.client, via: (b) => m.forward('s2c', b) });
  });
});

describe('application data before the first Finished', () => {
  const data = plainRecord(ContentType.application_data, enc('early'));
  it('plaintext, to the server after the ClientHello: unexpected_message', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    expectFatal12(p.server, () => p.server.receive(data), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, { conn: p.client });
  });
  it('plaintext, to the client before the ServerHello: unexpected_message', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.client.takeOutgoing();
    expectFatal12(p.client, () => p.client.receive(data), 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message);
  });
  it("protected, between the client's ChangeCipherSpec and Finished: unexpected_message at the server", () => {
    failsAt('server', 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, {
      onRecord: (dir, rec) => (dir === 'c2s' && rec.type === ContentType.change_cipher_spec ? [rec, { type: ContentType.application_data, data: enc('early') }] : [rec]),
    });
  });
  it("protected, between the server's ChangeCipherSpec and Finished: unexpected_message at the client", () => {
    failsAt('client', 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, {
      onRecord: (dir, rec) => (dir === 's2c' && rec.type === ContentType.change_cipher_spec ? [rec, { type: ContentType.application_data, data: enc('early') }] : [rec]),
    });
  });
  it('data the application writes before the handshake completes is held and sent after the Finished', () => {
    const p = pair12(chain());
    p.client.write(enc('queued'));
    const hello = p.client.takeOutgoing()!;
    expect(records(hello).map((r) => r.type)).toEqual([ContentType.handshake]);
    p.server.receive(hello);
    p.client.receive(p.server.takeOutgoing()!);
    const flight = p.client.takeOutgoing()!;
    expect(records(flight).map((r) => r.type)).toEqual([ContentType.handshake, ContentType.change_cipher_spec, ContentType.handshake]);
    p.server.receive(flight);
    p.client.receive(p.server.takeOutgoing()!);
    expect(records(p.client.takeOutgoing()!).map((r) => r.type)).toEqual([ContentType.application_data]);
  });
});

describe('alerts (RFC 5246 §7.2)', () => {
  function established(limits = {}) {
    const p = pair12(chain(), { limits }, { limits });
    const m = new Mitm12(p.client, p.server);
    const sw = watch(p.server);
    p.client.doHandshake();
    m.drive();
    return { ...p, m, sw };
  }
  const alert = (level: number, description: number) => new Uint8Array([level, description]);

  it('a warning user_canceled does not end the connection', () => {
    const p = established();
    p.server.receive(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, A.user_canceled)));
    expect(p.server.failure).toBeNull();
    expect(p.sw.alerts).toEqual([{ sent: false, level: AlertLevel.warning, description: A.user_canceled }]);
    p.client.write(enc('on'));
    p.m.drive();
    expect(dec(p.server.read())).toBe('on');
    expect(p.server.takeOutgoing()).toBeNull(); // nothing sent back
  });

  it('a warning with an unknown description (200), or a fatal-only one at warning level (handshake_failure), does not end it either', () => {
    const p = established();
    p.server.receive(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, 200)));
    p.server.receive(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, A.handshake_failure)));
    expect(p.server.failure).toBeNull();
    p.server.write(enc('fine'));
    p.m.drive();
    expect(dec(p.client.read())).toBe('fine');
  });

  it('a warning during the handshake (plaintext) does not end it', () => {
    const p = pair12(chain());
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.server.receive(plainRecord(ContentType.alert, alert(AlertLevel.warning, A.user_canceled)));
    expect(p.server.failure).toBeNull();
    drive(p.client, p.server);
    expect(p.server.handshakeComplete).toBe(true);
  });

  it('too many warnings in a row (limits.maxWarningAlerts): ERR_TLS_TOO_MANY with unexpected_message', () => {
    const p = established({ maxWarningAlerts: 3 });
    for (let i = 0; i < 3; i++) p.server.receive(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, 200 + i)));
    const fourth = p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, A.user_canceled));
    expectFatal12(p.server, () => p.server.receive(fourth), 'ERR_TLS_TOO_MANY', A.unexpected_message, { conn: p.client, via: (b) => p.m.forward('s2c', b) });
  });

  it('application data between warnings starts the count again', () => {
    const p = established({ maxWarningAlerts: 3 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) p.server.receive(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, A.user_canceled)));
      p.server.receive(p.m.inject('c2s', ContentType.application_data, enc(`d${round}`)));
    }
    expect(p.server.failure).toBeNull();
    expect(dec(p.server.read())).toBe('d0d1d2');
  });

  it('the default limit is 8 warnings', () => {
    const p = established();
    for (let i = 0; i < 8; i++) p.server.receive(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, A.user_canceled)));
    const ninth = p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, A.user_canceled));
    expectFatal12(p.server, () => p.server.receive(ninth), 'ERR_TLS_TOO_MANY', A.unexpected_message);
  });

  for (const description of [A.handshake_failure, A.user_canceled, 200]) {
    it(`a fatal alert (${description}) ends the connection: ERR_TLS_ALERT_RECEIVED, nothing sent back`, () => {
      const p = established();
      const err = thrownTlsError(() => p.server.receive(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.fatal, description))));
      expect({ code: err.code, alert: err.alert, remote: err.remote, bug: err.bug }).toEqual({ code: 'ERR_TLS_ALERT_RECEIVED', alert: description, remote: true, bug: false });
      expect(p.server.failure).toBe(err);
      expect(p.server.takeOutgoing()).toBeNull();
      expect(() => p.server.write(enc('x'))).toThrow(err);
      expect(p.sw.alerts).toEqual([{ sent: false, level: AlertLevel.fatal, description }]);
    });
  }

  it('close_notify: the peer is closed, data after it is ignored', () => {
    const p = established();
    let closed = 0;
    p.server.on('close', () => closed++);
    p.server.receive(concat(p.m.inject('c2s', ContentType.alert, alert(AlertLevel.warning, A.close_notify)), p.m.inject('c2s', ContentType.application_data, enc('late'))));
    expect(p.server.peerClosed).toBe(true);
    expect(closed).toBe(1);
    expect(p.server.read()).toBeNull();
    expect(p.server.failure).toBeNull();
  });

  it('an alert level other than warning or fatal: illegal_parameter', () => {
    const p = established();
    const bad = p.m.inject('c2s', ContentType.alert, alert(3, A.user_canceled));
    expectFatal12(p.server, () => p.server.receive(bad), 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, { conn: p.client, via: (b) => p.m.forward('s2c', b) });
  });

  it('an alert record of three bytes: decode_error', () => {
    const p = established();
    const bad = p.m.inject('c2s', ContentType.alert, new Uint8Array([1, 90, 0]));
    expectFatal12(p.server, () => p.server.receive(bad), 'ERR_TLS_DECODE', A.decode_error, { conn: p.client, via: (b) => p.m.forward('s2c', b) });
  });
});

describe('client certificates in TLS 1.2 (RFC 5246 §7.4.4, §7.4.6, §7.4.8)', () => {
  const clientKey = () => certifiedKey(chain('ed25519').leaf, [chain('ed25519').leaf, chain('ed25519').intermediate]);
  const mutual = (server: TlsContextOptions = {}, client: TlsContextOptions = {}) => pair12(chain(), { verifier: verifierFor(chain('ed25519')), ...server }, client);

  it('requestCert with a client certificate: sent, verified, and checked by a CertificateVerify', () => {
    const p = mutual({ requestCert: true }, { certificate: clientKey() });
    const cw = watch(p.client);
    const sw = watch(p.server);
    handshake(p);
    // The server's default ticket (RFC 5077 §3.3) before its CCS and Finished.
    expect(sw.sent).toEqual([2, 11, 12, 13, 14, 4, 20]);
    expect(cw.sent).toEqual([1, 11, 16, 15, 20]);
    expect(p.server.peerCertificates[0]).toEqual(new Uint8Array(chain('ed25519').leaf.certDer));
    expect(p.server.peerVerification?.authorized).toBe(true);
    expect(p.server.negotiated.peerSignatureScheme).toBe(SignatureScheme.ed25519);
    expect(p.client.negotiated.signatureScheme).toBe(SignatureScheme.ed25519);
  });

  it('requestCert without a client certificate: an empty Certificate, the handshake completes', () => {
    const p = mutual({ requestCert: true });
    const cw = watch(p.client);
    handshake(p);
    expect(cw.sent).toEqual([1, 11, 16, 20]);
    expect(p.server.peerCertificates).toEqual([]);
  });

  it('requireCert without a client certificate: handshake_failure at the server (as OpenSSL)', () => {
    const p = mutual({ requestCert: true, requireCert: true });
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(p.server.takeOutgoing()!);
    const flight = p.client.takeOutgoing()!;
    expectFatal12(p.server, () => p.server.receive(flight), 'ERR_TLS_HANDSHAKE_FAILURE', A.handshake_failure, { conn: p.client });
  });

  for (const keyType of ['ed25519', 'p256'] as const) {
    it(`a CertificateVerify with a bad signature (${keyType} client key): decrypt_error at the server`, () => {
      const c = chain(keyType);
      const p = pair12(chain(), { requestCert: true, verifier: verifierFor(c) }, { certificate: certifiedKey(c.leaf, [c.leaf, c.intermediate]) });
      const m = new Mitm12(p.client, p.server, onMessage('c2s', HandshakeType.certificate_verify, (raw) => flipByte(raw, -1)));
      p.client.doHandshake();
      const { side, error } = m.driveExpectingError();
      expect(side).toBe('server');
      checkFatal(p.server, error, 'ERR_TLS_DECRYPT_ERROR', A.decrypt_error, { conn: p.client, via: (b) => m.forward('s2c', b) });
    });
  }

  it('a CertificateVerify with a scheme the server did not offer: illegal_parameter', () => {
    const p = mutual({ requestCert: true, signatureSchemes: [SignatureScheme.ed25519, SignatureScheme.ecdsa_secp256r1_sha256] }, { certificate: clientKey() });
    const m = new Mitm12(p.client, p.server, onMessage('c2s', HandshakeType.certificate_verify, (raw) => {
      const cv = CertificateVerify.decode(raw.subarray(4));
      return encodeHandshake(new CertificateVerify(SignatureScheme.rsa_pss_rsae_sha256, cv.signature));
    }));
    p.client.doHandshake();
    const { side, error } = m.driveExpectingError();
    expect(side).toBe('server');
    checkFatal(p.server, error, 'ERR_TLS_ILLEGAL_PARAMETER', A.illegal_parameter, { conn: p.client, via: (b) => m.forward('s2c', b) });
  });

  it('a client certificate dropped by the middle (CertificateVerify without a certificate): unexpected_message', () => {
    const p = mutual({ requestCert: true }, { certificate: clientKey() });
    const m = new Mitm12(p.client, p.server, onMessage('c2s', HandshakeType.certificate, () => encodeHandshake(new Certificate12([]))));
    p.client.doHandshake();
    const { side, error } = m.driveExpectingError();
    expect(side).toBe('server');
    checkFatal(p.server, error, 'ERR_TLS_UNEXPECTED_MESSAGE', A.unexpected_message, { conn: p.client, via: (b) => m.forward('s2c', b) });
  });
});

describe('a TLS 1.3 pair is unaffected by TLS 1.2 options', () => {
  it('renegotiation and EMS options on a TLS 1.3 connection change nothing', () => {
    const p = makePair({ certificate: serverCert(chain()), requireExtendedMasterSecret: false, renegotiation: { acceptClientInitiated: true } }, { verifier: verifierFor(chain()) });
    handshake(p);
    expect(p.client.protocol).toBe('TLSv1.3');
    expect(p.client.negotiated.extendedMasterSecret).toBeUndefined();
  });
});
