/**
 * `require('puretls')` works as well as `import`: the package is built with
 * the repo's own tsup.config.ts into a private directory laid out as an
 * installed package (node_modules/puretls with the repo's package.json), and
 * child processes resolve it by name through package.json `exports` — CommonJS
 * through "require", ESM through "import" — and do a real handshake with it.
 * The type declarations named for both conditions exist and type-check from a
 * CommonJS (.cts) and an ESM (.mts) consumer.
 */
import { copyFileSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, ROOT, runNode } from '../helpers/built-package.js';
import { runToEnd } from '../cli/support.js';

let dir: string;
let pkg: string;

beforeAll(async () => {
  ({ dir, pkg } = await buildPackage('cjs'));
}, 300_000);

/** A handshake and an echo over loopback with the module `m`, printing one JSON line. */
const handshake = `
  const server = m.createServer({ cert: readFileSync('cert.pem'), key: readFileSync('key.pem') }, (s) => s.pipe(s));
  server.listen(0, '127.0.0.1', () => {
    const socket = m.connect({ host: '127.0.0.1', port: server.address().port, servername: 'localhost', ca: readFileSync('cert.pem') }, () => socket.end('hello'));
    const got = [];
    socket.on('data', (d) => got.push(d)).on('close', () => {
      server.close();
      console.log(JSON.stringify({ resolved, protocol: socket.getProtocol(), authorized: socket.authorized, echo: Buffer.concat(got).toString(), TlsContext: typeof m.TlsContext }));
    });
  });
`;

describe("require('puretls') and import 'puretls'", () => {
  it('package.json names files the build made: main, types and both export conditions', () => {
    const p = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      exports: { '.': { import: { types: string; default: string }; require: { types: string; default: string } } };
    };
    const e = p.exports['.'];
    expect(p.main).toBe('./dist/index.cjs');
    expect(e.require.default).toBe('./dist/index.cjs');
    expect(e.import.default).toBe('./dist/index.js');
    for (const f of [p.main, p.types, e.import.types, e.import.default, e.require.types, e.require.default]) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
  });

  it('require() resolves to the CommonJS build and does a real handshake', async () => {
    writeFileSync(
      join(dir, 'check.cjs'),
      `const { readFileSync } = require('node:fs');
       const m = require('puretls');
       const resolved = require.resolve('puretls');
       if (require(${JSON.stringify(pkg)}) !== m) throw new Error('main and exports.require differ');
       ${handshake}`,
    );
    const r = await runToEnd(join(dir, 'check.cjs'), [], { cwd: dir, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      resolved: realpathSync(join(pkg, 'dist', 'index.cjs')),
      protocol: 'TLSv1.3',
      authorized: true,
      echo: 'hello',
      TlsContext: 'function',
    });
  });

  it('import still resolves to the ESM build and does a real handshake', async () => {
    writeFileSync(
      join(dir, 'check.mjs'),
      `import { readFileSync } from 'node:fs';
       import { fileURLToPath } from 'node:url';
       import * as m from 'puretls';
       const resolved = fileURLToPath(import.meta.resolve('puretls'));
       ${handshake}`,
    );
    const r = await runToEnd(join(dir, 'check.mjs'), [], { cwd: dir, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      resolved: realpathSync(join(pkg, 'dist', 'index.js')),
      protocol: 'TLSv1.3',
      authorized: true,
      echo: 'hello',
      TlsContext: 'function',
    });
  });

  it.each(['mjs', 'cjs'] as const)("'puretls/testing' (%s) replays a recorded transcript through the built package", async (ext) => {
    copyFileSync(join(ROOT, 'test', 'transcripts', 'tls13-client-keyupdate-requested.txt'), join(dir, 'transcript.txt'));
    copyFileSync(join(ROOT, 'test', 'transcripts', 'certs', 'ecdsa.crt'), join(dir, 'ecdsa.crt'));
    const body = `
      const text = readFileSync('transcript.txt', 'utf8');
      const ca = m.decodePem(readFileSync('ecdsa.crt', 'latin1'))[0].der;
      const report = t.replayTranscript(text, (setup) =>
        new m.Connection(new m.TlsContext({ provider: setup.provider, verifier: new m.DefaultVerifier({ ca: [ca] }) }), 'client', { serverName: 'localhost' }));
      let mismatch = '';
      try {
        t.replayTranscript(text, (setup) => new m.Connection(new m.TlsContext({ provider: setup.provider, alpnProtocols: ['h2'] }), 'client', { serverName: 'localhost' }));
      } catch (e) {
        mismatch = e.name + ': ' + /now sends extension (\\S+)/.exec(e.message)?.[1];
      }
      console.log(JSON.stringify({ flows: report.ourFlows, keyUpdates: report.finals[0].keyUpdates, mismatch }));`;
    const src =
      ext === 'mjs'
        ? `import { readFileSync } from 'node:fs';\nimport * as m from 'puretls';\nimport * as t from 'puretls/testing';\n${body}`
        : `const { readFileSync } = require('node:fs');\nconst m = require('puretls');\nconst t = require('puretls/testing');\n${body}`;
    writeFileSync(join(dir, `replay.${ext}`), src);
    const r = await runToEnd(join(dir, `replay.${ext}`), [], { cwd: dir, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { flows: number; keyUpdates: unknown; mismatch: string };
    expect(out.flows).toBeGreaterThan(3);
    expect(out.keyUpdates).toEqual({ sent: 1, received: 1 });
    expect(out.mismatch).toBe('TranscriptMismatchError: application_layer_protocol_negotiation');
  });

  it('the declarations type-check from a CommonJS and an ESM consumer (node16 resolution)', async () => {
    const use = `const ctx = new TlsContext({ alpnProtocols: ['h2'] });
      const s: TlsSocket = connect({ port: 1, ciphers: 'TLS_AES_128_GCM_SHA256', sigalgs: 'ECDSA+SHA256' });
      export const ok: [TlsContext, TlsSocket, typeof createServer] = [ctx, s, createServer];`;
    const replay = `export const replay: (t: string, f: ConnectionFactory) => ReplayReport = replayTranscript;`;
    writeFileSync(
      join(dir, 'use.cts'),
      `import puretls = require('puretls');\nimport testing = require('puretls/testing');\nconst { TlsContext, connect, createServer } = puretls;\nconst { replayTranscript } = testing;\ntype TlsContext = puretls.TlsContext;\ntype TlsSocket = puretls.TlsSocket;\ntype ConnectionFactory = testing.ConnectionFactory;\ntype ReplayReport = testing.ReplayReport;\n${use}\n${replay}\n`,
    );
    writeFileSync(join(dir, 'use.mts'), `import { TlsContext, TlsSocket, connect, createServer } from 'puretls';\nimport { replayTranscript, type ConnectionFactory, type ReplayReport } from 'puretls/testing';\n${use}\n${replay}\n`);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await runNode(tsc, ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--types', 'node', 'use.cts', 'use.mts'], dir);
  });
});
