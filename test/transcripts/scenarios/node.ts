/** Scenarios with node:tls (OpenSSL under Node's API) as the peer, in this process. */
import { expect } from 'vitest';
import { ProtocolVersion } from '../../../src/common/constants.js';
import { certifiedKey, ourClient, STEPS, type Scenario } from '../kit.js';

const { start, handshake, write, close, closed } = STEPS;
const f = (finals: readonly unknown[]) => finals as ReadonlyArray<Record<string, unknown>>;

export const NODE: readonly Scenario[] = [
  {
    name: 'tls13-client-node-server-alpn-resume',
    description: 'our client against a node:tls server: ALPN h2 chosen, an echo, node\'s two tickets; a second connection resumes with the last of them',
    role: 'client',
    peer: { nodeServer: { cert: 'ecdsa', ALPNProtocols: ['h2', 'http/1.1'] } },
    connections: 2,
    factory: ourClient({ resume: true, options: () => ({ alpnProtocols: ['h2'] }) }),
    steps: (i) => [start, handshake, write('hello node\n'), { read: 'node: hello node\n' }, ...(i === 0 ? [{ until: (s: Record<string, unknown>) => s['sessionsReceived'] === 2, what: "node's two tickets" }] : []), close, closed],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.3', alpn: 'h2', resumed: false, sessionsReceived: 2, failure: null });
      expect(f(finals)[1]).toMatchObject({ protocol: 'TLSv1.3', alpn: 'h2', resumed: true, sessionsReceived: 0, failure: null });
    },
  },
  {
    name: 'tls12-client-node-server',
    description: 'our TLS 1.2 client against a node:tls server: ECDHE-ECDSA-AES128-GCM, an echo, a session ticket',
    role: 'client',
    peer: { nodeServer: { cert: 'ecdsa', maxVersion: 'TLSv1.2' } },
    factory: ourClient({ options: () => ({ maxVersion: ProtocolVersion.TLSv1_2 }) }),
    steps: () => [start, handshake, write('hello node\n'), { read: 'node: hello node\n' }, close, closed],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', sessionsReceived: 1, failure: null });
    },
  },
  {
    name: 'tls13-client-node-server-client-auth',
    description: 'a node:tls server that requires a client certificate (requestCert, rejectUnauthorized) accepts ours',
    role: 'client',
    peer: { nodeServer: { cert: 'ecdsa', requestCertFrom: 'client' } },
    factory: ourClient({ options: () => ({ certificate: certifiedKey('client') }) }),
    steps: () => [start, handshake, write('with a certificate\n'), { read: 'node: with a certificate\n' }, close, closed],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.3', failure: null, alerts: { sent: ['close_notify (warning)'], received: ['close_notify (warning)'] } });
    },
  },
];
