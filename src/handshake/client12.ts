/**
 * The TLS 1.2 client after its ServerHello (RFC 5246 §7.3, RFC 8422 ECDHE):
 * one state per expected message. Full handshake: Certificate,
 * ServerKeyExchange, [CertificateRequest], ServerHelloDone; we answer
 * [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished; then
 * the server's CCS and Finished. Abbreviated (a session ID resumed): the
 * server's CCS and Finished, then ours.
 */
import { bytesEqual } from '../common/bytes.js';
import { ExtensionType as E, HandshakeType as H, ProtocolVersion } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { PublicKey } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { findExtension } from '../messages/extensions.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import type { ServerHello } from '../messages/hello.js';
import { AlpnExt, EcPointFormatsExt, RecordSizeLimitExt, RenegotiationInfoExt, SessionTicketExt } from '../messages/index.js';
import {
  Certificate12,
  CertificateRequest12,
  ClientCertificateType,
  ClientKeyExchangeEcdhe,
  type NewSessionTicket12,
  ServerHelloDone,
  ServerKeyExchangeEcdhe,
} from '../messages/messages12.js';
import type { ReceiveProtection, SendProtection } from '../record/protection.js';
import { Session } from '../session/session.js';
import { ExpectNewSessionTicket12 } from './tickets12.js';
import type { Offer } from './client-hello.js';
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
  sendCertificateVerify12,
  sendChangeCipherSpecAndFinished,
  serverKeyExchangeInput,
  SESSION12_LIFETIME_SECONDS,
  session12,
  verify12,
  verifyFinished12,
} from './common12.js';
import { checkResponseExtensions, send } from './common13.js';
import { KeySchedule12 } from './keyschedule12.js';
import { chooseScheme, curveGroup } from './sigschemes.js';
import { expectOneOf, expectType, type HandshakeContext, type HandshakeState } from './state.js';
import { ExpectTraffic12 } from './traffic12.js';
import type { Transcript } from './transcript.js';

/** What may come back in a TLS 1.2 ServerHello (of what we offer). */
const SH12_EXTS: ReadonlySet<number> = new Set([
  E.server_name, E.renegotiation_info, E.extended_master_secret, E.ec_point_formats,
  E.application_layer_protocol_negotiation, E.record_size_limit, E.session_ticket, E.status_request,
]);


/** A TLS 1.2 ServerHello: the server's choices, then a full or an abbreviated handshake. */
export function serverHello12(cx: HandshakeContext, msg: HandshakeMessage, sh: ServerHello, suite: SuiteInfo, transcript: Transcript, offer: Offer): HandshakeState {
  checkResponseExtensions(sh.extensions, offer.extTypes, SH12_EXTS, 'ServerHello');
  const info = findExtension(sh.extensions, RenegotiationInfoExt);
  // RFC 5746 §3.4; OpenSSL 3 refuses a server without it by default (no SSL_OP_LEGACY_SERVER_CONNECT).
  if (!checkRenegotiationInfo(cx, info, false)) throw TlsError.handshakeFailure('server does not support secure renegotiation (RFC 5746)');
  const ems = sh.extensions.some((e) => e.type === E.extended_master_secret);
  // RFC 7627 §5.4: a client that requires the extended master secret aborts without it.
  if (!ems && cx.config.requireExtendedMasterSecret) throw TlsError.handshakeFailure('server does not support the extended master secret (RFC 7627)');
  const formats = findExtension(sh.extensions, EcPointFormatsExt);
  if (formats !== undefined && !formats.includes(0)) throw TlsError.illegal('server does not accept uncompressed points');
  const alpn = findExtension(sh.extensions, AlpnExt);
  if (alpn !== undefined && (alpn.length !== 1 || !offer.alpn.includes(alpn[0]!))) throw TlsError.illegal('server selected an ALPN protocol we did not offer');
  const session = offer.session12;
  // RFC 5246 §7.4.1.3, RFC 5077 §3.4: the server resumes by echoing the session ID we sent.
  const resumed = session !== undefined && sh.legacySessionIdEcho.length > 0 && bytesEqual(sh.legacySessionIdEcho, offer.sessionId);
  Object.assign(cx.negotiated, {
    version: ProtocolVersion.TLSv1_2,
    suite,
    resumed,
    alpn: alpn?.[0],
    secureRenegotiation: true,
    peerRecordSizeLimit: findExtension(sh.extensions, RecordSizeLimitExt),
    ...(sh.extensions.some((e) => e.type === E.server_name) ? { serverName: cx.serverName } : {}),
  });
  transcript.start(suite.hash);
  transcript.add(msg.raw);
  const promised = findExtension(sh.extensions, SessionTicketExt);
  // RFC 5077 §3.2: the server's session_ticket is empty (OpenSSL: decode_error otherwise).
  if (promised !== undefined && promised.length > 0) throw TlsError.decode('ServerHello session_ticket must be empty');
  const ticketExpected = promised !== undefined;
  const core: Core12 = { transcript, suite, clientRandom: offer.random, serverRandom: sh.random, sessionId: sh.legacySessionIdEcho, extendedMasterSecret: ems, ticketExpected };
  if (!resumed) return new ExpectCertificate12(core);
  // RFC 5246 §7.4.1.3: a resumed session keeps its suite; RFC 7627 §5.3: and its EMS.
  if (session.cipherSuite !== suite.id) throw TlsError.illegal('server resumed the session with another cipher suite');
  if (session.extendedMasterSecret !== ems) throw TlsError.handshakeFailure('extended_master_secret differs from the resumed session (RFC 7627 §5.3)');
  checkSameIdentity(cx, session.peerCertificates);
  verifyPeerChain(cx, session.peerCertificates);
  const ks = KeySchedule12.fromMaster(cx.config.provider, suite, session.secret, { clientRandom: offer.random, serverRandom: sh.random }, ems);
  keylog12(cx, ks);
  const keyed: Keyed12 = { ...core, ks };
  const keys = keys12(cx, ks);
  return serverFinishing(keyed, keys.receive, keys.send, session);
}

