/**
 * Shared by the socket benchmarks: a throwaway P-256 certificate for
 * localhost (made with openssl), and the puretls builds to compare.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A self-signed P-256 certificate and key for localhost, as PEM. */
export function makeCert() {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-bench-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `label=dir` or `dir` arguments → [label, module]; puretls's own dist when none. */
export async function loadDists(args) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const specs = args.length > 0 ? args : [join(here, '..', 'dist')];
  return Promise.all(
    specs.map(async (spec, i) => {
      const eq = spec.indexOf('=');
      const label = eq > 0 ? spec.slice(0, eq) : specs.length > 1 ? `#${i + 1}` : '';
      const dir = resolve(eq > 0 ? spec.slice(eq + 1) : spec);
      return { label: label ? `puretls ${label}` : 'puretls', dir, impl: await import(pathToFileURL(join(dir, 'index.js')).href) };
    }),
  );
}
