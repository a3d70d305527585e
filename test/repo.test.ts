/**
 * The repo stands alone: nothing in src/, test/, bench/ or scripts/ names a
 * path outside it (a relative path that climbs above the repo root, or an
 * absolute path of a build machine), so a fresh clone with nothing beside it
 * runs `npm test`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIRS = ['src', 'test', 'bench', 'scripts', 'bin'];
const SELF = fileURLToPath(import.meta.url);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'vectors' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|mjs|js|cjs|json|sh)$/.test(name)) out.push(p);
  }
  return out;
}

const ALL = DIRS.flatMap((d) => files(join(ROOT, d))).filter((f) => f !== SELF);

describe('the repo names no path outside itself', () => {
  it('has source files to check', () => expect(ALL.length).toBeGreaterThan(100));

  it('no relative path climbs above the repo root', () => {
    const bad: string[] = [];
    for (const f of ALL) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/['"`]((?:\.\.\/)+[^'"`\s]*)['"`]/g)) {
        const target = resolve(dirname(f), m[1]!);
        if (relative(ROOT, target).startsWith(`..${sep}`) || relative(ROOT, target) === '..') bad.push(`${relative(ROOT, f)}: ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no absolute path of a build machine (/work, /home, /root) appears', () => {
    const bad = ALL.filter((f) => /(^|[\s'"`(])\/(work|home|root)\//m.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(bad).toEqual([]);
  });
});
