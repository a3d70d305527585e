/**
 * Temporary directories for tests, with a cleanup registry.
 *
 * `makeTempDir(prefix)` creates a fresh directory under the OS temp dir and
 * records it. Every recorded directory is removed by `cleanupTempDirs()` (which
 * installPeerCleanup() runs after each test file), and in any case when the
 * (vitest worker) process exits or gets SIGTERM/SIGINT/SIGHUP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();

// ── process teardown: run sync callbacks on exit and on SIGTERM/SIGINT/SIGHUP ──
// vitest (tinypool) ends fork workers with SIGTERM, which skips 'exit' handlers:
// without this, temp dirs (and detached peer processes, see peers.ts) would outlive them.
const teardowns = new Set<() => void>();
let hooksInstalled = false;

function runTeardowns(): void {
  for (const fn of [...teardowns]) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  runTeardowns();
  process.removeListener(sig, onSignal);
  // Re-raise for the default action (termination) unless someone else handles it.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

/** Run `fn` (synchronously) when this process exits or is terminated by a signal. */
export function addTeardown(fn: () => void): void {
  teardowns.add(fn);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', runTeardowns);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, onSignal);
}

function installExitHook(): void {
  addTeardown(cleanupTempDirs);
}

/** Create a new, empty directory `<os tmp>/<prefix>XXXXXX` and register it for cleanup. */
export function makeTempDir(prefix = 'puretls-'): string {
  installExitHook();
  const safe = prefix.replace(/[^A-Za-z0-9._-]/g, '_');
  const dir = mkdtempSync(join(tmpdir(), safe.endsWith('-') ? safe : `${safe}-`));
  dirs.add(dir);
  return dir;
}

/** Write `content` to `name` inside `dir` and return the full path. */
export function writeTempFile(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Remove one registered directory (or any directory) now. */
export function removeTempDir(dir: string): void {
  dirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Remove every directory created by `makeTempDir` so far. Never throws. */
export function cleanupTempDirs(): void {
  for (const dir of [...dirs]) {
    dirs.delete(dir);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

/** The directories currently registered (for tests of the harness). */
export function registeredTempDirs(): string[] {
  return [...dirs];
}

/** Register an existing directory for cleanup (e.g. one re-created after a cleanup). */
export function trackTempDir(dir: string): void {
  installExitHook();
  dirs.add(dir);
}
