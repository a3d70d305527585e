/**
 * The chain verifiers a node socket gives the core: DefaultVerifier's chain
 * check, then (client side) node's identity check, whose failure becomes
 * the TlsError the handshake fails with; and a server's verifier of client
 * chains, built on first use.
 */
import { AlertDescription, TlsError } from '../common/errors.js';
import type { DefaultVerifier, DefaultVerifyResult } from '../x509/default-verifier.js';
import { checkServerIdentity, HostnameMismatchError } from '../x509/hostname.js';
import type { CertificateVerifier, VerifyContext } from '../x509/verifier.js';
import { codedError } from './coded-errors.js';
import { toPeerCertificate, type CheckServerIdentity, type PeerCertificate } from './peer-certificate.js';
import type { SecureContext } from './secure-context.js';

/** The TlsError of a failed identity check: what the core fails the handshake with. */
export type IdentityFailure = TlsError & {
  /** The Error the identity check returned (or threw): what node emits, the same object. */
  readonly identityError: Error;
};

/**
 * A failed identity check as a TlsError for the core (it carries the alert:
 * certificate_unknown, or the alert of a TlsError the check returned), with
 * the check's own Error as `identityError` (the socket emits that one, as
 * node:tls emits checkServerIdentity's Error) and as `cause`.
 */
export function identityFailure(err: Error): IdentityFailure {
  const e =
    err instanceof TlsError
      ? new TlsError(err.code, err.alert, err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message)
      : new TlsError('ERR_TLS_CERT_ALTNAME_INVALID', AlertDescription.certificate_unknown, err.message);
  return Object.assign(e, { cause: err, identityError: err });
}

/** node's tls.checkServerIdentity Error: code, message, reason, host and the peer certificate object. */
function altnameError(m: HostnameMismatchError, cert: () => PeerCertificate): Error {
  const err = codedError(new Error(`Hostname/IP does not match certificate's altnames: ${m.reason}`), m.code);
  return Object.assign(err, { reason: m.reason, host: m.host, cert: cert() });
}

/**
 * The chain check of DefaultVerifier, then (client side, when the chain is
 * good) node's identity check: `checkServerIdentity(hostname, cert)` if given,
 * else the x509 layer's.
 */
export class NodeVerifier implements CertificateVerifier {
  constructor(
    private readonly base: DefaultVerifier,
    private readonly check?: CheckServerIdentity,
  ) {}

  verify(chain: readonly Uint8Array[], cx: VerifyContext): DefaultVerifyResult {
    const r = this.base.verify(chain, { ...cx, serverName: undefined });
    if (!r.authorized || cx.peerRole !== 'server' || cx.serverName === undefined) return r;
    let err: Error | undefined;
    if (this.check) {
      try {
        err = this.check(cx.serverName, toPeerCertificate(r.peerCertificate(), true)) ?? undefined;
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
      }
    } else {
      const m = checkServerIdentity(cx.serverName, r.path[0]!);
      if (m) err = m instanceof HostnameMismatchError ? altnameError(m, () => toPeerCertificate(r.peerCertificate(), true)) : m;
    }
    return err ? { ...r, authorized: false, error: identityFailure(err) } : r;
  }
}

/**
 * A server's verifier of client chains, built on first use: a server that
 * does not ask for certificates may still ask in a renegotiation
 * (renegotiate({ requestCert: true })), against the same trust anchors.
 */
export class LazyVerifier implements CertificateVerifier {
  private inner: NodeVerifier | undefined;
  constructor(private readonly sc: SecureContext) {}

  verify(chain: readonly Uint8Array[], cx: VerifyContext): DefaultVerifyResult {
    return (this.inner ??= new NodeVerifier(this.sc.verifier())).verify(chain, cx);
  }
}
