/**
 * TLS 1.3 scenarios: our client against openssl s_server, our server against
 * openssl s_client (the first ones; more in the other files of this folder).
 */
import { expect } from 'vitest';
import { KeyUpdateType } from '../../../src/common/constants.js';
import { certPath, keyPath, ourClient, ourServer, STEPS, type Scenario } from '../kit.js';

const { start, handshake, write, close, closed, finish, ourLine } = STEPS;

/** openssl s_server for our client: TLS 1.3, the ECDSA certificate, `extra` flags. */
const sServer13 = (...extra: string[]) => ({ server: ['-tls1_3', '-naccept', '1', '-cert', certPath('ecdsa'), '-key', keyPath('ecdsa'), ...extra] });
/** openssl s_client for our server: TLS 1.3, trusting our ECDSA certificate. */
const sClient13 = (...extra: string[]) => ({ client: () => ['-tls1_3', '-servername', 'localhost', '-CAfile', certPath('ecdsa'), ...extra] });

const f = (finals: readonly unknown[]) => finals as ReadonlyArray<Record<string, unknown>>;

export const CORE13: readonly Scenario[] = [
  {
    name: 'tls13-client-keyupdate-requested',
    description: 'our client updates its keys and asks the server to update too (keyUpdate(REQUESTED)); data flows both ways after',
    role: 'client',
    peer: sServer13(),
    factory: ourClient(),
    steps: () => [
      start,
      handshake,
      ...ourLine('before'),
      { act: { name: 'keyUpdate', type: KeyUpdateType.REQUESTED } },
      ...finish('server'),
    ],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.3', keyUpdates: { sent: 1, received: 1 } });
    },
  },
  {
    name: 'tls13-server-num-tickets-3',
    description: 'our server sends 3 tickets (setNumTickets(3)) after the handshake to openssl s_client',
    role: 'server',
    peer: sClient13(),
    factory: ourServer(() => ({ numTickets: 3 })),
    steps: () => [{ type: 'hello' }, { read: 'hello' }, write('bye\n'), { peerSays: /bye/ }, close, closed],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.3', ticketsIssued: 3 });
    },
  },
];
