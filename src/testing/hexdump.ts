/**
 * Go crypto/tls testdata's hexdump (`hexdump -C`): 16 bytes a line, an
 * offset, two groups of eight, the printable characters between bars.
 */

const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');

/** The lines of `data` in `hexdump -C` style (no trailing offset line). */
export function hexdumpLines(data: Uint8Array): string[] {
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += 16) {
    const row = data.subarray(at, at + 16);
    let hex = '';
    for (let i = 0; i < 16; i++) {
      hex += i < row.length ? `${row[i]!.toString(16).padStart(2, '0')} ` : '   ';
      if (i === 7) hex += ' ';
    }
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex} |${Array.from(row, printable).join('')}|`);
  }
  return lines;
}

/** A hexdump line's bytes and offset, or null when the line is not one. */
export function parseHexdumpLine(line: string): { offset: number; bytes: number[] } | null {
  const m = /^([0-9a-f]{8})  ((?:[0-9a-f]{2} {1,2}){1,16}) *\|.*\|$/.exec(line);
  if (!m) return null;
  return { offset: parseInt(m[1]!, 16), bytes: m[2]!.trim().split(/\s+/).map((h) => parseInt(h, 16)) };
}
