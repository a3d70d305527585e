/**
 * Recorded transcripts: one side of a TLS conversation (ours), recorded once
 * against a real peer with deterministic randomness and clock, replayed
 * byte for byte. The text format follows Go's crypto/tls testdata
 * (">>> Flow N (client to server)" and hexdump lines), with a header, our
 * API calls ("@ ..."), the application data we read ("< ..."), an error our
 * call threw ("! ...") and the final state ("final: {...}"). Lines starting
 * with "#" are comments (the decoded messages of each flow), ignored on replay.
 */
import { hexdumpLines, parseHexdumpLine } from './hexdump.js';

/** The format version written in the first line; other versions are refused. */
export const TRANSCRIPT_FORMAT = 1;
const FIRST_LINE = `# puretls transcript, format ${TRANSCRIPT_FORMAT}`;

/** A call on our side's Connection, in recording order. */
export type TranscriptAction =
  | { readonly name: 'doHandshake' }
  | { readonly name: 'write'; readonly data: Uint8Array }
  | { readonly name: 'keyUpdate'; readonly type: 0 | 1 }
  | { readonly name: 'close' }
  | { readonly name: 'renegotiate' }
  | { readonly name: 'renegotiateAbbreviated' }
  | { readonly name: 'newSessionTicket' }
  | { readonly name: 'verifyClientPostHandshake' }
  | { readonly name: 'setNumTickets'; readonly n: number };

export type TranscriptEvent =
  /** Bytes on the wire: ours (asserted on replay) or the peer's (fed to us). */
  | { readonly kind: 'flow'; readonly from: 'us' | 'peer'; readonly data: Uint8Array; readonly notes: readonly string[] }
  | { readonly kind: 'action'; readonly action: TranscriptAction }
  /** Application data our side read after the peer flow before it. */
  | { readonly kind: 'data'; readonly data: Uint8Array }
  /** Our call (the action or peer flow before it) threw this TlsError. */
  | { readonly kind: 'error'; readonly code: string; readonly alert: number }
  /** Something the peer was told to do (typed "k" ...): a comment, kept in place. */
  | { readonly kind: 'note'; readonly text: string };

/** What a connection ended with: compared as JSON on replay. */
export type FinalState = Readonly<Record<string, unknown>>;

export interface TranscriptConnection {
  readonly events: TranscriptEvent[];
  final: FinalState | undefined;
}

export interface TranscriptHeader {
  /** The scenario's name (its file name without .txt). */
  readonly scenario: string;
  readonly role: 'client' | 'server';
  /** deterministicRandom's seed for our side (UTF-8). */
  readonly seed: string;
  /** Our side's fixed clock, ms since the epoch. */
  readonly clockMs: number;
  /** Every other header line ("peer", "peer-version", "steps", ...), in order. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

export interface Transcript {
  readonly header: TranscriptHeader;
  readonly connections: TranscriptConnection[];
}

/** A transcript file that cannot be read: the line and why. */
export class TranscriptFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`transcript line ${line}: ${message}`);
    this.name = 'TranscriptFormatError';
  }
}

// ---- data as text ------------------------------------------------------------

/** Application data as a JSON string when it is printable ASCII (with \n, \r, \t), else hex:… */
export function dataToText(data: Uint8Array): string {
  const ascii = data.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09);
  return ascii ? JSON.stringify(String.fromCharCode(...data)) : `hex:${Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function textToData(text: string, line: number): Uint8Array {
  if (text.startsWith('hex:')) {
    const hex = text.slice(4);
    if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new TranscriptFormatError(line, 'bad hex data');
    return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  }
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch {
    throw new TranscriptFormatError(line, `data must be a JSON string or hex:…, got ${text.slice(0, 40)}`);
  }
  if (typeof s !== 'string' || /[^\x00-\xff]/.test(s)) throw new TranscriptFormatError(line, 'data must be a string of bytes');
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

// ---- actions -----------------------------------------------------------------

export function actionToText(a: TranscriptAction): string {
  switch (a.name) {
    case 'write':
      return `write ${dataToText(a.data)}`;
    case 'keyUpdate':
      return `keyUpdate ${a.type}`;
    case 'setNumTickets':
      return `setNumTickets ${a.n}`;
    default:
      return a.name;
  }
}

const SIMPLE_ACTIONS = ['doHandshake', 'close', 'renegotiate', 'renegotiateAbbreviated', 'newSessionTicket', 'verifyClientPostHandshake'] as const;

function textToAction(text: string, line: number): TranscriptAction {
  const [name = '', ...rest] = text.split(' ');
  const arg = rest.join(' ');
  if ((SIMPLE_ACTIONS as readonly string[]).includes(name) && arg === '') return { name } as TranscriptAction;
  if (name === 'write') return { name, data: textToData(arg, line) };
  if (name === 'keyUpdate' && (arg === '0' || arg === '1')) return { name, type: arg === '1' ? 1 : 0 };
  if (name === 'setNumTickets' && /^\d+$/.test(arg)) return { name, n: Number(arg) };
  throw new TranscriptFormatError(line, `unknown action "${text}"`);
}

// ---- the file ------------------------------------------------------------------

function flowLabel(role: 'client' | 'server', from: 'us' | 'peer'): string {
  const client = (role === 'client') === (from === 'us');
  return client ? 'client to server' : 'server to client';
}

/** The transcript as text (what parseTranscript reads back). */
export function formatTranscript(t: Transcript): string {
  const h = t.header;
  const out = [FIRST_LINE, `scenario: ${h.scenario}`, `role: ${h.role}`, `seed: ${h.seed}`, `clock-ms: ${h.clockMs}`];
  for (const [k, v] of h.fields) out.push(`${k}: ${v}`);
  let flow = 0;
  t.connections.forEach((c, i) => {
    out.push('', `=== Connection ${i + 1}`);
    for (const e of c.events) {
      switch (e.kind) {
        case 'flow':
          out.push(`>>> Flow ${++flow} (${flowLabel(h.role, e.from)})`, ...e.notes.map((n) => `# ${n}`), ...hexdumpLines(e.data));
          break;
        case 'action':
          out.push(`@ ${actionToText(e.action)}`);
          break;
        case 'data':
          out.push(`< ${dataToText(e.data)}`);
          break;
        case 'error':
          out.push(`! ${e.code} ${e.alert}`);
          break;
        case 'note':
          out.push(`# ${e.text}`);
          break;
      }
    }
    if (c.final) out.push(`final: ${JSON.stringify(c.final)}`);
  });
  return `${out.join('\n')}\n`;
}

