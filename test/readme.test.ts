/**
 * The README's usage example, pasted into a file as a user would, runs
 * against a build of the package (imported by its name, 'puretls') and does
 * what it says: TLS 1.3 handshake, a key update, an echo, then exits.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert } from './helpers/keys.js';
import { trackTempDir } from './helpers/tmp.js';
import { runToEnd } from './cli/support.js';

const ROOT = resolve(import.meta.dirname, '..');
let dir: string;

beforeAll(async () => {
  // Under node_modules/.cache so the bundle's bare @noble imports resolve from the repo.
  dir = join(ROOT, 'node_modules', '.cache', `puretls-readme-test-${process.pid}-${Date.now()}`);
  const pkg = join(dir, 'node_modules', 'puretls');
  mkdirSync(pkg, { recursive: true });
  trackTempDir(dir);
  await new Promise<void>((res, rej) =>
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--no-config', '--entry.index=src/index.ts', '--format', 'esm', '--target', 'node20', '--silent', '--out-dir', join(pkg, 'dist')],
      { cwd: ROOT },
      (err, _out, stderr) => (err ? rej(new Error(`tsup failed: ${err.message}\n${stderr}`)) : res()),
    ),
  );
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  const cert = await makeCert({ keyType: 'p256', tag: 'readme' });
  writeFileSync(join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'key.pem'), cert.keyPem);
});

describe('README', () => {
  it('names the two commands', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
  });

  it('its usage example works when pasted into a file', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /```js\n(import \{ connect, createServer[^]*?)```/.exec(readme)?.[1];
    expect(example, 'the README has a js example importing connect/createServer').toBeDefined();
    writeFileSync(join(dir, 'example.mjs'), example!);
    const r = await runToEnd(join(dir, 'example.mjs'), [], { cwd: dir, timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // puretls's server on the @noble provider picks ChaCha20-Poly1305 (aeadPreference 'speed')
    expect(r.stdout).toBe('TLSv1.3 TLS_CHACHA20_POLY1305_SHA256\necho: hello\n\n');
  });
});
