import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/** The package's entry points (package.json "exports"): the library, puretls/testing and the wiring modules. */
const index = {
  index: 'src/index.ts',
  core: 'src/core.ts',
  testing: 'src/testing/index.ts',
  'node-crypto': 'src/crypto/node-crypto.ts',
  https: 'src/node/https.ts',
  http2: 'src/node/http2.ts',
  undici: 'src/node/undici.ts',
};
/** puretls/node: the Node adapter, the same module as the root entry has under Node. */
const nodeEntry = { node: 'src/index.ts' };
const common: Options = { sourcemap: true, target: 'node20', platform: 'node', clean: false };

/**
 * Two builds from the same sources:
 * - ESM: the library (dist/index.js, index.d.ts; testing, node-crypto,
 *   https, http2, undici likewise) and the CLI and demo (ESM only: demo.ts uses
 *   import.meta.url), sharing chunks (one TlsSocket class for all entries);
 * - CommonJS: the library entries (dist/index.cjs, index.d.cts, ...), for
 *   `require('puretls')` and `require('puretls/https')`: each a bundle of
 *   its own (no splitting in CommonJS), so a TlsSocket from puretls/https
 *   is not `instanceof` the TlsSocket of require('puretls'). The @noble
 *   packages are ESM-only, so they are bundled into each: they then load on
 *   every Node 20 (require() of ES modules is only unflagged from 20.19).
 * - the browser bundle: dist/browser.js, puretls/core as one self-contained
 *   ES module (the @noble packages inlined, platform 'browser'), for a
 *   <script type="module"> or an import map with no bundler.
 * tsup runs them at once, so neither may `clean` (it would delete the
 * other's files, .d.ts included): the output folder is emptied here, once.
 */
export default defineConfig((cli): Options[] => {
  if (!cli.watch) rmSync(cli.outDir ?? 'dist', { recursive: true, force: true });
  return [
    {
      ...common,
      entry: { ...index, ...nodeEntry, cli: 'src/cli/main.ts', demo: 'src/cli/demo.ts' },
      format: ['esm'],
      dts: { entry: { ...index, ...nodeEntry } },
      splitting: true,
    },
    {
      ...common,
      entry: { ...index, ...nodeEntry },
      format: ['cjs'],
      dts: { entry: { ...index, ...nodeEntry } },
      splitting: false,
      noExternal: [/^@noble\//],
    },
    {
      ...common,
      entry: { browser: 'src/core.ts' },
      format: ['esm'],
      platform: 'browser',
      target: 'es2022',
      splitting: false,
      noExternal: [/^@noble\//],
    },
  ];
});
