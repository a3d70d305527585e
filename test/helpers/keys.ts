/**
 * Test certificates and keys, generated with the `openssl` binary.
 *
 *   const c = await makeCert({ keyType: 'p256' });             // self-signed leaf, SAN localhost + 127.0.0.1
 *   const ca = await makeCert({ keyType: 'rsa2048', isCA: true, cn: 'my CA' });
 *   const s = await makeCert({ keyType: 'ed25519', ca, san: ['DNS:example.test'] });
 *   const { root, intermediate, leaf, chainPath } = await makeChain('p384');
 *
 * Keys are PKCS#8 PEM (`openssl genpkey`), certificates are X.509 v3 PEM with
 * explicit extensions (the system openssl.cnf is not used). Results are cached
 * per process by their arguments (openssl calls cost time), so calling
 * `makeCert` twice with the same options returns the same certificate; pass a
 * distinct `tag` to force a fresh one. The files live in one temp directory per
 * process (see tmp.ts); if that directory was cleaned up, a cache hit rewrites
 * the files.
 */
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, trackTempDir } from './tmp.js';

export type KeyType = 'rsa2048' | 'p256' | 'p384' | 'ed25519';

export interface CertOptions {
  keyType: KeyType;
  /** Subject CN. Default: 'localhost' for leaves, 'puretls test CA (<keyType>)' for CAs. */
  cn?: string;
  /**
   * subjectAltName entries such as 'DNS:localhost' or 'IP:127.0.0.1'.
   * Default for non-CA certs: ['DNS:localhost', 'IP:127.0.0.1']; pass [] for none.
   * Default for CAs: none.
   */
  san?: string[];
  /** Issuer. Default: self-signed. Any object with certPem/keyPem works (a CertInfo is best: its files are reused). */
  ca?: { certPem: string; keyPem: string; certPath?: string; keyPath?: string };
  /** basicConstraints CA:TRUE + keyUsage keyCertSign/cRLSign. Default false (leaf: CA:FALSE, digitalSignature, EKU serverAuth+clientAuth). */
  isCA?: boolean;
  /** Validity in days from now. Default 30. */
  days?: number;
  /** Extra `-addext` values, e.g. 'nsComment=hello'. Must not repeat an extension set above. */
  addext?: string[];
  /** Anything; only used to make the cache key distinct. */
  tag?: string;
}

export interface CertInfo {
  keyType: KeyType;
  certPem: string;
  /** PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). */
  keyPem: string;
  certPath: string;
  keyPath: string;
  certDer: Buffer;
}

export interface Chain {
  root: CertInfo;
  intermediate: CertInfo;
  /** SAN DNS:localhost, IP:127.0.0.1; issued by the intermediate. */
  leaf: CertInfo;
  /** leaf + intermediate, PEM (what a server sends; Node `cert:` option). */
  chainPem: string;
  chainPath: string;
  /** The intermediate only (openssl s_server `-cert_chain`). */
  intermediatesPath: string;
  /** The root only (trust anchor: `-CAfile`, Node `ca:`). */
  rootPath: string;
}

const OPENSSL_TIMEOUT_MS = 30_000;

const GENPKEY_ARGS: Record<KeyType, string[]> = {
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-pkeyopt', 'ec_param_enc:named_curve'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** Digest for a self-signed certificate's signature, by key type (EdDSA takes none). */
const SIGN_DIGEST: Record<KeyType, string | null> = {
  rsa2048: 'sha256',
  p256: 'sha256',
  p384: 'sha384',
  ed25519: null,
};

/** Run openssl with a timeout; reject with its stderr on failure. */
export function openssl(args: string[], timeoutMs = OPENSSL_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'openssl',
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, OPENSSL_CONF: '/dev/null' } },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

let keysDir: string | null = null;
let counter = 0;

function dir(): string {
  if (keysDir === null) keysDir = makeTempDir('puretls-keys-');
  else if (!existsSync(keysDir)) {
    mkdirSync(keysDir, { recursive: true });
    trackTempDir(keysDir);
  }
  return keysDir;
}

/** PEM (first block) → DER. */
export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (!m) throw new Error('no PEM block found');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

/** Split a PEM bundle into its blocks (each with BEGIN/END lines and a trailing newline). */
export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----\n?/g)?.map((b) => (b.endsWith('\n') ? b : `${b}\n`)) ?? [];
}

/** Digest for a certificate signed with this private key (EdDSA takes none). */
function digestForKey(keyPem: string): string | null {
  const k = createPrivateKey(keyPem);
  switch (k.asymmetricKeyType) {
    case 'ed25519':
    case 'ed448':
      return null;
    case 'ec':
      return k.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : k.asymmetricKeyDetails?.namedCurve === 'secp521r1' ? 'sha512' : 'sha256';
    default:
      return 'sha256';
  }
}

