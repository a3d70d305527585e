/** The stock CertificateVerifiers: path validation against anchors, and leaf-key-only. */
import { AlertDescription, TlsError } from '../common/errors.js';
import type { PublicKey } from '../crypto/provider.js';
import { RSA_MIN_MODULUS_BITS, rsaPublicKeyProblem } from '../crypto/rsa.js';
import { type Certificate, type DetailedCertificate, parseCertificate } from './certificate.js';
import { certError, verifyChain } from './chain.js';
import { checkServerIdentity as defaultCheckServerIdentity } from './hostname.js';
import { isPem, pemDecode } from './pem.js';
import type { CertificateVerifier, VerifyContext, VerifyResult } from './verifier.js';

export interface DefaultVerifierOptions {
  /** Trust anchors, DER. See caFromOption for node's `ca` option forms. */
  readonly ca: readonly Uint8Array[];
  /**
   * Replaces the host name check (client side, when a server name was asked
   * for), as node's option of the same name: return an Error to refuse.
   */
  readonly checkServerIdentity?: (host: string, cert: DetailedCertificate) => Error | undefined;
  /** Maximum number of intermediates (OpenSSL's verify depth). Default 10. */
  readonly maxDepth?: number;
}

/** What DefaultVerifier returns: the VerifyResult plus the certificates, for getPeerCertificate(). */
export interface DefaultVerifyResult extends VerifyResult {
  /** The leaf and the path found for it (the validated one when authorized), leaf first. */
  readonly path: readonly Certificate[];
  /** node's getPeerCertificate(true) object for the leaf, issuerCertificate links along `path`. */
  peerCertificate(): DetailedCertificate;
}

function unsupported(detail: string): TlsError {
  return new TlsError('ERR_TLS_UNSUPPORTED_CERTIFICATE', AlertDescription.unsupported_certificate, detail);
}

/**
 * Certificates accepted in the peer's list (more when maxDepth asks for it:
 * leaf, maxDepth intermediates and the anchor). A path needs at most 12 with
 * the default depth; the rest of 32 leaves room for cross-signed alternatives
 * and the extras servers send, while bounding the parsing (EC point checks
 * included) a peer can make us do.
 */
export const MAX_PEER_CERTIFICATES = 32;

function badCertificate(detail: string): TlsError {
  return new TlsError('ERR_TLS_BAD_CERTIFICATE', AlertDescription.bad_certificate, detail);
}

/**
 * Parses the peer's list. Any certificate that does not parse fails the
 * handshake (bad_certificate), as does a list longer than `limit` (checked
 * before parsing) or a leaf RSA key under 1024 bits (Go's tlsrsakey; the
 * signature primitive refuses such keys anyway, so fail with the right alert).
 * @throws TlsError ERR_TLS_BAD_CERTIFICATE, ERR_X509_PARSE or ERR_TLS_UNSUPPORTED_CERTIFICATE.
 */
function parsePeerList(
  chain: readonly Uint8Array[],
  limit = MAX_PEER_CERTIFICATES,
): { leaf: Certificate; rest: Certificate[]; key: PublicKey } {
  if (chain.length === 0) throw badCertificate('empty certificate list');
  if (chain.length > limit) throw badCertificate(`peer sent ${chain.length} certificates, more than ${limit}`);
  const [leaf, ...rest] = chain.map((der) => parseCertificate(der));
  const key = leaf!.publicKey;
  if (!key) throw unsupported(`leaf public key algorithm ${leaf!.publicKeyAlgorithm} is not supported`);
  if (key.type === 'rsa') {
    const problem = rsaPublicKeyProblem(key, RSA_MIN_MODULUS_BITS);
    if (problem !== undefined) throw badCertificate(`leaf RSA key: ${problem}`);
  }
  return { leaf: leaf!, rest, key };
}

function result(path: readonly Certificate[], key: PublicKey, error: TlsError | undefined): DefaultVerifyResult {
  let detailed: DetailedCertificate | undefined;
  return {
    leafPublicKey: key,
    authorized: !error,
    ...(error ? { error } : {}),
    path,
    peerCertificate: () => (detailed ??= path[0]!.toDetailed(path.slice(1))),
  };
}

export class DefaultVerifier implements CertificateVerifier {
  private readonly anchors: readonly Certificate[];
  private readonly checkIdentity: DefaultVerifierOptions['checkServerIdentity'];
  private readonly maxDepth: number;

  /** Throws TlsError ERR_X509_PARSE when an anchor does not parse. */
  constructor(options: DefaultVerifierOptions) {
    this.anchors = options.ca.map((der) => parseCertificate(der));
    this.checkIdentity = options.checkServerIdentity;
    this.maxDepth = options.maxDepth ?? 10;
  }

  /**
   * Validates the peer's list; verification failures are the result's `error`.
   * @throws TlsError when the list itself is refused (see parsePeerList): empty,
   *   too long, a certificate that does not parse, or an unusable leaf key.
   */
  verify(chain: readonly Uint8Array[], cx: VerifyContext): DefaultVerifyResult {
    const { leaf, rest, key } = parsePeerList(chain, Math.max(MAX_PEER_CERTIFICATES, this.maxDepth + 2));
    const built = verifyChain(leaf, rest, {
      provider: cx.provider,
      anchors: this.anchors,
      peerRole: cx.peerRole,
      maxDepth: this.maxDepth,
    });
    if (built.error) return result(built.path, key, built.error);
    if (cx.peerRole === 'server' && cx.serverName !== undefined) {
      const r = result(built.path, key, undefined);
      const err = this.checkIdentity
        ? this.checkIdentity(cx.serverName, r.peerCertificate())
        : defaultCheckServerIdentity(cx.serverName, leaf);
      if (err) return result(built.path, key, toTlsError(err));
      return r;
    }
    return result(built.path, key, undefined);
  }
}

function toTlsError(err: Error): TlsError {
  if (err instanceof TlsError) return err;
  const e = new TlsError('ERR_TLS_CERT_ALTNAME_INVALID', AlertDescription.certificate_unknown, err.message);
  (e as Error & { cause?: unknown }).cause = err;
  return e;
}

/**
 * No trust at all: hands back the leaf's key with authorized=false
 * (UNABLE_TO_VERIFY_LEAF_SIGNATURE), for callers that opt out of verification.
 * The list is still bounded and parsed (verify throws as DefaultVerifier's does).
 */
export class LeafKeyVerifier implements CertificateVerifier {
  verify(chain: readonly Uint8Array[], _cx?: VerifyContext): DefaultVerifyResult {
    const { leaf, rest, key } = parsePeerList(chain);
    return result([leaf, ...rest], key, certError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0, leaf));
  }
}

/**
 * node:tls's `ca` option → DER anchors: a PEM string (any number of
 * CERTIFICATE blocks; other blocks are skipped), PEM or DER bytes, or an
 * array of those. An element with no certificate in it is an error.
 */
export function caFromOption(ca: string | Uint8Array | readonly (string | Uint8Array)[]): Uint8Array[] {
  const items = typeof ca === 'string' || ca instanceof Uint8Array ? [ca] : ca;
  const out: Uint8Array[] = [];
  for (const item of items) {
    if (typeof item !== 'string' && !isPem(item)) {
      parseCertificate(item); // DER: must be one certificate
      out.push(item.slice());
      continue;
    }
    const certs = pemDecode(item).filter((b) => b.label === 'CERTIFICATE');
    if (certs.length === 0) {
      throw new TlsError('ERR_X509_PARSE', AlertDescription.bad_certificate, 'ca: no certificate found');
    }
    for (const b of certs) out.push(b.der);
  }
  return out;
}
