/**
 * docs/node-compat.md, generated from the list below so that it cannot
 * drift: every node:tls export, TLSSocket method / property / event, Server
 * method / event, and connect() / createServer() option, with yes / differs
 * (how) / ignored (why) / no (why). The same test checks the list against
 * both modules: what exists is looked up on node:tls and on puretls (the
 * status of exports, methods and properties is computed, not written), the
 * options are passed to puretls (a "no" must throw naming it, anything else
 * must be accepted), and the events of one scripted connection are recorded
 * on node:tls and on puretls. It fails if docs/node-compat.md differs from
 * what it would write; `UPDATE_COMPAT=1 npx vitest run test/node/compat-table.test.ts`
 * rewrites it.
 */
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import puretls, { TlsServer, TlsSocket } from '../../src/index.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

const DOC = join(resolve(import.meta.dirname, '../..'), 'docs', 'node-compat.md');
const REGENERATE = 'UPDATE_COMPAT=1 npx vitest run test/node/compat-table.test.ts';

type Area = 'export' | 'socket member' | 'socket event' | 'server member' | 'server event' | 'connect option' | 'createServer option';

interface Row {
  name: string;
  /** Present and working, but unlike node in this way. */
  differs?: string;
  /** Why it is absent (required when it is). */
  no?: string;
  /** Options: accepted, without effect, because of this. */
  ignored?: string;
  /** Options: a value that asks for something (what the test passes). */
  sample?: unknown;
}

const NOT_YET = 'not implemented yet';

const EXPORTS: Row[] = [
  { name: 'connect' },
  { name: 'createServer' },
  { name: 'createSecureContext', differs: 'returns our SecureContext; it cannot be given to node:tls (nor node\'s to puretls)' },
  { name: 'checkServerIdentity' },
  { name: 'getCiphers', differs: 'the nine suites puretls implements (node: all OpenSSL knows)' },
  { name: 'rootCertificates', differs: "node's own array (puretls trusts node's bundled roots)" },
  { name: 'convertALPNProtocols' },
  { name: 'DEFAULT_MIN_VERSION' },
  { name: 'DEFAULT_MAX_VERSION' },
  { name: 'DEFAULT_CIPHERS', differs: "puretls's default list (TLS 1.3 suites, then the six ECDHE AEAD TLS 1.2 suites); assignable on the default export" },
  { name: 'DEFAULT_ECDH_CURVE' },
  { name: 'CLIENT_RENEG_LIMIT', differs: "on the default export it reads and writes node:tls's own value" },
  { name: 'CLIENT_RENEG_WINDOW', differs: "on the default export it reads and writes node:tls's own value" },
  { name: 'SecureContext' },
  { name: 'TLSSocket', differs: 'TlsSocket: a stream.Duplex over any transport, not a net.Socket subclass' },
  { name: 'Server', differs: 'TlsServer, a net.Server' },
  { name: 'createSecurePair', no: 'deprecated in node (DEP0064): use TLSSocket' },
];

