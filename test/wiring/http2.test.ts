/**
 * puretls/http2 against node:http2 and curl: node's client against our
 * secure server (h2), node's https (HTTP/1.1) against it with allowHTTP1,
 * our connect() against node's http2.createSecureServer, curl --http2.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type http from 'node:http';
import nodeHttp2 from 'node:http2';
import nodeHttps from 'node:https';
import type { TLSSocket } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createSecureServer } from '../../src/node/http2.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { certsFor, collect, installCleanup, listen, type Certs } from '../node/support.js';

installCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** One GET on an http2 session: status and body. */
async function h2get(session: nodeHttp2.ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  const stream = session.request({ ':path': path });
  const [headers] = (await once(stream, 'response')) as [nodeHttp2.IncomingHttpHeaders];
  const body = (await collect(stream)).toString();
  return { status: Number(headers[':status']), body };
}

/** What a request handler saw of its connection. */
function describeRequest(req: nodeHttp2.Http2ServerRequest | http.IncomingMessage): string {
  const s = req.socket as unknown as TLSSocket;
  const cert = s.getPeerCertificate() as { subject?: unknown };
  return JSON.stringify({ version: req.httpVersion, alpn: s.alpnProtocol, protocol: s.getProtocol(), servername: s.servername, peer: cert.subject ?? null, remote: s.remoteAddress });
}

describe('puretls/http2 createSecureServer', () => {
  it("node's http2.connect ↔ our createSecureServer (h2): the request's socket has our TLS accessors", async () => {
    const server = createSecureServer({ cert: certs.cert, key: certs.key }, (req, res) => res.end(describeRequest(req)));
    const sessions: nodeHttp2.ServerHttp2Session[] = [];
    server.on('session', (s: nodeHttp2.ServerHttp2Session) => sessions.push(s));
    const secure: TlsSocket[] = [];
    server.on('secureConnection', (s: TlsSocket) => secure.push(s));
    const port = await listen(server);
    const client = nodeHttp2.connect(`https://localhost:${port}`, { ca: certs.ca });
    const { status, body } = await h2get(client, '/a');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ version: '2.0', alpn: 'h2', protocol: 'TLSv1.3', servername: 'localhost', peer: null, remote: '127.0.0.1' });
    expect(client.alpnProtocol).toBe('h2');
    expect(client.encrypted).toBe(true);
    expect((client.socket as unknown as TLSSocket).authorized).toBe(true);
    expect(sessions.length).toBe(1);
    expect(sessions[0]!.encrypted).toBe(true);
    expect(sessions[0]!.alpnProtocol).toBe('h2');
    expect(secure[0]!.alpnProtocol).toBe('h2');
    // A second stream on the same session.
    expect((await h2get(client, '/b')).status).toBe(200);
    client.close();
    await once(client, 'close');
  });

  it("allowHTTP1: node's https (HTTP/1.1) gets http.IncomingMessage on the same 'request', req.socket our TlsSocket", async () => {
    const server = createSecureServer({ cert: certs.cert, key: certs.key, allowHTTP1: true }, (req, res) => res.end(describeRequest(req)));
    const port = await listen(server);
    const req = nodeHttps.request({ host: 'localhost', port, ca: certs.ca, agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    expect(JSON.parse((await collect(res)).toString())).toEqual({ version: '1.1', alpn: false, protocol: 'TLSv1.3', servername: 'localhost', peer: null, remote: '127.0.0.1' });
    // h2 still works on the same server.
    const client = nodeHttp2.connect(`https://localhost:${port}`, { ca: certs.ca });
    expect(JSON.parse((await h2get(client, '/')).body)).toMatchObject({ version: '2.0', alpn: 'h2' });
    client.close();
    server.closeIdleConnections();
  });

  it('without allowHTTP1, an HTTP/1.1 client gets node\'s 403 answer (or an \'unknownProtocol\' listener the socket)', async () => {
    const server = createSecureServer({ cert: certs.cert, key: certs.key }, (_req, res) => res.end('h2 only'));
    const port = await listen(server);
    const req = nodeHttps.request({ host: 'localhost', port, ca: certs.ca, agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    expect(res.statusCode).toBe(403);
    await collect(res);
    const unknown = once(server, 'unknownProtocol');
    const req2 = nodeHttps.request({ host: 'localhost', port, ca: certs.ca, agent: false });
    req2.on('error', () => {});
    req2.end();
    const [socket] = (await unknown) as [TlsSocket];
    expect(socket.alpnProtocol).toBe(false);
    socket.destroy();
  });

  it('curl --http2 ↔ our createSecureServer', async () => {
    const server = createSecureServer({ cert: certs.cert, key: certs.key }, (req, res) => {
      res.setHeader('x-alpn', String((req.socket as unknown as TLSSocket).alpnProtocol));
      res.end(`hello ${req.httpVersion}`);
    });
    const port = await listen(server);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'curl',
        ['--silent', '--show-error', '--http2', '--cacert', certs.chain.rootPath, '--resolve', `localhost:${port}:127.0.0.1`, '-D', '-', '-w', '\n%{http_version}', `https://localhost:${port}/`],
        { timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    expect(out).toMatch(/^HTTP\/2 200/);
    expect(out).toMatch(/^x-alpn: h2\r?$/m);
    expect(out.trimEnd().split('\n').slice(-2)).toEqual(['hello 2.0', '2']);
  });
});

describe('puretls/http2 connect', () => {
  it("our connect ↔ node's http2.createSecureServer: ALPN h2, 'connect' after the handshake, session.socket's TLS accessors", async () => {
    const server = nodeHttp2.createSecureServer({ cert: certs.cert, key: certs.key }, (req, res) => {
      res.end(`${req.method} ${req.url} ${(req.socket as TLSSocket).servername}`);
    });
    const port = await listen(server);
    let secureFirst: boolean | undefined;
    const session = connect(`https://localhost:${port}`, { ca: certs.ca }, (s, socket) => {
      secureFirst = s === session && !socket.secureConnecting && socket.alpnProtocol === 'h2';
    });
    const { status, body } = await h2get(session, '/x?y=1');
    expect(status).toBe(200);
    expect(body).toBe('GET /x?y=1 localhost');
    expect(secureFirst).toBe(true);
    expect(session.encrypted).toBe(true);
    expect(session.alpnProtocol).toBe('h2');
    const sock = session.socket as unknown as TlsSocket;
    expect(sock.alpnProtocol).toBe('h2');
    expect(sock.authorized).toBe(true);
    expect(sock.getProtocol()).toBe('TLSv1.3');
    expect((sock.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN).toBe('localhost');
    expect(sock.remotePort).toBe(port);
    session.close();
    await once(session, 'close');
  });

  it('an untrusted server: the session fails with our TLS error, no connect', async () => {
    const server = nodeHttp2.createSecureServer({ cert: certs.cert, key: certs.key });
    server.on('sessionError', () => {});
    const port = await listen(server);
    const session = connect(`https://localhost:${port}`);
    let connected = false;
    session.on('connect', () => void (connected = true));
    const [err] = (await once(session, 'error')) as [Error & { code?: string }];
    expect(err.message).toMatch(/certificate|issuer/i);
    expect(connected).toBe(false);
  });
});
