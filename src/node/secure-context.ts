/**
 * node's SecureContext (certificate, key, trust, protocol settings) and the
 * glue from it to the core: TlsContext construction, node's trust defaults
 * (tls.rootCertificates), checkServerIdentity, and getPeerCertificate()'s
 * Buffer-based object.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { AlertDescription, TlsError } from '../common/errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble.js';
import { ProtocolVersion } from '../common/constants.js';
import { TlsContext, type AlpnSelect, type CertifiedKey, type RenegotiationPolicy, type TlsLimits } from '../ssl/context.js';
import { parseCertificate, type Certificate, type DetailedCertificate } from '../x509/certificate.js';
import { caFromOption, DefaultVerifier, type DefaultVerifyResult } from '../x509/default-verifier.js';
import { canonicalIp, checkServerIdentity, HostnameMismatchError, parseIp } from '../x509/hostname.js';
import { keysMatch, parsePrivateKey } from '../x509/keys.js';
import { isPem, pemDecode } from '../x509/pem.js';
import type { CertificateVerifier, VerifyContext } from '../x509/verifier.js';
import { suiteInfo } from '../crypto/suites.js';
import { DEFAULT_TLS12_SUITES, DEFAULT_TLS13_SUITES, noTls12Suite, parseCiphers, parseCipherSuites } from './ciphers.js';
import { parseGroups, parseSigalgs } from './algorithms.js';
import { codedError, invalidArgType, parseRenegotiation, parseVersion, refuseUnsupportedOptions, SSL_OP_NO_TICKET, type PemInput, type SecureContextOptions } from './options.js';
import { nodeRenegotiationPolicy } from './renegotiate.js';
import { parseSessionIdContext, parseSessionTimeout, SessionCaches } from './sessions.js';
import { RotatingTicketCodec } from '../session/ticket-codec.js';

/** getPeerCertificate()'s object: node's shape, with Buffers. */
export type PeerCertificate = Omit<DetailedCertificate, 'raw' | 'pubkey' | 'issuerCertificate'> & {
  raw: Buffer;
  pubkey?: Buffer;
  issuerCertificate?: PeerCertificate;
};

export type CheckServerIdentity = (hostname: string, cert: PeerCertificate) => Error | undefined;

/**
 * puretls's default cipher list in OpenSSL syntax (node's tls.DEFAULT_CIPHERS
 * for puretls): the TLS 1.3 suites, then the TLS 1.2 ones, in preference
 * order. `ciphers: DEFAULT_CIPHERS` chooses exactly the default suites.
 */
export const DEFAULT_CIPHERS: string = [...DEFAULT_TLS13_SUITES, ...DEFAULT_TLS12_SUITES].map((id) => suiteInfo(id)!.opensslName).join(':');

/**
 * What node reads from tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION,
 * tls.DEFAULT_CIPHERS and tls.DEFAULT_ECDH_CURVE whenever it makes a context
 * without the option: the default export's properties of those names write
 * here, so that assigning them changes later contexts, as in node.
 */
export const tlsDefaults: { minVersion: string; maxVersion: string; ciphers: string; ecdhCurve: string } = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: DEFAULT_CIPHERS,
  ecdhCurve: 'auto',
};

/**
 * NODE_EXTRA_CA_CERTS, as node reads it: once, when the process starts (here:
 * when this module loads; a later change of the variable or the file is not
 * seen), its certificates added to the default roots (not to
 * tls.rootCertificates, as node). A file that cannot be read or parsed adds
 * nothing; node has already printed its warning about it at startup.
 */
function loadExtraCaCerts(file: string | undefined): Uint8Array[] {
  if (!file) return [];
  try {
    return caFromOption(readFileSync(file, 'latin1'));
  } catch {
    return [];
  }
}
const extraCaCerts: readonly Uint8Array[] = loadExtraCaCerts(process.env['NODE_EXTRA_CA_CERTS']);

let defaultRootsVerifier: DefaultVerifier | undefined;

/** The verifier over node's bundled roots and NODE_EXTRA_CA_CERTS, built once (parsing them costs ~50 ms). */
function defaultVerifier(): DefaultVerifier {
  return (defaultRootsVerifier ??= new DefaultVerifier({ ca: [...caFromOption([...rootCertificates]), ...extraCaCerts] }));
}

