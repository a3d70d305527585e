/**
 * The client's first flight for both versions: the ClientHello (TLS 1.3 and
 * TLS 1.2 offers in one message), and the state that reads the ServerHello
 * and picks the version's state machine (RFC 8446 §4.1.2-4.1.4, RFC 5246 §7.4.1).
 */
import { bytesEqual, EMPTY } from '../common/bytes.js';
import { CipherSuite, ExtensionType as E, HandshakeType as H, PskKeyExchangeMode, ProtocolVersion } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { hashLength, type HashAlgorithm, type KeyExchange } from '../crypto/provider.js';
import { suiteInfo, type SuiteInfo } from '../crypto/suites.js';
import { findExtension, makeExtension, type Extension } from '../messages/extensions.js';
import {
  AlpnExt,
  CookieExt,
  EcPointFormatsExt,
  ExtendedMasterSecretExt,
  KeyShareClientExt,
  KeyShareHrrExt,
  PreSharedKeyClientExt,
  PostHandshakeAuthExt,
  PskKeyExchangeModesExt,
  RecordSizeLimitExt,
  RenegotiationInfoExt,
  ServerNameExt,
  SessionTicketExt,
  SignatureAlgorithmsExt,
  SupportedGroupsExt,
  SupportedVersionsClientExt,
  SupportedVersionsServerExt,
} from '../messages/index.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { encodeHandshake } from '../messages/handshake.js';
import { ClientHello, downgradeSentinel, ServerHello, truncateClientHelloForBinders } from '../messages/hello.js';
import type { Session } from '../session/session.js';
import { serverHello12 } from './client12.js';
import { checkResponseExtensions, send } from './common13.js';
import { serverHello13 } from './client13.js';
import { KeySchedule13 } from './keyschedule13.js';
import { expectType, type HandshakeContext, type HandshakeState } from './state.js';
import { Transcript } from './transcript.js';

/** What the client offered in its (latest) ClientHello. */
export interface Offer {
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
  /** The TLS 1.2 session whose ID we offered (RFC 5246 §7.4.1.2), if any. */
  readonly session12?: Session;
  readonly compatCcsSent: boolean;
  /** Versions offered. */
  readonly tls13: boolean;
  readonly tls12: boolean;
}

/** An IP literal is never sent as SNI (RFC 6066 §3). */
export function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/** A session offered as a TLS 1.3 PSK, with the early key schedule its binder needs. */
export interface PskOffer {
  readonly session: Session;
  readonly hash: HashAlgorithm;
  readonly ks: KeySchedule13;
}

/** The offered session, if it is usable here: same server name, a suite we still offer, not expired. */
function usableSession(cx: HandshakeContext, version: '1.2' | '1.3'): { session: Session; suite: SuiteInfo } | undefined {
  const session = cx.offeredSession;
  const suite = session ? suiteInfo(session.cipherSuite) : undefined;
  if (!session || !suite || suite.version !== version) return undefined;
  // RFC 8446 §4.6.1, RFC 6066 §3: resume only with the server name of the original session.
  if (session.serverName !== cx.serverName) return undefined;
  if (!session.isResumable(cx.config.provider.nowMs())) return undefined;
  return { session, suite };
}

function pskOffer(cx: HandshakeContext): PskOffer | undefined {
  const usable = usableSession(cx, '1.3');
  // RFC 8446 §4.2.11: identity<1..2^16-1>: a session without a ticket is not offered.
  if (!usable || usable.session.ticket.length === 0) return undefined;
  const { session, suite } = usable;
  // Only with a suite we still offer that shares the session's hash (RFC 8446 §4.2.11).
  if (!cx.config.cipherSuites.some((id) => suiteInfo(id)?.version === '1.3' && suiteInfo(id)?.hash === suite.hash)) return undefined;
  return { session, hash: suite.hash, ks: new KeySchedule13(cx.config.provider, suite.hash, session.secret) };
}