function escapeSubjValue(v: string): string {
  return v.replace(/([\\/,+=<>#;"])/g, '\\$1');
}

async function ensureFile(path: string | undefined, content: string, fallbackName: string): Promise<string> {
  if (path && existsSync(path)) return path;
  const p = path ?? join(dir(), fallbackName);
  dir();
  await writeFile(p, content);
  return p;
}

async function generate(opts: CertOptions): Promise<CertInfo> {
  const isCA = opts.isCA ?? false;
  const days = opts.days ?? 30;
  const cn = opts.cn ?? (isCA ? `puretls test CA (${opts.keyType})` : 'localhost');
  const san = opts.san ?? (isCA ? [] : ['DNS:localhost', 'IP:127.0.0.1']);
  const id = `c${++counter}-${opts.keyType}${isCA ? '-ca' : ''}`;
  const d = dir();
  const keyPath = join(d, `${id}.key.pem`);
  const certPath = join(d, `${id}.cert.pem`);
  const cnfPath = join(d, `${id}.cnf`);

  await openssl(['genpkey', ...GENPKEY_ARGS[opts.keyType], '-out', keyPath]);

  const ext: string[] = [];
  if (isCA) {
    ext.push('basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign, digitalSignature');
  } else {
    const ku = opts.keyType === 'rsa2048' ? 'digitalSignature, keyEncipherment' : 'digitalSignature';
    ext.push('basicConstraints = critical, CA:FALSE', `keyUsage = critical, ${ku}`, 'extendedKeyUsage = serverAuth, clientAuth');
  }
  ext.push('subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid');
  if (san.length > 0) ext.push(`subjectAltName = ${san.join(', ')}`);
  const cnf = ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', '[ext]', ...ext, ''].join('\n');
  writeFileSync(cnfPath, cnf);

  const args = ['req', '-new', '-x509', '-config', cnfPath, '-extensions', 'ext', '-key', keyPath, '-subj', `/CN=${escapeSubjValue(cn)}`, '-days', String(days), '-out', certPath];
  let digest = SIGN_DIGEST[opts.keyType];
  if (opts.ca) {
    const caCertPath = await ensureFile(opts.ca.certPath, opts.ca.certPem, `${id}.issuer.cert.pem`);
    const caKeyPath = await ensureFile(opts.ca.keyPath, opts.ca.keyPem, `${id}.issuer.key.pem`);
    args.push('-CA', caCertPath, '-CAkey', caKeyPath);
    digest = digestForKey(opts.ca.keyPem);
  }
  if (digest) args.push(`-${digest}`);
  for (const a of opts.addext ?? []) args.push('-addext', a);
  await openssl(args);

  const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { keyType: opts.keyType, certPem, keyPem, certPath, keyPath, certDer: pemToDer(certPem) };
}

const cache = new Map<string, Promise<CertInfo>>();

function cacheKey(opts: CertOptions): string {
  const issuer = opts.ca ? createHash('sha256').update(opts.ca.certPem).digest('hex') : null;
  return JSON.stringify([opts.keyType, opts.cn ?? null, opts.san ?? null, issuer, opts.isCA ?? false, opts.days ?? 30, opts.addext ?? [], opts.tag ?? null]);
}

/** Rewrite a cached certificate's files if the temp dir was cleaned up in between. */
async function restoreFiles(info: CertInfo): Promise<CertInfo> {
  if (!existsSync(info.certPath) || !existsSync(info.keyPath)) {
    dir();
    await Promise.all([writeFile(info.certPath, info.certPem), writeFile(info.keyPath, info.keyPem)]);
  }
  return info;
}

/** Generate (or fetch from the per-process cache) a key pair and certificate. */
export function makeCert(opts: CertOptions): Promise<CertInfo> {
  const key = cacheKey(opts);
  let p = cache.get(key);
  if (!p) {
    p = generate(opts);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    return p;
  }
  return p.then(restoreFiles);
}

const chainCache = new Map<string, Promise<Chain>>();

/**
 * root CA → intermediate CA → leaf (CN localhost, SAN DNS:localhost, IP:127.0.0.1).
 * `caKeyType` (default: same as the leaf) is used for the root and the intermediate.
 */
export function makeChain(keyType: KeyType, caKeyType: KeyType = keyType): Promise<Chain> {
  const key = `${keyType}/${caKeyType}`;
  let p = chainCache.get(key);
  if (!p) {
    p = (async () => {
      const root = await makeCert({ keyType: caKeyType, isCA: true, cn: `puretls test root (${caKeyType})`, days: 60 });
      const intermediate = await makeCert({ keyType: caKeyType, isCA: true, cn: `puretls test intermediate (${caKeyType})`, ca: root, days: 45 });
      const leaf = await makeCert({ keyType, cn: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'], ca: intermediate, tag: 'chain-leaf' });
      const chainPem = leaf.certPem + intermediate.certPem;
      const d = dir();
      const chainPath = join(d, `chain-${keyType}-${caKeyType}.pem`);
      const intermediatesPath = join(d, `intermediates-${keyType}-${caKeyType}.pem`);
      await Promise.all([writeFile(chainPath, chainPem), writeFile(intermediatesPath, intermediate.certPem)]);
      return { root, intermediate, leaf, chainPem, chainPath, intermediatesPath, rootPath: root.certPath };
    })();
    chainCache.set(key, p);
    p.catch(() => chainCache.delete(key));
    return p;
  }
  return p.then(async (c) => {
    await Promise.all([restoreFiles(c.root), restoreFiles(c.intermediate), restoreFiles(c.leaf)]);
    if (!existsSync(c.chainPath)) await writeFile(c.chainPath, c.chainPem);
    if (!existsSync(c.intermediatesPath)) await writeFile(c.intermediatesPath, c.intermediate.certPem);
    return c;
  });
}
