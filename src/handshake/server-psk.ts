/**
 * The TLS 1.3 server's side of resumption (RFC 8446 §4.2.11): open each
 * offered ticket with the context's TicketCodec, let the decrypt callback
 * (SSL_CTX_set_session_ticket_cb) decide, and take the first identity that
 * is usable; then check its binder. One bad ticket never aborts the
 * handshake by itself (it is skipped); a wrong binder on the chosen one does.
 *
 * Tickets after the handshake follow OpenSSL (tls_parse_ctos_psk,
 * tls_decrypt_ticket): once identities are offered in a mode we accept, a
 * ticket is only sent when some identity asked for one (IGNORE_RENEW or
 * USE_RENEW, the defaults for NO_DECRYPT and a TLS 1.3 SUCCESS, or a session
 * we could not resume); IGNORE and USE alone mean none, also after a full handshake.
 */
import { constantTimeEqual } from '../common/bytes.js';
import { ExtensionType as E, ProtocolVersion, PskKeyExchangeMode } from '../common/constants.js';
import { AlertDescription, TlsError } from '../common/errors.js';
import { suiteInfo, type SuiteInfo } from '../crypto/suites.js';
import { findExtension } from '../messages/extensions.js';
import type { ClientHello } from '../messages/hello.js';
import { truncateClientHelloForBinders } from '../messages/hello.js';
import { PreSharedKeyClientExt, PskKeyExchangeModesExt } from '../messages/index.js';
import type { Session } from '../session/session.js';
import { TicketStatus } from '../session/ticket-codec.js';
import { TicketReturn, type HandshakeConfig, type TicketDecryptInfo } from './config.js';
import { KeySchedule13 } from './keyschedule13.js';
import { userCallback, type HandshakeContext } from './state.js';

/** How far the client's idea of the ticket's age may stray from ours (RFC 8446 §8.3 leaves the window to us). */
export const TICKET_AGE_TOLERANCE_MS = 60_000;

/** The PSK the server resumes with. */
export interface AcceptedPsk {
  readonly index: number;
  readonly session: Session;
  readonly ks: KeySchedule13;
  /** Issue a fresh ticket after this resumption (TLS 1.3 default; USE instead of USE_RENEW turns it off). */
  readonly renew: boolean;
  /** psk_dhe_ke (an (EC)DHE share as well); false: psk_ke, no key_share in the ServerHello (RFC 8446 §4.2.9). */
  readonly dhe: boolean;
}

/**
 * The decision for one ticket: the callback's, or OpenSSL's default for the
 * status: a failed ticket is ignored and a new one issued (IGNORE_RENEW); a
 * good one is used, renewed in TLS 1.3 always, in TLS 1.2 only on SUCCESS_RENEW.
 */
export function decideTicket(cx: HandshakeContext, info: TicketDecryptInfo, tls13: boolean): TicketReturn {
  const cb = cx.config.sessionTicketCallbacks.decrypt;
  if (!cb) {
    if (info.status === TicketStatus.SUCCESS) return tls13 ? TicketReturn.USE_RENEW : TicketReturn.USE;
    if (info.status === TicketStatus.SUCCESS_RENEW) return TicketReturn.USE_RENEW;
    return TicketReturn.IGNORE_RENEW;
  }
  const ret = userCallback('session ticket decrypt callback', () => cb(info));
  if (!Object.values(TicketReturn).includes(ret)) throw TlsError.internal('session ticket decrypt callback returned an unknown value');
  const success = info.status === TicketStatus.SUCCESS || info.status === TicketStatus.SUCCESS_RENEW;
  // "It is an error for the callback to return this value if status has a value other than SUCCESS or SUCCESS_RENEW."
  if ((ret === TicketReturn.USE || ret === TicketReturn.USE_RENEW) && !success) {
    throw TlsError.internal('session ticket decrypt callback chose to use a ticket that did not decrypt');
  }
  if (ret === TicketReturn.ABORT) throw TlsError.internal('session ticket decrypt callback aborted the handshake');
  return ret;
}

/**
 * The generate callback (SSL_CTX_set_session_ticket_cb), run before each
 * ticket is made from `session`: returning anything but true ends the
 * handshake with internal_error, as OpenSSL.
 */
export function runGenerateCallback(config: HandshakeConfig, session: Session): void {
  const generate = config.sessionTicketCallbacks.generate;
  if (generate && userCallback('session ticket generate callback', () => generate(session)) !== true) {
    throw TlsError.internal('session ticket generate callback returned false');
  }
}

