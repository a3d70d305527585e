/**
 * Deterministic replay: with seeded providers (deterministicRandom, a fixed
 * clock) the same seeds give the same TLS 1.2 bytes on the wire, flight for
 * flight: handshake, data, renegotiation, and a resumed second connection.
 * Each certificate type is covered, since signatures draw randomness too
 * (the RSA-PSS salt, hedged ECDSA nonces if the signer used any).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/common/constants.js';
import { deterministicRandom, scriptedRandom } from '../../src/crypto/random.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { Session } from '../../src/session/session.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain, KeyType } from '../helpers/keys.js';
import { chainFor, serverCert, verifierFor } from '../helpers/pair.js';
import { ClientHello } from '../../src/messages/hello.js';
import { enc, plainMessages, seededAt, TLS12 } from './support12.js';

const chains = new Map<KeyType, Chain>();
let now = 0;
beforeAll(async () => {
  for (const k of ['p256', 'rsa2048', 'ed25519'] as const) chains.set(k, await chainFor(k));
  now = Date.now() + 5000;
});

interface Wire {
  flights: string[];
  keylog: string[];
}

/** The whole conversation's bytes (hex, one entry per takeOutgoing), for the given seeds. */
function conversation(keyType: KeyType, serverSeed: string, clientSeed: string, extra: { server?: TlsContextOptions; client?: TlsContextOptions } = {}): Wire {
  const chain = chains.get(keyType)!;
  const sctx = new TlsContext({ certificate: serverCert(chain), provider: seededAt(serverSeed, now), renegotiation: { acceptClientInitiated: true }, ...extra.server });
  const cctx = new TlsContext({ verifier: verifierFor(chain), provider: seededAt(clientSeed, now), maxVersion: TLS12, ...extra.client });
  const wire: Wire = { flights: [], keylog: [] };
  let session: Session | undefined;
  for (const round of [0, 1]) {
    const server = new Connection(sctx, 'server');
    const client = new Connection(cctx, 'client', { serverName: 'localhost', ...(session ? { session } : {}) });
    client.on('keylog', (l) => wire.keylog.push(`c ${l}`));
    server.on('keylog', (l) => wire.keylog.push(`s ${l}`));
    client.on('session', (s) => (session ??= s));
    const pump = () => {
      for (let i = 0; i < 20; i++) {
        const a = client.takeOutgoing();
        if (a) {
          wire.flights.push(`c${Buffer.from(a).toString('hex')}`);
          server.receive(a);
        }
        const b = server.takeOutgoing();
        if (b) {
          wire.flights.push(`s${Buffer.from(b).toString('hex')}`);
          client.receive(b);
        }
        if (!a && !b) return;
      }
    };
    client.doHandshake();
    pump();
    expect(client.handshakeComplete).toBe(true);
    expect(client.isSessionReused).toBe(round === 1);
    client.write(enc('ping'));
    server.write(enc('pong'));
    pump();
    client.renegotiate();
    client.doHandshake();
    pump();
    server.renegotiate();
    server.write(enc('bye'));
    pump();
    client.close();
    server.close();
    pump();
  }
  return wire;
}

describe('the same seeds give the same TLS 1.2 bytes on the wire', () => {
  const cases: [KeyType, TlsContextOptions][] = [
    ['p256', {}],
    ['ed25519', {}],
    ['rsa2048', { signatureSchemes: [SignatureScheme.rsa_pss_rsae_sha256] }],
    ['rsa2048', { signatureSchemes: [SignatureScheme.rsa_pkcs1_sha384], cipherSuites: [CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384], groups: [NamedGroup.secp384r1] }],
  ];
  for (const [keyType, client] of cases) {
    it(`${keyType} ${client.signatureSchemes ? `(${client.signatureSchemes.map((s) => `0x${s.toString(16)}`).join()})` : ''}: two runs, identical flights and key logs`, () => {
      const a = conversation(keyType, 'replay-server', 'replay-client', { client });
      const b = conversation(keyType, 'replay-server', 'replay-client', { client });
      expect(a.flights.length).toBeGreaterThan(10);
      expect(b.flights.length).toBe(a.flights.length);
      a.flights.forEach((f, i) => expect(b.flights[i], `flight ${i}`).toBe(f));
      expect(b.keylog).toEqual(a.keylog);
    });
  }

  it('another client seed changes the client random (and so every flight from the first on)', () => {
    const a = conversation('ed25519', 'replay-server', 'replay-client');
    const b = conversation('ed25519', 'replay-server', 'replay-client-2');
    expect(b.flights[0]).not.toBe(a.flights[0]);
    expect(b.keylog[0]).not.toBe(a.keylog[0]);
  });

  it('another server seed keeps the first ClientHello but changes the server flight', () => {
    const a = conversation('ed25519', 'replay-server', 'replay-client');
    const b = conversation('ed25519', 'replay-server-2', 'replay-client');
    expect(b.flights[0]).toBe(a.flights[0]);
    expect(b.flights[1]).not.toBe(a.flights[1]);
  });

  it('scriptedRandom fixes the ClientHello random exactly: the first 32 bytes drawn', () => {
    const chain = chains.get('ed25519')!;
    const random = new Uint8Array(32).map((_, i) => i);
    const provider = nobleProvider({ random: scriptedRandom([random], deterministicRandom(enc('rest'))), clock: () => now });
    const client = new Connection(new TlsContext({ verifier: verifierFor(chain), provider, maxVersion: TLS12 }), 'client', { serverName: 'localhost' });
    client.doHandshake();
    const ch = ClientHello.decode(plainMessages(client.takeOutgoing()!)[0]!.subarray(4));
    expect(ch.random).toEqual(random);
    expect(ch.legacySessionId).toHaveLength(0);
  });
});
