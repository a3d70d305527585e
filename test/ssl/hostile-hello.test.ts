/**
 * Hostile ClientHellos at our server: a legacy_version below TLS 1.2, a
 * second ClientHello that breaks the promises of the first (RFC 8446
 * §4.1.2), and early data we do not accept, which is skipped within bounds
 * (RFC 8446 §4.2.10).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentType, ExtensionType, NamedGroup } from '../../src/common/constants.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { suiteInfo } from '../../src/crypto/suites.js';
import {
  AlpnExt,
  CookieExt,
  findExtension,
  KeyShareClientExt,
  makeExtension,
  PreSharedKeyClientExt,
  RecordSizeLimitExt,
  ServerNameExt,
  SignatureAlgorithmsExt,
  SupportedGroupsExt,
  type Extension,
} from '../../src/messages/index.js';
import { ClientHello } from '../../src/messages/hello.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { SendProtection } from '../../src/record/protection.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, makePair, serverCert, verifierFor } from '../helpers/pair.js';
import { clientFinished, clientSealer, collectSecrets, expectFatal, fresh, plain, serverFlightMessages } from './support.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

/** The client's first ClientHello, decoded, from a fresh pair. */
function firstHello(p: ReturnType<typeof fresh>): ClientHello {
  p.client.doHandshake();
  return ClientHello.decode(p.client.takeOutgoing()!.subarray(9));
}

const rebuild = (ch: ClientHello, c: Partial<{ version: number; random: Uint8Array; sessionId: Uint8Array; suites: number[]; compression: Uint8Array; extensions: Extension[] }>) =>
  new ClientHello(c.version ?? ch.legacyVersion, c.random ?? ch.random, c.sessionId ?? ch.legacySessionId, c.suites ?? ch.cipherSuites, c.compression ?? ch.compressionMethods, c.extensions ?? ch.extensions);

const asRecord = (ch: ClientHello) => plain(ContentType.handshake, encodeHandshake(ch));
const EARLY_DATA: Extension = { type: ExtensionType.early_data, data: new Uint8Array(0) };

describe('ClientHello legacy_version (RFC 8446 §4.1.2, Appendix D)', () => {
  for (const version of [0x0000, 0x0300, 0x0301, 0x0302]) {
    it(`0x${version.toString(16).padStart(4, '0')} with supported_versions offering TLS 1.3 is refused with protocol_version`, () => {
      const p = fresh(chain);
      const ch = firstHello(p);
      expectFatal(p.server, () => p.server.receive(asRecord(rebuild(ch, { version }))), 'ERR_TLS_PROTOCOL_VERSION', 70);
    });
  }

  it('0x0303 is accepted', () => {
    const p = fresh(chain);
    p.server.receive(asRecord(firstHello(p)));
    expect(p.server.stateName).toBe('ExpectClientFinished');
  });
});

