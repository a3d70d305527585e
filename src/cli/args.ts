/**
 * Command line parsing for `puretls s_client` / `s_server`, OpenSSL style:
 * single-dash flags, a flag's value is the next argument. Every user mistake
 * is a UsageError whose message is one line (main prints `puretls: <message>`
 * and exits 1, without a stack trace).
 */
import { readFileSync } from 'node:fs';

/** A mistake of the user's (bad flag, missing file, bad port): one line, exit 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Without the dash, e.g. 'connect'. */
  readonly name: string;
  /** The value's placeholder in help (e.g. 'HOST:PORT'); absent for a switch. */
  readonly value?: string;
  readonly help: string;
}

export type ParsedFlags = Map<string, string | true>;

/** -num_tickets: the core's limit (SSL_set_num_tickets takes a size_t in OpenSSL). */
export const MAX_NUM_TICKETS = 65535;

export const CLIENT_FLAGS: readonly FlagSpec[] = [
  { name: 'connect', value: 'HOST:PORT', help: 'where to connect (default 127.0.0.1:4433)' },
  { name: 'servername', value: 'NAME', help: 'SNI and the name checked in the certificate (default: the -connect host, unless an IP)' },
  { name: 'CAfile', value: 'FILE', help: 'trusted CA certificates, PEM (default: the built-in roots)' },
  { name: 'cert', value: 'FILE', help: 'client certificate chain, PEM (needs -key)' },
  { name: 'key', value: 'FILE', help: 'client private key, PEM (needs -cert)' },
  { name: 'enable_pha', help: 'Enable Post-Handshake Authentication (TLS 1.3: answer a server\'s later certificate request with -cert)' },
  { name: 'tls1_3', help: 'TLS 1.3 only' },
  { name: 'tls1_2', help: 'TLS 1.2 only' },
  { name: 'no_tls1_3', help: 'not TLS 1.3' },
  { name: 'no_tls1_2', help: 'not TLS 1.2' },
  { name: 'ciphersuites', value: 'LIST', help: 'TLS 1.3 cipher suites, colon separated (IANA names)' },
  { name: 'cipher', value: 'LIST', help: 'TLS 1.2 cipher suites: an OpenSSL cipher string (e.g. ECDHE-RSA-AES128-GCM-SHA256, ECDHE+AESGCM)' },
  { name: 'groups', value: 'LIST', help: 'key exchange groups, colon separated (x25519:P-256:P-384)' },
  { name: 'alpn', value: 'LIST', help: 'ALPN protocols to offer, comma separated (e.g. h2,http/1.1)' },
  { name: 'sess_out', value: 'FILE', help: 'File to write SSL session to (PEM, PURETLS SESSION): the latest, each TLS 1.3 ticket, each TLS 1.2 full handshake' },
  { name: 'sess_in', value: 'FILE', help: 'File to read SSL session from (from -sess_out) and resume (TLS 1.3 ticket, TLS 1.2 ticket or session ID)' },
  { name: 'no_renegotiation', help: 'refuse all renegotiation: answer HelloRequest with no_renegotiation, no R/r' },
  { name: 'legacy_renegotiation', help: 'refused: unsafe legacy renegotiation is not supported' },
  { name: 'legacy_server_connect', help: 'refused: servers without RFC 5746 secure renegotiation are not supported' },
  { name: 'reconnect', help: 'after the handshake (TLS 1.3: and its first ticket), drop and reconnect 5 times with the latest session, then go on' },
  { name: 'verify_return_error', help: 'fail the handshake when the server certificate does not verify' },
  { name: 'keylogfile', value: 'FILE', help: 'append NSS key log lines (SSLKEYLOGFILE format) to FILE' },
  { name: 'msg', help: 'print one line per handshake message and alert sent (>>>) and received (<<<)' },
  { name: 'quiet', help: 'no status lines; stdin lines are all data (no k/K/R/r/Q commands)' },
  { name: 'help', help: 'this help' },
];