function optionFailure(option: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const err = codedError(new Error(`${option}: ${msg}`), e instanceof TlsError ? e.code : 'ERR_INVALID_ARG_VALUE');
  return Object.assign(err, { cause: e });
}

function firstOf<T>(option: string, value: T | readonly T[]): T {
  if (!Array.isArray(value)) return value as T;
  if (value.length !== 1) throw codedError(new RangeError(`${option}: exactly one certificate/key pair is supported (got ${value.length})`), 'ERR_INVALID_ARG_VALUE');
  return value[0] as T;
}

function certChain(value: PemInput): Uint8Array[] {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw invalidArgType('cert', 'a string or a Buffer', value);
  try {
    if (typeof value !== 'string' && !isPem(value)) return [parseCertificate(value).raw];
    const ders = pemDecode(value).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
    if (ders.length === 0) throw new Error('no CERTIFICATE block found');
    for (const d of ders) parseCertificate(d);
    return ders;
  } catch (e) {
    throw optionFailure('cert', e);
  }
}

function certifiedKey(options: SecureContextOptions): CertifiedKey | undefined {
  if (options.cert === undefined && options.key === undefined) return undefined;
  if (options.cert === undefined) throw codedError(new TypeError("The option 'key' needs a 'cert'"), 'ERR_INVALID_ARG_VALUE');
  if (options.key === undefined) throw codedError(new TypeError("The option 'cert' needs a 'key'"), 'ERR_INVALID_ARG_VALUE');
  const chain = certChain(firstOf('cert', options.cert));
  const keyItem = firstOf('key', options.key);
  const keyInput = typeof keyItem === 'object' && !(keyItem instanceof Uint8Array) ? keyItem.pem : keyItem;
  if (typeof keyInput !== 'string' && !(keyInput instanceof Uint8Array)) throw invalidArgType('key', 'a string or a Buffer', keyInput);
  let key;
  try {
    key = parsePrivateKey(keyInput);
  } catch (e) {
    throw optionFailure('key', e);
  }
  const leafKey = parseCertificate(chain[0]!).publicKey;
  if (!leafKey) throw codedError(new Error('cert: the certificate key algorithm is not supported'), 'ERR_INVALID_ARG_VALUE');
  if (!keysMatch(key, leafKey)) {
    throw codedError(new Error('key: the private key does not match the certificate (key values mismatch)'), 'ERR_OSSL_X509_KEY_VALUES_MISMATCH');
  }
  return { chain, key };
}

/**
 * What `createSecureContext(options)` returns: our certificate and key, the
 * trust anchors and the protocol settings, parsed once and shared by many
 * connections (node's SecureContext).
 */
export class SecureContext {
  readonly certificate: CertifiedKey | undefined;
  /** Trust anchors (DER); undefined means node's default roots. */
  readonly ca: readonly Uint8Array[] | undefined;
  readonly provider: CryptoProvider;
  readonly minVersion: number | undefined;
  readonly maxVersion: number | undefined;
  /** TLS 1.3 suites: `ciphersuites`, else the TLS 1.3 names of `ciphers`, else undefined (the default). */
  readonly cipherSuites: readonly number[] | undefined;
  /** TLS 1.2 suites chosen by `ciphers` ([]: TLS 1.2 off), else undefined (the default). */
  readonly tls12CipherSuites: readonly number[] | undefined;
  readonly groups: readonly number[] | undefined;
  /** From `sigalgs`; undefined: the default. */
  readonly signatureSchemes: readonly number[] | undefined;
  readonly honorCipherOrder: boolean | undefined;
  /** node's `ciphers` as given. */
  readonly ciphers: string | undefined;
  /** Server: TLS 1.2 session lifetime in seconds (undefined: 300). */
  readonly sessionTimeout: number | undefined;
  /** Server: the session ID context (undefined: none given). */
  readonly sessionIdContext: string | undefined;
  readonly limits: Partial<TlsLimits> | undefined;
  /** puretls's `renegotiation`, checked: over node's server defaults, or the core's on a client. */
  readonly renegotiation: Partial<RenegotiationPolicy> | undefined;
  /** TLS 1.2 session tickets; false with secureOptions SSL_OP_NO_TICKET. */
  readonly sessionTickets: boolean;
  /**
   * Seals and opens this context's session tickets (a server's). With node's
   * `ticketKeys` it uses exactly those keys and never rotates (as node);
   * without, keys of its own that rotate every 12 hours.
   */
  readonly ticketCodec: RotatingTicketCodec;
  private verifierCache: DefaultVerifier | undefined;
  private sessionCache: SessionCaches | undefined;