/**
 * Read a transcript.
 * @throws {TranscriptFormatError} naming the line
 */
export function parseTranscript(text: string): Transcript {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== FIRST_LINE) throw new TranscriptFormatError(1, `expected "${FIRST_LINE}"`);
  const fields: Array<[string, string]> = [];
  const connections: TranscriptConnection[] = [];
  let current: TranscriptConnection | null = null;
  let flow: { from: 'us' | 'peer'; bytes: number[]; notes: string[] } | null = null;
  let role: 'client' | 'server' | null = null;
  const endFlow = (): void => {
    if (flow && current) current.events.push({ kind: 'flow', from: flow.from, data: Uint8Array.from(flow.bytes), notes: flow.notes });
    flow = null;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const n = i + 1;
    if (line === '') continue;
    const conn = /^=== Connection (\d+)$/.exec(line);
    if (conn) {
      endFlow();
      if (Number(conn[1]) !== connections.length + 1) throw new TranscriptFormatError(n, 'connections must be numbered 1, 2, …');
      current = { events: [], final: undefined };
      connections.push(current);
      continue;
    }
    if (!current) {
      const m = /^([a-z][a-z0-9-]*): (.*)$/.exec(line);
      if (!m) throw new TranscriptFormatError(n, 'expected a header line "name: value"');
      if (m[1] === 'role') {
        if (m[2] !== 'client' && m[2] !== 'server') throw new TranscriptFormatError(n, 'role must be client or server');
        role = m[2];
      }
      fields.push([m[1]!, m[2]!]);
      continue;
    }
    const head = /^>>> Flow \d+ \((client to server|server to client)\)$/.exec(line);
    if (head) {
      endFlow();
      if (!role) throw new TranscriptFormatError(n, 'a flow before the role');
      const fromClient = head[1] === 'client to server';
      flow = { from: fromClient === (role === 'client') ? 'us' : 'peer', bytes: [], notes: [] };
      continue;
    }
    if (line.startsWith('# ')) {
      if (flow && flow.bytes.length === 0) flow.notes.push(line.slice(2));
      else {
        endFlow();
        current.events.push({ kind: 'note', text: line.slice(2) });
      }
      continue;
    }
    const row = parseHexdumpLine(line);
    if (row) {
      if (!flow || row.offset !== flow.bytes.length) throw new TranscriptFormatError(n, 'a hexdump line out of place');
      flow.bytes.push(...row.bytes);
      continue;
    }
    endFlow();
    if (line.startsWith('@ ')) current.events.push({ kind: 'action', action: textToAction(line.slice(2), n) });
    else if (line.startsWith('< ')) current.events.push({ kind: 'data', data: textToData(line.slice(2), n) });
    else if (line.startsWith('! ')) {
      // TlsError codes: ERR_TLS_… and certificate verification codes (DEPTH_ZERO_SELF_SIGNED_CERT, …).
      const m = /^! ([A-Z][A-Z0-9_]*) (\d+)$/.exec(line);
      if (!m) throw new TranscriptFormatError(n, 'expected "! CODE ALERT"');
      current.events.push({ kind: 'error', code: m[1]!, alert: Number(m[2]) });
    } else if (line.startsWith('final: ')) {
      try {
        current.final = JSON.parse(line.slice(7)) as FinalState;
      } catch {
        throw new TranscriptFormatError(n, 'final: is not JSON');
      }
    } else throw new TranscriptFormatError(n, `unexpected line "${line.slice(0, 60)}"`);
  }
  endFlow();
  const get = (k: string): string | undefined => fields.find(([f]) => f === k)?.[1];
  const scenario = get('scenario');
  const seed = get('seed');
  const clock = Number(get('clock-ms'));
  if (!scenario || !role || seed === undefined || !Number.isFinite(clock)) throw new TranscriptFormatError(1, 'the header needs scenario, role, seed and clock-ms');
  const known = new Set(['scenario', 'role', 'seed', 'clock-ms']);
  return { header: { scenario, role, seed, clockMs: clock, fields: fields.filter(([k]) => !known.has(k)) }, connections };
}

/** A header field other than scenario/role/seed/clock-ms. */
export function headerField(h: TranscriptHeader, name: string): string | undefined {
  return h.fields.find(([k]) => k === name)?.[1];
}