const SOCKET_MEMBERS: Row[] = [
  // tls.TLSSocket
  { name: 'authorized' },
  { name: 'authorizationError' },
  { name: 'encrypted' },
  { name: 'alpnProtocol' },
  { name: 'servername' },
  { name: 'secureConnecting', no: NOT_YET },
  { name: 'getCipher' },
  { name: 'getProtocol' },
  { name: 'getPeerCertificate' },
  { name: 'getCertificate' },
  { name: 'getPeerX509Certificate', no: NOT_YET },
  { name: 'getX509Certificate', no: NOT_YET },
  { name: 'getSharedSigalgs', no: NOT_YET },
  { name: 'getEphemeralKeyInfo' },
  { name: 'getFinished' },
  { name: 'getPeerFinished' },
  { name: 'getSession' },
  { name: 'getTLSTicket' },
  { name: 'isSessionReused' },
  { name: 'setSession', no: 'the session a client offers is fixed when its Connection is made: pass `session` to connect() / new TlsSocket()' },
  { name: 'setServername', no: NOT_YET + ': pass `servername` to connect()' },
  { name: 'setKeyCert', no: "a server's certificate comes from its secure context: use setSecureContext(), addContext() or SNICallback" },
  { name: 'setMaxSendFragment' },
  { name: 'exportKeyingMaterial' },
  { name: 'renegotiate', differs: 'TLS 1.2 only, as node; also puretls\'s renegotiateAbbreviated()' },
  { name: 'disableRenegotiation', no: NOT_YET + ': use the `renegotiation` option' },
  { name: 'enableTrace', no: NOT_YET + ': use the Connection events' },
  // net.Socket
  { name: 'address' },
  { name: 'remoteAddress' },
  { name: 'remotePort' },
  { name: 'remoteFamily' },
  { name: 'localAddress' },
  { name: 'localPort' },
  { name: 'localFamily' },
  { name: 'bytesRead', no: NOT_YET },
  { name: 'bytesWritten', no: NOT_YET },
  { name: 'bufferSize', no: 'deprecated in node since 14.6: use writableLength' },
  { name: 'pending' },
  { name: 'readyState', no: NOT_YET },
  { name: 'connecting', no: NOT_YET },
  { name: 'setTimeout' },
  { name: 'setNoDelay' },
  { name: 'setKeepAlive' },
  { name: 'ref' },
  { name: 'unref' },
  { name: 'end' },
  { name: 'pause' },
  { name: 'resume' },
  { name: 'read' },
  { name: 'destroySoon', no: 'node-internal helper; use end()' },
  { name: 'resetAndDestroy', differs: "resets the TCP transport (an RST, no close_notify); node 20's TLSSocket throws 'This handle type cannot be sent'" },
  { name: 'connect', no: 'a TlsSocket is made connected: use connect() / new TlsSocket(transport)' },
];

const SOCKET_EVENTS: Row[] = [
  { name: 'secureConnect' },
  { name: 'secure', differs: 'emitted, as node does internally (undocumented)' },
  { name: 'session' },
  { name: 'keylog' },
  { name: 'OCSPResponse', no: 'OCSP stapling is not implemented (requestOCSP is refused)' },
  { name: 'connect' },
  { name: 'data' },
  { name: 'end' },
  { name: 'close' },
  { name: 'error' },
  { name: 'timeout' },
  { name: 'drain' },
  { name: 'ready', no: 'emitted by the underlying net.Socket (socket.transport) only' },
  { name: 'lookup', no: 'emitted by the underlying net.Socket (socket.transport) only' },
];

const SERVER_MEMBERS: Row[] = [
  { name: 'addContext', differs: "'(', ')' and '|' in the name are literal characters (node: regular-expression syntax)" },
  { name: 'setSecureContext' },
  { name: 'getTicketKeys' },
  {
    name: 'setTicketKeys',
    differs: 'tickets sealed under the previous keys still open for one ticket lifetime; a wrong length is ERR_INVALID_ARG_VALUE (node: ERR_INTERNAL_ASSERTION)',
  },
  { name: 'setOptions', no: 'deprecated and undocumented in node: use setSecureContext()' },
  { name: 'listen' },
  { name: 'close' },
  { name: 'address' },
  { name: 'getConnections' },
  { name: 'ref' },
  { name: 'unref' },
  { name: 'listening' },
];

const SERVER_EVENTS: Row[] = [
  { name: 'secureConnection' },
  { name: 'tlsClientError' },
  { name: 'keylog' },
  { name: 'newSession', differs: 'TLS 1.2 session IDs only (node also emits one per TLS 1.3 ticket); sessionData is our session bytes, not DER' },
  { name: 'resumeSession', differs: 'the session given must be the one asked for (node resumes whatever it gets)' },
  { name: 'OCSPRequest', no: 'OCSP stapling is not implemented' },
  { name: 'connection' },
  { name: 'listening' },
  { name: 'close' },
  { name: 'error' },
  { name: 'drop' },
];

