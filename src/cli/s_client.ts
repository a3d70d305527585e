/**
 * `puretls s_client`: connect, print OpenSSL-like status lines after the
 * handshake, then copy stdin lines to the server and the server's data to
 * stdout. Lines `k` / `K` (key update), `R` (renegotiation), `r`
 * (abbreviated renegotiation, puretls's) and `Q` (quit) are commands unless
 * -quiet, as in `openssl s_client` (see commands.ts).
 *
 * Sessions: -sess_in offers a stored session (TLS 1.3 or 1.2); -sess_out
 * stores the latest one each time one arrives (a TLS 1.3 ticket, a TLS 1.2
 * full handshake); -reconnect drops and reconnects 5 times with the latest
 * session (unlike OpenSSL 3.0's, after the first ticket has arrived, so
 * that TLS 1.3 connections can be resumed).
 */
import net from 'node:net';
import type { Session } from '../session/session.js';
import { parseCertificate } from '../x509/certificate.js';
import { CLIENT_FLAGS, UsageError, has, helpText, parseFlags, parseHostPort, readFileFlag, str } from './args.js';
import { attachMsgTrace } from './msg.js';
import { sharedCommand, type CommandContext } from './commands.js';
import { isTls13Session, openKeylog, openSessionOut, readSessionFile, ticketLines } from './sessfile.js';
import { CliError, type CliIo, type CliSocket, type TlsOptions, connectionOf, errorText, println, readLines, tlsConnect } from './session.js';
import { coreFacts, summaryLines, verifyReturn } from './summary.js';
import { applyCipherFlags, renegotiationFlags, versionOptions } from './tls-flags.js';

const CLOSE_GRACE_MS = 2_000;
/** -reconnect: how many times (OpenSSL's). */
export const RECONNECTS = 5;
/** -reconnect: how long to wait for a ticket before dropping a connection anyway. */
const TICKET_WAIT_MS = 1_000;

interface ClientPlan {
  host: string;
  port: number;
  options: TlsOptions;
  quiet: boolean;
  msg: boolean;
  keylog?: (line: string | Uint8Array) => void;
  /** -sess_out: store the latest session. */
  sessOut?: (bytes: Uint8Array) => void;
  /** -reconnect */
  reconnect: boolean;
  /** -no_renegotiation */
  noRenegotiation: boolean;
}

/** Flags → what to do. Every user mistake is a UsageError here, before any IO. */
export function planClient(argv: readonly string[]): ClientPlan | 'help' {
  const flags = parseFlags('s_client', CLIENT_FLAGS, argv);
  if (has(flags, 'help')) return 'help';
  const { host, port } = parseHostPort('connect', str(flags, 'connect') ?? '127.0.0.1:4433');
  if (port === 0) throw new UsageError(`-connect: bad port '0' (expected 1..65535)`);
  const reneg = renegotiationFlags(flags, 'client');
  const options: TlsOptions = {
    host,
    port,
    // As openssl s_client: report the verification result, continue anyway.
    rejectUnauthorized: has(flags, 'verify_return_error'),
    ...versionOptions(flags),
    renegotiation: reneg.policy,
  };
  const sni = str(flags, 'servername');
  if (sni !== undefined) {
    if (sni.length === 0) throw new UsageError('-servername: empty name');
    options.servername = sni;
  }
  const caFile = str(flags, 'CAfile');
  if (caFile !== undefined) {
    options.ca = readFileFlag('CAfile', caFile);
    if (!/-----BEGIN CERTIFICATE-----/.test(options.ca)) throw new UsageError(`-CAfile ${caFile}: no PEM certificate in the file`);
  }
  const certFile = str(flags, 'cert');
  const keyFile = str(flags, 'key');
  if (keyFile !== undefined && certFile === undefined) throw new UsageError('-key needs -cert');
  if (certFile !== undefined) {
    options.cert = readFileFlag('cert', certFile);
    options.key = keyFile !== undefined ? readFileFlag('key', keyFile) : options.cert; // as OpenSSL: key defaults to the cert file
    if (!/-----BEGIN CERTIFICATE-----/.test(options.cert)) throw new UsageError(`-cert ${certFile}: no PEM certificate in the file`);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(options.key)) throw new UsageError(`-key ${keyFile ?? certFile}: no PEM private key in the file`);
  }
  if (has(flags, 'enable_pha')) options.postHandshakeAuth = true;
  applyCipherFlags(flags, options);
  // -sess_in is read before -sess_out is opened: they may name the same file.
  const sessIn = str(flags, 'sess_in');
  if (sessIn !== undefined) options.session = readSessionFile('sess_in', sessIn);
  const sessOut = str(flags, 'sess_out');
  const keylogFile = str(flags, 'keylogfile');
  return {
    host,
    port,
    options,
    quiet: has(flags, 'quiet'),
    msg: has(flags, 'msg'),
    reconnect: has(flags, 'reconnect'),
    noRenegotiation: reneg.disabled,
    ...(keylogFile !== undefined ? { keylog: openKeylog(keylogFile) } : {}),
    ...(sessOut !== undefined ? { sessOut: openSessionOut('sess_out', sessOut) } : {}),
  };
}

