/** Host name and IP matching, and checkServerIdentity against node's own. */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../src/x509/certificate.js';
import { HostnameMismatchError, canonicalIp, checkServerIdentity, matchesHostname, parseIp } from '../../src/x509/hostname.js';
import { CertFactory, type GenCert, leafExt } from '../helpers/certs.js';

describe('matchesHostname (RFC 6125)', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['Example.COM', 'example.com', true],
    ['example.com.', 'example.com', true],
    ['example.com', 'EXAMPLE.com.', true],
    ['example.com', 'www.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'A.Example.Com.', true],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.com', 'example.com', false],
    ['f*.example.com', 'foo.example.com', false],
    ['*oo.example.com', 'foo.example.com', false],
    ['a.*.example.com', 'a.b.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['*', 'localhost', false],
    ['', '', false],
    ['example..com', 'example..com', false],
    ['*.example.com', 'xn--caf-dma.example.com', true],
    ['*.0.0.1', '127.0.0.1', false],
  ])('%j vs %j → %s', (pattern, host, ok) => {
    expect(matchesHostname(pattern, host)).toBe(ok);
  });
});

describe('IP literals', () => {
  const cases = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '::', '::1', '1::', '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:8:9', '1::2::3', '::ffff:1.2.3.4', '::ffff:1.2.3', '12345::', 'fe80::1%eth0', 'g::1', ':1', '1:', 'localhost', ''];
  it.each(cases)('parseIp(%j) agrees with net.isIP', (s) => {
    const v = isIP(s);
    const b = parseIp(s);
    expect(b?.length ?? 0).toBe(v === 4 ? 4 : v === 6 ? 16 : 0);
  });

  it('parses bytes and prints canonical forms', () => {
    expect(parseIp('::ffff:1.2.3.4')).toEqual(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]));
    expect(parseIp('[::1]')).toEqual(parseIp('0:0:0:0:0:0:0:1'));
    for (const s of ['::1', '::', '1::', 'fe80::1', '2001:db8::1:0:0:1', '2001:db8:0:1:1:1:1:1', '1:0:0:2::3', '::ffff:102:304']) {
      expect(canonicalIp(parseIp(s)!)).toBe(new URL(`http://[${s}]/`).hostname.slice(1, -1));
    }
  });
});

describe('checkServerIdentity agrees with node', () => {
  let f: CertFactory;
  const certs: Record<string, GenCert> = {};
  beforeAll(() => {
    f = new CertFactory();
    const mk = (name: string, subject: string | [string, string][], ext: string[]) => {
      certs[name] = f.make(name, { alg: 'ec', subject, ext });
    };
    mk('san', 'ignored.example.org', leafExt(['DNS:localhost', 'DNS:*.example.com', 'IP:127.0.0.1', 'IP:::1', 'IP:10.0.0.1']));
    mk('cnOnly', 'cn.example.com', ['basicConstraints = CA:FALSE']);
    mk('twoCNs', [['CN', 'one.example.com'], ['CN', 'two.example.com']], ['basicConstraints = CA:FALSE']);
    mk('ipOnlySan', 'cn.example.com', leafExt(['IP:192.168.0.1']));
    mk('noNames', [['O', 'No Names Inc']], ['basicConstraints = CA:FALSE']);
    mk('emailSan', 'cn.example.com', leafExt(['email:a@example.com', 'URI:https://example.com/']));
    mk('wildCN', '*.example.net', ['basicConstraints = CA:FALSE']);
  });
  afterAll(() => f?.cleanup());

  const hosts = ['localhost', 'LOCALHOST', 'localhost.', 'a.example.com', 'a.b.example.com', 'example.com', '127.0.0.1', '::1',
    '0:0:0:0:0:0:0:1', '127.0.0.2', '10.0.0.1', '192.168.0.1', 'cn.example.com', 'one.example.com', 'two.example.com',
    'x.example.net', 'example.net', 'ignored.example.org', 'other', ''];

  it.each(['san', 'cnOnly', 'twoCNs', 'ipOnlySan', 'noNames', 'emailSan', 'wildCN'])('%s', (name) => {
    const gen = certs[name]!;
    const cert = parseCertificate(gen.der);
    const legacy = new X509Certificate(gen.certPem).toLegacyObject();
    for (const host of hosts) {
      const theirs = tls.checkServerIdentity(host, legacy);
      const ours = checkServerIdentity(host, cert);
      expect(ours === undefined, `${name} ${host}: ${theirs?.message}`).toBe(theirs === undefined);
      if (theirs && ours) {
        expect(ours.message).toBe(`ERR_TLS_CERT_ALTNAME_INVALID: ${theirs.message}`);
        expect(ours).toBeInstanceOf(HostnameMismatchError);
        expect((ours as HostnameMismatchError).reason).toBe((theirs as Error & { reason: string }).reason);
        expect(ours.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      }
      // Node-style certificates are accepted too.
      expect(checkServerIdentity(host, cert.toDetailed())?.message).toBe(ours?.message);
    }
  });
});
