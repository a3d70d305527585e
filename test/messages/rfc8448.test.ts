/** Known answers: the handshake messages of RFC 8448, decoded and re-encoded byte for byte. */
import { describe, expect, it } from 'vitest';
import { ExtensionType, HandshakeType, NamedGroup } from '../../src/common/constants.js';
import { fromHex } from '../../src/common/bytes.js';
import {
  Certificate13,
  CertificateRequest13,
  CertificateVerify,
  ClientHello,
  CookieExt,
  EarlyDataEmptyExt,
  EarlyDataTicketExt,
  EmptyServerNameExt,
  EncryptedExtensions,
  EndOfEarlyData,
  Finished,
  KeyShareClientExt,
  KeyShareHrrExt,
  KeyShareServerExt,
  NewSessionTicket13,
  PreSharedKeyClientExt,
  PreSharedKeyServerExt,
  PskKeyExchangeModesExt,
  RecordSizeLimitExt,
  RenegotiationInfoExt,
  ServerHello,
  ServerNameExt,
  SessionTicketExt,
  SignatureAlgorithmsExt,
  SupportedGroupsExt,
  SupportedVersionsClientExt,
  SupportedVersionsServerExt,
  decodeHandshakeMessage,
  encodeHandshake,
  findExtension,
  handshakeName,
  truncateClientHelloForBinders,
  type HandshakeBody,
} from '../../src/messages/index.js';
import { rfc8448, rfc8448Labels } from '../helpers/rfc8448.js';

/** Decode a raw RFC message with the class its type names, then check the re-encoding. */
function decodeRaw(raw: Uint8Array): HandshakeBody {
  const m = decodeHandshakeMessage(raw);
  const decoders: Partial<Record<number, (b: Uint8Array) => HandshakeBody>> = {
    [HandshakeType.client_hello]: ClientHello.decode,
    [HandshakeType.server_hello]: ServerHello.decode,
    [HandshakeType.encrypted_extensions]: EncryptedExtensions.decode,
    [HandshakeType.certificate]: Certificate13.decode,
    [HandshakeType.certificate_request]: CertificateRequest13.decode,
    [HandshakeType.certificate_verify]: CertificateVerify.decode,
    [HandshakeType.finished]: (b) => Finished.decode(b, b.length),
    [HandshakeType.new_session_ticket]: NewSessionTicket13.decode,
    [HandshakeType.end_of_early_data]: EndOfEarlyData.decode,
  };
  const decoder = decoders[m.type];
  if (!decoder) throw new Error(`no decoder for ${handshakeName(m.type)}`);
  const msg = decoder(m.body);
  expect(encodeHandshake(msg)).toEqual(raw);
  return msg;
}

const MESSAGE_LABEL = /^(ClientHello|ServerHello|EncryptedExtensions|Certificate|CertificateRequest|CertificateVerify|Finished|NewSessionTicket|EndOfEarlyData) \(\d+ octets\)$/;

describe('every handshake message in RFC 8448 round-trips', () => {
  const cases: { section: number; label: string; occurrence: number }[] = [];
  for (const section of [3, 4, 5, 6, 7]) {
    const seen = new Map<string, number>();
    for (const label of rfc8448Labels(section)) {
      const occurrence = seen.get(label) ?? 0;
      seen.set(label, occurrence + 1);
      // §4 prints the ClientHello without its binders (the same bytes as the "prefix"); see the binder test.
      if (section === 4 && label === 'ClientHello (477 octets)') continue;
      if (MESSAGE_LABEL.test(label)) cases.push({ section, label, occurrence });
    }
  }

  it('finds the messages', () => expect(cases.length).toBe(39));

  it.each(cases)('§$section $label #$occurrence', ({ section, label, occurrence }) => {
    const raw = rfc8448(section, label, occurrence);
    const msg = decodeRaw(raw);
    expect(label.startsWith(handshakeName(msg.msgType))).toBe(true);
  });
});