/**
 * What ends the server's flight: [NewSessionTicket] (RFC 5077 §3.3, when its
 * ServerHello promised one), ChangeCipherSpec, Finished. `sendKeys`: after a
 * resumption our CCS and Finished follow; `resumed`: the session we resumed.
 */
function serverFinishing(core: Keyed12, receive: ReceiveProtection, sendKeys: SendProtection | undefined, resumed: Session | undefined): HandshakeState {
  const ccs = (ticket?: NewSessionTicket12): HandshakeState =>
    new ExpectChangeCipherSpec12(receive, () => new ExpectServerFinished12(core, sendKeys, resumed, ticket));
  return core.ticketExpected ? new ExpectNewSessionTicket12(core, ccs) : ccs();
}

class ExpectCertificate12 implements HandshakeState {
  readonly name = 'ExpectCertificate';
  constructor(private readonly core: Core12) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate, this.name);
    const chain = Certificate12.decode(msg.body).certificates;
    // RFC 5246 §7.4.2: the ECDHE suites need a certificate.
    if (chain.length === 0) throw TlsError.decode('server sent no certificate');
    checkSameIdentity(cx, chain);
    const key = verifyPeerChain(cx, chain);
    // RFC 8422 §5.3: an ECDSA suite needs an EC (or EdDSA) key, an RSA suite an RSA key.
    const fits = this.core.suite.auth === 'RSA' ? key.type === 'rsa' : key.type !== 'rsa';
    if (!fits) throw TlsError.alert(AlertDescription.unsupported_certificate, `server certificate key does not fit ${this.core.suite.name}`);
    // RFC 8422 §5.1.1: an ECDSA key on a curve we did not list (OpenSSL: illegal_parameter).
    const curve = curveGroup(key);
    if (curve !== undefined && !cx.config.groups.includes(curve)) throw TlsError.illegal("server certificate's curve is not in our supported_groups");
    this.core.transcript.add(msg.raw);
    return new ExpectServerKeyExchange(this.core, key);
  }
}

class ExpectServerKeyExchange implements HandshakeState {
  readonly name = 'ExpectServerKeyExchange';
  constructor(
    private readonly core: Core12,
    private readonly serverKey: PublicKey,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.server_key_exchange, this.name);
    const ske = ServerKeyExchangeEcdhe.decode(msg.body);
    // RFC 8422 §5.4: a curve we offered.
    if (!cx.config.groups.includes(ske.group) || !EC_GROUPS.has(ske.group)) throw TlsError.illegal('ServerKeyExchange: a group we did not offer');
    const input = serverKeyExchangeInput(this.core, ske.params());
    verify12(cx, this.serverKey, cx.config.signatureSchemes, ske.scheme, input, ske.signature, 'ServerKeyExchange');
    cx.negotiated.group = ske.group;
    this.core.transcript.add(msg.raw);
    return new ExpectServerHelloDone(this.core, ske, undefined);
  }
}

