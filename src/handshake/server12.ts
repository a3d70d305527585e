/**
 * The TLS 1.2 server (RFC 5246 §7.3, RFC 8422 ECDHE, RFC 7627 EMS, RFC 5746):
 * one state per expected message. Full handshake: ServerHello, Certificate,
 * ServerKeyExchange, [CertificateRequest], ServerHelloDone; then the client's
 * [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished; then
 * our CCS and Finished. Abbreviated (a cached session ID): ServerHello, CCS,
 * Finished; then the client's CCS and Finished.
 */
import { chooseCommonSuite } from './suite-choice.js';
import { EMPTY } from '../common/bytes.js';
import { CipherSuite, ExtensionType as E, HandshakeType as H, ProtocolVersion } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import type { PublicKey } from '../crypto/provider.js';
import { suiteInfo, type SuiteInfo } from '../crypto/suites.js';
import { findExtension, makeExtension, type Extension } from '../messages/extensions.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { ServerHello, DOWNGRADE_TLS12, type ClientHello } from '../messages/hello.js';
import {
  AlpnExt,
  CertificateVerify,
  EcPointFormatsExt,
  EmptyServerNameExt,
  ExtendedMasterSecretExt,
  RenegotiationInfoExt,
  ServerNameExt,
  SessionTicketExt,
  SignatureAlgorithmsExt,
  SupportedGroupsExt,
} from '../messages/index.js';
import { Certificate12, CertificateRequest12, ClientCertificateType, ClientKeyExchangeEcdhe, ServerHelloDone, ServerKeyExchangeEcdhe } from '../messages/messages12.js';
import type { Session } from '../session/session.js';
import { verifyPeerChain } from './certs.js';
import {
  checkRenegotiationInfo,
  checkSameIdentity,
  type Core12,
  EC_GROUPS,
  ExpectChangeCipherSpec12,
  finish12,
  type Keyed12,
  keylog12,
  keys12,
  ourRenegotiationInfo,
  sendChangeCipherSpecAndFinished,
  serverKeyExchangeInput,
  session12,
  sign12,
  verify12,
  verifyFinished12,
} from './common12.js';
import { send } from './common13.js';
import { KeySchedule12 } from './keyschedule12.js';
import { chooseAlpn } from './server13.js';
import { chooseScheme, curveGroup } from './sigschemes.js';
import { expectType, type HandshakeContext, type HandshakeState } from './state.js';
import { ExpectTraffic12 } from './traffic12.js';
import { planTickets12, sendTicket12 } from './tickets12.js';
import { Transcript } from './transcript.js';


/** What we decided from the ClientHello. */
interface Choice12 {
  readonly suite: SuiteInfo;
  readonly group: number;
  readonly scheme: number;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  readonly ems: boolean;
  readonly pointFormats: boolean;
}

/**
 * Our first (or the client's first) TLS 1.2 suite that both offer and our
 * certificate can serve: an ECDSA key's curve must be one the client lists
 * in supported_groups (RFC 8422 §5.1.1), as OpenSSL requires.
 */
function chooseSuite12(cx: HandshakeContext, offered: readonly number[], clientGroups: readonly number[] | undefined): SuiteInfo {
  const key = cx.config.certificate!.key;
  const auth = key.type === 'rsa' ? 'RSA' : 'ECDSA';
  const curve = curveGroup(key);
  if (curve !== undefined && clientGroups !== undefined && !clientGroups.includes(curve)) {
    throw TlsError.handshakeFailure("no cipher suite in common: our ECDSA certificate's curve is not in the client's supported_groups");
  }
  const suite = chooseCommonSuite(cx.config, offered, (s) => s.version === '1.2' && s.auth === auth);
  if (!suite) throw TlsError.handshakeFailure('no TLS 1.2 cipher suite in common (we speak ECDHE with AES-GCM or ChaCha20-Poly1305 only)');
  return suite;
}

