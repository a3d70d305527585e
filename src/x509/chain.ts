/**
 * Certification path building and validation (RFC 5280 §6, OpenSSL's order
 * of checks and node's error codes).
 *
 * Paths run from the leaf through the peer's other certificates (any order,
 * extras ignored) to a trust anchor; every candidate path is tried until one
 * validates. A certificate byte-identical to an anchor ends the path (anchors
 * are trusted as they are, whether self-signed or not).
 */
import { bytesEqual } from '../common/bytes.js';
import { AlertDescription, TlsError, type CertErrorCode } from '../common/errors.js';
import type { CryptoProvider, PublicKey } from '../crypto/provider.js';
import type { GeneralName } from './cert-extensions.js';
import type { Certificate } from './certificate.js';
import { nameValues } from './name.js';
import { OID } from './oids.js';

export type { CertErrorCode };

/** Each verification error: the alert it sends (OpenSSL's ssl_verify_alarm_type) and its message. */
export const certErrors: Readonly<Record<CertErrorCode, { alert: AlertDescription; message: string }>> = {
  CERT_HAS_EXPIRED: { alert: AlertDescription.certificate_expired, message: 'certificate has expired' },
  CERT_NOT_YET_VALID: { alert: AlertDescription.bad_certificate, message: 'certificate is not yet valid' },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { alert: AlertDescription.unknown_ca, message: 'unable to verify the first certificate' },
  UNABLE_TO_GET_ISSUER_CERT: { alert: AlertDescription.unknown_ca, message: 'unable to get issuer certificate' },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { alert: AlertDescription.unknown_ca, message: 'unable to get local issuer certificate' },
  SELF_SIGNED_CERT_IN_CHAIN: { alert: AlertDescription.unknown_ca, message: 'self-signed certificate in certificate chain' },
  DEPTH_ZERO_SELF_SIGNED_CERT: { alert: AlertDescription.unknown_ca, message: 'self-signed certificate' },
  CERT_SIGNATURE_FAILURE: { alert: AlertDescription.bad_certificate, message: 'certificate signature failure' },
  INVALID_CA: { alert: AlertDescription.unknown_ca, message: 'invalid CA certificate' },
  PATH_LENGTH_EXCEEDED: { alert: AlertDescription.unknown_ca, message: 'path length constraint exceeded' },
  INVALID_PURPOSE: { alert: AlertDescription.unsupported_certificate, message: 'unsuitable certificate purpose' },
  CERT_UNTRUSTED: { alert: AlertDescription.bad_certificate, message: 'certificate not trusted' },
  CERT_REJECTED: { alert: AlertDescription.bad_certificate, message: 'certificate rejected' },
  CERT_CHAIN_TOO_LONG: { alert: AlertDescription.unknown_ca, message: 'certificate chain too long' },
  PERMITTED_SUBTREE_VIOLATION: { alert: AlertDescription.certificate_unknown, message: 'permitted subtree violation' },
  EXCLUDED_SUBTREE_VIOLATION: { alert: AlertDescription.certificate_unknown, message: 'excluded subtree violation' },
  UNHANDLED_CRITICAL_EXTENSION: { alert: AlertDescription.certificate_unknown, message: 'unhandled critical extension' },
};

/** A verification error; `cert` (with its depth) names the certificate at fault. */
export function certError(code: CertErrorCode, depth?: number, cert?: Certificate, extra?: string): TlsError {
  const { alert, message } = certErrors[code];
  const where = depth === undefined ? '' : ` (depth ${depth}${cert ? `: ${cert.subject.text}` : ''})`;
  return new TlsError(code, alert, `${message}${extra ? `: ${extra}` : ''}${where}`);
}

export interface ChainOptions {
  readonly provider: CryptoProvider;
  readonly anchors: readonly Certificate[];
  /** Whose chain this is: selects the extended key usage required (serverAuth / clientAuth). */
  readonly peerRole: 'server' | 'client';
  /** Maximum number of intermediates between leaf and anchor (OpenSSL's verify depth). Default 10. */
  readonly maxDepth?: number;
}

export interface ChainResult {
  /** Leaf first. The validated path, or on failure the path the error was found on. */
  readonly path: readonly Certificate[];
  readonly error?: TlsError;
}

