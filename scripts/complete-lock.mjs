// Complete package-lock.json with entries for platform-specific optional
// packages (e.g. @rollup/rollup-android-arm64) that a registry may
// not serve to this platform: `npm install` silently leaves them out, and npm 11's `npm ci`
// then refuses the lock ("Missing: ... from lock file"). They never install on
// this platform (os/cpu mismatch), so an entry with version, os and cpu is all
// npm ci needs. Run after regenerating the lock: `node scripts/complete-lock.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const pkgs = lock.packages;

/** os/cpu/libc from a platform package name such as rollup-linux-arm64-musl or linux-x64. */
function platformOf(name) {
  const base = name.split('/').pop();
  const osNames = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'netbsd', 'sunos', 'win32', 'openharmony', 'aix'];
  const cpus = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32'];
  const parts = base.split('-');
  const os = parts.find((p) => osNames.includes(p));
  const cpu = parts.find((p) => cpus.includes(p));
  const entry = {};
  if (os) entry.os = [os];
  if (cpu) entry.cpu = [cpu];
  if (parts.includes('musl')) entry.libc = ['musl'];
  else if (parts.includes('gnu') || parts.includes('gnueabihf')) entry.libc = ['glibc'];
  return entry;
}

let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pkgs[key] || !/^\d+\.\d+\.\d+/.test(version)) continue;
    const p = platformOf(dep);
    if (!p.os && !p.cpu) continue; // not a platform package: leave it to npm
    pkgs[key] = { version, ...p, dev: meta.dev ?? false, optional: true };
    added++;
    void path;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lock: added ${added} platform entries`);
