/**
 * Security options are honoured or refused, never ignored: node's `ciphers`
 * (its TLS 1.3 names choose the suites, as in node), `sigalgs`, the server's
 * `ALPNCallback`, and every node:tls option puretls does not implement yet
 * (ERR_TLS_OPTION_UNSUPPORTED, for connect(), createServer() and
 * createSecureContext()). Node's own behaviour is checked beside ours, so a
 * node upgrade that changes it shows up here.
 */
import { once } from 'node:events';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { CipherSuite as C, SignatureScheme as S } from '../../src/common/constants.js';
import { connect, createSecureContext, createServer } from '../../src/node/index.js';
import { UNSUPPORTED_OPTIONS, type OptionScope } from '../../src/node/unsupported-options.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();

type CodedError = Error & { code?: string; cause?: unknown };

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

/** What a call threw (or undefined). */
function thrown(fn: () => unknown): CodedError | undefined {
  try {
    fn();
  } catch (e) {
    return e as CodedError;
  }
  return undefined;
}

/** A node:tls server for the 'localhost' chain; node servers prefer their own order (AES-256 first). */
async function nodeServer(options: tls.TlsOptions = {}): Promise<{ port: number; errors: Error[] }> {
  const errors: Error[] = [];
  const srv = tls.createServer({ cert: certs.cert, key: certs.key, ...options }, (s) => s.end('hi'));
  srv.on('tlsClientError', (e) => errors.push(e));
  return { port: await listen(srv), errors };
}

