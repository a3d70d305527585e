import { describe, expect, it } from 'vitest';
import { CipherSuite, ExtensionType, HandshakeType, NamedGroup } from '../../src/common/constants.js';
import { concat } from '../../src/common/bytes.js';
import {
  AlpnExt,
  Certificate12,
  Certificate13,
  CertificateRequest12,
  CertificateRequest13,
  CertificateStatus,
  CertificateStatusExt,
  CertificateVerify,
  ClientHello,
  ClientKeyExchangeEcdhe,
  CookieExt,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  EarlyDataEmptyExt,
  EarlyDataTicketExt,
  EmptyServerNameExt,
  EncryptedExtensions,
  EndOfEarlyData,
  ExtendedMasterSecretExt,
  Finished,
  HRR_RANDOM,
  HelloRequest,
  KeyShareClientExt,
  KeyShareHrrExt,
  KeyShareServerExt,
  KeyUpdate,
  NewSessionTicket12,
  NewSessionTicket13,
  PreSharedKeyClientExt,
  PskKeyExchangeModesExt,
  RenegotiationInfoExt,
  ServerHello,
  ServerHelloDone,
  ServerKeyExchangeEcdhe,
  ServerNameExt,
  SignatureAlgorithmsExt,
  SupportedGroupsExt,
  SupportedVersionsClientExt,
  SupportedVersionsServerExt,
  decodeHandshakeMessage,
  downgradeSentinel,
  encode,
  encodeHandshake,
  findExtension,
  handshakeName,
  makeExtension,
  splitHandshakeMessages,
  toHandshakeMessage,
  truncateClientHelloForBinders,
  type Extension,
  type HandshakeBody,
} from '../../src/messages/index.js';
import { append, bytes, expectTlsError, fill } from './support.js';

const random = fill(32, 0x11);
const psk = makeExtension(PreSharedKeyClientExt, {
  identities: [{ identity: fill(50, 0x7a), obfuscatedTicketAge: 123456 }],
  binders: [fill(32, 0xb1)],
});
const ch13Exts: Extension[] = [
  makeExtension(ServerNameExt, ['server']),
  makeExtension(SupportedGroupsExt, [NamedGroup.x25519, NamedGroup.secp256r1]),
  makeExtension(KeyShareClientExt, [{ group: NamedGroup.x25519, keyExchange: fill(32, 0x99) }]),
  makeExtension(SupportedVersionsClientExt, [0x0304]),
  makeExtension(SignatureAlgorithmsExt, [0x0403, 0x0804]),
  makeExtension(PskKeyExchangeModesExt, [1]),
  { type: 0xfe0d, data: bytes(1, 2, 3) },
  makeExtension(EarlyDataEmptyExt, undefined),
  psk,
];
const ch13 = new ClientHello(0x0303, random, fill(32, 0x5e), [0x1301, 0x1303, 0x1302], bytes(0), ch13Exts);
const ch12 = new ClientHello(0x0303, random, new Uint8Array(0), [0xc02b, 0xc02f, 0x00ff], bytes(0), [
  makeExtension(ExtendedMasterSecretExt, undefined),
  makeExtension(RenegotiationInfoExt, new Uint8Array(0)),
]);
const sh13 = new ServerHello(0x0303, fill(32, 0x22), fill(32, 0x5e), 0x1301, 0, [
  makeExtension(KeyShareServerExt, { group: NamedGroup.x25519, keyExchange: fill(32, 0x98) }),
  makeExtension(SupportedVersionsServerExt, 0x0304),
]);
const hrr = ServerHello.helloRetryRequest(fill(32, 0x5e), 0x1301, [
  makeExtension(SupportedVersionsServerExt, 0x0304),
  makeExtension(KeyShareHrrExt, NamedGroup.secp256r1),
  makeExtension(CookieExt, fill(40, 0xc0)),
]);
const sh12 = new ServerHello(0x0303, fill(32, 0x33), fill(32, 1), 0xc02f, 0, [
  makeExtension(RenegotiationInfoExt, new Uint8Array(0)),
]);

interface Sample {
  name: string;
  msg: HandshakeBody;
  decode: (body: Uint8Array) => HandshakeBody;
  /** A body prefix that is itself valid: a hello without its extensions block. */
  validPrefix?: number;
}
/** Body length of a hello with its extensions dropped. */
const helloPrefix = (m: ClientHello | ServerHello): number => {
  const body = encodeHandshake(m).length - 4;
  return body - 2 - m.extensions.reduce((n, e) => n + 4 + e.data.length, 0);
};

