/**
 * puretls/core in headless Chromium (issue 20, part 3a): the browser bundle
 * (dist/browser.js, built here from the repo's tsup.config.ts into a temp
 * dir) loaded by a page as one ES module, with no Node and no bundler:
 *
 *  a. an in-memory client and server in the page: a TLS 1.3 handshake, data
 *     both ways, a key update (the control alone sends nothing; the peer's
 *     'keyUpdate' event comes with the next write), a resumption whose ticket
 *     carries app data (server ticket callbacks);
 *  b. a client in the page, over webSocketStreams + fromStreams, through a
 *     WebSocket-to-TCP relay to `openssl s_server -tls1_3`: the server's
 *     certificate verified against a CA given to the page, data both ways,
 *     a key update each way (ours seen in openssl's -msg output; openssl's,
 *     typed `k` into its stdin, seen as our 'keyUpdate' event), close_notify.
 *
 * The page reports plain data; the assertions are made here, in Node. The
 * functions given to page.evaluate() run in the page: they reach the core
 * through `globalThis.puretls` (set by page/index.html) and may use nothing
 * from this module but types.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TicketStatus, type WebSocketLike } from '../../src/core.js';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { installPeerCleanup, startOpensslServer } from '../helpers/peers.js';
import { startRelay, type Relay } from './relay.js';
import { buildBrowserBundle, HAS_CHROMIUM, launchChromium, startStatic, type StaticServer } from './support.js';

installPeerCleanup();

type Core = typeof import('../../src/core.js');

let dist: string;
let web: StaticServer;
let browser: Browser;
let page: Page;
let leaf: CertInfo;
let ca: CertInfo;
let serverCert: CertInfo;

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  let caCert: CertInfo;
  [dist, browser, leaf, caCert] = await Promise.all([
    buildBrowserBundle(),
    launchChromium(),
    makeCert({ keyType: 'p256', tag: 'browser-in-memory' }),
    makeCert({ keyType: 'p256', isCA: true, cn: 'puretls browser test CA' }),
  ]);
  ca = caCert;
  serverCert = await makeCert({ keyType: 'p256', ca, tag: 'browser-openssl' });
  web = await startStatic({ '/dist/': dist, '/': join(import.meta.dirname, 'page') });
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e));
  await page.goto(`${web.origin}/`);
  await page.waitForFunction(() => 'puretls' in globalThis, undefined, { timeout: 10_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

describe.skipIf(!HAS_CHROMIUM)('the browser bundle', () => {
  it('is one self-contained ES module: no bare or node: imports, and the page has no Node', async () => {
    const code = readFileSync(join(dist, 'browser.js'), 'utf8');
    expect(code).not.toMatch(/\bfrom\s*["'](?!\.)/); // every import is relative: none at all in one bundle
    expect(code).not.toMatch(/\bimport\s*\(\s*["']/);
    expect(code).not.toMatch(/["']node:/);

    const env = await page.evaluate(() => {
      const g = globalThis as Record<string, unknown>;
      const P = g['puretls'] as Core;
      const perf = g['performance'] as { getEntriesByType(t: string): { name: string }[] };
      return {
        process: typeof g['process'],
        require: typeof g['require'],
        Buffer: typeof g['Buffer'],
        scripts: perf.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
        exports: ['Connection', 'TlsContext', 'webSocketStreams', 'fromStreams'].filter((k) => k in P),
      };
    });
    expect(env).toMatchObject({ process: 'undefined', require: 'undefined', Buffer: 'undefined' });
    expect(env.scripts).toEqual(['/dist/browser.js']);
    expect(env.exports).toEqual(expect.arrayContaining(['Connection', 'TlsContext', 'webSocketStreams']));
    expect(web.requests).toContain('/dist/browser.js');
  });
});

// ------------------------------------------------------------ a. in memory

interface KeyUpdateSeen {
  readonly direction: 'sent' | 'received';
  readonly type: number;
}

interface InMemoryReport {
  readonly protocol: string | null;
  readonly suite: string | null;
  readonly authorized: boolean | null;
  readonly clientMessages: readonly string[];
  readonly serverGot: string;
  readonly clientGot: string;
  readonly keyUpdate: {
    readonly pendingAfterControl: number;
    readonly bytesAfterControl: number;
    readonly serverEventsBeforeWrite: number;
    readonly client: readonly KeyUpdateSeen[];
    readonly server: readonly KeyUpdateSeen[];
    readonly serverGot: string;
    readonly serverOwesAnswer: number;
    readonly clientGotAnswer: string;
  };
  readonly resume: {
    readonly sessions: number;
    readonly clientReused: boolean;
    readonly serverReused: boolean;
    readonly decryptSaw: readonly { status: number; appData: string | null }[];
    readonly serverAppData: string | null;
    readonly echoed: string;
    readonly messages: readonly string[];
  };
  readonly closed: boolean;
}

/** Runs in the page: everything in memory, the two Connections pumped by hand. */
function inMemoryScenario({ certPem, keyPem }: { certPem: string; keyPem: string }): InMemoryReport {
  const P = (globalThis as unknown as { puretls: Core }).puretls;
  type Conn = InstanceType<Core['Connection']>;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const text = (b: Uint8Array | null | undefined): string => (b ? dec.decode(b) : '');
  const pump = (a: Conn, b: Conn): void => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const out = from.takeOutgoing();
        if (out) {
          to.receive(out);
          moved = true;
        }
      }
    }
  };
  const readAll = (c: Conn): string => {
    let s = '';
    for (let d = c.read(); d; d = c.read()) s += text(d);
    return s;
  };

  const chain = P.decodePem(certPem)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.der);
  const serverCtx = new P.TlsContext({ certificate: { chain, key: P.parsePrivateKey(keyPem) } });
  const decryptSaw: { status: number; appData: string | null }[] = [];
  serverCtx.setSessionTicketCallbacks({
    generate: (session) => {
      if (!session.getTicketAppData()) session.setTicketAppData(enc.encode('user=alice; plan=gold'));
      return true;
    },
    decrypt: ({ status, session }) => {
      decryptSaw.push({ status, appData: session ? text(session.getTicketAppData()) : null });
      const opened = status === P.TicketStatus.SUCCESS || status === P.TicketStatus.SUCCESS_RENEW;
      return opened ? P.TicketReturn.USE_RENEW : P.TicketReturn.IGNORE_RENEW;
    },
  });
  const clientCtx = new P.TlsContext({ verifier: new P.DefaultVerifier({ ca: P.caFromOption(certPem) }) });

  // the handshake
  const client = new P.Connection(clientCtx, 'client', { serverName: 'localhost' });
  const server = new P.Connection(serverCtx, 'server');
  const clientMessages: string[] = [];
  client.on('message', (m) => clientMessages.push(`${m.direction} ${m.type}`));
  const sessions: InstanceType<Core['Session']>[] = [];
  client.on('session', (s) => sessions.push(s));
  const kuClient: KeyUpdateSeen[] = [];
  const kuServer: KeyUpdateSeen[] = [];
  client.on('keyUpdate', (e) => kuClient.push({ direction: e.direction, type: e.type }));
  server.on('keyUpdate', (e) => kuServer.push({ direction: e.direction, type: e.type }));
  client.doHandshake();
  pump(client, server);

  // data both ways
  client.write(enc.encode('ping from the page client'));
  pump(client, server);
  const serverGot = readAll(server);
  server.write(enc.encode('pong from the page server'));
  pump(client, server);
  const clientGot = readAll(client);

  // a key update: the control only schedules it
  client.keyUpdate(P.KeyUpdateType.REQUESTED);
  const pendingAfterControl = client.getKeyUpdateType();
  const early = client.takeOutgoing();
  if (early) server.receive(early); // (there should be none: reported, asserted in Node)
  const serverEventsBeforeWrite = kuServer.length;
  client.write(enc.encode('after the key update'));
  pump(client, server);
  const kuServerGot = readAll(server);
  const serverOwesAnswer = server.getKeyUpdateType();
  server.write(enc.encode('answered')); // the owed KeyUpdate(update_not_requested), then the data
  pump(client, server);
  const clientGotAnswer = readAll(client);

  const protocol = client.protocol;
  const suite = client.cipherSuite?.name ?? null;
  const authorized = client.peerVerification?.authorized ?? null;
  client.close();
  pump(client, server);
  const closed = server.peerClosed;

  // a resumption with the first ticket: its app data comes back on the server
  const client2 = new P.Connection(clientCtx, 'client', { serverName: 'localhost', session: sessions[0]! });
  const server2 = new P.Connection(serverCtx, 'server');
  const messages2: string[] = [];
  client2.on('message', (m) => messages2.push(`${m.direction} ${m.type}`));
  client2.doHandshake();
  pump(client2, server2);
  client2.write(enc.encode('resumed'));
  pump(client2, server2);
  const echoed = readAll(server2);

  return {
    protocol,
    suite,
    authorized,
    clientMessages,
    serverGot,
    clientGot,
    keyUpdate: {
      pendingAfterControl,
      bytesAfterControl: early?.length ?? 0,
      serverEventsBeforeWrite,
      client: kuClient,
      server: kuServer,
      serverGot: kuServerGot,
      serverOwesAnswer,
      clientGotAnswer,
    },
    resume: {
      sessions: sessions.length,
      clientReused: client2.isSessionReused,
      serverReused: server2.isSessionReused,
      decryptSaw,
      serverAppData: text(server2.session?.getTicketAppData()),
      echoed,
      messages: messages2,
    },
    closed,
  };
}

