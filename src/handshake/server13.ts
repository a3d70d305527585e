import { chooseCommonSuite } from './suite-choice.js';
import { bytesEqual } from '../common/bytes.js';
import { ExtensionType as E, HandshakeType as H, ProtocolVersion } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { hashLength } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { findExtension, makeExtension, type Extension } from '../messages/extensions.js';
import {
  AlpnExt,
  CookieExt,
  EmptyServerNameExt,
  KeyShareClientExt,
  KeyShareHrrExt,
  KeyShareServerExt,
  PreSharedKeyServerExt,
  RecordSizeLimitExt,
  ServerNameExt,
  SignatureAlgorithmsExt,
  SupportedGroupsExt,
  SupportedVersionsServerExt,
} from '../messages/index.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { ClientHello, HRR_RANDOM, ServerHello } from '../messages/hello.js';
import { CertificateRequest13, EncryptedExtensions } from '../messages/messages13.js';
import {
  certificateRequestSchemes,
  readClientCertificate,
  deriveApplicationSecrets,
  installHandshakeKeys,
  receiveProtection,
  send,
  sendCertificateAndVerify,
  sendFinished,
  secrets13,
  sendProtection,
  verifyCertificateVerify,
  verifyFinished,
} from './common13.js';
import { verifyPeerChain } from './certs.js';
import { choosePsk, offersPskKeOnly, type AcceptedPsk } from './server-psk.js';
import { KeySchedule13 } from './keyschedule13.js';
import { chooseScheme } from './sigschemes.js';
import { expectOneOf, expectType, userCallback, type HandshakeContext, type HandshakeState } from './state.js';
import { Transcript } from './transcript.js';
import { ExpectTraffic13 } from './traffic13.js';
import type { PublicKey } from '../crypto/provider.js';

/** What we decided from the first ClientHello and keep across a HelloRetryRequest. */
interface Choice {
  readonly suite: SuiteInfo;
  readonly group: number;
  readonly scheme: number;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  readonly peerRecordSizeLimit: number | undefined;
  /** The client's first key share choice was not our first group (for 'auto' group advertising). */
  readonly groupNotFirst: boolean;
}

function chooseSuite(cx: HandshakeContext, offered: readonly number[]): SuiteInfo {
  const suite = chooseCommonSuite(cx.config, offered, (s) => s.version === '1.3');
  if (!suite) throw TlsError.handshakeFailure('no cipher suite in common');
  return suite;
}

/** RFC 8446 §4.1.2, §4.2: read what the first ClientHello asks for and decide. */
function decide(cx: HandshakeContext, ch: ClientHello): { choice: Choice; shares: { group: number; keyExchange: Uint8Array }[] } {
  // RFC 8446 §4.1.2, Appendix D: legacy_version is 0x0303; below it the client is not a TLS 1.3 client.
  if (ch.legacyVersion < ProtocolVersion.TLSv1_2) {
    throw TlsError.alert(AlertDescription.protocol_version, `ClientHello legacy_version 0x${ch.legacyVersion.toString(16).padStart(4, '0')}`);
  }
  // RFC 8446 §4.1.2: a TLS 1.3 ClientHello offers exactly the null compression method.
  if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) throw TlsError.illegal('compression methods must be [null]');
  const suite = chooseSuite(cx, ch.cipherSuites);
  const cert = cx.config.certificate;
  if (!cert) throw TlsError.handshakeFailure('server has no certificate');
  const schemes = findExtension(ch.extensions, SignatureAlgorithmsExt);
  // RFC 8446 §4.2.3: certificate authentication needs signature_algorithms.
  if (!schemes) throw TlsError.alert(AlertDescription.missing_extension, 'ClientHello without signature_algorithms');
  const scheme = chooseScheme(cx.config.signatureSchemes, schemes, cert.key, '1.3');
  if (scheme === undefined) throw TlsError.handshakeFailure('no signature scheme in common with our key');
  const groups = findExtension(ch.extensions, SupportedGroupsExt);
  const shares = findExtension(ch.extensions, KeyShareClientExt);
  // RFC 8446 §9.2: supported_groups and key_share come together.
  if (!groups || !shares) throw TlsError.alert(AlertDescription.missing_extension, 'ClientHello needs supported_groups and key_share');
  checkShareOrder(groups, shares);
  const ours = cx.config.groups;
  const shared = shares.find((s) => ours.includes(s.group));
  const group = shared?.group ?? ours.find((g) => groups.includes(g));
  if (group === undefined) throw TlsError.handshakeFailure('no group in common');
  const sni = findExtension(ch.extensions, ServerNameExt);
  const alpn = chooseAlpn(cx, findExtension(ch.extensions, AlpnExt), sni?.[0]);
  return {
    choice: {
      suite,
      group,
      scheme,
      alpn,
      serverName: sni?.[0],
      peerRecordSizeLimit: findExtension(ch.extensions, RecordSizeLimitExt),
      groupNotFirst: group !== ours[0],
    },
    shares,
  };
}