const SAMPLES: Sample[] = [
  { name: 'ClientHello (1.3, PSK)', msg: ch13, decode: ClientHello.decode, validPrefix: helloPrefix(ch13) },
  { name: 'ClientHello (1.2)', msg: ch12, decode: ClientHello.decode, validPrefix: helloPrefix(ch12) },
  { name: 'ServerHello (1.3)', msg: sh13, decode: ServerHello.decode, validPrefix: helloPrefix(sh13) },
  { name: 'HelloRetryRequest', msg: hrr, decode: ServerHello.decode, validPrefix: helloPrefix(hrr) },
  { name: 'ServerHello (1.2)', msg: sh12, decode: ServerHello.decode, validPrefix: helloPrefix(sh12) },
  {
    name: 'EncryptedExtensions',
    msg: new EncryptedExtensions([
      makeExtension(EmptyServerNameExt, undefined),
      makeExtension(AlpnExt, ['h2']),
      makeExtension(EarlyDataEmptyExt, undefined),
    ]),
    decode: EncryptedExtensions.decode,
  },
  { name: 'EncryptedExtensions (empty)', msg: new EncryptedExtensions([]), decode: EncryptedExtensions.decode },
  {
    name: 'Certificate13',
    msg: new Certificate13(bytes(), [
      { data: fill(300, 0x30), extensions: [makeExtension(CertificateStatusExt, fill(10, 0x30))] },
      { data: fill(20, 0x31), extensions: [] },
    ]),
    decode: Certificate13.decode,
  },
  { name: 'Certificate13 (empty, context)', msg: new Certificate13(bytes(1, 2, 3), []), decode: Certificate13.decode },
  {
    name: 'CertificateRequest13',
    msg: new CertificateRequest13(bytes(9), [makeExtension(SignatureAlgorithmsExt, [0x0804, 0x0403])]),
    decode: CertificateRequest13.decode,
  },
  { name: 'CertificateVerify', msg: new CertificateVerify(0x0804, fill(256, 0x5a)), decode: CertificateVerify.decode },
  { name: 'Finished (SHA-256)', msg: new Finished(fill(32, 0xf1)), decode: (b) => Finished.decode(b, 32) },
  { name: 'Finished (SHA-384)', msg: new Finished(fill(48, 0xf2)), decode: (b) => Finished.decode(b, 48) },
  { name: 'Finished (TLS 1.2)', msg: new Finished(fill(12, 0xf3)), decode: (b) => Finished.decode(b, 12) },
  {
    name: 'NewSessionTicket13',
    msg: new NewSessionTicket13(7200, 0xfedcba98, bytes(0, 1), fill(100, 0x7e), [makeExtension(EarlyDataTicketExt, 16384)]),
    decode: NewSessionTicket13.decode,
  },
  { name: 'KeyUpdate (not requested)', msg: new KeyUpdate(0), decode: KeyUpdate.decode },
  { name: 'KeyUpdate (requested)', msg: new KeyUpdate(1), decode: KeyUpdate.decode },
  { name: 'EndOfEarlyData', msg: new EndOfEarlyData(), decode: EndOfEarlyData.decode },
  { name: 'HelloRequest', msg: new HelloRequest(), decode: HelloRequest.decode },
  { name: 'ServerHelloDone', msg: new ServerHelloDone(), decode: ServerHelloDone.decode },
  { name: 'Certificate12', msg: new Certificate12([fill(400, 0x30), fill(3, 0x30)]), decode: Certificate12.decode },
  { name: 'Certificate12 (empty)', msg: new Certificate12([]), decode: Certificate12.decode },
  {
    name: 'ServerKeyExchangeEcdhe',
    msg: new ServerKeyExchangeEcdhe(NamedGroup.x25519, fill(32, 0x44), 0x0804, fill(256, 0x55)),
    decode: ServerKeyExchangeEcdhe.decode,
  },
  { name: 'ClientKeyExchangeEcdhe', msg: new ClientKeyExchangeEcdhe(fill(65, 0x04)), decode: ClientKeyExchangeEcdhe.decode },
  {
    name: 'CertificateRequest12',
    msg: new CertificateRequest12([1, 64], [0x0401, 0x0403], [fill(30, 0x30)]),
    decode: CertificateRequest12.decode,
  },
  {
    name: 'CertificateRequest12 (no CAs)',
    msg: new CertificateRequest12([64], [0x0403], []),
    decode: CertificateRequest12.decode,
  },
  { name: 'NewSessionTicket12', msg: new NewSessionTicket12(300, fill(160, 0x71)), decode: NewSessionTicket12.decode },
  { name: 'NewSessionTicket12 (empty)', msg: new NewSessionTicket12(0, bytes()), decode: NewSessionTicket12.decode },
  { name: 'CertificateStatus', msg: new CertificateStatus(fill(500, 0x30)), decode: CertificateStatus.decode },
];

