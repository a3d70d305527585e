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
  /** TLS 1.2: RFC 7627 extended master secret in use. */
  extendedMasterSecret?: boolean;
  /**
   * Server, TLS 1.3: a ticket is due after this handshake (OpenSSL's
   * ticket_expected): false when the offered tickets were only IGNOREd or
   * USEd by the decrypt callback; undefined when none were offered.
   */
  renewTicket?: boolean;
  /** TLS 1.2: the peer supports RFC 5746 secure renegotiation. */
  secureRenegotiation?: boolean;
  /** Server, TLS 1.3: the client sent post_handshake_auth (RFC 8446 §4.2.6). */
  postHandshakeAuth?: boolean;
}

/** The draft's byte fields that are views into what they were read from (see ownBytes). */
const BYTE_FIELDS = ['clientRandom', 'finished', 'peerFinished'] as const;

/**
 * The draft's clientRandom, finished and peerFinished in one buffer of their
 * own: as read, they are views into the ClientHello record and the
 * decrypted Finished record, which they would keep whole for the
 * connection's life. Already so: nothing changes.
 */
function ownBytes(draft: Negotiated): void {
  let total = 0;
  let buffer: ArrayBufferLike | undefined;
  let shared = true;
  for (const k of BYTE_FIELDS) {
    const v = draft[k];
    if (!v) continue;
    total += v.length;
    shared &&= (buffer ??= v.buffer) === v.buffer;
  }
  if (total === 0 || (shared && buffer!.byteLength === total)) return;
  const own = new Uint8Array(total);
  let off = 0;
  for (const k of BYTE_FIELDS) {
    const v = draft[k];
    if (!v) continue;
    own.set(v, off);
    draft[k] = own.subarray(off, (off += v.length));
  }
}

/**
 * The committed result: the draft itself, frozen (no copy, and no spread:
 * V8 gives each frozen spread copy a hidden class of its own, about 0.4 KiB
 * a connection), its byte fields first made its own (ownBytes).
 */
export function commitNegotiated(draft: Negotiated): Readonly<Negotiated> {
  ownBytes(draft);
  return Object.freeze(draft);
}

/** What the connection keeps of a handshake's secrets (never logged). */
export interface HandshakeSecrets {
  /** RFC 5705 / RFC 8446 §7.5 exporter. In TLS 1.2 no context differs from an empty one. */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array;
  /** TLS 1.3: resumption_master_secret, for the tickets that follow. */
  readonly resumptionMaster?: Uint8Array;
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
  /** TLS 1.2: queue ChangeCipherSpec under the current keys, then send under `next` (RFC 5246 §7.1). */
  changeCipherSpec12(next: SendProtection): void;
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
  /** The handshake is done: application data may flow. `negotiated` is then read-only, until openDraft. */
  finishHandshake(secrets: HandshakeSecrets): void;
  /** After the handshake: a post-handshake exchange (TLS 1.3 client authentication) will write to `negotiated`. */
  openDraft(): void;
  /** Server: the connection's session (SSL_get_session): the resumed one, or the one a full handshake made; tickets seal copies of it. */
  setServerSession(session: Session): void;
  /** Client: a session to keep (TLS 1.2, after the handshake; TLS 1.3 sessions come from tickets). */
  sessionReady(session: Session): void;
  /**
   * TLS 1.2 renegotiation (RFC 5746 §3): the verify_data of both Finished
   * messages of the handshake before this one; undefined in a first handshake.
   */
  readonly previousFinished: { readonly client: Uint8Array; readonly server: Uint8Array } | undefined;
  /**
   * TLS 1.2: the peer asks for a renegotiation (a server's HelloRequest, a
   * client's ClientHello, RFC 5246 §7.4.1). The connection's policy accepts it
   * (the new handshake's first state) or refuses it (`current`, after a
   * no_renegotiation warning), or fails the connection.
   */
  renegotiationRequested(msg: HandshakeMessage, current: HandshakeState): HandshakeState;
  /** The handshake before this one (a renegotiation), undefined in a first handshake. */
  readonly previous: Readonly<Negotiated> | undefined;
  /** A post-handshake KeyUpdate arrived (state handles the ratchet; connection answers). */
  keyUpdateReceived(requested: boolean): void;
  /** A NewSessionTicket arrived (client). */
  ticketReceived(msg: HandshakeMessage): void;
  /** TLS 1.3: the client's current application traffic secret (the base key of a post-handshake Finished, RFC 8446 §4.4). */
  clientTrafficSecret(): Uint8Array;
  /** Server: a post-handshake authentication completed; `chain` is the client's (empty when it sent none). */
  clientAuthenticated(chain: readonly Uint8Array[]): void;
}

/** One expected message; `handle` returns the successor state. */
export interface HandshakeState {
  readonly name: string;
  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState;
  /** TLS 1.2: the state that expects the peer's ChangeCipherSpec has this; in any other a CCS is unexpected. */
  changeCipherSpec?(cx: HandshakeContext): HandshakeState;
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
