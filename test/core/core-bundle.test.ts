/**
 * puretls/core has no Node dependency, checked on what the build makes:
 * - dist/core.js and every chunk it imports (the ESM graph a bundler or Deno
 *   loads) import nothing but each other and the @noble packages: no `node:`
 *   module, no Node builtin by its bare name;
 * - dist/browser.js (the self-contained browser bundle) imports nothing;
 * - none of those files names a Node global (process, Buffer, require,
 *   __dirname, global, setImmediate, ...) as a value: found by parsing each
 *   file with the TypeScript parser, so a method called `process` or a
 *   comment that says "Buffer" is not a reference;
 * - the package's conditional exports: under the browser, deno, bun, workerd
 *   and worker conditions `import 'puretls'` is the core (Connection,
 *   fromStreams; no connect or TlsSocket), under node it is the Node adapter.
 * The compiler side (no @types/node for the core) is `tsc -p tsconfig.core.json`,
 * run by `npm test` before vitest.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/built-package.js';

const NODE_GLOBALS = new Set(['process', 'Buffer', 'require', 'module', 'exports', '__dirname', '__filename', 'global', 'setImmediate', 'clearImmediate']);
const BUILTINS = new Set(builtinModules);

interface Scan {
  imports: string[];
  globals: string[];
}

/** Module specifiers (static, re-export and dynamic) and Node globals used as values in one JS file. */
function scan(file: string): Scan {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const imports: string[] = [];
  const globals: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      imports.push(arg && ts.isStringLiteral(arg) ? arg.text : '<computed import()>');
    } else if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && isValueReference(node)) {
      globals.push(`${node.text} (line ${source.getLineAndCharacterOfPosition(node.getStart()).line + 1})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, globals };
}

/** Not a property name (`x.process`, `{ process: 1 }`, `process() {}` in a class). */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === id) return false;
  return true;
}

/** The ESM graph from `entry`: every file reached through relative imports, with what each imports from outside. */
function graph(entry: string): Map<string, Scan> {
  const seen = new Map<string, Scan>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const s = scan(file);
    seen.set(file, s);
    for (const spec of s.imports) if (spec.startsWith('./') || spec.startsWith('../')) todo.push(join(dirname(file), spec));
  }
  return seen;
}

let dir: string;
let dist: string;

beforeAll(async () => {
  const built = await buildPackage('core', { declarations: false }); // the JavaScript is what is checked
  dir = built.dir;
  dist = join(built.pkg, 'dist');
}, 300_000);

describe('puretls/core has no Node dependency', () => {
  it('dist/core.js and its chunks import only each other and @noble', () => {
    const files = graph(join(dist, 'core.js'));
    expect(files.size).toBeGreaterThan(1); // the entry and the chunks it shares with the Node entry
    const outside = [...files.values()].flatMap((s) => s.imports.filter((spec) => !spec.startsWith('./') && !spec.startsWith('../')));
    expect(outside.length).toBeGreaterThan(0);
    for (const spec of outside) {
      expect(spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!), spec).toBe(false);
      expect(spec, spec).toMatch(/^@noble\/(hashes|curves|ciphers)\//);
    }
    for (const [file, s] of files) expect(s.globals, file).toEqual([]);
  });

  it('dist/browser.js is one self-contained module naming no Node global', () => {
    const s = scan(join(dist, 'browser.js'));
    expect(s.imports).toEqual([]);
    expect(s.globals).toEqual([]);
    expect(readFileSync(join(dist, 'browser.js'), 'utf8')).toMatch(/export \{[^}]*\bConnection\b/);
  });

  it('the scan finds a Node global and a node: import when there is one (the check can fail)', () => {
    const probe = join(dir, 'probe.js');
    writeFileSync(probe, "import { Socket } from 'node:net';\nclass A { process() { return x.Buffer; } }\nexport const y = Buffer.from(process.env.X ?? '');\n");
    const s = scan(probe);
    expect(s.imports).toEqual(['node:net']);
    expect(s.globals).toEqual(['Buffer (line 3)', 'process (line 3)']);
  });
});

/** What `import('puretls')` gives under `conditions`, from the consumer's directory: a few export names. */
function resolveUnder(conditions: string[]): Promise<{ url: string; names: string[] }> {
  const script = `
    const url = import.meta.resolve('puretls');
    const m = await import('puretls');
    console.log(JSON.stringify({ url, names: Object.keys(m).filter((k) => ['Connection', 'fromStreams', 'connect', 'TlsSocket', 'createServer'].includes(k)).sort() }));`;
  const args = [...conditions.map((c) => `--conditions=${c}`), '--input-type=module', '-e', script];
  return new Promise((res, rej) =>
    execFile(process.execPath, args, { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) => (err ? rej(new Error(`${err.message}\n${stderr}`)) : res(JSON.parse(stdout)))),
  );
}

describe("conditional exports: import 'puretls'", () => {
  for (const condition of ['browser', 'deno', 'bun', 'workerd', 'worker']) {
    it(`under the ${condition} condition is the core`, async () => {
      const got = await resolveUnder([condition]);
      expect(got.url).toMatch(/\/dist\/core\.js$/);
      expect(got.names).toEqual(['Connection', 'fromStreams']);
    });
  }

  it('under node is the Node adapter (with the core re-exported)', async () => {
    const got = await resolveUnder([]);
    expect(got.url).toMatch(/\/dist\/index\.js$/);
    expect(got.names).toEqual(['Connection', 'TlsSocket', 'connect', 'createServer', 'fromStreams']);
  });
});
