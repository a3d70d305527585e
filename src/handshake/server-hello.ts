/**
 * The server's first state for both versions: read the ClientHello, choose
 * the version (RFC 8446 §4.2.1, RFC 5246 Appendix E.1) and hand over to that
 * version's state machine.
 */
import { CipherSuite, HandshakeType as H, ProtocolVersion } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { findExtension } from '../messages/extensions.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { ClientHello } from '../messages/hello.js';
import { SupportedVersionsClientExt } from '../messages/index.js';
import { clientHello12 } from './server12.js';
import { clientHello13 } from './server13.js';
import { expectType, type HandshakeContext, type HandshakeState } from './state.js';

const hex4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;

/**
 * The highest version both sides speak. With supported_versions the client's
 * list decides (legacy_version is ignored); without it legacy_version is the
 * client's highest. A renegotiation stays at TLS 1.2. TLS_FALLBACK_SCSV from
 * a client below our best version is inappropriate_fallback (RFC 7507 §3).
 */
export function chooseVersion(cx: HandshakeContext, ch: ClientHello): number {
  const { minVersion, maxVersion } = cx.config;
  const max = cx.previous !== undefined ? ProtocolVersion.TLSv1_2 : maxVersion;
  const listed = findExtension(ch.extensions, SupportedVersionsClientExt);
  let version: number | undefined;
  if (listed !== undefined) {
    version = [ProtocolVersion.TLSv1_3, ProtocolVersion.TLSv1_2].find((v) => v >= minVersion && v <= max && listed.includes(v));
  } else if (ch.legacyVersion >= ProtocolVersion.TLSv1_2 && minVersion <= ProtocolVersion.TLSv1_2) {
    version = ProtocolVersion.TLSv1_2;
  }
  if (version === undefined) {
    const offered = listed ? listed.map(hex4).join(', ') : hex4(ch.legacyVersion);
    throw TlsError.alert(AlertDescription.protocol_version, `no version in common (client offers ${offered})`);
  }
  if (version < maxVersion && cx.previous === undefined && ch.cipherSuites.includes(CipherSuite.TLS_FALLBACK_SCSV)) {
    throw TlsError.alert(AlertDescription.inappropriate_fallback, 'TLS_FALLBACK_SCSV from a client that could do better (RFC 7507)');
  }
  return version;
}

/** Waiting for a ClientHello (the first, or a renegotiation's). */
export class ExpectClientHello implements HandshakeState {
  readonly name = 'ExpectClientHello';

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    expectType(msg, H.client_hello, this.name);
    const ch = ClientHello.decode(msg.body);
    const version = chooseVersion(cx, ch);
    return version === ProtocolVersion.TLSv1_3 ? clientHello13(cx, msg, ch) : clientHello12(cx, msg, ch);
  }
}
