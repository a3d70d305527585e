/**
 * Scenarios with gnutls-cli as the peer, where GnuTLS adds something openssl
 * does not show: its own ClientHello (record_size_limit, its extension order),
 * its ^rekey^ / ^rekey1^ and ^renegotiate^ inline commands.
 */
import { expect } from 'vitest';
import { ProtocolVersion } from '../../../src/common/constants.js';
import { certPath, ourServer, STEPS, type Scenario } from '../kit.js';

const { write, close, closed, peerLine } = STEPS;
const f = (finals: readonly unknown[]) => finals as ReadonlyArray<Record<string, unknown>>;
const gnutls = (...extra: string[]) => ({ gnutlsClient: () => ['--x509cafile', certPath('ecdsa'), '--inline-commands', ...extra] });

export const GNUTLS: readonly Scenario[] = [
  {
    name: 'tls13-server-gnutls-rekey',
    description: "gnutls-cli asks our server to update its keys (^rekey^: update_requested); our answer goes with our next write; then our own update",
    role: 'server',
    peer: gnutls(),
    factory: ourServer(() => ({ numTickets: 1 })),
    steps: () => [
      { peerSays: /Handshake was completed/ },
      { type: 'hello' },
      { read: 'hello' },
      { type: '^rekey^' },
      { peerSays: /Rekey was completed/ },
      { until: (s) => (s['keyUpdates'] as { received: number }).received === 1, what: 'the KeyUpdate from gnutls' },
      write('after rekey\n'),
      { peerSays: /after rekey/ },
      { act: { name: 'keyUpdate', type: 0 } },
      write('after ours\n'),
      { peerSays: /after ours/ },
      close,
      closed,
    ],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.3', keyUpdates: { sent: 2, received: 1 }, ticketsIssued: 1, failure: null });
    },
  },
  {
    name: 'tls12-server-gnutls-renegotiate',
    description: 'gnutls-cli renegotiates with our TLS 1.2 server (^renegotiate^; our server accepts client-initiated renegotiation)',
    role: 'server',
    peer: gnutls('--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.2'),
    factory: ourServer(() => ({ maxVersion: ProtocolVersion.TLSv1_2, renegotiation: { acceptClientInitiated: true } })),
    steps: () => [
      { peerSays: /Handshake was completed/ },
      ...peerLine('before'),
      { type: '^renegotiate^' },
      { until: (s) => s['handshakes'] === 2, what: 'the second handshake' },
      { type: 'after' },
      { read: 'after' },
      write('answer\n'),
      { peerSays: /answer/ },
      close,
      closed,
    ],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.2', handshakes: 2, failure: null });
    },
  },
];
