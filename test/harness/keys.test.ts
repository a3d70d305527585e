// Tests of the key/cert generator and the temp-dir registry (no puretls code).
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeCert, makeChain, pemToDer, splitPem, type KeyType } from '../helpers/keys.js';
import { cleanupTempDirs, makeTempDir, registeredTempDirs } from '../helpers/tmp.js';

const run = promisify(execFile);

const EXPECT: Record<KeyType, { type: string; curve?: string; sig: RegExp }> = {
  rsa2048: { type: 'rsa', sig: /sha256WithRSAEncryption/ },
  p256: { type: 'ec', curve: 'prime256v1', sig: /ecdsa-with-SHA256/ },
  p384: { type: 'ec', curve: 'secp384r1', sig: /ecdsa-with-SHA384/ },
  ed25519: { type: 'ed25519', sig: /ED25519/ },
};

describe('makeCert', () => {
  for (const keyType of Object.keys(EXPECT) as KeyType[]) {
    it(`${keyType}: PKCS#8 key, self-signed leaf with SAN localhost/127.0.0.1, DER matches`, async () => {
      const c = await makeCert({ keyType });
      expect(c.keyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      expect(readFileSync(c.keyPath, 'utf8')).toBe(c.keyPem);
      expect(readFileSync(c.certPath, 'utf8')).toBe(c.certPem);
      const key = createPrivateKey(c.keyPem);
      expect(key.asymmetricKeyType).toBe(EXPECT[keyType].type);
      if (EXPECT[keyType].curve) expect(key.asymmetricKeyDetails?.namedCurve).toBe(EXPECT[keyType].curve);
      if (keyType === 'rsa2048') expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);

      const x = new X509Certificate(c.certPem);
      expect(x.raw.equals(c.certDer)).toBe(true);
      expect(x.checkPrivateKey(key)).toBe(true);
      expect(x.subject).toBe('CN=localhost');
      expect(x.issuer).toBe('CN=localhost');
      expect(x.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
      expect(x.ca).toBe(false);
      expect(x.verify(x.publicKey)).toBe(true);
      const { stdout } = await run('openssl', ['x509', '-in', c.certPath, '-noout', '-text']);
      expect(stdout).toMatch(EXPECT[keyType].sig);
      expect(stdout).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    });
  }

  it('caches by arguments; tag, cn, san and days make distinct certificates', async () => {
    const a = await makeCert({ keyType: 'p256' });
    const b = await makeCert({ keyType: 'p256' });
    expect(b).toBe(a);
    const [c, d, e] = await Promise.all([
      makeCert({ keyType: 'p256', tag: 'other' }),
      makeCert({ keyType: 'p256', cn: 'example.test', san: ['DNS:example.test', 'DNS:*.example.test'] }),
      makeCert({ keyType: 'p256', san: [], days: 2 }),
    ]);
    expect(new Set([a.certPem, c.certPem, d.certPem, e.certPem]).size).toBe(4);
    expect(new X509Certificate(d.certPem).subjectAltName).toBe('DNS:example.test, DNS:*.example.test');
    expect(new X509Certificate(e.certPem).subjectAltName).toBeUndefined();
  });

  it('issues from a CA given as plain PEMs, and a CA cert has CA:TRUE', async () => {
    const ca = await makeCert({ keyType: 'p384', isCA: true });
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
    const leaf = await makeCert({ keyType: 'ed25519', ca: { certPem: ca.certPem, keyPem: ca.keyPem }, cn: 'leaf.test', san: ['DNS:leaf.test'] });
    const x = new X509Certificate(leaf.certPem);
    expect(x.issuer).toBe('CN=puretls test CA (p384)');
    expect(x.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    const { stdout } = await run('openssl', ['x509', '-in', leaf.certPath, '-noout', '-text']);
    expect(stdout).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);
  });
});

describe('makeChain', () => {
  it('root → intermediate → leaf verifies with openssl verify', async () => {
    const ch = await makeChain('rsa2048', 'p256');
    expect(splitPem(ch.chainPem)).toEqual([ch.leaf.certPem, ch.intermediate.certPem]);
    expect(pemToDer(ch.chainPem).equals(ch.leaf.certDer)).toBe(true);
    expect(readFileSync(ch.chainPath, 'utf8')).toBe(ch.chainPem);
    expect(readFileSync(ch.intermediatesPath, 'utf8')).toBe(ch.intermediate.certPem);
    expect(ch.rootPath).toBe(ch.root.certPath);
    const leaf = new X509Certificate(ch.leaf.certPem);
    expect(leaf.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(leaf.checkIssued(new X509Certificate(ch.intermediate.certPem))).toBe(true);
    expect(new X509Certificate(ch.intermediate.certPem).checkIssued(new X509Certificate(ch.root.certPem))).toBe(true);
    const { stdout } = await run('openssl', ['verify', '-CAfile', ch.rootPath, '-untrusted', ch.intermediatesPath, '-verify_hostname', 'localhost', ch.leaf.certPath]);
    expect(stdout.trim()).toBe(`${ch.leaf.certPath}: OK`);
    expect(await makeChain('rsa2048', 'p256')).toBe(ch);
  });
});

describe('tmp registry', () => {
  it('makeTempDir registers; cleanupTempDirs removes; cached certs get their files back', async () => {
    const c = await makeCert({ keyType: 'ed25519' });
    const ch = await makeChain('ed25519');
    const d = makeTempDir('puretls-harness-');
    expect(existsSync(d)).toBe(true);
    expect(registeredTempDirs()).toContain(d);
    cleanupTempDirs();
    expect(existsSync(d)).toBe(false);
    expect(existsSync(c.certPath)).toBe(false);
    expect(registeredTempDirs()).toEqual([]);

    const again = await makeCert({ keyType: 'ed25519' });
    expect(again).toBe(c);
    expect(readFileSync(c.certPath, 'utf8')).toBe(c.certPem);
    expect(readFileSync(c.keyPath, 'utf8')).toBe(c.keyPem);
    const ch2 = await makeChain('ed25519');
    expect(readFileSync(ch2.chainPath, 'utf8')).toBe(ch.chainPem);
    expect(readFileSync(ch2.leaf.keyPath, 'utf8')).toBe(ch.leaf.keyPem);
    expect(registeredTempDirs().length).toBe(1);
    cleanupTempDirs();
  });
});