/** A TLS 1.2 session to resume by ticket or ID: its suite still offered, EMS if we require it (RFC 7627 §5.3). */
function session12Offer(cx: HandshakeContext): Session | undefined {
  const usable = usableSession(cx, '1.2');
  if (!usable || !cx.config.cipherSuites.includes(usable.suite.id)) return undefined;
  const ticket = cx.config.sessionTickets && usable.session.ticket.length > 0;
  if (usable.session.sessionId.length === 0 && !ticket) return undefined;
  if (cx.config.requireExtendedMasterSecret && !usable.session.extendedMasterSecret) return undefined;
  return usable.session;
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

/** The suites we offer: those of the versions we offer, and TLS_FALLBACK_SCSV when configured (RFC 7507). */
function offeredSuites(cx: HandshakeContext, tls13: boolean, tls12: boolean): number[] {
  const suites = cx.config.cipherSuites.filter((id) => (suiteInfo(id)!.version === '1.3' ? tls13 : tls12));
  if (cx.config.sendFallbackScsv) suites.push(CipherSuite.TLS_FALLBACK_SCSV);
  return suites;
}

export function buildClientHello(
  cx: HandshakeContext,
  offer: Pick<Offer, 'random' | 'sessionId' | 'shares' | 'tls13' | 'tls12' | 'session12'>,
  cookie?: Uint8Array,
  psk?: PskOffer,
  priorHash?: (truncated: Uint8Array) => Uint8Array,
): ClientHello {
  const cfg = cx.config;
  const { tls13, tls12 } = offer;
  const exts: Extension[] = [];
  if (cx.serverName && !isIpLiteral(cx.serverName)) exts.push(makeExtension(ServerNameExt, [cx.serverName]));
  if (tls12) {
    // RFC 5746 §3.4: renegotiation_info on every handshake, with our last verify_data in a renegotiation.
    exts.push(makeExtension(RenegotiationInfoExt, cx.previousFinished?.client ?? EMPTY));
    exts.push(makeExtension(ExtendedMasterSecretExt, undefined)); // RFC 7627
    exts.push(makeExtension(EcPointFormatsExt, [0])); // RFC 8422 §5.1.2: uncompressed
    // RFC 5077 §3.2: the ticket of the session we offer, or empty to ask for one.
    if (cfg.sessionTickets) exts.push(makeExtension(SessionTicketExt, offer.session12?.ticket ?? EMPTY));
  }
  exts.push(makeExtension(SupportedGroupsExt, [...cfg.groups]));
  exts.push(makeExtension(SignatureAlgorithmsExt, [...cfg.signatureSchemes]));
  if (cfg.alpnProtocols.length > 0) exts.push(makeExtension(AlpnExt, [...cfg.alpnProtocols]));
  if (tls13) {
    exts.push(makeExtension(KeyShareClientExt, offer.shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))));
    exts.push(makeExtension(SupportedVersionsClientExt, tls12 ? [ProtocolVersion.TLSv1_3, ProtocolVersion.TLSv1_2] : [ProtocolVersion.TLSv1_3]));
    // RFC 8446 §4.2.9; psk_ke after psk_dhe_ke when allowed, in OpenSSL's order (tls_construct_ctos_psk_kex_modes).
    exts.push(makeExtension(PskKeyExchangeModesExt, cfg.allowNoDheKex ? [PskKeyExchangeMode.psk_dhe_ke, PskKeyExchangeMode.psk_ke] : [PskKeyExchangeMode.psk_dhe_ke]));
  }
  if (cfg.recordSizeLimit < 16385) exts.push(makeExtension(RecordSizeLimitExt, cfg.recordSizeLimit));
  // RFC 8446 §4.2.6: we will answer a CertificateRequest after the handshake.
  if (tls13 && cfg.postHandshakeAuth) exts.push(makeExtension(PostHandshakeAuthExt, undefined));
  if (cookie) exts.push(makeExtension(CookieExt, cookie));
  // RFC 8446 §4.2.11: pre_shared_key is the last extension; its binder is filled in below.
  if (psk) {
    const identity = { identity: psk.session.ticket, obfuscatedTicketAge: psk.session.obfuscatedAge(cfg.provider.nowMs()) };
    exts.push(makeExtension(PreSharedKeyClientExt, { identities: [identity], binders: [new Uint8Array(hashLength[psk.hash])] }));
  }
  const ch = new ClientHello(ProtocolVersion.TLSv1_2, offer.random, offer.sessionId, offeredSuites(cx, tls13, tls12), new Uint8Array([0]), exts);
  return psk ? withBinder(cx, ch, psk, priorHash) : ch;
}

/**
 * Build and queue a ClientHello; returns the state awaiting ServerHello. A
 * renegotiation (TLS 1.2) offers TLS 1.2 only; `resume` false offers no session.
 */