/** Options of createSecureContext(), taken by both connect() and createServer(). */
const CONTEXT_OPTIONS: Row[] = [
  { name: 'ca', sample: '' },
  { name: 'cert' },
  { name: 'key' },
  { name: 'passphrase', differs: 'accepted, but encrypted keys are refused when the key is parsed', sample: 'x' },
  { name: 'pfx', sample: Buffer.from('pfx') },
  { name: 'ciphers', differs: 'OpenSSL syntax for TLS 1.2 over the six suites puretls has; names puretls lacks select nothing; !TLS_* is refused', sample: 'HIGH' },
  { name: 'ciphersuites', differs: "puretls's own (OpenSSL's -ciphersuites): node has no such option", sample: 'TLS_AES_128_GCM_SHA256' },
  { name: 'sigalgs', differs: 'names OpenSSL knows but puretls does not implement are refused, not dropped', sample: 'ECDSA+SHA256' },
  { name: 'ecdhCurve', sample: 'P-256' },
  { name: 'honorCipherOrder', sample: true },
  { name: 'minVersion', differs: "'TLSv1', 'TLSv1.1' (and 'SSLv3') are refused: not implemented (RFC 8996)", sample: 'TLSv1.2' },
  { name: 'maxVersion', sample: 'TLSv1.3' },
  { name: 'secureOptions', differs: 'NO_TICKET, CIPHER_SERVER_PREFERENCE, NO_TLSv1_2, NO_TLSv1_3, NO_RENEGOTIATION, ALLOW_NO_DHE_KEX honoured; ALL, NO_SSLv3, NO_TLSv1, NO_TLSv1_1, NO_COMPRESSION hold already; other flags are refused by name', sample: 0x4000 },
  { name: 'secureProtocol', differs: "only the methods that mean the default (TLS_method, SSLv23_method and their client/server forms); others are refused: use minVersion/maxVersion", sample: 'TLS_method' },
  { name: 'crl', sample: 'x' },
  { name: 'dhparam', sample: 'auto' },
  { name: 'clientCertEngine', sample: 'x' },
  { name: 'privateKeyEngine', sample: 'x' },
  { name: 'privateKeyIdentifier', sample: 'x' },
  { name: 'allowPartialTrustChain', sample: true },
  { name: 'sessionIdContext', sample: 'ctx' },
  { name: 'sessionTimeout', sample: 60 },
  { name: 'ticketKeys', sample: Buffer.alloc(48) },
];

const CONNECT_OPTIONS: Row[] = [
  ...CONTEXT_OPTIONS,
  { name: 'host', sample: '127.0.0.1' },
  { name: 'port', sample: 1 },
  { name: 'path', sample: '/nonexistent.sock' },
  { name: 'socket' },
  { name: 'servername', sample: 'localhost' },
  { name: 'rejectUnauthorized', sample: false },
  { name: 'checkServerIdentity', sample: () => undefined },
  { name: 'ALPNProtocols', sample: ['h2'] },
  { name: 'session', sample: null },
  { name: 'secureContext' },
  { name: 'highWaterMark', sample: 1024 },
  { name: 'allowHalfOpen', sample: true },
  { name: 'timeout', sample: 1000 },
  { name: 'noDelay', differs: 'default true (node: false)', sample: false },
  { name: 'keepAlive', sample: true },
  { name: 'keepAliveInitialDelay', sample: 1000 },
  { name: 'localAddress', sample: '127.0.0.1' },
  { name: 'localPort', sample: 0 },
  { name: 'family', sample: 4 },
  { name: 'lookup', sample: () => undefined },
  { name: 'minDHSize', differs: 'up to 2048 (every DH group puretls negotiates has at least 2048 bits); more is refused', sample: 1024 },
  { name: 'pskCallback', sample: () => null },
  { name: 'requestOCSP', sample: true },
  { name: 'enableTrace', sample: true },
  { name: 'onread', sample: { buffer: Buffer.alloc(16), callback: () => true } },
];

