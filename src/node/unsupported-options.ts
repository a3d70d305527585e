/**
 * The node:tls options puretls refuses (they would change a security
 * property it does not implement) and those it accepts and ignores, by the
 * scope they apply to.
 */
import { codedError, type CodedError } from './coded-errors.js';

/** Where a node:tls option applies: createSecureContext(), connect(), createServer() (and new TlsSocket by its role). */
export type OptionScope = 'context' | 'client' | 'server';

interface UnsupportedOption {
  readonly scopes: readonly OptionScope[];
  /** What it would do, for the error message. */
  readonly why: string;
  /** Values that ask for nothing beyond what puretls does (accepted). undefined and null always are. */
  readonly accepts?: (value: unknown) => boolean;
}

const ALL_SCOPES: readonly OptionScope[] = ['context', 'client', 'server'];
/** secureProtocol values that mean "the versions minVersion..maxVersion allow", i.e. node's default. */
const DEFAULT_METHODS = ['TLS_method', 'TLS_client_method', 'TLS_server_method', 'SSLv23_method', 'SSLv23_client_method', 'SSLv23_server_method'];

/**
 * node:tls options (node 20: tls.createSecureContext, tls.connect,
 * tls.createServer, new tls.TLSSocket) that affect security and that puretls
 * does not implement yet. Each is refused with ERR_TLS_OPTION_UNSUPPORTED when
 * set (undefined and null are absent), so that no connection is made without
 * what was asked for. `accepts` lists the values that ask for nothing.
 *
 * Not here, because puretls implements them: ca, cert, key, passphrase,
 * ciphers, ciphersuites, sigalgs, ecdhCurve, honorCipherOrder, minVersion,
 * maxVersion, servername, checkServerIdentity, rejectUnauthorized,
 * requestCert, ALPNProtocols, ALPNCallback, SNICallback, session,
 * secureContext, handshakeTimeout, sessionTimeout, sessionIdContext, ticketKeys, and
 * enableTrace (on sockets), and puretls's own provider, limits, renegotiation,
 * rejectTruncation. Accepted and ignored (IGNORED_OPTIONS): enableTrace by
 * createSecureContext().
 */
export const UNSUPPORTED_OPTIONS: Readonly<Record<string, UnsupportedOption>> = {
  allowPartialTrustChain: { scopes: ALL_SCOPES, why: 'intermediate certificates as trust anchors', accepts: (v) => v === false },
  clientCertEngine: { scopes: ALL_SCOPES, why: 'OpenSSL engines' },
  crl: { scopes: ALL_SCOPES, why: 'certificate revocation lists are not checked' },
  dhparam: { scopes: ALL_SCOPES, why: 'it sets DHE parameters, and puretls has no DHE suites (TLS 1.2 uses ECDHE only)' },
  pfx: { scopes: ALL_SCOPES, why: 'PKCS#12 is not read; pass cert and key (PEM or DER)' },
  privateKeyEngine: { scopes: ALL_SCOPES, why: 'OpenSSL engines' },
  privateKeyIdentifier: { scopes: ALL_SCOPES, why: 'OpenSSL engines' },
  secureProtocol: {
    scopes: ALL_SCOPES,
    why: `only ${DEFAULT_METHODS.join(', ')} (the default) are accepted; use minVersion/maxVersion`,
    accepts: (v) => typeof v === 'string' && DEFAULT_METHODS.includes(v),
  },
  pskCallback: { scopes: ['client', 'server'], why: 'external pre-shared keys are not implemented' },
  pskIdentityHint: { scopes: ['server'], why: 'external pre-shared keys are not implemented' },
  requestOCSP: { scopes: ['client'], why: "OCSP stapling ('OCSPResponse') is not implemented", accepts: (v) => v === false },
  minDHSize: {
    scopes: ['client'],
    why: 'only a number up to 2048 is supported (every DH group puretls negotiates, ffdhe2048 and up, has at least 2048 bits)',
    accepts: (v) => typeof v === 'number' && v > 0 && v <= 2048,
  },
};

/**
 * Options accepted and ignored, with why that is safe: they change no
 * security property of the connection.
 */
export const IGNORED_OPTIONS: Readonly<Record<string, string>> = {
  enableTrace: 'a context has no trace; connect(), createServer() and new TlsSocket() print one (tlsSocket.enableTrace())',
};

/** The error for a set option that puretls does not implement. */
export function unsupportedOption(option: string, why: string): CodedError {
  return codedError(new TypeError(`The "${option}" option is not supported by puretls yet: ${why}`), 'ERR_TLS_OPTION_UNSUPPORTED');
}

/**
 * Refuse every option of UNSUPPORTED_OPTIONS that applies to `scope` and is set.
 * @throws {TypeError} ERR_TLS_OPTION_UNSUPPORTED naming the option
 */
export function refuseUnsupportedOptions(options: object, scope: OptionScope): void {
  const given = options as Record<string, unknown>;
  for (const [name, entry] of Object.entries(UNSUPPORTED_OPTIONS)) {
    if (!entry.scopes.includes(scope)) continue;
    const value = given[name];
    if (value === undefined || value === null || entry.accepts?.(value)) continue;
    throw unsupportedOption(name, entry.why);
  }
}
