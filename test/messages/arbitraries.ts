/**
 * fast-check arbitraries for the handshake codecs: values that are valid
 * under the RFCs' length bounds (RFC 8446 §4, RFC 5246 §7.4 and the extension
 * RFCs), and byte mutations of valid encodings. Shared by property.test.ts.
 */
import fc from 'fast-check';
import { ExtensionType } from '../../src/common/constants.js';
import {
  AlpnExt,
  Certificate12,
  Certificate13,
  CertificateAuthoritiesExt,
  CertificateRequest12,
  CertificateRequest13,
  CertificateStatus,
  CertificateStatusExt,
  CertificateVerify,
  ClientHello,
  ClientKeyExchangeEcdhe,
  CookieExt,
  EarlyDataEmptyExt,
  EarlyDataTicketExt,
  EcPointFormatsExt,
  EmptyServerNameExt,
  EmptyStatusRequestExt,
  EncryptedExtensions,
  EndOfEarlyData,
  ExtendedMasterSecretExt,
  Finished,
  HelloRequest,
  KeyShareClientExt,
  KeyShareHrrExt,
  KeyShareServerExt,
  KeyUpdate,
  NewSessionTicket12,
  NewSessionTicket13,
  PostHandshakeAuthExt,
  PreSharedKeyClientExt,
  PreSharedKeyServerExt,
  PskKeyExchangeModesExt,
  RecordSizeLimitExt,
  RenegotiationInfoExt,
  ServerHello,
  ServerHelloDone,
  ServerKeyExchangeEcdhe,
  ServerNameExt,
  SessionTicketExt,
  SignatureAlgorithmsCertExt,
  SignatureAlgorithmsExt,
  StatusRequestExt,
  SupportedGroupsExt,
  SupportedVersionsClientExt,
  SupportedVersionsServerExt,
  makeExtension,
  type Extension,
  type ExtensionCodec,
  type HandshakeBody,
  type KeyShareEntry,
  type OcspStatusRequest,
  type OfferedPsks,
} from '../../src/messages/index.js';

// ---- scalars and opaque vectors ------------------------------------------------

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** opaque<min..max>, kept short by default so a run stays cheap (the bound is honoured either way). */
export const opaque = (minLength: number, maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength, maxLength });

/** Bytes one-to-one as a latin1 string (how names and ALPN ids are held). */
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/** A host name: 1..64 bytes, no NUL (RFC 6066 §3; the decoder refuses NUL). */
export const hostName = opaque(1, 64).map((b) => latin1(b.map((x) => (x === 0 ? 0x2e : x))));

/** ALPN ProtocolName<1..2^8-1> as latin1 (RFC 7301 §3.1). */
export const protocolName = fc
  .oneof({ weight: 4, arbitrary: opaque(1, 16) }, { weight: 1, arbitrary: opaque(1, 255) })
  .map(latin1);

// ---- typed extension values ----------------------------------------------------

/** One typed extension codec and an arbitrary of its valid values. */
export interface ExtCase {
  readonly name: string;
  readonly codec: ExtensionCodec<unknown>;
  readonly arb: fc.Arbitrary<unknown>;
  /** The value type is void: decode yields a presence marker. */
  readonly empty?: boolean;
  /** Decoding may yield a value the encoder cannot write (it drops what it does not model). */
  readonly lossy?: (decoded: unknown) => boolean;
}
const ext = <T>(name: string, codec: ExtensionCodec<T>, arb: fc.Arbitrary<T>, extra: Partial<ExtCase> = {}): ExtCase => ({
  name,
  codec: codec as ExtensionCodec<unknown>,
  arb,
  ...extra,
});

const keyShareEntry: fc.Arbitrary<KeyShareEntry> = fc.record({ group: u16, keyExchange: opaque(1, 97) });