describe('the second ClientHello after a HelloRetryRequest (RFC 8446 §4.1.2)', () => {
  /** Run to the HelloRetryRequest and return the client's second ClientHello, decoded. */
  function toSecondHello() {
    const p = makePair(
      { certificate: serverCert(chain), groups: [NamedGroup.secp256r1] },
      {
        verifier: verifierFor(chain),
        groups: [NamedGroup.x25519, NamedGroup.secp256r1],
        keyShareGroups: [NamedGroup.x25519],
        middleboxCompat: false,
        alpnProtocols: ['h2', 'http/1.1'],
      },
    );
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(p.server.takeOutgoing()!); // the HelloRetryRequest
    return { p, ch2: ClientHello.decode(p.client.takeOutgoing()!.subarray(9)) };
  }
  const replace = (ch: ClientHello, type: number, ext: Extension) => ch.extensions.map((e) => (e.type === type ? ext : e));
  const illegal = (change: (ch2: ClientHello) => ClientHello) => () => {
    const { p, ch2 } = toSecondHello();
    expectFatal(p.server, () => p.server.receive(asRecord(change(ch2))), 'ERR_TLS_ILLEGAL_PARAMETER', 47);
  };

  it('the unchanged second ClientHello is answered with the ServerHello flight', () => {
    const { p, ch2 } = toSecondHello();
    p.server.receive(asRecord(ch2));
    expect(p.server.takeOutgoing()).not.toBeNull();
    expect(p.server.stateName).toBe('ExpectClientFinished');
  });

  it('a padding extension added is allowed', () => {
    const { p, ch2 } = toSecondHello();
    const padded = rebuild(ch2, { extensions: [...ch2.extensions, { type: ExtensionType.padding, data: new Uint8Array(40) }] });
    p.server.receive(asRecord(padded));
    expect(p.server.stateName).toBe('ExpectClientFinished');
  });

  it('without the cookie: illegal_parameter', illegal((ch) => rebuild(ch, { extensions: ch.extensions.filter((e) => e.type !== ExtensionType.cookie) })));
  it('with a different cookie: illegal_parameter', illegal((ch) => rebuild(ch, { extensions: replace(ch, ExtensionType.cookie, makeExtension(CookieExt, new Uint8Array(32).fill(1))) })));
  it('with a share for another group than the one asked for: illegal_parameter', illegal((ch) =>
    rebuild(ch, { extensions: replace(ch, ExtensionType.key_share, makeExtension(KeyShareClientExt, [{ group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(9) }])) }),
  ));
  it('with two shares: illegal_parameter', illegal((ch) => {
    const one = findExtension(ch.extensions, KeyShareClientExt)!;
    return rebuild(ch, { extensions: replace(ch, ExtensionType.key_share, makeExtension(KeyShareClientExt, [{ group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(9) }, ...one])) });
  }));
  it('with a new random: illegal_parameter', illegal((ch) => rebuild(ch, { random: new Uint8Array(32).fill(3) })));
  it('with another legacy_session_id: illegal_parameter', illegal((ch) => rebuild(ch, { sessionId: new Uint8Array(32).fill(4) })));
  it('with another legacy_version: illegal_parameter', illegal((ch) => rebuild(ch, { version: 0x0301 })));
  it('with the cipher suites reordered: illegal_parameter', illegal((ch) => rebuild(ch, { suites: [...ch.cipherSuites].reverse() })));
  it('with a cipher suite dropped: illegal_parameter', illegal((ch) => rebuild(ch, { suites: ch.cipherSuites.slice(0, 1) })));
  it('with other compression methods: illegal_parameter', illegal((ch) => rebuild(ch, { compression: new Uint8Array([1, 0]) })));
  it('with an extension dropped (signature_algorithms): illegal_parameter', illegal((ch) => rebuild(ch, { extensions: ch.extensions.filter((e) => e.type !== ExtensionType.signature_algorithms) })));
  it('with an extension added (record_size_limit): illegal_parameter', illegal((ch) => rebuild(ch, { extensions: [makeExtension(RecordSizeLimitExt, 1000), ...ch.extensions] })));
  it('with extensions reordered: illegal_parameter', illegal((ch) => {
    const exts = [...ch.extensions];
    const a = exts.findIndex((e) => e.type === ExtensionType.supported_groups);
    const b = exts.findIndex((e) => e.type === ExtensionType.signature_algorithms);
    [exts[a], exts[b]] = [exts[b]!, exts[a]!];
    return rebuild(ch, { extensions: exts });
  }));
  it('with supported_groups changed: illegal_parameter', illegal((ch) => rebuild(ch, { extensions: replace(ch, ExtensionType.supported_groups, makeExtension(SupportedGroupsExt, [NamedGroup.secp256r1])) })));
  it('with signature_algorithms changed: illegal_parameter', illegal((ch) => rebuild(ch, { extensions: replace(ch, ExtensionType.signature_algorithms, makeExtension(SignatureAlgorithmsExt, [0x0403])) })));
  it('with ALPN changed: illegal_parameter', illegal((ch) => rebuild(ch, { extensions: replace(ch, ExtensionType.application_layer_protocol_negotiation, makeExtension(AlpnExt, ['http/1.1'])) })));
  it('with SNI changed: illegal_parameter', illegal((ch) => rebuild(ch, { extensions: replace(ch, ExtensionType.server_name, makeExtension(ServerNameExt, ['other.example'])) })));
  it('with early_data: illegal_parameter', illegal((ch) => rebuild(ch, { extensions: [...ch.extensions, EARLY_DATA] })));
  it('with a pre_shared_key the first did not have: illegal_parameter', illegal((ch) =>
    rebuild(ch, {
      extensions: [...ch.extensions, makeExtension(PreSharedKeyClientExt, { identities: [{ identity: new Uint8Array(16), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(32)] })],
    }),
  ));

  it('a second HelloRetryRequest is unexpected_message at the client', () => {
    const p = makePair(
      { certificate: serverCert(chain), groups: [NamedGroup.secp256r1] },
      { verifier: verifierFor(chain), groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519], middleboxCompat: false },
    );
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const hrr = p.server.takeOutgoing()!;
    p.client.receive(hrr);
    p.client.takeOutgoing();
    expectFatal(p.client, () => p.client.receive(hrr), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });
});

describe('early data we do not accept is skipped (RFC 8446 §4.2.10)', () => {
  /**
   * 0-RTT records as a client would send them, under an early key the server
   * does not have (so any TLS 1.3 AEAD will do: same record shape, a 16-byte tag).
   */
  const earlySealer = () => SendProtection.tls13(nobleProvider(), suiteInfo(0x1301)!, new Uint8Array(32).fill(0xee));

  /** A server that got a ClientHello offering early_data (1-RTT answer), with its key log. */
  function offered(offerEarlyData = true) {
    const p = fresh(chain, {}, {}, { middleboxCompat: false });
    const secrets = collectSecrets(p.server);
    const ch = firstHello(p);
    const ch0 = offerEarlyData ? rebuild(ch, { extensions: [...ch.extensions, EARLY_DATA] }) : ch;
    const chRaw = encodeHandshake(ch0);
    p.server.receive(plain(ContentType.handshake, chRaw));
    const flight = p.server.takeOutgoing()!;
    const transcript = [chRaw, ...serverFlightMessages(flight, secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!)];
    const finished = clientSealer(secrets, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET').seal(
      ContentType.handshake,
      clientFinished(transcript, secrets.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET')!),
    );
    return { server: p.server, finished };
  }

  it('records that fail to decrypt are dropped up to 16 KiB, then the client Finished completes the handshake', () => {
    const { server, finished } = offered();
    const early = earlySealer();
    for (let i = 0; i < 16; i++) server.receive(early.seal(ContentType.application_data, new Uint8Array(1024).fill(i)));
    expect(server.failure).toBeNull();
    server.receive(finished);
    expect(server.handshakeComplete).toBe(true);
    expect(server.read()).toBeNull(); // nothing of the early data reached the application
  });

  it('more than 16 KiB of undecryptable early data is bad_record_mac', () => {
    const { server } = offered();
    const early = earlySealer();
    for (let i = 0; i < 16; i++) server.receive(early.seal(ContentType.application_data, new Uint8Array(1024)));
    expectFatal(server, () => server.receive(early.seal(ContentType.application_data, new Uint8Array(1))), 'ERR_TLS_BAD_RECORD_MAC', 20);
  });

  it('many empty early records are bounded too', () => {
    const { server } = offered();
    const early = earlySealer();
    const err = (() => {
      for (let i = 0; i < 20_000; i++) server.receive(early.seal(ContentType.application_data, new Uint8Array(0)));
    });
    expectFatal(server, err, 'ERR_TLS_BAD_RECORD_MAC', 20);
  });

  it('without early_data offered, the first record that fails to decrypt is bad_record_mac', () => {
    const { server } = offered(false);
    expectFatal(server, () => server.receive(earlySealer().seal(ContentType.application_data, new Uint8Array(10))), 'ERR_TLS_BAD_RECORD_MAC', 20);
  });

  /** A server that sent a HelloRetryRequest to a ClientHello offering early_data; the client's real second hello. */
  function retried() {
    const p = makePair(
      { certificate: serverCert(chain), groups: [NamedGroup.secp256r1] },
      { verifier: verifierFor(chain), groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519], middleboxCompat: false },
    );
    p.client.doHandshake();
    const ch = ClientHello.decode(p.client.takeOutgoing()!.subarray(9));
    p.server.receive(asRecord(rebuild(ch, { extensions: [...ch.extensions, EARLY_DATA] })));
    const hrr = p.server.takeOutgoing()!;
    p.client.receive(hrr);
    return { server: p.server, ch2: p.client.takeOutgoing()! };
  }

  it('after a HelloRetryRequest, application_data records before the second ClientHello are skipped, and the handshake goes on', () => {
    const { server, ch2 } = retried();
    const early = earlySealer();
    for (let i = 0; i < 8; i++) server.receive(early.seal(ContentType.application_data, new Uint8Array(2000)));
    server.receive(ch2);
    expect(server.stateName).toBe('ExpectClientFinished');
    expect(server.takeOutgoing()).not.toBeNull();
  });

  it('after a HelloRetryRequest, more than 16 KiB of them is bad_record_mac', () => {
    const { server } = retried();
    const early = earlySealer();
    for (let i = 0; i < 16; i++) server.receive(early.seal(ContentType.application_data, new Uint8Array(1024)));
    expectFatal(server, () => server.receive(early.seal(ContentType.application_data, new Uint8Array(1))), 'ERR_TLS_BAD_RECORD_MAC', 20);
  });

  it('after the second ClientHello, an undecryptable record is bad_record_mac at once', () => {
    const { server, ch2 } = retried();
    server.receive(ch2);
    server.takeOutgoing();
    expectFatal(server, () => server.receive(earlySealer().seal(ContentType.application_data, new Uint8Array(10))), 'ERR_TLS_BAD_RECORD_MAC', 20);
  });
});