/** True when `child`'s signature verifies with `issuerKey`. SHA-1 is refused unless allowed. */
export function verifySignedBy(
  child: Certificate,
  issuerKey: PublicKey | undefined,
  provider: CryptoProvider,
  allowSha1 = false,
): boolean {
  const alg = child.signatureAlgorithm;
  if (!alg || !issuerKey) return false;
  if (alg.type !== 'ed25519' && alg.hash === 'sha1' && !allowSha1) return false;
  const keyType = alg.type === 'ecdsa' ? 'ec' : alg.type === 'ed25519' ? 'ed25519' : 'rsa';
  if (issuerKey.type !== keyType) return false;
  try {
    return provider.verify(issuerKey, alg, child.tbs, child.signature);
  } catch {
    return false;
  }
}

function akiCompatible(child: Certificate, issuer: Certificate): boolean {
  const aki = child.extensions.authorityKeyId;
  const ski = issuer.extensions.subjectKeyId;
  return !aki || !ski || bytesEqual(aki, ski);
}

// ---------------------------------------------------------------- name constraints

function dnsWithin(name: string, constraint: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const c = constraint.toLowerCase().replace(/\.$/, '');
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c);
  return n === c || n.endsWith('.' + c);
}

function ipWithin(ip: Uint8Array, c: Uint8Array): boolean {
  if (c.length !== ip.length * 2) return false;
  for (let i = 0; i < ip.length; i++) {
    const mask = c[ip.length + i]!;
    if ((ip[i]! & mask) !== (c[i]! & mask)) return false;
  }
  return true;
}

function nameWithin(name: GeneralName, base: GeneralName): boolean | undefined {
  if (name.type === 'dns' && base.type === 'dns') return dnsWithin(name.value, base.value);
  if (name.type === 'ip' && base.type === 'ip') return ipWithin(name.value, base.value);
  return undefined; // different types: not applicable
}