describe.each(SAMPLES)('$name', ({ msg, decode, validPrefix }) => {
  const raw = encodeHandshake(msg);
  const body = raw.subarray(4);

  it('has the right header', () => {
    expect(raw[0]).toBe(msg.msgType);
    expect((raw[1]! << 16) | (raw[2]! << 8) | raw[3]!).toBe(body.length);
    expect(decodeHandshakeMessage(raw)).toEqual({ type: msg.msgType, body, raw });
  });

  it('round-trips byte-identically', () => {
    const decoded = decode(body);
    expect(decoded).toEqual(msg);
    expect(encodeHandshake(decoded)).toEqual(raw);
  });

  it('rejects every truncation with decode_error', () => {
    for (let n = 0; n < body.length; n++) {
      if (n === validPrefix) {
        expect(decode(body.subarray(0, n))).toMatchObject({ extensions: [] });
        continue;
      }
      expectTlsError(() => decode(body.subarray(0, n)));
    }
    for (let n = 0; n < raw.length; n++) expectTlsError(() => decodeHandshakeMessage(raw.subarray(0, n)));
  });

  it('rejects a trailing byte with decode_error', () => {
    expectTlsError(() => decode(append(body, 0)));
    expectTlsError(() => decodeHandshakeMessage(append(raw, 0)));
  });
});