describe.skipIf(!HAS_CHROMIUM)('a. an in-memory client and server in the page', () => {
  it('TLS 1.3 handshake, data both ways, a key update, and a resumption with ticket app data', async () => {
    const r = await page.evaluate(inMemoryScenario, { certPem: leaf.certPem, keyPem: leaf.keyPem });

    expect(r.protocol).toBe('TLSv1.3');
    expect(r.suite).toMatch(/^TLS_/);
    expect(r.authorized).toBe(true);
    // ClientHello out; ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished in; Finished out
    expect(r.clientMessages.slice(0, 7)).toEqual(['sent 1', 'received 2', 'received 8', 'received 11', 'received 15', 'received 20', 'sent 20']);
    expect(r.serverGot).toBe('ping from the page client');
    expect(r.clientGot).toBe('pong from the page server');

    const ku = r.keyUpdate;
    expect(ku.pendingAfterControl).toBe(1); // REQUESTED, scheduled
    expect(ku.bytesAfterControl).toBe(0); // the control alone sent nothing
    expect(ku.serverEventsBeforeWrite).toBe(0);
    expect(ku.server[0]).toEqual({ direction: 'received', type: 1 });
    expect(ku.serverGot).toBe('after the key update');
    expect(ku.serverOwesAnswer).toBe(0); // the answer shows as NOT_REQUESTED until sent
    expect(ku.server).toEqual([
      { direction: 'received', type: 1 },
      { direction: 'sent', type: 0 },
    ]);
    expect(ku.client).toEqual([
      { direction: 'sent', type: 1 },
      { direction: 'received', type: 0 },
    ]);
    expect(ku.clientGotAnswer).toBe('answered');
    expect(r.closed).toBe(true);

    const res = r.resume;
    expect(res.sessions).toBe(2); // numTickets: 2
    expect(res.clientReused).toBe(true);
    expect(res.serverReused).toBe(true);
    expect(res.decryptSaw).toEqual([{ status: TicketStatus.SUCCESS, appData: 'user=alice; plan=gold' }]);
    expect(res.serverAppData).toBe('user=alice; plan=gold');
    expect(res.echoed).toBe('resumed');
    // resumed: no Certificate / CertificateVerify from the server
    expect(res.messages).not.toContain('received 11');
    expect(res.messages).toContain('received 20');
  });
});

