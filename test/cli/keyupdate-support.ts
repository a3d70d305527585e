/**
 * Plumbing for test/cli/keyupdate.test.ts: a small in-process relay and
 * counting helpers for -msg / -trace output.
 *
 *  - `unixToTcpRelay(path, port)`: a Unix socket (reachable from inside a
 *    private net namespace, the filesystem is shared) → 127.0.0.1:port on the
 *    host, for `runGnutlsClient`.
 *
 * Every relay (and its sockets) is closed by `closeRelays()`, which the test
 * file runs in afterEach.
 */
import net from 'node:net';

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
