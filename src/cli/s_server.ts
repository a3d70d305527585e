/**
 * `puretls s_server`: listen, print OpenSSL-like lines per connection, write
 * what clients send to stdout and send stdin lines to the current (latest)
 * connection. Lines `k` / `K` (key update), `R` / `r` (renegotiation: a
 * HelloRequest), `n` (a TLS 1.3 session ticket), `c` (post-handshake client
 * authentication, TLS 1.3), `q` (close the connection)
 * and `Q` (close and exit) are commands unless -quiet (see commands.ts). As
 * OpenSSL 3, client-initiated renegotiation is refused (a no_renegotiation
 * warning) unless -client_renegotiation. `-www` answers HTTP GETs.
 *
 * Tickets: TLS 1.3 sends -num_tickets tickets after a full handshake
 * (default 2) and, as OpenSSL, one after a resumption (none with 0); TLS 1.2
 * sends an RFC 5077 ticket when the client asks. -no_ticket sends none at
 * all: OpenSSL's SSL_OP_NO_TICKET still issues stateful TLS 1.3 tickets (the
 * ticket is a session ID of its cache), which puretls does not have, so here
 * TLS 1.3 gets no ticket either (TLS 1.2 still resumes by session ID).
 */
import { KeyUpdateType } from '../common/constants.js';
import { SSL_OP_NO_TICKET } from '../node/options.js';
import { MAX_NUM_TICKETS, SERVER_FLAGS, UsageError, has, helpText, intFlag, parseFlags, parseHostPort, readFileFlag, str } from './args.js';
import { attachMsgTrace } from './msg.js';
import { newTicketCommand, sharedCommand, type CommandContext } from './commands.js';
import { clientAuthCommand, reportClientAuth, requestClientAuth, subjectOf } from './pha.js';
import { openKeylog } from './sessfile.js';
import { CliError, type CliIo, type CliSocket, type TlsOptions, connectionOf, errorText, println, readLines, tlsServer } from './session.js';
import { coreFacts, summaryLines, verifyReturn } from './summary.js';
import { applyCipherFlags, renegotiationFlags, versionOptions } from './tls-flags.js';
import {
  type ConnectionInfo,
  badRequestResponse,
  parseRequestHead,
  routeRequest,
  secretRefusedResponse,
  secretResponse,
  statusResponse,
} from './www.js';

const MAX_REQUEST_HEAD = 16 * 1024;
const CLOSE_GRACE_MS = 2_000;

interface ServerPlan {
  host: string;
  port: number;
  options: TlsOptions;
  quiet: boolean;
  msg: boolean;
  www: boolean;
  naccept: number;
  verify: boolean;
  /** -no_renegotiation */
  noRenegotiation: boolean;
  /** -num_tickets: TLS 1.3 tickets after a full handshake (undefined: the default, 2). */
  numTickets: number | undefined;
  /** -no_ticket: no tickets, TLS 1.2 or 1.3. */
  noTicket: boolean;
  keylog?: (line: string | Uint8Array) => void;
}

