/**
 * `npm run docs` (typedoc, typedoc.json) builds the API reference from the
 * TSDoc comments with no warning (treatWarningsAsErrors: a warning fails the
 * build), and the pages the README links exist, anchors included.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trackTempDir } from '../helpers/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('API reference (typedoc)', () => {
  it('builds with zero warnings, and every docs/api page the README links exists', async () => {
    // Into a private directory, so a run does not race a developer's `npm run docs`.
    const out = join(ROOT, 'node_modules', '.cache', `puretls-typedoc-${process.pid}-${Date.now()}`);
    trackTempDir(out);
    const { code, output } = await new Promise<{ code: number; output: string }>((res) =>
      execFile(process.execPath, [join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], { cwd: ROOT, timeout: 55_000 }, (err, stdout, stderr) =>
        res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      ),
    );
    const clean = output.replace(/\x1b\[[0-9;]*m/g, '');
    expect(clean.match(/^.*\[(warning|error)\].*$/gm) ?? [], clean).toEqual([]);
    expect(code, clean).toBe(0);

    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm run docs');
    const links = [...readme.matchAll(/\]\(docs\/api\/([^)#]+)(?:#([^)]+))?\)/g)].map((m) => ({ page: m[1]!, anchor: m[2] }));
    for (const page of ['functions/connect.html', 'functions/createServer.html', 'classes/TlsSocket.html', 'classes/Connection.html', 'classes/TlsContext.html']) {
      expect(links.map((l) => l.page)).toContain(page);
    }
    expect(links.some((l) => l.anchor === 'keyupdate')).toBe(true);
    expect(links.some((l) => l.anchor === 'setsessionticketcallbacks')).toBe(true);
    for (const { page, anchor } of links) {
      const file = join(out, page);
      expect(existsSync(file), page).toBe(true);
      if (anchor) expect(readFileSync(file, 'utf8'), `${page}#${anchor}`).toContain(`id="${anchor}"`);
    }
  }, 60_000);
});
