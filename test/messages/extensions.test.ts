import { describe, expect, it } from 'vitest';
import { ExtensionType, NamedGroup } from '../../src/common/constants.js';
import { Reader, Writer, encode } from '../../src/messages/codec.js';
import {
  AlpnExt,
  CertificateAuthoritiesExt,
  CertificateStatusExt,
  CookieExt,
  EarlyDataEmptyExt,
  EarlyDataTicketExt,
  EcPointFormatsExt,
  EmptyServerNameExt,
  EmptyStatusRequestExt,
  ExtendedMasterSecretExt,
  KeyShareClientExt,
  KeyShareHrrExt,
  KeyShareServerExt,
  PostHandshakeAuthExt,
  PreSharedKeyClientExt,
  PreSharedKeyServerExt,
  PskKeyExchangeModesExt,
  RecordSizeLimitExt,
  RenegotiationInfoExt,
  ServerNameExt,
  SessionTicketExt,
  SignatureAlgorithmsCertExt,
  SignatureAlgorithmsExt,
  StatusRequestExt,
  SupportedGroupsExt,
  SupportedVersionsClientExt,
  SupportedVersionsServerExt,
  decodeExtensionData,
  decodeExtensions,
  encodeExtensions,
  extensionName,
  findExtension,
  hasExtension,
  makeExtension,
  pskBindersLength,
  type Extension,
  type ExtensionCodec,
} from '../../src/messages/index.js';
import { append, bytes, expectTlsError, fill } from './support.js';

interface Sample {
  name: string;
  codec: ExtensionCodec<unknown>;
  value: unknown;
  /** The value's data is the rest of the extension (no framing to break). */
  opaque?: boolean;
  /** The codec's value type is void (decode yields a presence marker). */
  empty?: boolean;
}
const s = <T>(name: string, codec: ExtensionCodec<T>, value: T, extra: Partial<Sample> = {}): Sample => ({
  name,
  codec: codec as ExtensionCodec<unknown>,
  value,
  ...extra,
});

const SAMPLES: Sample[] = [
  s('server_name (ClientHello)', ServerNameExt, ['example.com']),
  s('server_name (empty)', EmptyServerNameExt, undefined, { empty: true }),
  s('supported_groups', SupportedGroupsExt, [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]),
  s('signature_algorithms', SignatureAlgorithmsExt, [0x0403, 0x0804, 0x0401]),
  s('signature_algorithms_cert', SignatureAlgorithmsCertExt, [0x0807]),
  s('key_share (ClientHello)', KeyShareClientExt, [
    { group: NamedGroup.x25519, keyExchange: fill(32, 0xaa) },
    { group: NamedGroup.secp256r1, keyExchange: fill(65, 0x04) },
  ]),
  s('key_share (ClientHello, empty)', KeyShareClientExt, []),
  s('key_share (ServerHello)', KeyShareServerExt, { group: NamedGroup.x25519, keyExchange: fill(32, 0xbb) }),
  s('key_share (HelloRetryRequest)', KeyShareHrrExt, NamedGroup.secp384r1),
  s('supported_versions (ClientHello)', SupportedVersionsClientExt, [0x0304, 0x0303]),
  s('supported_versions (ServerHello)', SupportedVersionsServerExt, 0x0304),
  s('psk_key_exchange_modes', PskKeyExchangeModesExt, [1, 0]),
  s('pre_shared_key (ClientHello)', PreSharedKeyClientExt, {
    identities: [
      { identity: fill(40, 1), obfuscatedTicketAge: 0xdeadbeef },
      { identity: bytes(7), obfuscatedTicketAge: 0 },
    ],
    binders: [fill(32, 2), fill(48, 3)],
  }),
  s('pre_shared_key (ServerHello)', PreSharedKeyServerExt, 1),
  s('cookie', CookieExt, fill(100, 0x5c)),
  s('early_data (empty)', EarlyDataEmptyExt, undefined, { empty: true }),
  s('early_data (NewSessionTicket)', EarlyDataTicketExt, 0xffffffff),
  s('application_layer_protocol_negotiation', AlpnExt, ['h2', 'http/1.1']),
  s('status_request (ocsp)', StatusRequestExt, { responderIds: [bytes(1, 2, 3)], extensions: bytes(0x30, 0) }),
  s('status_request (ocsp, empty lists)', StatusRequestExt, { responderIds: [], extensions: new Uint8Array(0) }),
  s('status_request (empty)', EmptyStatusRequestExt, undefined, { empty: true }),
  s('status_request (CertificateStatus)', CertificateStatusExt, fill(300, 0x30)),
  s('record_size_limit', RecordSizeLimitExt, 16385),
  s('post_handshake_auth', PostHandshakeAuthExt, undefined, { empty: true }),
  s('certificate_authorities', CertificateAuthoritiesExt, [fill(20, 0x30), bytes(0x30)]),
  s('renegotiation_info', RenegotiationInfoExt, fill(24, 9)),
  s('renegotiation_info (initial)', RenegotiationInfoExt, new Uint8Array(0)),
  s('extended_master_secret', ExtendedMasterSecretExt, undefined, { empty: true }),
  s('ec_point_formats', EcPointFormatsExt, [0]),
  s('session_ticket', SessionTicketExt, fill(130, 0x77), { opaque: true }),
  s('session_ticket (empty)', SessionTicketExt, new Uint8Array(0), { opaque: true }),
];

