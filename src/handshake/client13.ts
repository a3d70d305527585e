import { bytesEqual, EMPTY } from '../common/bytes.js';
import { ExtensionType as E, HandshakeType as H, PskKeyExchangeMode, ProtocolVersion } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { hashLength, type HashAlgorithm, type KeyExchange } from '../crypto/provider.js';
import { suiteInfo, type SuiteInfo } from '../crypto/suites.js';
import { findExtension, makeExtension, type Extension } from '../messages/extensions.js';
import {
  AlpnExt,
  CookieExt,
  KeyShareClientExt,
  KeyShareHrrExt,
  KeyShareServerExt,
  PreSharedKeyClientExt,
  PreSharedKeyServerExt,
  PskKeyExchangeModesExt,
  RecordSizeLimitExt,
  ServerNameExt,
  SignatureAlgorithmsExt,
  SupportedGroupsExt,
  SupportedVersionsClientExt,
  SupportedVersionsServerExt,
} from '../messages/index.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { encodeHandshake } from '../messages/handshake.js';
import { ClientHello, ServerHello, truncateClientHelloForBinders } from '../messages/hello.js';
import type { Session } from '../session/session.js';
import { Certificate13, CertificateRequest13, EncryptedExtensions } from '../messages/messages13.js';
import { SendProtection } from '../record/protection.js';
import {
  checkResponseExtensions,
  deriveApplicationSecrets,
  ExpectTraffic13,
  installHandshakeKeys,
  receiveProtection,
  send,
  sendCertificateAndVerify,
  sendFinished,
  sendProtection,
  verifyCertificateVerify,
  verifyFinished,
} from './common13.js';
import { verifyPeerChain } from './certs.js';
import { KeySchedule13 } from './keyschedule13.js';
import { chooseScheme } from './sigschemes.js';
import { expectOneOf, expectType, type HandshakeContext, type HandshakeState } from './state.js';
import { Transcript } from './transcript.js';

/** What the client offered in its (latest) ClientHello. */
interface Offer {
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly shares: readonly KeyExchange[];
  /** Extension types we sent (responses to others are unsupported_extension). */
  readonly extTypes: ReadonlySet<number>;
  readonly alpn: readonly string[];
  /** Set after a HelloRetryRequest. */
  readonly hrrSuite?: SuiteInfo;
  /** The session offered as a PSK (RFC 8446 §4.2.11), if any. */
  readonly psk?: PskOffer;
  readonly compatCcsSent: boolean;
}

/** An IP literal is never sent as SNI (RFC 6066 §3). */
export function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/** A session offered for resumption, with the early key schedule its binder needs. */
interface PskOffer {
  readonly session: Session;
  readonly hash: HashAlgorithm;
  readonly ks: KeySchedule13;
}

function pskOffer(cx: HandshakeContext): PskOffer | undefined {
  const session = cx.offeredSession;
  const suite = session ? suiteInfo(session.cipherSuite) : undefined;
  if (!session || !suite || suite.version !== '1.3') return undefined;
  // RFC 8446 §4.6.1: resume only with the server name of the original session.
  if (session.serverName !== cx.serverName) return undefined;
  // Only with a suite we still offer that shares the session's hash (RFC 8446 §4.2.11).
  const usable = cx.config.cipherSuites.some((id) => suiteInfo(id)?.hash === suite.hash);
  if (!usable || !session.isResumable(cx.config.provider.nowMs())) return undefined;
  return { session, hash: suite.hash, ks: new KeySchedule13(cx.config.provider, suite.hash, session.psk) };
}

/**
 * RFC 8446 §4.2.11.2: the binder is a Finished-style HMAC over the transcript
 * up to the binders. `priorHash` hashes earlier messages plus the truncated
 * ClientHello (after a HelloRetryRequest); by default the truncated hello alone.
 */