function decide12(cx: HandshakeContext, ch: ClientHello): Choice12 {
  const cert = cx.config.certificate;
  if (!cert) throw TlsError.handshakeFailure('server has no certificate');
  // RFC 5246 §7.4.1.2: the null compression method must be offered.
  if (!ch.compressionMethods.includes(0)) throw TlsError.handshakeFailure('client does not offer the null compression method');
  const clientGroups = findExtension(ch.extensions, SupportedGroupsExt);
  const suite = chooseSuite12(cx, ch.cipherSuites, clientGroups);
  // RFC 8422 §4: without supported_groups the client takes any curve; we pick our first.
  const group = cx.config.groups.find((g) => EC_GROUPS.has(g) && (clientGroups === undefined || clientGroups.includes(g)));
  if (group === undefined) throw TlsError.handshakeFailure('no elliptic curve in common');
  const formats = findExtension(ch.extensions, EcPointFormatsExt);
  // RFC 8422 §5.1.2: a client that lists formats must list uncompressed.
  if (formats !== undefined && !formats.includes(0)) throw TlsError.illegal('client does not accept uncompressed points');
  const schemes = findExtension(ch.extensions, SignatureAlgorithmsExt);
  // RFC 5246 §7.4.1.4.1: without signature_algorithms the default is SHA-1, which we do not sign with.
  if (schemes === undefined) throw TlsError.handshakeFailure('no signature_algorithms: the default is SHA-1, which we refuse');
  const scheme = chooseScheme(cx.config.signatureSchemes, schemes, cert.key, '1.2');
  if (scheme === undefined) throw TlsError.handshakeFailure('no signature scheme in common with our key');
  const ems = ch.extensions.some((e) => e.type === E.extended_master_secret);
  // RFC 7627 §5.2: a server that requires it aborts without it.
  if (!ems && cx.config.requireExtendedMasterSecret) throw TlsError.handshakeFailure('client does not offer the extended master secret (RFC 7627)');
  const serverName = findExtension(ch.extensions, ServerNameExt)?.[0];
  const alpn = chooseAlpn(cx, findExtension(ch.extensions, AlpnExt), serverName);
  return { suite, group, scheme, alpn, serverName, ems, pointFormats: formats !== undefined };
}

/** May this ClientHello resume `s` (RFC 5246 §7.4.1.2, RFC 7627 §5.3, RFC 6066 §3)? */
function fits(cx: HandshakeContext, ch: ClientHello, choice: Choice12, s: Session): boolean {
  if (s.version !== ProtocolVersion.TLSv1_2 || !ch.cipherSuites.includes(s.cipherSuite) || !cx.config.cipherSuites.includes(s.cipherSuite)) return false;
  if (s.extendedMasterSecret !== choice.ems || s.serverName !== choice.serverName) return false;
  // A session made without a client certificate does not satisfy a server that requires one, nor
  // a renegotiation started to ask for one (node's renegotiate({ requestCert: true })).
  if (s.peerCertificates.length > 0) return true;
  return !cx.config.requireCert && !(cx.config.requestCert && cx.previous !== undefined);
}

/** A cached session this ClientHello's session ID names and may resume, else undefined. */
function resumable(cx: HandshakeContext, ch: ClientHello, choice: Choice12): Session | undefined {
  const store = cx.config.sessionStore;
  if (!store || ch.legacySessionId.length === 0) return undefined;
  const s = store.get(ch.legacySessionId);
  return s && fits(cx, ch, choice, s) ? s : undefined;
}

