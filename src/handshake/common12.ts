/**
 * What the TLS 1.2 client and server share (RFC 5246 §7.4): Finished,
 * ChangeCipherSpec, key installation, the ServerKeyExchange signature, the
 * RFC 5746 renegotiation_info check and the secrets a handshake leaves behind.
 */
import { bytesEqual, concat, constantTimeEqual, EMPTY } from '../common/bytes.js';
import { NamedGroup, ProtocolVersion } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { PrivateKey, PublicKey } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { handshakeName } from '../messages/handshake.js';
import { CertificateVerify, Finished } from '../messages/messages13.js';
import { ReceiveProtection, SendProtection } from '../record/protection.js';
import { Session } from '../session/session.js';
import { KeySchedule12, VERIFY_DATA_LENGTH_12, wipeKeyBlock12 } from './keyschedule12.js';
import { send } from './common13.js';
import { schemeAlgorithm, schemeFitsKey } from './sigschemes.js';
import type { HandshakeContext, HandshakeSecrets, HandshakeState } from './state.js';
import type { Transcript } from './transcript.js';

/** The groups of TLS 1.2 ECDHE (RFC 8422 §5.1.1); the FFDHE groups are TLS 1.3 only here (no DHE). */
export const EC_GROUPS: ReadonlySet<number> = new Set([NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]);

/** A TLS 1.2 session's client lifetime when the server gives none (OpenSSL's default session timeout). */
export const SESSION12_LIFETIME_SECONDS = 7200;

/** What every TLS 1.2 state after the ServerHello carries. */
export interface Core12 {
  readonly transcript: Transcript;
  readonly suite: SuiteInfo;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly extendedMasterSecret: boolean;
  /** RFC 5077: the server announced (or sends) a NewSessionTicket in this handshake. */
  readonly ticketExpected?: boolean;
}

/** A Core12 with its master secret. */
export interface Keyed12 extends Core12 {
  readonly ks: KeySchedule12;
}

/** The secrets a finished TLS 1.2 handshake leaves to the connection: the RFC 5705 exporter. */
export function secrets12(ks: KeySchedule12): HandshakeSecrets {
  return { exportKeyingMaterial: (label, context, length) => ks.exportKeyingMaterial(label, context, length) };
}

/**
 * RFC 5246 §6.3: the key block; our direction's keys are returned for the
 * ChangeCipherSpec we send, the peer's for the one we receive.
 */
export function keys12(cx: HandshakeContext, ks: KeySchedule12): { send: SendProtection; receive: ReceiveProtection } {
  const kb = ks.keyBlock();
  const provider = cx.config.provider;
  const [ours, theirs] = cx.role === 'client' ? [kb.client, kb.server] : [kb.server, kb.client];
  const out = {
    send: SendProtection.tls12(provider, ks.suite, ours.key, ours.iv),
    receive: ReceiveProtection.tls12(provider, ks.suite, theirs.key, theirs.iv),
  };
  wipeKeyBlock12(kb);
  return out;
}

/** NSS key log line for the master secret (CLIENT_RANDOM). */
export function keylog12(cx: HandshakeContext, ks: KeySchedule12): void {
  const entry = ks.keylogEntry();
  cx.keylog(entry.label, entry.secret);
  entry.secret.fill(0);
}

/** Our ChangeCipherSpec and Finished (RFC 5246 §7.4.9). */
export function sendChangeCipherSpecAndFinished(cx: HandshakeContext, core: Keyed12, sendKeys: SendProtection): void {
  cx.changeCipherSpec12(sendKeys);
  const verifyData = core.ks.finishedVerifyData(cx.role, core.transcript.hash());
  cx.negotiated.finished = verifyData;
  send(cx, core.transcript, new Finished(verifyData));
}

/** Check the peer's Finished (12 bytes); decrypt_error when wrong (RFC 5246 §7.4.9). */
export function verifyFinished12(cx: HandshakeContext, core: Keyed12, msg: HandshakeMessage): void {
  const fin = Finished.decode(msg.body, VERIFY_DATA_LENGTH_12);
  const expected = core.ks.finishedVerifyData(cx.role === 'client' ? 'server' : 'client', core.transcript.hash());
  if (!constantTimeEqual(expected, fin.verifyData)) throw TlsError.alert(AlertDescription.decrypt_error, 'Finished verify_data does not match');
  cx.negotiated.peerFinished = fin.verifyData;
  core.transcript.add(msg.raw);
}

/** RFC 8422 §5.4: the ServerKeyExchange signature covers client_random + server_random + ServerECDHParams. */
export function serverKeyExchangeInput(core: Core12, params: Uint8Array): Uint8Array {
  return concat(core.clientRandom, core.serverRandom, params);
}

/** Sign for TLS 1.2 with `scheme`; the scheme was chosen for the key. */
export function sign12(cx: HandshakeContext, key: PrivateKey, scheme: number, message: Uint8Array): Uint8Array {
  const alg = schemeAlgorithm(scheme);
  if (!alg) throw TlsError.internal('no algorithm for our signature scheme');
  return cx.config.provider.sign(key, alg, message);
}

