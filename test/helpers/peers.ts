/**
 * Real TLS peers (openssl s_server / s_client, gnutls-serv / gnutls-cli) as
 * child processes on loopback, for interop tests.
 *
 * Usage (at the top of every interop test file):
 *
 *   installPeerCleanup();        // kills every peer after each test, temp dirs after the file
 *   const srv = await startOpensslServer(['-cert', c.certPath, '-key', c.keyPath, '-tls1_3', '-naccept', '1']);
 *   const sock = net.connect(srv.port, '127.0.0.1');
 *   ...
 *   await srv.waitFor(/^hello$/m, 5_000);
 *
 * Rules kept here: everything binds 127.0.0.1 only; a server's port is picked by
 * binding port 0 first (retried on EADDRINUSE); readiness is read from the
 * peer's output, never slept for; every child runs in its own process group
 * (`detached`) under coreutils `timeout` (a last-resort lifetime, default 120 s,
 * that holds even if the test worker is SIGKILLed) and `stdbuf -oL -eL` (openssl's
 * stdout is block-buffered into a pipe otherwise), and is killed as a group by
 * `stop()` / the installed hooks; every wait has a timeout and its error carries
 * the output captured so far.
 *
 * ─── What the peers print (observed here, OpenSSL 3.0.19, GnuTLS 3.7.9) ────────
 *
 * Streams: s_server and s_client write their informational output and -msg/-trace
 * to STDOUT through stdio, which is block-buffered into a pipe: spawnPeer runs
 * them under `stdbuf -oL` so it arrives line by line (without it e.g. the TLS 1.3
 * "SSL-Session:" block and "SSL_do_handshake -> 1" show up only much later).
 * s_client writes "depth=… / verify error:… / verify return:…", "KEYUPDATE",
 * "RENEGOTIATING", "DONE" and errors to STDERR. Received application data is
 * written raw to stdout with write(2), between (complete) buffered lines; data
 * without a trailing newline is glued to the start of the next line, so match it
 * without anchoring at line end.
 *
 * openssl s_server (without -quiet):
 *   "Using default temp DH parameters"          (first line)
 *   "ACCEPT"                                     listening: the readiness line. NOT printed with -quiet or -brief
 *                                                (-brief implies quiet): startOpensslServer then polls /proc/net/tcp.
 *   after a handshake (no -brief):
 *     "-----BEGIN SSL SESSION PARAMETERS-----" … "-----END SSL SESSION PARAMETERS-----"
 *     "Shared ciphers:TLS_AES_256_GCM_SHA384:…"
 *     "Signature Algorithms: ECDSA+SHA256:…", "Shared Signature Algorithms: …"
 *     "Supported groups: x25519:…", "Shared groups: …"
 *     "CIPHER is TLS_AES_256_GCM_SHA384"         (1.2: e.g. "CIPHER is ECDHE-RSA-AES128-GCM-SHA256")
 *     "Secure Renegotiation IS supported"
 *   with -brief instead, on STDERR: "Protocol version: TLSv1.3", "Client cipher list: …", "Ciphersuite: TLS_AES_256_GCM_SHA384",
 *     "Signature Algorithms: …", "No peer certificate" (or "Peer certificate: CN = …"), "Supported groups: …";
 *     -brief/-quiet also drop DONE/CONNECTION CLOSED and the command letters.
 *   received application data: written verbatim to stdout ("hello\n").
 *   peer close_notify: "DONE", "shutting down SSL", "CONNECTION CLOSED", then session cache stats,
 *   then "ACCEPT" again unless -naccept is exhausted (then the process exits 0).
 *   stdin: each read(2) of stdin is sent as application data, except commands (not with -quiet/-brief):
 *     a read that is exactly "k\n" → KeyUpdate(update_not_requested), "K\n" → KeyUpdate(update_requested),
 *     "r\n"/"R\n" → renegotiate (TLS 1.2); each then prints "SSL_do_handshake -> 1" (stdout) and the REST OF
 *     THAT READ IS DISCARDED — so write a command alone and wait for "SSL_do_handshake -> 1" before writing
 *     more. A read starting with "q" closes the connection ("DONE"), "Q" closes and exits; "P"/"S" also act.
 *     EOF on stdin closes the connection at once (s_server has no -ign_eof) — keep stdin open (spawnPeer does).
 *
 * openssl s_client (no -quiet / -brief):
 *   "CONNECTED(00000003)"                          TCP connected (stdout)
 *   stderr: "depth=0 CN = localhost", "verify error:num=18:self-signed certificate", "verify return:1"
 *   after the handshake, on stdout:
 *     "---", "Certificate chain", " 0 s:CN = localhost", "   i:CN = localhost", …, "Server certificate", PEM, "subject=…", "issuer=…",
 *     "Peer signing digest: SHA256", "Peer signature type: RSA-PSS", "Server Temp Key: X25519, 253 bits",
 *     "SSL handshake has read 1337 bytes and written 305 bytes", "Verification error: self-signed certificate" (or "Verification: OK"),
 *     "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"      ← protocol + cipher, ALWAYS printed (1.2: "New, TLSv1.2, Cipher is ECDHE-…")
 *     "Server public key is 2048 bit", "Secure Renegotiation IS NOT supported", "No ALPN negotiated" (or "ALPN protocol: h2"),
 *     "Early data was not sent", "Verify return code: 18 (self-signed certificate)"  (0 (ok) when verified)
 *   an "SSL-Session:" block with
 *     "    Protocol  : TLSv1.3"
 *     "    Cipher    : TLS_AES_256_GCM_SHA384"
 *   is printed right after the handshake for TLS 1.2, but for TLS 1.3 ONLY when a NewSessionTicket arrives
 *   (preceded by "Post-Handshake New Session Ticket arrived:") — so against a server that sends no tickets,
 *   use the "New, TLSv1.x, Cipher is X" line.
 *   with -brief, on STDERR: "CONNECTION ESTABLISHED", "Protocol version: TLSv1.3", "Ciphersuite: TLS_AES_256_GCM_SHA384",
 *     "Peer certificate: CN = localhost", "Hash used: SHA256", "Signature type: RSA-PSS",
 *     "Verification: OK" (or "Verification error: self-signed certificate"), "Server Temp Key: X25519, 253 bits"
 *   stdin: each read is sent as application data, except (not with -quiet/-ign_eof/-nocommands) a read
 *     STARTING with "k"/"K" → KeyUpdate not_requested/requested, sent at once (stderr "KEYUPDATE"),
 *     "R" → renegotiate (stderr "RENEGOTIATING"), "Q" → close_notify and exit (stderr "DONE");
 *     the whole read is consumed by the command.
 *     EOF on stdin → close_notify and exit 0 ("DONE" on stderr), unless -ign_eof.
 *
 * -msg lines (both tools, stdout; ">>>" sent, "<<<" received; hex dump lines follow, indented 4 spaces):
 *   ">>> TLS 1.2, RecordHeader [length 0005]"
 *   "<<< TLS 1.3, Handshake [length 00dc], ClientHello"
 *   ">>> TLS 1.2, InnerContent [length 0001]"
 *   ">>> TLS 1.3, Handshake [length 0005], KeyUpdate"     then "    18 00 00 01 00" (not requested) / "    18 00 00 01 01" (requested)
 *   "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"
 *   "<<< TLS 1.3, Alert [length 0002], warning close_notify"
 *
 * -trace lines (stdout):
 *   "Sent Record" / "Received Record", "Header:", "  Version = TLS 1.2 (0x303)", "  Content Type = ApplicationData (23)",
 *   "  Length = 22", "  Inner Content Type = Handshake (22)", then for a KeyUpdate:
 *   "    KeyUpdate, Length=1"
 *   "      update_not_requested (0)"    or    "      update_requested (1)"
 *   other messages: "    ClientHello, Length=216", "      cipher_suite {0x13, 0x02} TLS_AES_256_GCM_SHA384" (ServerHello),
 *   "    NewSessionTicket, Length=229", "    Level=warning(1), description=close notify(0)".
 *   Note: on receiving KeyUpdate(update_requested) OpenSSL queues its own KeyUpdate(update_not_requested)
 *   and sends it with its next write, not immediately.
 *
 * gnutls-serv (stderr): "Echo Server listening on IPv4 0.0.0.0 port 5556...done" (readiness; "HTTP Server" with --http),
 *   "Echo Server listening on IPv6 :: port 5556...done"; per received line: "received cmd: hello", "*** Processing 6 bytes command: hello".
 *   stdout: "* Accepted connection from IPv4 127.0.0.1 port 36200 on …", "- Description: (TLS1.3-X.509)-(ECDHE-SECP256R1)-(EdDSA-Ed25519)-(AES-256-GCM)",
 *   "- Version: TLS1.3", "- Cipher: AES-256-GCM", "- Server Signature: EdDSA-Ed25519".
 *   It binds 0.0.0.0 and :: (no option to bind 127.0.0.1): run it inside `runInNetns`.
 *   With -d 4 (stderr): "|<4>| HSK[0x…]: received TLS 1.3 key update (1)", "|<4>| HSK[0x…]: sending key update (0)".
 * gnutls-cli (stdout): "Connecting to '127.0.0.1:5556'...", "- Description: (TLS1.3-X.509)-(…)-(AES-256-GCM)",
 *   "- Status: The certificate is NOT trusted. …" (with --insecure), "- Handshake was completed", "- Simple Client Mode:",
 *   received data verbatim, "- Peer has closed the GnuTLS connection".
 *   --inline-commands: a stdin line "^rekey^" sends KeyUpdate(update_requested), "^rekey1^" KeyUpdate(update_not_requested);
 *   each prints "- Rekey was completed". "^resume^", "^renegotiate^" also exist.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { afterAll, afterEach } from 'vitest';
import { addTeardown, cleanupTempDirs } from './tmp.js';

// ─────────────────────────────────────────────────────────────── types

export interface OutputMark {
  stdout: number;
  stderr: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PeerOptions {
  /** Time allowed for readiness (servers) — default 15 s. */
  timeoutMs?: number;
  /** Last-resort lifetime enforced by coreutils `timeout` (seconds; 0 = none). Default 120, 900 with keepAcrossTests. */
  lifetimeSec?: number;
  /** Stopped by afterAll instead of afterEach (for peers started in beforeAll). */
  keepAcrossTests?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Name used in error messages. */
  name?: string;
  /** Run under `stdbuf -oL -eL` so stdio output arrives line by line. Default true. */
  lineBuffered?: boolean;
}

