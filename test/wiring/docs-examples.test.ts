/**
 * docs/wiring.md's examples, run. Every ```ts block of the page is code of
 * this file (import lines aside: the page imports from 'puretls/...').
 * What the examples print (console.log) is what the page says they print.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import nodeHttps from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as http2 from '../../src/node/http2.js';
import * as https from '../../src/node/https.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { connector } from '../../src/node/undici.js';
import { certsFor, installCleanup, track } from '../node/support.js';

installCleanup();

let cert: string;
let key: string;
let ca: string;
beforeAll(async () => {
  const certs = await certsFor('p256');
  ({ cert, key, ca } = certs);
});

/** console.log of the examples, collected; resolves once `n` lines were printed. */
function printed(n: number): Promise<string[]> {
  const lines: string[] = [];
  return new Promise((resolve) => {
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
      if (lines.length === n) resolve(lines);
    });
  });
}
afterEach(() => vi.restoreAllMocks());

/** The docs' HTTPS server, listening: its port. */
async function startHttpsServer(): Promise<number> {
  const server = https.createServer({ cert, key }, (req, res) => {
    const socket = req.socket as unknown as TlsSocket;
    res.end(`hello over ${socket.getProtocol()}`);
  });
  server.listen(0, '127.0.0.1');
  track(server);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('docs/wiring.md', () => {
  it("puretls/https: the server, our Agent with node's https.get, our get()", async () => {
    const port = await startHttpsServer();
    let out = printed(1);
    const agent = new https.Agent({ ca, keepAlive: true });
    nodeHttps.get(`https://localhost:${port}/`, { agent }, (res) => {
      res.setEncoding('utf8').on('data', (text: string) => console.log(text)); // hello over TLSv1.3
    });
    expect(await out).toEqual(['hello over TLSv1.3']);
    agent.destroy();

    out = printed(1);
    https.get(`https://localhost:${port}/`, { ca }, (res) => {
      const socket = res.socket as unknown as TlsSocket;
      console.log(res.statusCode, socket.getProtocol(), socket.authorized); // 200 TLSv1.3 true
      res.resume();
    });
    expect(await out).toEqual(['200 TLSv1.3 true']);
    https.globalAgent.destroy();
  });

  it('puretls/http2: the server (allowHTTP1) and the client', async () => {
    const h2server = http2.createSecureServer({ cert, key, allowHTTP1: true }, (req, res) => {
      res.end(`HTTP/${req.httpVersion} over ${(req.socket as unknown as TlsSocket).alpnProtocol}`);
    });
    h2server.listen(0, '127.0.0.1');
    track(h2server);
    await once(h2server, 'listening');
    const port = (h2server.address() as AddressInfo).port;
    const out = printed(2);
    const session = http2.connect(`https://localhost:${port}`, { ca }, (_session, socket) => {
      console.log('connected', socket.alpnProtocol, socket.getProtocol()); // connected h2 TLSv1.3
    });
    const stream = session.request({ ':path': '/' });
    stream.setEncoding('utf8').on('data', (text: string) => console.log(text)); // HTTP/2.0 over h2
    stream.on('end', () => session.close());
    expect(await out).toEqual(['connected h2 TLSv1.3', 'HTTP/2.0 over h2']);
    await once(session, 'close');
  });

  it('puretls/undici: fetch through an undici Agent with our connector', async () => {
    const port = await startHttpsServer();
    const out = printed(1);
    const dispatcher = new Agent({ connect: connector({ ca }) });
    const response = await fetch(`https://localhost:${port}/`, { dispatcher });
    console.log(await response.text()); // hello over TLSv1.3
    await dispatcher.close();
    expect(await out).toEqual(['hello over TLSv1.3']);
  });

  it('every ```ts block of the page is code of this file', () => {
    const norm = (text: string): string[] =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('import '));
    const page = readFileSync(new URL('../../docs/wiring.md', import.meta.url), 'utf8');
    const here = norm(readFileSync(new URL(import.meta.url), 'utf8')).join('\n');
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBe(6);
    for (const block of blocks) expect(here, block).toContain(norm(block).join('\n'));
  });
});