export function startClient(cx: HandshakeContext, resume = true): HandshakeState {
  const provider = cx.config.provider;
  const renegotiating = cx.previous !== undefined;
  const tls13 = !renegotiating && cx.config.maxVersion >= ProtocolVersion.TLSv1_3;
  const tls12 = cx.config.minVersion <= ProtocolVersion.TLSv1_2;
  // Draw order (random, session id, key shares) is fixed so seeded runs replay exactly.
  const random = provider.randomBytes(32);
  const session12 = tls12 && resume ? session12Offer(cx) : undefined;
  // RFC 5077 §3.4: with a ticket, a fresh session ID that the server echoes when it resumes.
  const byTicket = session12 !== undefined && cx.config.sessionTickets && session12.ticket.length > 0;
  const sessionId = session12 && !byTicket ? session12.sessionId : byTicket || (tls13 && cx.config.middleboxCompat) ? provider.randomBytes(32) : EMPTY;
  const shares = tls13 ? cx.config.keyShareGroups.map((g) => provider.keyExchange(g)) : [];
  const psk = tls13 && resume ? pskOffer(cx) : undefined;
  const ch = buildClientHello(cx, { random, sessionId, shares, tls13, tls12, ...(session12 ? { session12 } : {}) }, undefined, psk);
  const transcript = new Transcript(provider);
  transcript.keepMessages();
  send(cx, transcript, ch);
  cx.negotiated.clientRandom = random;
  const offer: Offer = {
    random,
    sessionId,
    shares,
    extTypes: new Set(ch.extensions.map((e) => e.type)),
    alpn: cx.config.alpnProtocols,
    compatCcsSent: false,
    tls13,
    tls12,
    ...(psk ? { psk } : {}),
    ...(session12 ? { session12 } : {}),
  };
  return new ExpectServerHello(transcript, offer);
}

/** RFC 8446 §4.1.3 / §4.1.4, RFC 5246 §7.4.1.3: ServerHello or HelloRetryRequest; the version decides what follows. */
export class ExpectServerHello implements HandshakeState {
  readonly name = 'ExpectServerHello';
  constructor(
    private readonly transcript: Transcript,
    private readonly offer: Offer,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.server_hello, this.name);
    const sh = ServerHello.decode(msg.body);
    const version = findExtension(sh.extensions, SupportedVersionsServerExt);
    if (version === undefined) return this.tls12(cx, msg, sh);
    if (version !== ProtocolVersion.TLSv1_3 || !this.offer.tls13) throw TlsError.illegal('server selected a version we did not offer');
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) throw TlsError.alert(AlertDescription.protocol_version, 'legacy_version must be 0x0303');
    if (!bytesEqual(sh.legacySessionIdEcho, this.offer.sessionId)) throw TlsError.illegal('legacy_session_id_echo does not match');
    if (sh.compressionMethod !== 0) throw TlsError.illegal('compression method must be null');
    const suite = suiteInfo(sh.cipherSuite);
    if (!suite || suite.version !== '1.3' || !cx.config.cipherSuites.includes(sh.cipherSuite)) {
      throw TlsError.illegal('server selected a cipher suite we did not offer');
    }
    // RFC 8446 §4.1.4: the ServerHello suite must equal the HelloRetryRequest's.
    if (this.offer.hrrSuite && this.offer.hrrSuite.id !== suite.id) throw TlsError.illegal('cipher suite changed after HelloRetryRequest');
    return sh.isHelloRetryRequest ? this.helloRetry(cx, msg, sh, suite) : serverHello13(cx, msg, sh, suite, this.transcript, this.offer);
  }

  /** A ServerHello without supported_versions: TLS 1.2 or older (RFC 8446 §4.2.1). */
  private tls12(cx: HandshakeContext, msg: HandshakeMessage, sh: ServerHello): HandshakeState {
    // SSL 3.0, TLS 1.0 and 1.1 are not spoken (RFC 8996), nor TLS 1.2 when minVersion excludes it.
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2 || !this.offer.tls12) {
      throw TlsError.alert(AlertDescription.protocol_version, `server chose version 0x${sh.legacyVersion.toString(16).padStart(4, '0')}`);
    }
    // RFC 8446 §4.1.3: a TLS 1.3 client checks the downgrade sentinel.
    if (this.offer.tls13 && downgradeSentinel(sh.random) !== undefined) throw TlsError.illegal('ServerHello.random carries a downgrade sentinel');
    if (sh.isHelloRetryRequest || this.offer.hrrSuite) throw TlsError.illegal('TLS 1.2 after a HelloRetryRequest');
    if (sh.compressionMethod !== 0) throw TlsError.illegal('compression method must be null');
    const suite = suiteInfo(sh.cipherSuite);
    if (!suite || suite.version !== '1.2' || !cx.config.cipherSuites.includes(sh.cipherSuite)) {
      throw TlsError.illegal('server selected a cipher suite we did not offer');
    }
    return serverHello12(cx, msg, sh, suite, this.transcript, this.offer);
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
    const ch2 = buildClientHello(cx, { ...this.offer, shares }, cookie, psk, (t) => transcript.hashWith(t));
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
}

const HRR_EXTS: ReadonlySet<number> = new Set([E.key_share, E.supported_versions, E.cookie]);
