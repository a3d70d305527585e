import { AlertDescription, TlsError } from '../common/errors.js';
import type { RenegotiationPolicy } from '../handshake/config.js';

/** What to do with a peer's renegotiation request. */
export type RenegotiationVerdict = 'accept' | 'refuse';

/**
 * RFC 5746 renegotiation bookkeeping for one connection: the policy (who may
 * start one), the limits on what a peer may start (per connection, per
 * minute), and whether our own HelloRequest is waiting for its ClientHello.
 */
export class Renegotiations {
  /** Times (ms) of the renegotiations the peer started in the last minute. */
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
    this.recent = this.recent.filter((x) => t - x < 60_000);
    if (this.total >= this.policy.maxPerConnection || this.recent.length >= this.policy.maxPerMinute) {
      throw new TlsError('ERR_TLS_TOO_MANY', AlertDescription.handshake_failure, `the peer started more renegotiations than allowed (${this.policy.maxPerConnection} per connection, ${this.policy.maxPerMinute} per minute)`);
    }
    this.total++;
    this.recent.push(t);
    return 'accept';
  }
}
