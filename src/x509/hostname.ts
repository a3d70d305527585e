/**
 * Server identity checks (RFC 6125 / RFC 9525), with node's tls.checkServerIdentity
 * fallbacks and messages: the subject CN is used only when the certificate
 * has no dNSName SAN at all; IP literals match iPAddress SANs only.
 */
import { AlertDescription, TlsError } from '../common/errors.js';
import { formatGeneralNames } from './cert-extensions.js';
import { type Certificate, type DetailedCertificate, parseCertificate } from './certificate.js';
import { nameValues } from './name.js';

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)){3}$/;

function parseV4(s: string): Uint8Array | undefined {
  return V4.test(s) ? Uint8Array.from(s.split('.').map(Number)) : undefined;
}

function parseV6(s: string): Uint8Array | undefined {
  let text = s;
  const out = new Uint8Array(16);
  // An embedded dotted IPv4 tail.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: Uint8Array | undefined;
  if (tail.includes('.')) {
    v4 = parseV4(tail);
    if (!v4 || lastColon < 0) return undefined;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const parts = h.split(':');
    if (parts.some((p) => !/^[0-9a-fA-F]{1,4}$/.test(p))) return undefined;
    return parts.map((p) => parseInt(p, 16));
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  if (halves.length === 1 ? head.length !== 8 : head.length + rest.length > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/**
 * The bytes of an IP literal (dotted IPv4, or IPv6 with optional brackets and
 * zone), or undefined when `host` is not one (then it is a DNS name).
 */
export function parseIp(host: string): Uint8Array | undefined {
  const v4 = parseV4(host);
  if (v4) return v4;
  let h = host;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  return h.includes(':') ? parseV6(h) : undefined;
}

/** inet_ntop's form (RFC 5952 for IPv6), as node's messages show addresses. */
export function canonicalIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length !== 16) return `<invalid length=${b.length}>`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

function lowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function unfqdn(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * RFC 6125 §6.4 matching of one presented DNS identifier against a host name:
 * case-insensitive ASCII, trailing dots ignored, `*` only as the whole
 * left-most label of a pattern with at least two more labels, matching
 * exactly one label.
 */
export function matchesHostname(pattern: string, host: string): boolean {
  const p = lowerAscii(unfqdn(pattern));
  const h = lowerAscii(unfqdn(host));
  if (p === '' || h === '' || p.includes('..') || h.includes('..')) return false;
  if (!p.includes('*')) return p === h;
  const pl = p.split('.');
  const hl = h.split('.');
  if (pl[0] !== '*' || pl.slice(1).some((l) => l.includes('*')) || pl.length < 3) return false;
  if (hl.length !== pl.length || hl[0] === '' || parseIp(h)) return false;
  return pl.slice(1).every((l, i) => l === hl[i + 1]);
}

/** The error node's checkServerIdentity returns, with its `reason`, `host` and `cert`. */
export class HostnameMismatchError extends TlsError {
  constructor(
    readonly reason: string,
    readonly host: string,
    readonly cert: Certificate | DetailedCertificate,
  ) {
    super(
      'ERR_TLS_CERT_ALTNAME_INVALID',
      AlertDescription.certificate_unknown,
      `Hostname/IP does not match certificate's altnames: ${reason}`,
    );
  }
}

/**
 * node's tls.checkServerIdentity semantics over a parsed certificate (or a
 * node-style detailed one): undefined when `host` matches, else the error.
 */
export function checkServerIdentity(host: string, cert: Certificate | DetailedCertificate): TlsError | undefined {
  const c = 'tbs' in cert ? cert : parseCertificate(cert.raw);
  const san = c.extensions.subjectAltName ?? [];
  const dnsNames = san.flatMap((g) => (g.type === 'dns' ? [g.value] : []));
  const ips = san.flatMap((g) => (g.type === 'ip' ? [g.value] : []));
  const hostname = unfqdn(String(host));
  const ip = parseIp(hostname);
  let reason: string;
  if (ip) {
    if (ips.some((a) => a.length === ip.length && a.every((b, i) => b === ip[i]))) return undefined;
    reason = `IP: ${hostname} is not in the cert's list: ${ips.map(canonicalIp).join(', ')}`;
  } else if (dnsNames.length > 0) {
    if (dnsNames.some((n) => matchesHostname(n, hostname))) return undefined;
    reason = `Host: ${hostname}. is not in the cert's altnames: ${formatGeneralNames(san)}`;
  } else {
    const cns = nameValues(c.subject, 'CN');
    if (cns.length === 0) {
      reason = 'Cert does not contain a DNS name';
    } else {
      if (cns.some((n) => matchesHostname(n, hostname))) return undefined;
      reason = `Host: ${hostname}. is not cert's CN: ${cns.join(',')}`;
    }
  }
  return new HostnameMismatchError(reason, hostname, cert);
}
