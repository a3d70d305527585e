/**
 * The TLS 1.3 client after its ServerHello (RFC 8446 §4.1.3-§4.4): one state
 * per expected message. The ClientHello and the version choice are in client-hello.ts.
 */
import { ExtensionType as E, ProtocolVersion, HandshakeType as H } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { hashLength } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { findExtension } from '../messages/extensions.js';
import { AlpnExt, KeyShareServerExt, PreSharedKeyServerExt, RecordSizeLimitExt, SignatureAlgorithmsExt } from '../messages/index.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import type { ServerHello } from '../messages/hello.js';
import { Certificate13, CertificateRequest13, EncryptedExtensions } from '../messages/messages13.js';
import { SendProtection } from '../record/protection.js';
import type { Offer } from './client-hello.js';
import {
  checkResponseExtensions,
  clientCertificate,
  deriveApplicationSecrets,
  installHandshakeKeys,
  receiveProtection,
  secrets13,
  sendCertificateAndVerify,
  sendFinished,
  sendProtection,
  verifyCertificateVerify,
  verifyFinished,
} from './common13.js';
import { verifyPeerChain } from './certs.js';
import { KeySchedule13 } from './keyschedule13.js';
import { ExpectTraffic13 } from './traffic13.js';
import { expectOneOf, expectType, type HandshakeContext, type HandshakeState } from './state.js';
import type { Transcript } from './transcript.js';

/** A TLS 1.3 ServerHello (RFC 8446 §4.1.3): handshake keys; then the server's encrypted flight. */
export function serverHello13(cx: HandshakeContext, msg: HandshakeMessage, sh: ServerHello, suite: SuiteInfo, transcript: Transcript, offer: Offer): HandshakeState {
  checkResponseExtensions(sh.extensions, offer.extTypes, SH_EXTS, 'ServerHello');
  const share = findExtension(sh.extensions, KeyShareServerExt);
  const selected = findExtension(sh.extensions, PreSharedKeyServerExt);
  // RFC 8446 §4.2.9: no key_share only in a psk_ke resumption, which we offer only with allowNoDheKex.
  if (!share && (selected === undefined || !cx.config.allowNoDheKex)) throw TlsError.alert(AlertDescription.missing_extension, 'ServerHello without key_share');
  const kx = share ? offer.shares.find((s) => s.group === share.group) : undefined;
  if (share && !kx) throw TlsError.illegal('ServerHello key_share is for a group we sent no share for');
  const psk = offer.psk;
  if (selected !== undefined) {
    // RFC 8446 §4.2.11: the one identity we offered, with a suite of its hash.
    if (!psk || selected !== 0) throw TlsError.illegal('server selected a PSK we did not offer');
    if (psk.hash !== suite.hash) throw TlsError.illegal('server selected a cipher suite whose hash does not fit the PSK');
  }
  // RFC 8446 §7.1: psk_ke's (EC)DHE input is Hash.length zero bytes.
  const shared = share ? kx!.complete(share.keyExchange) : new Uint8Array(hashLength[suite.hash]);
  cx.negotiated.version = ProtocolVersion.TLSv1_3;
  cx.negotiated.suite = suite;
  if (share) cx.negotiated.group = share.group;
  cx.negotiated.resumed = selected !== undefined;
  transcript.start(suite.hash);
  transcript.dropMessages(); // kept only for a TLS 1.2 CertificateVerify
  transcript.add(msg.raw);
  const ks = new KeySchedule13(cx.config.provider, suite.hash, selected !== undefined ? psk!.session.secret : undefined);
  ks.toHandshake(shared);
  shared.fill(0);
  const secrets = installHandshakeKeys(cx, ks, suite, transcript.hash());
  return new ExpectEncryptedExtensions({ transcript, ks, suite, offer, ...secrets });
}

const SH_EXTS: ReadonlySet<number> = new Set([E.key_share, E.supported_versions, E.pre_shared_key]);
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
      const ours = clientCertificate(cx, this.request.schemes, false);
      sendCertificateAndVerify(cx, transcript, ours?.chain ?? [], ours?.key, ours?.scheme, this.request.context);
    }
    sendFinished(cx, transcript, ks, this.core.client);
    sendProtection(cx, suite, app.client);
    receiveProtection(cx, suite, app.server);
    const resumptionMaster = ks.derive('res master', transcript.hash());
    this.core.client.fill(0);
    this.core.server.fill(0);
    cx.finishHandshake(secrets13(cx, ks, app.exporter, resumptionMaster));
    // Only a client that offered post_handshake_auth keeps the transcript (RFC 8446 §4.6.2).
    return new ExpectTraffic13(cx.config.postHandshakeAuth ? { transcript, ks, suite } : undefined);
  }
}