describe("ciphers: node's list, TLS 1.3 names choose the suites", () => {
  const AES128 = C.TLS_AES_128_GCM_SHA256;
  const AES256 = C.TLS_AES_256_GCM_SHA384;
  const CHACHA = C.TLS_CHACHA20_POLY1305_SHA256;
  interface Row {
    ciphers: string;
    /** Our TLS 1.3 suites ('default' when unchanged), or the code we throw. */
    ours: 'default' | number[] | { throws: string };
    /** node 20's createSecureContext: accepts, or the code it throws. */
    node: 'accepts' | { throws: string };
  }
  const rows: Row[] = [
    { ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256', ours: [AES128, CHACHA], node: 'accepts' },
    { ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384', ours: [CHACHA, AES256], node: 'accepts' },
    { ciphers: 'TLS_CHACHA20_POLY1305_SHA256:ECDHE-RSA-AES128-GCM-SHA256', ours: [CHACHA], node: 'accepts' },
    { ciphers: tls.DEFAULT_CIPHERS, ours: [AES256, CHACHA, AES128], node: 'accepts' },
    // An unknown TLS 1.3 name beside a known one is skipped, as by OpenSSL.
    { ciphers: 'TLS_FOO:TLS_CHACHA20_POLY1305_SHA256', ours: [CHACHA], node: 'accepts' },
    // Only TLS 1.2 names: the TLS 1.3 suites stay the default (node negotiates TLS 1.3 with its defaults).
    { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ours: 'default', node: 'accepts' },
    { ciphers: 'HIGH:!aNULL', ours: 'default', node: 'accepts' },
    { ciphers: 'FOO:ECDHE-RSA-AES128-GCM-SHA256', ours: 'default', node: 'accepts' },
    { ciphers: '', ours: 'default', node: 'accepts' },
    // Nothing matches: OpenSSL's "no cipher match", also when only one of the two lists is wrong.
    { ciphers: 'FOO', ours: { throws: 'ERR_SSL_NO_CIPHER_MATCH' }, node: { throws: 'ERR_SSL_NO_CIPHER_MATCH' } },
    { ciphers: 'FOO:TLS_AES_128_GCM_SHA256', ours: { throws: 'ERR_SSL_NO_CIPHER_MATCH' }, node: { throws: 'ERR_SSL_NO_CIPHER_MATCH' } },
    { ciphers: 'TLS_FOO', ours: { throws: 'ERR_SSL_NO_CIPHER_MATCH' }, node: { throws: 'ERR_SSL_NO_CIPHER_MATCH' } },
    { ciphers: 'TLS_FOO:ECDHE-RSA-AES128-GCM-SHA256', ours: { throws: 'ERR_SSL_NO_CIPHER_MATCH' }, node: { throws: 'ERR_SSL_NO_CIPHER_MATCH' } },
    { ciphers: 'ecdhe-rsa-aes128-gcm-sha256', ours: { throws: 'ERR_SSL_NO_CIPHER_MATCH' }, node: { throws: 'ERR_SSL_NO_CIPHER_MATCH' } },
    { ciphers: ':', ours: { throws: 'ERR_INVALID_ARG_VALUE' }, node: { throws: 'ERR_INVALID_ARG_VALUE' } },
    // Stricter than node, where node would drop what was asked for:
    // '!TLS_*' does not remove a TLS 1.3 suite in OpenSSL,
    { ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:!TLS_AES_128_GCM_SHA256', ours: { throws: 'ERR_INVALID_ARG_VALUE' }, node: 'accepts' },
    // a TLS_ name after a space lands in the TLS 1.2 list and is never a TLS 1.3 choice,
    { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256 TLS_CHACHA20_POLY1305_SHA256', ours: { throws: 'ERR_INVALID_ARG_VALUE' }, node: 'accepts' },
    // and TLS 1.3 lists naming no suite we implement (CCM).
    { ciphers: 'TLS_AES_128_CCM_SHA256', ours: { throws: 'ERR_SSL_NO_CIPHER_MATCH' }, node: 'accepts' },
    // A TLS 1.2 IANA name is a TLS 1.2 choice (node would lose it in OpenSSL's TLS 1.3 list): TLS 1.3 stays the default.
    { ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', ours: 'default', node: 'accepts' },
  ];

  it.each(rows)('$ciphers', ({ ciphers, ours, node }) => {
    const nodeErr = thrown(() => tls.createSecureContext({ ciphers }));
    expect(nodeErr?.code === undefined ? 'accepts' : { throws: nodeErr.code }).toEqual(node);
    const err = thrown(() => createSecureContext({ ciphers }));
    if (typeof ours === 'object' && !Array.isArray(ours)) {
      expect(err?.code).toBe(ours.throws);
      expect(err?.message).toMatch(/'ciphers'/);
      return;
    }
    expect(err).toBeUndefined();
    expect(createSecureContext({ ciphers }).cipherSuites).toEqual(ours === 'default' ? undefined : ours);
  });

  it('a non-string is ERR_INVALID_ARG_TYPE', () => {
    expect(thrown(() => createSecureContext({ ciphers: 5 as unknown as string }))?.code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it("puretls's ciphersuites replaces the TLS 1.3 names of ciphers; both are checked", () => {
    expect(createSecureContext({ ciphers: 'TLS_AES_128_GCM_SHA256', ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' }).cipherSuites).toEqual([CHACHA]);
    expect(thrown(() => createSecureContext({ ciphers: 'FOO', ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' }))?.code).toBe('ERR_SSL_NO_CIPHER_MATCH');
  });

  it('our client with ciphers naming one TLS 1.3 suite gets it from node (which prefers AES-256)', async () => {
    const { port } = await nodeServer();
    const sock = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }));
    await once(sock, 'secureConnect');
    expect(sock.getCipher()?.standardName).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });

  it('our client with only TLS 1.2 names in ciphers keeps the default TLS 1.3 suites, as node does', async () => {
    const { port } = await nodeServer();
    const ours = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
    await once(ours, 'secureConnect');
    const theirs = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
    await once(theirs, 'secureConnect');
    expect(ours.getProtocol()).toBe('TLSv1.3');
    expect(ours.getCipher()?.standardName).toBe(theirs.getCipher().standardName);
  });

  it("our server's ciphers restrict what a node client can get", async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key, ciphers: 'TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' }, (s) => s.end('hi'));
    const port = await listen(srv);
    // node offers TLS_AES_256_GCM_SHA384 first: only the suite our server allows can be chosen.
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    await once(sock, 'secureConnect');
    expect(sock.getCipher().standardName).toBe('TLS_CHACHA20_POLY1305_SHA256');
    const only = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ciphers: 'TLS_AES_256_GCM_SHA384' }));
    const [err] = (await once(only, 'error')) as [CodedError];
    expect(err.code).toMatch(/HANDSHAKE_FAILURE/);
  });
});

describe('sigalgs', () => {
  it.each([
    ['ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256', [S.ecdsa_secp256r1_sha256, S.rsa_pss_rsae_sha256]],
    ['ECDSA+SHA256:RSA-PSS+SHA384:RSA+SHA512:PSS+sha256', [S.ecdsa_secp256r1_sha256, S.rsa_pss_rsae_sha384, S.rsa_pkcs1_sha512, S.rsa_pss_rsae_sha256]],
    [' ed25519 : ECDSA+SHA512', [S.ed25519, S.ecdsa_secp521r1_sha512]],
  ])('%s → the schemes, in order (node accepts it too)', (sigalgs, schemes) => {
    expect(thrown(() => tls.createSecureContext({ sigalgs }))).toBeUndefined();
    expect(createSecureContext({ sigalgs }).signatureSchemes).toEqual(schemes);
  });

  it.each([
    // node refuses these as well
    ['FOO', 'throws'],
    ['Ed25519', 'throws'],
    ['ECDSA+SHA-256', 'throws'],
    ['ECDSA+SHA256+SHA384', 'throws'],
    ['ecdsa_secp256r1_sha256:', 'throws'],
    ['ecdsa_secp256r1_sha256:ECDSA+SHA256', 'throws'],
    ['', 'throws'],
    // known to OpenSSL, not implemented by puretls: refused rather than dropped
    ['ed448', 'accepts'],
    ['rsa_pss_pss_sha256', 'accepts'],
    ['ECDSA+SHA1', 'accepts'],
  ])('%s → RangeError ERR_INVALID_ARG_VALUE naming sigalgs (node %s)', (sigalgs, node) => {
    expect(thrown(() => tls.createSecureContext({ sigalgs })) ? 'throws' : 'accepts').toBe(node);
    const err = thrown(() => createSecureContext({ sigalgs }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err?.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(err?.message).toMatch(/'sigalgs'/);
  });

  it('a non-string is ERR_INVALID_ARG_TYPE', () => {
    expect(thrown(() => connect({ port: 1, sigalgs: 5 as unknown as string }))?.code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('our client offering only RSA-PSS cannot connect to an ECDSA server; ECDSA+SHA256 can', async () => {
    const { port, errors } = await nodeServer();
    const bad = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, sigalgs: 'rsa_pss_rsae_sha256' }));
    const [err] = (await once(bad, 'error')) as [CodedError & { alert?: number }];
    expect(err.code).toBe('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'); // node's name for the alert received
    expect(err.alert).toBe(40); // handshake_failure: node has no scheme for its P-256 key
    expect(errors[0]?.message).toMatch(/no suitable signature algorithm/);
    const good = track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, sigalgs: 'ECDSA+SHA256' }));
    await once(good, 'secureConnect');
  });

  it('our server with a P-256 key and only ecdsa_secp384r1_sha384 refuses a node client', async () => {
    const srv = createServer({ cert: certs.cert, key: certs.key, sigalgs: 'ecdsa_secp384r1_sha384' }, (s) => s.end());
    const port = await listen(srv);
    const serverError = once(srv, 'tlsClientError');
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    sock.on('error', () => {});
    const [err] = (await serverError) as [CodedError];
    expect(err.code).toBe('ERR_TLS_HANDSHAKE_FAILURE');
  });
});

describe('ALPNCallback (server)', () => {
  async function serverWith(ALPNCallback: (arg: { servername: string | false; protocols: string[] }) => string | undefined) {
    const srv = createServer({ cert: certs.cert, key: certs.key, ALPNCallback }, (s) => s.end(String(s.alpnProtocol)));
    const errors: CodedError[] = [];
    srv.on('tlsClientError', (e: CodedError) => errors.push(e));
    return { port: await listen(srv), errors };
  }

  it("chooses among a node client's protocols, seeing its SNI; both ends agree", async () => {
    const calls: unknown[] = [];
    const { port } = await serverWith((arg) => {
      calls.push(arg);
      return 'http/1.1';
    });
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ALPNProtocols: ['h2', 'http/1.1'] }));
    await once(sock, 'secureConnect');
    expect(sock.alpnProtocol).toBe('http/1.1');
    const data: Buffer[] = [];
    sock.on('data', (d: Buffer) => data.push(d));
    await once(sock, 'end');
    expect(Buffer.concat(data).toString()).toBe('http/1.1'); // the server socket's alpnProtocol
    expect(calls).toEqual([{ servername: 'localhost', protocols: ['h2', 'http/1.1'] }]);
  });

  it('servername is false when the client sent no SNI', async () => {
    const calls: unknown[] = [];
    const { port } = await serverWith((arg) => {
      calls.push(arg);
      return arg.protocols[0];
    });
    const sock = track(tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['x'] }));
    await once(sock, 'secureConnect');
    expect(calls).toEqual([{ servername: false, protocols: ['x'] }]);
  });

  it('returning undefined refuses with no_application_protocol', async () => {
    const { port, errors } = await serverWith(() => undefined);
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ALPNProtocols: ['h2', 'http/1.1'] }));
    const [err] = (await once(sock, 'error')) as [CodedError];
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    await new Promise((r) => setImmediate(r));
    expect(errors[0]?.code).toBe('ERR_TLS_NO_APPLICATION_PROTOCOL');
  });

  it("a protocol the client did not offer fails the handshake (node's ERR_TLS_ALPN_CALLBACK_INVALID_RESULT)", async () => {
    const { port, errors } = await serverWith(() => 'spdy/3');
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ALPNProtocols: ['h2'] }));
    await once(sock, 'error');
    await new Promise((r) => setImmediate(r));
    const cause = errors[0]?.cause as CodedError | undefined;
    expect(cause?.code).toBe('ERR_TLS_ALPN_CALLBACK_INVALID_RESULT');
    expect(cause?.message).toContain('spdy/3');
  });

  it('is not called when the client offers no ALPN', async () => {
    let called = false;
    const { port } = await serverWith(() => {
      called = true;
      return 'x';
    });
    const sock = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca }));
    await once(sock, 'secureConnect');
    expect(sock.alpnProtocol).toBe(false);
    expect(called).toBe(false);
  });

  it('with ALPNProtocols too: TypeError ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS, as node', () => {
    const options = { cert: certs.cert, key: certs.key, ALPNCallback: () => 'h2', ALPNProtocols: ['h2'] };
    const theirs = thrown(() => tls.createServer(options));
    const ours = thrown(() => createServer(options));
    expect(theirs?.code).toBe('ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS');
    expect(ours).toBeInstanceOf(TypeError);
    expect(ours?.code).toBe(theirs?.code);
    expect(ours?.message).toBe(theirs?.message);
  });

  it('a non-function is ERR_INVALID_ARG_TYPE', () => {
    const err = thrown(() => createServer({ cert: certs.cert, key: certs.key, ALPNCallback: 'h2' as unknown as () => string }));
    expect(err?.code).toBe('ERR_INVALID_ARG_TYPE');
  });
});

