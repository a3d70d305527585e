import { AlertDescription, TlsError } from '../common/errors.js';
import type { PublicKey } from '../crypto/provider.js';
import { LeafKeyVerifier } from '../x509/default-verifier.js';
import { userCallback, type HandshakeContext } from './state.js';

const leafOnly = new LeafKeyVerifier();

/**
 * Verify the peer's certificate list with the configured verifier and apply
 * the rejectUnauthorized policy. Returns the leaf key the peer must sign with.
 */
export function verifyPeerChain(cx: HandshakeContext, chain: readonly Uint8Array[]): PublicKey {
  const verifier = cx.config.verifier ?? leafOnly;
  const result = userCallback('certificate verifier', () =>
    verifier.verify(chain, {
      provider: cx.config.provider,
      peerRole: cx.role === 'client' ? 'server' : 'client',
      serverName: cx.role === 'client' ? cx.serverName : undefined,
    }),
  );
  cx.negotiated.peerCertificates = chain;
  cx.negotiated.peerVerify = result;
  if (!result.authorized && cx.config.rejectUnauthorized) {
    throw result.error ?? new TlsError('CERT_UNTRUSTED', AlertDescription.bad_certificate, 'peer certificate not trusted');
  }
  return result.leafPublicKey;
}