interface CertRequest12 {
  readonly types: readonly number[];
  readonly schemes: readonly number[];
}

/** ServerHelloDone, or first a CertificateRequest (RFC 5246 §7.4.4). */
class ExpectServerHelloDone implements HandshakeState {
  readonly name: string;
  constructor(
    private readonly core: Core12,
    private readonly ske: ServerKeyExchangeEcdhe,
    private readonly request: CertRequest12 | undefined,
  ) {
    this.name = request ? 'ExpectServerHelloDone' : 'ExpectCertificateRequestOrServerHelloDone';
  }

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectOneOf(msg, this.request ? [H.server_hello_done] : [H.certificate_request, H.server_hello_done], this.name);
    if (msg.type === H.certificate_request) {
      const cr = CertificateRequest12.decode(msg.body);
      this.core.transcript.add(msg.raw);
      return new ExpectServerHelloDone(this.core, this.ske, { types: cr.certificateTypes, schemes: cr.signatureAlgorithms });
    }
    ServerHelloDone.decode(msg.body);
    const { transcript, suite } = this.core;
    transcript.add(msg.raw);
    const provider = cx.config.provider;
    const kx = provider.keyExchange(this.ske.group);
    const preMaster = kx.complete(this.ske.publicKey);
    // Our flight: [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished.
    const signer = this.request ? this.clientCertificate(cx, this.request) : undefined;
    if (this.request) send(cx, transcript, new Certificate12(signer ? [...cx.config.certificate!.chain] : []));
    send(cx, transcript, new ClientKeyExchangeEcdhe(kx.publicKey));
    const randoms = { clientRandom: this.core.clientRandom, serverRandom: this.core.serverRandom };
    // RFC 7627 §4: the session hash covers the messages up to ClientKeyExchange.
    const ks = KeySchedule12.fromPreMaster(provider, suite, preMaster, randoms, this.core.extendedMasterSecret ? transcript.hash() : undefined);
    preMaster.fill(0);
    keylog12(cx, ks);
    if (signer !== undefined) sendCertificateVerify12(cx, transcript, cx.config.certificate!.key, signer);
    const keyed: Keyed12 = { ...this.core, ks };
    const keys = keys12(cx, ks);
    sendChangeCipherSpecAndFinished(cx, keyed, keys.send);
    return serverFinishing(keyed, keys.receive, undefined, undefined);
  }

  /** The scheme we sign with, when our certificate fits the request (else we send an empty Certificate). */
  private clientCertificate(cx: HandshakeContext, request: CertRequest12): number | undefined {
    const ours = cx.config.certificate;
    if (!ours) return undefined;
    const type = ours.key.type === 'rsa' ? ClientCertificateType.rsa_sign : ClientCertificateType.ecdsa_sign;
    if (!request.types.includes(type)) return undefined;
    return chooseScheme(cx.config.signatureSchemes, request.schemes, ours.key, '1.2');
  }
}

/**
 * The server's Finished. After a full handshake that ends it; after a
 * resumed one our CCS and Finished follow (`sendKeys`).
 */
class ExpectServerFinished12 implements HandshakeState {
  readonly name = 'ExpectFinished';
  constructor(
    private readonly core: Keyed12,
    private readonly sendKeys: SendProtection | undefined,
    private readonly resumed: Session | undefined,
    private readonly ticket: NewSessionTicket12 | undefined,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.finished, this.name);
    verifyFinished12(cx, this.core, msg);
    if (this.sendKeys) sendChangeCipherSpecAndFinished(cx, this.core, this.sendKeys);
    const ticket = this.ticket?.ticket ?? new Uint8Array(0);
    // RFC 5077 §3.3: the lifetime hint in seconds; 0 means unspecified.
    const lifetime = this.ticket?.lifetimeHint || SESSION12_LIFETIME_SECONDS;
    if (this.resumed === undefined && (this.core.sessionId.length > 0 || ticket.length > 0)) {
      cx.sessionReady(session12(cx, this.core, lifetime, ticket));
    } else if (this.resumed !== undefined && ticket.length > 0) {
      // A renewed ticket for the session we resumed.
      cx.sessionReady(new Session({ ...this.resumed, ticket: ticket.slice(), lifetimeSeconds: lifetime, receivedAtMs: cx.config.provider.nowMs() }));
    }
    finish12(cx, this.core);
    return new ExpectTraffic12();
  }
}

