/**
 * Plumbing for test/cli/keyupdate.test.ts: two small in-process relays and
 * counting helpers for -msg / -trace output.
 *
 *  - `tcpRelay(port)`: 127.0.0.1:<ephemeral> → 127.0.0.1:port, byte for byte.
 *    `hold()` stops forwarding client → server bytes (they are kept, in
 *    order); `release()` hands them all to the server in ONE write, so that
 *    several records the client sent separately arrive together — which makes
 *    "several KeyUpdate requests arrive while the server is silent"
 *    deterministic instead of a race.
 *  - `unixToTcpRelay(path, port)`: a Unix socket (reachable from inside a
 *    private net namespace, the filesystem is shared) → 127.0.0.1:port on the
 *    host, for `runGnutlsClient`.
 *
 * Every relay (and its sockets) is closed by `closeRelays()`, which the test
 * file runs in afterEach.
 */
import net, { type AddressInfo } from 'node:net';

const open = new Set<() => void>();

/** Close every relay and every connection through one. */
export function closeRelays(): void {
  for (const close of [...open]) close();
  open.clear();
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  open.add(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return sockets;
}

/** Track both sockets, destroy both on an error, pass each end on (data is forwarded by the caller). */
function pipeBoth(a: net.Socket, b: net.Socket, sockets: Set<net.Socket>): void {
  for (const s of [a, b]) {
    sockets.add(s);
    s.on('error', () => {
      a.destroy();
      b.destroy();
    });
    s.on('close', () => sockets.delete(s));
  }
  a.on('end', () => b.end());
  b.on('end', () => a.end());
}

export interface TcpRelay {
  readonly port: number;
  /** Keep client → server bytes from now on instead of forwarding them. */
  hold(): void;
  /** Forward what was kept in one write, and forward directly again. */
  release(): void;
  /** Wait until the kept bytes hold at least `n` complete TLS records. */
  waitHeldRecords(n: number, timeoutMs?: number): Promise<void>;
}

/** Count complete TLS records (5-byte header + length) at the start of `buf`. */
export function completeRecords(buf: Buffer): number {
  let n = 0;
  let at = 0;
  while (at + 5 <= buf.length) {
    const len = buf.readUInt16BE(at + 3);
    if (at + 5 + len > buf.length) break;
    at += 5 + len;
    n++;
  }
  return n;
}

/** A relay for ONE connection: 127.0.0.1:<port> → 127.0.0.1:target. */
export async function tcpRelay(target: number): Promise<TcpRelay> {
  let holding = false;
  let held: Buffer[] = [];
  let upstream: net.Socket | null = null;
  const waiters = new Set<() => void>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const up = net.connect({ host: '127.0.0.1', port: target, allowHalfOpen: true, noDelay: true });
    upstream = up;
    pipeBoth(client, up, sockets);
    up.on('data', (d: Buffer) => client.write(d));
    client.on('data', (d: Buffer) => {
      if (!holding) return void up.write(d);
      held.push(d);
      for (const w of [...waiters]) w();
    });
  });
  const sockets = track(server);
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  return {
    port: (server.address() as AddressInfo).port,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      const all = Buffer.concat(held);
      held = [];
      if (all.length > 0) upstream?.write(all);
    },
    waitHeldRecords(n, timeoutMs = 10_000) {
      return new Promise((res, rej) => {
        const check = (): void => {
          if (completeRecords(Buffer.concat(held)) < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          res();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`relay: ${completeRecords(Buffer.concat(held))} of ${n} records held after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A Unix socket at `path` whose connections go to 127.0.0.1:target. */
export async function unixToTcpRelay(path: string, target: number): Promise<void> {
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const up = net.connect({ host: '127.0.0.1', port: target, allowHalfOpen: true, noDelay: true });
    pipeBoth(client, up, sockets);
    client.on('data', (d: Buffer) => up.write(d));
    up.on('data', (d: Buffer) => client.write(d));
  });
  const sockets = track(server);
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res());
  });
}

/** How many times `re` (global) matches `text`. */
export function count(text: string, re: RegExp): number {
  return [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))].length;
}

/** OpenSSL -msg: a received / sent KeyUpdate line (both tools print it this way). */
export const MSG_KU_IN = /^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m;
export const MSG_KU_OUT = /^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m;
