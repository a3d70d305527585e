/** Path building and validation on openssl-generated chains, each failure by its exact code. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/common/errors.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { type CertErrorCode, certErrors } from '../../src/x509/chain.js';
import {
  DefaultVerifier,
  type DefaultVerifierOptions,
  type DefaultVerifyResult,
  LeafKeyVerifier,
  caFromOption,
} from '../../src/x509/default-verifier.js';
import { CertFactory, type GenCert, type Scenarios, caExt, leafExt, makeScenarios, openssl } from '../helpers/certs.js';
import { x509Providers } from '../helpers/oracle-provider.js';

const providers = x509Providers();
const DAY = 86_400_000;

let f: CertFactory;
let chains: Scenarios['chains'];
let x: Scenarios['x'];

beforeAll(() => {
  f = new CertFactory();
  ({ chains, x } = makeScenarios(f));
});

afterAll(() => f?.cleanup());

function secp256k1Leaf(): Uint8Array {
  const key = f.file('k1.key', openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1']));
  const cnf = f.file('k1.cnf', '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=k1\n[ext]\nbasicConstraints=CA:FALSE\n');
  const out = openssl(['req', '-x509', '-new', '-config', cnf, '-extensions', 'ext', '-key', key, '-days', '30',
    '-CA', chains.ec.intermediate.certPath, '-CAkey', chains.ec.intermediate.keyPath, '-outform', 'DER']);
  return new Uint8Array(out);
}

function expectCode(r: DefaultVerifyResult, code: CertErrorCode | 'ERR_TLS_CERT_ALTNAME_INVALID'): void {
  expect(r.authorized).toBe(false);
  expect(r.error).toBeInstanceOf(TlsError);
  expect(r.error!.code).toBe(code);
  if (code !== 'ERR_TLS_CERT_ALTNAME_INVALID') expect(r.error!.alert).toBe(certErrors[code].alert);
}

describe.each(providers)('chain validation ($name)', ({ make }) => {
  const clock: { now: number | undefined } = { now: undefined };
  let provider: CryptoProvider;
  beforeAll(() => {
    provider = make(clock);
  });

  interface Run {
    chain: readonly (GenCert | Uint8Array)[];
    ca?: readonly GenCert[];
    host?: string;
    role?: 'server' | 'client';
    now?: number;
    options?: Partial<DefaultVerifierOptions>;
  }
  function run(o: Run): DefaultVerifyResult {
    clock.now = o.now;
    const v = new DefaultVerifier({ ca: (o.ca ?? [chains.ec.root]).map((c) => c.der), ...o.options });
    const chain = o.chain.map((c) => (c instanceof Uint8Array ? c : c.der));
    return v.verify(chain, { provider, peerRole: o.role ?? 'server', serverName: o.host });
  }

  describe.each(['rsa', 'ec', 'ed25519'] as const)('%s chain', (alg) => {
    it('valid chain, host and IP literals', () => {
      const c = chains[alg];
      for (const host of [undefined, 'localhost', 'LOCALHOST.', 'a.example.com', '127.0.0.1', '::1', '0:0::1']) {
        const r = run({ chain: [c.leaf, c.intermediate], ca: [c.root], host });
        expect(r.error, host).toBeUndefined();
        expect(r.authorized).toBe(true);
        expect(r.path.length).toBe(3);
      }
      expect(run({ chain: [c.leaf, c.intermediate], ca: [c.root] }).leafPublicKey.type).toBe(
        alg === 'ec' ? 'ec' : alg,
      );
    });

    it('tampered signature → CERT_SIGNATURE_FAILURE', () => {
      const c = chains[alg];
      const bad = c.leaf.der.slice();
      bad[bad.length - 3]! ^= 0x01;
      expectCode(run({ chain: [bad, c.intermediate], ca: [c.root] }), 'CERT_SIGNATURE_FAILURE');
    });

    it('tampered TBS → CERT_SIGNATURE_FAILURE', () => {
      const c = chains[alg];
      const bad = c.leaf.der.slice();
      const at = Buffer.from(bad).indexOf('localhost');
      bad[at]! ^= 0x20; // 'l' → 'L'
      expectCode(run({ chain: [bad, c.intermediate], ca: [c.root] }), 'CERT_SIGNATURE_FAILURE');
    });
  });

  it('expired leaf → CERT_HAS_EXPIRED; before notBefore → CERT_NOT_YET_VALID', () => {
    const { leaf, intermediate, root } = chains.ec;
    const l = parseCertificate(leaf.der);
    expectCode(run({ chain: [leaf, intermediate], now: l.notAfter + DAY }), 'CERT_HAS_EXPIRED');
    expectCode(run({ chain: [leaf, intermediate], now: parseCertificate(root.der).notBefore - DAY }), 'CERT_NOT_YET_VALID');
    expect(run({ chain: [leaf, intermediate], now: l.notAfter - DAY }).authorized).toBe(true);
  });

  it('wrong host → ERR_TLS_CERT_ALTNAME_INVALID with node message', () => {
    const r = run({ chain: [chains.ec.leaf, chains.ec.intermediate], host: 'other.test' });
    expectCode(r, 'ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.error!.message).toContain(
      "Hostname/IP does not match certificate's altnames: Host: other.test. is not in the cert's altnames: " +
        'DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
  });

  it('wildcard edge cases', () => {
    for (const [host, ok] of [['a.example.com', true], ['a.b.example.com', false], ['example.com', false], ['.example.com', false]] as const) {
      const r = run({ chain: [chains.ec.leaf, chains.ec.intermediate], host });
      expect(r.authorized, host).toBe(ok);
      if (!ok) expect(r.error!.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    }
  });

  it('IP SANs: v4 and v6 match bytes, never DNS names', () => {
    const chain = [chains.ec.leaf, chains.ec.intermediate];
    expect(run({ chain, host: '127.0.0.1' }).authorized).toBe(true);
    expect(run({ chain, host: '[::1]' }).authorized).toBe(true);
    const r = run({ chain, host: '127.0.0.2' });
    expectCode(r, 'ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.error!.message).toContain("IP: 127.0.0.2 is not in the cert's list: 127.0.0.1, ::1");
    expectCode(run({ chain, host: '::2' }), 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('CN fallback only without SAN dNSName', () => {
    expect(run({ chain: [x.cnOnly!, chains.ec.intermediate], host: 'cn-only.example.com' }).authorized).toBe(true);
    const r = run({ chain: [x.cnOnly!, chains.ec.intermediate], host: 'x.example.com' });
    expect(r.error!.message).toContain("Host: x.example.com. is not cert's CN: cn-only.example.com");
  });

  it('missing intermediate → UNABLE_TO_VERIFY_LEAF_SIGNATURE', () => {
    expectCode(run({ chain: [chains.ec.leaf] }), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('untrusted root: intermediate issuer missing / root in chain', () => {
    const { leaf, intermediate, root } = chains.ec;
    expectCode(run({ chain: [leaf, intermediate], ca: [x.otherRoot!] }), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    expectCode(run({ chain: [leaf, intermediate, root], ca: [x.otherRoot!] }), 'SELF_SIGNED_CERT_IN_CHAIN');
  });

  it('intermediate without the CA flag → INVALID_CA (CA:FALSE: INVALID_PURPOSE, as node)', () => {
    expectCode(run({ chain: [x.leafUnderNoBC!, x.intNoBC!] }), 'INVALID_CA');
    // OpenSSL reports INVALID_CA then INVALID_PURPOSE at depth 1; node shows the last.
    expectCode(run({ chain: [x.leafUnderNoCA!, x.intNoCA!] }), 'INVALID_PURPOSE');
  });

  it('validity windows as node reports them', () => {
    expectCode(run({ chain: [x.expiredLeaf!, chains.ec.intermediate] }), 'CERT_HAS_EXPIRED');
    expectCode(run({ chain: [x.futureLeaf!, chains.ec.intermediate] }), 'CERT_NOT_YET_VALID');
    expectCode(run({ chain: [x.leafUnderExpiredInt!, x.expiredInt!] }), 'CERT_HAS_EXPIRED');
    // Later errors win: the lone leaf and the self-signed one are expired too.
    expectCode(run({ chain: [x.expiredLeaf!] }), 'CERT_HAS_EXPIRED');
    expectCode(run({ chain: [x.expiredSelfSigned!] }), 'CERT_HAS_EXPIRED');
    expectCode(run({ chain: [x.expiredLeaf!, chains.ec.intermediate], ca: [x.otherRoot!] }), 'CERT_HAS_EXPIRED');
  });

  it('path length exceeded → PATH_LENGTH_EXCEEDED', () => {
    expectCode(run({ chain: [x.leafDeep!, x.intBelowPath0!, x.intPath0!] }), 'PATH_LENGTH_EXCEEDED');
    expect(run({ chain: [x.leafPath0!, x.intPath0!] }).authorized).toBe(true);
  });

  it('name constraints (dNSName, iPAddress, CN fallback)', () => {
    expect(run({ chain: [x.leafNCok!, x.intNC!], host: 'www.allowed.test' }).error).toBeUndefined();
    expectCode(run({ chain: [x.leafNCbad!, x.intNC!] }), 'PERMITTED_SUBTREE_VIOLATION');
    expectCode(run({ chain: [x.leafNCexcluded!, x.intNC!] }), 'EXCLUDED_SUBTREE_VIOLATION');
    expectCode(run({ chain: [x.leafNCip!, x.intNC!] }), 'PERMITTED_SUBTREE_VIOLATION');
    expectCode(run({ chain: [x.leafNCcn!, x.intNC!] }), 'PERMITTED_SUBTREE_VIOLATION');
  });

  it('unknown critical extension → UNHANDLED_CRITICAL_EXTENSION (non-critical is fine)', () => {
    expectCode(run({ chain: [x.leafCritical!, chains.ec.intermediate] }), 'UNHANDLED_CRITICAL_EXTENSION');
    expect(run({ chain: [x.leafNonCritical!, chains.ec.intermediate] }).authorized).toBe(true);
  });

  it('self-signed leaf → DEPTH_ZERO_SELF_SIGNED_CERT, trusted when it is an anchor', () => {
    expectCode(run({ chain: [x.selfSigned!] }), 'DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(run({ chain: [x.selfSigned!], ca: [x.selfSigned!], host: 'localhost' }).authorized).toBe(true);
  });

  it('out-of-order chain with an extra certificate', () => {
    const { leaf, intermediate, root } = chains.ec;
    const r = run({ chain: [leaf, x.otherRoot!, chains.rsa.leaf, root, intermediate], host: 'localhost' });
    expect(r.error).toBeUndefined();
    expect(r.path.map((c) => c.subject.object.CN)).toEqual(['localhost', 'Intermediate ec', 'Root ec']);
  });

  it('EKU: clientAuth-only leaf as a server → INVALID_PURPOSE, fine as a client', () => {
    expectCode(run({ chain: [x.clientOnly!, chains.ec.intermediate] }), 'INVALID_PURPOSE');
    expect(run({ chain: [x.clientOnly!, chains.ec.intermediate], role: 'client' }).authorized).toBe(true);
    expectCode(run({ chain: [x.leafUnderClientEku!, x.intClientEku!] }), 'INVALID_PURPOSE');
    expectCode(run({ chain: [x.kuCertSignOnly!, chains.ec.intermediate] }), 'INVALID_PURPOSE');
    // OpenSSL does not take anyExtendedKeyUsage for serverAuth.
    expectCode(run({ chain: [x.anyEku!, chains.ec.intermediate] }), 'INVALID_PURPOSE');
    expect(run({ chain: [x.noExtensions!, chains.ec.intermediate], host: 'localhost' }).authorized).toBe(true);
  });

  it('depth limit → CERT_CHAIN_TOO_LONG', () => {
    const chain = [chains.ec.leaf, chains.ec.intermediate];
    expectCode(run({ chain, options: { maxDepth: 0 } }), 'CERT_CHAIN_TOO_LONG');
    expect(run({ chain, options: { maxDepth: 1 } }).authorized).toBe(true);
  });

  it('tries alternative paths (cross-signed intermediate)', () => {
    const r = run({ chain: [x.leafCross!, x.crossA!, x.crossB!], host: 'localhost' });
    expect(r.error).toBeUndefined();
    expect(r.path[1]!.raw).toEqual(x.crossB!.der);
    expectCode(run({ chain: [x.leafCross!, x.crossA!] }), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });

  it('RSA-PSS, P-384/SHA-384 and mixed-key signatures', () => {
    const pss = parseCertificate(x.pssLeaf!.der);
    expect(pss.signatureAlgorithm).toEqual({ type: 'rsa-pss', hash: 'sha256', saltLength: 32 });
    expect(run({ chain: [x.pssLeaf!, chains.rsa.intermediate], ca: [chains.rsa.root] }).error).toBeUndefined();
    expect(run({ chain: [x.p384leaf!], ca: [x.p384root!] }).error).toBeUndefined();
    expect(parseCertificate(x.ecUnderRsa!.der).signatureAlgorithm).toEqual({ type: 'rsa-pkcs1', hash: 'sha512' });
    expect(run({ chain: [x.ecUnderRsa!, chains.rsa.intermediate], ca: [chains.rsa.root] }).error).toBeUndefined();
  });

  it('unparsable leaf throws bad_certificate; unsupported key throws unsupported_certificate', () => {
    const v = new DefaultVerifier({ ca: [chains.ec.root.der] });
    const cx = { provider, peerRole: 'server' as const, serverName: undefined };
    expect(() => v.verify([chains.ec.leaf.der.subarray(0, 50)], cx)).toThrow(
      expect.objectContaining({ code: 'ERR_X509_PARSE', alert: 42 }),
    );
    expect(() => v.verify([secp256k1Leaf(), chains.ec.intermediate.der], cx)).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_UNSUPPORTED_CERTIFICATE', alert: 43 }),
    );
    expect(() => v.verify([], cx)).toThrow(TlsError);
  });

  it('checkServerIdentity option gets node-style certificates', () => {
    const seen: string[] = [];
    const r = run({
      chain: [chains.ec.leaf, chains.ec.intermediate],
      host: 'localhost',
      options: {
        checkServerIdentity: (host, cert) => {
          seen.push(host, cert.subjectaltname ?? '', cert.issuerCertificate!.subject.CN as string);
          expect(cert.issuerCertificate!.issuerCertificate!.issuerCertificate).toBe(cert.issuerCertificate!.issuerCertificate);
          return new Error('nope');
        },
      },
    });
    expect(seen[0]).toBe('localhost');
    expect(seen[2]).toBe('Intermediate ec');
    expect(r.error!.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.error!.message).toContain('nope');
  });

  it('bounded work on a hostile list of look-alike CA certificates', () => {
    const first = f.make('loop0', { alg: 'ec', subject: 'Loop CA', ext: caExt() });
    const loop = [first, ...Array.from({ length: 15 }, (_, i) => f.make(`loop${i + 1}`, { alg: 'ec', subject: 'Loop CA', issuer: first, keyFrom: first, ext: caExt() }))];
    const leaf = f.make('loopLeaf', { alg: 'ec', subject: 'localhost', issuer: first, ext: leafExt(['DNS:localhost']) });
    let verifies = 0;
    const counting: CryptoProvider = { ...provider, nowMs: () => provider.nowMs(), verify: (...a) => (verifies++, provider.verify(...a)) };
    const t0 = performance.now();
    const r = new DefaultVerifier({ ca: [chains.ec.root.der] }).verify([leaf.der, ...loop.map((c) => c.der)], {
      provider: counting,
      peerRole: 'server',
      serverName: 'localhost',
    });
    expect(r.authorized).toBe(false);
    expect(verifies).toBeLessThan(400);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('LeafKeyVerifier hands back the key, unauthorized', () => {
    const r = new LeafKeyVerifier().verify([chains.ed25519.leaf.der], { provider, peerRole: 'server', serverName: 'x' });
    expect(r.authorized).toBe(false);
    expect(r.error!.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(r.leafPublicKey.type).toBe('ed25519');
  });
});

describe('caFromOption', () => {
  it('accepts PEM strings, PEM/DER bytes and arrays', () => {
    const { root, intermediate } = chains.ec;
    expect(caFromOption(root.certPem + intermediate.certPem)).toEqual([root.der, intermediate.der]);
    expect(caFromOption([root.der, Buffer.from(intermediate.certPem)])).toEqual([root.der, intermediate.der]);
    expect(caFromOption(root.der)).toEqual([root.der]);
    expect(() => caFromOption('nothing here')).toThrow(TlsError);
  });
});
