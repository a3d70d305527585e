/**
 * What a connection keeps once its handshake is done (issue 19, item 4:
 * bench/idle-heap.mjs measures it). Structural checks only: the committed
 * result's byte fields are its own (not views into the records they were
 * read from), committed results share one hidden class, the record layer
 * holds no queue between records, and the counters are plain fields.
 */
import v8 from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitNegotiated, type Negotiated } from '../../src/handshake/state.js';
import { RecordDeframer } from '../../src/record/deframer.js';
import { HandshakeJoiner } from '../../src/record/joiner.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { certifiedKey, chainFor, drive, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const pair = (tls12 = false) =>
  makePair({ certificate: serverCert(chain), ...(tls12 ? { maxVersion: 0x0303, renegotiation: { acceptClientInitiated: true } } : {}) }, { verifier: verifierFor(chain) });

/** clientRandom, finished and peerFinished lie in one buffer of exactly their size: no view keeps a record alive. */
function expectOwnBytes(n: Readonly<Negotiated>): void {
  const fields = [n.clientRandom, n.finished, n.peerFinished];
  for (const f of fields) expect(f).toBeInstanceOf(Uint8Array);
  const buffer = n.clientRandom!.buffer;
  for (const f of fields) expect(f!.buffer).toBe(buffer);
  expect(buffer.byteLength).toBe(fields.reduce((a, f) => a + f!.length, 0));
}

/** %HaveSameMap, with natives syntax turned on for this one function. */
function sameHiddenClass(a: object, b: object): boolean {
  v8.setFlagsFromString('--allow-natives-syntax');
  const check = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
  return check(a, b);
}

describe('the committed result keeps no views into received records', () => {
  it('TLS 1.3, both sides: clientRandom (a view into the ClientHello as read) and the Finished values are copied into one buffer', () => {
    const p = pair();
    handshake(p);
    expectOwnBytes(p.server.negotiated);
    expectOwnBytes(p.client.negotiated);
    expect(p.server.negotiated.clientRandom).toEqual(p.client.negotiated.clientRandom);
    expect(p.server.negotiated.finished).toEqual(p.client.negotiated.peerFinished);
    expect(p.server.negotiated.peerFinished).toEqual(p.client.negotiated.finished);
  });

  it('TLS 1.2, and again after a renegotiation (whose Finished values RFC 5746 binds to the next one)', () => {
    const p = pair(true);
    handshake(p);
    expectOwnBytes(p.server.negotiated);
    expectOwnBytes(p.client.negotiated);
    const before = p.client.negotiated;
    p.client.renegotiate();
    p.client.doHandshake();
    drive(p.client, p.server);
    expect(p.client.negotiated).not.toBe(before);
    expectOwnBytes(p.client.negotiated);
    expectOwnBytes(p.server.negotiated);
    expect(p.server.negotiated.peerFinished).toEqual(p.client.negotiated.finished);
  });

  it('commitNegotiated freezes the draft itself, and leaves fields already its own as they are', () => {
    const draft: Negotiated = { version: 0x0304, clientRandom: new Uint8Array(64).subarray(0, 32), finished: new Uint8Array(32).fill(1) };
    const committed = commitNegotiated(draft);
    expect(committed).toBe(draft);
    expect(Object.isFrozen(committed)).toBe(true);
    expect(committed.clientRandom!.buffer.byteLength).toBe(64);
    expect(committed.finished).toEqual(new Uint8Array(32).fill(1));
    const again = { ...committed };
    const own = again.clientRandom;
    expect(commitNegotiated(again).clientRandom).toBe(own); // already compact: not copied again
  });
});