const SERVER_OPTIONS: Row[] = [
  ...CONTEXT_OPTIONS,
  { name: 'requestCert', sample: true },
  { name: 'rejectUnauthorized', sample: false },
  { name: 'ALPNProtocols', sample: ['h2'] },
  { name: 'ALPNCallback', sample: () => undefined },
  { name: 'SNICallback', differs: 'also takes the options object itself (node 20 fails the connection then); a node:tls SecureContext is refused (ERR_TLS_INVALID_CONTEXT)', sample: () => undefined },
  { name: 'handshakeTimeout', sample: 1000 },
  { name: 'highWaterMark', sample: 1024 },
  { name: 'allowHalfOpen', sample: true },
  { name: 'pauseOnConnect', ignored: 'not passed to net.Server: an accepted connection starts its handshake at once', sample: true },
  { name: 'noDelay', differs: 'default true on accepted connections (node: false)', sample: false },
  { name: 'pskCallback', sample: () => null },
  { name: 'pskIdentityHint', sample: 'hint' },
  { name: 'enableTrace', sample: true },
];

// ── what exists ──────────────────────────────────────────────────────────

let certs: Certs;
const sockets: { node?: Duplex; ours?: Duplex } = {};
const events: Record<'node' | 'ours', { socket: Set<string>; server: Set<string> }> = {
  node: { socket: new Set(), server: new Set() },
  ours: { socket: new Set(), server: new Set() },
};

interface Mod {
  connect(options: object): Duplex;
  createServer(options: object, listener?: (s: Duplex) => void): net.Server;
}

/** One scripted connection with every event recorded: handshake, session, keylog, data both ways, timeout, end, close; then a failing one. */
async function script(m: Mod, into: { socket: Set<string>; server: Set<string> }): Promise<Duplex> {
  const srv = m.createServer({ cert: certs.cert, key: certs.key }, (s) => {
    s.on('data', (d: Buffer) => s.write(d));
    s.on('error', () => {});
  });
  const serverEvents = ['secureConnection', 'tlsClientError', 'keylog', 'newSession', 'resumeSession', 'OCSPRequest', 'connection', 'listening', 'close', 'error', 'drop'];
  for (const e of serverEvents) {
    srv.on(e, (...args: unknown[]) => {
      into.server.add(e);
      if (e === 'OCSPRequest') (args.at(-1) as (err: null) => void)(null);
    });
  }
  srv.on('newSession', (_id: Buffer, _d: Buffer, cb: () => void) => cb());
  srv.on('resumeSession', (_id: Buffer, cb: (e: null, d: null) => void) => cb(null, null));
  const port = await listen(srv);
  const sock = track(m.connect({ host: 'localhost', port, servername: 'localhost', ca: certs.ca, maxVersion: 'TLSv1.2', requestOCSP: m === (tls as unknown as Mod) }));
  for (const e of SOCKET_EVENTS.map((r) => r.name)) sock.on(e, () => into.socket.add(e));
  const failed = await new Promise<Error | undefined>((res) => {
    sock.once('secureConnect', () => res(undefined));
    sock.once('error', res);
  });
  if (failed) throw new Error(`the scripted connection failed: ${failed.message}`);
  (sock as unknown as net.Socket).setTimeout(1);
  await once(sock, 'timeout');
  const closed = new Promise((res) => sock.once('close', res));
  sock.write(Buffer.alloc(256 * 1024)); // 'drain' after a write past the high-water mark
  sock.end();
  sock.resume();
  await closed;
  // A client that fails the handshake: 'tlsClientError'.
  const bad = track(tls.connect({ host: '127.0.0.1', port, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }));
  await new Promise((res) => bad.on('error', () => {}).once('close', res));
  await new Promise((r) => setTimeout(r, 20));
  srv.close();
  await once(srv, 'close');
  // A live socket, for the property checks.
  const live = m.createServer({ cert: certs.cert, key: certs.key });
  const livePort = await listen(live);
  const s = track(m.connect({ host: '127.0.0.1', port: livePort, servername: 'localhost', ca: certs.ca }));
  await once(s, 'secureConnect');
  return s;
}

beforeAll(async () => {
  certs = await certsFor('p256');
  sockets.node = await script(tls as unknown as Mod, events.node);
  sockets.ours = await script(puretls as unknown as Mod, events.ours);
});

