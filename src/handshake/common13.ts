import { bytesEqual, concat, constantTimeEqual, utf8 } from '../common/bytes.js';
import { verifyPeerChain } from './certs.js';
import { ExtensionType, nameOf } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { PrivateKey, PublicKey } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { Extension } from '../messages/extensions.js';
import { encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import { Certificate13, CertificateVerify, Finished } from '../messages/messages13.js';
import { ReceiveProtection, SendProtection } from '../record/protection.js';
import { userCallback, type HandshakeContext, type HandshakeSecrets } from './state.js';
import { exportKeyingMaterial13, type KeySchedule13 } from './keyschedule13.js';
import type { Transcript } from './transcript.js';
import { chooseScheme, schemeAlgorithm, schemeFitsKey } from './sigschemes.js';

const CV_PAD = new Uint8Array(64).fill(0x20);
const CV_SERVER = utf8('TLS 1.3, server CertificateVerify');
const CV_CLIENT = utf8('TLS 1.3, client CertificateVerify');

/** RFC 8446 §4.4.3: 64 spaces || context string || 0 || Transcript-Hash. */
export function certificateVerifyInput(signer: 'client' | 'server', transcriptHash: Uint8Array): Uint8Array {
  return concat(CV_PAD, signer === 'server' ? CV_SERVER : CV_CLIENT, new Uint8Array([0]), transcriptHash);
}

/** Add a message we send to the transcript and queue it. */
export function send(cx: HandshakeContext, transcript: Transcript, msg: Parameters<typeof encodeHandshake>[0]): Uint8Array {
  const raw = encodeHandshake(msg);
  transcript.add(raw);
  cx.sendHandshake(raw);
  return raw;
}

/** Certificate + CertificateVerify for our chain (RFC 8446 §4.4.2, §4.4.3). */
export function sendCertificateAndVerify(
  cx: HandshakeContext,
  transcript: Transcript,
  chain: readonly Uint8Array[],
  key: PrivateKey | undefined,
  scheme: number | undefined,
  context: Uint8Array,
): void {
  send(cx, transcript, new Certificate13(context, chain.map((data) => ({ data, extensions: [] }))));
  if (chain.length === 0 || !key || scheme === undefined) return;
  const alg = schemeAlgorithm(scheme);
  if (!alg) throw TlsError.internal('no algorithm for our signature scheme');
  const signature = cx.config.provider.sign(key, alg, certificateVerifyInput(cx.role, transcript.hash()));
  cx.negotiated.signatureScheme = scheme;
  send(cx, transcript, new CertificateVerify(scheme, signature));
}

/** Check the peer's CertificateVerify (RFC 8446 §4.4.3). */
export function verifyCertificateVerify(
  cx: HandshakeContext,
  transcript: Transcript,
  msg: HandshakeMessage,
  peerKey: PublicKey,
  offered: readonly number[],
): void {
  const cv = CertificateVerify.decode(msg.body);
  // The scheme must be one we offered and must fit the certificate's key.
  if (!offered.includes(cv.scheme) || !schemeFitsKey(cv.scheme, peerKey, '1.3')) {
    throw TlsError.illegal(`CertificateVerify: scheme ${nameOf({}, cv.scheme)} not offered or not usable with the key`);
  }
  const alg = schemeAlgorithm(cv.scheme)!;
  const signer = cx.role === 'client' ? 'server' : 'client';
  const ok = cx.config.provider.verify(peerKey, alg, certificateVerifyInput(signer, transcript.hash()), cv.signature);
  if (!ok) throw TlsError.alert(AlertDescription.decrypt_error, 'CertificateVerify signature does not verify');
  cx.negotiated.peerSignatureScheme = cv.scheme;
  transcript.add(msg.raw);
}

/** Our Finished (RFC 8446 §4.4.4). */
export function sendFinished(cx: HandshakeContext, transcript: Transcript, ks: KeySchedule13, baseKey: Uint8Array): void {
  const verifyData = ks.finishedVerifyData(baseKey, transcript.hash());
  cx.negotiated.finished = verifyData;
  send(cx, transcript, new Finished(verifyData));
}

/** Check the peer's Finished; decrypt_error when wrong (RFC 8446 §4.4.4). */
export function verifyFinished(
  cx: HandshakeContext,
  transcript: Transcript,
  ks: KeySchedule13,
  baseKey: Uint8Array,
  msg: HandshakeMessage,
  hashLength: number,
): void {
  const fin = Finished.decode(msg.body, hashLength);
  const expected = ks.finishedVerifyData(baseKey, transcript.hash());
  if (!constantTimeEqual(expected, fin.verifyData)) {
    throw TlsError.alert(AlertDescription.decrypt_error, 'Finished verify_data does not match');
  }
  cx.negotiated.peerFinished = fin.verifyData;
  transcript.add(msg.raw);
}

/** The secrets a finished TLS 1.3 handshake leaves to the connection. */
export function secrets13(cx: HandshakeContext, ks: KeySchedule13, exporterMaster: Uint8Array, resumptionMaster: Uint8Array): HandshakeSecrets {
  const provider = cx.config.provider;
  const hash = ks.hash;
  return {
    resumptionMaster,
    // RFC 8446 §7.5: no context is the same as an empty one.
    // The exporter master alone: the key schedule (and its master secret) is not kept alive by this closure.
    exportKeyingMaterial: (label, context, length) => exportKeyingMaterial13(provider, hash, exporterMaster, label, context ?? new Uint8Array(0), length),
  };
}

/** Handshake traffic secrets → protections, with key log lines. */
export function installHandshakeKeys(
  cx: HandshakeContext,
  ks: KeySchedule13,
  suite: SuiteInfo,
  transcriptHash: Uint8Array,
): { client: Uint8Array; server: Uint8Array } {
  const client = ks.derive('c hs traffic', transcriptHash);
  const server = ks.derive('s hs traffic', transcriptHash);
  cx.keylog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', client);
  cx.keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', server);
  const provider = cx.config.provider;
  const [ours, theirs] = cx.role === 'client' ? [client, server] : [server, client];
  cx.setReceiveProtection(ReceiveProtection.tls13(provider, suite, theirs));
  // Our sending keys switch when our encrypted flight starts (the caller decides when).
  void ours;
  return { client, server };
}

/** Application traffic secrets (after the server Finished is in the transcript). */
export function deriveApplicationSecrets(
  cx: HandshakeContext,
  ks: KeySchedule13,
  transcriptHash: Uint8Array,
): { client: Uint8Array; server: Uint8Array; exporter: Uint8Array } {
  ks.toMaster();
  const client = ks.derive('c ap traffic', transcriptHash);
  const server = ks.derive('s ap traffic', transcriptHash);
  const exporter = ks.derive('exp master', transcriptHash);
  cx.keylog('CLIENT_TRAFFIC_SECRET_0', client);
  cx.keylog('SERVER_TRAFFIC_SECRET_0', server);
  cx.keylog('EXPORTER_SECRET', exporter);
  return { client, server, exporter };
}

export function sendProtection(cx: HandshakeContext, suite: SuiteInfo, secret: Uint8Array): void {
  cx.setSendProtection(SendProtection.tls13(cx.config.provider, suite, secret));
}

export function receiveProtection(cx: HandshakeContext, suite: SuiteInfo, secret: Uint8Array): void {
  cx.setReceiveProtection(ReceiveProtection.tls13(cx.config.provider, suite, secret));
}

/**
 * RFC 8446 §4.2: an extension the peer sends back must be one we asked for
 * (unsupported_extension), and one that may appear in this message
 * (illegal_parameter). `allowed` lists the types permitted here.
 */
export function checkResponseExtensions(
  exts: readonly Extension[],
  offered: ReadonlySet<number>,
  allowed: ReadonlySet<number>,
  where: string,
): void {
  for (const e of exts) {
    if (RECOGNIZED.has(e.type) && !allowed.has(e.type)) {
      throw TlsError.illegal(`${where}: extension ${nameOf(ExtensionType, e.type)} not allowed here`);
    }
    if (!offered.has(e.type)) {
      throw TlsError.alert(AlertDescription.unsupported_extension, `${where}: extension ${nameOf(ExtensionType, e.type)} was not offered`);
    }
  }
}

const RECOGNIZED: ReadonlySet<number> = new Set(Object.values(ExtensionType));

/**
 * Server: the client's Certificate, in the handshake or after it (RFC 8446
 * §4.4.2): its context echoes our CertificateRequest's, no entry extensions
 * (we asked for none), an empty list is certificate_required when one is
 * required (§4.4.2.4). Returns the verified chain and its leaf key, or null
 * for an empty Certificate. The caller adds the message to its transcript.
 */
export function readClientCertificate(cx: HandshakeContext, msg: HandshakeMessage, context: Uint8Array): { chain: Uint8Array[]; key: PublicKey } | null {
  const cert = Certificate13.decode(msg.body);
  if (!bytesEqual(cert.context, context)) throw TlsError.illegal('client Certificate context does not echo the CertificateRequest');
  if (cert.entries.length === 0) {
    if (cx.config.requireCert) throw TlsError.alert(AlertDescription.certificate_required, 'client sent no certificate');
    return null;
  }
  for (const e of cert.entries) {
    if (e.extensions.length > 0) throw TlsError.alert(AlertDescription.unsupported_extension, 'client CertificateEntry extensions were not requested');
  }
  const chain = cert.entries.map((e) => e.data);
  return { chain, key: verifyPeerChain(cx, chain) };
}

/** The schemes a server's CertificateRequest offers: ours, without RSA PKCS#1 v1.5 (RFC 8446 §4.2.3: not for TLS 1.3 signatures). */
export function certificateRequestSchemes(cx: HandshakeContext): number[] {
  return cx.config.signatureSchemes.filter((s) => s !== 0x0401 && s !== 0x0501 && s !== 0x0601);
}

/**
 * Client: the certificate to answer a CertificateRequest with (in the
 * handshake or after it): the selectClientCertificate callback's choice,
 * else the configured one; undefined (an empty Certificate) when there is
 * none or no scheme fits its key.
 */
export function clientCertificate(
  cx: HandshakeContext,
  schemes: readonly number[],
  postHandshake: boolean,
): { chain: readonly Uint8Array[]; key: PrivateKey; scheme: number } | undefined {
  const select = cx.config.selectClientCertificate;
  const ours = select ? userCallback('client certificate callback', () => select({ signatureSchemes: schemes, postHandshake })) : cx.config.certificate;
  if (!ours) return undefined;
  const scheme = chooseScheme(cx.config.signatureSchemes, schemes, ours.key, '1.3');
  return scheme === undefined ? undefined : { chain: ours.chain, key: ours.key, scheme };
}
