/**
 * X.509 test material generated with the `openssl` binary (OpenSSL 3.0+:
 * `req -x509 -CA` signs in one call). Each certificate gets its own config
 * file, so extensions are exactly those asked for (the system openssl.cnf is
 * not used).
 *
 *   const f = new CertFactory();
 *   const root = f.make('root', { alg: 'ec', cn: 'Root', ext: CA_EXT });
 *   const leaf = f.make('leaf', { alg: 'ec', cn: 'leaf', issuer: root, ext: leafExt(['DNS:localhost']) });
 *   f.cleanup();
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyAlg = 'rsa' | 'rsa-pss' | 'ec' | 'ec384' | 'ed25519';

export interface GenCert {
  readonly name: string;
  readonly certPem: string;
  readonly der: Uint8Array;
  readonly keyPem: string;
  readonly certPath: string;
  readonly keyPath: string;
}

export interface MakeOptions {
  readonly alg: KeyAlg;
  /** Subject attributes in order, e.g. [['CN', 'leaf'], ['O', 'Org']]; or just a CN. */
  readonly subject: string | readonly (readonly [string, string])[];
  /** Signer; self-signed when absent. */
  readonly issuer?: GenCert;
  /** Lines of the extension section, e.g. 'basicConstraints = critical,CA:TRUE'. */
  readonly ext: readonly string[];
  /** Reuse this certificate's key instead of generating one (saves RSA key generation). */
  readonly keyFrom?: GenCert;
  readonly days?: number;
  /** Digest for the signature (`-sha384` etc.); OpenSSL's default when absent. */
  readonly digest?: 'sha256' | 'sha384' | 'sha512';
  /** Extra `-sigopt` values (e.g. RSA-PSS for the signer). */
  readonly sigopt?: readonly string[];
  /** Explicit validity (`YYYYMMDDHHMMSSZ`), e.g. for expired certificates; uses `openssl ca`. */
  readonly validity?: { readonly start: string; readonly end: string };
}