describe('committed results share one hidden class', () => {
  it('two servers\' and two clients\' results (a frozen spread copy would give each its own, ~0.4 KiB a connection)', () => {
    const a = pair();
    const b = pair();
    handshake(a);
    handshake(b);
    expect(Object.isFrozen(a.server.negotiated)).toBe(true);
    expect(sameHiddenClass(a.server.negotiated, b.server.negotiated)).toBe(true);
    expect(sameHiddenClass(a.client.negotiated, b.client.negotiated)).toBe(true);
  });

  it('commitNegotiated, many times over (V8 starts giving frozen spread copies maps of their own after a few dozen)', () => {
    const draft = (): Negotiated => {
      const n: Negotiated = {};
      Object.assign(n, { version: 0x0304, clientRandom: new Uint8Array(32), alpn: undefined, serverName: 'localhost' });
      n.finished = new Uint8Array(32);
      n.peerFinished = new Uint8Array(32);
      return n;
    };
    const committed = Array.from({ length: 60 }, () => commitNegotiated(draft()));
    expect(sameHiddenClass(committed[0]!, committed[59]!)).toBe(true);
    expect(sameHiddenClass(committed[58]!, committed[59]!)).toBe(true);
  });
});

describe('post-handshake client authentication commits a new result; the connection is a draft only meanwhile', () => {
  it('the server\'s result names the client once its Finished verifies; the client\'s result is unchanged', () => {
    const server = new Connection(new TlsContext({ certificate: serverCert(chain), verifier: verifierFor(chain) }), 'server');
    const client = new Connection(new TlsContext({ verifier: verifierFor(chain), postHandshakeAuth: true, certificate: certifiedKey(chain.leaf, [chain.leaf, chain.intermediate]) }), 'client', { serverName: 'localhost' });
    handshake({ client, server });
    drive(client, server);
    const [s0, c0] = [server.negotiated, client.negotiated];
    expect(s0.peerCertificates ?? []).toEqual([]);
    server.verifyClientPostHandshake();
    server.doHandshake();
    drive(client, server);
    expect(server.negotiated).not.toBe(s0);
    expect(Object.isFrozen(server.negotiated)).toBe(true);
    expect(server.negotiated.peerCertificates?.length).toBe(2);
    expect(server.negotiated.finished).toBe(s0.finished);
    expectOwnBytes(server.negotiated);
    expect(client.negotiated).toBe(c0);
    // A second request: a new draft from the result, committed again.
    server.verifyClientPostHandshake();
    server.doHandshake();
    drive(client, server);
    expect(server.negotiated.peerCertificates?.length).toBe(2);
    expect(server.failure).toBeNull();
    expect(client.failure).toBeNull();
  });
});

describe('the record layer holds no queue between records', () => {
  const record = (n: number) => new Uint8Array([23, 3, 3, 0, n, ...new Uint8Array(n)]);
  const queueOf = (x: RecordDeframer | HandshakeJoiner) => (x as unknown as { queue: unknown }).queue;

  it('RecordDeframer: a queue while bytes wait, none once they are taken as records', () => {
    const d = new RecordDeframer();
    expect(queueOf(d)).toBeNull();
    d.push(new Uint8Array(0));
    expect(queueOf(d)).toBeNull();
    const two = new Uint8Array([...record(3), ...record(2)]);
    d.push(two.subarray(0, 6));
    expect(queueOf(d)).not.toBeNull();
    expect(d.next()).toBeNull();
    d.push(two.subarray(6));
    expect(d.next()!.fragment.length).toBe(3);
    expect(d.buffered).toBe(7);
    expect(d.next()!.fragment.length).toBe(2);
    expect(d.buffered).toBe(0);
    expect(queueOf(d)).toBeNull();
    expect(d.next()).toBeNull();
  });

  it('HandshakeJoiner: the same; its per-type limit gets the configured maximum (no closure per connection)', () => {
    const seen: [number, number][] = [];
    const j = new HandshakeJoiner({ maxMessageSize: 1000, limit: (type, max) => (seen.push([type, max]), type === 20 ? max : -1) });
    const fin = new Uint8Array([20, 0, 0, 2, 7, 7]);
    j.push(fin.subarray(0, 5));
    expect(j.isEmpty).toBe(false);
    expect(j.next()).toBeNull();
    j.push(fin.subarray(5));
    expect(j.next()!.body).toEqual(new Uint8Array([7, 7]));
    expect(j.isEmpty).toBe(true);
    expect(j.buffered).toBe(0);
    expect(queueOf(j)).toBeNull();
    expect(seen[0]).toEqual([20, 1000]);
  });
});