/** OfferedPsks with one binder per identity, binders PskBinderEntry<32..255> (RFC 8446 §4.2.11). */
export const offeredPsks: fc.Arbitrary<OfferedPsks> = fc
  .array(
    fc.record({
      id: fc.record({ identity: opaque(1, 48), obfuscatedTicketAge: u32 }),
      binder: fc.oneof(opaque(32, 48), opaque(32, 255)),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((xs) => ({ identities: xs.map((x) => x.id), binders: xs.map((x) => x.binder) }));

const ocspRequest: fc.Arbitrary<OcspStatusRequest> = fc.record({
  responderIds: fc.array(opaque(1, 24), { maxLength: 4 }),
  extensions: opaque(0, 24),
});

/** u16 lists of `min`.. entries (kept short; the 2^16 bounds are tested separately). */
const u16List = (minLength: number) => fc.array(u16, { minLength, maxLength: 40 });

export const EXT_CASES: ExtCase[] = [
  ext('server_name (ClientHello)', ServerNameExt, hostName.map((n) => [n]), {
    // RFC 6066 §3 name types other than host_name are skipped: a list of only those decodes to [].
    lossy: (v) => Array.isArray(v) && v.length === 0,
  }),
  ext('server_name (empty)', EmptyServerNameExt, fc.constant(undefined), { empty: true }),
  ext('supported_groups', SupportedGroupsExt, u16List(1)),
  ext('signature_algorithms', SignatureAlgorithmsExt, u16List(1)),
  ext('signature_algorithms_cert', SignatureAlgorithmsCertExt, u16List(1)),
  ext('key_share (ClientHello)', KeyShareClientExt, fc.uniqueArray(keyShareEntry, { selector: (e) => e.group, maxLength: 5 })),
  ext('key_share (ServerHello)', KeyShareServerExt, keyShareEntry),
  ext('key_share (HelloRetryRequest)', KeyShareHrrExt, u16),
  ext('supported_versions (ClientHello)', SupportedVersionsClientExt, fc.array(u16, { minLength: 1, maxLength: 127 })),
  ext('supported_versions (ServerHello)', SupportedVersionsServerExt, u16),
  ext('psk_key_exchange_modes', PskKeyExchangeModesExt, fc.array(u8, { minLength: 1, maxLength: 255 })),
  ext('pre_shared_key (ClientHello)', PreSharedKeyClientExt, offeredPsks),
  ext('pre_shared_key (ServerHello)', PreSharedKeyServerExt, u16),
  ext('cookie', CookieExt, opaque(1, 80)),
  ext('early_data (empty)', EarlyDataEmptyExt, fc.constant(undefined), { empty: true }),
  ext('early_data (NewSessionTicket)', EarlyDataTicketExt, u32),
  ext('application_layer_protocol_negotiation', AlpnExt, fc.array(protocolName, { minLength: 1, maxLength: 6 })),
  ext('status_request (ocsp)', StatusRequestExt, ocspRequest),
  ext('status_request (empty)', EmptyStatusRequestExt, fc.constant(undefined), { empty: true }),
  ext('status_request (CertificateStatus)', CertificateStatusExt, opaque(1, 80)),
  ext('record_size_limit', RecordSizeLimitExt, fc.integer({ min: 64, max: 0xffff })),
  ext('post_handshake_auth', PostHandshakeAuthExt, fc.constant(undefined), { empty: true }),
  ext('certificate_authorities', CertificateAuthoritiesExt, fc.array(opaque(1, 40), { minLength: 1, maxLength: 5 })),
  ext('renegotiation_info', RenegotiationInfoExt, opaque(0, 255)),
  ext('extended_master_secret', ExtendedMasterSecretExt, fc.constant(undefined), { empty: true }),
  ext('ec_point_formats', EcPointFormatsExt, fc.array(u8, { minLength: 1, maxLength: 255 })),
  ext('session_ticket', SessionTicketExt, opaque(0, 80)),
];

// ---- extension blocks ----------------------------------------------------------

/** A typed extension, encoded (any codec from EXT_CASES). */
const typedExtension: fc.Arbitrary<Extension> = fc.oneof(
  ...EXT_CASES.map((c) => c.arb.map((v) => makeExtension(c.codec, v))),
);
/** An extension of any type with any data (kept opaque by the messages). */
const opaqueExtension: fc.Arbitrary<Extension> = fc.record({ type: u16, data: opaque(0, 40) });

/**
 * An extension block without a repeated type (RFC 8446 §4.2). With `pskLast`,
 * a pre_shared_key is moved to the end (RFC 8446 §4.2.11, ClientHello).
 */
export function extensionList(opts: { minLength?: number; maxLength?: number; pskLast?: boolean } = {}): fc.Arbitrary<Extension[]> {
  return fc
    .uniqueArray(fc.oneof(typedExtension, opaqueExtension), {
      selector: (e) => e.type,
      minLength: opts.minLength ?? 0,
      maxLength: opts.maxLength ?? 8,
    })
    .map((exts) => {
      if (!opts.pskLast) return exts;
      const psk = exts.filter((e) => e.type === ExtensionType.pre_shared_key);
      return [...exts.filter((e) => e.type !== ExtensionType.pre_shared_key), ...psk];
    });
}

// ---- handshake messages --------------------------------------------------------

/** One message class: an arbitrary of valid instances and its body decoder. */
export interface MsgCase {
  readonly name: string;
  readonly arb: fc.Arbitrary<HandshakeBody>;
  readonly decode: (body: Uint8Array) => HandshakeBody;
}
const msg = <T extends HandshakeBody>(name: string, arb: fc.Arbitrary<T>, decode: (body: Uint8Array) => T): MsgCase => ({
  name,
  arb,
  decode,
});

const random32 = opaque(32, 32);
const sessionId = opaque(0, 32); // legacy_session_id<0..32>

export const clientHello: fc.Arbitrary<ClientHello> = fc
  .record({
    version: u16,
    random: random32,
    sid: sessionId,
    // cipher_suites<2..2^16-2>
    suites: u16List(1),
    // legacy_compression_methods<1..2^8-1>
    compression: fc.oneof(fc.constant(Uint8Array.of(0)), opaque(1, 255)),
    exts: extensionList({ pskLast: true, maxLength: 10 }),
  })
  .map((x) => new ClientHello(x.version, x.random, x.sid, x.suites, x.compression, x.exts));

const serverHelloFields = fc.record({
  version: u16,
  random: random32,
  sid: sessionId,
  suite: u16,
  compression: u8,
  exts: extensionList(),
});
export const serverHello: fc.Arbitrary<ServerHello> = fc.oneof(
  serverHelloFields.map((x) => new ServerHello(x.version, x.random, x.sid, x.suite, x.compression, x.exts)),
  serverHelloFields.map((x) => ServerHello.helloRetryRequest(x.sid, x.suite, x.exts)),
);

const certificateEntry = fc.record({ data: opaque(1, 64), extensions: extensionList({ maxLength: 3 }) });

export const MSG_CASES: MsgCase[] = [
  msg('ClientHello', clientHello, ClientHello.decode),
  msg('ServerHello / HelloRetryRequest', serverHello, ServerHello.decode),
  msg('EncryptedExtensions', extensionList().map((e) => new EncryptedExtensions(e)), EncryptedExtensions.decode),
  msg(
    'Certificate (1.3)',
    fc
      .record({ context: opaque(0, 255), entries: fc.array(certificateEntry, { maxLength: 4 }) })
      .map((x) => new Certificate13(x.context, x.entries)),
    Certificate13.decode,
  ),
  msg(
    'CertificateRequest (1.3)',
    // extensions<2..2^16-1>: at least one extension
    fc.record({ context: opaque(0, 255), exts: extensionList({ minLength: 1 }) }).map((x) => new CertificateRequest13(x.context, x.exts)),
    CertificateRequest13.decode,
  ),
  msg(
    'CertificateVerify',
    fc.record({ scheme: u16, sig: opaque(0, 300) }).map((x) => new CertificateVerify(x.scheme, x.sig)),
    CertificateVerify.decode,
  ),
  msg('Finished (12)', opaque(12, 12).map((b) => new Finished(b)), (b) => Finished.decode(b, 12)),
  msg('Finished (32)', opaque(32, 32).map((b) => new Finished(b)), (b) => Finished.decode(b, 32)),
  msg('Finished (48)', opaque(48, 48).map((b) => new Finished(b)), (b) => Finished.decode(b, 48)),
  msg(
    'NewSessionTicket (1.3)',
    fc
      .record({ lifetime: u32, ageAdd: u32, nonce: opaque(0, 255), ticket: opaque(1, 120), exts: extensionList({ maxLength: 3 }) })
      .map((x) => new NewSessionTicket13(x.lifetime, x.ageAdd, x.nonce, x.ticket, x.exts)),
    NewSessionTicket13.decode,
  ),
  msg('KeyUpdate', fc.constantFrom(0, 1).map((v) => new KeyUpdate(v)), KeyUpdate.decode),
  msg('EndOfEarlyData', fc.constant(new EndOfEarlyData()), EndOfEarlyData.decode),
  msg('HelloRequest', fc.constant(new HelloRequest()), HelloRequest.decode),
  msg('ServerHelloDone', fc.constant(new ServerHelloDone()), ServerHelloDone.decode),
  msg('Certificate (1.2)', fc.array(opaque(1, 64), { maxLength: 5 }).map((c) => new Certificate12(c)), Certificate12.decode),
  msg(
    'ServerKeyExchange (ECDHE)',
    fc
      .record({ group: u16, pub: opaque(1, 255), scheme: u16, sig: opaque(0, 300) })
      .map((x) => new ServerKeyExchangeEcdhe(x.group, x.pub, x.scheme, x.sig)),
    ServerKeyExchangeEcdhe.decode,
  ),
  msg('ClientKeyExchange (ECDHE)', opaque(1, 255).map((b) => new ClientKeyExchangeEcdhe(b)), ClientKeyExchangeEcdhe.decode),
  msg(
    'CertificateRequest (1.2)',
    fc
      .record({ types: fc.array(u8, { minLength: 1, maxLength: 255 }), algs: u16List(1), cas: fc.array(opaque(1, 40), { maxLength: 4 }) })
      .map((x) => new CertificateRequest12(x.types, x.algs, x.cas)),
    CertificateRequest12.decode,
  ),
  msg(
    'NewSessionTicket (1.2)',
    fc.record({ hint: u32, ticket: opaque(0, 120) }).map((x) => new NewSessionTicket12(x.hint, x.ticket)),
    NewSessionTicket12.decode,
  ),
  msg('CertificateStatus', opaque(1, 200).map((b) => new CertificateStatus(b)), CertificateStatus.decode),
];

// ---- mutations -----------------------------------------------------------------

/**
 * One edit of a byte string. Positions are free naturals taken modulo the
 * length at the time the edit applies, so a list of edits does not depend on
 * the input and shrinks on its own.
 */
export type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'set'; pos: number; value: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'delete'; pos: number; count: number }
  /** Overwrite a 1-, 2- or 3-byte big-endian field (a length, most often) with a random value or the old one ± delta. */
  | { kind: 'length'; pos: number; width: 1 | 2 | 3; value: number; delta: boolean }
  /** Copy `count` bytes from `from` over (or into) `pos`: duplicated or shifted structure. */
  | { kind: 'splice'; from: number; pos: number; count: number; insert: boolean }
  /** Cut here and continue with `other` (another valid encoding) from `otherPos`. */
  | { kind: 'cross'; pos: number; otherPos: number };

const pos = fc.nat();
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), pos, value: u8 }),
  fc.record({ kind: fc.constant('truncate' as const), pos }),
  fc.record({ kind: fc.constant('extend' as const), bytes: opaque(1, 16) }),
  fc.record({ kind: fc.constant('insert' as const), pos, bytes: opaque(1, 8) }),
  fc.record({ kind: fc.constant('delete' as const), pos, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('length' as const),
    pos,
    width: fc.constantFrom(1 as const, 2 as const, 3 as const),
    value: fc.oneof(fc.integer({ min: -4, max: 4 }), u32),
    delta: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('splice' as const), from: pos, pos, count: fc.integer({ min: 1, max: 32 }), insert: fc.boolean() }),
  fc.record({ kind: fc.constant('cross' as const), pos, otherPos: pos }),
);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Apply one mutation; `other` is a second valid encoding (for 'cross'). Returns a fresh array. */
export function applyMutation(b: Uint8Array, m: Mutation, other: Uint8Array): Uint8Array {
  const n = b.length;
  const at = (p: number, extra = 0) => p % (n + extra); // n + 1 positions to cut or insert at
  switch (m.kind) {
    case 'flip': {
      if (n === 0) return b.slice();
      const out = b.slice();
      out[at(m.pos)]! ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      if (n === 0) return Uint8Array.of(m.value);
      const out = b.slice();
      out[at(m.pos)] = m.value;
      return out;
    }
    case 'truncate':
      return b.slice(0, at(m.pos, 1));
    case 'extend':
      return concat(b, m.bytes);
    case 'insert': {
      const p = at(m.pos, 1);
      return concat(b.subarray(0, p), m.bytes, b.subarray(p));
    }
    case 'delete': {
      const p = at(m.pos, 1);
      return concat(b.subarray(0, p), b.subarray(p + m.count));
    }
    case 'length': {
      if (n === 0) return b.slice();
      const out = b.slice();
      const p = at(m.pos);
      const w = Math.min(m.width, n - p);
      let old = 0;
      for (let i = 0; i < w; i++) old = old * 256 + out[p + i]!;
      const mod = 2 ** (8 * w);
      const v = (((m.delta ? old + m.value : m.value) % mod) + mod) % mod;
      for (let i = 0; i < w; i++) out[p + i] = Math.floor(v / 2 ** (8 * (w - 1 - i))) & 0xff;
      return out;
    }
    case 'splice': {
      if (n === 0) return b.slice();
      const from = at(m.from);
      const piece = b.slice(from, from + m.count);
      const p = at(m.pos, 1);
      return m.insert ? concat(b.subarray(0, p), piece, b.subarray(p)) : concat(b.subarray(0, p), piece, b.subarray(p + piece.length));
    }
    case 'cross':
      return concat(b.subarray(0, at(m.pos, 1)), other.subarray(m.otherPos % (other.length + 1)));
  }
}

/** 1..4 mutations applied in turn. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

export function mutate(b: Uint8Array, ms: readonly Mutation[], other: Uint8Array): Uint8Array {
  return ms.reduce((acc, m) => applyMutation(acc, m, other), b);
}
