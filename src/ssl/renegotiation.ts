import { AlertDescription, TlsError } from '../common/errors.js';
import type { RenegotiationPolicy } from '../handshake/config.js';

/** What to do with a peer's renegotiation request. */
export type RenegotiationVerdict = 'accept' | 'refuse';

/**
 * RFC 5746 renegotiation bookkeeping for one connection: the policy (who may
 * start one), the limits on what a peer may start (per connection, per
 * time window), and whether our own HelloRequest is waiting for its ClientHello.
 */
export class Renegotiations {
  /** Times (ms) of the renegotiations the peer started within the window. */
  private recent: number[] = [];
  private total = 0;
  /** Server: we sent a HelloRequest; the client's next ClientHello answers it. */
  helloRequestSent = false;

  constructor(
    private readonly policy: RenegotiationPolicy,
    private readonly now: () => number,
  ) {}

  /**
   * The peer asks for a new handshake. Without RFC 5746 the answer is a
   * handshake_failure (as OpenSSL 3: no unsafe legacy renegotiation); past the
   * limits, ERR_TLS_TOO_MANY; otherwise the policy accepts or refuses.
   * @throws {TlsError} handshake_failure
   */
  judge(role: 'client' | 'server', secure: boolean): RenegotiationVerdict {
    if (!secure) throw TlsError.handshakeFailure('the peer does not support secure renegotiation (RFC 5746): renegotiation refused');
    if (role === 'server' && this.helloRequestSent) {
      this.helloRequestSent = false;
      return 'accept'; // the answer to our own request
    }
    const allowed = role === 'server' ? this.policy.acceptClientInitiated : !this.policy.refuseServerInitiated;
    if (!allowed) return 'refuse';
    const t = this.now();
    const { maxPerConnection, maxPerWindow, windowSeconds } = this.policy;
    this.recent = this.recent.filter((x) => t - x < windowSeconds * 1000);
    if (this.total >= maxPerConnection || this.recent.length >= maxPerWindow) {
      throw new TlsError(
        'ERR_TLS_TOO_MANY',
        AlertDescription.handshake_failure,
        `the peer started more renegotiations than allowed (${maxPerConnection} per connection, ${maxPerWindow} per ${windowSeconds} s)`,
      );
    }
    this.total++;
    this.recent.push(t);
    return 'accept';
  }
}
