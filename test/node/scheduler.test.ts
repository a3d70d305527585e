/**
 * Bounded work per event-loop turn (src/node/scheduler.ts): what arrives is
 * given to the Connection in slices of at most IN_SLICE bytes, a large write
 * is sealed OUT_SLICE bytes at a time with other event-loop work in between,
 * sockets take turns, and data and backpressure are as before. No test here
 * asserts a time: they look at the shape of the work.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Duplex, PassThrough, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, TlsSocket, type TlsSocketOptions } from '../../src/node/index.js';
import { Scheduler, type Task } from '../../src/node/scheduler.js';
import { IN_SLICE, OUT_SLICE } from '../../src/node/socket.js';
import { certsFor, drain, generator, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

const MiB = 1024 * 1024;

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('ed25519');
});

/** A TlsSocket whose Connection's receive and write calls are recorded (sizes, and a shared log). */
class SpySocket extends TlsSocket {
  readonly receives: number[] = [];
  readonly writes: number[] = [];
  constructor(transport: Duplex, options: TlsSocketOptions, log?: string[], name = '') {
    super(transport, options);
    const conn = this.conn!;
    const receive = conn.receive.bind(conn);
    const write = conn.write.bind(conn);
    conn.receive = (bytes: Uint8Array): void => {
      this.receives.push(bytes.length);
      receive(bytes);
    };
    conn.write = (data: Uint8Array): void => {
      this.writes.push(data.length);
      log?.push(`${name}write`);
      write(data);
    };
  }
}

/** A pass-through that can hold what it gets and let it all go as one chunk. */
class Gate extends Transform {
  private held: Buffer[] | null = null;
  hold(): void {
    this.held = [];
  }
  release(): number {
    const all = Buffer.concat(this.held ?? []);
    this.held = null;
    this.push(all);
    return all.length;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.held) this.held.push(chunk);
    else this.push(chunk);
    cb();
  }
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 10)) & 0xff;
  return b;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('input is processed in slices', () => {
  it('4 MiB arriving in one chunk reaches the Connection in pieces of at most IN_SLICE, in order', async () => {
    const toServer = new Gate();
    const toClient = new PassThrough();
    const server = track(new SpySocket(Duplex.from({ readable: toServer, writable: toClient }), { isServer: true, cert: certs.cert, key: certs.key }));
    const client = track(new TlsSocket(Duplex.from({ readable: toClient, writable: toServer }), { servername: 'localhost', ca: certs.ca }));
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    const data = pattern(4 * MiB, 7);
    toServer.hold();
    await new Promise<void>((resolve, reject) => client.write(data, (err) => (err ? reject(err) : resolve())));
    server.receives.length = 0;
    const got = drain(server);
    const released = toServer.release();
    expect(released).toBeGreaterThan(4 * MiB); // one chunk on the server's transport
    client.end();
    const { bytes, sha256 } = await got;
    expect(bytes).toBe(data.length);
    expect(sha256).toBe(sha(data));
    expect(Math.max(...server.receives)).toBeLessThanOrEqual(IN_SLICE);
    const records = server.receives.reduce((a, b) => a + b, 0);
    expect(records).toBeGreaterThanOrEqual(released); // all of it, piece by piece (then the close_notify)
    expect(server.receives.length).toBeGreaterThanOrEqual(Math.ceil(released / IN_SLICE));
  });
});