// ------------------------------------------------------------ webSocketStreams, through the relay

/** The page's WebSocket constructor (the DOM's; this file is compiled without DOM types). */
type PageWebSocket = new (url: string) => WebSocketLike;

interface EchoReport {
  readonly sent: number;
  readonly received: number;
  readonly same: boolean;
  readonly ended: boolean;
  readonly maxBuffered: number;
  readonly lingeredMs: number;
}

/**
 * Runs in the page: `total` bytes through the relay to a TCP echo server and
 * back; then writable.close(), which (no half-close on a WebSocket) keeps the
 * socket open for `lingerMs` for the peer's last bytes, then closes it.
 */
async function echoScenario({ url, total, lingerMs }: { url: string; total: number; lingerMs: number }): Promise<EchoReport> {
  const P = (globalThis as unknown as { puretls: Core }).puretls;
  const WS = (globalThis as unknown as { WebSocket: PageWebSocket }).WebSocket;
  const ws = new WS(url);
  const { readable, writable, opened } = P.webSocketStreams(ws, { writeHighWaterMark: 64 * 1024, closeLingerMs: lingerMs });
  await opened;
  const pattern = (i: number): number => (i * 7 + (i >> 11)) & 0xff;
  let received = 0;
  let same = true;
  let allBack!: () => void;
  const back = new Promise<void>((res) => (allBack = res));
  const reading = (async () => {
    const reader = readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      for (const b of value) if (b !== pattern(received++)) same = false;
      if (received >= total) allBack();
    }
  })();
  const writer = writable.getWriter();
  let maxBuffered = 0;
  for (let sent = 0; sent < total; ) {
    const chunk = new Uint8Array(Math.min(16 * 1024, total - sent));
    for (let i = 0; i < chunk.length; i++) chunk[i] = pattern(sent + i);
    await writer.write(chunk);
    sent += chunk.length;
    maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
  }
  await back;
  const t0 = performance.now();
  await writer.close();
  const ended = await reading; // the socket closed (cleanly) when the linger ran out
  return { sent: total, received, same, ended, maxBuffered, lingeredMs: performance.now() - t0 };
}

