/**
 * Trust and names (authorized / authorizationError tell the truth, no `ca`
 * means the default roots), and bad use: refused connections, peers that
 * vanish mid-handshake, silent clients, option values we do not support.
 */
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { Duplex, PassThrough } from 'node:stream';
import { connect, createSecureContext, createServer, TlsSocket } from '../../src/node/index.js';
import { certsFor, collect, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

type CodedError = Error & { code?: string };

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** A node:tls server for the 'localhost' chain that greets and reports the SNI it saw. */
async function nodeServer(options: tls.TlsOptions = {}): Promise<number> {
  const srv = tls.createServer({ cert: certs.cert, key: certs.key, ...options }, (s) => s.end(`sni=${String(s.servername)}`));
  srv.on('tlsClientError', () => {});
  return listen(srv);
}

describe('server identity and trust', () => {
  it("servername 'wrong.example' against a localhost certificate fails with ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    const port = await nodeServer();
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'wrong.example', ca: certs.ca }));
    const [err] = (await once(sock, 'error')) as [CodedError];
    expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(err.message).toContain('wrong.example');
  });

  it('with rejectUnauthorized: false it connects and says why it is not authorized', async () => {
    const port = await nodeServer();
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'wrong.example', ca: certs.ca, rejectUnauthorized: false }));
    await once(sock, 'secureConnect');
    expect(sock.authorized).toBe(false);
    expect(sock.authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((await collect(sock)).toString()).toBe('sni=wrong.example');
  });

  it('an IP host is checked against the IP SANs and never sent as SNI', async () => {
    const port = await nodeServer();
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    await once(sock, 'secureConnect');
    expect(sock.authorized).toBe(true);
    expect((await collect(sock)).toString()).toBe('sni=false');
  });

  it('no ca means the default roots: a private root is not trusted', async () => {
    const port = await nodeServer();
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }));
    await once(sock, 'secureConnect');
    expect(sock.authorized).toBe(false);
    expect(sock.authorizationError).toMatch(/^(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/);
    sock.destroy();
    const strict = track(connect({ host: '127.0.0.1', port, servername: 'localhost' }));
    const [err] = (await once(strict, 'error')) as [CodedError];
    expect(err.code).toBe(sock.authorizationError);
  });

  it('checkServerIdentity replaces the name check, and its error fails the handshake', async () => {
    const port = await nodeServer();
    const seen: string[] = [];
    const ok = track(
      connect({
        host: '127.0.0.1',
        port,
        servername: 'wrong.example',
        ca: certs.ca,
        checkServerIdentity: (host, cert) => {
          seen.push(`${host}:${String(cert.subject.CN)}:${Buffer.isBuffer(cert.raw)}`);
          return undefined;
        },
      }),
    );
    await once(ok, 'secureConnect');
    expect(ok.authorized).toBe(true);
    expect(seen).toEqual(['wrong.example:localhost:true']);
    const refused = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, checkServerIdentity: () => new Error('not this one') }));
    const [err] = (await once(refused, 'error')) as [CodedError];
    expect(err.message).toContain('not this one');
  });

  it("node's tls.checkServerIdentity works on our certificate objects", async () => {
    const port = await nodeServer();
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    await once(sock, 'secureConnect');
    const cert = sock.getPeerCertificate(true) as unknown as tls.PeerCertificate;
    expect(tls.checkServerIdentity('localhost', cert)).toBeUndefined();
    expect(tls.checkServerIdentity('other.example', cert)?.message).toMatch(/altnames/);
  });

  it("our server refuses a client without a certificate when requestCert + rejectUnauthorized", async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key, ca: certs.ca, requestCert: true });
    const port = await listen(srv);
    const serverErr = once(srv, 'tlsClientError');
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    sock.on('error', () => {});
    const [err] = (await serverErr) as [CodedError];
    expect(err.code).toBe('ERR_TLS_CERTIFICATE_REQUIRED');
  });

  it("a fatal alert from node (no ALPN in common) ends our client with node's code, ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL", async () => {
    const port = await nodeServer({ ALPNProtocols: ['only-this'] });
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca, ALPNProtocols: ['something-else'] }));
    const [err] = (await once(sock, 'error')) as [CodedError & { alert?: number; tlsCode?: string }];
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    expect(err.tlsCode).toBe('ERR_TLS_ALERT_RECEIVED');
    expect(err.alert).toBe(120); // no_application_protocol
  });

  it('our client that does not trust the server sends its fatal alert before closing', async () => {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key }, () => {});
    const port = await listen(srv);
    const serverErr = once(srv, 'tlsClientError');
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost' }));
    const [clientErr] = (await once(sock, 'error')) as [CodedError & { alert?: number }];
    expect(clientErr.code).toMatch(/ISSUER|SELF_SIGNED/);
    const [err] = (await serverErr) as [CodedError];
    // OpenSSL names the alert it received: ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ..._BAD_CERTIFICATE ...
    expect(err.code).toMatch(/^ERR_SSL_(TLSV1|SSLV3)_ALERT_/);
  });
});