/** A GeneralizedTime string `days` from now (negative: in the past). */
export function asn1Time(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

export const CA_EXT: readonly string[] = [
  'basicConstraints = critical,CA:TRUE',
  'keyUsage = critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid:always',
];

export function caExt(extra: readonly string[] = [], basic = 'critical,CA:TRUE'): string[] {
  return [`basicConstraints = ${basic}`, ...CA_EXT.slice(1), ...extra];
}

export function leafExt(san: readonly string[], extra: readonly string[] = [], eku = 'serverAuth,clientAuth'): string[] {
  return [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${eku}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    ...(san.length ? [`subjectAltName = ${san.join(',')}`] : []),
    ...extra,
  ];
}

const KEY_ARGS: Record<KeyAlg, string[]> = {
  rsa: ['-newkey', 'rsa:2048'],
  'rsa-pss': ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ec384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  ed25519: ['-newkey', 'ed25519'],
};

export function openssl(args: readonly string[], input?: string | Uint8Array): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** DER of the first PEM block of `pem` (test-side, via node Buffer). */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END/.exec(pem);
  if (!m) throw new Error('pemToDer: no PEM block');
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

export class CertFactory {
  readonly dir = mkdtempSync(join(tmpdir(), 'puretls-x509-'));
  private n = 0;

  file(name: string, content: string | Uint8Array): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  make(name: string, o: MakeOptions): GenCert {
    const id = `${name.replace(/[^A-Za-z0-9]/g, '_')}-${this.n++}`;
    const subject: readonly (readonly [string, string])[] = typeof o.subject === 'string' ? [['CN', o.subject]] : o.subject;
    const cnf = [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      'utf8 = yes',
      'string_mask = utf8only',
      '[dn]',
      // Repeated types need a distinct prefix: "0.OU", "1.OU".
      ...subject.map(([k, v], i) => `${i}.${k} = ${v}`),
      '[ext]',
      ...o.ext,
      '',
    ].join('\n');
    const cnfPath = this.file(`${id}.cnf`, cnf);
    const certPath = join(this.dir, `${id}.crt`);
    const keyPath = o.keyFrom?.keyPath ?? join(this.dir, `${id}.key`);
    if (o.validity) {
      this.signWithCa(id, o, cnfPath, certPath, keyPath);
      const certPem = readFileSync(certPath, 'utf8');
      return { name, certPem, der: pemToDer(certPem), keyPem: readFileSync(keyPath, 'utf8'), certPath, keyPath };
    }
    const args = ['req', '-x509', '-new', '-config', cnfPath, '-extensions', 'ext', '-out', certPath];
    args.push('-days', String(o.days ?? 365));
    if (o.keyFrom) args.push('-key', keyPath);
    else args.push(...KEY_ARGS[o.alg], '-nodes', '-keyout', keyPath);
    if (o.issuer) args.push('-CA', o.issuer.certPath, '-CAkey', o.issuer.keyPath);
    if (o.digest) args.push(`-${o.digest}`);
    for (const s of o.sigopt ?? []) args.push('-sigopt', s);
    openssl(args);
    const certPem = readFileSync(certPath, 'utf8');
    return { name, certPem, der: pemToDer(certPem), keyPem: readFileSync(keyPath, 'utf8'), certPath, keyPath };
  }

  /** CSR, then `openssl ca` with -startdate/-enddate (OpenSSL 3.0's req/x509 lack explicit dates). */
  private signWithCa(id: string, o: MakeOptions, cnfPath: string, certPath: string, keyPath: string): void {
    const csr = join(this.dir, `${id}.csr`);
    const keyArgs = o.keyFrom ? ['-key', keyPath] : [...KEY_ARGS[o.alg], '-nodes', '-keyout', keyPath];
    openssl(['req', '-new', '-config', cnfPath, ...keyArgs, '-out', csr]);
    const db = this.file(`${id}.index`, '');
    const caCnf = this.file(
      `${id}.ca.cnf`,
      [
        '[ca]',
        'default_ca = d',
        '[d]',
        `database = ${db}`,
        `new_certs_dir = ${this.dir}`,
        `serial = ${this.file(`${id}.serial`, `${(0x1000 + this.n).toString(16)}\n`)}`,
        `default_md = ${o.digest ?? 'default'}`,
        'policy = p',
        'unique_subject = no',
        'preserve = yes',
        'email_in_dn = no',
        '[p]',
        ...(typeof o.subject === 'string' ? ['CN = supplied'] : o.subject.map(([k]) => `${k} = optional`)),
        '[ext]',
        ...o.ext,
        '',
      ].join('\n'),
    );
    const issuer = o.issuer ? ['-cert', o.issuer.certPath, '-keyfile', o.issuer.keyPath] : ['-selfsign', '-keyfile', keyPath];
    openssl([
      'ca', '-batch', '-notext', '-config', caCnf, '-extensions', 'ext', ...issuer, '-in', csr, '-out', certPath,
      '-startdate', o.validity!.start, '-enddate', o.validity!.end,
    ]);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** root → intermediate → leaf for one key algorithm. */
export interface TestChain {
  readonly root: GenCert;
  readonly intermediate: GenCert;
  readonly leaf: GenCert;
}

export function makeChain(f: CertFactory, alg: KeyAlg, san: readonly string[] = ['DNS:localhost', 'IP:127.0.0.1']): TestChain {
  const root = f.make(`${alg}-root`, { alg, subject: [['C', 'US'], ['O', 'puretls'], ['CN', `Root ${alg}`]], ext: CA_EXT, days: 3650 });
  const intermediate = f.make(`${alg}-int`, {
    alg,
    subject: [['O', 'puretls'], ['CN', `Intermediate ${alg}`]],
    issuer: root,
    ext: caExt(),
    days: 1825,
  });
  const leaf = f.make(`${alg}-leaf`, { alg, subject: 'localhost', issuer: intermediate, ext: leafExt(san), days: 90 });
  return { root, intermediate, leaf };
}

export const SCENARIO_SAN = ['DNS:localhost', 'DNS:*.example.com', 'IP:127.0.0.1', 'IP:::1'];

/** Chains for three key types plus one certificate per failure scenario (EC P-256 unless noted). */
export interface Scenarios {
  readonly chains: Readonly<Record<'rsa' | 'ec' | 'ed25519', TestChain>>;
  readonly x: Readonly<Record<string, GenCert>>;
}

export function makeScenarios(f: CertFactory): Scenarios {
  const chains = {
    rsa: makeChain(f, 'rsa', SCENARIO_SAN),
    ec: makeChain(f, 'ec', SCENARIO_SAN),
    ed25519: makeChain(f, 'ed25519', SCENARIO_SAN),
  };
  const { root, intermediate: int } = chains.ec;
  const x: Record<string, GenCert> = {};
  const mk = (name: string, issuer: GenCert | undefined, ext: readonly string[], extra: Partial<MakeOptions> = {}): GenCert =>
    (x[name] = f.make(name, { alg: 'ec', subject: name, ...(issuer ? { issuer } : {}), ext, ...extra }));
  const localhost = ['DNS:localhost'];
  mk('otherRoot', undefined, CA_EXT, { subject: 'Other Root' });
  mk('intNoCA', root, caExt([], 'critical,CA:FALSE'));
  mk('leafUnderNoCA', x.intNoCA, leafExt(localhost));
  mk('intNoBC', root, CA_EXT.slice(1));
  mk('leafUnderNoBC', x.intNoBC, leafExt(localhost));
  mk('intPath0', root, caExt([], 'critical,CA:TRUE,pathlen:0'));
  mk('intBelowPath0', x.intPath0, caExt());
  mk('leafDeep', x.intBelowPath0, leafExt(localhost));
  mk('leafPath0', x.intPath0, leafExt(localhost));
  mk('intNC', root, caExt([
    'nameConstraints = critical,permitted;DNS:allowed.test,permitted;IP:10.0.0.0/255.0.0.0,excluded;DNS:bad.allowed.test',
  ]));
  mk('leafNCok', x.intNC, leafExt(['DNS:www.allowed.test', 'IP:10.1.2.3']));
  mk('leafNCbad', x.intNC, leafExt(['DNS:evil.test']));
  mk('leafNCexcluded', x.intNC, leafExt(['DNS:x.bad.allowed.test']));
  mk('leafNCip', x.intNC, leafExt(['DNS:www.allowed.test', 'IP:192.168.1.1']));
  mk('leafNCcn', x.intNC, leafExt([]), { subject: 'www.evil.test' });
  mk('leafCritical', int, leafExt(localhost, ['1.2.3.4.5 = critical,DER:05:00']));
  mk('leafNonCritical', int, leafExt(localhost, ['1.2.3.4.5 = DER:05:00']));
  mk('selfSigned', undefined, leafExt(localhost), { subject: 'localhost' });
  mk('clientOnly', int, leafExt(localhost, [], 'clientAuth'));
  mk('anyEku', int, leafExt(localhost, [], 'anyExtendedKeyUsage'));
  mk('kuCertSignOnly', int, ['basicConstraints = CA:FALSE', 'keyUsage = keyCertSign', 'subjectAltName = DNS:localhost']);
  mk('intClientEku', root, caExt(['extendedKeyUsage = clientAuth']));
  mk('leafUnderClientEku', x.intClientEku, leafExt(localhost));
  mk('cnOnly', int, ['basicConstraints = CA:FALSE'], { subject: 'cn-only.example.com' });
  mk('noExtensions', int, [], { subject: 'localhost' });
  // Validity windows.
  const past = { start: asn1Time(-30), end: asn1Time(-1) };
  mk('expiredLeaf', int, leafExt(localhost), { validity: past });
  mk('futureLeaf', int, leafExt(localhost), { validity: { start: asn1Time(1), end: asn1Time(30) } });
  mk('expiredInt', root, caExt(), { validity: past });
  mk('leafUnderExpiredInt', x.expiredInt, leafExt(localhost));
  mk('expiredSelfSigned', undefined, leafExt(localhost), { subject: 'localhost', validity: past });
  // Cross-signing: one intermediate key under an untrusted and under the trusted root.
  mk('untrustedRoot', undefined, CA_EXT, { subject: 'Untrusted Root' });
  mk('crossA', x.untrustedRoot, caExt(), { subject: 'Cross Intermediate' });
  mk('crossB', root, caExt(), { subject: 'Cross Intermediate', keyFrom: x.crossA });
  mk('leafCross', x.crossA, leafExt(localhost));
  // Other signature algorithms.
  const r = chains.rsa;
  mk('pssLeaf', r.intermediate, leafExt(localhost), {
    alg: 'rsa', keyFrom: r.leaf, sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:32'],
  });
  mk('p384root', undefined, CA_EXT, { alg: 'ec384', digest: 'sha384' });
  mk('p384leaf', x.p384root, leafExt(localhost), { alg: 'ec384', digest: 'sha384' });
  mk('ecUnderRsa', r.intermediate, leafExt(localhost), { digest: 'sha512' });
  mk('aia', int, leafExt(localhost, [
    'authorityInfoAccess = OCSP;URI:http://ocsp.example.com/,caIssuers;URI:http://ca.example.com/ca.crt',
  ]), { subject: [['C', 'DE'], ['ST', 'Berlin'], ['L', 'Berlin'], ['O', 'Org, Inc.'], ['OU', 'one'], ['OU', 'two'], ['CN', 'localhost']] });
  return { chains, x };
}