  constructor(options: SecureContextOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    refuseUnsupportedOptions(options, 'context');
    this.provider = options.provider ?? nobleProvider();
    // As node: an absent option is tls.DEFAULT_* (of the default export) at this moment.
    this.minVersion = parseVersion('minVersion', options.minVersion ?? defaultUnlessNode('minVersion'));
    this.maxVersion = parseVersion('maxVersion', options.maxVersion ?? defaultUnlessNode('maxVersion'));
    // Both are checked; puretls's own `ciphersuites` replaces the TLS 1.3 names of node's `ciphers`.
    const ciphers = options.ciphers ?? defaultUnlessNode('ciphers');
    const fromCiphers = parseCiphers(ciphers);
    this.cipherSuites = parseCipherSuites(options.ciphersuites) ?? fromCiphers.tls13;
    this.tls12CipherSuites = fromCiphers.tls12;
    this.ciphers = ciphers ?? undefined;
    this.checkVersions();
    this.groups = parseGroups(options.ecdhCurve ?? defaultUnlessNode('ecdhCurve'), this.provider);
    this.signatureSchemes = parseSigalgs(options.sigalgs);
    this.honorCipherOrder = options.honorCipherOrder;
    this.sessionTimeout = parseSessionTimeout(options.sessionTimeout);
    this.sessionIdContext = parseSessionIdContext(options.sessionIdContext);
    this.limits = options.limits;
    this.renegotiation = parseRenegotiation(options.renegotiation);
    this.sessionTickets = options.secureOptions !== SSL_OP_NO_TICKET;
    this.ticketCodec = ticketCodecFor(this.provider, options.ticketKeys);
    this.certificate = certifiedKey(options);
    try {
      this.ca = options.ca === undefined ? undefined : caFromOption(options.ca);
    } catch (e) {
      throw optionFailure('ca', e);
    }
  }

  /**
   * What node reports when it first connects (ERR_SSL_NO_PROTOCOLS_AVAILABLE,
   * ERR_SSL_NO_CIPHERS_AVAILABLE), refused here at once, naming the options.
   */
  private checkVersions(): void {
    const min = this.minVersion ?? ProtocolVersion.TLSv1_2;
    const max = this.maxVersion ?? ProtocolVersion.TLSv1_3;
    if (min > max) {
      const err = new RangeError("The minVersion option 'TLSv1.3' is above the maxVersion option 'TLSv1.2': no protocols available");
      throw codedError(err, 'ERR_SSL_NO_PROTOCOLS_AVAILABLE');
    }
    if (max === ProtocolVersion.TLSv1_2 && this.tls12CipherSuites?.length === 0) throw noTls12Suite(this.ciphers);
  }

  /** The suites for the core: the TLS 1.3 ones, then the TLS 1.2 ones (defaults where not chosen). */
  coreCipherSuites(): number[] {
    return [...(this.cipherSuites ?? DEFAULT_TLS13_SUITES), ...(this.tls12CipherSuites ?? DEFAULT_TLS12_SUITES)];
  }

  /** Server: this context's TLS 1.2 session cache (an SSL_CTX's), made on first use. */
  sessionCaches(): SessionCaches {
    return (this.sessionCache ??= new SessionCaches(() => this.provider.nowMs()));
  }

  /** The chain verifier over this context's anchors (built once). */
  verifier(): DefaultVerifier {
    if (!this.ca) return defaultVerifier();
    return (this.verifierCache ??= new DefaultVerifier({ ca: this.ca }));
  }
}

const INITIAL_DEFAULTS = { ...tlsDefaults };

/** A tls.DEFAULT_* value that was changed (undefined while it is the initial one: the core's defaults, unparsed). */
function defaultUnlessNode(key: keyof typeof tlsDefaults): string | undefined {
  const v = tlsDefaults[key];
  return v === INITIAL_DEFAULTS[key] ? undefined : v;
}

/** node's tls.createSecureContext. */
export function createSecureContext(options: SecureContextOptions = {}): SecureContext {
  return new SecureContext(options);
}

