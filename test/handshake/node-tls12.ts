/**
 * A real TLS 1.2 handshake between two node:tls sockets in this process,
 * over an in-memory wire that records every byte in both directions (and
 * can inject bytes towards the client). node:tls (OpenSSL) is the oracle:
 * its 'keylog' event gives the master secret, getFinished/getPeerFinished the
 * verify_data, exportKeyingMaterial the RFC 5705 exporter; the recorded bytes
 * give the randoms, the handshake transcript and the protected records.
 */
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import tls from 'node:tls';

/** OpenSSL 3.0's SSL_OP_NO_EXTENDED_MASTER_SECRET (SSL_OP_BIT(0)); node does not export it. */
export const SSL_OP_NO_EXTENDED_MASTER_SECRET = 1;

export interface WireRecord {
  readonly type: number;
  readonly version: number;
  /** header + fragment, as on the wire */
  readonly bytes: Uint8Array;
  readonly fragment: Uint8Array;
}

export interface HandshakeMsg {
  readonly type: number;
  /** header (4 bytes) + body: what the transcript hashes */
  readonly bytes: Uint8Array;
  readonly body: Uint8Array;
}

export interface Tls12Capture {
  client: tls.TLSSocket;
  server: tls.TLSSocket;
  /** The client's keylog lines, without the newline. */
  keylog: string[];
  /** Records the client sent / the server sent, in order. */
  fromClient(): WireRecord[];
  fromServer(): WireRecord[];
  /** Push raw bytes into the client's transport, as if the server sent them. */
  injectToClient(bytes: Uint8Array): void;
  /** The data the client / server has read so far. */
  clientRead: Buffer[];
  serverRead: Buffer[];
}

export interface Tls12Options {
  cert: string;
  key: string;
  /** OpenSSL cipher name, the only one both ends allow. */
  cipher: string;
  /** Turn off RFC 7627 on the server (so the classic master secret is used). */
  noExtendedMasterSecret?: boolean;
}

/** Run a TLS 1.2 handshake to completion on both sides. */
export async function tls12Handshake(o: Tls12Options): Promise<Tls12Capture> {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  let serverEnd: Duplex;
  const clientEnd = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      c2s.push(Buffer.from(chunk));
      serverEnd.push(chunk);
      cb();
    },
    final(cb) {
      serverEnd.push(null);
      cb();
    },
  });
  serverEnd = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      s2c.push(Buffer.from(chunk));
      clientEnd.push(chunk);
      cb();
    },
    final(cb) {
      clientEnd.push(null);
      cb();
    },
  });

  const common = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: o.cipher } as const;
  const server = new tls.TLSSocket(serverEnd, {
    isServer: true,
    secureContext: tls.createSecureContext({
      ...common,
      cert: o.cert,
      key: o.key,
      ...(o.noExtendedMasterSecret ? { secureOptions: SSL_OP_NO_EXTENDED_MASTER_SECRET } : {}),
    }),
  });
  const client = tls.connect({ ...common, socket: clientEnd, rejectUnauthorized: false, servername: 'localhost' });
  const keylog: string[] = [];
  client.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1').trimEnd()));
  const clientRead: Buffer[] = [];
  const serverRead: Buffer[] = [];
  client.on('data', (d: Buffer) => clientRead.push(d));
  server.on('data', (d: Buffer) => serverRead.push(d));
  const failed = new Promise<never>((_, reject) => {
    client.on('error', reject);
    server.on('error', reject);
  });
  await Promise.race([Promise.all([once(client, 'secureConnect'), once(server, 'secure')]), failed]);
  return {
    client,
    server,
    keylog,
    fromClient: () => records(Buffer.concat(c2s)),
    fromServer: () => records(Buffer.concat(s2c)),
    injectToClient: (b) => clientEnd.push(Buffer.from(b)),
    clientRead,
    serverRead,
  };
}

/** Wait until `pred` holds, polling the event loop. */
export async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function records(bytes: Uint8Array): WireRecord[] {
  const out: WireRecord[] = [];
  for (let o = 0; o < bytes.length; ) {
    if (o + 5 > bytes.length) throw new Error('truncated record header');
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    if (o + 5 + len > bytes.length) throw new Error('truncated record');
    out.push({
      type: bytes[o]!,
      version: (bytes[o + 1]! << 8) | bytes[o + 2]!,
      bytes: bytes.subarray(o, o + 5 + len),
      fragment: bytes.subarray(o + 5, o + 5 + len),
    });
    o += 5 + len;
  }
  return out;
}

/** The plaintext handshake messages of one direction: the handshake records before its ChangeCipherSpec. */
export function plaintextHandshake(recs: readonly WireRecord[]): HandshakeMsg[] {
  const ccs = recs.findIndex((r) => r.type === 20);
  const stream = Buffer.concat(recs.slice(0, ccs < 0 ? recs.length : ccs).filter((r) => r.type === 22).map((r) => r.fragment));
  const out: HandshakeMsg[] = [];
  for (let o = 0; o < stream.length; ) {
    const len = (stream[o + 1]! << 16) | (stream[o + 2]! << 8) | stream[o + 3]!;
    out.push({ type: stream[o]!, bytes: stream.subarray(o, o + 4 + len), body: stream.subarray(o + 4, o + 4 + len) });
    o += 4 + len;
  }
  return out;
}

/** The protected records of one direction: everything after its ChangeCipherSpec. */
export function protectedRecords(recs: readonly WireRecord[]): WireRecord[] {
  const ccs = recs.findIndex((r) => r.type === 20);
  if (ccs < 0) throw new Error('no ChangeCipherSpec');
  return recs.slice(ccs + 1);
}

/** Extension types of a ServerHello body (RFC 5246 §7.4.1.3). */
export function serverHelloExtensions(body: Uint8Array): number[] {
  let o = 2 + 32;
  o += 1 + body[o]!; // session_id
  o += 2 + 1; // cipher_suite, compression_method
  const types: number[] = [];
  if (o === body.length) return types;
  const end = o + 2 + ((body[o]! << 8) | body[o + 1]!);
  for (o += 2; o < end; ) {
    types.push((body[o]! << 8) | body[o + 1]!);
    o += 4 + ((body[o + 2]! << 8) | body[o + 3]!);
  }
  return types;
}
