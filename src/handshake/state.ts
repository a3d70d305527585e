import { TlsError } from '../common/errors.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { HandshakeMessage } from '../messages/handshake.js';
import { handshakeName } from '../messages/handshake.js';
import type { ReceiveProtection, SendProtection } from '../record/protection.js';
import type { Session } from '../session/session.js';
import type { VerifyResult } from '../x509/verifier.js';
import type { HandshakeConfig } from './config.js';

/** What has been agreed so far; filled in by the states as the handshake goes. */
export interface Negotiated {
  version?: number;
  suite?: SuiteInfo;
  group?: number;
  alpn?: string;
  serverName?: string;
  /** The signature scheme the peer signed with. */
  peerSignatureScheme?: number;
  /** The scheme we signed with. */
  signatureScheme?: number;
  /** Peer's certificate list as received (DER, leaf first). */
  peerCertificates?: readonly Uint8Array[];
  peerVerify?: VerifyResult;
  helloRetry?: boolean;
  resumed?: boolean;
  /** The peer's record_size_limit (RFC 8449), if it sent one. */
  peerRecordSizeLimit?: number;
  clientRandom?: Uint8Array;
  /** Our / the peer's Finished verify_data (node's getFinished / getPeerFinished). */
  finished?: Uint8Array;
  peerFinished?: Uint8Array;
}

/** Secrets the connection keeps after the handshake (never logged). */
export interface TrafficSecrets13 {
  exporterMaster: Uint8Array;
  resumptionMaster: Uint8Array;
}

/** The connection as the handshake states see it. Implemented by Connection. */
export interface HandshakeContext {
  readonly config: HandshakeConfig;
  readonly role: 'client' | 'server';
  /** Client: the SNI we send (undefined for none). */
  readonly serverName: string | undefined;
  /** Client: a session to offer for resumption (RFC 8446 §4.2.11). */
  readonly offeredSession: Session | undefined;
  readonly negotiated: Negotiated;
  /** Queue a handshake message under the current send protection (coalesced into records). */
  sendHandshake(raw: Uint8Array): void;
  /** Queue a middlebox-compat ChangeCipherSpec (plaintext). */
  sendChangeCipherSpec(): void;
  /** Switch our sending keys (what is queued goes out under the old ones). */
  setSendProtection(p: SendProtection): void;
  /** Switch the peer's keys; RFC 8446 §5.1: fails if a handshake message is split across the change. */
  setReceiveProtection(p: ReceiveProtection): void;
  /**
   * Server: the client offered early data we do not accept; skip it as RFC
   * 8446 §4.2.10 says ('trial': records that fail to decrypt under the
   * handshake key; 'hrr': application_data records before the second ClientHello).
   */
  skipEarlyData(mode: 'hrr' | 'trial'): void;
  /** NSS key log line (label, secret), only emitted when someone listens. */
  keylog(label: string, secret: Uint8Array): void;
  /** The handshake is done: application data may flow. */
  finishHandshake(secrets: TrafficSecrets13): void;
  /** A post-handshake KeyUpdate arrived (state handles the ratchet; connection answers). */
  keyUpdateReceived(requested: boolean): void;
  /** A NewSessionTicket arrived (client). */
  ticketReceived(msg: HandshakeMessage): void;
}

/** One expected message; `handle` returns the successor state. */
export interface HandshakeState {
  readonly name: string;
  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState;
}

/** Check a message is of the expected type, else unexpected_message (RFC 8446 §4). */
export function expectType(msg: HandshakeMessage, type: number, stateName: string): void {
  if (msg.type !== type) {
    throw TlsError.unexpected(`${stateName}: got ${handshakeName(msg.type)}`);
  }
}

/** Is `type` one of `types`? Else unexpected_message. */
export function expectOneOf(msg: HandshakeMessage, types: readonly number[], stateName: string): void {
  if (!types.includes(msg.type)) throw TlsError.unexpected(`${stateName}: got ${handshakeName(msg.type)}`);
}

/**
 * Run a user-supplied callback (verifier, ALPN choice) inside the handshake:
 * a TlsError it throws stands; anything else becomes internal_error with the
 * exception as `cause` (TlsError.callback), not a puretls bug.
 */
export function userCallback<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof TlsError ? e : TlsError.callback(what, e);
  }
}
