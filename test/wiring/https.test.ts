/**
 * puretls/https against node:https: node's client against our server, our
 * Agent (through node's https.request and our own request/get) against
 * node's server, keep-alive reuse and session resumption.
 */
import { once } from 'node:events';
import http from 'node:http';
import nodeHttps from 'node:https';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, createServer, get, globalAgent, request } from '../../src/node/https.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { certsFor, collect, installCleanup, listen, type Certs } from '../node/support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** Send a request and read the whole answer. */
async function fetchText(req: http.ClientRequest, body?: string): Promise<{ res: http.IncomingMessage; text: string }> {
  req.end(body);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const text = (await collect(res)).toString();
  return { res, text };
}

describe('puretls/https server', () => {
  it("node's https client (ca, rejectUnauthorized) ↔ our createServer: request.socket is our TlsSocket", async () => {
    const secure: TlsSocket[] = [];
    const server = createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
      const s = req.socket as unknown as TlsSocket;
      const peer = s.getPeerCertificate();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, alpn: s.alpnProtocol, protocol: s.getProtocol(), encrypted: s.encrypted, peer: Object.keys(peer).length, sni: s.servername }));
    });
    server.on('secureConnection', (s: TlsSocket) => secure.push(s));
    const port = await listen(server);
    const req = nodeHttps.request({ host: '127.0.0.1', port, servername: 'localhost', path: '/hello?x=1', method: 'POST', ca: certs.ca, rejectUnauthorized: true, agent: false });
    const { res, text } = await fetchText(req, 'body');
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(text)).toEqual({ method: 'POST', url: '/hello?x=1', alpn: false, protocol: 'TLSv1.3', encrypted: true, peer: 0, sni: 'localhost' });
    expect((res.socket as TLSSocket).authorized).toBe(true);
    expect(secure.length).toBe(1);
    expect(secure[0]!.constructor.name).toBe('TlsSocket');
  });

  it("node's client offering ALPN gets http/1.1 (node's https.Server default); an untrusted client fails with 'tlsClientError' and 'clientError'", async () => {
    const server = createServer({ cert: certs.cert, key: certs.key }, (req, res) => res.end((req.socket as unknown as TlsSocket).alpnProtocol || 'none'));
    const port = await listen(server);
    const withAlpn: nodeHttps.RequestOptions & ConnectionOptions = { host: '127.0.0.1', port, ca: certs.ca, ALPNProtocols: ['h2', 'http/1.1'], agent: false };
    const { text } = await fetchText(nodeHttps.request(withAlpn));
    expect(text).toBe('http/1.1');
    // A client that does not trust us aborts the handshake: the server reports it.
    const errors = once(server, 'tlsClientError');
    const clientErrors = once(server, 'clientError');
    const bad = nodeHttps.request({ host: '127.0.0.1', port, agent: false });
    bad.on('error', () => {});
    bad.end();
    const [[err], [err2]] = await Promise.all([errors, clientErrors]);
    expect(err).toBeInstanceOf(Error);
    expect(err2).toBe(err);
  });
});