/** RFC 8446 §4.2.8: shares in supported_groups order, each group at most once. */
function checkShareOrder(groups: readonly number[], shares: readonly { group: number }[]): void {
  let last = -1;
  for (const s of shares) {
    const at = groups.indexOf(s.group);
    if (at < 0 || at <= last) throw TlsError.illegal('key_share entries not in supported_groups order or repeated');
    last = at;
  }
}

/** RFC 7301 §3.2: our first protocol the client offers (or the alpnSelect choice); none in common is fatal. */
export function chooseAlpn(cx: HandshakeContext, offered: readonly string[] | undefined, serverName: string | undefined): string | undefined {
  if (!offered) return undefined;
  const select = cx.config.alpnSelect;
  if (select) {
    const chosen = userCallback('ALPN callback', () => select(offered, serverName));
    if (chosen === undefined) throw TlsError.alert(AlertDescription.no_application_protocol, 'ALPN callback chose no protocol');
    if (!offered.includes(chosen)) throw TlsError.internal('ALPN callback returned a protocol the client did not offer');
    return chosen;
  }
  const ours = cx.config.alpnProtocols;
  if (ours.length === 0) return undefined;
  const p = ours.find((x) => offered.includes(x));
  if (p === undefined) throw TlsError.alert(AlertDescription.no_application_protocol, 'no ALPN protocol in common');
  return p;
}

function hashOf(cx: HandshakeContext, suite: SuiteInfo, data: Uint8Array): Uint8Array {
  const h = cx.config.provider.hash(suite.hash);
  h.update(data);
  return h.digest();
}

/** A ClientHello for which we chose TLS 1.3 (server-hello.ts decides the version). */
export function clientHello13(cx: HandshakeContext, msg: HandshakeMessage, ch: ClientHello): HandshakeState {
  const { choice, shares } = decide(cx, ch);
  cx.negotiated.clientRandom = ch.random;
  const transcript = new Transcript(cx.config.provider);
  transcript.start(choice.suite.hash);
  transcript.add(msg.raw);
  const share = shares.find((s) => s.group === choice.group);
  const earlyData = ch.extensions.some((e) => e.type === E.early_data);
  // A psk_ke-only client (allowNoDheKex) needs no share if its ticket resumes.
  if (share || offersPskKeOnly(cx, ch)) {
    const psk = choosePsk(cx, ch, msg.raw, choice.suite, (t) => hashOf(cx, choice.suite, t), share !== undefined);
    if (share || psk) {
      // We accept no 0-RTT: what the client sent under its early key is skipped (RFC 8446 §4.2.10).
      if (earlyData) cx.skipEarlyData('trial');
      return serverHello(cx, transcript, ch, choice, psk && !psk.dhe ? undefined : share!.keyExchange, false, psk);
    }
  }
  if (earlyData) cx.skipEarlyData('hrr');
  // RFC 8446 §4.1.4: no usable share: ask again for our group.
  transcript.replaceWithMessageHash();
  const cookie = cx.config.provider.randomBytes(32);
  const hrr = new ServerHello(ProtocolVersion.TLSv1_2, HRR_RANDOM, ch.legacySessionId, choice.suite.id, 0, [
    makeExtension(SupportedVersionsServerExt, ProtocolVersion.TLSv1_3),
    makeExtension(KeyShareHrrExt, choice.group),
    makeExtension(CookieExt, cookie),
  ]);
  send(cx, transcript, hrr);
  cx.negotiated.helloRetry = true;
  // RFC 8446 Appendix D.4: compat CCS right after our first handshake message.
  const ccs = ch.legacySessionId.length > 0;
  if (ccs) cx.sendChangeCipherSpec();
  return new ExpectClientHello2(transcript, ch, choice, cookie, ccs);
}

/** After a HelloRetryRequest: the ClientHello with the share we asked for. */
class ExpectClientHello2 implements HandshakeState {
  readonly name = 'ExpectClientHello2';
  constructor(
    private readonly transcript: Transcript,
    private readonly ch1: ClientHello,
    private readonly choice: Choice,
    private readonly cookie: Uint8Array,
    private readonly ccsSent: boolean,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.client_hello, this.name);
    const ch = ClientHello.decode(msg.body);
    checkRetriedHello(this.ch1, ch);
    const cookie = findExtension(ch.extensions, CookieExt);
    if (!cookie || !bytesEqual(cookie, this.cookie)) throw TlsError.illegal('second ClientHello does not echo our cookie');
    const shares = findExtension(ch.extensions, KeyShareClientExt);
    // RFC 8446 §4.1.4: one share, for the group the HelloRetryRequest selected.
    if (!shares || shares.length !== 1 || shares[0]!.group !== this.choice.group) {
      throw TlsError.illegal('second ClientHello must carry one share for the requested group');
    }
    // RFC 8446 §4.2.11.2: after a HelloRetryRequest the binder covers message_hash, the HRR and this hello.
    const psk = choosePsk(cx, ch, msg.raw, this.choice.suite, (t) => this.transcript.hashWith(t), true);
    this.transcript.add(msg.raw);
    return serverHello(cx, this.transcript, ch, this.choice, psk && !psk.dhe ? undefined : shares[0]!.keyExchange, this.ccsSent, psk);
  }
}

