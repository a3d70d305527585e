import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const index = { index: 'src/index.ts', testing: 'src/testing/index.ts' };
const common: Options = { sourcemap: true, target: 'node20', platform: 'node', clean: false };

/**
 * Two builds from the same sources:
 * - ESM: the library (dist/index.js, index.d.ts) and the CLI and demo (ESM
 *   only: demo.ts uses import.meta.url), sharing chunks;
 * - CommonJS: the library alone (dist/index.cjs, index.d.cts), for
 *   `require('puretls')`. The @noble packages are ESM-only, so they are
 *   bundled into it: it then loads on every Node 20 (require() of ES modules
 *   is only unflagged from 20.19).
 * tsup runs the two at once, so neither may `clean` (it would delete the
 * other's files, .d.ts included): the output folder is emptied here, once.
 */
export default defineConfig((cli) => {
  if (!cli.watch) rmSync(cli.outDir ?? 'dist', { recursive: true, force: true });
  return [
    {
      ...common,
      entry: { ...index, cli: 'src/cli/main.ts', demo: 'src/cli/demo.ts' },
      format: ['esm'],
      dts: { entry: index },
      splitting: true,
    },
    {
      ...common,
      entry: index,
      format: ['cjs'],
      dts: { entry: index },
      splitting: false,
      noExternal: [/^@noble\//],
    },
  ];
});