/** A ClientHello for which we chose TLS 1.2. */
export function clientHello12(cx: HandshakeContext, msg: HandshakeMessage, ch: ClientHello): HandshakeState {
  const info = findExtension(ch.extensions, RenegotiationInfoExt);
  const secure = checkRenegotiationInfo(cx, info, ch.cipherSuites.includes(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV));
  const choice = decide12(cx, ch);
  // RFC 5077 §3.4: a usable ticket wins over the session ID (which then only identifies the answer).
  const plan = planTickets12(cx, ch, (s) => fits(cx, ch, choice, s));
  const session = plan.session ?? resumable(cx, ch, choice);
  const provider = cx.config.provider;
  // Draw order (random, session id, key share, signature) is fixed for seeded replays.
  const random = provider.randomBytes(32);
  // RFC 8446 §4.1.3: a server that speaks TLS 1.3 marks a TLS 1.2 answer.
  if (cx.config.maxVersion >= ProtocolVersion.TLSv1_3) random.set(DOWNGRADE_TLS12, 24);
  // A session that a ticket carries needs no ID (OpenSSL sends none then); else one for our cache.
  const sessionId = session ? ch.legacySessionId : cx.config.sessionStore && !plan.issue ? provider.randomBytes(32) : EMPTY;
  const suite = session ? suiteInfo(session.cipherSuite)! : choice.suite;
  Object.assign(cx.negotiated, {
    version: ProtocolVersion.TLSv1_2,
    suite,
    clientRandom: ch.random,
    alpn: choice.alpn,
    serverName: choice.serverName,
    resumed: session !== undefined,
    secureRenegotiation: secure,
  });
  const transcript = new Transcript(provider);
  transcript.keepMessages();
  transcript.start(suite.hash);
  transcript.add(msg.raw);
  const exts = serverHelloExtensions(cx, ch, choice, secure);
  if (plan.issue) exts.push(makeExtension(SessionTicketExt, EMPTY)); // RFC 5077 §3.2: a NewSessionTicket follows
  send(cx, transcript, new ServerHello(ProtocolVersion.TLSv1_2, random, sessionId, suite.id, 0, exts));
  const core: Core12 = { transcript, suite, clientRandom: ch.random, serverRandom: random, sessionId, extendedMasterSecret: choice.ems, ticketExpected: plan.issue };
  if (session) return resume(cx, core, session);
  return fullHandshake(cx, core, choice);
}

function serverHelloExtensions(cx: HandshakeContext, ch: ClientHello, choice: Choice12, secure: boolean): Extension[] {
  const exts: Extension[] = [];
  if (secure) exts.push(makeExtension(RenegotiationInfoExt, ourRenegotiationInfo(cx)));
  if (choice.ems) exts.push(makeExtension(ExtendedMasterSecretExt, undefined));
  if (choice.pointFormats) exts.push(makeExtension(EcPointFormatsExt, [0]));
  if (ch.extensions.some((e) => e.type === E.server_name)) exts.push(makeExtension(EmptyServerNameExt, undefined));
  if (choice.alpn !== undefined) exts.push(makeExtension(AlpnExt, [choice.alpn]));
  return exts;
}

/** Abbreviated handshake: our CCS and Finished now, the client's after (RFC 5246 §7.3). */
function resume(cx: HandshakeContext, core: Core12, session: Session): HandshakeState {
  // The client's certificates are judged again by today's verifier and policy.
  if (session.peerCertificates.length > 0) verifyPeerChain(cx, session.peerCertificates);
  cx.setServerSession(session);
  if (core.ticketExpected) sendTicket12(cx, core, session);
  const ks = KeySchedule12.fromMaster(cx.config.provider, core.suite, session.secret, core, core.extendedMasterSecret);
  keylog12(cx, ks);
  const keyed: Keyed12 = { ...core, ks };
  const keys = keys12(cx, ks);
  sendChangeCipherSpecAndFinished(cx, keyed, keys.send);
  return new ExpectChangeCipherSpec12(keys.receive, () => new ExpectClientFinished12(keyed, undefined));
}

/** Full handshake: Certificate, ServerKeyExchange, [CertificateRequest], ServerHelloDone. */
function fullHandshake(cx: HandshakeContext, core: Core12, choice: Choice12): HandshakeState {
  const cert = cx.config.certificate!;
  send(cx, core.transcript, new Certificate12([...cert.chain]));
  const kx = cx.config.provider.keyExchange(choice.group);
  const params = new ServerKeyExchangeEcdhe(choice.group, kx.publicKey, choice.scheme, EMPTY).params();
  const signature = sign12(cx, cert.key, choice.scheme, serverKeyExchangeInput(core, params));
  send(cx, core.transcript, new ServerKeyExchangeEcdhe(choice.group, kx.publicKey, choice.scheme, signature));
  cx.negotiated.group = choice.group;
  cx.negotiated.signatureScheme = choice.scheme;
  const request = cx.config.requestCert;
  if (request) {
    const types = [ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign];
    send(cx, core.transcript, new CertificateRequest12(types, [...cx.config.signatureSchemes], []));
  }
  send(cx, core.transcript, new ServerHelloDone());
  const next = new ExpectClientKeyExchange(core, kx, undefined);
  return request ? new ExpectClientCertificate12(core, kx) : next;
}

