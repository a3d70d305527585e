import { EMPTY } from '../common/bytes.js';
import { hashLength } from '../crypto/provider.js';
import { hkdfExpandLabel } from '../crypto/tls13-kdf.js';
import type { Negotiated } from '../handshake/state.js';
import type { HandshakeConfig } from '../handshake/config.js';
import { EarlyDataTicketExt, findExtension } from '../messages/index.js';
import type { NewSessionTicket13 } from '../messages/messages13.js';
import { Session } from '../session/session.js';

/**
 * A client's Session from a NewSessionTicket (RFC 8446 §4.6.1): the PSK is
 * HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length).
 * A lifetime of zero means "do not keep": no session.
 */
export function sessionFromTicket(
  cx: { readonly config: HandshakeConfig; readonly negotiated: Negotiated; readonly serverName: string | undefined },
  nst: NewSessionTicket13,
  resumptionMaster: Uint8Array,
): Session | undefined {
  if (nst.lifetime === 0) return undefined;
  const suite = cx.negotiated.suite!;
  const provider = cx.config.provider;
  return new Session({
    version: cx.negotiated.version!,
    cipherSuite: suite.id,
    secret: hkdfExpandLabel(provider, suite.hash, resumptionMaster, 'resumption', nst.nonce, hashLength[suite.hash]),
    ticket: nst.ticket.slice(),
    sessionId: EMPTY, // shared: nothing of its own to keep
    extendedMasterSecret: false,
    ticketAgeAdd: nst.ageAdd,
    lifetimeSeconds: nst.lifetime,
    receivedAtMs: provider.nowMs(),
    serverName: cx.serverName,
    alpn: cx.negotiated.alpn,
    maxEarlyData: findExtension(nst.extensions, EarlyDataTicketExt) ?? 0,
    peerCertificates: cx.negotiated.peerCertificates ?? [],
    peerVerified: cx.negotiated.peerVerify?.authorized === true,
  });
}