/** Convert the x509 layer's object to node's (Buffers), keeping the issuer links (and a root's self link). */
export function toPeerCertificate(d: DetailedCertificate, detailed: boolean): PeerCertificate {
  const seen = new Map<DetailedCertificate, PeerCertificate>();
  const convert = (c: DetailedCertificate): PeerCertificate => {
    const known = seen.get(c);
    if (known) return known;
    const { raw, pubkey, issuerCertificate, ...rest } = c;
    const out: PeerCertificate = { ...rest, raw: Buffer.from(raw), ...(pubkey ? { pubkey: Buffer.from(pubkey) } : {}) };
    seen.set(c, out);
    if (detailed && issuerCertificate) out.issuerCertificate = convert(issuerCertificate);
    return out;
  };
  return convert(d);
}

/** The TlsError of a failed identity check: what the core fails the handshake with. */
export type IdentityFailure = TlsError & {
  /** The Error the identity check returned (or threw): what node emits, the same object. */
  readonly identityError: Error;
};

/**
 * A failed identity check as a TlsError for the core (it carries the alert:
 * certificate_unknown, or the alert of a TlsError the check returned), with
 * the check's own Error as `identityError` (the socket emits that one, as
 * node:tls emits checkServerIdentity's Error) and as `cause`.
 */
export function identityFailure(err: Error): IdentityFailure {
  const e =
    err instanceof TlsError
      ? new TlsError(err.code, err.alert, err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message)
      : new TlsError('ERR_TLS_CERT_ALTNAME_INVALID', AlertDescription.certificate_unknown, err.message);
  return Object.assign(e, { cause: err, identityError: err });
}

/** node's tls.checkServerIdentity Error: code, message, reason, host and the peer certificate object. */
function altnameError(m: HostnameMismatchError, cert: () => PeerCertificate): Error {
  const err = codedError(new Error(`Hostname/IP does not match certificate's altnames: ${m.reason}`), m.code);
  return Object.assign(err, { reason: m.reason, host: m.host, cert: cert() });
}

/**
 * The chain check of DefaultVerifier, then (client side, when the chain is
 * good) node's identity check: `checkServerIdentity(hostname, cert)` if given,
 * else the x509 layer's.
 */
export class NodeVerifier implements CertificateVerifier {
  constructor(
    private readonly base: DefaultVerifier,
    private readonly check?: CheckServerIdentity,
  ) {}

  verify(chain: readonly Uint8Array[], cx: VerifyContext): DefaultVerifyResult {
    const r = this.base.verify(chain, { ...cx, serverName: undefined });
    if (!r.authorized || cx.peerRole !== 'server' || cx.serverName === undefined) return r;
    let err: Error | undefined;
    if (this.check) {
      try {
        err = this.check(cx.serverName, toPeerCertificate(r.peerCertificate(), true)) ?? undefined;
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
      }
    } else {
      const m = checkServerIdentity(cx.serverName, r.path[0]!);
      if (m) err = m instanceof HostnameMismatchError ? altnameError(m, () => toPeerCertificate(r.peerCertificate(), true)) : m;
    }
    return err ? { ...r, authorized: false, error: identityFailure(err) } : r;
  }
}

/** Server: where the core keeps TLS 1.2 sessions for one context. */
export interface SessionParams {
  /** The server context's cache (SNI contexts share the server's, as OpenSSL's session_ctx). */
  readonly caches: SessionCaches;
  readonly sessionIdContext: string;
  /** The server context's sessionTimeout; undefined: 300 s. */
  readonly lifetimeSeconds: number | undefined;
}

export interface ContextParams {
  readonly role: 'client' | 'server';
  readonly alpnProtocols?: readonly string[] | undefined;
  readonly rejectUnauthorized: boolean;
  readonly requestCert?: boolean;
  readonly checkServerIdentity?: CheckServerIdentity | undefined;
  /** Server: node's ALPNCallback, as the core's hook. */
  readonly alpnSelect?: AlpnSelect | undefined;
  /** Server: the TLS 1.2 session cache to use. */
  readonly sessions?: SessionParams | undefined;
  /** Client: offer post-handshake authentication (puretls's postHandshakeAuth). */
  readonly postHandshakeAuth?: boolean;
}