function peerSummary(sock: CliSocket): string[] {
  const conn = connectionOf(sock);
  const lines: string[] = [];
  const leaf = conn?.peerCertificates[0];
  if (leaf) {
    try {
      const c = parseCertificate(leaf);
      lines.push('---', 'Server certificate', `subject=${c.subject.text}`, `issuer=${c.issuer.text}`);
    } catch {
      // unparseable certificates fail the handshake before we get here
    }
  }
  return lines;
}

/** Run `puretls s_client argv...`; resolves when the connection is over. */
export async function runClient(argv: readonly string[], io: CliIo): Promise<void> {
  const plan = planClient(argv);
  if (plan === 'help') {
    io.stdout.write(helpText('s_client', CLIENT_FLAGS));
    return;
  }
  let session = plan.options.session;
  if (plan.reconnect) {
    for (let i = 0; i < RECONNECTS; i++) {
      session = (await runConnection(plan, io, session, 'drop')) ?? session;
      if (!plan.quiet) println(io.stdout, 'drop connection and then reconnect');
    }
  }
  await runConnection(plan, io, session, 'interactive');
}

/**
 * One connection offering `session`. 'interactive': stdin lines go to the
 * server until EOF / Q / the server closes. 'drop' (-reconnect): once the
 * handshake is done and a ticket has come (or TICKET_WAIT_MS passed), close.
 * Resolves with the latest session received on this connection, if any.
 */