/** Extensions a second ClientHello may change (RFC 8446 §4.1.2); the rest must repeat the first's, in order. */
const RETRY_MAY_CHANGE: ReadonlySet<number> = new Set([E.key_share, E.early_data, E.cookie, E.pre_shared_key, E.padding]);

/**
 * RFC 8446 §4.1.2: the second ClientHello repeats the first except that
 * key_share is replaced, early_data removed, a cookie added, pre_shared_key
 * updated (or removed), and padding changed. Anything else is illegal_parameter.
 */
function checkRetriedHello(ch1: ClientHello, ch2: ClientHello): void {
  const same =
    ch2.legacyVersion === ch1.legacyVersion &&
    bytesEqual(ch2.random, ch1.random) &&
    bytesEqual(ch2.legacySessionId, ch1.legacySessionId) &&
    ch2.cipherSuites.length === ch1.cipherSuites.length &&
    ch2.cipherSuites.every((s, i) => s === ch1.cipherSuites[i]) &&
    bytesEqual(ch2.compressionMethods, ch1.compressionMethods);
  if (!same) throw TlsError.illegal('second ClientHello changed its version, random, session id, suites or compression');
  if (ch2.extensions.some((e) => e.type === E.early_data)) throw TlsError.illegal('early_data after HelloRetryRequest');
  const kept1 = ch1.extensions.filter((e) => !RETRY_MAY_CHANGE.has(e.type));
  const kept2 = ch2.extensions.filter((e) => !RETRY_MAY_CHANGE.has(e.type));
  const extsSame = kept1.length === kept2.length && kept1.every((e, i) => e.type === kept2[i]!.type && bytesEqual(e.data, kept2[i]!.data));
  if (!extsSame) throw TlsError.illegal('second ClientHello changed, added, dropped or reordered extensions');
  const has = (ch: ClientHello, type: number): boolean => ch.extensions.some((e) => e.type === type);
  if (!has(ch2, E.key_share)) throw TlsError.alert(AlertDescription.missing_extension, 'second ClientHello without key_share');
  // pre_shared_key may be updated or dropped, never added.
  if (has(ch2, E.pre_shared_key) && !has(ch1, E.pre_shared_key)) throw TlsError.illegal('second ClientHello added pre_shared_key');
}