/** A session this handshake may resume: TLS 1.3, a suite of the chosen hash, within its lifetime and age window. */
function usable(cx: HandshakeContext, session: Session, suite: SuiteInfo, obfuscatedAge: number): boolean {
  const theirs = suiteInfo(session.cipherSuite);
  if (session.version !== ProtocolVersion.TLSv1_3 || theirs?.version !== '1.3' || theirs.hash !== suite.hash) return false;
  const now = cx.config.provider.nowMs();
  const age = now - session.receivedAtMs;
  if (age < 0 || age >= session.lifetimeSeconds * 1000) return false;
  // RFC 8446 §4.2.11.1: the client's age is obfuscated_ticket_age - ticket_age_add (mod 2^32).
  const claimed = (obfuscatedAge - session.ticketAgeAdd) >>> 0;
  return Math.abs(claimed - age) <= TICKET_AGE_TOLERANCE_MS;
}

/**
 * The client offers psk_ke and not psk_dhe_ke (RFC 8446 §4.2.9), we allow it
 * (allowNoDheKex, OpenSSL's SSL_OP_ALLOW_NO_DHE_KEX), and a ticket: a
 * resumption needs no key share, so no HelloRetryRequest is due for one.
 */
export function offersPskKeOnly(cx: HandshakeContext, ch: ClientHello): boolean {
  const modes = findExtension(ch.extensions, PskKeyExchangeModesExt);
  if (!cx.config.allowNoDheKex || !cx.config.ticketCodec || !modes) return false;
  return modes.includes(PskKeyExchangeMode.psk_ke) && !modes.includes(PskKeyExchangeMode.psk_dhe_ke) && ch.extensions.some((e) => e.type === E.pre_shared_key);
}

/**
 * The first offered ticket we accept, with its binder checked, or undefined
 * for a full handshake. `binderHash(truncated)` hashes the transcript before
 * this ClientHello plus the ClientHello up to its binders. `haveShare`: the
 * client sent a key share we can use, so psk_dhe_ke is possible; it is
 * preferred to psk_ke (as OpenSSL). Records in `cx.negotiated.renewTicket`
 * whether tickets follow the handshake (see the top of this file).
 * @throws {TlsError} decrypt_error for a wrong binder; internal_error from the callback rules
 */
export function choosePsk(
  cx: HandshakeContext,
  ch: ClientHello,
  raw: Uint8Array,
  suite: SuiteInfo,
  binderHash: (truncated: Uint8Array) => Uint8Array,
  haveShare: boolean,
): AcceptedPsk | undefined {
  const codec = cx.config.ticketCodec;
  const offer = findExtension(ch.extensions, PreSharedKeyClientExt);
  if (!codec || !offer) return undefined;
  const modes = findExtension(ch.extensions, PskKeyExchangeModesExt) ?? [];
  // RFC 8446 §4.2.9: only a mode the client listed; without the extension no PSK at all.
  const dhe = haveShare && modes.includes(PskKeyExchangeMode.psk_dhe_ke);
  const ke = cx.config.allowNoDheKex === true && modes.includes(PskKeyExchangeMode.psk_ke);
  if (!dhe && !ke) return undefined;
  let renew = false; // OpenSSL clears ticket_expected before reading the identities
  for (const [index, identity] of offer.identities.entries()) {
    const opened = codec.open(identity.identity);
    const session = opened.status === TicketStatus.SUCCESS || opened.status === TicketStatus.SUCCESS_RENEW ? opened.session : undefined;
    const ret = decideTicket(cx, { session, keyName: opened.keyName, status: opened.status }, true);
    if (ret === TicketReturn.IGNORE_RENEW || ret === TicketReturn.USE_RENEW) renew = true;
    if (ret !== TicketReturn.USE && ret !== TicketReturn.USE_RENEW) continue;
    if (!session || !usable(cx, session, suite, identity.obfuscatedTicketAge)) {
      renew = true; // a ticket we cannot resume: a new one, as for an expired session in OpenSSL
      continue;
    }
    const ks = new KeySchedule13(cx.config.provider, suite.hash, session.secret);
    // RFC 8446 §4.2.11.2: the binder of the chosen identity must verify, else abort.
    const expected = ks.finishedVerifyData(ks.binderKey(false), binderHash(truncateClientHelloForBinders(raw)));
    if (!constantTimeEqual(expected, offer.binders[index]!)) throw TlsError.alert(AlertDescription.decrypt_error, 'PSK binder does not verify');
    cx.negotiated.renewTicket = renew;
    return { index, session, ks, renew, dhe };
  }
  cx.negotiated.renewTicket = renew;
  return undefined;
}
