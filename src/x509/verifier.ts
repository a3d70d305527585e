import type { TlsError } from '../common/errors.js';
import type { CryptoProvider, PublicKey } from '../crypto/provider.js';

/** What a verifier is told about the connection. */
export interface VerifyContext {
  readonly provider: CryptoProvider;
  /** 'server' when we verify a server's chain (we are the client), 'client' otherwise. */
  readonly peerRole: 'server' | 'client';
  /** The name we asked for (client side); undefined when none or on the server side. */
  readonly serverName: string | undefined;
}

/** The outcome of chain verification, shaped for node:tls `authorized`/`authorizationError`. */
export interface VerifyResult {
  /** The leaf's public key: the key the CertificateVerify must be made with. */
  readonly leafPublicKey: PublicKey;
  /** True when the chain and (client side) the name check out. */
  readonly authorized: boolean;
  /** Why not, when `authorized` is false. */
  readonly error?: TlsError;
}

/**
 * Verifies a peer's certificate list (DER, leaf first, as received).
 * Throws TlsError only when the list cannot be used at all (the leaf does not
 * parse: bad_certificate, an unsupported key: unsupported_certificate); trust
 * failures are reported in the result so policy (rejectUnauthorized) can decide.
 */
export interface CertificateVerifier {
  verify(chain: readonly Uint8Array[], cx: VerifyContext): VerifyResult;
}
