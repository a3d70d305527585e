/**
 * The core's TlsContext for one role, from a SecureContext and the
 * connection-level options (verification, ALPN, the server's TLS 1.2
 * session cache, renegotiation policy).
 */
import { TlsContext, type AlpnSelect, type RenegotiationPolicy } from '../ssl/context.js';
import { LazyVerifier, NodeVerifier } from './node-verifier.js';
import type { CheckServerIdentity } from './peer-certificate.js';
import { nodeRenegotiationPolicy } from './renegotiate.js';
import type { SecureContext } from './secure-context.js';
import type { SessionCaches } from './sessions.js';

/** Server: where the core keeps TLS 1.2 sessions for one context. */
export interface SessionParams {
  /** The server context's cache (SNI contexts share the server's, as OpenSSL's session_ctx). */
  readonly caches: SessionCaches;
  readonly sessionIdContext: string;
  /** The server context's sessionTimeout; undefined: 300 s. */
  readonly lifetimeSeconds: number | undefined;
}

export interface ContextParams {
  readonly role: 'client' | 'server';
  readonly alpnProtocols?: readonly string[] | undefined;
  readonly rejectUnauthorized: boolean;
  readonly requestCert?: boolean;
  readonly checkServerIdentity?: CheckServerIdentity | undefined;
  /** Server: node's ALPNCallback, as the core's hook. */
  readonly alpnSelect?: AlpnSelect | undefined;
  /** Server: the TLS 1.2 session cache to use. */
  readonly sessions?: SessionParams | undefined;
  /** Client: offer post-handshake authentication (puretls's postHandshakeAuth). */
  readonly postHandshakeAuth?: boolean;
}

/**
 * The core's renegotiation policy: a server's is node's (clients may
 * renegotiate, 3 per 600 s), a client's the core's default; the user's
 * `renegotiation` fields override either.
 */
function renegotiationFor(sc: SecureContext, role: 'client' | 'server'): { renegotiation?: Partial<RenegotiationPolicy> } {
  if (role === 'server') return { renegotiation: { ...nodeRenegotiationPolicy(), ...sc.renegotiation } };
  return sc.renegotiation ? { renegotiation: sc.renegotiation } : {};
}

/** The core context for one role from a SecureContext and the connection-level options. */
export function tlsContextFor(sc: SecureContext, p: ContextParams): TlsContext {
  const requestCert = p.role === 'server' && !!p.requestCert;
  const verifies = p.role === 'client' || requestCert;
  const sessions = p.sessions;
  return new TlsContext({
    provider: sc.provider,
    certificate: sc.certificate,
    verifier: verifies ? new NodeVerifier(sc.verifier(), p.checkServerIdentity) : new LazyVerifier(sc),
    rejectUnauthorized: p.rejectUnauthorized,
    requestCert,
    // node: SSL_VERIFY_FAIL_IF_NO_PEER_CERT when the server rejects unauthorized clients.
    requireCert: requestCert && p.rejectUnauthorized,
    ...(sc.minVersion !== undefined ? { minVersion: sc.minVersion } : {}),
    ...(sc.maxVersion !== undefined ? { maxVersion: sc.maxVersion } : {}),
    cipherSuites: sc.coreCipherSuites(),
    ...(sc.groups ? { groups: sc.groups } : {}),
    ...(sc.signatureSchemes ? { signatureSchemes: sc.signatureSchemes } : {}),
    ...(sc.honorCipherOrder !== undefined ? { honorCipherOrder: sc.honorCipherOrder } : {}),
    aeadPreference: sc.aeadPreference,
    ...(p.alpnProtocols ? { alpnProtocols: p.alpnProtocols } : {}),
    ...(p.alpnSelect ? { alpnSelect: p.alpnSelect } : {}),
    ...(sc.limits ? { limits: sc.limits } : {}),
    ...renegotiationFor(sc, p.role),
    ...(sc.allowNoDheKex ? { allowNoDheKex: true } : {}),
    ...(p.postHandshakeAuth ? { postHandshakeAuth: true } : {}),
    sessionTickets: sc.sessionTickets,
    ...(p.role === 'server' ? { ticketCodec: sc.ticketCodec } : {}),
    ...(sessions ? { sessionStore: sessions.caches.storeFor(sessions.sessionIdContext) } : {}),
    ...(sessions?.lifetimeSeconds !== undefined ? { sessionLifetimeSeconds: sessions.lifetimeSeconds } : {}),
  });
}