/** Runs in the page: a relay whose target refuses the TCP connection. */
async function refusedScenario({ url }: { url: string }): Promise<{ opened: boolean; error: string; code: number | null }> {
  const P = (globalThis as unknown as { puretls: Core }).puretls;
  const WS = (globalThis as unknown as { WebSocket: PageWebSocket }).WebSocket;
  const { readable, opened } = P.webSocketStreams(new WS(url));
  const wasOpened = await opened.then(
    () => true,
    () => false,
  );
  try {
    await readable.getReader().read();
    return { opened: wasOpened, error: 'none', code: null };
  } catch (e) {
    const err = e as { name: string; code?: number };
    return { opened: wasOpened, error: err.name, code: err.code ?? null };
  }
}

describe.skipIf(!HAS_CHROMIUM)('webSocketStreams through the WebSocket-to-TCP relay', () => {
  const relays: Relay[] = [];
  const servers: net.Server[] = [];
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.close()));
    await Promise.all(servers.map((s) => new Promise((res) => s.close(res))));
  });

  it('carries 2 MiB to a TCP echo server and back, in order, with bounded buffering; writable.close() closes the socket after closeLingerMs', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    servers.push(echo);
    await new Promise<void>((res) => echo.listen(0, '127.0.0.1', res));
    const relay = await startRelay({ targetPort: (echo.address() as net.AddressInfo).port });
    relays.push(relay);
    const total = 2 * 1024 * 1024;
    const r = await page.evaluate(echoScenario, { url: relay.url, total, lingerMs: 300 });
    expect(r).toMatchObject({ sent: total, received: total, same: true, ended: true });
    expect(r.lingeredMs).toBeGreaterThanOrEqual(250);
    expect(r.lingeredMs).toBeLessThan(3_000);
    // writes waited while the socket held more than the high-water mark (plus one chunk)
    expect(r.maxBuffered).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
    expect(relay.accepted()).toBe(1);
  });

  it('a refused TCP connection errors the readable with a WebSocketClosedError', async () => {
    const closed = net.createServer();
    await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((res) => closed.close(res)); // nothing listens there now
    const relay = await startRelay({ targetPort: port });
    relays.push(relay);
    const r = await page.evaluate(refusedScenario, { url: relay.url });
    expect(r.error).toBe('WebSocketClosedError');
    expect(r.code).toBe(1006);
  });
});

