/**
 * Running the built CLI as a child process: `node <dir>/bin/puretls.js ...`,
 * where <dir> is a private build (tsup, no .d.ts) under node_modules/.cache so
 * that parallel test files and other builds of dist/ do not collide, and the
 * bundle's bare imports (@noble/...) still resolve from the repo.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnPeer, type OutputMark, type PeerHandle, type PeerOptions } from '../helpers/peers.js';
import { trackTempDir } from '../helpers/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface CliBuild {
  readonly dir: string;
  readonly bin: string;
  readonly demo: string;
}

/** Build src/cli into a fresh directory (about 1-2 s). Removed with the file's temp dirs. */
export async function buildCli(): Promise<CliBuild> {
  const dir = join(ROOT, 'node_modules', '.cache', `puretls-cli-test-${process.pid}-${Date.now()}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  trackTempDir(dir);
  await new Promise<void>((res, rej) => {
    execFile(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'),
        '--no-config',
        '--entry.cli=src/cli/main.ts',
        '--entry.demo=src/cli/demo.ts',
        '--format',
        'esm',
        '--target',
        'node20',
        '--splitting',
        '--silent',
        '--out-dir',
        join(dir, 'dist'),
      ],
      { cwd: ROOT, timeout: 60_000 },
      (err, _stdout, stderr) => (err ? rej(new Error(`tsup failed: ${err.message}\n${stderr}`)) : res()),
    );
  });
  copyFileSync(join(ROOT, 'bin', 'puretls.js'), join(dir, 'bin', 'puretls.js'));
  return { dir, bin: join(dir, 'bin', 'puretls.js'), demo: join(dir, 'dist', 'demo.js') };
}

/** `puretls args...` as a long-running peer (killed by installPeerCleanup's hooks). */
export function spawnCli(build: CliBuild, args: string[], opts: PeerOptions = {}): PeerHandle {
  return spawnPeer(process.execPath, [build.bin, ...args], { name: `puretls ${args[0] ?? ''}`, ...opts });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node script args...` to the end (stdin closed, or given), with a timeout. */
export function runToEnd(script: string, args: string[], opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`node ${script} ${args.join(' ')}: no exit after ${opts.timeoutMs ?? 20_000} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `puretls s_server -accept 0 -cert C -key K args...` as a long-running peer;
 * resolves once it listens, with the port from its ACCEPT line.
 */
export async function startCliServer(build: CliBuild, cert: { certPath: string; keyPath: string }, args: string[] = []): Promise<{ srv: PeerHandle; port: number }> {
  const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', cert.certPath, '-key', cert.keyPath, ...args]);
  const m = await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000);
  return { srv, port: Number(m[1]) };
}

let markers = 0;
/**
 * Type a marker line into our s_server (for its current connection) and wait
 * until `read(marker)` resolves, i.e. the client printed or read it: whatever
 * the server sent before it (tickets included) has arrived by then.
 */
export async function settleThrough(srv: PeerHandle, read: (marker: string) => Promise<unknown>): Promise<void> {
  const marker = `marker-${process.pid}-${++markers}-end`;
  srv.write(`${marker}\n`);
  await read(marker);
}

/** Our s_server's summary line (New / Reused) for a connection after `mark`; printed before stdin lines go to it. */
export function servedLine(srv: PeerHandle, mark: OutputMark, timeoutMs = 10_000): Promise<string> {
  return srv.waitFor(/^(New|Reused), TLSv1\.[23], Cipher is \S+$/m, timeoutMs, mark);
}