describe.each(SAMPLES)('$name', ({ codec, value, opaque, empty }) => {
  const ext = makeExtension(codec, value);
  const data = ext.data;

  it('round-trips byte-identically', () => {
    expect(ext.type).toBe(codec.type);
    const decoded = findExtension([ext], codec);
    if (empty) expect(decoded).not.toBeUndefined();
    else expect(decoded).toEqual(value);
    expect(makeExtension(codec, decoded).data).toEqual(data);
  });

  if (opaque) {
    it('takes any bytes whole', () => {
      expect(decodeExtensionData(codec, append(data, 0))).toEqual(append(data, 0));
    });
    return;
  }

  it('rejects every truncation with decode_error', () => {
    for (let n = 0; n < data.length; n++) expectTlsError(() => decodeExtensionData(codec, data.subarray(0, n)));
  });

  it('rejects a trailing byte with decode_error', () => {
    expectTlsError(() => decodeExtensionData(codec, append(data, 0)));
  });
});

describe('extension blocks', () => {
  const block = (exts: [number, number[]][]): Uint8Array =>
    encode((w) => w.vec16(() => exts.forEach(([t, d]) => w.u16(t).opaque16(Uint8Array.from(d)))));

  it('keeps unknown extensions opaque and re-encodes them identically', () => {
    const wire = block([
      [0x0a0a, []],
      [0xfe0d, [1, 2, 3, 4, 5]],
      [ExtensionType.supported_groups, [0, 2, 0, 0x1d]],
    ]);
    const exts = decodeExtensions(new Reader(wire), 'test');
    expect(exts.map((e) => e.type)).toEqual([0x0a0a, 0xfe0d, 10]);
    expect(exts[1]!.data).toEqual(bytes(1, 2, 3, 4, 5));
    const w = new Writer();
    encodeExtensions(w, exts);
    expect(w.finish()).toEqual(wire);
    expect(findExtension(exts, SupportedGroupsExt)).toEqual([0x1d]);
  });

  it('rejects a duplicate extension type with illegal_parameter (RFC 8446 §4.2)', () => {
    const wire = block([
      [0xfe0d, [1]],
      [ExtensionType.server_name, []],
      [0xfe0d, [2]],
    ]);
    const e = expectTlsError(() => decodeExtensions(new Reader(wire), 'test'), 'ERR_TLS_ILLEGAL_PARAMETER');
    expect(e.message).toContain('duplicate');
  });

  it('rejects bad framing and enforces minBytes', () => {
    expectTlsError(() => decodeExtensions(new Reader(bytes(0, 3, 0, 1, 0)), 'test'));
    expectTlsError(() => decodeExtensions(new Reader(bytes(0, 0)), 'test', 2));
    expect(decodeExtensions(new Reader(bytes(0, 0)), 'test')).toEqual([]);
  });

  it('findExtension: absent is undefined; present void is not; junk is decode_error', () => {
    const exts: Extension[] = [{ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) }];
    expect(findExtension(exts, PostHandshakeAuthExt)).toBeUndefined();
    expect(findExtension(exts, ExtendedMasterSecretExt)).not.toBeUndefined();
    expect(hasExtension(exts, ExtensionType.extended_master_secret)).toBe(true);
    expectTlsError(() => findExtension([{ type: ExtensionType.extended_master_secret, data: bytes(0) }], ExtendedMasterSecretExt));
    expectTlsError(() => findExtension([{ type: ExtensionType.supported_groups, data: bytes(0, 2, 0, 0x1d, 9) }], SupportedGroupsExt));
  });

  it('names extensions', () => {
    expect(extensionName(ExtensionType.key_share)).toBe('key_share');
    expect(extensionName(0xfe0d)).toBe('unknown(0xfe0d)');
  });
});