/** ServerHello, then our encrypted flight (RFC 8446 §2: EE, [CR], Certificate, CertificateVerify, Finished). */
function serverHello(
  cx: HandshakeContext,
  transcript: Transcript,
  ch: ClientHello,
  choice: Choice,
  /** The client's share; undefined for psk_ke (RFC 8446 §4.2.9). */
  peerShare: Uint8Array | undefined,
  ccsSent: boolean,
  psk: AcceptedPsk | undefined,
): HandshakeState {
  const provider = cx.config.provider;
  // Draw order (random, key share, then signature salt) is fixed for seeded replays.
  const random = provider.randomBytes(32);
  const kx = peerShare ? provider.keyExchange(choice.group) : undefined;
  // RFC 8446 §7.1: psk_ke has no (EC)DHE secret: Hash.length zero bytes in its place.
  const shared = kx ? kx.complete(peerShare!) : new Uint8Array(hashLength[choice.suite.hash]);
  const { suite } = choice;
  const sh = new ServerHello(ProtocolVersion.TLSv1_2, random, ch.legacySessionId, suite.id, 0, [
    ...(kx ? [makeExtension(KeyShareServerExt, { group: choice.group, keyExchange: kx.publicKey })] : []),
    makeExtension(SupportedVersionsServerExt, ProtocolVersion.TLSv1_3),
    // RFC 8446 §4.2.11: pre_shared_key (the selected identity) is the last extension.
    ...(psk ? [makeExtension(PreSharedKeyServerExt, psk.index)] : []),
  ]);
  send(cx, transcript, sh);
  Object.assign(cx.negotiated, {
    version: ProtocolVersion.TLSv1_3,
    suite,
    group: kx ? choice.group : undefined,
    alpn: choice.alpn,
    serverName: choice.serverName,
    peerRecordSizeLimit: choice.peerRecordSizeLimit,
    resumed: psk !== undefined,
    // RFC 8446 §4.2.6: the client will answer a post-handshake CertificateRequest.
    postHandshakeAuth: ch.extensions.some((e) => e.type === E.post_handshake_auth),
    ...(psk ? { peerCertificates: psk.session.peerCertificates, renewTicket: psk.renew } : {}),
  });
  if (psk) cx.setServerSession(psk.session);
  if (psk?.session.peerCertificates.length) verifyPeerChain(cx, psk.session.peerCertificates);
  const ks = psk ? psk.ks : new KeySchedule13(provider, suite.hash);
  ks.toHandshake(shared);
  shared.fill(0);
  const hs = installHandshakeKeys(cx, ks, suite, transcript.hash());
  if (ch.legacySessionId.length > 0 && !ccsSent) cx.sendChangeCipherSpec();
  sendProtection(cx, suite, hs.server);
  send(cx, transcript, new EncryptedExtensions(encryptedExtensions(cx, ch, choice)));
  // RFC 8446 §2.2: a PSK handshake has no CertificateRequest, Certificate or CertificateVerify.
  const request = cx.config.requestCert && !psk;
  if (request) {
    send(cx, transcript, new CertificateRequest13(new Uint8Array(0), [makeExtension(SignatureAlgorithmsExt, certificateRequestSchemes(cx))]));
  }
  const cert = cx.config.certificate!;
  if (!psk) sendCertificateAndVerify(cx, transcript, cert.chain, cert.key, choice.scheme, new Uint8Array(0));
  sendFinished(cx, transcript, ks, hs.server);
  const app = deriveApplicationSecrets(cx, ks, transcript.hash());
  sendProtection(cx, suite, app.server);
  const core: ServerCore = { transcript, ks, suite, clientHs: hs.client, app };
  return request ? new ExpectClientCertificate(core) : new ExpectClientFinished(core);
}

function encryptedExtensions(cx: HandshakeContext, ch: ClientHello, choice: Choice): Extension[] {
  const exts: Extension[] = [];
  const adv = cx.config.advertiseGroups;
  if (adv === 'always' || (adv === 'auto' && choice.groupNotFirst)) exts.push(makeExtension(SupportedGroupsExt, [...cx.config.groups]));
  if (choice.peerRecordSizeLimit !== undefined) exts.push(makeExtension(RecordSizeLimitExt, cx.config.recordSizeLimit));
  if (ch.extensions.some((e) => e.type === E.server_name)) exts.push(makeExtension(EmptyServerNameExt, undefined));
  if (choice.alpn !== undefined) exts.push(makeExtension(AlpnExt, [choice.alpn]));
  return exts;
}

interface ServerCore {
  readonly transcript: Transcript;
  readonly ks: KeySchedule13;
  readonly suite: SuiteInfo;
  readonly clientHs: Uint8Array;
  readonly app: { client: Uint8Array; server: Uint8Array; exporter: Uint8Array };
}

class ExpectClientCertificate implements HandshakeState {
  readonly name = 'ExpectClientCertificate';
  constructor(private readonly core: ServerCore) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate, this.name);
    // In the handshake the CertificateRequest's context is empty (RFC 8446 §4.3.2).
    const cert = readClientCertificate(cx, msg, new Uint8Array(0));
    this.core.transcript.add(msg.raw);
    return cert ? new ExpectClientCertificateVerify(this.core, cert.key) : new ExpectClientFinished(this.core);
  }
}

class ExpectClientCertificateVerify implements HandshakeState {
  readonly name = 'ExpectClientCertificateVerify';
  constructor(
    private readonly core: ServerCore,
    private readonly peerKey: PublicKey,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate_verify, this.name);
    verifyCertificateVerify(cx, this.core.transcript, msg, this.peerKey, cx.config.signatureSchemes);
    return new ExpectClientFinished(this.core);
  }
}

class ExpectClientFinished implements HandshakeState {
  readonly name = 'ExpectClientFinished';
  constructor(private readonly core: ServerCore) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectOneOf(msg, [H.finished], this.name);
    const { transcript, ks, suite, app } = this.core;
    verifyFinished(cx, transcript, ks, this.core.clientHs, msg, hashLength[suite.hash]);
    receiveProtection(cx, suite, app.client);
    const resumptionMaster = ks.derive('res master', transcript.hash());
    this.core.clientHs.fill(0);
    cx.finishHandshake(secrets13(cx, ks, app.exporter, resumptionMaster));
    // Only when the client sent post_handshake_auth may we ask later (RFC 8446 §4.6.2).
    return new ExpectTraffic13(cx.negotiated.postHandshakeAuth ? { transcript, ks, suite } : undefined);
  }
}