/** Flags → what to do. Every user mistake is a UsageError here, before any IO. */
export function planServer(argv: readonly string[]): ServerPlan | 'help' {
  const flags = parseFlags('s_server', SERVER_FLAGS, argv);
  if (has(flags, 'help')) return 'help';
  const reneg = renegotiationFlags(flags, 'server');
  const numTicketsFlag = str(flags, 'num_tickets');
  const numTickets = numTicketsFlag !== undefined ? intFlag('num_tickets', numTicketsFlag, 0, MAX_NUM_TICKETS) : undefined;
  const noTicket = has(flags, 'no_ticket');

  const { host, port } = parseHostPort('accept', str(flags, 'accept') ?? '4433', '127.0.0.1');
  // As OpenSSL: the certificate defaults to server.pem, the key to the certificate file.
  const certFile = str(flags, 'cert') ?? 'server.pem';
  const cert = readFileFlag('cert', certFile);
  const keyFile = str(flags, 'key');
  const key = keyFile !== undefined ? readFileFlag('key', keyFile) : cert;
  if (!/-----BEGIN CERTIFICATE-----/.test(cert)) throw new UsageError(`-cert ${certFile}: no PEM certificate in the file`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new UsageError(`-key ${keyFile ?? certFile}: no PEM private key in the file`);

  const options: TlsOptions = {
    cert,
    key,
    // -verify, as openssl s_server: report a client certificate's verification, do not refuse it.
    rejectUnauthorized: false,
    ...versionOptions(flags),
    renegotiation: reneg.policy,
    // -no_ticket: no TLS 1.2 tickets here; TLS 1.3 gets 0 tickets per connection (onSocket).
    ...(noTicket ? { secureOptions: SSL_OP_NO_TICKET } : {}),
  };
  const caFile = str(flags, 'CAfile');
  if (caFile !== undefined) {
    options.ca = readFileFlag('CAfile', caFile);
    if (!/-----BEGIN CERTIFICATE-----/.test(options.ca)) throw new UsageError(`-CAfile ${caFile}: no PEM certificate in the file`);
  }
  const verify = str(flags, 'verify');
  const Verify = str(flags, 'Verify');
  if (verify !== undefined) intFlag('verify', verify, 0, 100);
  if (Verify !== undefined) intFlag('Verify', Verify, 0, 100);
  if (verify !== undefined || Verify !== undefined) options.requestCert = true;
  // -Verify: a client without a (valid) certificate is refused (node's requestCert + rejectUnauthorized).
  if (Verify !== undefined) options.rejectUnauthorized = true;
  applyCipherFlags(flags, options);
  const naccept = str(flags, 'naccept');
  const keylogFile = str(flags, 'keylogfile');
  return {
    host,
    port,
    options,
    quiet: has(flags, 'quiet'),
    msg: has(flags, 'msg'),
    www: has(flags, 'www'),
    naccept: naccept !== undefined ? intFlag('naccept', naccept, 1, 2 ** 31) : Infinity,
    verify: options.requestCert === true,
    noRenegotiation: reneg.disabled,
    numTickets,
    noTicket,
    ...(keylogFile !== undefined ? { keylog: openKeylog(keylogFile) } : {}),
  };
}

function peerSubject(sock: CliSocket): string | null {
  return subjectOf(connectionOf(sock)?.peerCertificates[0]);
}

export function connectionInfo(sock: CliSocket): ConnectionInfo {
  const cipher = sock.getCipher();
  const facts = coreFacts(connectionOf(sock));
  const subject = peerSubject(sock);
  return {
    protocol: sock.getProtocol(),
    cipher: cipher?.name ?? null,
    alpn: sock.alpnProtocol || false,
    peerSubject: subject,
    ...(subject !== null ? { peerVerified: sock.authorized, peerVerifyError: verifyReturn(sock.authorized, sock.authorizationError) } : {}),
    ...(facts.group ? { group: facts.group } : {}),
    ...(facts.peerSignature ? { signatureScheme: facts.peerSignature } : {}),
    resumed: sock.isSessionReused(),
  };
}

/** TLS 1.2's lines: RFC 5746 and EMS, and -no_renegotiation's "Renegotiation is DISABLED". */
function tls12Facts(sock: CliSocket, noRenegotiation: boolean): { secureRenegotiation?: boolean; extendedMasterSecret?: boolean; renegotiationDisabled?: boolean } {
  const { secureRenegotiation, extendedMasterSecret } = coreFacts(connectionOf(sock));
  if (secureRenegotiation === undefined) return {};
  return { secureRenegotiation, ...(extendedMasterSecret !== undefined ? { extendedMasterSecret } : {}), renegotiationDisabled: noRenegotiation };
}

/** Serve one -www connection: read the request head, answer, close. */
function serveWww(sock: CliSocket, log: (line: string) => void): void {
  let head = '';
  let answered = false;
  const answer = async (): Promise<void> => {
    const req = parseRequestHead(head);
    if (!req) {
      if (head.length > MAX_REQUEST_HEAD) {
        answered = true;
        sock.end(badRequestResponse('(oversized request)'));
      }
      return;
    }
    answered = true;
    const action = routeRequest(req);
    let reply: string;
    switch (action.kind) {
      case 'keyupdate': {
        const notes: string[] = [];
        try {
          sock.keyUpdate(KeyUpdateType.REQUESTED);
          await sock.doHandshake();
          notes.push('', 'KeyUpdate(update_requested) sent before this page');
          log('KEYUPDATE');
        } catch (e) {
          notes.push('', `KeyUpdate failed: ${errorText(e)}`);
        }
        reply = statusResponse(connectionInfo(sock), notes);
        break;
      }
      case 'secret': {
        const r = await requestClientAuth(sock);
        if (typeof r === 'string') reply = secretRefusedResponse(r);
        else if (r.subject === null) reply = secretRefusedResponse('the client sent none');
        else if (r.verify !== '0 (ok)') reply = secretRefusedResponse(`${r.subject}: verify return code ${r.verify}`);
        else reply = secretResponse(r.subject);
        break;
      }
      case 'bad':
        reply = badRequestResponse(action.method);
        break;
      default:
        reply = statusResponse(connectionInfo(sock));
    }
    sock.end(reply);
  };
  sock.on('data', (d: Buffer) => {
    if (answered) return;
    head += d.toString('latin1');
    void answer();
  });
}

/** Run `puretls s_server argv...`; resolves after -naccept connections, or Q. */
export async function runServer(argv: readonly string[], io: CliIo): Promise<void> {
  const plan = planServer(argv);
  if (plan === 'help') {
    io.stdout.write(helpText('s_server', SERVER_FLAGS));
    return;
  }
  const { quiet } = plan;
  const out = (line: string): void => println(io.stdout, line);
  const err = (line: string): void => println(io.stderr, line);
  const commands: CommandContext = { role: 'server', noRenegotiation: plan.noRenegotiation, out, err };
  const ticketCommand = { ...commands, noTicket: plan.noTicket };

  const live = new Set<CliSocket>();
  let current: CliSocket | null = null;
  let accepted = 0;
  let stopping = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const queued: string[] = [];
  let listening = true;

  const maybeFinish = (): void => {
    if (stopping && live.size === 0) finish();
  };

  const onSocket = (sock: CliSocket): void => {
    accepted++;
    live.add(sock);
    const conn = connectionOf(sock);
    if (plan.msg) {
      if (conn) attachMsgTrace(conn, out);
      else if (accepted === 1) err('puretls: -msg: this socket does not expose its Connection; no message trace');
    }
    if (plan.keylog) sock.on('keylog', plan.keylog);
    const tickets = plan.noTicket ? 0 : plan.numTickets;
    if (tickets !== undefined) {
      if (conn) conn.setNumTickets(tickets);
      else if (accepted === 1) err('puretls: -num_tickets / -no_ticket: this socket does not expose its Connection; default tickets');
    }
    let secured = false;
    sock.once('secure', () => (secured = true));
    sock.on('error', (e: Error) => {
      err(`puretls: ${secured ? 'connection' : 'handshake'} failed: ${errorText(e)}`);
    });
    sock.on('close', () => {
      live.delete(sock);
      if (current === sock) current = null;
      if (!quiet && secured && !plan.www) out('CONNECTION CLOSED');
      maybeFinish();
    });
    if (accepted >= plan.naccept) stopListening();
  };

  const onSecure = (sock: CliSocket): void => {
    if (!quiet) {
      const info = connectionInfo(sock);
      const lines = summaryLines(
        {
          protocol: info.protocol,
          cipher: info.cipher,
          resumed: info.resumed ?? false,
          alpn: info.alpn,
          ...(info.group ? { group: info.group } : {}),
          ...(info.signatureScheme ? { peerSignature: info.signatureScheme } : {}),
          ...tls12Facts(sock, plan.noRenegotiation),
          peerSubject: info.peerSubject,
          ...(plan.verify ? { verify: info.peerSubject === null ? '0 (ok, no certificate sent)' : verifyReturn(sock.authorized, sock.authorizationError) } : {}),
        },
        'server',
      );
      for (const l of lines) out(l);
    }
    if (plan.www) {
      serveWww(sock, err);
      return;
    }
    if (!quiet) reportClientAuth(sock, out);
    sock.on('data', (d: Buffer) => io.stdout.write(d));
    sock.on('end', () => {
      if (!quiet) err('DONE');
    });
    current = sock;
    void drainQueued(sock);
  };

  /** Lines typed while no connection was up go to the first one, in order. */
  async function drainQueued(sock: CliSocket): Promise<void> {
    while (queued.length > 0 && current === sock) await handleLine(queued.shift()!);
  }

  let server: ReturnType<typeof tlsServer>;
  try {
    server = tlsServer(plan.options, onSocket, onSecure);
  } catch (e) {
    // a key that does not match the certificate, an unsupported key type ...
    throw new CliError(`s_server: ${errorText(e)}`);
  }
  let address: { host: string; port: number };
  try {
    address = await server.listen(plan.port, plan.host);
  } catch (e) {
    throw new CliError(`s_server: cannot listen on ${plan.host}:${plan.port}: ${(e as NodeJS.ErrnoException).code ?? errorText(e)}`);
  }
  function stopListening(): void {
    if (!listening) return;
    listening = false;
    stopping = true;
    void server.close();
    maybeFinish();
  }
  // OpenSSL prints ACCEPT (not with -quiet); with port 0 the real address is the useful part.
  if (plan.port === 0) out(`ACCEPT ${address.host}:${address.port}`);
  else if (!quiet) out('ACCEPT');

  async function handleLine(line: string): Promise<void> {
    if (!quiet && line === 'Q') {
      err('DONE');
      for (const s of live) s.end();
      stopListening();
      // a peer that never answers close_notify does not keep us here
      setTimeout(() => {
        for (const s of live) s.destroy();
      }, CLOSE_GRACE_MS).unref();
      return;
    }
    if (!current) {
      queued.push(line);
      return;
    }
    const sock = current;
    if (!quiet) {
      const shared = sharedCommand(sock, line, commands);
      if (shared) return shared;
      if (line === 'n') return newTicketCommand(sock, ticketCommand);
      if (line === 'c') return clientAuthCommand(sock, commands);
      if (line === 'q') {
        sock.end();
        return;
      }
    }
    sock.write(`${line}\n`);
  }

  // -www serves HTTP only; as OpenSSL's, it does not read stdin.
  const stopInput = plan.www ? null : readLines(io.stdin, handleLine, () => undefined);
  try {
    await done;
  } finally {
    stopInput?.();
    for (const s of live) s.destroy();
  }
}
