/**
 * What s_client and s_server share: the IO streams, one-line errors, the
 * stdin line reader, and the TLS layer (the Node adapter's connect() and
 * server sockets). Flags → options: tls-flags.ts; status lines: summary.ts;
 * typed commands: commands.ts; -keylogfile / -sess_*: sessfile.ts.
 */
import net, { type AddressInfo } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { KeyUpdateType } from '../common/constants.js';
import type { Connection } from '../ssl/connection.js';
import type { RenegotiationPolicy } from '../ssl/context.js';
import { connect, createSecureContext, createServer, TlsSocket } from '../node/index.js';

/** The streams a command uses (process's by default; tests pass their own). */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** A failure at run time (connection refused, handshake failed): one line, exit 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    // node's own errors (ECONNREFUSED ...) carry the code in the message already
    return e.message || (code ?? e.name);
  }
  return String(e);
}

// ------------------------------------------------------------ stdin lines

/**
 * Calls `onLine` for each complete line of `input` (without its newline) and
 * `onEnd` at EOF (a last unterminated line is delivered first). Lines are
 * handled one at a time: the next waits for the previous promise.
 */
export function readLines(input: Readable, onLine: (line: string) => Promise<void> | void, onEnd: () => void): () => void {
  let buf = '';
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = (line: string): void => {
    chain = chain.then(() => (stopped ? undefined : onLine(line))).catch(() => undefined);
  };
  const onData = (chunk: Buffer | string): void => {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      run(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
    }
  };
  const onClose = (): void => {
    input.off('data', onData);
    input.off('end', onClose);
    if (buf.length > 0) run(buf);
    buf = '';
    chain = chain.then(() => (stopped ? undefined : onEnd()));
  };
  input.on('data', onData);
  input.on('end', onClose);
  input.resume();
  return () => {
    stopped = true;
    input.off('data', onData);
    input.off('end', onClose);
    input.pause();
  };
}

/** Write a line to a stream (adds the newline). */
export function println(out: Writable, line: string): void {
  out.write(`${line}\n`);
}

// ------------------------------------------------------------ the TLS layer

/** The part of the adapter's TlsSocket (node:tls shaped) the CLI uses. */
export interface CliSocket extends Duplex {
  getProtocol(): string | null;
  getCipher(): { name: string; standardName?: string; version: string } | undefined;
  readonly alpnProtocol: string | false | null | undefined;
  readonly authorized: boolean;
  readonly authorizationError?: Error | string | null;
  isSessionReused(): boolean;
  /** Our / the peer's latest Finished verify_data. */
  getFinished(): Buffer | undefined;
  getPeerFinished(): Buffer | undefined;
  keyUpdate(type: KeyUpdateType): void;
  getKeyUpdateType(): KeyUpdateType;
  doHandshake(): Promise<void>;
  /** node's renegotiate(): TLS 1.2, a full handshake (a server: HelloRequest). */
  renegotiate(options: { requestCert?: boolean; rejectUnauthorized?: boolean }, callback?: (err: Error | null) => void): boolean | undefined;
  /** puretls's: as renegotiate(), a client offering the current session. */
  renegotiateAbbreviated(callback?: (err: Error | null) => void): boolean | undefined;
  /** The sans-IO core (null until it exists). */
  readonly connection: Connection | null;
}

/** The socket's sans-IO Connection (for -msg, and the group and signature scheme that node:tls's API does not show). */
export function connectionOf(s: CliSocket): Connection | null {
  return s.connection;
}

/** node:tls option names (the subset the CLI sets). */
export interface TlsOptions {
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
  /** TLS 1.2 suites, an OpenSSL cipher string (-cipher). */
  ciphers?: string;
  ecdhCurve?: string;
  requestCert?: boolean;
  /** Client: offer TLS 1.3 post-handshake authentication (-enable_pha). */
  postHandshakeAuth?: boolean;
  /** A session to offer (the bytes of a 'session' event / -sess_in). */
  session?: Uint8Array;
  /** The adapter's renegotiation policy (the renegotiation flags). */
  renegotiation?: Partial<RenegotiationPolicy>;
  /** OpenSSL's SSL_OP_* flags as node's secureOptions: only SSL_OP_NO_TICKET (-no_ticket). */
  secureOptions?: number;
}

/** connect(), the adapter's (node:tls shaped). Option errors throw here. */
export function tlsConnect(options: TlsOptions): CliSocket {
  return connect({ ...options, noDelay: true });
}

export interface CliServer {
  /** Resolves with the bound address once listening. */
  listen(port: number, host: string): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

/**
 * A server: a net.Server whose connections become server-side TlsSockets
 * (node's `new TLSSocket(socket, { isServer: true, ... })`), so that
 * `onSocket` sees each one before its handshake (-msg shows the ClientHello),
 * and `onSecure` after it. One SecureContext is shared by all connections.
 * Option errors throw here.
 */
export function tlsServer(options: TlsOptions, onSocket: (s: CliSocket) => void, onSecure: (s: CliSocket) => void): CliServer {
  const { ca, cert, key, minVersion, maxVersion, ciphersuites, ciphers, ecdhCurve, renegotiation, secureOptions, ...rest } = options;
  const secureContext = createSecureContext({
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(minVersion !== undefined ? { minVersion } : {}),
    ...(maxVersion !== undefined ? { maxVersion } : {}),
    ...(ciphersuites !== undefined ? { ciphersuites } : {}),
    ...(ciphers !== undefined ? { ciphers } : {}),
    ...(ecdhCurve !== undefined ? { ecdhCurve } : {}),
    ...(renegotiation !== undefined ? { renegotiation } : {}),
    ...(secureOptions !== undefined ? { secureOptions } : {}),
  });
  const socketOptions = { ...rest, secureContext, isServer: true };
  createServer(socketOptions); // checks the remaining options now (a net.Server that never listens)
  const server = net.createServer({ noDelay: true }, (raw) => {
    let sock: TlsSocket;
    try {
      sock = new TlsSocket(raw, socketOptions);
    } catch {
      raw.destroy();
      return;
    }
    onSocket(sock);
    sock.once('secure', () => onSecure(sock));
  });
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as AddressInfo;
          resolve({ host: a.address, port: a.port });
        });
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
