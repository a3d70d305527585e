/**
 * In-memory client/server pairs: two Connections wired directly, bytes moved
 * until neither has anything to send.
 */
import { Connection, type ConnectionOptions } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import { parsePrivateKey } from '../../src/x509/keys.js';
import { DefaultVerifier } from '../../src/x509/default-verifier.js';
import { decodePem } from '../../src/x509/pem.js';
import { makeChain, type CertInfo, type Chain, type KeyType } from './keys.js';

export interface Pair {
  client: Connection;
  server: Connection;
}

/** Move bytes both ways until quiet. Returns the number of flights moved. */
export function drive(a: Connection, b: Connection, maxRounds = 1000): number {
  let flights = 0;
  for (let i = 0; i < maxRounds; i++) {
    let moved = false;
    const fromA = a.takeOutgoing();
    if (fromA) {
      b.receive(fromA);
      moved = true;
      flights++;
    }
    const fromB = b.takeOutgoing();
    if (fromB) {
      a.receive(fromB);
      moved = true;
      flights++;
    }
    if (!moved) return flights;
  }
  throw new Error('drive: no quiescence');
}

/** Like drive, but catches the first TlsError from either side and reports who threw it. */
export function driveExpectingError(a: Connection, b: Connection): { side: 'a' | 'b'; error: unknown } {
  for (let i = 0; i < 1000; i++) {
    const fromA = a.takeOutgoing();
    if (fromA) {
      try {
        b.receive(fromA);
      } catch (error) {
        return { side: 'b', error };
      }
    }
    const fromB = b.takeOutgoing();
    if (fromB) {
      try {
        a.receive(fromB);
      } catch (error) {
        return { side: 'a', error };
      }
    }
    if (!fromA && !fromB) break;
  }
  throw new Error('driveExpectingError: no error happened');
}

export function certifiedKey(info: CertInfo, chain: CertInfo[] = [info]) {
  return { chain: chain.map((c) => new Uint8Array(c.certDer)), key: parsePrivateKey(info.keyPem) };
}

/** Certificates for each key type, cached: root → intermediate → leaf (SAN localhost). */
const chains = new Map<KeyType, Chain>();
export async function chainFor(keyType: KeyType): Promise<Chain> {
  let c = chains.get(keyType);
  if (!c) {
    c = await makeChain(keyType);
    chains.set(keyType, c);
  }
  return c;
}

/** Server context options for a chain: leaf + intermediate, leaf key. */
export function serverCert(chain: Chain) {
  return certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]);
}

export function verifierFor(chain: Chain): DefaultVerifier {
  return new DefaultVerifier({ ca: decodePem(chain.root.certPem).map((b) => b.der) });
}

export function makePair(
  serverOptions: TlsContextOptions,
  clientOptions: TlsContextOptions,
  connOptions: ConnectionOptions = { serverName: 'localhost' },
): Pair {
  const server = new Connection(new TlsContext(serverOptions), 'server');
  const client = new Connection(new TlsContext(clientOptions), 'client', connOptions);
  return { client, server };
}

/** Handshake a pair completely. */
export function handshake(p: Pair): void {
  p.client.doHandshake();
  drive(p.client, p.server);
  if (!p.client.handshakeComplete || !p.server.handshakeComplete) {
    throw new Error(`handshake did not complete: client ${p.client.stateName}, server ${p.server.stateName}`);
  }
}