type KeyExchange = ReturnType<HandshakeContext['config']['provider']['keyExchange']>;

class ExpectClientCertificate12 implements HandshakeState {
  readonly name = 'ExpectClientCertificate';
  constructor(
    private readonly core: Core12,
    private readonly kx: KeyExchange,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate, this.name);
    const chain = Certificate12.decode(msg.body).certificates;
    if (chain.length === 0) {
      // RFC 5246 §7.4.6: a server that needs a certificate may answer handshake_failure (OpenSSL does).
      if (cx.config.requireCert) throw TlsError.handshakeFailure('client sent no certificate');
      this.core.transcript.add(msg.raw);
      return new ExpectClientKeyExchange(this.core, this.kx, undefined);
    }
    checkSameIdentity(cx, chain);
    const key = verifyPeerChain(cx, chain);
    this.core.transcript.add(msg.raw);
    return new ExpectClientKeyExchange(this.core, this.kx, key);
  }
}

class ExpectClientKeyExchange implements HandshakeState {
  readonly name = 'ExpectClientKeyExchange';
  constructor(
    private readonly core: Core12,
    private readonly kx: KeyExchange,
    private readonly clientKey: PublicKey | undefined,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.client_key_exchange, this.name);
    const cke = ClientKeyExchangeEcdhe.decode(msg.body);
    const preMaster = this.kx.complete(cke.publicKey);
    const { transcript, suite } = this.core;
    transcript.add(msg.raw);
    // RFC 7627 §4: the session hash covers the messages up to ClientKeyExchange.
    const sessionHash = this.core.extendedMasterSecret ? transcript.hash() : undefined;
    const ks = KeySchedule12.fromPreMaster(cx.config.provider, suite, preMaster, this.core, sessionHash);
    preMaster.fill(0);
    keylog12(cx, ks);
    const keyed: Keyed12 = { ...this.core, ks };
    const keys = keys12(cx, ks);
    const afterCcs = (): HandshakeState => new ExpectChangeCipherSpec12(keys.receive, () => new ExpectClientFinished12(keyed, keys.send));
    return this.clientKey ? new ExpectCertificateVerify12(keyed, this.clientKey, afterCcs) : afterCcs();
  }
}

class ExpectCertificateVerify12 implements HandshakeState {
  readonly name = 'ExpectCertificateVerify';
  constructor(
    private readonly core: Keyed12,
    private readonly clientKey: PublicKey,
    private readonly next: () => HandshakeState,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate_verify, this.name);
    const cv = CertificateVerify.decode(msg.body);
    // RFC 5246 §7.4.8: the signature covers every handshake message before this one.
    verify12(cx, this.clientKey, cx.config.signatureSchemes, cv.scheme, this.core.transcript.messages(), cv.signature, 'CertificateVerify');
    this.core.transcript.add(msg.raw);
    return this.next();
  }
}

/**
 * The client's Finished. After a full handshake our CCS and Finished follow
 * (`sendKeys`) and the session is cached; after a resumed one it ends the handshake.
 */
class ExpectClientFinished12 implements HandshakeState {
  readonly name = 'ExpectClientFinished';
  constructor(
    private readonly core: Keyed12,
    private readonly sendKeys: ReturnType<typeof keys12>['send'] | undefined,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.finished, this.name);
    verifyFinished12(cx, this.core, msg);
    if (this.sendKeys) {
      const session = session12(cx, this.core, cx.config.sessionLifetimeSeconds);
      cx.setServerSession(session);
      // RFC 5077 §3.3: the ticket goes before our ChangeCipherSpec.
      if (this.core.ticketExpected) sendTicket12(cx, this.core, session);
      sendChangeCipherSpecAndFinished(cx, this.core, this.sendKeys);
      if (this.core.sessionId.length > 0) cx.config.sessionStore?.put(session);
    }
    finish12(cx, this.core);
    return new ExpectTraffic12();
  }
}

