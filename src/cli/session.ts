/**
 * What s_client and s_server share: the IO streams, flag → option mapping,
 * the status lines printed after a handshake, OpenSSL's verify codes, the
 * stdin line reader with its one-letter commands, and -keylogfile.
 */
import { appendFileSync, closeSync, openSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { KeyUpdateType as KeyUpdate, NamedGroup, ProtocolVersion, SignatureScheme, nameOf, type KeyUpdateType } from '../common/constants.js';
import { SUITES, suiteByName, suiteInfo } from '../crypto/suites.js';
import { Session } from '../session/session.js';
import { Connection } from '../ssl/connection.js';
import { TlsContext } from '../ssl/context.js';
import { UsageError, listFlag, readFileFlag, str, type ParsedFlags } from './args.js';
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

// ------------------------------------------------------------ TLS options

/** Is the library able to do TLS 1.2 yet? (TlsContext refuses versions it cannot do.) */
export function tls12Supported(): boolean {
  try {
    new TlsContext({ minVersion: ProtocolVersion.TLSv1_2, maxVersion: ProtocolVersion.TLSv1_2 });
    return true;
  } catch {
    return false;
  }
}

/** -tls1_2 / -tls1_3 → node:tls minVersion/maxVersion. */
export function versionOptions(tls12: boolean, tls13: boolean): { minVersion?: string; maxVersion?: string } {
  if (tls12 && tls13) throw new UsageError('-tls1_2 and -tls1_3 cannot be used together');
  if (tls12) {
    if (!tls12Supported()) throw new UsageError('-tls1_2: TLS 1.2 is not implemented yet (coming in a later issue)');
    return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
  }
  if (tls13) return { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
  return {};
}

/** -ciphersuites: TLS 1.3 suites by IANA name, checked here for a clear message. */
export function ciphersuitesOption(value: string): string {
  const names = listFlag(value, ':');
  if (names.length === 0) throw new UsageError('-ciphersuites: empty list');
  for (const n of names) {
    const s = suiteByName(n);
    if (!s || s.version !== '1.3') {
      const known = SUITES.filter((x) => x.version === '1.3').map((x) => x.name);
      throw new UsageError(`-ciphersuites: unknown TLS 1.3 cipher suite '${n}' (known: ${known.join(', ')})`);
    }
  }
  return names.join(':');
}

/** -cipher: TLS 1.2 suites (OpenSSL or IANA names). */
export function cipherOption(value: string): string {
  if (!tls12Supported()) throw new UsageError('-cipher: TLS 1.2 cipher suites are not implemented yet (use -ciphersuites for TLS 1.3)');
  const names = listFlag(value, ':');
  for (const n of names) {
    const s = suiteByName(n);
    if (!s || s.version !== '1.2') throw new UsageError(`-cipher: unknown TLS 1.2 cipher suite '${n}'`);
  }
  return names.join(':');
}

const GROUP_ALIASES: Readonly<Record<string, string>> = {
  x25519: 'X25519',
  x448: 'X448',
  'p-256': 'P-256',
  prime256v1: 'P-256',
  secp256r1: 'P-256',
  'p-384': 'P-384',
  secp384r1: 'P-384',
  'p-521': 'P-521',
  secp521r1: 'P-521',
  ffdhe2048: 'ffdhe2048',
  ffdhe3072: 'ffdhe3072',
  ffdhe4096: 'ffdhe4096',
  ffdhe6144: 'ffdhe6144',
  ffdhe8192: 'ffdhe8192',
};

/** -groups a:b → node:tls ecdhCurve ('X25519:P-256'), with OpenSSL's aliases. */
export function groupsOption(value: string): string {
  const names = listFlag(value, ':');
  if (names.length === 0) throw new UsageError('-groups: empty list');
  return names
    .map((n) => {
      const g = GROUP_ALIASES[n.toLowerCase()];
      if (!g) throw new UsageError(`-groups: unknown group '${n}' (known: x25519, P-256, P-384, P-521, x448, ffdhe2048..ffdhe8192)`);
      return g;
    })
    .join(':');
}

/** -alpn h2,http/1.1 → ['h2', 'http/1.1']. */
export function alpnOption(value: string): string[] {
  const list = listFlag(value, ',');
  if (list.length === 0) throw new UsageError('-alpn: empty list');
  for (const p of list) if (Buffer.byteLength(p) > 255) throw new UsageError(`-alpn: protocol name too long: ${p.slice(0, 20)}...`);
  return list;
}

/** The cipher, group and ALPN flags s_client and s_server share, applied to node:tls options. */
export function applyCipherFlags(flags: ParsedFlags, options: TlsOptions): void {
  const suites = str(flags, 'ciphersuites');
  if (suites !== undefined) options.ciphersuites = ciphersuitesOption(suites);
  const cipher = str(flags, 'cipher');
  if (cipher !== undefined) cipherOption(cipher); // exits with a clear message until TLS 1.2 lands
  const groups = str(flags, 'groups');
  if (groups !== undefined) options.ecdhCurve = groupsOption(groups);
  const alpn = str(flags, 'alpn');
  if (alpn !== undefined) options.ALPNProtocols = alpnOption(alpn);
}

// ------------------------------------------------------------ keylog

/** -keylogfile: append one line per secret. Checks the file can be opened now. */
export function openKeylog(path: string): (line: string | Uint8Array) => void {
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw new UsageError(`cannot write -keylogfile ${path}: ${(e as NodeJS.ErrnoException).code ?? errorText(e)}`);
  }
  return (line) => {
    const text = typeof line === 'string' ? line : Buffer.from(line).toString('latin1');
    appendFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
  };
}

// ------------------------------------------------------------ sessions (-sess_out / -sess_in)

/** The PEM label of a stored session (OpenSSL's is SSL SESSION PARAMETERS; ours is not interchangeable). */
export const SESSION_PEM_LABEL = 'PURETLS SESSION';

/** Session bytes (Session.toBytes(), or a 'session' event's Buffer) as PEM, 64-character lines. */
export function sessionToPem(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${SESSION_PEM_LABEL}-----\n${lines.join('\n')}\n-----END ${SESSION_PEM_LABEL}-----\n`;
}

/**
 * The session in a -sess_out file, checked (Session.fromBytes).
 * @throws {UsageError} one line naming the file and what is wrong
 */
export function sessionFromPem(flag: string, path: string, text: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${SESSION_PEM_LABEL}-----([^-]*)-----END ${SESSION_PEM_LABEL}-----`).exec(text);
  if (!m) throw new UsageError(`-${flag} ${path}: no ${SESSION_PEM_LABEL} PEM block in the file (write one with -sess_out)`);
  const body = m[1]!.replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new UsageError(`-${flag} ${path}: the ${SESSION_PEM_LABEL} block is not base64`);
  const bytes = new Uint8Array(Buffer.from(body, 'base64'));
  try {
    Session.fromBytes(bytes);
  } catch (e) {
    const why = errorText(e).replace(/^Session\.fromBytes: /, '');
    throw new UsageError(`-${flag} ${path}: ${/^not a/.test(why) ? why : `not a valid puretls session (${why})`}`);
  }
  return bytes;
}