describe('extension rules', () => {
  const dec = <T>(codec: ExtensionCodec<T>, ...b: number[]) => decodeExtensionData(codec, Uint8Array.from(b));

  it('record_size_limit below 64 is illegal_parameter (RFC 8449 §4)', () => {
    expectTlsError(() => dec(RecordSizeLimitExt, 0, 63), 'ERR_TLS_ILLEGAL_PARAMETER');
    expect(dec(RecordSizeLimitExt, 0, 64)).toBe(64);
    expect(() => makeExtension(RecordSizeLimitExt, 63)).toThrow(RangeError);
  });

  it('key_share with a group twice is illegal_parameter (RFC 8446 §4.2.8)', () => {
    const data = makeExtension(KeyShareClientExt, [
      { group: 0x1d, keyExchange: fill(32, 1) },
      { group: 0x1d, keyExchange: fill(32, 2) },
    ]).data;
    expectTlsError(() => decodeExtensionData(KeyShareClientExt, data), 'ERR_TLS_ILLEGAL_PARAMETER');
  });

  it('key_share entries need a non-empty key_exchange', () => {
    expectTlsError(() => dec(KeyShareServerExt, 0, 0x1d, 0, 0));
  });

  it('pre_shared_key with binders and identities of different counts is illegal_parameter', () => {
    const one = makeExtension(PreSharedKeyClientExt, {
      identities: [{ identity: bytes(1), obfuscatedTicketAge: 0 }],
      binders: [fill(32, 0)],
    }).data;
    const binders = one.subarray(2 + 7);
    const twoIds = encode((w) => {
      w.vec16(() => w.opaque16(bytes(1)).u32(0).opaque16(bytes(2)).u32(0));
      w.bytes(binders);
    });
    expectTlsError(() => decodeExtensionData(PreSharedKeyClientExt, twoIds), 'ERR_TLS_ILLEGAL_PARAMETER');
    expect(pskBindersLength([32])).toBe(binders.length);
  });

  it('pre_shared_key binders are 32..255 bytes, lists non-empty', () => {
    const short = encode((w) => {
      w.vec16(() => w.opaque16(bytes(1)).u32(0));
      w.vec16(() => w.opaque8(fill(31, 0)));
    });
    expectTlsError(() => decodeExtensionData(PreSharedKeyClientExt, short));
    expectTlsError(() => dec(PreSharedKeyClientExt, 0, 0, 0, 0));
  });

  it('server_name: other name types are skipped; empty list, two host names, NUL are decode_error', () => {
    const other = encode((w) => w.vec16(() => w.u8(7).opaque16(bytes(1, 2)).u8(0).opaque16(bytes(0x61, 0x62))));
    expect(decodeExtensionData(ServerNameExt, other)).toEqual(['ab']);
    expectTlsError(() => dec(ServerNameExt, 0, 0));
    const two = encode((w) => w.vec16(() => w.u8(0).opaque16(bytes(0x61)).u8(0).opaque16(bytes(0x62))));
    expectTlsError(() => decodeExtensionData(ServerNameExt, two));
    expectTlsError(() => dec(ServerNameExt, 0, 4, 0, 0, 1, 0));
    expectTlsError(() => dec(ServerNameExt, 0, 3, 0, 0, 0));
  });

  it('status_request other than ocsp is decode_error', () => {
    expectTlsError(() => dec(StatusRequestExt, 2, 0, 0, 0, 0));
    expectTlsError(() => dec(CertificateStatusExt, 2, 0, 0, 1, 0));
  });

  it('void codecs reject data', () => {
    for (const c of [EmptyServerNameExt, EarlyDataEmptyExt, PostHandshakeAuthExt, ExtendedMasterSecretExt]) {
      expectTlsError(() => dec(c, 0));
    }
  });

  it('list minimums: empty lists are decode_error', () => {
    expectTlsError(() => dec(SupportedGroupsExt, 0, 0));
    expectTlsError(() => dec(SignatureAlgorithmsExt, 0, 0));
    expectTlsError(() => dec(SupportedVersionsClientExt, 0));
    expectTlsError(() => dec(SupportedVersionsClientExt, 1, 3));
    expectTlsError(() => dec(PskKeyExchangeModesExt, 0));
    expectTlsError(() => dec(AlpnExt, 0, 0));
    expectTlsError(() => dec(AlpnExt, 0, 1, 0));
    expectTlsError(() => dec(EcPointFormatsExt, 0));
    expectTlsError(() => dec(CookieExt, 0, 0));
    expectTlsError(() => dec(CertificateAuthoritiesExt, 0, 0));
    expectTlsError(() => dec(CertificateAuthoritiesExt, 0, 2, 0, 0));
    expectTlsError(() => dec(SupportedGroupsExt, 0, 3, 0, 0x1d, 0));
  });

  it('ALPN and host names are latin1: every byte round-trips; wider chars are a RangeError', () => {
    const name = String.fromCharCode(0xff, 0x00, 0x80, 0x68);
    const ext = makeExtension(AlpnExt, [name]);
    expect(ext.data).toEqual(bytes(0, 5, 4, 0xff, 0x00, 0x80, 0x68));
    expect(findExtension([ext], AlpnExt)).toEqual([name]);
    expect(() => makeExtension(AlpnExt, ['\u0100'])).toThrow(RangeError);
    expect(() => makeExtension(AlpnExt, [''])).toThrow(RangeError);
    expect(() => makeExtension(AlpnExt, ['x'.repeat(256)])).toThrow(RangeError);
    expect(() => makeExtension(ServerNameExt, ['a', 'b'])).toThrow(RangeError);
  });

  it('encoders check what the decoder would reject', () => {
    expect(() => makeExtension(SupportedGroupsExt, [])).toThrow(RangeError);
    expect(() => makeExtension(CookieExt, new Uint8Array(0))).toThrow(RangeError);
    expect(() =>
      makeExtension(PreSharedKeyClientExt, { identities: [{ identity: bytes(1), obfuscatedTicketAge: 0 }], binders: [] }),
    ).toThrow(RangeError);
    expect(() => makeExtension(KeyShareServerExt, { group: 0x1d, keyExchange: new Uint8Array(0) })).toThrow(RangeError);
  });
});
