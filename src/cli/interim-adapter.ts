/**
 * WORKAROUND (temporary): src/node (connect/createServer/TlsSocket) was not
 * written yet when the CLI was. This is the smallest node:tls-shaped layer
 * the CLI needs, over the sans-IO Connection and a net.Socket. Only
 * src/cli/session.ts's `tlsConnect` / `tlsListen` use it; swap those to
 * src/node and delete this file once the adapter lands.
 */
import net from 'node:net';
import { rootCertificates } from 'node:tls';
import { Duplex } from 'node:stream';
import { NamedGroup, ProtocolVersion, type KeyUpdateType } from '../common/constants.js';
import { suiteByName } from '../crypto/suites.js';
import { Connection } from '../ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../ssl/context.js';
import { DefaultVerifier, caFromOption } from '../x509/default-verifier.js';
import { parsePrivateKey } from '../x509/keys.js';
import { pemDecode } from '../x509/pem.js';

/** node:tls option names (the subset the CLI uses). */
export interface InterimOptions {
  host?: string;
  port?: number;
  servername?: string;
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  ALPNProtocols?: string[];
  minVersion?: string;
  maxVersion?: string;
  ciphersuites?: string;
  ecdhCurve?: string;
  requestCert?: boolean;
  /** Server: fail when the client sends no certificate. */
  requireCert?: boolean;
}

const VERSIONS: Record<string, number> = { 'TLSv1.2': ProtocolVersion.TLSv1_2, 'TLSv1.3': ProtocolVersion.TLSv1_3 };
const GROUPS: Record<string, number> = {
  X25519: NamedGroup.x25519,
  X448: NamedGroup.x448,
  'P-256': NamedGroup.secp256r1,
  'P-384': NamedGroup.secp384r1,
  'P-521': NamedGroup.secp521r1,
  ffdhe2048: NamedGroup.ffdhe2048,
  ffdhe3072: NamedGroup.ffdhe3072,
  ffdhe4096: NamedGroup.ffdhe4096,
  ffdhe6144: NamedGroup.ffdhe6144,
  ffdhe8192: NamedGroup.ffdhe8192,
};

function contextFor(o: InterimOptions, server: boolean): TlsContext {
  const opts: TlsContextOptions = {};
  const copy = opts as { -readonly [K in keyof TlsContextOptions]: TlsContextOptions[K] };
  if (o.cert && o.key) {
    copy.certificate = { chain: pemDecode(o.cert).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der), key: parsePrivateKey(o.key) };
  }
  const anchors = o.ca !== undefined ? caFromOption(o.ca) : server ? [] : caFromOption([...rootCertificates]);
  copy.verifier = new DefaultVerifier({ ca: anchors });
  copy.rejectUnauthorized = o.rejectUnauthorized ?? true;
  if (o.minVersion) copy.minVersion = VERSIONS[o.minVersion];
  if (o.maxVersion) copy.maxVersion = VERSIONS[o.maxVersion];
  if (o.ciphersuites) copy.cipherSuites = o.ciphersuites.split(':').map((n) => suiteByName(n)!.id);
  if (o.ecdhCurve) copy.groups = o.ecdhCurve.split(':').map((n) => GROUPS[n]!);
  if (o.ALPNProtocols) copy.alpnProtocols = o.ALPNProtocols;
  if (server) {
    copy.requestCert = o.requestCert ?? false;
    copy.requireCert = o.requireCert ?? false;
  }
  return new TlsContext(opts);
}

/** A TlsSocket look-alike (the part the CLI uses). */
export class InterimTlsSocket extends Duplex {
  readonly connection: Connection;
  authorized = false;
  authorizationError: Error | undefined;
  private secured = false;
  private ended = false;

