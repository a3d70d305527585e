/** Alerts our side sends on a certificate it cannot verify (TLS 1.2; the TLS 1.3 one is in tls13.ts). */
import { expect } from 'vitest';
import { ProtocolVersion } from '../../../src/common/constants.js';
import { certPath, keyPath, ourClient, STEPS, trusting, type Scenario } from '../kit.js';

const { start } = STEPS;
const f = (finals: readonly unknown[]) => finals as ReadonlyArray<Record<string, unknown>>;

export const ALERTS: readonly Scenario[] = [
  {
    name: 'tls12-client-unknown-ca',
    description: "our TLS 1.2 client trusts another CA than the one that made s_server's certificate: it refuses the chain with unknown_ca",
    role: 'client',
    peer: { server: ['-tls1_2', '-naccept', '1', '-cert', certPath('ecdsa'), '-key', keyPath('ecdsa')] },
    factory: ourClient({ options: () => ({ maxVersion: ProtocolVersion.TLSv1_2, verifier: trusting('other-ca') }) }),
    steps: () => [start, { until: (s) => s['failure'] !== null, what: 'our client to refuse the chain' }, { closed: true }],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.2', handshakes: 0, alerts: { sent: ['unknown_ca'] } });
      expect(f(finals)[0]!['failure']).not.toBeNull();
    },
  },
];
