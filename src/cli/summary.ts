/**
 * The OpenSSL-like status lines s_client and s_server print after a
 * handshake, and OpenSSL's verify codes ("Verify return code: 18 (...)").
 */
import { NamedGroup, ProtocolVersion, SignatureScheme, nameOf } from '../common/constants.js';
import type { Connection } from '../ssl/connection.js';

/** OpenSSL's X509_V_ERR numbers for our verification codes (s_client "Verify return code"). */
const VERIFY_CODES: Readonly<Record<string, number>> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  CERT_SIGNATURE_FAILURE: 7,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  UNHANDLED_CRITICAL_EXTENSION: 34,
  PERMITTED_SUBTREE_VIOLATION: 47,
  EXCLUDED_SUBTREE_VIOLATION: 48,
  ERR_TLS_CERT_ALTNAME_INVALID: 62,
};

const VERIFY_TEXT: Readonly<Record<number, string>> = {
  2: 'unable to get issuer certificate',
  7: 'certificate signature failure',
  9: 'certificate is not yet valid',
  10: 'certificate has expired',
  18: 'self-signed certificate',
  19: 'self-signed certificate in certificate chain',
  20: 'unable to get local issuer certificate',
  21: 'unable to verify the first certificate',
  22: 'certificate chain too long',
  24: 'invalid CA certificate',
  25: 'path length constraint exceeded',
  26: 'unsuitable certificate purpose',
  27: 'certificate not trusted',
  28: 'certificate rejected',
  34: 'unhandled critical extension',
  47: 'permitted subtree violation',
  48: 'excluded subtree violation',
  62: 'hostname mismatch',
};

/** `0 (ok)`, `18 (self-signed certificate)`, ... from node's authorizationError. */
export function verifyReturn(authorized: boolean, error: unknown): string {
  if (authorized) return '0 (ok)';
  const code = error instanceof Error ? ((error as { code?: string }).code ?? '') : typeof error === 'string' ? error : '';
  const n = VERIFY_CODES[code];
  if (n !== undefined) return `${n} (${VERIFY_TEXT[n]})`;
  const text = error instanceof Error ? error.message : code || 'unknown error';
  return `1 (${text})`;
}

/** Names for the summary: group and signature scheme as OpenSSL-ish words. */
export function groupName(g: number | undefined): string | undefined {
  if (g === undefined) return undefined;
  const n = nameOf(NamedGroup as unknown as Record<string, number>, g);
  return n === 'x25519' ? 'X25519' : n;
}

export function schemeName(s: number | undefined): string | undefined {
  return s === undefined ? undefined : nameOf(SignatureScheme as unknown as Record<string, number>, s);
}

/** What the summary needs to know about a finished handshake. */
export interface HandshakeFacts {
  protocol: string | null;
  cipher: string | null;
  resumed: boolean;
  alpn: string | false;
  group?: string;
  peerSignature?: string;
  /** Client side: the server's certificate check. */
  verify?: string;
  /** Server side: the client's certificate subject (null: none sent). */
  peerSubject?: string | null;
  /** TLS 1.2: the peer supports RFC 5746 secure renegotiation (OpenSSL: "Secure Renegotiation IS supported"). */
  secureRenegotiation?: boolean;
  /** TLS 1.2: RFC 7627 extended master secret in use. */
  extendedMasterSecret?: boolean;
  /** Server: -no_renegotiation (OpenSSL: "Renegotiation is DISABLED"). */
  renegotiationDisabled?: boolean;
}

/** The OpenSSL-like lines printed after each handshake. */
export function summaryLines(f: HandshakeFacts, role: 'client' | 'server'): string[] {
  const proto = f.protocol ?? '(NONE)';
  const cipher = f.cipher ?? '(NONE)';
  const lines = ['---'];
  if (role === 'server') lines.push(`CIPHER is ${cipher}`);
  lines.push(`${f.resumed ? 'Reused' : 'New'}, ${proto}, Cipher is ${cipher}`);
  if (f.secureRenegotiation !== undefined) lines.push(`Secure Renegotiation IS${f.secureRenegotiation ? '' : ' NOT'} supported`);
  if (role === 'server' && f.renegotiationDisabled) lines.push('Renegotiation is DISABLED');
  if (f.group) lines.push(role === 'client' ? `Server Temp Key: ${f.group}` : `Shared group: ${f.group}`);
  if (f.peerSignature) lines.push(`Peer signature type: ${f.peerSignature}`);
  if (role === 'server' && f.peerSubject !== undefined) {
    lines.push(f.peerSubject === null ? 'No client certificate' : `Client certificate: ${f.peerSubject}`);
  }
  lines.push(f.alpn ? `ALPN protocol: ${f.alpn}` : 'No ALPN negotiated');
  lines.push('SSL-Session:', `    Protocol  : ${proto}`, `    Cipher    : ${cipher}`);
  if (f.extendedMasterSecret !== undefined) lines.push(`    Extended master secret: ${f.extendedMasterSecret ? 'yes' : 'no'}`);
  if (f.verify !== undefined) lines.push(`Verify return code: ${f.verify}`);
  lines.push('---');
  return lines;
}

/** Facts the core knows (group, signature scheme; TLS 1.2: RFC 5746, EMS) that node:tls's API does not show. */
export function coreFacts(conn: Connection | null): Pick<HandshakeFacts, 'group' | 'peerSignature' | 'secureRenegotiation' | 'extendedMasterSecret'> {
  if (!conn) return {};
  const n = conn.negotiated;
  const tls12 = n.version === ProtocolVersion.TLSv1_2;
  return {
    group: groupName(n.group),
    peerSignature: schemeName(n.peerSignatureScheme),
    ...(tls12 ? { secureRenegotiation: n.secureRenegotiation === true, extendedMasterSecret: n.extendedMasterSecret === true } : {}),
  };
}