function runConnection(plan: ClientPlan, io: CliIo, session: Uint8Array | undefined, mode: 'interactive' | 'drop'): Promise<Uint8Array | undefined> {
  const { host, port, quiet } = plan;
  const out = (line: string): void => println(io.stdout, line);
  const err = (line: string): void => println(io.stderr, line);

  let sock: CliSocket;
  try {
    const { session: _stored, ...options } = plan.options;
    sock = tlsConnect(session ? { ...options, session } : options);
  } catch (e) {
    return Promise.reject(new CliError(`s_client: ${errorText(e)}`));
  }
  const conn = connectionOf(sock);
  if (plan.msg) {
    if (conn) attachMsgTrace(conn, out);
    else err('puretls: -msg: this socket does not expose its Connection; no message trace');
  }
  if (plan.keylog) sock.on('keylog', plan.keylog);
  // A TLS 1.2 session comes with the handshake: its lines are the summary's.
  if (conn && !quiet) conn.on('session', (s: Session) => (isTls13Session(s) ? ticketLines(s).forEach(out) : undefined));
  const commands: CommandContext = { role: 'client', noRenegotiation: plan.noRenegotiation, out, err };
  let latest: Uint8Array | undefined;

  return new Promise<Uint8Array | undefined>((resolve, reject) => {
    let secured = false;
    let settled = false;
    let stopInput: (() => void) | null = null;
    let closeTimer: NodeJS.Timeout | undefined;
    let ticketTimer: NodeJS.Timeout | undefined;

    const settle = (e?: Error): void => {
      if (settled) return;
      settled = true;
      stopInput?.();
      clearTimeout(closeTimer);
      clearTimeout(ticketTimer);
      if (!sock.destroyed) sock.destroy();
      if (e) reject(e);
      else resolve(latest);
    };
    /** Send close_notify, then wait (briefly) for the peer's. */
    const close = (): void => {
      if (settled || closeTimer) return;
      clearTimeout(ticketTimer);
      stopInput?.();
      stopInput = null;
      if (!sock.writableEnded) sock.end();
      closeTimer = setTimeout(() => settle(), CLOSE_GRACE_MS);
      closeTimer.unref?.();
    };
    /** -reconnect: drop once the tickets read with this one are in (they often come together). */
    const dropSoon = (): void => {
      if (mode !== 'drop' || !secured || closeTimer) return;
      clearTimeout(ticketTimer);
      ticketTimer = setTimeout(close, 0);
    };

    sock.on('session', (bytes: Uint8Array) => {
      latest = bytes;
      try {
        plan.sessOut?.(bytes);
      } catch (e) {
        err(`puretls: -sess_out: cannot write the session: ${errorText(e)}`);
      }
      dropSoon();
    });

    const onLine = async (line: string): Promise<void> => {
      if (!quiet) {
        const shared = sharedCommand(sock, line, commands);
        if (shared) return shared;
        if (line === 'Q') {
          err('DONE');
          close();
          return;
        }
      }
      sock.write(`${line}\n`);
    };

    // TCP is up (TlsSocket's transport is the net.Socket; node:tls re-emits 'connect' itself).
    const transport = (sock as { transport?: unknown }).transport;
    const tcp = transport instanceof net.Socket ? transport : sock;
    tcp.once('connect', () => {
      if (!quiet) out('CONNECTED(00000003)');
    });
    sock.once('secureConnect', () => {
      secured = true;
      if (!quiet) {
        const cipher = sock.getCipher();
        const lines = [
          ...peerSummary(sock),
          ...summaryLines(
            {
              protocol: sock.getProtocol(),
              cipher: cipher?.name ?? null,
              resumed: sock.isSessionReused(),
              alpn: sock.alpnProtocol || false,
              ...coreFacts(conn),
              verify: verifyReturn(sock.authorized, sock.authorizationError),
            },
            'client',
          ),
        ];
        for (const l of lines) out(l);
      }
      if (mode === 'drop') {
        // TLS 1.2: the session comes with the handshake (released right after this event), or is the one resumed.
        if (latest || sock.getProtocol() === 'TLSv1.2') dropSoon();
        else ticketTimer = setTimeout(close, TICKET_WAIT_MS);
        return;
      }
      stopInput = readLines(io.stdin, onLine, () => {
        // As OpenSSL: EOF on stdin closes the connection, except with -quiet (which implies -ign_eof).
        if (!quiet) {
          err('DONE');
          close();
        }
      });
    });
    sock.on('data', (d: Buffer) => io.stdout.write(d));
    sock.on('end', () => {
      if (mode === 'interactive' && !quiet && !settled && !closeTimer) err('closed');
      // the peer is done: answer its close_notify, then finish on 'close'
      close();
    });
    sock.on('close', () => settle());
    sock.on('error', (e: Error) => {
      if (mode === 'drop' && closeTimer) return settle(); // an error while dropping the connection does not matter
      const what = secured ? 'connection' : 'handshake';
      const detail = errorText(e);
      if (!secured && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN/.test(detail)) {
        settle(new CliError(`s_client: cannot connect to ${host}:${port}: ${detail}`));
      } else {
        settle(new CliError(`s_client: ${what} with ${host}:${port} failed: ${detail}`));
      }
    });
  });
}