/** -sess_in FILE → the session bytes to offer. */
export function readSessionFile(flag: string, path: string): Uint8Array {
  return sessionFromPem(flag, path, readFileFlag(flag, path));
}

/**
 * -sess_out FILE: checks now that the file can be written (without truncating
 * it: it may also be the -sess_in file); the writer replaces its content with
 * the latest session each time (mode 0600 when created: the bytes are a secret).
 */
export function openSessionOut(flag: string, path: string): (bytes: Uint8Array) => void {
  try {
    closeSync(openSync(path, 'a', 0o600));
  } catch (e) {
    throw new UsageError(`cannot write -${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? errorText(e)}`);
  }
  return (bytes) => writeFileSync(path, sessionToPem(bytes), { mode: 0o600 });
}

/** OpenSSL's block for a TLS 1.3 ticket (s_client prints it as each NewSessionTicket arrives). */
export function ticketLines(s: Session): string[] {
  const suite = suiteInfo(s.cipherSuite)?.name ?? `0x${s.cipherSuite.toString(16).padStart(4, '0')}`;
  return [
    '---',
    'Post-Handshake New Session Ticket arrived:',
    'SSL-Session:',
    '    Protocol  : TLSv1.3',
    `    Cipher    : ${suite}`,
    `    TLS session ticket lifetime hint: ${s.lifetimeSeconds} (seconds)`,
    `    Max Early Data: ${s.maxEarlyData}`,
    '---',
  ];
}

