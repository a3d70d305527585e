/**
 * node's SecureContext (certificate, key, trust, protocol settings), parsed
 * once from the options, and node's trust defaults (tls.rootCertificates,
 * NODE_EXTRA_CA_CERTS) and tls.DEFAULT_* values. The core context built from
 * it is in core-context.ts, its verifiers in node-verifier.ts,
 * getPeerCertificate()'s object in peer-certificate.ts.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { TlsError } from '../common/errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble.js';
import { ProtocolVersion } from '../common/constants.js';
import type { CertifiedKey, RenegotiationPolicy, TlsLimits } from '../ssl/context.js';
import { parseCertificate } from '../x509/certificate.js';
import { caFromOption, DefaultVerifier } from '../x509/default-verifier.js';
import { caAnchors, type CaAnchors } from './ca-cache.js';
import { keysMatch, parsePrivateKey } from '../x509/keys.js';
import { isPem, pemDecode } from '../x509/pem.js';
import { suiteInfo } from '../crypto/suites.js';
import { DEFAULT_TLS12_SUITES, DEFAULT_TLS13_SUITES, noTls12Suite, parseCiphers, parseCipherSuites } from './ciphers.js';
import { parseGroups, parseSigalgs } from './algorithms.js';
import { codedError, invalidArgType, received } from './coded-errors.js';
import { parseRenegotiation, parseVersion, type PemInput, type SecureContextOptions } from './options.js';
import { parseSecureOptions } from './secure-options.js';
import { parseSessionIdContext, parseSessionTimeout, SessionCaches } from './sessions.js';
import type { RotatingTicketCodec } from '../session/ticket-codec.js';
import { ticketCodecFor } from './ticket-keys.js';
import { refuseUnsupportedOptions } from './unsupported-options.js';

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
  private readonly anchors: CaAnchors | undefined;
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
  readonly aeadPreference: 'speed' | 'order';
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
  /** secureOptions SSL_OP_ALLOW_NO_DHE_KEX: TLS 1.3 psk_ke resumption. */
  readonly allowNoDheKex: boolean;
  /**
   * Seals and opens this context's session tickets (a server's). With node's
   * `ticketKeys` it uses exactly those keys and never rotates (as node);
   * without, keys of its own that rotate every 12 hours.
   */
  readonly ticketCodec: RotatingTicketCodec;
  private sessionCache: SessionCaches | undefined;

  constructor(options: SecureContextOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    refuseUnsupportedOptions(options, 'context');
    this.provider = options.provider ?? nobleProvider();
    // As node: an absent option is tls.DEFAULT_* (of the default export) at this moment.
    const ops = parseSecureOptions(options.secureOptions);
    // SSL_OP_NO_TLSv1_2 / _3 narrow the versions further, as in OpenSSL.
    const min = parseVersion('minVersion', options.minVersion ?? defaultUnlessNode('minVersion'));
    const max = parseVersion('maxVersion', options.maxVersion ?? defaultUnlessNode('maxVersion'));
    this.minVersion = ops.minVersion !== undefined ? Math.max(ops.minVersion, min ?? 0) : min;
    this.maxVersion = ops.maxVersion !== undefined ? Math.min(ops.maxVersion, max ?? Infinity) : max;
    // Both are checked; puretls's own `ciphersuites` replaces the TLS 1.3 names of node's `ciphers`.
    const ciphers = options.ciphers ?? defaultUnlessNode('ciphers');
    const fromCiphers = parseCiphers(ciphers);
    this.cipherSuites = parseCipherSuites(options.ciphersuites) ?? fromCiphers.tls13;
    this.tls12CipherSuites = fromCiphers.tls12;
    this.ciphers = ciphers ?? undefined;
    this.checkVersions();
    this.groups = parseGroups(options.ecdhCurve ?? defaultUnlessNode('ecdhCurve'), this.provider);
    this.signatureSchemes = parseSigalgs(options.sigalgs);
    this.honorCipherOrder = options.honorCipherOrder ?? (ops.serverPreference ? true : undefined);
    const preference = options.aeadPreference;
    if (preference !== undefined && preference !== 'speed' && preference !== 'order') {
      throw codedError(new TypeError(`The "options.aeadPreference" property must be 'speed' or 'order'. Received ${received(preference)}`), 'ERR_INVALID_ARG_VALUE');
    }
    const orderGiven = options.ciphers !== undefined || options.ciphersuites !== undefined || options.honorCipherOrder === false;
    this.aeadPreference = preference !== undefined ? preference : orderGiven ? 'order' : 'speed';
    this.sessionTimeout = parseSessionTimeout(options.sessionTimeout);
    this.sessionIdContext = parseSessionIdContext(options.sessionIdContext);
    this.limits = options.limits;
    const renegotiation = parseRenegotiation(options.renegotiation);
    // SSL_OP_NO_RENEGOTIATION: no renegotiation either way (a no_renegotiation warning to the peer's).
    this.renegotiation = ops.noRenegotiation ? { ...renegotiation, acceptClientInitiated: false, refuseServerInitiated: true } : renegotiation;
    this.sessionTickets = !ops.noTicket;
    this.allowNoDheKex = ops.allowNoDheKex;
    this.ticketCodec = ticketCodecFor(this.provider, options.ticketKeys);
    this.certificate = certifiedKey(options);
    try {
      this.anchors = options.ca === undefined ? undefined : caAnchors(options.ca);
    } catch (e) {
      throw optionFailure('ca', e);
    }
    this.ca = this.anchors?.ders;
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

  /** The chain verifier over this context's anchors (built once per distinct `ca`, see ca-cache.ts). */
  verifier(): DefaultVerifier {
    return this.anchors ? this.anchors.verifier() : defaultVerifier();
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