function withBinder(cx: HandshakeContext, ch: ClientHello, psk: PskOffer, priorHash?: (truncated: Uint8Array) => Uint8Array): ClientHello {
  const truncated = truncateClientHelloForBinders(encodeHandshake(ch));
  let th: Uint8Array;
  if (priorHash) th = priorHash(truncated);
  else {
    const h = cx.config.provider.hash(psk.hash);
    h.update(truncated);
    th = h.digest();
  }
  const binder = psk.ks.finishedVerifyData(psk.ks.binderKey(false), th);
  // The same identity (and ticket age) the binder covers, with the real binder.
  const identities = findExtension(ch.extensions, PreSharedKeyClientExt)!.identities;
  const exts = ch.extensions.slice(0, -1);
  exts.push(makeExtension(PreSharedKeyClientExt, { identities, binders: [binder] }));
  return new ClientHello(ch.legacyVersion, ch.random, ch.legacySessionId, ch.cipherSuites, ch.compressionMethods, exts);
}

function buildClientHello(
  cx: HandshakeContext,
  random: Uint8Array,
  sessionId: Uint8Array,
  shares: readonly KeyExchange[],
  cookie?: Uint8Array,
  psk?: PskOffer,
  priorHash?: (truncated: Uint8Array) => Uint8Array,
): ClientHello {
  const cfg = cx.config;
  const exts: Extension[] = [];
  if (cx.serverName && !isIpLiteral(cx.serverName)) exts.push(makeExtension(ServerNameExt, [cx.serverName]));
  exts.push(makeExtension(SupportedGroupsExt, [...cfg.groups]));
  exts.push(makeExtension(SignatureAlgorithmsExt, [...cfg.signatureSchemes]));
  if (cfg.alpnProtocols.length > 0) exts.push(makeExtension(AlpnExt, [...cfg.alpnProtocols]));
  exts.push(makeExtension(KeyShareClientExt, shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))));
  exts.push(makeExtension(SupportedVersionsClientExt, [ProtocolVersion.TLSv1_3]));
  exts.push(makeExtension(PskKeyExchangeModesExt, [PskKeyExchangeMode.psk_dhe_ke]));
  if (cfg.recordSizeLimit < 16385) exts.push(makeExtension(RecordSizeLimitExt, cfg.recordSizeLimit));
  if (cookie) exts.push(makeExtension(CookieExt, cookie));
  // RFC 8446 §4.2.11: pre_shared_key is the last extension; its binder is filled in below.
  if (psk) {
    const identity = { identity: psk.session.ticket, obfuscatedTicketAge: psk.session.obfuscatedAge(cfg.provider.nowMs()) };
    exts.push(makeExtension(PreSharedKeyClientExt, { identities: [identity], binders: [new Uint8Array(hashLength[psk.hash])] }));
  }
  const ch = new ClientHello(ProtocolVersion.TLSv1_2, random, sessionId, [...cfg.cipherSuites], new Uint8Array([0]), exts);
  return psk ? withBinder(cx, ch, psk, priorHash) : ch;
}

/** Build and queue the first ClientHello; returns the state awaiting ServerHello. */
export function startClient13(cx: HandshakeContext): HandshakeState {
  const provider = cx.config.provider;
  // Draw order (random, session id, key shares) is fixed so seeded runs replay exactly.
  const random = provider.randomBytes(32);
  const sessionId = cx.config.middleboxCompat ? provider.randomBytes(32) : EMPTY;
  const shares = cx.config.keyShareGroups.map((g) => provider.keyExchange(g));
  const psk = pskOffer(cx);
  const ch = buildClientHello(cx, random, sessionId, shares, undefined, psk);
  const transcript = new Transcript(provider);
  send(cx, transcript, ch);
  cx.negotiated.clientRandom = random;
  const offer: Offer = {
    random,
    sessionId,
    shares,
    extTypes: new Set(ch.extensions.map((e) => e.type)),
    alpn: cx.config.alpnProtocols,
    compatCcsSent: false,
    ...(psk ? { psk } : {}),
  };
  return new ExpectServerHello(transcript, offer);
}