// ------------------------------------------------------------ status lines

/** OpenSSL's X509_V_ERR numbers for our verification codes (s_client "Verify return code"). */
const VERIFY_CODES: Readonly<Record<string, number>> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  CERT_SIGNATURE_FAILURE: 7,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  UNHANDLED_CRITICAL_EXTENSION: 34,
  PERMITTED_SUBTREE_VIOLATION: 47,
  EXCLUDED_SUBTREE_VIOLATION: 48,
  ERR_TLS_CERT_ALTNAME_INVALID: 62,
};

const VERIFY_TEXT: Readonly<Record<number, string>> = {
  2: 'unable to get issuer certificate',
  7: 'certificate signature failure',
  9: 'certificate is not yet valid',
  10: 'certificate has expired',
  18: 'self-signed certificate',
  19: 'self-signed certificate in certificate chain',
  20: 'unable to get local issuer certificate',
  21: 'unable to verify the first certificate',
  22: 'certificate chain too long',
  24: 'invalid CA certificate',
  25: 'path length constraint exceeded',
  26: 'unsuitable certificate purpose',
  27: 'certificate not trusted',
  28: 'certificate rejected',
  34: 'unhandled critical extension',
  47: 'permitted subtree violation',
  48: 'excluded subtree violation',
  62: 'hostname mismatch',
};

/** `0 (ok)`, `18 (self-signed certificate)`, ... from node's authorizationError. */
export function verifyReturn(authorized: boolean, error: unknown): string {
  if (authorized) return '0 (ok)';
  const code = error instanceof Error ? ((error as { code?: string }).code ?? '') : typeof error === 'string' ? error : '';
  const n = VERIFY_CODES[code];
  if (n !== undefined) return `${n} (${VERIFY_TEXT[n]})`;
  const text = error instanceof Error ? error.message : code || 'unknown error';
  return `1 (${text})`;
}

/** Names for the summary: group and signature scheme as OpenSSL-ish words. */
export function groupName(g: number | undefined): string | undefined {
  if (g === undefined) return undefined;
  const n = nameOf(NamedGroup as unknown as Record<string, number>, g);
  return n === 'x25519' ? 'X25519' : n;
}

export function schemeName(s: number | undefined): string | undefined {
  return s === undefined ? undefined : nameOf(SignatureScheme as unknown as Record<string, number>, s);
}

/** What the summary needs to know about a finished handshake. */
export interface HandshakeFacts {
  protocol: string | null;
  cipher: string | null;
  resumed: boolean;
  alpn: string | false;
  group?: string;
  peerSignature?: string;
  /** Client side: the server's certificate check. */
  verify?: string;
  /** Server side: the client's certificate subject (null: none sent). */
  peerSubject?: string | null;
}

/** The OpenSSL-like lines printed after each handshake. */
export function summaryLines(f: HandshakeFacts, role: 'client' | 'server'): string[] {
  const proto = f.protocol ?? '(NONE)';
  const cipher = f.cipher ?? '(NONE)';
  const lines = ['---'];
  if (role === 'server') lines.push(`CIPHER is ${cipher}`);
  lines.push(`${f.resumed ? 'Reused' : 'New'}, ${proto}, Cipher is ${cipher}`);
  if (f.group) lines.push(role === 'client' ? `Server Temp Key: ${f.group}` : `Shared group: ${f.group}`);
  if (f.peerSignature) lines.push(`Peer signature type: ${f.peerSignature}`);
  if (role === 'server' && f.peerSubject !== undefined) {
    lines.push(f.peerSubject === null ? 'No client certificate' : `Client certificate: ${f.peerSubject}`);
  }
  lines.push(f.alpn ? `ALPN protocol: ${f.alpn}` : 'No ALPN negotiated');
  lines.push('SSL-Session:', `    Protocol  : ${proto}`, `    Cipher    : ${cipher}`);
  if (f.verify !== undefined) lines.push(`Verify return code: ${f.verify}`);
  lines.push('---');
  return lines;
}