/** A CN that OpenSSL would treat as a host name for name constraints. */
function cnLooksLikeHost(cn: string): boolean {
  return cn.includes('.') && /^[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+\.?$/.test(cn);
}

function constrainedNames(c: Certificate, isLeaf: boolean): GeneralName[] {
  const san = (c.extensions.subjectAltName ?? []).filter((g) => g.type === 'dns' || g.type === 'ip');
  if (isLeaf && !san.some((g) => g.type === 'dns')) {
    for (const cn of nameValues(c.subject, 'CN')) if (cnLooksLikeHost(cn)) san.push({ type: 'dns', value: cn });
  }
  return san;
}

/** OpenSSL's check_name_constraints: lower certificates first are checked last. */
function nameConstraintErrors(path: readonly Certificate[], errors: TlsError[]): void {
  for (let i = path.length - 1; i >= 0; i--) {
    if (i !== 0 && path[i]!.selfIssued) continue;
    for (let j = path.length - 1; j > i; j--) {
      const nc = path[j]!.extensions.nameConstraints;
      if (!nc) continue;
      for (const name of constrainedNames(path[i]!, i === 0)) {
        const applicable = nc.permitted.filter((b) => nameWithin(name, b) !== undefined);
        if (applicable.length > 0 && !applicable.some((b) => nameWithin(name, b))) {
          errors.push(certError('PERMITTED_SUBTREE_VIOLATION', i, path[i]));
          break;
        }
        if (nc.excluded.some((b) => nameWithin(name, b) === true)) {
          errors.push(certError('EXCLUDED_SUBTREE_VIOLATION', i, path[i]));
          break;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- path validation

/** Self-issued with a consistent AKI: OpenSSL's idea of self-signed (the signature is not checked). */
function selfSigned(c: Certificate): boolean {
  return c.selfIssued && akiCompatible(c, c);
}

/** X509_check_ca: 0 not a CA, 1 a CA by basicConstraints, 3 a v1 root, 4 keyUsage keyCertSign only. */
function checkCa(c: Certificate): number {
  const { basicConstraints: bc, keyUsage: ku } = c.extensions;
  if (ku && !ku.keyCertSign) return 0;
  if (bc) return bc.cA ? 1 : 0;
  if (c.version === 1 && selfSigned(c)) return 3;
  return ku ? 4 : 0;
}

const SGC = ['2.16.840.1.113730.4.1', '1.3.6.1.4.1.311.10.3.3'];

/** X509_check_purpose for SSL server / client (anyExtendedKeyUsage does not count, as in OpenSSL). */
function purposeOk(c: Certificate, role: 'server' | 'client', asCa: boolean): boolean {
  const { extKeyUsage: eku, keyUsage: ku } = c.extensions;
  const want = role === 'server' ? OID.serverAuth : OID.clientAuth;
  if (eku && !eku.includes(want) && !(role === 'server' && eku.some((o) => SGC.includes(o)))) return false;
  if (asCa) return checkCa(c) !== 0;
  return !ku || ku.digitalSignature || ku.keyAgreement || (role === 'server' && ku.keyEncipherment);
}

/** check_chain_extensions: critical extensions, CA flags, purpose, path length. */
function extensionErrors(path: readonly Certificate[], role: 'server' | 'client', errors: TlsError[]): void {
  const num = path.length;
  let plen = 0; // non-self-issued intermediates below the current certificate
  for (let i = 0; i < num; i++) {
    const c = path[i]!;
    if (c.extensions.unhandledCritical.length > 0) {
      errors.push(certError('UNHANDLED_CRITICAL_EXTENSION', i, c, c.extensions.unhandledCritical.join(', ')));
    }
    if (i > 0) {
      const ca = checkCa(c);
      if (ca === 0 || (i + 1 < num && ca !== 1)) errors.push(certError('INVALID_CA', i, c));
    }
    if (!purposeOk(c, role, i > 0)) errors.push(certError('INVALID_PURPOSE', i, c));
    const pathLen = c.extensions.basicConstraints?.pathLen;
    if (i > 1 && pathLen !== undefined && plen > pathLen) errors.push(certError('PATH_LENGTH_EXCEEDED', i, c));
    if (i > 0 && !c.selfIssued) plen++;
  }
}

function timeErrors(c: Certificate, depth: number, now: number, errors: TlsError[]): void {
  if (now < c.notBefore) errors.push(certError('CERT_NOT_YET_VALID', depth, c));
  if (now > c.notAfter) errors.push(certError('CERT_HAS_EXPIRED', depth, c));
}

/**
 * Signature checks per verifyChain call at most, cache hits not counted (Go's
 * maxChainSignatureChecks): a real path needs a handful, while a hostile list
 * of look-alike issuers could otherwise make path building verify a
 * signature for every pairing it tries.
 */
export const MAX_SIGNATURE_CHECKS = 100;

/** Thrown inside path building when the budget is spent; verifyChain turns it into CERT_CHAIN_TOO_LONG. */
class BudgetExhausted extends Error {}

/** Signature checks by (child, issuer), so path alternatives never verify one signature twice; `checks` counts misses. */
interface SignatureCache {
  readonly results: Map<Certificate, Map<Certificate, boolean>>;
  checks: number;
}

function signedBy(child: Certificate, issuer: Certificate, provider: CryptoProvider, cache: SignatureCache): boolean {
  let byIssuer = cache.results.get(child);
  if (!byIssuer) cache.results.set(child, (byIssuer = new Map()));
  let ok = byIssuer.get(issuer);
  if (ok === undefined) {
    if (cache.checks >= MAX_SIGNATURE_CHECKS) throw new BudgetExhausted();
    cache.checks++;
    byIssuer.set(issuer, (ok = verifySignedBy(child, issuer.publicKey, provider)));
  }
  return ok;
}

/**
 * internal_verify: signatures and validity periods from the top down. The top
 * of an incomplete path that is not self-signed gets no time check (its issuer
 * is unknown), except a lone leaf, as in OpenSSL.
 */
function signatureAndTimeErrors(
  path: readonly Certificate[],
  complete: boolean,
  provider: CryptoProvider,
  cache: SignatureCache,
  errors: TlsError[],
): void {
  const now = provider.nowMs();
  let n = path.length - 1;
  const top = path[n]!;
  if (complete || selfSigned(top)) {
    timeErrors(top, n, now, errors);
  } else if (n === 0) {
    errors.push(certError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0, top));
    timeErrors(top, 0, now, errors);
  }
  for (n--; n >= 0; n--) {
    const c = path[n]!;
    if (!signedBy(c, path[n + 1]!, provider, cache)) errors.push(certError('CERT_SIGNATURE_FAILURE', n, c));
    timeErrors(c, n, now, errors);
  }
}

/**
 * Every error on a path in the order OpenSSL's X509_verify_cert reports them
 * when the callback lets it continue (as node's does); node reports the last.
 */
function pathErrors(
  path: readonly Certificate[],
  buildError: TlsError | undefined,
  opts: ChainOptions,
  cache: SignatureCache,
): TlsError[] {
  const errors: TlsError[] = buildError ? [buildError] : [];
  extensionErrors(path, opts.peerRole, errors);
  signatureAndTimeErrors(path, !buildError, opts.provider, cache, errors);
  nameConstraintErrors(path, errors);
  return errors;
}

// ---------------------------------------------------------------- path building

type Attempt = { readonly path: Certificate[]; readonly error?: TlsError; readonly complete: boolean };

/** Paths tried at most (bounds the work a hostile list of look-alike certificates can cause). */
const MAX_ATTEMPTS = 32;

/**
 * Builds and validates a path for `leaf`. Returns the first path that
 * validates; otherwise the first complete path (one reaching an anchor), or
 * failing that the longest partial path, with the error node would report
 * for it (the last of OpenSSL's errors). When path building would need more
 * than MAX_SIGNATURE_CHECKS signature checks it stops with CERT_CHAIN_TOO_LONG
 * on the path it was checking (the search was cut short, so no other error is
 * known to be the one that matters).
 * @throws only what the provider's nowMs throws; verification failures are `error`.
 */
export function verifyChain(leaf: Certificate, intermediates: readonly Certificate[], opts: ChainOptions): ChainResult {
  const maxDepth = opts.maxDepth ?? 10;
  const anchors = opts.anchors;
  const same = (a: Certificate, b: Certificate): boolean => a.subject.key === b.subject.key && bytesEqual(a.raw, b.raw);
  const isAnchor = (c: Certificate): boolean => anchors.some((a) => same(a, c));
  const inPath = (c: Certificate, path: readonly Certificate[]): boolean => path.some((p) => same(p, c));

  function candidates(c: Certificate, path: readonly Certificate[]): { cert: Certificate; anchor: boolean }[] {
    const out: { cert: Certificate; anchor: boolean }[] = [];
    for (const a of anchors) {
      if (a.subject.key === c.issuer.key && akiCompatible(c, a) && !inPath(a, path)) out.push({ cert: a, anchor: true });
    }
    for (const x of intermediates) {
      if (x.subject.key !== c.issuer.key || !akiCompatible(c, x) || inPath(x, path) || isAnchor(x)) continue;
      if (out.some((o) => same(o.cert, x))) continue;
      out.push({ cert: x, anchor: false });
    }
    return out;
  }

  const attempts: Attempt[] = [];
  const cache: SignatureCache = { results: new Map(), checks: 0 };
  let checking: Certificate[] = [leaf];
  const finish = (path: Certificate[], complete: boolean, buildError?: TlsError): boolean => {
    checking = path;
    const errors = pathErrors(path, buildError, opts, cache);
    attempts.push({ path, complete, error: errors[errors.length - 1] });
    return errors.length === 0;
  };

  /** Depth-first over issuer candidates; true once a path validates. */
  function walk(path: Certificate[]): boolean {
    const c = path[path.length - 1]!;
    const depth = path.length - 1;
    const cands = candidates(c, path);
    if (cands.length === 0) {
      const code: CertErrorCode = selfSigned(c)
        ? depth === 0
          ? 'DEPTH_ZERO_SELF_SIGNED_CERT'
          : 'SELF_SIGNED_CERT_IN_CHAIN'
        : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
      return finish(path, false, certError(code, depth, c));
    }
    for (const { cert, anchor } of cands) {
      if (attempts.length >= MAX_ATTEMPTS) return false;
      const next = [...path, cert];
      // Intermediates in `next`: all but the leaf, and but the anchor when it is one.
      if (next.length - 1 - (anchor ? 1 : 0) > maxDepth) {
        finish(next, false, certError('CERT_CHAIN_TOO_LONG', depth + 1, cert));
      } else if (anchor ? finish(next, true) : walk(next)) {
        return true;
      }
    }
    return false;
  }

  let found: boolean;
  try {
    found = (isAnchor(leaf) && finish([leaf], true)) || walk([leaf]);
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
    const depth = checking.length - 1;
    const extra = `gave up after ${MAX_SIGNATURE_CHECKS} signature checks`;
    return { path: checking, error: certError('CERT_CHAIN_TOO_LONG', depth, checking[depth], extra) };
  }
  if (found) {
    const ok = attempts[attempts.length - 1]!;
    return { path: ok.path };
  }
  const firstComplete = attempts.find((a) => a.complete);
  if (firstComplete) return { path: firstComplete.path, ...(firstComplete.error ? { error: firstComplete.error } : {}) };
  if (attempts.length === 0) return { path: [leaf], error: certError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0, leaf) };
  let best = attempts[0]!;
  for (const a of attempts) if (a.path.length > best.path.length) best = a;
  return { path: best.path, ...(best.error ? { error: best.error } : {}) };
}