describe('bad use', () => {
  it('a port nobody listens on: ECONNREFUSED as an error event', async () => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    const [err] = (await once(sock, 'error')) as [CodedError];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('a peer that closes mid-handshake: a clear error, no hang', async () => {
    const raw = net.createServer((s) => s.end());
    const port = await listen(raw);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    const [err] = (await once(sock, 'error')) as [CodedError];
    expect(err.code).toBe('ECONNRESET');
    expect(err.message).toMatch(/disconnected before secure TLS connection was established/);
  });

  it('a peer that answers with garbage: a TLS error and an alert, no hang', async () => {
    const raw = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const port = await listen(raw);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca }));
    const [err] = (await once(sock, 'error')) as [CodedError];
    expect(err.name).toBe('TlsError');
  });

  it("a silent client: 'tlsClientError' with ERR_TLS_HANDSHAKE_TIMEOUT and the socket is destroyed", async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key, handshakeTimeout: 200 });
    const port = await listen(srv);
    const raw = track(net.connect(port, '127.0.0.1'));
    const [err, tlsSock] = (await once(srv, 'tlsClientError')) as [CodedError, { destroyed: boolean }];
    expect(err.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    expect(tlsSock.destroyed).toBe(true);
    raw.resume();
    await once(raw, 'close');
  });

  it('a silent server: the client handshakeTimeout fails with ERR_TLS_HANDSHAKE_TIMEOUT', async () => {
    const raw = net.createServer((s) => s.resume());
    const port = await listen(raw);
    const sock = track(connect({ host: '127.0.0.1', port, ca: certs.ca, handshakeTimeout: 100 }));
    const [err] = (await once(sock, 'error')) as [CodedError];
    expect(err.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    expect(sock.destroyed).toBe(true);
  });

  it('unsupported option values throw synchronously, naming the option', () => {
    expect(() => connect({ port: 1, minVersion: 'TLSv1.1' })).toThrowError(/minVersion option 'TLSv1\.1' is not implemented/);
    expect(() => connect({ port: 1, maxVersion: 'SSLv3' })).toThrowError(/maxVersion option 'SSLv3' is not implemented/);
    expect(() => createServer({ cert: certs.cert, key: certs.key, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' })).toThrowError(/no protocols available/);
    expect(() => connect({ port: 1, ciphersuites: 'TLS_AES_128_CCM_SHA256' })).toThrowError(/ciphersuites/);
    expect(() => connect({ port: 1, ecdhCurve: 'brainpoolP256r1' })).toThrowError(/ecdhCurve/);
    expect(() => connect({ port: 1, ALPNProtocols: 'h2' as unknown as string[] })).toThrowError(/ALPNProtocols/);
    expect(() => createServer({ cert: certs.cert, key: certs.chain.root.keyPem })).toThrowError(/key values mismatch/);
    expect(() => createSecureContext({ cert: 'not a pem' })).toThrowError(/key/);
    expect(() => connect({ port: 1, noDelay: 'yes' as unknown as boolean })).toThrowError(/"noDelay" .*boolean/);
    expect(() => createServer({ cert: certs.cert, key: certs.key, noDelay: 1 as unknown as boolean })).toThrowError(/"noDelay" .*boolean/);
    expect(() => createServer({ cert: certs.cert, key: certs.key, requestCert: 'no' as unknown as boolean })).toThrowError(/"requestCert" .*boolean/);
  });

  it('accepted option forms: ecdhCurve names, ciphersuites, ALPN wire format, TLS 1.2 ciphers kept', async () => {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, ALPNProtocols: ['b'] }, (s) => s.end());
    const port = await listen(srv);
    const sock = track(
      connect({
        host: '127.0.0.1',
        port,
        ca: certs.ca,
        ecdhCurve: 'prime256v1:X25519',
        ciphersuites: 'TLS_AES_256_GCM_SHA384',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
        ALPNProtocols: Buffer.from('\x01a\x01b'),
        minVersion: 'TLSv1.3',
      }),
    );
    await once(sock, 'secureConnect');
    expect(sock.getCipher()).toEqual({ name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' });
    expect(sock.alpnProtocol).toBe('b');
    sock.resume();
    await once(sock, 'end');
  });

  it("node's positional form connect(port, host, options, cb), ALPN as an array of Buffers", async () => {
    const srv = tls.createServer({ cert: certs.cert, key: certs.key, ALPNProtocols: ['b'] }, (s) => s.end('hi'));
    const port = await listen(srv);
    let called = false;
    const sock = track(connect(port, '127.0.0.1', { ca: certs.ca, ALPNProtocols: [Buffer.from('a'), Buffer.from('b')] }, () => (called = true)));
    expect((await collect(sock)).toString()).toBe('hi');
    expect(called).toBe(true);
    expect(sock.alpnProtocol).toBe('b');
    expect(sock.remotePort).toBe(port);
  });
});

describe("exceptions thrown by the application's listeners", () => {
  it("a 'keylog' listener's exception reaches the code that delivered the bytes; the socket is not failed", async () => {
    const fromClient = new PassThrough();
    const client = track(new TlsSocket(Duplex.from({ readable: new PassThrough(), writable: fromClient }), { servername: 'localhost', ca: certs.ca }));
    const [hello] = (await once(fromClient, 'data')) as [Buffer];
    const serverTransport = Duplex.from({ readable: new PassThrough(), writable: new PassThrough() });
    const server = track(new TlsSocket(serverTransport, { isServer: true, cert: certs.cert, key: certs.key }));
    const failures: Error[] = [];
    server.on('error', (e: Error) => failures.push(e));
    server.on('keylog', () => {
      throw new Error('listener boom');
    });
    await new Promise(setImmediate); // a fresh scheduler turn: the bytes are handled inline
    expect(() => serverTransport.emit('data', hello)).toThrow('listener boom');
    expect(server.destroyed).toBe(false);
    expect(failures).toEqual([]);
    expect(client.destroyed).toBe(false);
  });
});