export interface PeerHandle {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The listening port for servers started here; 0 otherwise. */
  readonly port: number;
  /** stdout and stderr interleaved in arrival order. All output is decoded as latin1 (byte-exact). */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Current end of stdout/stderr, to wait only for output produced after this point. */
  mark(): OutputMark;
  /**
   * Wait until stdout or stderr (after `since`) matches `pattern`; resolves with the
   * full line(s) containing the match. Rejects on timeout or when the process exits
   * first, with the output so far in the message.
   */
  waitFor(pattern: RegExp | string, timeoutMs?: number, since?: OutputMark): Promise<string>;
  /** Same as waitFor, resolving with the RegExp match (capture groups). */
  waitForMatch(pattern: RegExp, timeoutMs?: number, since?: OutputMark): Promise<RegExpExecArray>;
  /** Resolves when the process has exited and its stdio is closed. */
  waitForExit(timeoutMs?: number): Promise<ExitInfo>;
  /** null while running. */
  exitInfo(): ExitInfo | null;
  write(data: string | Uint8Array): void;
  endInput(): void;
  /** Kill the whole process group (SIGTERM, then SIGKILL after 2 s). Idempotent. */
  stop(): Promise<ExitInfo>;
}

const DEFAULT_WAIT_MS = 10_000;
const DEFAULT_READY_MS = 15_000;
const DEFAULT_LIFETIME_SEC = 120;
const OUTPUT_TAIL = 6_000;

