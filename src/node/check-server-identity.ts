/**
 * node's tls.checkServerIdentity, ported from node 20's lib/tls.js: the
 * name check on getPeerCertificate()'s object (subject CN and
 * subjectaltname), with node's rules and messages.
 */
import { isIP } from 'node:net';
import type { Certificate } from '../x509/certificate.js';
import { canonicalIp, parseIp } from '../x509/hostname.js';
import { codedError } from './coded-errors.js';
import { toPeerCertificate } from './peer-certificate.js';

/** The fields of a certificate object node's tls.checkServerIdentity reads (getPeerCertificate()'s). */
export interface IdentityCertificate {
  subject?: { CN?: string | readonly string[] } | Record<string, unknown> | undefined;
  subjectaltname?: string | undefined;
}

/** node's splitEscapedAltNames: 'DNS:a, DNS:"b, c"' with JSON-quoted names. */
function splitAltNames(altNames: string): string[] {
  if (!altNames.includes('"')) return altNames.split(', ');
  const result: string[] = [];
  let token = '';
  let offset = 0;
  while (offset !== altNames.length) {
    const nextSep = altNames.indexOf(',', offset);
    const nextQuote = altNames.indexOf('"', offset);
    if (nextQuote !== -1 && (nextSep === -1 || nextQuote < nextSep)) {
      token += altNames.substring(offset, nextQuote);
      const match = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(altNames.substring(nextQuote));
      if (!match) throw codedError(new SyntaxError('Invalid subject alternative name string'), 'ERR_TLS_CERT_ALTNAME_FORMAT');
      token += JSON.parse(match[0]) as string;
      offset = nextQuote + match[0].length;
    } else if (nextSep !== -1) {
      token += altNames.substring(offset, nextSep);
      result.push(token);
      token = '';
      offset = nextSep + 2;
    } else {
      token += altNames.substring(offset);
      offset = altNames.length;
    }
  }
  result.push(token);
  return result;
}

const unfqdn = (host: string): string => host.replace(/[.]$/, '');
/** node: lower-cased labels, with the final dot dropped. */
const splitHost = (host: string): string[] => unfqdn(host).replace(/[A-Z]+/g, (c) => c.toLowerCase()).split('.');

/** node's wildcard check (lib/tls.js check): '*' within the first label of three or more. */
function hostMatches(hostParts: readonly string[], pattern: string): boolean {
  if (!pattern) return false;
  const patternParts = splitHost(pattern);
  if (hostParts.length !== patternParts.length || patternParts.includes('')) return false;
  if (patternParts.some((p) => /[^\u0021-\u007F]/u.test(p))) return false;
  for (let i = hostParts.length - 1; i > 0; i -= 1) if (hostParts[i] !== patternParts[i]) return false;
  const host = hostParts[0]!;
  const first = patternParts[0]!;
  const pieces = first.split('*', 3);
  if (pieces.length === 1 || first.includes('xn--')) return host === first;
  if (pieces.length > 2 || patternParts.length <= 2) return false;
  const [prefix, suffix] = pieces as [string, string];
  return prefix.length + suffix.length <= host.length && host.startsWith(prefix) && host.endsWith(suffix);
}

function canonicalizeIp(ip: string): string {
  const b = parseIp(ip);
  return b ? canonicalIp(b) : ip;
}

/**
 * node's tls.checkServerIdentity(hostname, cert): undefined when `hostname`
 * is one the certificate names, else node's Error (code
 * ERR_TLS_CERT_ALTNAME_INVALID, `reason`, `host`, `cert`). `cert` is
 * getPeerCertificate()'s object (or any object with node's `subject` and
 * `subjectaltname`), or a parsed `Certificate`. Ported from node 20's
 * lib/tls.js: the same rules and messages.
 */
export function nodeCheckServerIdentity(hostname: string, cert: IdentityCertificate | Certificate): Error | undefined {
  const c: IdentityCertificate = 'tbs' in cert ? toPeerCertificate(cert.toDetailed(), false) : cert;
  const subject = c.subject as { CN?: string | readonly string[] } | undefined;
  const altNames = c.subjectaltname;
  const dnsNames: string[] = [];
  const ips: string[] = [];
  const host = unfqdn(`${hostname}`);
  if (altNames) {
    for (const name of splitAltNames(altNames)) {
      if (name.startsWith('DNS:')) dnsNames.push(name.slice(4));
      else if (name.startsWith('IP Address:')) ips.push(canonicalizeIp(name.slice(11)));
    }
  }
  let valid = false;
  let reason = 'Unknown reason';
  if (isIP(host)) {
    valid = ips.includes(canonicalizeIp(host));
    if (!valid) reason = `IP: ${host} is not in the cert's list: ${ips.join(', ')}`;
  } else if (dnsNames.length > 0 || subject?.CN) {
    const hostParts = splitHost(host);
    const matches = (pattern: string): boolean => hostMatches(hostParts, pattern);
    if (dnsNames.length > 0) {
      valid = dnsNames.some(matches);
      if (!valid) reason = `Host: ${host}. is not in the cert's altnames: ${altNames}`;
    } else {
      const cn = subject!.CN!;
      valid = typeof cn === 'string' ? matches(cn) : cn.some(matches);
      if (!valid) reason = `Host: ${host}. is not cert's CN: ${String(cn)}`;
    }
  } else {
    reason = 'Cert does not contain a DNS name';
  }
  if (valid) return undefined;
  const err = codedError(new Error(`Hostname/IP does not match certificate's altnames: ${reason}`), 'ERR_TLS_CERT_ALTNAME_INVALID');
  return Object.assign(err, { reason, host, cert });
}
