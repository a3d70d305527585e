import { AlertDescription, AlertLevel, TlsError } from '../common/errors.js';
import { startClient } from '../handshake/client-hello.js';
import type { RenegotiationPolicy } from '../handshake/config.js';
import { ExpectClientHello } from '../handshake/server-hello.js';
import type { HandshakeState } from '../handshake/state.js';
import { encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import { HelloRequest } from '../messages/messages12.js';
import type { TlsContext } from './context.js';
import type { Engine } from './engine.js';

/**
 * The context as one connection sees it after setPeerVerification (for its
 * next handshakes): `own` answers those fields, the context the rest
 * (methods bound to it, for its private fields).
 */
export function configView(base: TlsContext, own: Readonly<Record<string | symbol, unknown>>): TlsContext {
  return new Proxy(base, {
    get(target, key) {
      if (Object.hasOwn(own, key)) return own[key];
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** What to do with a peer's renegotiation request. */
export type RenegotiationVerdict = 'accept' | 'refuse';

/**
 * RFC 5746 renegotiation for one connection: the policy (who may start one),
 * the limits on what a peer may start (per connection, per time window),
 * whether our own HelloRequest is waiting for its ClientHello, and starting
 * the new handshake (ours, or the peer's when accepted).
 */
export class Renegotiations {
  /** Times (ms) of the renegotiations the peer started within the window (none until one). */
  private recent: number[] | undefined;
  private total = 0;
  /** Server: we sent a HelloRequest; the client's next ClientHello answers it. */
  helloRequestSent = false;

  private readonly policy: RenegotiationPolicy;

  constructor(private readonly e: Engine) {
    this.policy = e.config.renegotiation;
  }

  /**
   * TLS 1.2: the peer asks for a renegotiation (a server's HelloRequest, a
   * client's ClientHello). Accepted: the new handshake's first state.
   * Refused (RFC 5746 §4.2/§4.4, and OpenSSL's default on a server): a
   * no_renegotiation warning, and the connection goes on in `current`.
   */
  requested(msg: HandshakeMessage, current: HandshakeState): HandshakeState {
    const e = this.e;
    if (this.judge(e.role, e.result?.secureRenegotiation === true) === 'refuse') {
      e.repeats.count('warnings');
      e.sendAlert(AlertLevel.warning, AlertDescription.no_renegotiation);
      return current;
    }
    e.beginHandshake();
    return e.role === 'client' ? startClient(e, true) : new ExpectClientHello().handle(e, msg);
  }

  /** The pending renegotiation we asked for (renegotiate()), once no handshake runs. */
  flush(): void {
    const e = this.e;
    const kind = e.pending.renegotiate;
    if (kind === null || e.handshaking) return;
    e.pending.renegotiate = null;
    if (e.role === 'client') {
      e.beginHandshake();
      e.state = startClient(e, kind === 'abbreviated');
    } else {
      // RFC 5246 §7.4.1.1: HelloRequest is not part of any handshake's transcript.
      e.sendHandshake(encodeHandshake(new HelloRequest()));
      this.helloRequestSent = true;
    }
  }

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
    const t = this.e.config.provider.nowMs();
    const { maxPerConnection, maxPerWindow, windowSeconds } = this.policy;
    const recent = (this.recent ?? []).filter((x) => t - x < windowSeconds * 1000);
    this.recent = recent;
    if (this.total >= maxPerConnection || recent.length >= maxPerWindow) {
      throw new TlsError(
        'ERR_TLS_TOO_MANY',
        AlertDescription.handshake_failure,
        `the peer started more renegotiations than allowed (${maxPerConnection} per connection, ${maxPerWindow} per ${windowSeconds} s)`,
      );
    }
    this.total++;
    recent.push(t);
    return 'accept';
  }
}