/** RFC 8446 §4.1.3 / §4.1.4: ServerHello or HelloRetryRequest. */
class ExpectServerHello implements HandshakeState {
  readonly name = 'ExpectServerHello';
  constructor(
    private readonly transcript: Transcript,
    private readonly offer: Offer,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.server_hello, this.name);
    const sh = ServerHello.decode(msg.body);
    const version = findExtension(sh.extensions, SupportedVersionsServerExt);
    if (version === undefined) {
      // A TLS 1.2 (or older) server: we offered only TLS 1.3.
      throw TlsError.alert(AlertDescription.protocol_version, 'server does not speak TLS 1.3');
    }
    if (version !== ProtocolVersion.TLSv1_3) throw TlsError.illegal('server selected a version we did not offer');
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) throw TlsError.alert(AlertDescription.protocol_version, 'legacy_version must be 0x0303');
    if (!bytesEqual(sh.legacySessionIdEcho, this.offer.sessionId)) throw TlsError.illegal('legacy_session_id_echo does not match');
    if (sh.compressionMethod !== 0) throw TlsError.illegal('compression method must be null');
    const suite = suiteInfo(sh.cipherSuite);
    if (!suite || suite.version !== '1.3' || !cx.config.cipherSuites.includes(sh.cipherSuite)) {
      throw TlsError.illegal('server selected a cipher suite we did not offer');
    }
    // RFC 8446 §4.1.4: the ServerHello suite must equal the HelloRetryRequest's.
    if (this.offer.hrrSuite && this.offer.hrrSuite.id !== suite.id) throw TlsError.illegal('cipher suite changed after HelloRetryRequest');
    return sh.isHelloRetryRequest ? this.helloRetry(cx, msg, sh, suite) : this.serverHello(cx, msg, sh, suite);
  }

  private helloRetry(cx: HandshakeContext, msg: HandshakeMessage, hrr: ServerHello, suite: SuiteInfo): HandshakeState {
    // RFC 8446 §4.1.4: a second HelloRetryRequest is unexpected.
    if (this.offer.hrrSuite) throw TlsError.unexpected('second HelloRetryRequest');
    const hrrOffered = new Set([...this.offer.extTypes, E.cookie]);
    checkResponseExtensions(hrr.extensions, hrrOffered, HRR_EXTS, 'HelloRetryRequest');
    const group = findExtension(hrr.extensions, KeyShareHrrExt);
    const cookie = findExtension(hrr.extensions, CookieExt);
    if (group === undefined && cookie === undefined) throw TlsError.illegal('HelloRetryRequest would not change the ClientHello');
    let shares = this.offer.shares;
    if (group !== undefined) {
      // The group must be one we support and not one we already sent a share for.
      if (!cx.config.groups.includes(group) || shares.some((s) => s.group === group)) {
        throw TlsError.illegal('HelloRetryRequest selected an unacceptable group');
      }
      shares = [cx.config.provider.keyExchange(group)];
    }
    cx.negotiated.helloRetry = true;
    this.transcript.start(suite.hash);
    this.transcript.replaceWithMessageHash();
    this.transcript.add(msg.raw);
    // RFC 8446 Appendix D.4: the compat CCS goes before the second ClientHello.
    let compatCcsSent = false;
    if (cx.config.middleboxCompat) {
      cx.sendChangeCipherSpec();
      compatCcsSent = true;
    }
    // RFC 8446 §4.1.4: keep offering the PSK only if its hash is the retried suite's; its binder covers the HRR.
    const psk = this.offer.psk?.hash === suite.hash ? this.offer.psk : undefined;
    const transcript = this.transcript;
    const ch2 = buildClientHello(cx, this.offer.random, this.offer.sessionId, shares, cookie, psk, (t) => transcript.hashWith(t));
    send(cx, this.transcript, ch2);
    const { psk: _dropped, ...rest } = this.offer;
    void _dropped;
    return new ExpectServerHello(this.transcript, {
      ...rest,
      ...(psk ? { psk } : {}),
      shares,
      extTypes: new Set(ch2.extensions.map((e) => e.type)),
      hrrSuite: suite,
      compatCcsSent,
    });
  }

  private serverHello(cx: HandshakeContext, msg: HandshakeMessage, sh: ServerHello, suite: SuiteInfo): HandshakeState {
    checkResponseExtensions(sh.extensions, this.offer.extTypes, SH_EXTS, 'ServerHello');
    const share = findExtension(sh.extensions, KeyShareServerExt);
    if (!share) throw TlsError.alert(AlertDescription.missing_extension, 'ServerHello without key_share');
    const kx = this.offer.shares.find((s) => s.group === share.group);
    if (!kx) throw TlsError.illegal('ServerHello key_share is for a group we sent no share for');
    const selected = findExtension(sh.extensions, PreSharedKeyServerExt);
    const psk = this.offer.psk;
    if (selected !== undefined) {
      // RFC 8446 §4.2.11: the one identity we offered, with a suite of its hash.
      if (!psk || selected !== 0) throw TlsError.illegal('server selected a PSK we did not offer');
      if (psk.hash !== suite.hash) throw TlsError.illegal('server selected a cipher suite whose hash does not fit the PSK');
    }
    const shared = kx.complete(share.keyExchange);
    cx.negotiated.version = ProtocolVersion.TLSv1_3;
    cx.negotiated.suite = suite;
    cx.negotiated.group = share.group;
    cx.negotiated.resumed = selected !== undefined;
    this.transcript.start(suite.hash);
    this.transcript.add(msg.raw);
    const ks = new KeySchedule13(cx.config.provider, suite.hash, selected !== undefined ? psk!.session.psk : undefined);
    ks.toHandshake(shared);
    shared.fill(0);
    const secrets = installHandshakeKeys(cx, ks, suite, this.transcript.hash());
    return new ExpectEncryptedExtensions({ transcript: this.transcript, ks, suite, offer: this.offer, ...secrets });
  }
}

