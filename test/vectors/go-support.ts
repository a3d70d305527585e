/**
 * Reading and replaying Go's crypto/tls testdata (test/vectors/go-crypto-tls-testdata,
 * BSD licence in LICENSE.go there): the flows of a recording, its records,
 * and a passive replay that derives the keys Go used and opens every
 * protected record with our record layer and key schedules.
 *
 * Go records these handshakes with `Rand: zeroSource{}` on Go's side (the
 * client in Client-* files, the server in Server-* files), so Go's ephemeral
 * secrets are reproducible:
 * - X25519: the private key is 32 zero bytes (the ladder clamps it);
 * - NIST curves: crypto/ecdh reads a scalar-sized candidate and XORs 0x42
 *   into its second byte (so an all-zero test reader still gives a valid,
 *   non-zero scalar): the scalar is 00 42 00 .. 00;
 * - RSA key transport (Go as client): the pre-master secret is the
 *   ClientHello version (03 03) followed by 46 zero bytes.
 * The replay asserts each of these against the bytes on the wire (Go's key
 * share, and the Finished messages), so a wrong guess cannot pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, nameOf } from '../../src/common/constants.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { hashLength, type KeyExchange } from '../../src/crypto/provider.js';
import { suiteInfo, type SuiteInfo } from '../../src/crypto/suites.js';
import { KeySchedule12 } from '../../src/handshake/keyschedule12.js';
import { KeySchedule13 } from '../../src/handshake/keyschedule13.js';
import { Transcript } from '../../src/handshake/transcript.js';
import {
  Certificate12,
  Certificate13,
  CertificateRequest12,
  CertificateRequest13,
  CertificateVerify,
  ClientHello,
  ClientKeyExchangeEcdhe,
  EncryptedExtensions,
  Finished,
  HelloRequest,
  KeyShareClientExt,
  KeyShareServerExt,
  KeyUpdate,
  NewSessionTicket12,
  NewSessionTicket13,
  PreSharedKeyServerExt,
  ServerHello,
  ServerHelloDone,
  ServerKeyExchangeEcdhe,
  SessionTicketExt,
  SupportedVersionsServerExt,
  encodeHandshake,
  findExtension,
  handshakeName,
  hasExtension,
  splitHandshakeMessages,
  type HandshakeBody,
  type HandshakeMessage,
} from '../../src/messages/index.js';
import { RECORD_HEADER_LENGTH, type RawRecord } from '../../src/record/deframer.js';
import { ReceiveProtection } from '../../src/record/protection.js';

export const GO_DIR = new URL('./go-crypto-tls-testdata/', import.meta.url);

/** The recordings (not LICENSE.go), sorted. */
export function goTestFiles(): string[] {
  return readdirSync(GO_DIR)
    .filter((f) => /^(Client|Server)-TLSv1[23]-/.test(f))
    .sort();
}

export interface Flow {
  readonly fromClient: boolean;
  readonly data: Uint8Array;
}