describe('hellos', () => {
  it('a hello without extensions encodes without the block and decodes both ways', () => {
    const bare = new ClientHello(0x0303, random, bytes(), [0x002f], bytes(0), []);
    const body = encodeHandshake(bare).subarray(4);
    expect(body.length).toBe(2 + 32 + 1 + 4 + 2);
    expect(ClientHello.decode(body).extensions).toEqual([]);
    expect(ClientHello.decode(append(body, 0, 0)).extensions).toEqual([]);
    const sh = ServerHello.decode(append(encodeHandshake(new ServerHello(0x0303, random, bytes(), 0x2f, 0, [])).subarray(4), 0, 0));
    expect(sh.extensions).toEqual([]);
  });

  it('legacy_session_id over 32 bytes, odd or empty suites, no compression are decode_error', () => {
    const parts = (sid: Uint8Array, suites: number[], comp: Uint8Array) =>
      encode((w) => {
        w.u16(0x0303).bytes(random).opaque8(sid);
        w.vec16(() => suites.forEach((x) => w.u16(x)));
        w.opaque8(comp);
      });
    expect(ClientHello.decode(parts(fill(32, 0), [0x1301], bytes(0))).legacySessionId.length).toBe(32);
    expectTlsError(() => ClientHello.decode(parts(fill(33, 0), [0x1301], bytes(0))));
    expectTlsError(() => ClientHello.decode(parts(bytes(), [], bytes(0))));
    expectTlsError(() => ClientHello.decode(parts(bytes(), [0x1301], bytes())));
    const odd = encode((w) => w.u16(0x0303).bytes(random).opaque8(bytes()).opaque16(bytes(0x13, 0x01, 0x13)).opaque8(bytes(0)));
    expectTlsError(() => ClientHello.decode(odd));
  });

  it('a duplicate extension in a hello is illegal_parameter', () => {
    const dup = new ClientHello(0x0303, random, bytes(), [0x1301], bytes(0), [
      makeExtension(SupportedVersionsClientExt, [0x0304]),
      makeExtension(SupportedVersionsClientExt, [0x0304]),
    ]);
    expectTlsError(() => ClientHello.decode(encodeHandshake(dup).subarray(4)), 'ERR_TLS_ILLEGAL_PARAMETER');
  });

  it('pre_shared_key not last is illegal_parameter (RFC 8446 §4.2.11)', () => {
    const bad = new ClientHello(0x0303, random, bytes(), [0x1301], bytes(0), [psk, makeExtension(PskKeyExchangeModesExt, [1])]);
    const raw = encodeHandshake(bad);
    expectTlsError(() => ClientHello.decode(raw.subarray(4)), 'ERR_TLS_ILLEGAL_PARAMETER');
    expect(() => ClientHello.bindersOffset(raw)).toThrow(RangeError);
  });

  it('binder truncation ends right before the binders list (RFC 8446 §4.2.11.2)', () => {
    const raw = encodeHandshake(ch13);
    const offset = ClientHello.bindersOffset(raw);
    const bindersList = encode((w) => w.vec16(() => w.opaque8(fill(32, 0xb1))));
    expect(raw.length - offset).toBe(bindersList.length);
    expect(raw.subarray(offset)).toEqual(bindersList);
    const prefix = truncateClientHelloForBinders(raw);
    expect(prefix).toEqual(raw.subarray(0, offset));
    // Hand count: header 4, version 2, random 32, sid 1+32, suites 2+6, comp 1+1, ext block 2,
    // then every extension before PSK (4 + data), then PSK's type/len 4 and identities list.
    const before = ch13Exts.slice(0, -1).reduce((n, e) => n + 4 + e.data.length, 0);
    expect(offset).toBe(4 + 2 + 32 + 33 + 8 + 2 + 2 + before + 4 + (2 + 2 + 50 + 4));
    // Swapping in other binders of the same length leaves the prefix unchanged.
    const other = new ClientHello(0x0303, random, fill(32, 0x5e), [0x1301, 0x1303, 0x1302], bytes(0), [
      ...ch13Exts.slice(0, -1),
      makeExtension(PreSharedKeyClientExt, {
        identities: [{ identity: fill(50, 0x7a), obfuscatedTicketAge: 123456 }],
        binders: [fill(32, 0x00)],
      }),
    ]);
    expect(truncateClientHelloForBinders(encodeHandshake(other))).toEqual(prefix);
  });

  it('bindersOffset rejects bad framing and a ClientHello without PSK', () => {
    const raw = encodeHandshake(ch13);
    expectTlsError(() => ClientHello.bindersOffset(raw.subarray(0, raw.length - 1)));
    expectTlsError(() => ClientHello.bindersOffset(encodeHandshake(sh13)));
    expect(() => ClientHello.bindersOffset(encodeHandshake(ch12))).toThrow(RangeError);
  });

  it('detects HelloRetryRequest by its random (RFC 8446 §4.1.3)', () => {
    expect(hrr.isHelloRetryRequest).toBe(true);
    expect(ServerHello.decode(encodeHandshake(hrr).subarray(4)).isHelloRetryRequest).toBe(true);
    expect(sh13.isHelloRetryRequest).toBe(false);
    expect(HRR_RANDOM[0]).toBe(0xcf);
    expect(findExtension(hrr.extensions, KeyShareHrrExt)).toBe(NamedGroup.secp256r1);
  });

  it('detects the downgrade sentinels', () => {
    const r12 = concat(fill(24, 1), DOWNGRADE_TLS12);
    const r11 = concat(fill(24, 1), DOWNGRADE_TLS11);
    expect(downgradeSentinel(r12)).toBe('tls12');
    expect(downgradeSentinel(r11)).toBe('tls11');
    expect(downgradeSentinel(random)).toBeUndefined();
    expect(new TextDecoder().decode(DOWNGRADE_TLS12.subarray(0, 7))).toBe('DOWNGRD');
  });

  it('constructors check their arguments', () => {
    expect(() => new ClientHello(0x0303, fill(31, 0), bytes(), [0x1301], bytes(0), [])).toThrow(RangeError);
    expect(() => new ClientHello(0x0303, random, fill(33, 0), [0x1301], bytes(0), [])).toThrow(RangeError);
    expect(() => new ClientHello(0x0303, random, bytes(), [], bytes(0), [])).toThrow(RangeError);
    expect(() => new ServerHello(0x0303, fill(33, 0), bytes(), 0x1301, 0, [])).toThrow(RangeError);
    expect(() => new KeyUpdate(2)).toThrow(RangeError);
    expect(() => new NewSessionTicket13(0, 0, bytes(), bytes(), [])).toThrow(RangeError);
    expect(() => new ClientKeyExchangeEcdhe(bytes())).toThrow(RangeError);
  });
});