// ─────────────────────────────────────────────────────────────── registry & cleanup

interface Entry {
  handle: PeerHandle;
  keep: boolean;
}
const live = new Set<Entry>();
let processHooksInstalled = false;

function killGroupSync(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: group gone
  }
}

function installProcessHooks(): void {
  if (processHooksInstalled) return;
  processHooksInstalled = true;
  // On exit / SIGTERM (how vitest ends fork workers) / SIGINT: no peer may outlive us.
  addTeardown(() => {
    for (const e of live) killGroupSync(e.handle.pid, 'SIGKILL');
    live.clear();
  });
}

/** Stop every live peer (or only those not marked keepAcrossTests). */
export async function stopAllPeers(includeKept = true): Promise<void> {
  const victims = [...live].filter((e) => includeKept || !e.keep);
  await Promise.all(victims.map((e) => e.handle.stop()));
}

/** Number of live peers (for tests of the harness). */
export function livePeerCount(): number {
  return live.size;
}

/**
 * Call once at the top level of each interop test file: stops the peers of each
 * test in afterEach (even when it failed), everything in afterAll, and removes
 * the temp dirs made by tmp.ts/keys.ts at the end of the file.
 */
export function installPeerCleanup(): void {
  installProcessHooks();
  afterEach(async () => {
    await stopAllPeers(false);
  }, 15_000);
  afterAll(async () => {
    await stopAllPeers(true);
    cleanupTempDirs();
  }, 15_000);
}