describe('a large write is sealed in steps', () => {
  it('8 MiB: pieces of at most OUT_SLICE, other setImmediate callbacks run before the last one, the callback after it', async () => {
    const ab = new PassThrough();
    const ba = new PassThrough();
    const log: string[] = [];
    const client = track(new SpySocket(Duplex.from({ readable: ba, writable: ab }), { servername: 'localhost', ca: certs.ca }, log));
    const server = track(new TlsSocket(Duplex.from({ readable: ab, writable: ba }), { isServer: true, cert: certs.cert, key: certs.key }));
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    const got = drain(server);
    const data = pattern(8 * MiB, 3);
    client.writes.length = 0;
    let done = false;
    let incompleteAtFirstTick: boolean | undefined;
    const tick = (): void => {
      log.push('tick');
      incompleteAtFirstTick ??= !done;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    client.write(data, () => {
      done = true;
      log.push('callback');
    });
    client.end();
    const { bytes, sha256 } = await got;
    expect(bytes).toBe(data.length);
    expect(sha256).toBe(sha(data));
    expect(incompleteAtFirstTick).toBe(true);
    const sizes = client.writes.filter((n) => n > 0);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(OUT_SLICE);
    expect(sizes.length).toBe(Math.ceil(data.length / OUT_SLICE));
    const first = log.indexOf('write');
    const last = log.lastIndexOf('write');
    expect(log.slice(first, last)).toContain('tick'); // the event loop turned while the write was sealed
    expect(log.indexOf('callback')).toBeGreaterThan(last);
  });

  it('two sockets writing at once take turns (round-robin)', async () => {
    const log: string[] = [];
    const pairs = ['a', 'b'].map((name) => {
      const ab = new PassThrough();
      const ba = new PassThrough();
      const client = track(new SpySocket(Duplex.from({ readable: ba, writable: ab }), { servername: 'localhost', ca: certs.ca }, log, name));
      const server = track(new TlsSocket(Duplex.from({ readable: ab, writable: ba }), { isServer: true, cert: certs.cert, key: certs.key }));
      return { client, server };
    });
    await Promise.all(pairs.flatMap((p) => [once(p.client, 'secureConnect'), once(p.server, 'secure')]));
    log.length = 0;
    const data = pattern(2 * MiB, 9);
    const got = pairs.map((p) => drain(p.server));
    for (const p of pairs) p.client.end(data);
    for (const g of got) expect((await g).sha256).toBe(sha(data));
    const a = log.map((x, i) => (x === 'awrite' ? i : -1)).filter((i) => i >= 0);
    const b = log.map((x, i) => (x === 'bwrite' ? i : -1)).filter((i) => i >= 0);
    expect(b[0]).toBeLessThan(a[a.length - 1]!); // b started before a finished
    expect(a[0]).toBeLessThan(b[b.length - 1]!);
  });
});

describe('the scheduler', () => {
  it('runs at least one step per turn and the rest in later turns, round-robin', async () => {
    const s = new Scheduler(0); // no budget: one step per event-loop turn
    const order: string[] = [];
    const task = (name: string, steps: number): Task => {
      let left = steps;
      return {
        step() {
          order.push(name);
          return --left > 0;
        },
      };
    };
    s.schedule(task('a', 3));
    s.schedule(task('b', 2));
    expect(order).toEqual([]); // a spent budget: nothing runs inline
    const turns: string[][] = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setImmediate(r));
      turns.push(order.splice(0));
    }
    expect(turns.flat()).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(turns.every((t) => t.length <= 1)).toBe(true);
  });

  it('runs a task at once when nothing waits and the budget allows', () => {
    const s = new Scheduler(1e9);
    const order: string[] = [];
    s.schedule({ step: () => (order.push('x'), false) });
    expect(order).toEqual(['x']);
  });
});

describe('integrity and backpressure', () => {
  it('16 MiB each way over TCP, our client ↔ our server, intact', async () => {
    const fromServer = generator(16 * MiB, 100_000);
    const fromClient = generator(16 * MiB, 30_000);
    let serverDone: Promise<{ bytes: number; sha256: string }> | undefined;
    const srv = createServer({ cert: certs.cert, key: certs.key, allowHalfOpen: true }, (s) => {
      const got = drain(s);
      const sent = pipeline(fromServer.stream, s, { end: false });
      serverDone = Promise.all([got, sent]).then(([g]) => {
        s.end();
        return g;
      });
    });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    const [got] = await Promise.all([drain(sock), pipeline(fromClient.stream, sock)]);
    const server = await serverDone!;
    expect(got.bytes).toBe(16 * MiB);
    expect(got.sha256).toBe(fromServer.digest());
    expect(server.bytes).toBe(16 * MiB);
    expect(server.sha256).toBe(fromClient.digest());
  });

  it('a reader that stops pauses the transport; the writer waits; nothing is lost', async () => {
    const data = pattern(16 * MiB, 5);
    let serverSock: TlsSocket | undefined;
    let writeDone = false;
    const srv = createServer({ cert: certs.cert, key: certs.key }, (s) => {
      serverSock = s;
      s.end(data, () => (writeDone = true));
    });
    const port = await listen(srv);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    sock.pause();
    await once(sock, 'secureConnect');
    // Wait until our reader's buffer is full and the transport paused.
    while (!sock.transport.isPaused()) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(writeDone).toBe(false);
    expect(sock.readableLength).toBeLessThan(2 * MiB);
    expect(serverSock!.transport.writableLength).toBeLessThan(2 * MiB);
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(_c: Buffer, _e, cb) {
        setImmediate(cb);
      },
    });
    const hash = createHash('sha256');
    let n = 0;
    sock.on('data', (d: Buffer) => {
      hash.update(d);
      n += d.length;
    });
    await pipeline(sock, slow);
    expect(n).toBe(data.length);
    expect(hash.digest('hex')).toBe(sha(data));
  });
});
