/**
 * Byte strings from RFC 8448 (Example Handshake Traces for TLS 1.3), read
 * from test/vectors/rfc8448.txt (the RFC's text, with its copyright notice).
 *
 *   rfc8448(3, 'ClientHello (196 octets)')       // the whole handshake message
 *   rfc8448(3, 'Finished (', 1)                   // the second Finished in §3
 *   rfc8448Labels(3)                              // ['private key (32 octets)', ...]
 *
 * A value is a line "   <label> (N octets):  hex..." and its continuation
 * lines, across page breaks, up to the next line that is not hex.
 */
import { readFileSync } from 'node:fs';

const FILE = new URL('../vectors/rfc8448.txt', import.meta.url);

/** A line that starts a value: "      <name> (N octets):  <hex or (empty)>". */
const LABEL = /^\s+(\S.*?\((\d+) octets\)):\s*(.*)$/;
const HEX_LINE = /^\s+[0-9a-f]{2}( [0-9a-f]{2})*\s*$/;
const SECTION = /^(\d+)\.\s\s/;

/** Lines of the page breaks between pages of the RFC text. */
function isPageBreak(line: string): boolean {
  return (
    line.trim() === '' ||
    line.trim() === '\f' ||
    /^Thomson\s+Informational\s+\[Page \d+\]$/.test(line) ||
    /^RFC 8448\s+TLS 1\.3 Traces\s+January 2019$/.test(line)
  );
}

let cachedLines: string[] | undefined;
function lines(): string[] {
  cachedLines ??= readFileSync(FILE, 'latin1').replace(/\r/g, '').split('\n');
  return cachedLines;
}

/** Lines of top-level section `section` (from its heading to the next one). */
function sectionLines(section: number): string[] {
  const all = lines();
  const start = all.findIndex((l) => SECTION.exec(l)?.[1] === String(section));
  if (start < 0) throw new Error(`rfc8448: no section ${section}`);
  let end = start + 1;
  while (end < all.length && !SECTION.test(all[end]!)) end++;
  return all.slice(start, end);
}

function hexBytes(text: string, where: string): number[] {
  const t = text.trim();
  if (t === '' || t === '(empty)') return [];
  return t.split(/\s+/).map((h) => {
    if (!/^[0-9a-f]{2}$/.test(h)) throw new Error(`rfc8448: ${where}: '${h}' is not a hex byte`);
    return parseInt(h, 16);
  });
}

/** The labels of every value in a section, in order (repeats included). */
export function rfc8448Labels(section: number): string[] {
  const out: string[] = [];
  for (const l of sectionLines(section)) {
    const m = LABEL.exec(l);
    if (m) out.push(m[1]!);
  }
  return out;
}

/**
 * The bytes of the `occurrence`-th value in `section` whose label line
 * contains `label` (e.g. 'ClientHello (196 octets)', 'complete record (').
 * @throws {Error} if not found or if the byte count is not the label's N
 */
export function rfc8448(section: number, label: string, occurrence = 0): Uint8Array {
  const ls = sectionLines(section);
  let seen = 0;
  for (let i = 0; i < ls.length; i++) {
    const m = LABEL.exec(ls[i]!);
    if (!m || !m[1]!.includes(label)) continue;
    if (seen++ < occurrence) continue;
    const where = `§${section} '${m[1]}'`;
    const bytes = hexBytes(m[3]!, where);
    for (let j = i + 1; j < ls.length; j++) {
      const l = ls[j]!;
      if (HEX_LINE.test(l)) bytes.push(...hexBytes(l, where));
      else if (!isPageBreak(l)) break;
    }
    const expected = Number(m[2]);
    if (bytes.length !== expected) throw new Error(`rfc8448: ${where}: ${bytes.length} bytes, label says ${expected}`);
    return Uint8Array.from(bytes);
  }
  throw new Error(`rfc8448: §${section}: occurrence ${occurrence} of '${label}' not found (${seen} found)`);
}
