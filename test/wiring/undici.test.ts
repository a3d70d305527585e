/**
 * puretls/undici: undici's fetch and request through an Agent whose
 * connector is ours, against node's https server and ours; the second
 * connection to an origin resumes the TLS session.
 */
import nodeHttps from 'node:https';
import type { TLSSocket } from 'node:tls';
import { Agent, fetch, request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/node/https.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { connector } from '../../src/node/undici.js';
import { certsFor, installCleanup, listen, type Certs } from '../node/support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

describe('puretls/undici connector', () => {
  it("fetch with new Agent({ connect: connector({ ca }) }) ↔ node's https server; the second connection resumes", async () => {
    const handshakes: { reused: boolean; version: string | null }[] = [];
    const server = nodeHttps.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
      res.setHeader('connection', 'close'); // a new connection for the next request
      res.end(`${req.method} ${req.url}`);
    });
    server.on('secureConnection', (s: TLSSocket) => handshakes.push({ reused: s.isSessionReused(), version: s.getProtocol() }));
    const port = await listen(server);
    const agent = new Agent({ connect: connector({ ca: certs.ca }) });
    try {
      const a = await fetch(`https://localhost:${port}/one`, { dispatcher: agent });
      expect(await a.text()).toBe('GET /one');
      const b = await fetch(`https://localhost:${port}/two`, { method: 'POST', body: 'x', dispatcher: agent });
      expect(await b.text()).toBe('POST /two');
      expect(handshakes).toEqual([
        { reused: false, version: 'TLSv1.3' },
        { reused: true, version: 'TLSv1.3' },
      ]);
    } finally {
      await agent.close();
    }
  });

  it('undici request ↔ our https server, keep-alive and a TLS 1.2 session resumed', async () => {
    const handshakes: boolean[] = [];
    const server = createServer({ cert: certs.cert, key: certs.key, maxVersion: 'TLSv1.2' }, (req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end(`${(req.socket as unknown as TlsSocket).getProtocol()} ${req.url}`);
    });
    server.on('secureConnection', (s: TlsSocket) => handshakes.push(s.isSessionReused()));
    const port = await listen(server);
    const agent = new Agent({ connect: connector({ ca: certs.ca }) });
    try {
      const texts: string[] = [];
      for (const path of ['/a', '/close', '/b']) {
        const { statusCode, body } = await request(`https://localhost:${port}${path}`, { dispatcher: agent });
        expect(statusCode).toBe(200);
        texts.push(await body.text());
      }
      expect(texts).toEqual(['TLSv1.2 /a', 'TLSv1.2 /close', 'TLSv1.2 /b']);
      // /a and /close on one connection (keep-alive), /b on a second one that resumed.
      expect(handshakes).toEqual([false, true]);
    } finally {
      await agent.close();
    }
  });

  it('an untrusted server fails the fetch with our TLS error; bad options throw at once', async () => {
    const server = nodeHttps.createServer({ cert: certs.cert, key: certs.key }, (_req, res) => res.end());
    server.on('tlsClientError', () => {});
    const port = await listen(server);
    const agent = new Agent({ connect: connector() });
    try {
      const err = (await fetch(`https://localhost:${port}/`, { dispatcher: agent }).catch((e: unknown) => e)) as Error & { cause?: Error };
      expect(err).toBeInstanceOf(TypeError); // undici's 'fetch failed'
      expect(err.cause?.message).toMatch(/certificate|issuer/i);
    } finally {
      await agent.close();
    }
    expect(() => connector({ minVersion: 'TLSv1' })).toThrow(/not implemented by puretls/);
    expect(() => connector({ maxCachedSessions: -1 })).toThrow(/maxCachedSessions/);
  });
});