/** The flows of a Go testdata file: hexdump blocks under ">>> Flow N (client to server)". */
export function flows(name: string): Flow[] {
  const out: { fromClient: boolean; bytes: number[] }[] = [];
  for (const line of readFileSync(new URL(name, GO_DIR), 'latin1').split('\n')) {
    const head = /^>>> Flow \d+ \((client|server) to/.exec(line);
    if (head) out.push({ fromClient: head[1] === 'client', bytes: [] });
    const row = /^[0-9a-f]{8}  ([0-9a-f ]+?)\s*\|/.exec(line);
    if (row) out.at(-1)!.bytes.push(...row[1]!.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  }
  return out.map((f) => ({ fromClient: f.fromClient, data: Uint8Array.from(f.bytes) }));
}

/**
 * Cut one flow into records by their 5-byte headers, without judging them.
 * `trailing` is what is left after the last whole record (a short header or
 * a fragment cut off); empty for a well-formed flow.
 */
export function splitRecords(data: Uint8Array): { records: RawRecord[]; trailing: Uint8Array } {
  const records: RawRecord[] = [];
  let at = 0;
  while (data.length - at >= RECORD_HEADER_LENGTH) {
    const length = (data[at + 3]! << 8) | data[at + 4]!;
    const end = at + RECORD_HEADER_LENGTH + length;
    if (end > data.length) break;
    records.push({
      type: data[at]!,
      version: (data[at + 1]! << 8) | data[at + 2]!,
      header: data.subarray(at, at + RECORD_HEADER_LENGTH),
      fragment: data.subarray(at + RECORD_HEADER_LENGTH, end),
    });
    at = end;
  }
  return { records, trailing: data.subarray(at) };
}

export interface FramedRecord {
  readonly from: Side;
  readonly flow: number;
  readonly record: RawRecord;
  /**
   * AEAD-protected by the recording's own rules: TLS 1.3 application_data
   * records; in TLS 1.2 everything a side sends after its ChangeCipherSpec.
   */
  readonly ciphertext: boolean;
}

/** Every record of a recording in order, and the bytes left over after each flow's last whole record. */
export function frameFile(name: string, input: readonly Flow[] = flows(name)): { records: FramedRecord[]; trailing: number[] } {
  const tls13 = name.includes('TLSv13');
  const afterCcs: Record<Side, boolean> = { client: false, server: false };
  const records: FramedRecord[] = [];
  const trailing: number[] = [];
  input.forEach((f, flow) => {
    const from: Side = f.fromClient ? 'client' : 'server';
    const split = splitRecords(f.data);
    trailing.push(split.trailing.length);
    for (const record of split.records) {
      const ciphertext = tls13 ? record.type === ContentType.application_data : afterCcs[from];
      // TLS 1.2: a ChangeCipherSpec switches its sender's direction (and a
      // renegotiation's CCS, itself protected, keeps it switched).
      if (!tls13 && record.type === ContentType.change_cipher_spec) afterCcs[from] = true;
      records.push({ from, flow, record, ciphertext });
    }
  });
  return { records, trailing };
}

// ---- Go's deterministic secrets ------------------------------------------------------

const NIST = new Set<number>([NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]);

/**
 * Go's ephemeral key for `group` under an all-zero random source, made by
 * OUR key exchange (kx.ts) fed the bytes Go's crypto/ecdh ends up using.
 * @throws {Error} for a group whose Go derivation we do not reproduce
 */
export function goEphemeral(group: number): KeyExchange {
  if (group !== NamedGroup.x25519 && !NIST.has(group)) {
    throw new Error(`no zero-source derivation for group ${nameOf(NamedGroup, group)}`);
  }
  const random = (n: number): Uint8Array => {
    const b = new Uint8Array(n);
    if (NIST.has(group)) b[1] = 0x42;
    return b;
  };
  return nobleProvider({ random }).keyExchange(group);
}

/** RSA key transport with Go as client: client_version (TLS 1.2) then 46 zero bytes. */
export function goRsaPreMaster(): Uint8Array {
  const pm = new Uint8Array(48);
  pm[0] = 3;
  pm[1] = 3;
  return pm;
}

/**
 * RFC 5288 TLS_RSA_WITH_AES_*_GCM_*: RSA key transport suites our suite table
 * leaves out (we never negotiate them), described here only so that our
 * TLS 1.2 key block and record protection can run on Go's Client-TLSv12-AES*
 * recordings. Record protection depends only on the AEAD and PRF hash.
 */
/** Non-AEAD suites met in the recordings, for the report. */
const NON_AEAD_SUITES: ReadonlyMap<number, string> = new Map([[0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA']]);

const RSA_KX_SUITES: ReadonlyMap<number, SuiteInfo> = new Map([
  [
    0x009c,
    { id: 0x009c, name: 'TLS_RSA_WITH_AES_128_GCM_SHA256', opensslName: 'AES128-GCM-SHA256', version: '1.2', aead: 'AES-128-GCM', hash: 'sha256', keyLength: 16, fixedIvLength: 4, auth: 'RSA' },
  ],
  [
    0x009d,
    { id: 0x009d, name: 'TLS_RSA_WITH_AES_256_GCM_SHA384', opensslName: 'AES256-GCM-SHA384', version: '1.2', aead: 'AES-256-GCM', hash: 'sha384', keyLength: 32, fixedIvLength: 4, auth: 'RSA' },
  ],
]);

// ---- the replay ----------------------------------------------------------------------

export type Side = 'client' | 'server';

export interface HandshakeReport {
  suite: string;
  /** Named group of the (EC)DHE exchange; 'rsa' for RSA key transport. */
  group: string;
  helloRetryRequest: boolean;
  /** TLS 1.2: RFC 7627 extended master secret negotiated. */
  extendedMasterSecret: boolean;
  /** Go's key share reproduced from the zero source by our key exchange, byte for byte. */
  goShareReproduced: boolean;
  /** Resumed: TLS 1.3 server selected a PSK; TLS 1.2 abbreviated handshake (no key exchange). */
  resumed: boolean;
  clientFinishedVerified: boolean;
  serverFinishedVerified: boolean;
}

export interface ReplayedMessage {
  readonly from: Side;
  readonly type: number;
  /** Carried in a protected record (and so opened by our record layer). */
  readonly encrypted: boolean;
  /** The decoded message; re-encoded byte for byte before it is listed. */
  readonly body: HandshakeBody | null;
}

export interface ReplayReport {
  readonly version: '1.2' | '1.3';
  readonly goSide: Side;
  /**
   * Why keys could not be derived, in the order met; empty when everything
   * was replayed. After the first, protected records are only counted while
   * plaintext handshake messages are still decoded and re-encoded.
   */
  readonly notDerivable: string[];
  readonly handshakes: HandshakeReport[];
  /** Protected records seen / opened (authenticated and decrypted) by ReceiveProtection. */
  protectedRecords: number;
  recordsOpened: number;
  readonly messages: ReplayedMessage[];
  readonly applicationData: Record<Side, number>;
  readonly alerts: { from: Side; level: number; description: number; encrypted: boolean }[];
  readonly keyUpdates: Side[];
  /** Records opened in each direction under a key reached by KeyUpdate ratchets. */
  readonly openedAfterKeyUpdate: Record<Side, number>;
}

interface Direction {
  recv: ReceiveProtection;
  buf: Uint8Array;
  /** TLS 1.2, keys not derivable: this side sent ChangeCipherSpec, so the rest is protected. */
  opaque: boolean;
}

interface Handshake13 {
  report: HandshakeReport;
  transcript: Transcript;
  clientHello: ClientHello;
  keys?: Keys13;
}

/** The TLS 1.3 secrets once the ServerHello is in. */
interface Keys13 {
  suite: SuiteInfo;
  ks: KeySchedule13;
  clientHs: Uint8Array;
  serverHs: Uint8Array;
  clientAp?: Uint8Array;
}

interface Handshake12 {
  report: HandshakeReport;
  transcript: Transcript;
  clientHello: ClientHello;
  serverHello?: ServerHello;
  suite?: SuiteInfo;
  ske?: ServerKeyExchangeEcdhe;
  clientKeyExchange: boolean;
  ks?: KeySchedule12;
}

const provider = nobleProvider();

/** Decode with `decode`, check the re-encoding is the message byte for byte. */
function reencoded<T extends HandshakeBody>(msg: HandshakeMessage, decode: (body: Uint8Array) => T): T {
  const decoded = decode(msg.body);
  expect(encodeHandshake(decoded), `${handshakeName(msg.type)} re-encodes byte for byte`).toEqual(msg.raw);
  return decoded;
}

/**
 * A passive observer of one recording: frames both directions, derives Go's
 * keys, opens every protected record with ReceiveProtection, decodes and
 * re-encodes every handshake message and checks each Finished with our key
 * schedule. Any mismatch throws (through vitest's expect or our code's own
 * errors); a handshake whose secrets the file does not hold adds to `notDerivable`.
 */
class Replayer {
  readonly report: ReplayReport;
  private readonly dirs: Record<Side, Direction> = {
    client: { recv: ReceiveProtection.plaintext(), buf: new Uint8Array(0), opaque: false },
    server: { recv: ReceiveProtection.plaintext(), buf: new Uint8Array(0), opaque: false },
  };
  private hs13: Handshake13 | null = null;
  private hs12: Handshake12 | null = null;
  /** Set by a KeyUpdate: ratchet that direction once its record is done. */
  private ratchetAfterRecord = false;

  constructor(name: string) {
    const version = name.includes('TLSv13') ? '1.3' : '1.2';
    this.report = {
      version,
      goSide: name.startsWith('Client-') ? 'client' : 'server',
      notDerivable: [],
      handshakes: [],
      protectedRecords: 0,
      recordsOpened: 0,
      messages: [],
      applicationData: { client: 0, server: 0 },
      alerts: [],
      keyUpdates: [],
      openedAfterKeyUpdate: { client: 0, server: 0 },
    };
  }

  /** One record; `ciphertext` is frameFile's verdict, which must agree with our protection state. */
  record(from: Side, rec: RawRecord, ciphertext: boolean): void {
    const dir = this.dirs[from];
    const tls13 = this.report.version === '1.3';
    // TLS 1.3 compatibility ChangeCipherSpec (RFC 8446 §5): plaintext, one byte 1, never protected.
    const isProtected = tls13 ? rec.type === ContentType.application_data : dir.recv.encrypted || dir.opaque;
    expect(isProtected, `${from} record protection state`).toBe(ciphertext);
    if (isProtected) this.report.protectedRecords++;
    let type: number;
    let data: Uint8Array;
    if (isProtected) {
      if (this.stopped) return;
      expect(dir.recv.encrypted, `${from} sent a protected record before its keys`).toBe(true);
      ({ type, data } = dir.recv.open(rec));
      this.report.recordsOpened++;
      if (this.report.keyUpdates.includes(from)) this.report.openedAfterKeyUpdate[from]++;
    } else if (dir.recv.encrypted) {
      // TLS 1.3 only: the compatibility CCS goes around the record protection.
      expect(rec.type, 'plaintext record under TLS 1.3 keys').toBe(ContentType.change_cipher_spec);
      ({ type, fragment: data } = rec);
    } else {
      ({ type, data } = dir.recv.open(rec)); // plaintext: the length check only
    }
    switch (type) {
      case ContentType.change_cipher_spec:
        expect(data).toEqual(Uint8Array.of(1));
        if (!tls13) this.changeCipherSpec12(from);
        break;
      case ContentType.alert:
        expect(data.length, 'alert length').toBe(2);
        this.report.alerts.push({ from, level: data[0]!, description: data[1]!, encrypted: isProtected });
        break;
      case ContentType.application_data:
        expect(isProtected, 'application data is protected').toBe(true);
        this.report.applicationData[from] += data.length;
        break;
      case ContentType.handshake:
        this.handshakeRecord(from, data, isProtected);
        break;
      default:
        throw new Error(`content type ${type}`);
    }
    if (this.ratchetAfterRecord) {
      this.ratchetAfterRecord = false;
      dir.recv.ratchet13();
    }
  }

  private handshakeRecord(from: Side, data: Uint8Array, encrypted: boolean): void {
    const dir = this.dirs[from];
    const joined = new Uint8Array(dir.buf.length + data.length);
    joined.set(dir.buf);
    joined.set(data, dir.buf.length);
    const { messages, rest } = splitHandshakeMessages(joined);
    dir.buf = rest.slice();
    for (const msg of messages) {
      // RFC 8446 §5.1: a key change must fall on a record boundary.
      expect(this.ratchetAfterRecord, 'no message after a KeyUpdate in its record').toBe(false);
      const body = this.report.version === '1.3' ? this.message13(from, msg) : this.message12(from, msg);
      this.report.messages.push({ from, type: msg.type, encrypted, body });
    }
    if (this.report.version === '1.3' && dir.recv.encrypted) {
      expect(dir.buf.length, 'no handshake message split across a TLS 1.3 key change').toBe(0);
    }
  }

  /** True once some secret is out of reach: no more key derivation. */
  private get stopped(): boolean {
    return this.report.notDerivable.length > 0;
  }

  private stop(reason: string): void {
    this.report.notDerivable.push(reason);
  }

  // ---- TLS 1.3 --------------------------------------------------------------------------

  private message13(from: Side, msg: HandshakeMessage): HandshakeBody | null {
    const hs = this.hs13;
    switch (msg.type) {
      case HandshakeType.client_hello: {
        expect(from).toBe('client');
        const ch = reencoded(msg, ClientHello.decode);
        if (hs === null) {
          this.hs13 = { report: newReport(), transcript: new Transcript(provider), clientHello: ch };
          this.report.handshakes.push(this.hs13.report);
        } else {
          expect(hs.report.helloRetryRequest && hs.keys === undefined, 'a second ClientHello answers a HelloRetryRequest').toBe(true);
          hs.clientHello = ch;
        }
        this.hs13!.transcript.add(msg.raw);
        return ch;
      }
      case HandshakeType.server_hello: {
        expect(from).toBe('server');
        const sh = reencoded(msg, ServerHello.decode);
        if (hs === null || hs.keys !== undefined) throw new Error('ServerHello out of order');
        const suite = suiteInfo(sh.cipherSuite);
        if (suite?.version !== '1.3') throw new Error(`TLS 1.3 ServerHello with suite 0x${sh.cipherSuite.toString(16)}`);
        hs.report.suite = suite.name;
        if (sh.isHelloRetryRequest) {
          // RFC 8446 §4.4.1: ClientHello1 becomes message_hash(Hash(ClientHello1)).
          hs.report.helloRetryRequest = true;
          hs.transcript.start(suite.hash);
          hs.transcript.replaceWithMessageHash();
          hs.transcript.add(msg.raw);
          return sh;
        }
        expect(findExtension(sh.extensions, SupportedVersionsServerExt)).toBe(0x0304);
        const psk = findExtension(sh.extensions, PreSharedKeyServerExt);
        if (psk !== undefined) {
          hs.report.resumed = true;
          this.stop(
            `PSK resumption: the server selected PSK identity ${psk}, from a session ticket Go sealed ` +
              'in an earlier run; the resumption secret is not in the file',
          );
          return sh;
        }
        const clientShares = findExtension(hs.clientHello.extensions, KeyShareClientExt) ?? [];
        const serverShare = findExtension(sh.extensions, KeyShareServerExt);
        if (serverShare === undefined) throw new Error('ServerHello without key_share');
        const clientShare = clientShares.find((s) => s.group === serverShare.group);
        if (clientShare === undefined) throw new Error('server chose a group the client did not share');
        const shared = this.goSecret(hs.report, serverShare.group, clientShare.keyExchange, serverShare.keyExchange);
        hs.transcript.start(suite.hash);
        hs.transcript.add(msg.raw);
        const ks = new KeySchedule13(provider, suite.hash);
        ks.toHandshake(shared);
        const th = hs.transcript.hash();
        hs.keys = { suite, ks, clientHs: ks.derive('c hs traffic', th), serverHs: ks.derive('s hs traffic', th) };
        this.dirs.client.recv = ReceiveProtection.tls13(provider, suite, hs.keys.clientHs);
        this.dirs.server.recv = ReceiveProtection.tls13(provider, suite, hs.keys.serverHs);
        return sh;
      }
      case HandshakeType.encrypted_extensions:
        return this.add13(from, 'server', msg, EncryptedExtensions.decode);
      case HandshakeType.certificate:
        return this.add13(from, from, msg, Certificate13.decode);
      case HandshakeType.certificate_request:
        return this.add13(from, 'server', msg, CertificateRequest13.decode);
      case HandshakeType.certificate_verify:
        return this.add13(from, from, msg, CertificateVerify.decode);
      case HandshakeType.finished: {
        const { hs, keys } = this.live13();
        const { ks, suite } = keys;
        const fin = reencoded(msg, (b) => Finished.decode(b, hashLength[suite.hash]));
        const base = from === 'server' ? keys.serverHs : keys.clientHs;
        expect(fin.verifyData, `${from} Finished`).toEqual(ks.finishedVerifyData(base, hs.transcript.hash()));
        hs.transcript.add(msg.raw);
        if (from === 'server') {
          expect(hs.report.serverFinishedVerified, 'one server Finished').toBe(false);
          hs.report.serverFinishedVerified = true;
          ks.toMaster();
          const th = hs.transcript.hash();
          keys.clientAp = ks.derive('c ap traffic', th);
          this.dirs.server.recv = ReceiveProtection.tls13(provider, suite, ks.derive('s ap traffic', th));
        } else {
          if (keys.clientAp === undefined) throw new Error('client Finished before the server Finished');
          expect(hs.report.clientFinishedVerified, 'one client Finished').toBe(false);
          hs.report.clientFinishedVerified = true;
          this.dirs.client.recv = ReceiveProtection.tls13(provider, suite, keys.clientAp);
        }
        return fin;
      }
      case HandshakeType.new_session_ticket: {
        expect(from).toBe('server');
        expect(this.live13().hs.report.serverFinishedVerified, 'NewSessionTicket after the server Finished').toBe(true);
        return reencoded(msg, NewSessionTicket13.decode);
      }
      case HandshakeType.key_update: {
        expect(this.live13().hs.report.clientFinishedVerified, 'KeyUpdate after the handshake').toBe(true);
        const ku = reencoded(msg, KeyUpdate.decode);
        this.report.keyUpdates.push(from);
        this.ratchetAfterRecord = true;
        return ku;
      }
      default:
        throw new Error(`unexpected TLS 1.3 ${handshakeName(msg.type)} from ${from}`);
    }
  }

  private add13<T extends HandshakeBody>(from: Side, expected: Side, msg: HandshakeMessage, decode: (b: Uint8Array) => T): T {
    expect(from, handshakeName(msg.type)).toBe(expected);
    const body = reencoded(msg, decode);
    this.live13().hs.transcript.add(msg.raw);
    return body;
  }

  private live13(): { hs: Handshake13; keys: Keys13 } {
    const hs = this.hs13;
    if (hs?.keys === undefined) throw new Error('handshake message that needs keys before the ServerHello');
    return { hs, keys: hs.keys };
  }

  /**
   * The (EC)DHE shared secret from Go's zero-source private key: Go's own
   * share must come out of our key exchange exactly.
   */
  private goSecret(report: HandshakeReport, group: number, clientShare: Uint8Array, serverShare: Uint8Array): Uint8Array {
    const goShare = this.report.goSide === 'client' ? clientShare : serverShare;
    const peerShare = this.report.goSide === 'client' ? serverShare : clientShare;
    const kx = goEphemeral(group);
    expect(kx.publicKey, `Go's ${nameOf(NamedGroup, group)} share from the zero source`).toEqual(goShare);
    report.group = nameOf(NamedGroup, group);
    report.goShareReproduced = true;
    return kx.complete(peerShare);
  }

  // ---- TLS 1.2 --------------------------------------------------------------------------

  private message12(from: Side, msg: HandshakeMessage): HandshakeBody | null {
    if (msg.type === HandshakeType.hello_request) {
      // RFC 5246 §7.4.1.1: not part of any transcript.
      expect(from).toBe('server');
      return reencoded(msg, HelloRequest.decode);
    }
    if (msg.type === HandshakeType.client_hello) {
      expect(from).toBe('client');
      const ch = reencoded(msg, ClientHello.decode);
      const prev = this.hs12;
      if (prev !== null) {
        expect(prev.report.clientFinishedVerified && prev.report.serverFinishedVerified, 'renegotiation after a whole handshake').toBe(true);
      }
      this.hs12 = { report: newReport(), transcript: new Transcript(provider), clientHello: ch, clientKeyExchange: false };
      this.report.handshakes.push(this.hs12.report);
      this.hs12.transcript.add(msg.raw);
      return ch;
    }
    const hs = this.hs12;
    if (hs === null) throw new Error(`${handshakeName(msg.type)} before ClientHello`);
    let body: HandshakeBody | null;
    switch (msg.type) {
      case HandshakeType.server_hello: {
        expect(from).toBe('server');
        const sh = reencoded(msg, ServerHello.decode);
        expect(sh.legacyVersion).toBe(0x0303);
        hs.serverHello = sh;
        const suite = suiteInfo(sh.cipherSuite) ?? RSA_KX_SUITES.get(sh.cipherSuite);
        if (suite === undefined) {
          const id = `0x${sh.cipherSuite.toString(16).padStart(4, '0')}`;
          hs.report.suite = NON_AEAD_SUITES.get(sh.cipherSuite) ?? id;
          this.stop(`suite ${id} (${hs.report.suite}) is CBC + HMAC: our record layer implements only AEAD protection`);
          body = sh;
          break;
        }
        expect(suite.version).toBe('1.2');
        hs.suite = suite;
        hs.report.suite = suite.name;
        hs.report.extendedMasterSecret =
          hasExtension(hs.clientHello.extensions, ExtensionType.extended_master_secret) &&
          hasExtension(sh.extensions, ExtensionType.extended_master_secret);
        hs.transcript.start(suite.hash);
        body = sh;
        break;
      }
      case HandshakeType.certificate:
        body = reencoded(msg, Certificate12.decode);
        break;
      case HandshakeType.server_key_exchange:
        expect(from).toBe('server');
        hs.ske = reencoded(msg, ServerKeyExchangeEcdhe.decode);
        body = hs.ske;
        break;
      case HandshakeType.certificate_request:
        body = reencoded(msg, CertificateRequest12.decode);
        break;
      case HandshakeType.server_hello_done:
        body = reencoded(msg, ServerHelloDone.decode);
        break;
      case HandshakeType.certificate_verify:
        body = reencoded(msg, CertificateVerify.decode);
        break;
      case HandshakeType.new_session_ticket:
        expect(from).toBe('server');
        body = reencoded(msg, NewSessionTicket12.decode);
        break;
      case HandshakeType.client_key_exchange:
        expect(from).toBe('client');
        return this.clientKeyExchange(hs, msg);
      case HandshakeType.finished: {
        const ks = hs.ks;
        if (ks === undefined) throw new Error('Finished before the key exchange');
        const fin = reencoded(msg, (b) => Finished.decode(b, 12));
        expect(fin.verifyData, `${from} Finished`).toEqual(ks.finishedVerifyData(from, hs.transcript.hash()));
        if (from === 'client') hs.report.clientFinishedVerified = true;
        else hs.report.serverFinishedVerified = true;
        body = fin;
        break;
      }
      default:
        throw new Error(`unexpected TLS 1.2 ${handshakeName(msg.type)} from ${from}`);
    }
    hs.transcript.add(msg.raw);
    return body;
  }

  private clientKeyExchange(hs: Handshake12, msg: HandshakeMessage): HandshakeBody | null {
    const { suite, serverHello } = hs;
    if (serverHello === undefined) throw new Error('ClientKeyExchange before ServerHello');
    hs.clientKeyExchange = true;
    hs.transcript.add(msg.raw);
    let preMaster: Uint8Array;
    let body: HandshakeBody | null;
    if (hs.ske !== undefined) {
      const cke = reencoded(msg, ClientKeyExchangeEcdhe.decode);
      if (this.stopped || suite === undefined) return cke;
      preMaster = this.goSecret(hs.report, hs.ske.group, cke.publicKey, hs.ske.publicKey);
      body = cke;
    } else {
      // RSA key transport: EncryptedPreMasterSecret<0..2^16-1> (RFC 5246 §7.4.7.1), not modelled by our codecs.
      expect((msg.body[0]! << 8) | msg.body[1]!, 'EncryptedPreMasterSecret length').toBe(msg.body.length - 2);
      hs.report.group = 'rsa';
      if (this.report.goSide === 'server') {
        this.stop(
          "RSA key transport with Go as server: the pre-master secret is OpenSSL's random, " +
            "encrypted to Go's RSA test key, which is not in the file",
        );
      }
      if (this.stopped || suite === undefined) return null;
      preMaster = goRsaPreMaster();
      body = null;
    }
    // RFC 7627 §3: session_hash covers the messages up to and including ClientKeyExchange.
    const sessionHash = hs.report.extendedMasterSecret ? hs.transcript.hash() : undefined;
    const randoms = { clientRandom: hs.clientHello.random, serverRandom: serverHello.random };
    hs.ks = KeySchedule12.fromPreMaster(provider, suite, preMaster, randoms, sessionHash);
    const kb = hs.ks.keyBlock();
    this.dirs.client.recv.setPending12(provider, suite, kb.client.key, kb.client.iv);
    this.dirs.server.recv.setPending12(provider, suite, kb.server.key, kb.server.iv);
    return body;
  }

  private changeCipherSpec12(from: Side): void {
    const dir = this.dirs[from];
    const hs = this.hs12;
    if (hs === null) throw new Error('ChangeCipherSpec before ClientHello');
    if (!hs.clientKeyExchange && !hs.report.resumed) {
      hs.report.resumed = true;
      const ticket = findExtension(hs.clientHello.extensions, SessionTicketExt);
      this.stop(
        `abbreviated handshake: ChangeCipherSpec with no key exchange, resuming ${
          ticket !== undefined && ticket.length > 0 ? `the ${ticket.length}-byte session ticket` : 'a session ID'
        } from an earlier run of Go; its master secret is not in the file`,
      );
    }
    if (!dir.recv.hasPending12) {
      expect(this.stopped, `${from} ChangeCipherSpec without keys`).toBe(true);
      dir.opaque = true;
      return;
    }
    // Every handshake message before the CCS is whole (RFC 5246 §7.1).
    expect(dir.buf.length, `${from} handshake buffer at ChangeCipherSpec`).toBe(0);
    dir.recv.changeCipherSpec12();
  }
}

function newReport(): HandshakeReport {
  return {
    suite: '',
    group: '',
    helloRetryRequest: false,
    extendedMasterSecret: false,
    goShareReproduced: false,
    resumed: false,
    clientFinishedVerified: false,
    serverFinishedVerified: false,
  };
}

/**
 * Replay a recording: every flow, every record, in order. `input` replaces
 * the file's flows (to show that a tampered copy is refused).
 */
export function replay(name: string, input: readonly Flow[] = flows(name)): ReplayReport {
  const r = new Replayer(name);
  const { records, trailing } = frameFile(name, input);
  if (trailing.some((n) => n !== 0)) throw new Error('trailing bytes after the last record of a flow');
  for (const { from, record, ciphertext } of records) r.record(from, record, ciphertext);
  return r.report;
}
