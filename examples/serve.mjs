#!/usr/bin/env node
/**
 * Serve the examples: a tiny static file server (node:http, no
 * dependencies) rooted at the repository, on 127.0.0.1, and print the URL
 * of the browser example. It needs dist/browser.js: build first (`tsup`).
 *
 *   node examples/serve.mjs [--port N]      default port 8080 (0: any free port)
 *
 * PURETLS_DIST=<dir> serves that directory as /dist/ instead of the
 * repository's dist/ (the tests use a private build).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_TYPES } from './content-types.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.PURETLS_DIST ?? join(ROOT, 'dist'));
const portArg = process.argv.indexOf('--port');
const port = Number(portArg > 0 ? process.argv[portArg + 1] : (process.env.PORT ?? 8080));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node examples/serve.mjs [--port N]');
  process.exit(2);
}
if (!existsSync(join(DIST, 'browser.js'))) {
  console.error(`${join(DIST, 'browser.js')} is missing: build it first (npx tsup)`);
  process.exit(1);
}

/** Only these are served: the examples and the browser bundle. */
function fileFor(path) {
  const [base, rest] = path.startsWith('/dist/') ? [DIST, path.slice('/dist/'.length)] : path.startsWith('/examples/') ? [join(ROOT, 'examples'), path.slice('/examples/'.length)] : [null, ''];
  if (!base) return null;
  let file = resolve(base, rest);
  if (file !== base && !file.startsWith(base + sep)) return null;
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

const server = createServer((req, res) => {
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (path === '/' || path === '/examples' || path === '/examples/browser') {
    res.writeHead(302, { location: '/examples/browser/' }).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  const file = fileFor(path);
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
});

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  console.log(`puretls browser example: http://127.0.0.1:${actual}/examples/browser/`);
  console.log('(Ctrl-C to stop)');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
