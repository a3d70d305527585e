/**
 * What a failing replay prints: where our flow first differs from the
 * recording (flow byte, record, offset in it), the messages on each side, and
 * for a plaintext ClientHello / ServerHello what changed in it ("our
 * ClientHello now sends extension X").
 */
import { ContentType, ExtensionType, nameOf } from '../common/constants.js';
import { splitHandshakeMessages, handshakeName } from '../messages/handshake.js';
import { ClientHello, ServerHello } from '../messages/hello.js';
import type { Extension } from '../messages/extensions.js';
import { actionToText, dataToText, type TranscriptEvent } from './transcript.js';

const hex = (b: Uint8Array, max = 24): string => Array.from(b.subarray(0, max), (x) => x.toString(16).padStart(2, '0')).join(' ') + (b.length > max ? ' …' : '');

export function describeEvent(e: TranscriptEvent): string {
  switch (e.kind) {
    case 'flow':
      return `${e.from === 'us' ? 'our' : "the peer's"} flow of ${e.data.length} bytes${e.notes.length ? ` (${e.notes.join(', ')})` : ''}`;
    case 'action':
      return `the call ${actionToText(e.action)}`;
    case 'data':
      return `application data read ${dataToText(e.data).slice(0, 60)}`;
    case 'error':
      return `the error ${e.code} (alert ${e.alert})`;
    case 'note':
      return `the note "${e.text}"`;
  }
}

interface RecordView {
  readonly type: number;
  readonly start: number;
  readonly fragment: Uint8Array;
}

function records(data: Uint8Array): RecordView[] {
  const out: RecordView[] = [];
  for (let at = 0; at + 5 <= data.length; ) {
    const len = (data[at + 3]! << 8) | data[at + 4]!;
    out.push({ type: data[at]!, start: at, fragment: data.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

const extTypes = (exts: readonly Extension[]): number[] => exts.map((e) => e.type);
const extName = (t: number): string => nameOf(ExtensionType, t);

/** For two versions of one plaintext hello: what changed, in words. */
function helloChanges(side: string, recorded: Uint8Array, now: Uint8Array): string[] {
  const a = splitHandshakeMessages(recorded).messages;
  const b = splitHandshakeMessages(now).messages;
  const out: string[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [ma, mb] = [a[i]!, b[i]!];
    if (ma.type !== mb.type) {
      out.push(`${side} now sends ${handshakeName(mb.type)} where it sent ${handshakeName(ma.type)}`);
      break;
    }
    let ha: ClientHello | ServerHello;
    let hb: ClientHello | ServerHello;
    try {
      [ha, hb] = ma.type === 1 ? [ClientHello.decode(ma.body), ClientHello.decode(mb.body)] : [ServerHello.decode(ma.body), ServerHello.decode(mb.body)];
    } catch {
      continue;
    }
    const name = `${side} ${handshakeName(ma.type)}`;
    const ta = extTypes(ha.extensions);
    const tb = extTypes(hb.extensions);
    for (const t of tb) if (!ta.includes(t)) out.push(`${name} now sends extension ${extName(t)}`);
    for (const t of ta) if (!tb.includes(t)) out.push(`${name} no longer sends extension ${extName(t)}`);
    for (const t of ta.filter((x) => tb.includes(x))) {
      const ea = ha.extensions.find((e) => e.type === t)!;
      const eb = hb.extensions.find((e) => e.type === t)!;
      if (hex(ea.data, 1 << 16) !== hex(eb.data, 1 << 16)) out.push(`${name} extension ${extName(t)} changed: ${hex(ea.data)} -> ${hex(eb.data)}`);
    }
    if (ta.join() !== tb.join() && out.length === 0) out.push(`${name} extensions are in another order: ${tb.map(extName).join(', ')}`);
    if (hex(ha.random, 32) !== hex(hb.random, 32)) out.push(`${name} random differs (another seed, or randomness drawn in another order)`);
    if (ha instanceof ClientHello && hb instanceof ClientHello && ha.cipherSuites.join() !== hb.cipherSuites.join()) {
      out.push(`${name} cipher suites changed: ${ha.cipherSuites.map((s) => s.toString(16)).join(' ')} -> ${hb.cipherSuites.map((s) => s.toString(16)).join(' ')}`);
    }
    if (ha instanceof ServerHello && hb instanceof ServerHello && ha.cipherSuite !== hb.cipherSuite) out.push(`${name} chose another cipher suite`);
  }
  if (a.length !== b.length) out.push(`${side} flight now has ${b.length} handshake messages in this record, was ${a.length}`);
  return out;
}

/** The first difference between our recorded flow and the replay's, explained. */
export function describeFlowDifference(role: 'client' | 'server', recorded: TranscriptEvent & { kind: 'flow' }, now: TranscriptEvent & { kind: 'flow' }): string {
  const a = recorded.data;
  const b = now.data;
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  const lines = [`our flow differs from the recording at byte ${at} (recorded ${a.length} bytes, now ${b.length})`];
  const ra = records(a);
  const rb = records(b);
  const idx = ra.findIndex((r) => at < r.start + 5 + r.fragment.length);
  const recA = ra[idx];
  const recB = rb.find((r) => r.start === recA?.start);
  if (recA) {
    lines.push(`  in record ${idx + 1} (${nameOf(ContentType, recA.type)}, ${recA.fragment.length} bytes), offset ${at - recA.start} in it; now ${recB ? `${nameOf(ContentType, recB.type)}, ${recB.fragment.length} bytes` : 'no record there'}`);
    if (recA.type === ContentType.handshake && recB?.type === ContentType.handshake) {
      lines.push(...helloChanges(`our (${role})`, recA.fragment, recB.fragment).map((l) => `  ${l}`));
    }
  }
  lines.push(`  recorded messages: ${recorded.notes.join(', ') || '(none decoded)'}`);
  lines.push(`  replay messages:   ${now.notes.join(', ') || '(none decoded)'}`);
  lines.push(`  recorded bytes from ${at}: ${hex(a.subarray(at))}`);
  lines.push(`  replay bytes from ${at}:   ${hex(b.subarray(at))}`);
  return lines.join('\n');
}