// ------------------------------------------------------------ b. through the relay to openssl s_server

interface RelayState {
  readonly tls: InstanceType<Core['TlsStream']>;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  text: string;
  ended: boolean;
  error: string | null;
  readonly keyUpdates: KeyUpdateSeen[];
}

/** Runs in the page: connect through the relay, verify the server against the CA, keep the stream on globalThis. */
async function relayConnect({ url, caPem }: { url: string; caPem: string }): Promise<{ protocol: string | null; suite: string | null; authorized: boolean | null; subject: string | null }> {
  const P = (globalThis as unknown as { puretls: Core }).puretls;
  const WS = (globalThis as unknown as { WebSocket: PageWebSocket }).WebSocket;
  const ws = new WS(url);
  const { readable, writable, opened } = P.webSocketStreams(ws);
  await opened;
  const context = new P.TlsContext({ verifier: new P.DefaultVerifier({ ca: P.caFromOption(caPem) }), minVersion: P.ProtocolVersion.TLSv1_3 });
  const tls = P.fromStreams({ readable, writable }, { context, serverName: 'localhost' });
  const state: RelayState = { tls, writer: tls.writable.getWriter(), text: '', ended: false, error: null, keyUpdates: [] };
  tls.connection.on('keyUpdate', (e) => state.keyUpdates.push({ direction: e.direction, type: e.type }));
  (globalThis as unknown as { relayState: RelayState }).relayState = state;
  void (async () => {
    const reader = tls.readable.getReader();
    const dec = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      state.text += dec.decode(value, { stream: true });
    }
    state.ended = true;
  })().catch((e: unknown) => (state.error = String(e)));
  await tls.handshake;
  const leaf = tls.peerCertificates[0];
  return {
    protocol: tls.protocol,
    suite: tls.cipherSuite?.name ?? null,
    authorized: tls.connection.peerVerification?.authorized ?? null,
    subject: leaf ? P.parseCertificate(leaf).subject.text : null,
  };
}

/** Runs in the page: write a line. */
async function relayWrite(line: string): Promise<void> {
  const st = (globalThis as unknown as { relayState: RelayState }).relayState;
  await st.writer.write(new TextEncoder().encode(line));
}

/** Runs in the page: schedule a key update (reporting what is sent by that alone), then write a line. */
async function relayKeyUpdate({ type, line }: { type: 0 | 1; line: string }): Promise<{ pending: number; updatesBeforeWrite: number }> {
  const st = (globalThis as unknown as { relayState: RelayState }).relayState;
  st.tls.keyUpdate(type);
  const pending = st.tls.getKeyUpdateType();
  const updatesBeforeWrite = st.keyUpdates.filter((k) => k.direction === 'sent').length;
  await st.writer.write(new TextEncoder().encode(line));
  return { pending, updatesBeforeWrite };
}

/** Runs in the page: close (our close_notify), wait for the peer's and the end of the stream. */
async function relayClose(): Promise<{ ended: boolean; error: string | null; closed: string }> {
  const st = (globalThis as unknown as { relayState: RelayState }).relayState;
  st.writer.releaseLock();
  await st.tls.close();
  const closed = await st.tls.closed.then(
    () => 'resolved',
    (e: unknown) => `rejected: ${String(e)}`,
  );
  return { ended: st.ended, error: st.error, closed };
}

/** OpenSSL -msg: a KeyUpdate line and its hex dump (18 = key_update, length 1, the type byte). */
const opensslKeyUpdate = (dir: '<<<' | '>>>', typeByte: 0 | 1): RegExp =>
  new RegExp(`^${dir} TLS 1\\.3, Handshake \\[length 0005\\], KeyUpdate\\n {4}18 00 00 01 0${typeByte}$`, 'm');