/**
 * A server's verifier of client chains, built on first use: a server that
 * does not ask for certificates may still ask in a renegotiation
 * (renegotiate({ requestCert: true })), against the same trust anchors.
 */
class LazyVerifier implements CertificateVerifier {
  private inner: NodeVerifier | undefined;
  constructor(private readonly sc: SecureContext) {}

  verify(chain: readonly Uint8Array[], cx: VerifyContext): DefaultVerifyResult {
    return (this.inner ??= new NodeVerifier(this.sc.verifier())).verify(chain, cx);
  }
}

/**
 * The core's renegotiation policy: a server's is node's (clients may
 * renegotiate, 3 per 600 s), a client's the core's default; the user's
 * `renegotiation` fields override either.
 */
function renegotiationFor(sc: SecureContext, role: 'client' | 'server'): { renegotiation?: Partial<RenegotiationPolicy> } {
  if (role === 'server') return { renegotiation: { ...nodeRenegotiationPolicy(), ...sc.renegotiation } };
  return sc.renegotiation ? { renegotiation: sc.renegotiation } : {};
}

/** node's `ticketKeys` (48 bytes: name, HMAC secret, AES key) onto a codec; checked as node checks it. */
export function ticketCodecFor(provider: CryptoProvider, keys: unknown): RotatingTicketCodec {
  if (keys === undefined || keys === null) return new RotatingTicketCodec({ provider });
  const codec = new RotatingTicketCodec({ provider, rotateAfterMs: Infinity });
  setNodeTicketKeys(codec, keys, 'options.ticketKeys');
  return codec;
}

/** node's setTicketKeys / ticketKeys: a 48-byte Buffer (or Uint8Array), else node's errors. */
export function setNodeTicketKeys(codec: RotatingTicketCodec, keys: unknown, what: string): void {
  if (!(keys instanceof Uint8Array)) throw invalidArgType(what, 'an instance of Buffer, TypedArray, or DataView', keys);
  if (keys.byteLength !== 48) {
    throw codedError(new RangeError(`The argument '${what}' must be exactly 48 bytes. Received ${keys.byteLength}`), 'ERR_INVALID_ARG_VALUE');
  }
  codec.fromNodeTicketKeys(keys);
}

/** The core context for one role from a SecureContext and the connection-level options. */
export function tlsContextFor(sc: SecureContext, p: ContextParams): TlsContext {
  const requestCert = p.role === 'server' && !!p.requestCert;
  const verifies = p.role === 'client' || requestCert;
  const sessions = p.sessions;
  return new TlsContext({
    provider: sc.provider,
    certificate: sc.certificate,
    verifier: verifies ? new NodeVerifier(sc.verifier(), p.checkServerIdentity) : new LazyVerifier(sc),
    rejectUnauthorized: p.rejectUnauthorized,
    requestCert,
    // node: SSL_VERIFY_FAIL_IF_NO_PEER_CERT when the server rejects unauthorized clients.
    requireCert: requestCert && p.rejectUnauthorized,
    ...(sc.minVersion !== undefined ? { minVersion: sc.minVersion } : {}),
    ...(sc.maxVersion !== undefined ? { maxVersion: sc.maxVersion } : {}),
    cipherSuites: sc.coreCipherSuites(),
    ...(sc.groups ? { groups: sc.groups } : {}),
    ...(sc.signatureSchemes ? { signatureSchemes: sc.signatureSchemes } : {}),
    ...(sc.honorCipherOrder !== undefined ? { honorCipherOrder: sc.honorCipherOrder } : {}),
    ...(p.alpnProtocols ? { alpnProtocols: p.alpnProtocols } : {}),
    ...(p.alpnSelect ? { alpnSelect: p.alpnSelect } : {}),
    ...(sc.limits ? { limits: sc.limits } : {}),
    ...renegotiationFor(sc, p.role),
    ...(p.postHandshakeAuth ? { postHandshakeAuth: true } : {}),
    sessionTickets: sc.sessionTickets,
    ...(p.role === 'server' ? { ticketCodec: sc.ticketCodec } : {}),
    ...(sessions ? { sessionStore: sessions.caches.storeFor(sessions.sessionIdContext) } : {}),
    ...(sessions?.lifetimeSeconds !== undefined ? { sessionLifetimeSeconds: sessions.lifetimeSeconds } : {}),
  });
}

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
