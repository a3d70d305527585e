/**
 * The wiring entries of the built package: 'puretls/https', 'puretls/http2'
 * and 'puretls/undici' resolve through package.json "exports" (ESM and
 * CommonJS) in a package built with the repo's tsup.config.ts, as in
 * test/node/cjs.test.ts, and an HTTPS request goes through them.
 */
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runToEnd } from '../cli/support.js';
import { buildPackage, ROOT, runNode } from '../helpers/built-package.js';

const ENTRIES = ['https', 'http2', 'undici'] as const;
let dir: string;
let pkg: string;

beforeAll(async () => {
  ({ dir, pkg } = await buildPackage('wiring-package'));
}, 300_000);

/** A server and one request with puretls/https (`https`), printing one JSON line; `resolved` and `h2`/`undici` come from the caller. */
const request = `
  const ca = readFileSync('cert.pem');
  const server = https.createServer({ cert: ca, key: readFileSync('key.pem') }, (req, res) => res.end(req.url + ' ' + req.socket.getProtocol()));
  server.listen(0, '127.0.0.1', () => {
    https.get({ host: 'localhost', port: server.address().port, path: '/hi', ca }, (res) => {
      const body = [];
      res.on('data', (d) => body.push(d)).on('end', () => {
        https.globalAgent.destroy();
        server.close();
        console.log(JSON.stringify({ resolved, status: res.statusCode, body: Buffer.concat(body).toString(), http2: typeof h2.createSecureServer, undici: typeof undici.connector }));
      });
    });
  });
`;

describe("the package's wiring entries", () => {
  it('package.json "exports" names files the build made, for ./https, ./http2 and ./undici', () => {
    type Conditions = { import: { types: string; default: string }; require: { types: string; default: string } };
    const exportsMap = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, Conditions> }).exports;
    for (const name of ENTRIES) {
      const e = exportsMap[`./${name}`]!;
      expect(e, name).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      });
      for (const f of [e.import.types, e.import.default, e.require.types, e.require.default]) expect(existsSync(join(pkg, f)), f).toBe(true);
    }
  });

  it.each(['mjs', 'cjs'] as const)("import 'puretls/https' (%s) from the built package: one request", async (ext) => {
    const src =
      ext === 'mjs'
        ? `import { readFileSync } from 'node:fs';\nimport { fileURLToPath } from 'node:url';\nimport * as https from 'puretls/https';\nimport * as h2 from 'puretls/http2';\nimport * as undici from 'puretls/undici';\nconst resolved = fileURLToPath(import.meta.resolve('puretls/https'));\n${request}`
        : `const { readFileSync } = require('node:fs');\nconst https = require('puretls/https');\nconst h2 = require('puretls/http2');\nconst undici = require('puretls/undici');\nconst resolved = require.resolve('puretls/https');\n${request}`;
    writeFileSync(join(dir, `https.${ext}`), src);
    const r = await runToEnd(join(dir, `https.${ext}`), [], { cwd: dir, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      resolved: realpathSync(join(pkg, 'dist', `https.${ext === 'mjs' ? 'js' : 'cjs'}`)),
      status: 200,
      body: '/hi TLSv1.3',
      http2: 'function',
      undici: 'function',
    });
  });

  it('the declarations type-check from an ESM and a CommonJS consumer (node16 resolution)', async () => {
    const use = `export const made: [Server, Agent, UndiciConnector, Http2SecureServer] = [createServer({}), new Agent({ keepAlive: true }), connector({}), createSecureServer({ allowHTTP1: true })];`;
    writeFileSync(
      join(dir, 'use.mts'),
      `import { createServer, Agent, type Server } from 'puretls/https';\nimport { createSecureServer, type Http2SecureServer } from 'puretls/http2';\nimport { connector, type UndiciConnector } from 'puretls/undici';\n${use}\n`,
    );
    writeFileSync(
      join(dir, 'use.cts'),
      `import https = require('puretls/https');\nimport h2 = require('puretls/http2');\nimport u = require('puretls/undici');\nconst { createServer, Agent } = https;\nconst { createSecureServer } = h2;\nconst { connector } = u;\ntype Server = https.Server;\ntype Agent = https.Agent;\ntype Http2SecureServer = h2.Http2SecureServer;\ntype UndiciConnector = u.UndiciConnector;\n${use}\n`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await runNode(tsc, ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--types', 'node', 'use.mts', 'use.cts'], dir);
  });
});
