/**
 * The browser example (examples/browser/, served by examples/serve.mjs) in
 * headless Chromium: the controls are clicked through (TLS 1.3 handshake,
 * key updates, a message, a new session ticket, a resumption, then TLS 1.2
 * and a renegotiation), the page's log and wire list are checked for each,
 * and a screenshot is taken and checked to be a real picture (a PNG of the
 * viewport's size with many colours). PURETLS_UPDATE_SCREENSHOT=1 also
 * copies it to examples/browser/screenshot.png (the README's picture).
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPeerCleanup, spawnPeer, type PeerHandle } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { buildBrowserBundle, HAS_CHROMIUM, launchChromium, ROOT } from './support.js';

installPeerCleanup();

const VIEWPORT = { width: 1280, height: 900 };

let browser: Browser;
let page: Page;
let serve: PeerHandle;
let url: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  const dist = await buildBrowserBundle();
  serve = spawnPeer(process.execPath, [join(ROOT, 'examples', 'serve.mjs'), '--port', '0'], {
    name: 'examples/serve.mjs',
    env: { ...process.env, PURETLS_DIST: dist },
    keepAcrossTests: true,
    lineBuffered: false,
  });
  [url, browser] = await Promise.all([serve.waitForMatch(/^puretls browser example: (http:\S+)$/m, 10_000).then((m) => m[1]!), launchChromium()]);
  page = await browser.newPage({ viewport: VIEWPORT });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

/** Wait until the log shows `text`. */
async function logShows(text: string): Promise<void> {
  await page.locator('#log').filter({ hasText: text }).waitFor({ timeout: 5_000 });
}

async function click(id: string): Promise<void> {
  await page.click(`#${id}`, { timeout: 5_000 });
}

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

/** A minimal PNG reader (8-bit RGB/RGBA, not interlaced): width, height, and the number of distinct colours. */
function pngStats(png: Buffer): { width: number; height: number; colours: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect({ depth: data[8], interlace: data[12] }).toEqual({ depth: 8, interlace: 0 });
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      cur[i] = (line[i]! + predictor) & 0xff;
    }
    for (let i = 0; i < stride; i += channels) colours.add((cur[i]! << 16) | (cur[i + 1]! << 8) | cur[i + 2]!);
    prev.set(cur);
  }
  return { width, height, colours: colours.size };
}

describe.skipIf(!HAS_CHROMIUM)('examples/browser in Chromium', () => {
  it('serves only the examples and the bundle', async () => {
    const get = (path: string): Promise<Response> => fetch(new URL(path, url));
    const bundle = await get('/dist/browser.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const path of ['/package.json', '/examples/..%2F..%2Fpackage.json', '/dist/..%2Fpackage.json', '/src/core.ts']) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('shows the handshake, key updates, a new ticket and a resumption; then TLS 1.2 and a renegotiation; and a screenshot', async () => {
    await page.goto(url);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 10_000 });
    await logShows('ready: press "Handshake TLS 1.3"');
    expect(await page.textContent('#st-cert')).toMatch(/^CN=localhost, ECDSA P-256, self-signed/);

    // TLS 1.3 handshake: each message on the wire list, in order
    await click('connect13');
    await logShows('client: handshake complete: TLSv1.3');
    await logShows('server: handshake complete: TLSv1.3');
    const wire = (await page.textContent('#wire')) ?? '';
    const order = ['ClientHello', 'ServerHello', 'EncryptedExtensions', 'Certificate (', 'CertificateVerify', 'Finished', 'Finished', 'NewSessionTicket'];
    let from = 0;
    for (const name of order) {
      const at = wire.indexOf(name, from);
      expect(at, `${name} after position ${from} in ${wire}`).toBeGreaterThanOrEqual(0);
      from = at + 1;
    }
    expect(await page.textContent('#st-protocol')).toBe('TLSv1.3');
    expect(await page.textContent('#st-suite')).toMatch(/^TLS_/);
    expect(await page.textContent('#st-verified')).toBe('true');
    expect(await page.textContent('#st-tickets')).toBe('2');
    expect(await page.isDisabled('#renegotiate')).toBe(true); // TLS 1.2 only

    // key update, requested: the server owes its answer until its next write
    await click('keyupdate-req');
    await logShows('client.keyUpdate(update_requested): queued, pending update_requested, bytes waiting: false');
    await logShows('client: KeyUpdate sent (update_requested)');
    await logShows('server: KeyUpdate received (update_requested)');
    await logShows('server: owes a KeyUpdate');
    await click('send');
    await logShows('server read: "hello from the client"');
    await logShows('server: KeyUpdate sent (update_not_requested)');
    await logShows('client: KeyUpdate received (update_not_requested)');
    await logShows('client read: "echo: hello from the client"');

    // key update, not requested
    await click('keyupdate');
    await logShows('client: KeyUpdate sent (update_not_requested)');
    await logShows('server: KeyUpdate received (update_not_requested)');

    // a new session ticket
    await click('ticket');
    await logShows('server.newSessionTicket(): queued (nothing sent yet)');
    await logShows('NewSessionTicket); 3 held');

    // resume with the newest ticket: its app data comes back to the server
    await click('resume');
    await logShows('server: ticket decrypt callback: SUCCESS, app data "ticket #3');
    await logShows('resumed: true (client), true (server)');
    await logShows('client: handshake complete: TLSv1.3, TLS_CHACHA20_POLY1305_SHA256, resumed');
    expect(await page.textContent('#st-resumed')).toBe('true');

    await page.mouse.move(0, VIEWPORT.height - 1); // no hover highlight in the picture
    const shot = join(makeTempDir('puretls-example-shot-'), 'example.png');
    await page.screenshot({ path: shot });
    const png = readFileSync(shot);
    const stats = pngStats(png);
    expect(stats).toMatchObject({ width: VIEWPORT.width, height: VIEWPORT.height });
    expect(stats.colours).toBeGreaterThan(200); // text, buttons, two panels: not a blank or one-colour page
    expect(png.length).toBeGreaterThan(30_000);
    if (process.env['PURETLS_UPDATE_SCREENSHOT'] === '1') copyFileSync(shot, join(ROOT, 'examples', 'browser', 'screenshot.png'));

    // TLS 1.2, and a renegotiation (key update is TLS 1.3 only)
    await click('connect12');
    await logShows('client: handshake complete: TLSv1.2');
    expect(await page.isDisabled('#keyupdate')).toBe(true);
    await click('renegotiate');
    await logShows('client.renegotiate(): queued');
    const log = (await page.textContent('#log')) ?? '';
    expect(count(log, 'client: handshake complete: TLSv1.2')).toBe(2);
    await click('send');
    await logShows('client read: "echo: hello from the client"');
    await click('close');
    await logShows('client: the peer sent close_notify');
    expect(await page.textContent('#st-state')).toBe('closed');

    expect(await page.evaluate(() => typeof (globalThis as Record<string, unknown>)['process'])).toBe('undefined');
    expect((await page.textContent('#log')) ?? '').not.toMatch(/ERR_|failed/);
    expect(pageErrors).toEqual([]);
  });
});