// ─────────────────────────────────────────────────────────────── utilities

function tail(s: string, n = OUTPUT_TAIL): string {
  return s.length <= n ? s : `…[${s.length - n} chars omitted]…\n${s.slice(-n)}`;
}

/** Reject after `ms` with `message()` (evaluated lazily), else settle like `p`. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function toRegExp(pattern: RegExp | string): RegExp {
  if (typeof pattern === 'string') return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

function lineAround(text: string, start: number, end: number): string {
  const ls = text.lastIndexOf('\n', start - 1) + 1;
  let le = text.indexOf('\n', Math.max(end - 1, start));
  if (le < 0) le = text.length;
  return text.slice(ls, le).replace(/\r$/, '');
}

/** Pick a free TCP port on 127.0.0.1 by binding port 0 and closing it again. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

const binCache = new Map<string, boolean>();
function hasBin(name: string): boolean {
  let ok = binCache.get(name);
  if (ok === undefined) {
    ok = spawnSync(name, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
    binCache.set(name, ok);
  }
  return ok;
}

// ─────────────────────────────────────────────────────────────── generic child

/**
 * Spawn `cmd args` as a registered peer in its own process group (under
 * `timeout` for a last-resort lifetime). stdin stays open until endInput()/stop().
 */
export function spawnPeer(cmd: string, args: string[], opts: PeerOptions & { port?: number } = {}): PeerHandle {
  installProcessHooks();
  const lifetime = opts.lifetimeSec ?? (opts.keepAcrossTests ? 900 : DEFAULT_LIFETIME_SEC);
  let argv = [cmd, ...args];
  // stdio output of openssl (BIO_new_fp(stdout)), gnutls, … is block-buffered into a pipe:
  // without this, lines such as "SSL_do_handshake -> 1" or the post-handshake
  // "SSL-Session:" block only show up much later.
  if ((opts.lineBuffered ?? true) && hasBin('stdbuf')) argv = ['stdbuf', '-oL', '-eL', ...argv];
  if (lifetime > 0 && hasBin('timeout')) argv = ['timeout', '--kill-after=5', String(lifetime), ...argv];
  const [file, ...rest] = argv as [string, ...string[]];
  const proc = spawn(file, rest, {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: opts.cwd,
    env: opts.env ?? process.env,
  });
  const name = opts.name ?? `${cmd} ${args.slice(0, 1).join(' ')}`.trim();
  let out = '';
  let err = '';
  let all = '';
  let exit: ExitInfo | null = null;
  let spawnError: Error | null = null;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };

  // latin1 is byte-exact: Buffer.from(h.stdout(), 'latin1') gives back the raw bytes
  proc.stdout!.setEncoding('latin1');
  proc.stderr!.setEncoding('latin1');
  proc.stdout!.on('data', (s: string) => {
    out += s;
    all += s;
    notify();
  });
  proc.stderr!.on('data', (s: string) => {
    err += s;
    all += s;
    notify();
  });
  proc.stdin!.on('error', () => {
    // EPIPE when the child is gone: ignore, the exit is reported elsewhere
  });
  proc.on('error', (e) => {
    spawnError = e;
    exit ??= { code: null, signal: null };
    notify();
  });
  const closed = new Promise<ExitInfo>((resolve) => {
    proc.on('close', (code, signal) => {
      exit = { code, signal };
      notify();
      resolve(exit);
    });
    proc.on('error', () => resolve(exit!));
  });

  const describe = (): string =>
    `${name} (pid ${proc.pid ?? '?'})${exit ? ` exited code=${exit.code} signal=${exit.signal}` : ''}${spawnError ? ` spawn error: ${(spawnError as Error).message}` : ''}`;

  let stopping: Promise<ExitInfo> | null = null;
  const entry: Entry = { handle: undefined as unknown as PeerHandle, keep: opts.keepAcrossTests ?? false };

  const handle: PeerHandle = {
    name,
    proc,
    pid: proc.pid ?? -1,
    port: opts.port ?? 0,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    mark: () => ({ stdout: out.length, stderr: err.length }),
    waitForMatch(pattern, timeoutMs = DEFAULT_WAIT_MS, since = { stdout: 0, stderr: 0 }) {
      const re = toRegExp(pattern);
      return new Promise<RegExpExecArray>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const done = (): void => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = (): void => {
          for (const [text, from] of [
            [out, since.stdout],
            [err, since.stderr],
          ] as const) {
            const m = re.exec(text.slice(from));
            if (m) {
              done();
              // make m.index relative to the whole stream
              m.index += from;
              (m as RegExpExecArray & { input: string }).input = text;
              resolve(m);
              return;
            }
          }
          if (exit) {
            done();
            reject(new Error(`${describe()} before printing ${re}; output:\n${tail(all)}`));
          }
        };
        timer = setTimeout(() => {
          done();
          reject(new Error(`${describe()}: timed out after ${timeoutMs} ms waiting for ${re}; output so far:\n${tail(all)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async waitFor(pattern, timeoutMs, since) {
      const m = await handle.waitForMatch(toRegExp(pattern), timeoutMs, since);
      return lineAround(m.input, m.index, m.index + m[0].length);
    },
    waitForExit(timeoutMs = DEFAULT_WAIT_MS) {
      return withTimeout(closed, timeoutMs, () => `${describe()}: did not exit within ${timeoutMs} ms; output so far:\n${tail(all)}`);
    },
    exitInfo: () => exit,
    write(data) {
      if (!exit && proc.stdin!.writable) proc.stdin!.write(data);
    },
    endInput() {
      if (proc.stdin!.writable) proc.stdin!.end();
    },
    stop() {
      stopping ??= (async () => {
        const pid = proc.pid;
        if (pid !== undefined) {
          if (!exit) {
            killGroupSync(pid, 'SIGTERM');
            const t = setTimeout(() => killGroupSync(pid, 'SIGKILL'), 2_000);
            await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
            clearTimeout(t);
          }
          // the leader may be gone while other group members (e.g. `sh -c 'a & b'`) are not
          killGroupSync(pid, 'SIGKILL');
        }
        proc.stdin!.destroy();
        proc.stdout!.destroy();
        proc.stderr!.destroy();
        live.delete(entry);
        return exit ?? { code: null, signal: 'SIGKILL' };
      })();
      return stopping;
    },
  };
  entry.handle = handle;
  if (proc.pid !== undefined) live.add(entry);
  return handle;
}

// ─────────────────────────────────────────────────────────────── openssl

export interface ServerOptions extends PeerOptions {
  /** Readiness line; default /^ACCEPT$/m. */
  readyPattern?: RegExp;
  /**
   * How readiness is detected: 'output' waits for readyPattern; 'listen' polls
   * /proc/net/tcp until the port is in LISTEN state (needed with -quiet / -brief,
   * which suppress ACCEPT). Default: 'listen' if args contain -quiet or -brief, else 'output'.
   */
  ready?: 'output' | 'listen';
  /** Attempts when the picked port is taken meanwhile. Default 5. */
  retries?: number;
}

/** Is something listening on 127.0.0.1:port (or 0.0.0.0:port)? Linux /proc/net/tcp. */
export async function isListening(port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let text: string;
  try {
    text = await readFile('/proc/net/tcp', 'utf8');
  } catch {
    return false;
  }
  return text
    .split('\n')
    .some((l) => {
      const f = l.trim().split(/\s+/);
      return (f[1] === `0100007F:${hex}` || f[1] === `00000000:${hex}`) && f[3] === '0A';
    });
}

/** Poll until `port` listens, the peer exits (reject), or timeout (reject); output is in the errors. */
export async function waitForListen(peer: PeerHandle, port: number, timeoutMs = DEFAULT_READY_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isListening(port)) return;
    const ex = peer.exitInfo();
    if (ex) throw new Error(`${peer.name} (pid ${peer.pid}) exited code=${ex.code} signal=${ex.signal} before listening on ${port}; output:\n${tail(peer.output())}`);
    if (Date.now() > deadline) throw new Error(`${peer.name} (pid ${peer.pid}): not listening on ${port} after ${timeoutMs} ms; output so far:\n${tail(peer.output())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * `openssl s_server -accept 127.0.0.1:<free port> ...args`, resolved once it is
 * ready (printed ACCEPT; with -quiet/-brief, which print no ACCEPT: once the port
 * listens). Do not pass -accept/-port yourself.
 */
export async function startOpensslServer(args: string[], opts: ServerOptions = {}): Promise<PeerHandle> {
  if (args.some((a) => a === '-accept' || a === '-port')) throw new Error('startOpensslServer picks the port itself: do not pass -accept/-port');
  const mode = opts.ready ?? (args.some((a) => a === '-quiet' || a === '-brief') ? 'listen' : 'output');
  const ready = opts.readyPattern ?? /^ACCEPT$/m;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_READY_MS;
  const retries = opts.retries ?? 5;
  let lastErr: unknown;
  for (let attempt = 0; attempt < retries; attempt++) {
    const port = await freePort();
    const h = spawnPeer('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, ...args], {
      ...opts,
      port,
      name: opts.name ?? `openssl s_server :${port}`,
    });
    try {
      if (mode === 'listen') await waitForListen(h, port, timeoutMs);
      else await h.waitFor(ready, timeoutMs);
      return h;
    } catch (e) {
      lastErr = e;
      await h.stop();
      if (!/in use|EADDRINUSE|BIO_bind|bind/i.test(h.output())) throw e;
    }
  }
  throw lastErr;
}

export interface ClientOptions extends PeerOptions {
  /** Prepend `-connect 127.0.0.1:<port>`. */
  port?: number;
  /** Close stdin after writing stdinText (s_client then sends close_notify and exits, unless -ign_eof). */
  endInput?: boolean;
}

/**
 * `openssl s_client ...args` (pass -connect 127.0.0.1:PORT, or opts.port). Returns at
 * once: wait for "CONNECTED", /^New, TLSv1\.3, Cipher is/m, "Verify return code", … yourself.
 */
export function runOpensslClient(args: string[], stdinText?: string, opts: ClientOptions = {}): PeerHandle {
  const full = opts.port !== undefined ? ['-connect', `127.0.0.1:${opts.port}`, ...args] : args;
  const h = spawnPeer('openssl', ['s_client', ...full], { ...opts, name: opts.name ?? 'openssl s_client' });
  if (stdinText !== undefined) h.write(stdinText);
  if (opts.endInput) h.endInput();
  return h;
}

// ─────────────────────────────────────────────────────────────── gnutls & network namespaces

/**
 * A peer program the interop tests need is missing: outside CI, print one line
 * naming the Debian package and let the caller skip; under CI=true (where
 * .ci/run installs it) a missing peer is a failure, not a skip.
 */
function missingPeer(what: string, pkg: string): false {
  const line = `${what} not found: install the Debian package ${pkg} (apt-get install ${pkg})`;
  if (process.env['CI'] === 'true') throw new Error(`${line}; required under CI=true`);
  console.warn(`[puretls tests] ${line}; skipping the tests that need it`);
  return false;
}

let gnutlsCache: boolean | null = null;
/** gnutls-cli and gnutls-serv are installed (Debian package gnutls-bin); see missingPeer. */
export function hasGnutls(): boolean {
  if (gnutlsCache === null) {
    gnutlsCache =
      (spawnSync('gnutls-cli', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0 &&
        spawnSync('gnutls-serv', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0) ||
      missingPeer('gnutls-cli/gnutls-serv', 'gnutls-bin');
  }
  return gnutlsCache;
}

let netnsCache: boolean | null = null;
/** `unshare --net` works here (needs root / CAP_SYS_ADMIN) and `ip` is available; see missingPeer. */
export function hasNetns(): boolean {
  if (netnsCache === null) {
    netnsCache =
      spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 10_000 }).status === 0 ||
      missingPeer('a private network namespace (unshare --net, ip)', 'iproute2');
  }
  return netnsCache;
}

/**
 * Run `sh -c script` inside a fresh private network namespace whose only
 * interface is an up loopback (so a server binding 0.0.0.0 there is reachable
 * from nothing but the same namespace). Filesystem paths — including Unix
 * sockets — are shared with the host, which is how `gnutlsServer` /
 * `gnutlsClient` connect a test in this process to a peer inside.
 */
export function runInNetns(script: string, opts: PeerOptions = {}): PeerHandle {
  return spawnPeer('unshare', ['--net', 'sh', '-c', `ip link set lo up || exit 97\n${script}`], { ...opts, name: opts.name ?? 'netns sh' });
}

/**
 * A shell snippet (for runInNetns scripts) that polls `file` until a line matches
 * the grep -E `pattern`, or prints the file and exits 98 after `timeoutSec`.
 * Reads the peer's output; it does not sleep for a fixed time.
 */
export function shWaitFor(file: string, pattern: string, timeoutSec = 15): string {
  const n = Math.ceil(timeoutSec / 0.02);
  return `i=0; until grep -Eq ${shQuote(pattern)} ${shQuote(file)} 2>/dev/null; do i=$((i+1)); if [ $i -gt ${n} ]; then echo "shWaitFor: timed out waiting for ${pattern.replace(/["'`$\\]/g, '.')} in ${file}" >&2; cat ${shQuote(file)} >&2; exit 98; fi; sleep 0.02; done`;
}

/**
 * Node one-liner run inside the netns: relays between TCP on 127.0.0.1 (in the
 * namespace) and a Unix socket path (reachable from the host), then optionally
 * runs a command with inherited stdio once listening.
 *   unix-listen <sockPath> <tcpPort> [cmd...]   host connects to sockPath → 127.0.0.1:tcpPort in the netns
 *   tcp-listen  <tcpPort> <sockPath> [cmd...]   netns connects to 127.0.0.1:tcpPort → host listens on sockPath
 */
const RELAY_JS = `
const net = require('net'); const { spawn } = require('child_process');
const [mode, a, b, ...cmd] = process.argv.slice(1);
const pipe = (x, y) => { x.pipe(y); y.pipe(x); const k = () => { x.destroy(); y.destroy(); }; x.on('error', k); y.on('error', k); x.on('close', () => y.end()); y.on('close', () => x.end()); };
const srv = net.createServer({ allowHalfOpen: true }, (c) => {
  const up = mode === 'unix-listen' ? net.connect({ host: '127.0.0.1', port: +b, allowHalfOpen: true }) : net.connect({ path: b, allowHalfOpen: true });
  pipe(c, up);
});
const onListen = () => {
  process.stderr.write('RELAY READY ' + mode + '\\n');
  if (cmd.length) {
    const ch = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit' });
    ch.on('exit', (code, sig) => { srv.close(); process.exit(code ?? 1); });
  }
};
if (mode === 'unix-listen') { try { require('fs').unlinkSync(a); } catch {} srv.listen(a, onListen); }
else srv.listen(+a, '127.0.0.1', onListen);
`;

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface GnutlsServer {
  peer: PeerHandle;
  /** Unix socket that relays to gnutls-serv inside the namespace: `net.connect(socketPath)`. */
  socketPath: string;
  connect(): net.Socket;
}

/**
 * gnutls-serv (port 5556 inside its own netns) plus a relay from `socketPath`
 * (in `dir`) to it; resolves when both are ready. Pass e.g.
 * ['--echo', '--x509certfile=…', '--x509keyfile=…', '--priority=NORMAL:-VERS-ALL:+VERS-TLS1.3'].
 */
export async function startGnutlsServer(args: string[], dir: string, opts: PeerOptions = {}): Promise<GnutlsServer> {
  const socketPath = `${dir}/gnutls-serv-${Date.now()}-${Math.floor(Math.random() * 1e6)}.sock`;
  const serv = ['gnutls-serv', '-p', '5556', ...args].map(shQuote).join(' ');
  const relay = [process.execPath, '-e', RELAY_JS, 'unix-listen', socketPath, '5556'].map(shQuote).join(' ');
  const peer = runInNetns(`${serv} &\n${relay}\nwait`, { ...opts, name: opts.name ?? 'gnutls-serv (netns)' });
  const t = opts.timeoutMs ?? DEFAULT_READY_MS;
  await Promise.all([peer.waitFor(/Server listening on IPv4 [^\n]*done/, t), peer.waitFor(/^RELAY READY/m, t)]);
  return { peer, socketPath, connect: () => net.connect({ path: socketPath }) };
}

/**
 * gnutls-cli inside its own netns, connecting to 127.0.0.1:5556 there, which is
 * relayed to the Unix socket `socketPath` that the test listens on
 * (`net.createServer(...).listen(socketPath)`). Pass e.g. ['--insecure', ...].
 * gnutls-cli starts only once the relay listens.
 */
export function runGnutlsClient(args: string[], socketPath: string, stdinText?: string, opts: ClientOptions = {}): PeerHandle {
  const cmd = [process.execPath, '-e', RELAY_JS, 'tcp-listen', '5556', socketPath, 'gnutls-cli', '-p', '5556', ...args, '127.0.0.1'];
  const h = runInNetns(`exec ${cmd.map(shQuote).join(' ')}`, { ...opts, name: opts.name ?? 'gnutls-cli (netns)' });
  if (stdinText !== undefined) h.write(stdinText);
  if (opts.endInput) h.endInput();
  return h;
}

// ─────────────────────────────────────────────────────────────── openssl TLS 1.2 helpers

/**
 * The "-----BEGIN SSL SESSION PARAMETERS-----" blocks s_server prints after each
 * full or resumed handshake (without -quiet/-brief), in order.
 */
export function sessionPems(output: string): string[] {
  return [...output.matchAll(/-----BEGIN SSL SESSION PARAMETERS-----\n[\s\S]*?-----END SSL SESSION PARAMETERS-----\n?/g)].map((m) => m[0]);
}

/**
 * `openssl sess_id -noout -text` of a session PEM: the "SSL-Session:" block with
 * "    Protocol  : TLSv1.2", "    Cipher    : ECDHE-…", "    Session-ID: HEX",
 * "    Extended master secret: yes" (what the peer recorded about the handshake).
 */
export function opensslSessionText(pem: string): string {
  const r = spawnSync('openssl', ['sess_id', '-noout', '-text'], { input: pem, encoding: 'latin1', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`openssl sess_id failed (status ${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * "Keying material: HEX" that s_server / s_client print with
 * `-keymatexport LABEL -keymatexportlen N` (RFC 5705, no context), lower-case hex; null if none yet.
 */
export function printedKeyingMaterial(output: string): string | null {
  const m = /^ {4}Keying material: ([0-9A-F]+)\s*$/m.exec(output);
  return m ? m[1]!.toLowerCase() : null;
}

/** How many times `re` matches in `text` (a global copy of it is used). */
export function countMatches(text: string, re: RegExp): number {
  return [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))].length;
}

/**
 * An OpenSSL config file (in `dir`) with one SSL_CONF section named `name`
 * holding `lines` (e.g. ["Options = -ExtendedMasterSecret"]), for options
 * s_server / s_client have no flag for. Use `env` as the peer's environment and
 * add `args` (`-ssl_config name`) to its command line.
 */
export async function opensslSslConf(dir: string, name: string, lines: readonly string[]): Promise<{ env: NodeJS.ProcessEnv; args: string[] }> {
  const path = `${dir}/${name}.cnf`;
  const text = ['openssl_conf = openssl_init', '[openssl_init]', 'ssl_conf = ssl_sect', '[ssl_sect]', `${name} = ${name}_sect`, `[${name}_sect]`, ...lines, ''].join('\n');
  await writeFile(path, text);
  return { env: { ...process.env, OPENSSL_CONF: path }, args: ['-ssl_config', name] };
}