describe('puretls/https Agent', () => {
  it("our Agent through node's https.request ↔ node's https.createServer: SNI from the host, TLS 1.3", async () => {
    let sni: string | false | null | undefined;
    const server = nodeHttps.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
      sni = (req.socket as TLSSocket).servername;
      res.end('from node');
    });
    const port = await listen(server);
    const agent = new Agent({ ca: certs.ca });
    const req = nodeHttps.request(`https://localhost:${port}/`, { agent });
    const { res, text } = await fetchText(req);
    expect(text).toBe('from node');
    expect(sni).toBe('localhost');
    const s = res.socket as unknown as TlsSocket;
    expect(s.constructor.name).toBe('TlsSocket');
    expect(s.authorized).toBe(true);
    expect(s.getProtocol()).toBe('TLSv1.3');
    agent.destroy();
  });

  it('keep-alive: two requests on one socket (node:https server)', async () => {
    const remotePorts: number[] = [];
    const server = nodeHttps.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
      remotePorts.push(req.socket.remotePort!);
      res.end('ok');
    });
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true, ca: certs.ca });
    const a = await fetchText(nodeHttps.request({ host: 'localhost', port, agent }));
    const b = await fetchText(nodeHttps.request({ host: 'localhost', port, agent }));
    expect([a.text, b.text]).toEqual(['ok', 'ok']);
    expect(a.res.socket).toBe(b.res.socket);
    expect(remotePorts[0]).toBe(remotePorts[1]);
    agent.destroy();
  });

  it.each(['TLSv1.3', 'TLSv1.2'] as const)('the second connection resumes the session (%s, node:https server)', async (version) => {
    let newSessions = 0;
    const server = nodeHttps.createServer({ cert: certs.cert, key: certs.key, maxVersion: version }, (_req, res) => res.end('ok'));
    server.on('secureConnection', (s: TLSSocket) => void (s.isSessionReused() || newSessions++));
    const port = await listen(server);
    const agent = new Agent({ ca: certs.ca }); // no keep-alive: a new connection per request
    const first = await fetchText(nodeHttps.request({ host: 'localhost', port, agent }));
    const s1 = first.res.socket as unknown as TlsSocket;
    expect(s1.isSessionReused()).toBe(false);
    if (!s1.getSession()) await once(s1, 'session');
    await once(s1, 'close');
    const second = await fetchText(nodeHttps.request({ host: 'localhost', port, agent }));
    const s2 = second.res.socket as unknown as TlsSocket;
    expect(s2).not.toBe(s1);
    expect(s2.isSessionReused()).toBe(true);
    expect(s2.getProtocol()).toBe(version);
    expect(newSessions).toBe(1);
    agent.destroy();
  });

  it('our request() and get() (globalAgent) ↔ our createServer, with a session resumed and keep-alive', async () => {
    const reused: boolean[] = [];
    const server = createServer({ cert: certs.cert, key: certs.key }, (req, res) => res.end(`${req.method} ${req.url}`));
    server.on('secureConnection', (s: TlsSocket) => reused.push(s.isSessionReused()));
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true, ca: certs.ca });
    const a = await fetchText(request(`https://localhost:${port}/a`, { agent, method: 'PUT' }));
    const b = await fetchText(request({ host: 'localhost', port, path: '/b', agent }));
    expect([a.text, b.text]).toEqual(['PUT /a', 'GET /b']);
    expect(a.res.socket).toBe(b.res.socket);
    // get() with the default agent and a TLS option (a pool of its own).
    const c = get(`https://localhost:${port}/c`, { ca: certs.ca });
    const [res] = (await once(c, 'response')) as [http.IncomingMessage];
    expect((await collect(res)).toString()).toBe('GET /c');
    globalAgent.destroy(); // its idle keep-alive socket
    // A new connection of the first pool resumes.
    agent.destroy();
    const d = new Agent({ ca: certs.ca }); // no keep-alive: a connection per request
    const first = await fetchText(request(`https://localhost:${port}/d`, { agent: d }));
    const s1 = first.res.socket as unknown as TlsSocket;
    if (!s1.getSession()) await once(s1, 'session');
    const second = await fetchText(request(`https://localhost:${port}/e`, { agent: d }));
    expect(second.text).toBe('GET /e');
    expect((second.res.socket as unknown as TlsSocket).isSessionReused()).toBe(true);
    expect(reused.at(-1)).toBe(true);
    d.destroy();
  });

  it('getName distinguishes TLS options, as node:https', () => {
    const ours = new Agent();
    const node = new nodeHttps.Agent();
    const opts = { host: 'example.com', port: 443, ca: 'CA', servername: 'other', rejectUnauthorized: false, minVersion: 'TLSv1.3' as const };
    expect(ours.getName(opts)).toBe(`${node.getName(opts)}:`);
    expect(ours.getName({ host: 'a', port: 1 })).toBe(`${node.getName({ host: 'a', port: 1 })}:`);
  });
});
