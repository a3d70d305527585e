/**
 * The checks Connection's controls make before they queue anything: a call
 * at the wrong time is ERR_TLS_INVALID_STATE (naming the call) and changes
 * nothing; a bad argument is a RangeError or TypeError.
 */
import { KeyUpdateType, ProtocolVersion } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import type { Negotiated } from '../handshake/state.js';
import type { Engine } from './engine.js';

/** What a control looks at: the engine's state and what was negotiated. */
export interface ControlState {
  readonly engine: Engine;
  readonly negotiated: Readonly<Negotiated>;
  readonly role: 'client' | 'server';
}

function throwIfFailed(e: Engine): void {
  if (e.error) throw e.error;
}

/** keyUpdate(type): TLS 1.3, after the handshake, not closed. */
export function checkKeyUpdate(s: ControlState, type: unknown): asserts type is KeyUpdateType {
  if (type !== KeyUpdateType.NOT_REQUESTED && type !== KeyUpdateType.REQUESTED) {
    throw new RangeError('keyUpdate: type must be KeyUpdateType.NOT_REQUESTED (0) or KeyUpdateType.REQUESTED (1)');
  }
  const e = s.engine;
  throwIfFailed(e);
  if (!e.trafficReady || e.handshaking) throw TlsError.invalidState('keyUpdate: the handshake is not complete');
  if (e.closeRequested) throw TlsError.invalidState('keyUpdate: the connection is closed');
  if (s.negotiated.version !== ProtocolVersion.TLSv1_3) throw TlsError.invalidState('keyUpdate: TLS 1.3 only');
}

/** A TLS 1.3 server control (newSessionTicket, verifyClientPostHandshake) after the handshake. */
export function checkServerControl13(s: ControlState, what: string): void {
  const e = s.engine;
  throwIfFailed(e);
  if (s.role !== 'server') throw TlsError.invalidState(`${what}: servers only`);
  if (!e.trafficReady || e.handshaking) throw TlsError.invalidState(`${what}: the handshake is not complete`);
  if (s.negotiated.version !== ProtocolVersion.TLSv1_3) throw TlsError.invalidState(`${what}: TLS 1.3 only`);
  if (e.closeRequested) throw TlsError.invalidState(`${what}: the connection is closed`);
}

/** renegotiate() / renegotiateAbbreviated(): TLS 1.2 with RFC 5746, after the handshake, none running, not closed. */
export function checkRenegotiation(s: ControlState, what: string): void {
  const e = s.engine;
  throwIfFailed(e);
  if (!e.trafficReady) throw TlsError.invalidState(`${what}: the handshake is not complete`);
  if (e.closeRequested) throw TlsError.invalidState(`${what}: the connection is closed`);
  if (s.negotiated.version !== ProtocolVersion.TLSv1_2) throw TlsError.invalidState(`${what}: renegotiation is TLS 1.2 only (TLS 1.3 has keyUpdate)`);
  if (e.handshaking) throw TlsError.invalidState(`${what}: a handshake is already running`);
  if (s.negotiated.secureRenegotiation !== true) throw TlsError.invalidState(`${what}: the peer does not support secure renegotiation (RFC 5746)`);
}

/** exportKeyingMaterial's arguments (RFC 8446 §7.1, §7.5; RFC 5705 §4). */
export function checkExporterArgs(length: number, label: unknown, context: unknown): asserts label is string {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 64) throw new RangeError('exportKeyingMaterial: bad length');
  if (typeof label !== 'string') throw new TypeError('exportKeyingMaterial: label must be a string');
  // RFC 8446 §7.1: HkdfLabel.label is "tls13 " + label, at most 255 bytes; exporter labels are ASCII (RFC 5705 §4).
  if (label.length > 249 || !/^[\x20-\x7e]*$/.test(label)) throw new RangeError('exportKeyingMaterial: label must be printable ASCII of at most 249 characters');
  if (context !== undefined && !(context instanceof Uint8Array)) throw new TypeError('exportKeyingMaterial: context must be a Uint8Array');
}
