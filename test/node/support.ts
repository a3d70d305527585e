/**
 * Shared helpers for the Node adapter tests: certificates, a registry of
 * servers and sockets closed after each test, listening on 127.0.0.1:0,
 * streams that generate and hash bulk data.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import { afterEach } from 'vitest';
import { makeCert, makeChain, type CertInfo, type Chain, type KeyType } from '../helpers/keys.js';

export type { Chain, KeyType };

const servers = new Set<net.Server>();
const sockets = new Set<Duplex>();

/** Register for closing in afterEach. */
export function track<T extends net.Server | Duplex>(x: T): T {
  if (x instanceof net.Server) servers.add(x);
  else sockets.add(x);
  return x;
}

/** Call once per test file: destroys every tracked socket and closes every tracked server after each test. */
export function installCleanup(): void {
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    const closing = [...servers].map(
      (srv) =>
        new Promise<void>((resolve) => {
          if (!srv.listening) return resolve();
          srv.close(() => resolve());
          (srv as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
    );
    servers.clear();
    await Promise.all(closing);
  });
}

/** Listen on 127.0.0.1, an ephemeral port; track the server and every raw connection it accepts. */
export async function listen(server: net.Server): Promise<number> {
  track(server);
  server.on('connection', (raw: net.Socket) => track(raw));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

export interface Certs {
  chain: Chain;
  /** Server `cert:` (leaf + intermediate) and `key:`. */
  cert: string;
  key: string;
  /** The root, to trust with `ca:`. */
  ca: string;
}

export async function certsFor(keyType: KeyType): Promise<Certs> {
  const chain = await makeChain(keyType);
  return { chain, cert: chain.chainPem, key: chain.leaf.keyPem, ca: chain.root.certPem };
}

/** A client certificate (CN as given) issued by the chain's intermediate. */
export async function clientCertFor(chain: Chain, cn: string): Promise<{ cert: string; key: string; info: CertInfo }> {
  const info = await makeCert({ keyType: chain.leaf.keyType, cn, san: [], ca: chain.intermediate, tag: `client-${cn}` });
  return { cert: info.certPem + chain.intermediate.certPem, key: info.keyPem, info };
}

/** A deterministic pseudo-random stream of `total` bytes in `chunk`-sized pieces; `digest()` once it ended. */
export function generator(total: number, chunk = 64 * 1024): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let x = 0x12345678;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk, total - sent);
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i + 4 <= n; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        b.writeInt32LE(x | 0, i);
      }
      for (let i = n - (n % 4); i < n; i++) b[i] = i & 0xff;
      hash.update(b);
      sent += n;
      this.push(b);
    },
  });
  let hex: string | undefined;
  return { stream, digest: () => (hex ??= hash.digest('hex')) };
}

/** Read a stream to its end: byte count and sha256. Rejects on 'error'. */
export function drain(stream: Readable): Promise<{ bytes: number; sha256: string; data: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    stream.on('data', (d: Buffer) => {
      hash.update(d);
      bytes += d.length;
    });
    stream.once('end', () => resolve({ bytes, sha256: hash.digest('hex'), data: [] }));
    stream.once('error', reject);
  });
}

/** Collect a stream's data until it ends. */
export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  await once(stream, 'end');
  return Buffer.concat(parts);
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