  constructor(
    readonly raw: net.Socket,
    conn: Connection,
  ) {
    super({ allowHalfOpen: false });
    this.connection = conn;
    conn.on('handshake', () => {
      this.secured = true;
      const v = conn.peerVerification;
      this.authorized = v?.authorized ?? false;
      this.authorizationError = v?.error;
      this.emit(conn.role === 'client' ? 'secureConnect' : 'secure');
    });
    conn.on('keylog', (line) => this.emit('keylog', Buffer.from(`${line}\n`, 'latin1')));
    raw.on('data', (b: Buffer) => {
      try {
        conn.receive(new Uint8Array(b.buffer, b.byteOffset, b.length));
      } catch (e) {
        this.flush();
        this.destroy(e as Error);
        return;
      }
      this.flush();
    });
    raw.on('end', () => this.finishRead());
    raw.on('error', (e) => this.destroy(e));
    raw.on('close', () => {
      this.finishRead();
      if (!this.destroyed) this.destroy();
    });
  }

  get alpnProtocol(): string | false {
    return this.connection.alpnProtocol;
  }
  getProtocol(): string | null {
    return this.connection.protocol;
  }
  getCipher(): { name: string; standardName: string; version: string } | undefined {
    const s = this.connection.cipherSuite;
    return s ? { name: s.opensslName, standardName: s.name, version: this.connection.protocol ?? '' } : undefined;
  }
  isSessionReused(): boolean {
    return this.connection.negotiated.resumed ?? false;
  }
  keyUpdate(type: KeyUpdateType): void {
    this.connection.keyUpdate(type);
  }
  getKeyUpdateType(): KeyUpdateType {
    return this.connection.getKeyUpdateType();
  }
  doHandshake(): Promise<void> {
    try {
      this.connection.doHandshake();
    } catch (e) {
      this.flush();
      return Promise.reject(e);
    }
    return this.flushAsync();
  }

  /** Client: start the handshake once TCP is up. */
  start(): void {
    this.connection.doHandshake();
    this.flush();
  }

  private finishRead(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.secured && !this.destroyed) {
      this.destroy(new Error('socket closed before the TLS handshake completed'));
      return;
    }
    this.push(null);
  }

  private flush(): void {
    const out = this.connection.takeOutgoing();
    if (out && !this.raw.destroyed) this.raw.write(out);
    if (this.connection.failure) return;
    let data: Uint8Array | null;
    try {
      data = this.connection.read();
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    const out2 = this.connection.takeOutgoing();
    if (out2 && !this.raw.destroyed) this.raw.write(out2);
    if (data && data.length > 0) this.push(Buffer.from(data));
    if (this.connection.peerClosed) this.finishRead();
  }

  private flushAsync(): Promise<void> {
    const out = this.connection.takeOutgoing();
    if (!out || this.raw.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => this.raw.write(out, (e) => (e ? reject(e) : resolve())));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    try {
      this.connection.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (e) {
      cb(e as Error);
      return;
    }
    const out = this.connection.takeOutgoing();
    if (out && !this.raw.destroyed) this.raw.write(out, () => cb());
    else cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.connection.close();
    const out = this.connection.takeOutgoing();
    if (out && !this.raw.destroyed) this.raw.write(out);
    this.raw.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }
}

export function interimConnect(o: InterimOptions): InterimTlsSocket {
  const ctx = contextFor(o, false);
  const host = o.host ?? 'localhost';
  const sni = o.servername ?? (net.isIP(host) ? undefined : host);
  const raw = net.connect({ host, port: o.port ?? 443 });
  raw.setNoDelay(true);
  const sock = new InterimTlsSocket(raw, new Connection(ctx, 'client', sni ? { serverName: sni } : {}));
  raw.on('connect', () => {
    sock.emit('connect');
    try {
      sock.start();
    } catch (e) {
      sock.destroy(e as Error);
    }
  });
  return sock;
}

export interface InterimServer {
  readonly server: net.Server;
  /** Called with each new socket before its handshake (for -msg). */
  onSocket?: (s: InterimTlsSocket) => void;
}

export function interimCreateServer(o: InterimOptions, onSecure: (s: InterimTlsSocket) => void, onSocket: (s: InterimTlsSocket) => void): net.Server {
  const ctx = contextFor(o, true);
  return net.createServer((raw) => {
    raw.setNoDelay(true);
    const sock = new InterimTlsSocket(raw, new Connection(ctx, 'server'));
    onSocket(sock);
    sock.on('secure', () => onSecure(sock));
  });
}