describe('RFC 8448 §3 simple 1-RTT handshake', () => {
  it('ClientHello', () => {
    const ch = decodeRaw(rfc8448(3, 'ClientHello (196 octets)')) as ClientHello;
    expect(ch.legacyVersion).toBe(0x0303);
    expect(ch.random).toEqual(fromHex('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7'));
    expect(ch.legacySessionId.length).toBe(0);
    expect(ch.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(ch.compressionMethods).toEqual(Uint8Array.of(0));
    const x = ch.extensions;
    expect(x.map((e) => e.type)).toEqual([0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);
    expect(findExtension(x, ServerNameExt)).toEqual(['server']);
    expect(findExtension(x, RenegotiationInfoExt)).toEqual(new Uint8Array(0));
    expect(findExtension(x, SupportedGroupsExt)).toEqual([0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]);
    expect(findExtension(x, SessionTicketExt)).toEqual(new Uint8Array(0));
    expect(findExtension(x, KeyShareClientExt)).toEqual([
      { group: NamedGroup.x25519, keyExchange: rfc8448(3, 'public key (32 octets)', 0) },
    ]);
    expect(findExtension(x, SupportedVersionsClientExt)).toEqual([0x0304]);
    expect(findExtension(x, SignatureAlgorithmsExt)).toEqual([
      0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602,
      0x0202,
    ]);
    expect(findExtension(x, PskKeyExchangeModesExt)).toEqual([1]);
    expect(findExtension(x, RecordSizeLimitExt)).toBe(0x4001);
    // The record payload carries the same message.
    expect(rfc8448(3, 'payload (196 octets)')).toEqual(rfc8448(3, 'ClientHello (196 octets)'));
  });

  it('ServerHello', () => {
    const sh = decodeRaw(rfc8448(3, 'ServerHello (90 octets)')) as ServerHello;
    expect(sh.isHelloRetryRequest).toBe(false);
    expect(sh.random).toEqual(fromHex('a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928'));
    expect(sh.cipherSuite).toBe(0x1301);
    expect(sh.compressionMethod).toBe(0);
    expect(findExtension(sh.extensions, KeyShareServerExt)).toEqual({
      group: NamedGroup.x25519,
      keyExchange: rfc8448(3, 'public key (32 octets)', 1),
    });
    expect(findExtension(sh.extensions, SupportedVersionsServerExt)).toBe(0x0304);
  });

  it('EncryptedExtensions', () => {
    const ee = decodeRaw(rfc8448(3, 'EncryptedExtensions (40 octets)')) as EncryptedExtensions;
    expect(ee.extensions.map((e) => e.type)).toEqual([10, 28, 0]);
    expect(findExtension(ee.extensions, SupportedGroupsExt)).toHaveLength(9);
    expect(findExtension(ee.extensions, RecordSizeLimitExt)).toBe(0x4001);
    expect(findExtension(ee.extensions, EmptyServerNameExt)).not.toBeUndefined();
  });

  it('Certificate, CertificateVerify, Finished', () => {
    const cert = decodeRaw(rfc8448(3, 'Certificate (445 octets)')) as Certificate13;
    expect(cert.context.length).toBe(0);
    expect(cert.entries).toHaveLength(1);
    expect(cert.entries[0]!.data.length).toBe(0x1b0);
    expect(cert.entries[0]!.data[0]).toBe(0x30);
    expect(cert.entries[0]!.extensions).toEqual([]);

    const cv = decodeRaw(rfc8448(3, 'CertificateVerify (136 octets)')) as CertificateVerify;
    expect(cv.scheme).toBe(0x0804);
    expect(cv.signature.length).toBe(128);

    const sf = Finished.decode(rfc8448(3, 'Finished (36 octets)', 0).subarray(4), 32);
    expect(sf.verifyData).toEqual(rfc8448(3, 'finished (32 octets)', 0));
    const cf = Finished.decode(rfc8448(3, 'Finished (36 octets)', 1).subarray(4), 32);
    expect(cf.verifyData).toEqual(rfc8448(3, 'finished (32 octets)', 1));
  });

  it('NewSessionTicket', () => {
    const nst = decodeRaw(rfc8448(3, 'NewSessionTicket (205 octets)')) as NewSessionTicket13;
    expect(nst.lifetime).toBe(30);
    expect(nst.ageAdd).toBe(0xfad6aac5);
    expect(nst.nonce).toEqual(Uint8Array.of(0, 0));
    expect(nst.ticket.length).toBe(178);
    expect(findExtension(nst.extensions, EarlyDataTicketExt)).toBe(0x400);
  });
});

describe('RFC 8448 §4 resumed 0-RTT handshake', () => {
  const raw = rfc8448(4, 'payload (512 octets)');

  it('ClientHello with pre_shared_key and early_data', () => {
    const ch = decodeRaw(raw) as ClientHello;
    const x = ch.extensions;
    expect(x.at(-1)!.type).toBe(ExtensionType.pre_shared_key);
    expect(findExtension(x, EarlyDataEmptyExt)).not.toBeUndefined();
    const psk = findExtension(x, PreSharedKeyClientExt)!;
    expect(psk.identities).toHaveLength(1);
    expect(psk.identities[0]!.identity.length).toBe(178);
    // The ticket from §3's NewSessionTicket, and its age obfuscated with ticket_age_add.
    const nst = NewSessionTicket13.decode(rfc8448(3, 'NewSessionTicket (205 octets)').subarray(4));
    expect(psk.identities[0]!.identity).toEqual(nst.ticket);
    // obfuscated_ticket_age = age in ms + ticket_age_add mod 2^32 (here 6 ms).
    expect((psk.identities[0]!.obfuscatedTicketAge - nst.ageAdd) >>> 0).toBe(6);
    expect(psk.binders).toEqual([rfc8448(4, 'finished (32 octets)', 0)]);
  });

  it('binder truncation gives the RFC prefix (RFC 8446 §4.2.11.2)', () => {
    const prefix = rfc8448(4, 'ClientHello prefix (477 octets)');
    expect(truncateClientHelloForBinders(raw)).toEqual(prefix);
    expect(ClientHello.bindersOffset(raw)).toBe(477);
    // The RFC's "ClientHello (477 octets)" is that same prefix.
    expect(rfc8448(4, 'ClientHello (477 octets)')).toEqual(prefix);
  });

  it('ServerHello selects the PSK; EncryptedExtensions accepts early data', () => {
    const sh = decodeRaw(rfc8448(4, 'ServerHello (96 octets)')) as ServerHello;
    expect(findExtension(sh.extensions, PreSharedKeyServerExt)).toBe(0);
    const ee = decodeRaw(rfc8448(4, 'EncryptedExtensions (44 octets)')) as EncryptedExtensions;
    expect(findExtension(ee.extensions, EarlyDataEmptyExt)).not.toBeUndefined();
    expect(decodeRaw(rfc8448(4, 'EndOfEarlyData (4 octets)'))).toBeInstanceOf(EndOfEarlyData);
  });
});

describe('RFC 8448 §5 HelloRetryRequest', () => {
  it('HelloRetryRequest', () => {
    const hrr = decodeRaw(rfc8448(5, 'ServerHello (176 octets)')) as ServerHello;
    expect(hrr.isHelloRetryRequest).toBe(true);
    expect(hrr.cipherSuite).toBe(0x1301);
    expect(hrr.extensions.map((e) => e.type)).toEqual([51, 44, 43]);
    expect(findExtension(hrr.extensions, KeyShareHrrExt)).toBe(NamedGroup.secp256r1);
    expect(findExtension(hrr.extensions, CookieExt)?.length).toBe(0x72);
    expect(findExtension(hrr.extensions, SupportedVersionsServerExt)).toBe(0x0304);
  });

  it('second ClientHello echoes the cookie and sends a P-256 share', () => {
    const hrr = ServerHello.decode(rfc8448(5, 'ServerHello (176 octets)').subarray(4));
    const ch2 = decodeRaw(rfc8448(5, 'ClientHello (512 octets)')) as ClientHello;
    expect(findExtension(ch2.extensions, CookieExt)).toEqual(findExtension(hrr.extensions, CookieExt));
    expect(findExtension(ch2.extensions, KeyShareClientExt)).toEqual([
      { group: NamedGroup.secp256r1, keyExchange: rfc8448(5, 'public key (65 octets)', 0) },
    ]);
    const sh = decodeRaw(rfc8448(5, 'ServerHello (123 octets)')) as ServerHello;
    expect(sh.isHelloRetryRequest).toBe(false);
  });
});

describe('RFC 8448 §6 client authentication and §7 compatibility mode', () => {
  it('CertificateRequest', () => {
    const cr = decodeRaw(rfc8448(6, 'CertificateRequest (43 octets)')) as CertificateRequest13;
    expect(cr.context.length).toBe(0);
    expect(findExtension(cr.extensions, SignatureAlgorithmsExt)).toHaveLength(15);
  });

  it('compatibility mode echoes a 32-byte legacy_session_id', () => {
    const ch = decodeRaw(rfc8448(7, 'ClientHello (224 octets)')) as ClientHello;
    const sh = decodeRaw(rfc8448(7, 'ServerHello (122 octets)')) as ServerHello;
    expect(ch.legacySessionId.length).toBe(32);
    expect(sh.legacySessionIdEcho).toEqual(ch.legacySessionId);
  });
});