/** Facts the core knows (group, signature scheme) that node:tls's API does not show. */
export function coreFacts(conn: Connection | null): Pick<HandshakeFacts, 'group' | 'peerSignature'> {
  if (!conn) return {};
  return { group: groupName(conn.negotiated.group), peerSignature: schemeName(conn.negotiated.peerSignatureScheme) };
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
  readonly authorizationError?: Error | string;
  isSessionReused(): boolean;
  keyUpdate(type: KeyUpdateType): void;
  getKeyUpdateType(): KeyUpdateType;
  doHandshake(): Promise<void>;
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
  ecdhCurve?: string;
  requestCert?: boolean;
  /** A session to offer (the bytes of a 'session' event / -sess_in). */
  session?: Uint8Array;
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
  const { ca, cert, key, minVersion, maxVersion, ciphersuites, ecdhCurve, ...rest } = options;
  const secureContext = createSecureContext({
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(minVersion !== undefined ? { minVersion } : {}),
    ...(maxVersion !== undefined ? { maxVersion } : {}),
    ...(ciphersuites !== undefined ? { ciphersuites } : {}),
    ...(ecdhCurve !== undefined ? { ecdhCurve } : {}),
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

// ------------------------------------------------------------ stdin commands

/** `k` / `K`: schedule a KeyUpdate and send it now; OpenSSL prints KEYUPDATE. */
/**
 * The interactive letters both s_client and s_server take (as OpenSSL): `k` / `K`
 * key update, `r` / `R` renegotiation. Returns null when `line` is not one of them.
 */
export function sharedCommand(sock: CliSocket, line: string, err: (line: string) => void): Promise<void> | null {
  switch (line) {
    case 'k':
    case 'K':
      return keyUpdateCommand(sock, line === 'K', err);
    case 'R':
    case 'r':
      return renegotiateCommand(sock, line === 'r', err);
    default:
      return null;
  }
}

export async function keyUpdateCommand(sock: CliSocket, requested: boolean, err: (line: string) => void): Promise<void> {
  try {
    sock.keyUpdate(requested ? KeyUpdate.REQUESTED : KeyUpdate.NOT_REQUESTED);
    await sock.doHandshake();
    err('KEYUPDATE');
  } catch (e) {
    err(`puretls: key update failed: ${errorText(e)}`);
  }
}

/** `R` / `r`: renegotiate (TLS 1.2 only), through the socket's control once it has one. */
export async function renegotiateCommand(sock: CliSocket, abbreviated: boolean, err: (line: string) => void): Promise<void> {
  if (sock.getProtocol() === 'TLSv1.3') return err('puretls: renegotiation is not possible on TLS 1.3');
  const s = sock as unknown as { renegotiate?: () => void; renegotiateAbbreviated?: () => void };
  const control = abbreviated ? s.renegotiateAbbreviated : s.renegotiate;
  if (typeof control !== 'function') return err('puretls: renegotiation is not implemented yet');
  try {
    control.call(sock);
    await sock.doHandshake();
    err('RENEGOTIATING');
  } catch (e) {
    err(`puretls: renegotiation failed: ${errorText(e)}`);
  }
}

/** `n` (server): send a NewSessionTicket, once the socket has that control. */
export async function newTicketCommand(sock: CliSocket, err: (line: string) => void): Promise<void> {
  const s = sock as unknown as { newSessionTicket?: () => void };
  if (typeof s.newSessionTicket !== 'function') return err('puretls: n: session tickets are not implemented yet');
  try {
    s.newSessionTicket.call(sock);
    await sock.doHandshake();
    err('NEW SESSION TICKET SENT');
  } catch (e) {
    err(`puretls: new session ticket failed: ${errorText(e)}`);
  }
}
