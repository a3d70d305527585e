/** The CLI's pure parts, in process: flag parsing, -msg lines, -www pages, the in-memory certificate. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLIENT_FLAGS, UsageError, helpText, parseFlags, parseHostPort } from '../../src/cli/args.js';
import { generateSelfSigned } from '../../src/cli/certgen.js';
import { formatAlertLine, formatHandshakeLine, formatKeyUpdateType } from '../../src/cli/msg.js';
import { verifyReturn } from '../../src/cli/summary.js';
import { groupsOption } from '../../src/cli/tls-flags.js';
import { parseRequestHead, routeRequest, statusResponse } from '../../src/cli/www.js';
import { KeyUpdateType } from '../../src/common/constants.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { keysMatch, parsePrivateKey } from '../../src/x509/keys.js';
import { makeTempDir, writeTempFile } from '../helpers/tmp.js';

describe('flags', () => {
  it('parses values and switches; the last repeat wins; -flag=value works', () => {
    const f = parseFlags('s_client', CLIENT_FLAGS, ['-connect', 'a:1', '-msg', '-connect=b:2', '--quiet']);
    expect(f.get('connect')).toBe('b:2');
    expect(f.get('msg')).toBe(true);
    expect(f.get('quiet')).toBe(true);
  });

  it('refuses unknown flags, missing values, values on switches, stray words', () => {
    expect(() => parseFlags('s_client', CLIENT_FLAGS, ['-x'])).toThrow(UsageError);
    expect(() => parseFlags('s_client', CLIENT_FLAGS, ['-CAfile'])).toThrow(/-CAfile needs a value \(FILE\)/);
    expect(() => parseFlags('s_client', CLIENT_FLAGS, ['-msg=1'])).toThrow(/takes no value/);
    expect(() => parseFlags('s_client', CLIENT_FLAGS, ['stray'])).toThrow(/unexpected argument 'stray'/);
  });

  it('HOST:PORT, [v6]:PORT, PORT with a default host', () => {
    expect(parseHostPort('connect', 'example.com:443')).toEqual({ host: 'example.com', port: 443 });
    expect(parseHostPort('connect', '[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(parseHostPort('accept', '0', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => parseHostPort('accept', '65536', '127.0.0.1')).toThrow(/bad port '65536'/);
    expect(() => parseHostPort('accept', '-1', '127.0.0.1')).toThrow(/bad port/);
  });

  it('help has one line per flag', () => {
    expect(helpText('s_client', CLIENT_FLAGS).trim().split('\n')).toHaveLength(CLIENT_FLAGS.length + 1);
  });

  it('-groups takes OpenSSL aliases and refuses unknown names', () => {
    expect(groupsOption('x25519:prime256v1:secp384r1')).toBe('X25519:P-256:P-384');
    expect(() => groupsOption('x25519:brainpool')).toThrow(/unknown group 'brainpool'/);
  });

  it('verify return codes are OpenSSL\'s numbers', () => {
    expect(verifyReturn(true, undefined)).toBe('0 (ok)');
    expect(verifyReturn(false, 'DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('18 (self-signed certificate)');
    expect(verifyReturn(false, Object.assign(new Error('x'), { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }))).toBe('20 (unable to get local issuer certificate)');
    expect(verifyReturn(false, 'ERR_TLS_CERT_ALTNAME_INVALID')).toBe('62 (hostname mismatch)');
  });
});

describe('-msg lines (OpenSSL msg callback format)', () => {
  it('handshake, alert and KeyUpdate lines', () => {
    expect(formatHandshakeLine({ direction: 'sent', type: 1, length: 0xc4 }, 'TLS 1.3')).toBe('>>> TLS 1.3, Handshake [length 00c4], ClientHello');
    expect(formatHandshakeLine({ direction: 'received', type: 24, length: 5 }, 'TLS 1.3')).toBe('<<< TLS 1.3, Handshake [length 0005], KeyUpdate');
    expect(formatAlertLine({ sent: false, level: 1, description: 0 }, 'TLS 1.3')).toBe('<<< TLS 1.3, Alert [length 0002], warning close_notify');
    expect(formatAlertLine({ sent: true, level: 2, description: 40 }, 'TLS 1.3')).toBe('>>> TLS 1.3, Alert [length 0002], fatal handshake_failure');
    expect(formatKeyUpdateType(KeyUpdateType.REQUESTED)).toBe('    update_requested (1)');
    expect(formatKeyUpdateType(KeyUpdateType.NOT_REQUESTED)).toBe('    update_not_requested (0)');
  });
});

describe('-www', () => {
  it('parses a request head once complete and routes it', () => {
    expect(parseRequestHead('GET / HTTP/1.0\r\n')).toBeNull();
    const req = parseRequestHead('GET /keyupdate?x=1 HTTP/1.1\r\nHost: a\r\n\r\n')!;
    expect(req).toEqual({ method: 'GET', path: '/keyupdate?x=1', version: 'HTTP/1.1' });
    expect(routeRequest(req)).toEqual({ kind: 'keyupdate' });
    expect(routeRequest(parseRequestHead('GET /secret HTTP/1.0\n\n')!)).toEqual({ kind: 'secret' });
    expect(routeRequest(parseRequestHead('POST / HTTP/1.0\n\n')!)).toEqual({ kind: 'bad', method: 'POST' });
  });

  it('the status page is HTTP/1.0 200 with the connection facts, escaped', () => {
    const page = statusResponse({ protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'h2', peerSubject: 'CN=<me>', peerVerified: false, peerVerifyError: '18 (self-signed certificate)' });
    expect(page).toMatch(/^HTTP\/1\.0 200 ok\r\nContent-Type: text\/html\r\nContent-Length: (\d+)\r\n/);
    const [, body = ''] = page.split('\r\n\r\n');
    expect(Number(/Content-Length: (\d+)/.exec(page)![1])).toBe(Buffer.byteLength(body));
    expect(body).toMatch(/Protocol {2}: TLSv1\.3/);
    expect(body).toMatch(/ALPN protocol: h2/);
    expect(body).toMatch(/Client certificate subject: CN=&lt;me&gt;/);
  });
});

describe('certgen: a self-signed certificate without the openssl binary', () => {
  const g = generateSelfSigned(nobleProvider());

  it('parses with our X.509 code; the key matches', () => {
    const c = parseCertificate(g.certDer);
    expect(c.subject.text).toBe('CN=localhost');
    expect(c.toDetailed().subjectaltname).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(keysMatch(parsePrivateKey(g.keyPem), c.publicKey!)).toBe(true);
  });

  it('openssl accepts it (verify against itself, read the key)', () => {
    const dir = makeTempDir('puretls-certgen-');
    const certPath = writeTempFile(dir, 'c.pem', g.certPem);
    const keyPath = writeTempFile(dir, 'k.pem', g.keyPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', certPath, '-purpose', 'sslserver', certPath], { encoding: 'utf8' })).toMatch(/: OK/);
    expect(execFileSync('openssl', ['pkey', '-in', keyPath, '-noout', '-text'], { encoding: 'utf8' })).toMatch(/Private-Key: \(256 bit\)/);
    const text = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toMatch(/Version: 3 \(0x2\)/);
    expect(text).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1/);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
  });
});