describe('message rules', () => {
  it('KeyUpdate: a value other than 0/1 is illegal_parameter; length other than 1 is decode_error', () => {
    expectTlsError(() => KeyUpdate.decode(bytes(2)), 'ERR_TLS_ILLEGAL_PARAMETER');
    expectTlsError(() => KeyUpdate.decode(bytes(255)), 'ERR_TLS_ILLEGAL_PARAMETER');
    expectTlsError(() => KeyUpdate.decode(bytes(1, 0)));
    expect(KeyUpdate.decode(bytes(1)).updateRequested).toBe(true);
    expect(KeyUpdate.decode(bytes(0)).updateRequested).toBe(false);
  });

  it('Finished must be exactly the hash length', () => {
    expectTlsError(() => Finished.decode(fill(32, 0), 48));
    expectTlsError(() => Finished.decode(fill(12, 0), 32));
    expect(Finished.decode(fill(12, 7), 12).verifyData).toEqual(fill(12, 7));
  });

  it('ServerKeyExchange: curve_type other than named_curve is illegal_parameter; params() is the signed part', () => {
    const ske = new ServerKeyExchangeEcdhe(NamedGroup.secp256r1, fill(65, 4), 0x0403, fill(70, 0x30));
    const body = encodeHandshake(ske).subarray(4);
    expect(ske.params()).toEqual(body.subarray(0, 4 + 65));
    expect(ske.params()).toEqual(concat(bytes(3, 0, 0x17, 65), fill(65, 4)));
    const explicit = append(bytes(1), ...body.subarray(1));
    expectTlsError(() => ServerKeyExchangeEcdhe.decode(explicit), 'ERR_TLS_ILLEGAL_PARAMETER');
    expectTlsError(() => ServerKeyExchangeEcdhe.decode(concat(bytes(3, 0, 0x1d, 0), bytes(8, 4, 0, 0))));
  });

  it('CertificateRequest13 needs extensions; Certificate13 entries need cert_data', () => {
    expectTlsError(() => CertificateRequest13.decode(bytes(0, 0, 0)));
    expectTlsError(() => Certificate13.decode(bytes(0, 0, 0, 5, 0, 0, 0, 0, 0)));
    expectTlsError(() => Certificate12.decode(bytes(0, 0, 3, 0, 0, 0)));
  });

  it('NewSessionTicket13: empty ticket is decode_error; a duplicate extension is illegal_parameter', () => {
    expectTlsError(() => NewSessionTicket13.decode(bytes(0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0)));
    const ext = makeExtension(EarlyDataTicketExt, 1);
    const dup = new NewSessionTicket13(1, 2, bytes(), bytes(1), [ext, ext]);
    expectTlsError(() => NewSessionTicket13.decode(encodeHandshake(dup).subarray(4)), 'ERR_TLS_ILLEGAL_PARAMETER');
  });

  it('CertificateStatus: only ocsp', () => {
    expectTlsError(() => CertificateStatus.decode(bytes(2, 0, 0, 1, 0x30)));
  });
});

describe('framing', () => {
  it('names handshake types', () => {
    expect(handshakeName(HandshakeType.client_hello)).toBe('ClientHello');
    expect(handshakeName(HandshakeType.key_update)).toBe('KeyUpdate');
    expect(handshakeName(HandshakeType.certificate_status)).toBe('CertificateStatus');
    expect(handshakeName(99)).toBe('UnknownHandshake(99)');
  });

  it('message classes carry their type statically and per instance', () => {
    expect(ClientHello.msgType).toBe(HandshakeType.client_hello);
    expect(ch13.msgType).toBe(HandshakeType.client_hello);
    expect(KeyUpdate.msgType).toBe(HandshakeType.key_update);
    expect(NewSessionTicket12.msgType).toBe(NewSessionTicket13.msgType);
  });

  it('splits a buffer into complete messages and a tail', () => {
    const a = encodeHandshake(new KeyUpdate(1));
    const b = encodeHandshake(new Finished(fill(32, 1)));
    const buf = concat(a, b, b.subarray(0, 10));
    const { messages, rest } = splitHandshakeMessages(buf);
    expect(messages.map((m) => m.type)).toEqual([HandshakeType.key_update, HandshakeType.finished]);
    expect(messages[1]!.raw).toEqual(b);
    expect(messages[1]!.body).toEqual(fill(32, 1));
    expect(rest).toEqual(b.subarray(0, 10));
    expect(splitHandshakeMessages(bytes(20, 0, 0)).rest).toEqual(bytes(20, 0, 0));
    expectTlsError(() => splitHandshakeMessages(bytes(11, 1, 0, 0), 0xffff));
  });

  it('toHandshakeMessage gives the received shape', () => {
    const m = toHandshakeMessage(new KeyUpdate(0));
    expect(m).toEqual({ type: HandshakeType.key_update, body: bytes(0), raw: bytes(24, 0, 0, 1, 0) });
  });

  it('ClientHello finds typed extensions', () => {
    const d = ClientHello.decode(encodeHandshake(ch13).subarray(4));
    expect(findExtension(d.extensions, ServerNameExt)).toEqual(['server']);
    expect(findExtension(d.extensions, PreSharedKeyClientExt)?.binders).toEqual([fill(32, 0xb1)]);
    expect(d.extensions.find((e) => e.type === 0xfe0d)?.data).toEqual(bytes(1, 2, 3));
    expect(d.cipherSuites).toEqual([CipherSuite.TLS_AES_128_GCM_SHA256, 0x1303, 0x1302]);
    expect(d.extensions.at(-1)?.type).toBe(ExtensionType.pre_shared_key);
  });
});
