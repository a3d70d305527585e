/** Real-world certificates: node's bundled Mozilla roots. */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { type Certificate, parseCertificate } from '../../src/x509/certificate.js';
import { verifySignedBy } from '../../src/x509/chain.js';
import { escapeDnValue } from '../../src/x509/name.js';
import { pemDecode } from '../../src/x509/pem.js';
import { x509Providers } from '../helpers/oracle-provider.js';

const providers = x509Providers();

const roots = rootCertificates.map((pem) => ({ pem, der: pemDecode(pem)[0]!.der }));

/** node's X509Certificate.subject form: one `type=value` per line, RFC 2253 escaping. */
function nodeStyle(c: Certificate['subject']): string {
  return c.rdns.map((rdn) => rdn.map((a) => `${a.shortName}=${escapeDnValue(a.value)}`).join(' + ')).join('\n');
}

describe('node rootCertificates', () => {
  it('has a few hundred roots', () => {
    expect(roots.length).toBeGreaterThan(100);
  });

  it('parses every root; subject, issuer, serial, dates and fingerprint match node', () => {
    for (const { pem, der } of roots) {
      const c = parseCertificate(der);
      const x = new X509Certificate(pem);
      expect(nodeStyle(c.subject), pem).toBe(x.subject);
      expect(nodeStyle(c.issuer), pem).toBe(x.issuer);
      const d = c.toDetailed();
      expect(d.fingerprint256).toBe(x.fingerprint256);
      expect(d.fingerprint).toBe(x.fingerprint);
      expect(d.serialNumber).toBe(x.serialNumber);
      expect(d.valid_from).toBe(x.validFrom);
      expect(d.valid_to).toBe(x.validTo);
      expect(c.publicKey, `${c.subject.text} key`).toBeDefined();
      expect(c.signatureAlgorithm, `${c.subject.text} ${c.signatureAlgorithmOid}`).toBeDefined();
      expect(c.isCA).toBe(x.ca);
    }
  });

  it('matches node legacy objects (subject/issuer objects, key fields)', () => {
    for (const { pem, der } of roots) {
      const d = parseCertificate(der).toDetailed();
      const l = new X509Certificate(pem).toLegacyObject();
      expect({ ...d.subject }).toEqual({ ...l.subject });
      expect({ ...d.issuer }).toEqual({ ...l.issuer });
      expect(d.bits).toBe(l.bits);
      if (l.modulus) expect(d.modulus).toBe(l.modulus);
      if (l.exponent) expect(d.exponent).toBe(l.exponent);
      if (l.pubkey) expect(Buffer.from(d.pubkey!)).toEqual(l.pubkey);
      const lx = l as unknown as Record<string, unknown>;
      if (lx.asn1Curve) expect(d.asn1Curve).toBe(lx.asn1Curve);
      if (lx.nistCurve) expect(d.nistCurve).toBe(lx.nistCurve);
    }
  });

  describe.each(providers)('self-signatures with $name', ({ make }) => {
    it('verifies every self-signed root', () => {
      const provider = make({ now: undefined });
      let checked = 0;
      for (const { der } of roots) {
        const c = parseCertificate(der);
        if (!c.selfIssued) continue;
        expect(verifySignedBy(c, c.publicKey, provider, true), c.subject.text).toBe(true);
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
    });
  });
});