describe('node:tls options puretls does not implement are refused, not ignored', () => {
  const CTX: OptionScope[] = ['context', 'client', 'server'];
  // name, a value that asks for something, where the option applies (node 20's option lists)
  const refused: [string, unknown, OptionScope[]][] = [
    ['allowPartialTrustChain', true, CTX],
    ['clientCertEngine', 'pkcs11', CTX],
    ['crl', '-----BEGIN X509 CRL-----', CTX],
    ['dhparam', 'auto', CTX],
    ['pfx', Buffer.from('pfx'), CTX],
    ['privateKeyEngine', 'pkcs11', CTX],
    ['privateKeyIdentifier', 'key-id', CTX],
    ['secureProtocol', 'TLSv1_2_method', CTX],
    ['pskCallback', () => null, ['client', 'server']],
    ['pskIdentityHint', 'hint', ['server']],
    ['requestOCSP', true, ['client']],
    ['minDHSize', 3072, ['client']],
  ];

  it('the table is UNSUPPORTED_OPTIONS, the one place the check reads', () => {
    expect(refused.map(([name]) => name).sort()).toEqual(Object.keys(UNSUPPORTED_OPTIONS).sort());
    for (const [name, , scopes] of refused) expect([...UNSUPPORTED_OPTIONS[name]!.scopes].sort()).toEqual([...scopes].sort());
  });

  const cases = refused.flatMap(([name, value, scopes]) => scopes.map((scope) => ({ name, value, scope })));
  const call = (scope: OptionScope, extra: Record<string, unknown>): unknown => {
    if (scope === 'context') return createSecureContext(extra);
    if (scope === 'server') return createServer({ cert: certs.cert, key: certs.key, ...extra });
    const sock = connect({ host: '127.0.0.1', port: 1, ...extra });
    sock.on('error', () => {});
    return track(sock);
  };

  it.each(cases)('$name in $scope: TypeError ERR_TLS_OPTION_UNSUPPORTED naming it', ({ name, value, scope }) => {
    const err = thrown(() => call(scope, { [name]: value }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err?.code).toBe('ERR_TLS_OPTION_UNSUPPORTED');
    expect(err?.message).toMatch(new RegExp(`^The "${name}" option is not supported by puretls yet`));
  });

  it.each(cases)('$name in $scope: undefined and null are absent, not refused', ({ name, scope }) => {
    expect(thrown(() => call(scope, { [name]: undefined }))).toBeUndefined();
    expect(thrown(() => call(scope, { [name]: null }))).toBeUndefined();
  });

  it('connect() with a secureContext still refuses them (node would ignore the context options then)', () => {
    const err = thrown(() => connect({ port: 1, secureContext: createSecureContext(), crl: 'x' } as Record<string, unknown>));
    expect(err?.code).toBe('ERR_TLS_OPTION_UNSUPPORTED');
  });

  it.each([
    ['secureOptions', 0, CTX],
    ['secureOptions', 0x4000000 | 0x10000000 | 0x2000000 | 0x20000, CTX], // SSL_OP_NO_TLSv1 | NO_TLSv1_1 | NO_SSLv3 | NO_COMPRESSION
    ['secureProtocol', 'TLS_method', CTX],
    ['secureProtocol', 'SSLv23_method', CTX],
    ['allowPartialTrustChain', false, CTX],
    ['requestOCSP', false, ['client']],
    ['minDHSize', 1024, ['client']],
    ['minDHSize', 2048, ['client']],
    ['enableTrace', true, CTX],
  ] as [string, unknown, OptionScope[]][])('%s: %s asks for nothing beyond what puretls does: accepted', (name, value, scopes) => {
    for (const scope of scopes) expect(thrown(() => call(scope, { [name]: value }))).toBeUndefined();
  });
});