type Status = { kind: 'yes' } | { kind: 'differs'; how: string } | { kind: 'ignored'; why: string } | { kind: 'no'; why: string };

function statusOf(row: Row, present: boolean): Status {
  if (!present) return { kind: 'no', why: row.no ?? '' };
  if (row.ignored) return { kind: 'ignored', why: row.ignored };
  return row.differs ? { kind: 'differs', how: row.differs } : { kind: 'yes' };
}

const has = (o: object | undefined, name: string): boolean => o !== undefined && name in o;

function memberPresent(area: 'socket member' | 'server member', name: string): { node: boolean; ours: boolean } {
  if (area === 'socket member') return { node: has(sockets.node, name), ours: has(sockets.ours, name) };
  return { node: name in tls.Server.prototype || name in net.Server.prototype, ours: name in TlsServer.prototype };
}

/** An option's fate in puretls: refused (the message), or accepted. */
function tryOption(area: 'connect option' | 'createServer option', row: Row): { refused?: string } {
  if (!('sample' in row)) return {};
  try {
    if (area === 'createServer option') puretls.createServer({ cert: certs.cert, key: certs.key, [row.name]: row.sample });
    else {
      const s = (puretls.connect as (o: object) => Duplex)({ host: '127.0.0.1', port: 1, [row.name]: row.sample });
      s.on('error', () => {});
      s.destroy();
    }
    return {};
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_TLS_OPTION_UNSUPPORTED') return { refused: err.message.replace(/^The "[^"]+" option is not supported by puretls yet: /, '') };
    return {};
  }
}

interface Computed {
  area: Area;
  row: Row;
  status: Status;
}

function compute(): Computed[] {
  const out: Computed[] = [];
  const E = puretls as unknown as Record<string, unknown>;
  const N = tls as unknown as Record<string, unknown>;
  for (const row of EXPORTS) out.push({ area: 'export', row, status: statusOf(row, E[row.name] !== undefined && typeof E[row.name] === typeof N[row.name]) });
  for (const row of SOCKET_MEMBERS) out.push({ area: 'socket member', row, status: statusOf(row, memberPresent('socket member', row.name).ours) });
  for (const row of SERVER_MEMBERS) out.push({ area: 'server member', row, status: statusOf(row, memberPresent('server member', row.name).ours) });
  for (const row of SOCKET_EVENTS) out.push({ area: 'socket event', row, status: statusOf(row, row.no === undefined) });
  for (const row of SERVER_EVENTS) out.push({ area: 'server event', row, status: statusOf(row, row.no === undefined) });
  for (const [area, rows] of [['connect option', CONNECT_OPTIONS], ['createServer option', SERVER_OPTIONS]] as const) {
    for (const row of rows) {
      const { refused } = tryOption(area, row);
      out.push({ area, row, status: refused !== undefined ? { kind: 'no', why: refused } : statusOf(row, true) });
    }
  }
  return out;
}

const TITLES: Record<Area, string> = {
  export: 'Module exports (`import tls from \'puretls\'`, and named)',
  'socket member': 'TLSSocket (TlsSocket) methods and properties',
  'socket event': 'TLSSocket events',
  'server member': 'Server (TlsServer) methods and properties',
  'server event': 'Server events',
  'connect option': 'tls.connect() options',
  'createServer option': 'tls.createServer() options',
};

function cell(s: Status): string {
  const text = s.kind === 'yes' ? 'yes' : s.kind === 'differs' ? `differs: ${s.how}` : s.kind === 'ignored' ? `ignored: ${s.why}` : `no: ${s.why}`;
  return text.replaceAll('|', '\\|');
}

function render(rows: Computed[]): string {
  const lines = [
    '# node:tls compatibility',
    '',
    '<!-- Generated by test/node/compat-table.test.ts: do not edit. Regenerate with',
    `     ${REGENERATE} -->`,
    '',
    "puretls's Node adapter against node:tls (node 20): `import tls from 'puretls'` in place of",
    "`import tls from 'node:tls'`. **yes**: present and as node; **differs**: present, unlike node as said;",
    '**ignored**: accepted without effect, for the reason given; **no**: absent (an option: refused with',
    'ERR_TLS_OPTION_UNSUPPORTED naming it, never ignored), for the reason given.',
    '',
  ];
  for (const area of Object.keys(TITLES) as Area[]) {
    lines.push(`## ${TITLES[area]}`, '', '| name | puretls |', '| --- | --- |');
    for (const r of rows.filter((x) => x.area === area)) lines.push(`| \`${r.row.name}\` | ${cell(r.status)} |`);
    lines.push('');
  }
  return lines.join('\n');
}

