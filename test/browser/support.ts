/**
 * Plumbing for the headless Chromium tests (test/browser/*.test.ts):
 *
 *  - `buildBrowserBundle()`: dist/browser.js as the package ships it (the
 *    browser entry of the repo's tsup.config.ts, nothing else: no .d.ts, so
 *    it takes well under a second) into a private temp directory;
 *  - `startStatic(mounts)`: a tiny node:http static server on 127.0.0.1,
 *    port 0, serving directories under URL prefixes (GET only, no listing,
 *    nothing outside the mounted directories);
 *  - `launchChromium()`: Debian's /usr/bin/chromium through playwright-core,
 *    headless, with a fresh profile, and with the background-networking
 *    features off (this machine's closed network refuses them).
 *
 * Everything started here has a close(); each test file closes what it
 * started in afterAll.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build, type Options } from 'tsup';
import tsupConfig from '../../tsup.config.js';
import { makeTempDir } from '../helpers/tmp.js';
import { CONTENT_TYPES } from '../../examples/content-types.mjs';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's chromium is installed. Outside CI a missing one skips the browser
 * tests with a one-line note; under CI=true it is a failure (as peers.ts
 * does for openssl and gnutls).
 */
export const HAS_CHROMIUM: boolean = (() => {
  if (existsSync(CHROMIUM)) return true;
  const line = `${CHROMIUM} not found: install the Debian package chromium (apt-get install chromium)`;
  if (process.env['CI'] === 'true') throw new Error(`${line}; required under CI=true`);
  console.warn(`[puretls tests] ${line}; skipping the browser tests`);
  return false;
})();

/** The browser entry of tsup.config.ts, built into a fresh temp dir; resolves with that dir (holding browser.js). */
export async function buildBrowserBundle(): Promise<string> {
  const outDir = makeTempDir('puretls-browser-build-');
  const configs = typeof tsupConfig === 'function' ? await tsupConfig({ outDir }) : tsupConfig;
  const list: Options[] = Array.isArray(configs) ? configs : [configs];
  const browser = list.find((o) => typeof o.entry === 'object' && o.entry !== null && !Array.isArray(o.entry) && 'browser' in o.entry);
  if (!browser) throw new Error('tsup.config.ts has no build with a "browser" entry');
  await build({ ...browser, outDir, config: false, silent: true, sourcemap: false });
  return outDir;
}


export interface StaticServer {
  readonly server: Server;
  readonly port: number;
  /** http://127.0.0.1:port */
  readonly origin: string;
  /** Paths requested so far (for asserting what the page loaded). */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Serve `mounts` ({ '/dist/': dir, '/': otherDir }, longest prefix first) on
 * 127.0.0.1 at a free port. A request for a directory gets its index.html.
 */
export async function startStatic(mounts: Record<string, string>): Promise<StaticServer> {
  const entries = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const mount = entries.find(([prefix]) => path.startsWith(prefix));
    if (req.method !== 'GET' || !mount) {
      res.writeHead(req.method !== 'GET' ? 405 : 404).end();
      return;
    }
    const [prefix, dir] = mount;
    let file = resolve(join(dir, path.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('startStatic: no TCP address');
  return {
    server,
    port: addr.port,
    origin: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

/** Headless Chromium with a fresh profile (the default context of a new launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
}