/**
 * Check a TLS 1.2 signature (ServerKeyExchange, CertificateVerify): the
 * scheme must be one we offered and fit the key (illegal_parameter), and
 * the signature must verify (decrypt_error), RFC 5246 §7.4.1.4.1, §7.4.3.
 */
export function verify12(cx: HandshakeContext, key: PublicKey, offered: readonly number[], scheme: number, message: Uint8Array, signature: Uint8Array, what: string): void {
  if (!offered.includes(scheme) || !schemeFitsKey(scheme, key, '1.2')) throw TlsError.illegal(`${what}: signature scheme 0x${scheme.toString(16)} not offered or not usable with the key`);
  const ok = cx.config.provider.verify(key, schemeAlgorithm(scheme)!, message, signature);
  if (!ok) throw TlsError.alert(AlertDescription.decrypt_error, `${what} signature does not verify`);
  cx.negotiated.peerSignatureScheme = scheme;
}

/** The client's CertificateVerify over every handshake message so far (RFC 5246 §7.4.8). */
export function sendCertificateVerify12(cx: HandshakeContext, transcript: Transcript, key: PrivateKey, scheme: number): void {
  const signature = sign12(cx, key, scheme, transcript.messages());
  cx.negotiated.signatureScheme = scheme;
  send(cx, transcript, new CertificateVerify(scheme, signature));
}

/**
 * RFC 5746 §3.4-3.7: the renegotiation_info the peer sent must be empty in a
 * first handshake and carry both verify_data (client's only, from a client)
 * in a renegotiation; otherwise handshake_failure. Returns whether the peer
 * supports secure renegotiation.
 */
export function checkRenegotiationInfo(cx: HandshakeContext, info: Uint8Array | undefined, scsv: boolean): boolean {
  const prev = cx.previousFinished;
  if (prev === undefined) {
    if (info !== undefined && info.length !== 0) throw TlsError.handshakeFailure('renegotiation_info not empty in a first handshake');
    return info !== undefined || scsv;
  }
  // RFC 5746 §3.7: the SCSV is never sent in a renegotiation.
  if (scsv) throw TlsError.handshakeFailure('TLS_EMPTY_RENEGOTIATION_INFO_SCSV in a renegotiation');
  const expected = cx.role === 'server' ? prev.client : concat(prev.client, prev.server);
  if (info === undefined || !constantTimeEqual(info, expected)) throw TlsError.handshakeFailure('renegotiation_info does not match the previous Finished (RFC 5746)');
  return true;
}

/** What our renegotiation_info says (RFC 5746 §3.6): empty, or both verify_data in a renegotiation. */
export function ourRenegotiationInfo(cx: HandshakeContext): Uint8Array {
  const prev = cx.previousFinished;
  return prev === undefined ? EMPTY : concat(prev.client, prev.server);
}

/** A renegotiation may not change the peer's identity: the same leaf certificate (as Go and NSS require). */
export function checkSameIdentity(cx: HandshakeContext, chain: readonly Uint8Array[]): void {
  const before = cx.previous?.peerCertificates;
  if (before === undefined || before.length === 0) return;
  if (chain.length === 0 || !bytesEqual(chain[0]!, before[0]!)) throw TlsError.alert(AlertDescription.bad_certificate, "the peer's certificate changed in a renegotiation");
}

/** The session a full TLS 1.2 handshake made (session-ID resumption). */
export function session12(cx: HandshakeContext, core: Keyed12, lifetimeSeconds: number, ticket: Uint8Array = EMPTY): Session {
  return new Session({
    version: ProtocolVersion.TLSv1_2,
    cipherSuite: core.suite.id,
    secret: core.ks.masterSecret,
    ticket: ticket.slice(),
    sessionId: core.sessionId.slice(),
    extendedMasterSecret: core.extendedMasterSecret,
    ticketAgeAdd: 0,
    lifetimeSeconds,
    receivedAtMs: cx.config.provider.nowMs(),
    serverName: cx.role === 'client' ? cx.serverName : cx.negotiated.serverName,
    alpn: cx.negotiated.alpn,
    maxEarlyData: 0,
    peerCertificates: cx.negotiated.peerCertificates ?? [],
    peerVerified: cx.negotiated.peerVerify?.authorized === true,
  });
}

/** Waiting for the peer's ChangeCipherSpec: then its keys take over and `next` follows. */
export class ExpectChangeCipherSpec12 implements HandshakeState {
  readonly name = 'ExpectChangeCipherSpec';
  constructor(
    private readonly receive: ReceiveProtection,
    private readonly next: () => HandshakeState,
  ) {}

  handle(_cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    throw TlsError.unexpected(`${this.name}: got ${handshakeName(msg.type)}`);
  }

  changeCipherSpec(cx: HandshakeContext): HandshakeState {
    cx.setReceiveProtection(this.receive);
    return this.next();
  }
}

/** The end of a TLS 1.2 handshake: the result is committed, application data flows. */
export function finish12(cx: HandshakeContext, core: Keyed12): void {
  cx.negotiated.extendedMasterSecret = core.extendedMasterSecret;
  cx.finishHandshake(secrets12(core.ks));
}
