/**
 * A server socket's first bytes, before its Connection exists: peek the
 * ClientHello (src/ssl/peek.ts), then, as node's order, ask the server's
 * 'resumeSession' listener about the session ID it offers, then choose the
 * context by its SNI (node's SNICallback / addContext); then the Connection
 * is made and gets those same bytes. While a callback is pending, what
 * arrives waits here and the transport is paused (`waiting`), so memory
 * stays bounded; the socket's handshake timeout still runs.
 */
import { AlertDescription } from '../common/errors.js';
import type { TlsContext } from '../ssl/context.js';
import { peekClientHello } from '../ssl/peek.js';
import { askResumeSession, helloSessionOffer, type LoadedSession } from './session-events.js';
import type { SocketSetup } from './setup.js';
import { asError } from './transport.js';

/** What the gate needs of its socket. */
export interface HelloGateHost {
  readonly setup: SocketSetup;
  /** Where a 'resumeSession' answer goes (undefined: no such listener when the connection arrived). */
  readonly loaded: LoadedSession | undefined;
  isDestroyed(): boolean;
  /** The client's SNI, as soon as it is known. */
  setServername(name: string): void;
  /** Make the Connection with `context` and give it `bytes`. */
  begin(context: TlsContext, bytes: Uint8Array[]): void;
  /** Refuse with a plaintext fatal alert, then fail. */
  refuse(err: Error, alert: number): void;
  /** Fail without an alert (node destroys the socket). */
  fail(err: Error): void;
  /** `waiting` changed: pause or resume the transport. */
  flowChanged(): void;
}

export class HelloGate {
  private peeked: Uint8Array[] = [];
  private pending = false;

  constructor(private readonly host: HelloGateHost) {}

  /** A callback is pending: the transport should stay paused. */
  get waiting(): boolean {
    return this.pending;
  }

  push(bytes: Uint8Array): void {
    this.peeked.push(bytes);
    if (!this.pending) this.peek();
  }

  private wait(on: boolean): void {
    this.pending = on;
    this.host.flowChanged();
  }

  private peek(): void {
    const r = peekClientHello(this.peeked);
    if (r.status === 'more') return;
    if (r.status !== 'done') return this.begin(this.host.setup.context);
    const { server } = this.host.setup;
    const offered = this.host.loaded && server ? helloSessionOffer(this.peeked) : undefined;
    if (!offered || !server) return this.select(r.serverName);
    this.wait(true);
    const asked = askResumeSession(
      server,
      offered,
      (err, data) => {
        this.wait(false);
        if (this.host.isDestroyed()) return;
        if (err) return this.host.fail(err);
        this.host.loaded?.load(data);
        this.select(r.serverName);
      },
      (err) => this.host.fail(err),
    );
    if (!asked) {
      this.wait(false);
      this.select(r.serverName);
    }
  }

  /** node's SNICallback (or the server's addContext table) for the client's SNI. */
  private select(serverName: string | undefined): void {
    const select = this.host.setup.selectContext;
    if (serverName === undefined || !select) return this.begin(this.host.setup.context);
    this.host.setServername(serverName);
    this.wait(true);
    let called = false;
    try {
      select(serverName, (err, ctx) => {
        if (called) return;
        called = true;
        this.wait(false);
        if (this.host.isDestroyed()) return;
        if (err) return this.host.refuse(err, AlertDescription.internal_error);
        this.begin(ctx ?? this.host.setup.context);
      });
    } catch (e) {
      if (!called) {
        called = true;
        this.wait(false);
        this.host.refuse(asError(e), AlertDescription.internal_error);
      }
    }
  }

  private begin(context: TlsContext): void {
    const bytes = this.peeked;
    this.peeked = [];
    this.host.begin(context, bytes);
  }
}