// ── the checks ───────────────────────────────────────────────────────────

describe('the compatibility list', () => {
  it('names every node:tls export', () => {
    expect(EXPORTS.map((r) => r.name).sort()).toEqual(Object.keys(tls).sort());
  });

  it("names every public TLSSocket / net.Socket method and accessor, and TLSSocket's own properties", () => {
    const own = (p: object): string[] => Object.getOwnPropertyNames(p).filter((n) => !n.startsWith('_') && n !== 'constructor');
    const expected = new Set([...own(tls.TLSSocket.prototype), ...own(net.Socket.prototype), 'authorized', 'authorizationError', 'encrypted', 'alpnProtocol', 'servername', 'secureConnecting']);
    const listed = new Set(SOCKET_MEMBERS.map((r) => r.name));
    expect([...expected].filter((n) => !listed.has(n))).toEqual([]);
  });

  it('names every public tls.Server / net.Server method', () => {
    const own = (p: object): string[] => Object.getOwnPropertyNames(p).filter((n) => !n.startsWith('_') && n !== 'constructor');
    const listed = new Set(SERVER_MEMBERS.map((r) => r.name));
    expect([...own(tls.Server.prototype), ...own(net.Server.prototype)].filter((n) => !listed.has(n))).toEqual([]);
  });

  it('names only what node:tls has', () => {
    for (const r of SOCKET_MEMBERS) expect(memberPresent('socket member', r.name).node, r.name).toBe(true);
    for (const r of SERVER_MEMBERS) expect(memberPresent('server member', r.name).node, r.name).toBe(true);
  });

  it('gives every "no" a reason, and every differs/ignored text', () => {
    for (const r of compute()) if (r.status.kind === 'no') expect(r.status.why, `${r.area} ${r.row.name}: a missing member needs a 'no' reason`).not.toBe('');
  });

  it("each event is emitted by puretls in the scripted connection iff the table says so, and by node:tls", () => {
    for (const [area, rows, key] of [['socket event', SOCKET_EVENTS, 'socket'], ['server event', SERVER_EVENTS, 'server']] as const) {
      for (const row of rows) {
        const theirs = events.node[key].has(row.name);
        const ours = events.ours[key].has(row.name);
        // Events this script cannot provoke on node either ('error' of a healthy socket, 'drop', ...) are not judged.
        if (!theirs) continue;
        expect(ours, `${area} '${row.name}': node emitted it; the table says ${row.no ? 'no' : 'yes'}`).toBe(row.no === undefined);
      }
    }
  });

  it('an option that is refused is refused naming it; one not refused is accepted (none is silently dropped as "no")', () => {
    for (const [area, rows] of [['connect option', CONNECT_OPTIONS], ['createServer option', SERVER_OPTIONS]] as const) {
      for (const row of rows) {
        const { refused } = tryOption(area, row);
        if (row.no !== undefined) expect(refused, `${area} ${row.name} is marked 'no' but accepted`).toBeDefined();
      }
    }
  });

  it(`docs/node-compat.md is what this list generates (regenerate: ${REGENERATE})`, () => {
    const text = render(compute());
    if (process.env['UPDATE_COMPAT'] === '1') writeFileSync(DOC, text);
    let current = '';
    try {
      current = readFileSync(DOC, 'utf8');
    } catch {
      // missing: fails below
    }
    expect(current === text, `docs/node-compat.md is out of date: run ${REGENERATE}`).toBe(true);
  });

  it('TlsSocket is what the default export calls TLSSocket', () => {
    expect(puretls.TLSSocket).toBe(TlsSocket);
  });
});
