/**
 * The package as a user installs it: built with the repo's tsup.config.ts
 * (both builds, declarations included) into a private directory laid out as
 * node_modules/puretls with the repo's package.json, beside a consumer
 * package of its own, with a certificate (cert.pem, key.pem) to serve.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeCert } from './keys.js';
import { trackTempDir } from './tmp.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Run a node script; rejects with its output. */
export function runNode(file: string, args: string[], cwd: string, timeout = 120_000): Promise<void> {
  return new Promise((res, rej) =>
    execFile(process.execPath, [file, ...args], { cwd, timeout }, (err, stdout, stderr) =>
      err ? rej(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`)) : res(),
    ),
  );
}

export interface BuildOptions {
  /**
   * Emit the .d.ts / .d.cts files (tsup's dts step, most of the build's time:
   * about 30 s of 33). Default true; false for tests that only run the
   * JavaScript (test/runtimes), so the package's "types" paths then name no file.
   */
  declarations?: boolean;
}

/** Build it; `dir` holds the consumer (cert.pem, key.pem), `pkg` the installed package. */
export async function buildPackage(tag: string, options: BuildOptions = {}): Promise<{ dir: string; pkg: string }> {
  // Under node_modules/.cache so that the ESM bundle's bare @noble imports resolve from the repo.
  const dir = join(ROOT, 'node_modules', '.cache', `puretls-${tag}-test-${process.pid}-${Date.now()}`);
  const pkg = join(dir, 'node_modules', 'puretls');
  mkdirSync(pkg, { recursive: true });
  trackTempDir(dir);
  const flags = options.declarations === false ? ['--no-dts'] : [];
  await runNode(join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), ['--silent', ...flags, '--out-dir', join(pkg, 'dist')], ROOT, 240_000);
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  // The consumer's own package: without it, TypeScript would resolve 'puretls' as the repo's self-reference.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `puretls-${tag}-consumer`, private: true }));
  const cert = await makeCert({ keyType: 'p256', tag });
  writeFileSync(join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'key.pem'), cert.keyPem);
  return { dir, pkg };
}
