/**
 * The client session cache keyed by server name (Go's ClientSessionCache):
 * LruClientSessionCache on its own, then wired into client connections
 * through TlsContext's clientSessionCache.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import { findExtension } from '../../src/messages/extensions.js';
import { PreSharedKeyClientExt } from '../../src/messages/index.js';
import { LruClientSessionCache, type ClientSessionCache } from '../../src/session/client-cache.js';
import { Session } from '../../src/session/session.js';
import { TlsContext } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor } from '../helpers/pair.js';
import { clientCtx, connect, serverCtx } from '../tickets/support13.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const session = (name: string, receivedAtMs = 1000, lifetimeSeconds = 60): Session =>
  new Session({
    version: ProtocolVersion.TLSv1_3,
    cipherSuite: 0x1301,
    secret: new Uint8Array(32).fill(1),
    ticket: new Uint8Array([1, 2, 3]),
    sessionId: new Uint8Array(0),
    extendedMasterSecret: false,
    ticketAgeAdd: 0,
    lifetimeSeconds,
    receivedAtMs,
    serverName: name,
    alpn: undefined,
    maxEarlyData: 0,
    peerCertificates: [],
  });

describe('LruClientSessionCache', () => {
  it('capacity is a positive integer (default 64), else RangeError', () => {
    expect(new LruClientSessionCache().capacity).toBe(64);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => new LruClientSessionCache(bad)).toThrow(RangeError);
    expect(() => new LruClientSessionCache(2, 5 as unknown as () => number)).toThrow(TypeError);
  });

  it('get returns what put stored under the key; put(key, undefined) forgets it', () => {
    const c = new LruClientSessionCache(4, () => 2000);
    const a = session('a');
    c.put('a', a);
    expect(c.get('a')).toBe(a);
    expect(c.get('b')).toBeUndefined();
    c.put('a', undefined);
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('beyond capacity the least recently used goes first (a get counts as a use)', () => {
    const c = new LruClientSessionCache(2, () => 2000);
    c.put('a', session('a'));
    c.put('b', session('b'));
    expect(c.get('a')).toBeDefined(); // b is now the least recently used
    c.put('c', session('c'));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
    expect(c.size).toBe(2);
  });

  it('an expired session is not returned, and is dropped', () => {
    let now = 2000;
    const c = new LruClientSessionCache(2, () => now);
    c.put('a', session('a', 1000, 10));
    expect(c.get('a')).toBeDefined();
    now = 1000 + 10_000;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });
});

describe('TlsContext clientSessionCache', () => {
  const offered = (r: ReturnType<typeof connect>): Uint8Array | undefined => findExtension(r.hellos[0]!.extensions, PreSharedKeyClientExt)?.identities[0]?.identity;

  it('must have get and put', () => {
    expect(() => new TlsContext({ clientSessionCache: {} as unknown as ClientSessionCache })).toThrow(TypeError);
    expect(new TlsContext({ clientSessionCache: new LruClientSessionCache() }).clientSessionCache).toBeDefined();
  });

  it('two connections to the same name resume through the cache; each ticket replaces the cached session', () => {
    const cache = new LruClientSessionCache();
    const sctx = serverCtx(chain);
    const cctx = clientCtx(chain, { clientSessionCache: cache });
    const first = connect(sctx, cctx);
    expect(offered(first)).toBeUndefined();
    expect(cache.get('localhost')).toBe(first.sessions.at(-1));
    const second = connect(sctx, cctx);
    expect(offered(second)).toEqual(first.sessions.at(-1)!.ticket);
    expect([second.client.isSessionReused, second.server.isSessionReused]).toEqual([true, true]);
    expect(cache.get('localhost')).toBe(second.sessions.at(-1));
  });

  it('another server name is not offered the cached session', () => {
    const cache = new LruClientSessionCache();
    const sctx = serverCtx(chain);
    const cctx = clientCtx(chain, { clientSessionCache: cache, rejectUnauthorized: false });
    connect(sctx, cctx);
    const other = connect(sctx, cctx, undefined, 'other.test');
    expect(offered(other)).toBeUndefined();
    expect(other.server.isSessionReused).toBe(false);
    expect(cache.get('other.test')?.serverName).toBe('other.test');
    expect(cache.get('localhost')?.serverName).toBe('localhost');
  });

  it('the capacity bound evicts the least recently used name', () => {
    const cache = new LruClientSessionCache(1);
    const sctx = serverCtx(chain);
    const cctx = clientCtx(chain, { clientSessionCache: cache, rejectUnauthorized: false });
    connect(sctx, cctx);
    connect(sctx, cctx, undefined, 'other.test');
    expect(cache.get('localhost')).toBeUndefined();
    const again = connect(sctx, cctx);
    expect(offered(again)).toBeUndefined();
    expect(again.server.isSessionReused).toBe(false);
  });

  it('an expired session is not offered', () => {
    let skew = 0;
    const cache = new LruClientSessionCache(8, () => Date.now() + skew);
    const sctx = serverCtx(chain, { ticketLifetimeSeconds: 60 });
    const cctx = clientCtx(chain, { clientSessionCache: cache });
    connect(sctx, cctx);
    skew = 61_000;
    const late = connect(sctx, cctx);
    expect(offered(late)).toBeUndefined();
    expect(late.server.isSessionReused).toBe(false);
  });

  it('a session given explicitly wins over the cache', () => {
    const cache = new LruClientSessionCache();
    const sctx = serverCtx(chain);
    const cctx = clientCtx(chain, { clientSessionCache: cache });
    const first = connect(sctx, cctx);
    const given = first.sessions[0]!;
    expect(cache.get('localhost')).not.toBe(given);
    const r = connect(sctx, cctx, given);
    expect(offered(r)).toEqual(given.ticket);
  });

  it('TLS 1.2: the session of a full handshake is cached and resumed', () => {
    const cache = new LruClientSessionCache();
    const sctx = serverCtx(chain);
    const cctx = clientCtx(chain, { clientSessionCache: cache, minVersion: ProtocolVersion.TLSv1_2, maxVersion: ProtocolVersion.TLSv1_2 });
    const first = connect(sctx, cctx);
    expect(cache.get('localhost')?.version).toBe(ProtocolVersion.TLSv1_2);
    expect(first.client.isSessionReused).toBe(false);
    const second = connect(sctx, cctx);
    expect([second.client.isSessionReused, second.server.isSessionReused]).toEqual([true, true]);
  });
});
