/** Certificate parsing: fields, extensions, node-style output, and malformed inputs. */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/common/bytes.js';
import { TlsError } from '../../src/common/errors.js';
import { formatCertTime, parseCertificate } from '../../src/x509/certificate.js';
import { Tag, children, derEncode, derInteger, derSequence, parseDer } from '../../src/x509/der.js';
import { escapeDnValue } from '../../src/x509/name.js';
import { CertFactory, type Scenarios, makeScenarios } from '../helpers/certs.js';

let f: CertFactory;
let s: Scenarios;
beforeAll(() => {
  f = new CertFactory();
  s = makeScenarios(f);
});
afterAll(() => f?.cleanup());

function all() {
  const list = [...Object.values(s.x)];
  for (const c of Object.values(s.chains)) list.push(c.root, c.intermediate, c.leaf);
  return list;
}

describe('parseCertificate on openssl output', () => {
  it('matches node X509Certificate / toLegacyObject for every generated certificate', () => {
    for (const gen of all()) {
      const c = parseCertificate(gen.der);
      const x = new X509Certificate(gen.certPem);
      const l = x.toLegacyObject() as unknown as Record<string, unknown>;
      const d = c.toDetailed() as unknown as Record<string, unknown>;
      const multiline = (n: typeof c.subject) => n.rdns.map((r) => r.map((a) => `${a.shortName}=${escapeDnValue(a.value)}`).join(' + ')).join('\n');
      expect(multiline(c.subject), gen.name).toBe(x.subject);
      expect(multiline(c.issuer), gen.name).toBe(x.issuer);
      for (const k of ['subjectaltname', 'ca', 'bits', 'modulus', 'exponent', 'asn1Curve', 'nistCurve', 'valid_from', 'valid_to', 'fingerprint', 'fingerprint256', 'fingerprint512', 'serialNumber']) {
        expect(d[k], `${gen.name} ${k}`).toEqual(l[k]);
      }
      for (const k of ['subject', 'issuer', 'infoAccess']) expect(d[k] && { ...(d[k] as object) }, `${gen.name} ${k}`).toEqual(l[k] && { ...(l[k] as object) });
      expect(d.ext_key_usage, gen.name).toEqual(l.ext_key_usage);
      expect(Buffer.from(d.raw as Uint8Array)).toEqual(l.raw);
      if (l.pubkey) expect(Buffer.from(d.pubkey as Uint8Array)).toEqual(l.pubkey);
      expect(c.notBefore).toBe(Date.parse(x.validFrom));
      expect(c.notAfter).toBe(Date.parse(x.validTo));
      expect(c.version).toBe(gen.name === 'noExtensions' ? 1 : 3);
      if (x.checkIssued(x)) expect(c.selfIssued).toBe(true);
    }
  });

  it('names: ordered attributes, object form with arrays, RFC 4514 text', () => {
    const c = parseCertificate(s.x.aia!.der);
    expect(c.subject.text).toBe('C=DE, ST=Berlin, L=Berlin, O=Org\\, Inc., OU=one, OU=two, CN=localhost');
    expect({ ...c.subject.object }).toEqual({ C: 'DE', ST: 'Berlin', L: 'Berlin', O: 'Org, Inc.', OU: ['one', 'two'], CN: 'localhost' });
    expect(c.subject.attributes.map((a) => a.oid)).toEqual(['2.5.4.6', '2.5.4.8', '2.5.4.7', '2.5.4.10', '2.5.4.11', '2.5.4.11', '2.5.4.3']);
    expect(c.issuer.text).toBe('O=puretls, CN=Intermediate ec');
  });

  it('extensions', () => {
    const root = parseCertificate(s.chains.ec.root.der);
    const int = parseCertificate(s.chains.ec.intermediate.der);
    const leaf = parseCertificate(s.chains.ec.leaf.der);
    expect(root.extensions.basicConstraints).toEqual({ cA: true, pathLen: undefined });
    expect(root.extensions.keyUsage).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false });
    expect(leaf.extensions.basicConstraints).toEqual({ cA: false, pathLen: undefined });
    expect(leaf.extensions.keyUsage).toMatchObject({ digitalSignature: true, keyEncipherment: true, keyCertSign: false });
    expect(leaf.extensions.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(leaf.extensions.authorityKeyId).toEqual(int.extensions.subjectKeyId);
    expect(int.extensions.authorityKeyId).toEqual(root.extensions.subjectKeyId);
    expect(leaf.extensions.subjectAltName).toEqual([
      { type: 'dns', value: 'localhost' },
      { type: 'dns', value: '*.example.com' },
      { type: 'ip', value: Uint8Array.of(127, 0, 0, 1) },
      { type: 'ip', value: fromHex('00000000000000000000000000000001') },
    ]);
    expect(parseCertificate(s.x.intPath0!.der).extensions.basicConstraints).toEqual({ cA: true, pathLen: 0 });
    expect(parseCertificate(s.x.intNC!.der).extensions.nameConstraints).toEqual({
      permitted: [{ type: 'dns', value: 'allowed.test' }, { type: 'ip', value: Uint8Array.of(10, 0, 0, 0, 255, 0, 0, 0) }],
      excluded: [{ type: 'dns', value: 'bad.allowed.test' }],
    });
    expect(parseCertificate(s.x.leafCritical!.der).extensions.unhandledCritical).toEqual(['1.2.3.4.5']);
    expect(parseCertificate(s.x.leafNonCritical!.der).extensions.unhandledCritical).toEqual([]);
    expect(root.signatureAlgorithm).toEqual({ type: 'ecdsa', hash: 'sha256' });
    expect(parseCertificate(s.chains.rsa.leaf.der).signatureAlgorithm).toEqual({ type: 'rsa-pkcs1', hash: 'sha256' });
    expect(parseCertificate(s.chains.ed25519.leaf.der).signatureAlgorithm).toEqual({ type: 'ed25519' });
  });

  it('toDetailed links issuers and self-references the root', () => {
    const [leaf, int, root] = [s.chains.ec.leaf, s.chains.ec.intermediate, s.chains.ec.root].map((g) => parseCertificate(g.der));
    const d = leaf!.toDetailed([int!, root!]);
    expect(d.issuerCertificate!.subject.CN).toBe('Intermediate ec');
    const r = d.issuerCertificate!.issuerCertificate!;
    expect(r.subject.CN).toBe('Root ec');
    expect(r.issuerCertificate).toBe(r);
    expect(leaf!.toDetailed().issuerCertificate).toBeUndefined();
  });

  it('formats times as OpenSSL does', () => {
    expect(formatCertTime(Date.UTC(2025, 0, 1))).toBe('Jan  1 00:00:00 2025 GMT');
    expect(formatCertTime(Date.UTC(2049, 11, 31, 23, 59, 59))).toBe('Dec 31 23:59:59 2049 GMT');
  });
});