const SH_EXTS: ReadonlySet<number> = new Set([E.key_share, E.supported_versions, E.pre_shared_key]);
const HRR_EXTS: ReadonlySet<number> = new Set([E.key_share, E.supported_versions, E.cookie]);
/** RFC 8446 §4.2 table: what may appear in EncryptedExtensions. */
const EE_EXTS: ReadonlySet<number> = new Set([
  E.server_name, E.max_fragment_length, E.supported_groups, E.use_srtp, E.heartbeat,
  E.application_layer_protocol_negotiation, E.client_certificate_type, E.server_certificate_type,
  E.early_data, E.record_size_limit,
]);

/** Handshake state carried from ServerHello to the end. */
interface Core {
  readonly transcript: Transcript;
  readonly ks: KeySchedule13;
  readonly suite: SuiteInfo;
  readonly offer: Offer;
  readonly client: Uint8Array;
  readonly server: Uint8Array;
}

class ExpectEncryptedExtensions implements HandshakeState {
  readonly name = 'ExpectEncryptedExtensions';
  constructor(private readonly core: Core) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.encrypted_extensions, this.name);
    const ee = EncryptedExtensions.decode(msg.body);
    checkResponseExtensions(ee.extensions, this.core.offer.extTypes, EE_EXTS, 'EncryptedExtensions');
    const alpn = findExtension(ee.extensions, AlpnExt);
    if (alpn !== undefined) {
      // RFC 7301 §3.1: exactly one protocol, and one we offered.
      if (alpn.length !== 1 || !this.core.offer.alpn.includes(alpn[0]!)) throw TlsError.illegal('server selected an ALPN protocol we did not offer');
      cx.negotiated.alpn = alpn[0];
    }
    const rsl = findExtension(ee.extensions, RecordSizeLimitExt);
    if (rsl !== undefined) cx.negotiated.peerRecordSizeLimit = rsl;
    if (ee.extensions.some((e) => e.type === E.server_name)) cx.negotiated.serverName = cx.serverName;
    this.core.transcript.add(msg.raw);
    if (cx.negotiated.resumed) {
      // RFC 8446 §2.2: a PSK handshake has no Certificate/CertificateVerify; the
      // server is the one the session's certificates named (checked again now).
      verifyPeerChain(cx, this.core.offer.psk!.session.peerCertificates);
      return new ExpectFinished(this.core, undefined);
    }
    return new ExpectCertificateOrCertificateRequest(this.core);
  }
}