describe.skipIf(!HAS_CHROMIUM)('b. a client in the page, through the relay, to openssl s_server -tls1_3', () => {
  it('verifies the server against the CA, exchanges data, key updates each way, and closes with close_notify', async () => {
    const srv = await startOpensslServer(['-cert', serverCert.certPath, '-key', serverCert.keyPath, '-tls1_3', '-msg', '-naccept', '1']);
    const relay = await startRelay({ targetPort: srv.port });
    try {
      const hs = await page.evaluate(relayConnect, { url: relay.url, caPem: ca.certPem });
      expect(hs).toEqual({ protocol: 'TLSv1.3', suite: expect.stringMatching(/^TLS_/), authorized: true, subject: 'CN=localhost' });
      await srv.waitFor(/^CIPHER is TLS_/m, 10_000);

      // data both ways
      await page.evaluate(relayWrite, 'hello from chromium\n');
      await srv.waitFor('hello from chromium', 10_000);
      srv.write('hello from openssl\n');
      await page.waitForFunction((s) => (globalThis as unknown as { relayState: RelayState }).relayState.text.includes(s), 'hello from openssl', { timeout: 10_000 });

      // ours: KeyUpdate(update_not_requested), scheduled by the control, sent with the next write
      const m0 = srv.mark();
      const ku = await page.evaluate(relayKeyUpdate, { type: 0 as const, line: 'after our key update\n' });
      expect(ku).toEqual({ pending: 0, updatesBeforeWrite: 0 });
      await srv.waitFor('after our key update', 10_000, m0);
      const seen = srv.stdout().slice(m0.stdout);
      expect(seen).toMatch(opensslKeyUpdate('<<<', 0));
      expect(seen.search(opensslKeyUpdate('<<<', 0))).toBeLessThan(seen.indexOf('after our key update'));

      // theirs: `k` typed into s_server → KeyUpdate(update_not_requested) → our 'keyUpdate' event; data after it decrypts
      const m1 = srv.mark();
      srv.write('k\n');
      await srv.waitFor(opensslKeyUpdate('>>>', 0), 10_000, m1);
      await page.waitForFunction(
        () => (globalThis as unknown as { relayState: RelayState }).relayState.keyUpdates.some((k) => k.direction === 'received' && k.type === 0),
        undefined,
        { timeout: 10_000 },
      );
      srv.write('after their key update\n');
      await page.waitForFunction((s) => (globalThis as unknown as { relayState: RelayState }).relayState.text.includes(s), 'after their key update', { timeout: 10_000 });

      // ours, update_requested: OpenSSL answers with its next write
      const m2 = srv.mark();
      await page.evaluate(relayKeyUpdate, { type: 1 as const, line: 'asking for yours\n' });
      await srv.waitFor('asking for yours', 10_000, m2);
      expect(srv.stdout().slice(m2.stdout)).toMatch(opensslKeyUpdate('<<<', 1));
      srv.write('answered\n');
      await page.waitForFunction((s) => (globalThis as unknown as { relayState: RelayState }).relayState.text.includes(s), 'answered', { timeout: 10_000 });
      expect(srv.stdout().slice(m2.stdout)).toMatch(opensslKeyUpdate('>>>', 0));

      const updates = await page.evaluate(() => (globalThis as unknown as { relayState: RelayState }).relayState.keyUpdates);
      expect(updates).toEqual([
        { direction: 'sent', type: 0 },
        { direction: 'received', type: 0 },
        { direction: 'sent', type: 1 },
        { direction: 'received', type: 0 },
      ]);

      // close_notify both ways, then openssl (-naccept 1) exits
      const closed = await page.evaluate(relayClose);
      expect(closed).toEqual({ ended: true, error: null, closed: 'resolved' });
      expect(srv.stdout()).toMatch(/^<<< TLS 1\.3, Alert \[length 0002\], warning close_notify$/m);
      expect((await srv.waitForExit(10_000)).code).toBe(0);
      expect(relay.accepted()).toBe(1);
    } finally {
      await relay.close();
      await srv.stop();
    }
  });
});