describe('malformed certificates', () => {
  const fails = (der: Uint8Array, re?: RegExp) => {
    let err: unknown;
    try {
      parseCertificate(der);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).code).toBe('ERR_X509_PARSE');
    if (re) expect((err as TlsError).message).toMatch(re);
  };

  /** Rebuilds a certificate with its TBS passed through `edit` (fields as raw DER elements). */
  function rebuild(der: Uint8Array, edit: (fields: Uint8Array[]) => Uint8Array[], outerAlg?: Uint8Array): Uint8Array {
    const top = children(parseDer(der, Tag.SEQUENCE));
    const tbs = top.next();
    const alg = top.next();
    const sig = top.next();
    const fields: Uint8Array[] = [];
    const r = children(tbs);
    while (!r.done) fields.push(r.next().raw);
    return derSequence(derSequence(...edit(fields)), outerAlg ?? alg.raw, sig.raw);
  }

  it('trailing data, truncation, wrong tags', () => {
    const der = s.chains.ec.leaf.der;
    fails(Uint8Array.from([...der, 0]), /trailing/);
    fails(der.subarray(0, der.length - 1), /truncated/);
    fails(Uint8Array.from([0x31, ...der.subarray(1)]), /expected tag/);
    fails(new Uint8Array(0));
  });

  it('signature algorithm mismatch, extensions in v1, bad version', () => {
    const der = s.chains.ec.leaf.der;
    expect(parseCertificate(rebuild(der, (f) => f)).raw).toEqual(der);
    fails(rebuild(der, (f) => f, derSequence(derEncode(Tag.OID, fromHex('2a8648ce3d040303')))), /differ/);
    fails(rebuild(der, (f) => f.slice(1)), /extensions in a certificate older than v3/);
    fails(rebuild(der, (f) => [derEncode(0xa0, derInteger(3n)), ...f.slice(1)]), /version/);
  });

  it('duplicate extensions are refused', () => {
    const der = s.chains.ec.leaf.der;
    fails(
      rebuild(der, (f) => {
        const ext = f[f.length - 1]!;
        const seq = children(parseDer(ext)).next();
        const items: Uint8Array[] = [];
        const r = children(seq);
        while (!r.done) items.push(r.next().raw);
        return [...f.slice(0, -1), derEncode(0xa3, derSequence(...items, items[0]!))];
      }),
      /duplicate/,
    );
  });
});