class ExpectCertificateOrCertificateRequest implements HandshakeState {
  readonly name = 'ExpectCertificateOrCertificateRequest';
  constructor(private readonly core: Core) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectOneOf(msg, [H.certificate, H.certificate_request], this.name);
    if (msg.type === H.certificate) return new ExpectCertificate(this.core, undefined).handle(cx, msg);
    const cr = CertificateRequest13.decode(msg.body);
    // RFC 8446 §4.3.2: the context is empty outside post-handshake authentication.
    if (cr.context.length !== 0) throw TlsError.illegal('CertificateRequest context must be empty in the handshake');
    const schemes = findExtension(cr.extensions, SignatureAlgorithmsExt);
    if (!schemes) throw TlsError.alert(AlertDescription.missing_extension, 'CertificateRequest without signature_algorithms');
    this.core.transcript.add(msg.raw);
    return new ExpectCertificate(this.core, { context: cr.context, schemes });
  }
}

interface CertRequest {
  readonly context: Uint8Array;
  readonly schemes: readonly number[];
}

class ExpectCertificate implements HandshakeState {
  readonly name = 'ExpectCertificate';
  constructor(
    private readonly core: Core,
    private readonly request: CertRequest | undefined,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate, this.name);
    const cert = Certificate13.decode(msg.body);
    if (cert.context.length !== 0) throw TlsError.illegal('server Certificate context must be empty');
    // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error.
    if (cert.entries.length === 0) throw TlsError.decode('server sent no certificate');
    for (const entry of cert.entries) checkResponseExtensions(entry.extensions, this.core.offer.extTypes, CERT_ENTRY_EXTS, 'CertificateEntry');
    const key = verifyPeerChain(cx, cert.entries.map((e) => e.data));
    this.core.transcript.add(msg.raw);
    return new ExpectCertificateVerify(this.core, this.request, key);
  }
}

const CERT_ENTRY_EXTS: ReadonlySet<number> = new Set([E.status_request, E.signed_certificate_timestamp]);

class ExpectCertificateVerify implements HandshakeState {
  readonly name = 'ExpectCertificateVerify';
  constructor(
    private readonly core: Core,
    private readonly request: CertRequest | undefined,
    private readonly peerKey: ReturnType<typeof verifyPeerChain>,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate_verify, this.name);
    verifyCertificateVerify(cx, this.core.transcript, msg, this.peerKey, cx.config.signatureSchemes);
    return new ExpectFinished(this.core, this.request);
  }
}

class ExpectFinished implements HandshakeState {
  readonly name = 'ExpectFinished';
  constructor(
    private readonly core: Core,
    private readonly request: CertRequest | undefined,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.finished, this.name);
    const { transcript, ks, suite, offer } = this.core;
    verifyFinished(cx, transcript, ks, this.core.server, msg, hashLength[suite.hash]);
    const app = deriveApplicationSecrets(cx, ks, transcript.hash());
    // Our second flight: [CCS], [Certificate, CertificateVerify], Finished (RFC 8446 §4.4).
    if (cx.config.middleboxCompat && !offer.compatCcsSent) cx.sendChangeCipherSpec();
    cx.setSendProtection(SendProtection.tls13(cx.config.provider, suite, this.core.client));
    if (this.request) {
      const ours = cx.config.certificate;
      const scheme = ours ? chooseScheme(cx.config.signatureSchemes, this.request.schemes, ours.key, '1.3') : undefined;
      if (ours && scheme !== undefined) {
        sendCertificateAndVerify(cx, transcript, ours.chain, ours.key, scheme, this.request.context);
      } else {
        sendCertificateAndVerify(cx, transcript, [], undefined, undefined, this.request.context);
      }
    }
    sendFinished(cx, transcript, ks, this.core.client);
    sendProtection(cx, suite, app.client);
    receiveProtection(cx, suite, app.server);
    const resumptionMaster = ks.derive('res master', transcript.hash());
    this.core.client.fill(0);
    this.core.server.fill(0);
    cx.finishHandshake({ exporterMaster: app.exporter, resumptionMaster });
    return new ExpectTraffic13();
  }
}