export const SERVER_FLAGS: readonly FlagSpec[] = [
  { name: 'accept', value: '[HOST:]PORT', help: 'listen on HOST:PORT (default 127.0.0.1:4433; port 0 picks a free port)' },
  { name: 'cert', value: 'FILE', help: 'server certificate chain, PEM (required)' },
  { name: 'key', value: 'FILE', help: 'server private key, PEM (default: the -cert file)' },
  { name: 'CAfile', value: 'FILE', help: 'CA certificates that client certificates must chain to, PEM' },
  { name: 'verify', value: 'N', help: 'ask for a client certificate (depth N)' },
  { name: 'Verify', value: 'N', help: 'require a client certificate (depth N)' },
  { name: 'tls1_3', help: 'TLS 1.3 only' },
  { name: 'tls1_2', help: 'TLS 1.2 only' },
  { name: 'no_tls1_3', help: 'not TLS 1.3' },
  { name: 'no_tls1_2', help: 'not TLS 1.2' },
  { name: 'ciphersuites', value: 'LIST', help: 'TLS 1.3 cipher suites in preference order, colon separated' },
  { name: 'cipher', value: 'LIST', help: 'TLS 1.2 cipher suites: an OpenSSL cipher string (e.g. ECDHE-RSA-AES128-GCM-SHA256, ECDHE+AESGCM)' },
  { name: 'groups', value: 'LIST', help: 'key exchange groups, colon separated (x25519:P-256:P-384)' },
  { name: 'alpn', value: 'LIST', help: 'ALPN protocols to accept, comma separated, in preference order' },
  { name: 'num_tickets', value: 'N', help: 'The number of TLSv1.3 session tickets that a server will automatically issue (default 2, 0..65535; after a resumption one, none with 0)' },
  { name: 'no_ticket', help: 'Disable use of TLS session tickets (TLS 1.2 and 1.3: puretls has no stateful TLS 1.3 tickets, so none at all)' },
  { name: 'client_renegotiation', help: 'accept client-initiated renegotiation (TLS 1.2; default: refuse with a no_renegotiation warning)' },
  { name: 'no_renegotiation', help: 'refuse all renegotiation (also -client_renegotiation, and R/r)' },
  { name: 'legacy_renegotiation', help: 'refused: unsafe legacy renegotiation is not supported' },
  { name: 'legacy_server_connect', help: 'refused: servers without RFC 5746 secure renegotiation are not supported' },
  { name: 'www', help: 'answer HTTP GET with a status page (GET /keyupdate: KeyUpdate first; GET /secret: client cert)' },
  { name: 'keylogfile', value: 'FILE', help: 'append NSS key log lines (SSLKEYLOGFILE format) to FILE' },
  { name: 'msg', help: 'print one line per handshake message and alert sent (>>>) and received (<<<)' },
  { name: 'naccept', value: 'N', help: 'exit after N connections' },
  { name: 'quiet', help: 'no status lines; stdin lines are all data (no k/K/R/r/n/Q commands)' },
  { name: 'help', help: 'this help' },
];

/** Parse `argv` against `specs`. A repeated flag keeps its last value. */
export function parseFlags(command: string, specs: readonly FlagSpec[], argv: readonly string[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedFlags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new UsageError(`${command}: unexpected argument '${arg}' (see puretls ${command} -help)`);
    }
    // OpenSSL takes one dash; accept two as well, and -flag=value.
    let name = arg.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq > 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === 'h' || name === '?') name = 'help';
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`${command}: unknown option -${name} (see puretls ${command} -help)`);
    if (spec.value === undefined) {
      if (inline !== undefined) throw new UsageError(`${command}: -${name} takes no value`);
      out.set(name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`${command}: -${name} needs a value (${spec.value})`);
      value = argv[++i]!;
    }
    out.set(name, value);
  }
  return out;
}

/** `-help` text: usage and one line per flag. */
export function helpText(command: string, specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => `-${s.name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = specs.map((s, i) => `  ${left[i]!.padEnd(width)}${s.help}`);
  return `Usage: puretls ${command} [options]\n${lines.join('\n')}\n`;
}

export function str(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function has(flags: ParsedFlags, name: string): boolean {
  return flags.has(name);
}

/** A non-negative integer flag value within [min, max]. */
export function intFlag(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`-${name}: '${value}' is not a number`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`-${name}: ${value} is out of range (${min}..${max})`);
  return n;
}

/** A TCP port, 0..65535. */
export function parsePort(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`-${flag}: bad port '${value}' (expected a number 0..65535)`);
  const n = Number(value);
  if (n > 65535) throw new UsageError(`-${flag}: bad port '${value}' (expected a number 0..65535)`);
  return n;
}

/**
 * `HOST:PORT`, `[V6]:PORT`, or (when defaultHost is given) just `PORT`.
 * @throws {UsageError} on a bad port or a missing host
 */
export function parseHostPort(flag: string, value: string, defaultHost?: string): { host: string; port: number } {
  let host: string | undefined;
  let port: string;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(value);
  if (v6) {
    host = v6[1]!;
    port = v6[2]!;
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) {
      port = value;
    } else {
      host = value.slice(0, colon);
      port = value.slice(colon + 1);
    }
  }
  if (host === undefined || host === '') {
    if (defaultHost === undefined) throw new UsageError(`-${flag}: expected HOST:PORT, got '${value}'`);
    host = defaultHost;
  }
  return { host, port: parsePort(flag, port) };
}

/** Read a file named by a flag, or a UsageError `cannot read -cert server.pem: ENOENT`. */
export function readFileFlag(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new UsageError(`cannot read -${flag} ${path}: ${code}`);
  }
}

/** Split a list flag (`a:b:c` or `a,b`) and drop empty entries. */
export function listFlag(value: string, sep: string | RegExp): string[] {
  return value
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
