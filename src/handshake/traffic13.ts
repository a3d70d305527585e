/**
 * TLS 1.3 after the handshake (RFC 8446 §4.6): KeyUpdate both ways,
 * NewSessionTicket to clients, and post-handshake client authentication
 * (§4.6.2): the server's CertificateRequest, then the client's Certificate,
 * CertificateVerify and Finished, each exchange over the handshake
 * transcript (through the client Finished) on its own.
 */
import { constantTimeEqual } from '../common/bytes.js';
import { HandshakeType as H, nameOf } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { PublicKey } from '../crypto/provider.js';
import { hashLength } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { findExtension, makeExtension } from '../messages/extensions.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { SignatureAlgorithmsExt } from '../messages/index.js';
import { CertificateRequest13, Finished, KeyUpdate } from '../messages/messages13.js';
import { certificateRequestSchemes, clientCertificate, readClientCertificate, send, sendCertificateAndVerify, verifyCertificateVerify } from './common13.js';
import type { KeySchedule13 } from './keyschedule13.js';
import { expectType, type HandshakeContext, type HandshakeState } from './state.js';
import type { Transcript } from './transcript.js';

/** What the handshake leaves for post-handshake authentication. */
export interface HandshakeTranscript13 {
  /** The transcript through the client Finished; never added to again, forked per request. */
  readonly transcript: Transcript;
  readonly ks: KeySchedule13;
  readonly suite: SuiteInfo;
}

/** RFC 8446 §4.6.2: an unpredictable certificate_request_context (32 bytes, as OpenSSL). */
const CONTEXT_LENGTH = 32;

/** Traffic: KeyUpdate both ways, NewSessionTicket and CertificateRequest to clients (RFC 8446 §4.6). */
export class ExpectTraffic13 implements HandshakeState {
  readonly name = 'ExpectTraffic13';
  /**
   * `hs`: kept only when post-handshake authentication may follow (the
   * client sent post_handshake_auth / we offered it); otherwise a connection
   * at rest holds no transcript or key schedule.
   */
  constructor(private readonly hs: HandshakeTranscript13 | undefined) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    switch (msg.type) {
      case H.key_update:
        keyUpdate(cx, msg);
        return this;
      case H.new_session_ticket:
        // RFC 8446 §4.6.1: only servers send tickets.
        if (cx.role === 'server') throw TlsError.unexpected('client sent NewSessionTicket');
        cx.ticketReceived(msg);
        return this;
      case H.certificate_request:
        // RFC 8446 §4.6.2: only to a client that sent post_handshake_auth; otherwise unexpected_message.
        if (cx.role === 'server' || !cx.config.postHandshakeAuth || !this.hs) throw TlsError.unexpected('CertificateRequest after the handshake without post_handshake_auth');
        answerCertificateRequest(cx, this.hs, msg);
        return this;
      default:
        throw TlsError.unexpected(`post-handshake: ${nameOf(H, msg.type)}`);
    }
  }

  /** Server (verifyClientPostHandshake): send a CertificateRequest; the client's answer comes next. */
  requestCertificate(cx: HandshakeContext): HandshakeState {
    // Connection.verifyClientPostHandshake refuses a client that did not send post_handshake_auth.
    if (!this.hs) throw TlsError.internal('post-handshake authentication without the handshake transcript');
    const transcript = this.hs.transcript.fork();
    const context = cx.config.provider.randomBytes(CONTEXT_LENGTH);
    send(cx, transcript, new CertificateRequest13(context, [makeExtension(SignatureAlgorithmsExt, certificateRequestSchemes(cx))]));
    return new ExpectPostHandshakeCertificate({ hs: this.hs, transcript, context });
  }
}

function keyUpdate(cx: HandshakeContext, msg: HandshakeMessage): void {
  const ku = KeyUpdate.decode(msg.body);
  cx.keyUpdateReceived(ku.requestUpdate === 1);
}

/** Client: answer a post-handshake CertificateRequest right away (Certificate, [CertificateVerify], Finished). */
function answerCertificateRequest(cx: HandshakeContext, hs: HandshakeTranscript13, msg: HandshakeMessage): void {
  const cr = CertificateRequest13.decode(msg.body);
  const schemes = findExtension(cr.extensions, SignatureAlgorithmsExt);
  // RFC 8446 §4.3.2: signature_algorithms must be present.
  if (!schemes) throw TlsError.alert(AlertDescription.missing_extension, 'CertificateRequest without signature_algorithms');
  const transcript = hs.transcript.fork();
  transcript.add(msg.raw);
  cx.openDraft(); // sendCertificateAndVerify records the scheme we sign with
  const ours = clientCertificate(cx, schemes, true);
  sendCertificateAndVerify(cx, transcript, ours?.chain ?? [], ours?.key, ours?.scheme, cr.context);
  // RFC 8446 §4.4: the Finished key is from client_application_traffic_secret_N (the current one).
  const verifyData = hs.ks.finishedVerifyData(cx.clientTrafficSecret(), transcript.hash());
  send(cx, transcript, new Finished(verifyData));
}

interface PendingRequest {
  readonly hs: HandshakeTranscript13;
  /** This exchange's transcript: the handshake's, then CertificateRequest onwards. */
  readonly transcript: Transcript;
  readonly context: Uint8Array;
}

/** Server: the client's Certificate for our post-handshake CertificateRequest (a KeyUpdate may come first). */
class ExpectPostHandshakeCertificate implements HandshakeState {
  readonly name = 'ExpectPostHandshakeCertificate';
  constructor(private readonly req: PendingRequest) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    if (msg.type === H.key_update) {
      keyUpdate(cx, msg);
      return this;
    }
    expectType(msg, H.certificate, this.name);
    const cert = readClientCertificate(cx, msg, this.req.context);
    this.req.transcript.add(msg.raw);
    return cert ? new ExpectPostHandshakeCertificateVerify(this.req, cert.chain, cert.key) : new ExpectPostHandshakeFinished(this.req, []);
  }
}

class ExpectPostHandshakeCertificateVerify implements HandshakeState {
  readonly name = 'ExpectPostHandshakeCertificateVerify';
  constructor(
    private readonly req: PendingRequest,
    private readonly chain: readonly Uint8Array[],
    private readonly peerKey: PublicKey,
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.certificate_verify, this.name);
    verifyCertificateVerify(cx, this.req.transcript, msg, this.peerKey, certificateRequestSchemes(cx));
    return new ExpectPostHandshakeFinished(this.req, this.chain);
  }
}

class ExpectPostHandshakeFinished implements HandshakeState {
  readonly name = 'ExpectPostHandshakeFinished';
  constructor(
    private readonly req: PendingRequest,
    private readonly chain: readonly Uint8Array[],
  ) {}

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.finished, this.name);
    const { hs, transcript } = this.req;
    const fin = Finished.decode(msg.body, hashLength[hs.suite.hash]);
    const expected = hs.ks.finishedVerifyData(cx.clientTrafficSecret(), transcript.hash());
    // RFC 8446 §4.4.4: a wrong Finished is decrypt_error.
    if (!constantTimeEqual(expected, fin.verifyData)) throw TlsError.alert(AlertDescription.decrypt_error, 'post-handshake Finished verify_data does not match');
    cx.clientAuthenticated(this.chain);
    return new ExpectTraffic13(hs);
  }
}
