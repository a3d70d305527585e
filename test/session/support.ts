/** Helpers shared by the ticket codec tests. */
import { testProvider } from '../../src/crypto/random.js';
import type { Aead, CryptoProvider } from '../../src/crypto/provider.js';
import { Session, type SessionFields } from '../../src/session/session.js';

export const T0 = 1_700_000_000_000;
export const HOUR = 3600 * 1000;
export const DAY = 24 * HOUR;

const material = testProvider('ticket-codec session material');
/** 48 bytes that look like nothing else in a ticket. */
export const SECRET = material.randomBytes(48);
export const APP_DATA = material.randomBytes(40);
const CERTS = [material.randomBytes(300), material.randomBytes(120)];

export const FIELDS: readonly (keyof SessionFields)[] = [
  'version', 'cipherSuite', 'secret', 'ticket', 'sessionId', 'extendedMasterSecret', 'ticketAgeAdd',
  'lifetimeSeconds', 'receivedAtMs', 'serverName', 'alpn', 'maxEarlyData', 'peerCertificates',
];

/** A TLS 1.2-shaped session with every field set to something other than its default. */
export function makeSession(over: Partial<SessionFields> = {}): Session {
  return new Session({
    version: 0x0303,
    cipherSuite: 0xc02f,
    secret: SECRET,
    ticket: Uint8Array.of(9, 8, 7),
    sessionId: Uint8Array.from({ length: 32 }, (_, i) => 200 - i),
    extendedMasterSecret: true,
    ticketAgeAdd: 0xdeadbeef,
    lifetimeSeconds: 7200,
    receivedAtMs: T0 - 1234,
    serverName: 'example.com',
    alpn: 'h2',
    maxEarlyData: 16384,
    peerCertificates: CERTS,
    ...over,
  });
}

/** A settable clock. */
export function clock(start = T0): { now: () => number; set: (t: number) => void; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v), advance: (ms) => (t += ms) };
}

/** `base` with counters on randomBytes calls and AEAD opens / seals. */
export function counting(base: CryptoProvider): { provider: CryptoProvider; counts: { random: number; opens: number; seals: number } } {
  const counts = { random: 0, opens: 0, seals: 0 };
  const provider: CryptoProvider = {
    ...base,
    groups: base.groups,
    randomBytes: (n) => (counts.random++, base.randomBytes(n)),
    aead: (alg, key): Aead => {
      const a = base.aead(alg, key);
      return {
        algorithm: a.algorithm,
        seal: (n, p, ad) => (counts.seals++, a.seal(n, p, ad)),
        open: (n, c, ad) => (counts.opens++, a.open(n, c, ad)),
      };
    },
  };
  return { provider, counts };
}

/** True when `needle` occurs in `hay` as a contiguous run. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
