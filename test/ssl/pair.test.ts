import { beforeAll, describe, expect, it } from 'vitest';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import { testProvider } from '../../src/crypto/random.js';
import { chainFor, drive, driveExpectingError, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';
import type { Chain, KeyType } from '../helpers/keys.js';

let NOW = 0;
const chains: Partial<Record<KeyType, Chain>> = {};
beforeAll(async () => {
  for (const k of ['p256', 'p384', 'ed25519', 'rsa2048'] as const) chains[k] = await chainFor(k);
  NOW = Date.now() + 2000; // certificates are made with second precision just before
});

const SUITES = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
];
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
const SCHEMES: { scheme: number; key: KeyType }[] = [
  { scheme: SignatureScheme.ecdsa_secp256r1_sha256, key: 'p256' },
  { scheme: SignatureScheme.ecdsa_secp384r1_sha384, key: 'p384' },
  { scheme: SignatureScheme.ed25519, key: 'ed25519' },
  { scheme: SignatureScheme.rsa_pss_rsae_sha256, key: 'rsa2048' },
  { scheme: SignatureScheme.rsa_pss_rsae_sha384, key: 'rsa2048' },
  { scheme: SignatureScheme.rsa_pss_rsae_sha512, key: 'rsa2048' },
];

const hex4 = (n: number) => '0x' + n.toString(16).padStart(4, '0');

function pairFor(suite: number, group: number, scheme: number, key: KeyType, seed = 'pair') {
  const chain = chains[key]!;
  return makePair(
    { certificate: serverCert(chain), provider: testProvider(`${seed}-server`, NOW), groups: GROUPS },
    {
      verifier: verifierFor(chain),
      cipherSuites: [suite],
      groups: [group],
      signatureSchemes: [scheme],
      provider: testProvider(`${seed}-client`, NOW),
    },
  );
}

describe('TLS 1.3 in-memory pair: every suite × group × signature scheme', () => {
  const cases = SUITES.flatMap((suite) => GROUPS.flatMap((group) => SCHEMES.map((s) => ({ suite, group, ...s }))));
  it.each(cases.map((c) => ({ ...c, name: `suite ${hex4(c.suite)} group ${hex4(c.group)} scheme ${hex4(c.scheme)}` })))('$name', ({ suite, group, scheme, key }) => {
    const p = pairFor(suite, group, scheme, key);
    handshake(p);
    for (const c of [p.client, p.server]) {
      expect(c.protocol).toBe('TLSv1.3');
      expect(c.cipherSuite?.id).toBe(suite);
      expect(c.negotiated.group).toBe(group);
      expect(c.negotiated.helloRetry).toBeUndefined();
    }
    expect(p.client.negotiated.peerSignatureScheme).toBe(scheme);
    expect(p.client.peerVerification?.authorized).toBe(true);
    // Data both ways, checked.
    p.client.write(new TextEncoder().encode(`ping ${suite}`));
    drive(p.client, p.server);
    expect(new TextDecoder().decode(p.server.read()!)).toBe(`ping ${suite}`);
    p.server.write(new TextEncoder().encode('pong'));
    drive(p.client, p.server);
    expect(new TextDecoder().decode(p.client.read()!)).toBe('pong');
  });
});

describe('TLS 1.3 in-memory pair: features', () => {
  it('does a HelloRetryRequest when the client shares a group the server does not take', () => {
    const chain = chains.p256!;
    const p = makePair(
      { certificate: serverCert(chain), groups: [NamedGroup.secp384r1, NamedGroup.secp256r1] },
      { verifier: verifierFor(chain), groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
    );
    handshake(p);
    expect(p.client.negotiated.helloRetry).toBe(true);
    expect(p.server.negotiated.helloRetry).toBe(true);
    expect(p.client.negotiated.group).toBe(NamedGroup.secp256r1);
    p.client.write(new Uint8Array([1, 2, 3]));
    drive(p.client, p.server);
    expect(Array.from(p.server.read()!)).toEqual([1, 2, 3]);
  });

  it('fails with handshake_failure when no group is in common', () => {
    const chain = chains.p256!;
    const p = makePair(
      { certificate: serverCert(chain), groups: [NamedGroup.secp384r1] },
      { verifier: verifierFor(chain), groups: [NamedGroup.x25519] },
    );
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    expect((error as TlsError).code).toBe('ERR_TLS_HANDSHAKE_FAILURE');
    // The client is told why.
    const alert = p.server.takeOutgoing()!;
    expect(() => p.client.receive(alert)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_ALERT_RECEIVED', alert: 40 }));
  });

  it('negotiates ALPN (server preference) and reports it on both sides', () => {
    const chain = chains.ed25519!;
    const p = makePair(
      { certificate: serverCert(chain), alpnProtocols: ['h2', 'http/1.1'] },
      { verifier: verifierFor(chain), alpnProtocols: ['http/1.1', 'h2'] },
    );
    handshake(p);
    expect(p.client.alpnProtocol).toBe('h2');
    expect(p.server.alpnProtocol).toBe('h2');
  });

  it('fails with no_application_protocol when ALPN has nothing in common', () => {
    const chain = chains.ed25519!;
    const p = makePair(
      { certificate: serverCert(chain), alpnProtocols: ['h2'] },
      { verifier: verifierFor(chain), alpnProtocols: ['http/1.1'] },
    );
    p.client.doHandshake();
    const { error } = driveExpectingError(p.client, p.server);
    expect((error as TlsError).code).toBe('ERR_TLS_NO_APPLICATION_PROTOCOL');
    expect((error as TlsError).alert).toBe(120);
  });

  it('authenticates the client when the server asks (mutual TLS)', () => {
    const s = chains.p256!;
    const c = chains.rsa2048!;
    const p = makePair(
      { certificate: serverCert(s), requestCert: true, requireCert: true, verifier: verifierFor(c) },
      { certificate: serverCert(c), verifier: verifierFor(s) },
    );
    handshake(p);
    expect(p.server.peerVerification?.authorized).toBe(true);
    expect(p.server.peerCertificates.length).toBe(2);
    expect(p.server.negotiated.peerSignatureScheme).toBe(SignatureScheme.rsa_pss_rsae_sha256);
  });

  it('fails with certificate_required when a required client certificate is missing', () => {
    const s = chains.p256!;
    const p = makePair(
      { certificate: serverCert(s), requestCert: true, requireCert: true },
      { verifier: verifierFor(s) },
    );
    p.client.doHandshake();
    const { side, error } = driveExpectingError(p.client, p.server);
    expect(side).toBe('b');
    expect((error as TlsError).alert).toBe(116);
  });

  it('accepts a missing client certificate when it is requested but not required', () => {
    const s = chains.p256!;
    const p = makePair({ certificate: serverCert(s), requestCert: true }, { verifier: verifierFor(s) });
    handshake(p);
    expect(p.server.peerCertificates.length).toBe(0);
  });

  it('moves 1 MiB each way intact, in records of at most 16 KiB', () => {
    const chain = chains.ed25519!;
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
    handshake(p);
    const big = new Uint8Array(1 << 20);
    for (let i = 0; i < big.length; i += 4096) big.fill(i % 251, i, i + 4096);
    big[12345] = 7;
    p.client.write(big);
    const wire = p.client.takeOutgoing()!;
    // 64 full records: 5 header + 16384 data + 1 type + 16 tag each.
    expect(wire.length).toBe(64 * (5 + 16384 + 1 + 16));
    p.server.receive(wire);
    expect(p.server.read()).toEqual(big);
    p.server.write(big);
    drive(p.client, p.server);
    expect(p.client.read()).toEqual(big);
  });

  it('readChunks gives the data a record at a time, uncopied, and nothing twice', () => {
    const chain = chains.p256!;
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
    handshake(p);
    const big = new Uint8Array(40_000).map((_, i) => i % 253);
    p.client.write(big);
    p.client.write(new Uint8Array([1, 2, 3]));
    p.server.receive(p.client.takeOutgoing()!);
    const chunks = p.server.readChunks();
    expect(chunks.map((c) => c.length)).toEqual([16384, 16384, 40_000 - 2 * 16384, 3]);
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) joined.set(c, (o += c.length) - c.length);
    expect(joined.subarray(0, 40_000)).toEqual(big);
    expect(Array.from(joined.subarray(40_000))).toEqual([1, 2, 3]);
    expect(p.server.readChunks()).toEqual([]);
    expect(p.server.read()).toBeNull();
  });

  it('closes with close_notify, and the peer sees the close after the data', () => {
    const chain = chains.p256!;
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
    handshake(p);
    p.client.write(new Uint8Array([9, 9]));
    p.client.close();
    drive(p.client, p.server);
    expect(p.server.peerClosed).toBe(true);
    expect(Array.from(p.server.read()!)).toEqual([9, 9]);
    expect(() => p.client.write(new Uint8Array([1]))).toThrowError(expect.objectContaining({ code: 'ERR_TLS_CLOSED' }));
  });

  it('data written before the handshake is sent after it, and close waits for it', () => {
    const chain = chains.p256!;
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
    p.client.write(new Uint8Array([1, 2]));
    p.client.close();
    drive(p.client, p.server);
    expect(Array.from(p.server.read()!)).toEqual([1, 2]);
    expect(p.server.peerClosed).toBe(true);
  });

  it('rejects an untrusted server certificate with the verifier code, unless rejectUnauthorized is false', () => {
    const chain = chains.p256!;
    const other = chains.p384!;
    const bad = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(other) });
    bad.client.doHandshake();
    const { side, error } = driveExpectingError(bad.client, bad.server);
    expect(side).toBe('a');
    expect(error).toBeInstanceOf(TlsError);
    expect((error as TlsError).code).toMatch(/UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    const lax = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(other), rejectUnauthorized: false });
    handshake(lax);
    expect(lax.client.peerVerification?.authorized).toBe(false);
  });

  it('exports the same keying material on both sides (RFC 8446 §7.5)', () => {
    const chain = chains.p256!;
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
    handshake(p);
    const ctx = new Uint8Array([1, 2, 3]);
    const a = p.client.exportKeyingMaterial(32, 'EXPERIMENTAL puretls', ctx);
    expect(a).toEqual(p.server.exportKeyingMaterial(32, 'EXPERIMENTAL puretls', ctx));
    expect(a).not.toEqual(p.server.exportKeyingMaterial(32, 'EXPERIMENTAL other', ctx));
  });

  it('is deterministic: the same seeds give the same bytes on the wire', () => {
    const run = () => {
      const p = pairFor(CipherSuite.TLS_AES_128_GCM_SHA256, NamedGroup.x25519, SignatureScheme.ed25519, 'ed25519', 'det');
      p.client.doHandshake();
      const ch = p.client.takeOutgoing()!;
      p.server.receive(ch);
      return [ch, p.server.takeOutgoing()!];
    };
    const [a, b] = [run(), run()];
    expect(a[0]).toEqual(b[0]);
    expect(a[1]).toEqual(b[1]);
  });

  it('emits key log lines in NSS format on both sides, and they agree', () => {
    const chain = chains.p256!;
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) });
    const lines: Record<string, string[]> = { client: [], server: [] };
    p.client.on('keylog', (l) => lines.client!.push(l));
    p.server.on('keylog', (l) => lines.server!.push(l));
    handshake(p);
    const labels = lines.client!.map((l) => l.split(' ')[0]);
    expect(labels).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'SERVER_TRAFFIC_SECRET_0',
      'EXPORTER_SECRET',
    ]);
    expect(new Set(lines.server)).toEqual(new Set(lines.client));
    for (const l of lines.client!) expect(l).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/);
  });

  it('never sends an IP literal as SNI (RFC 6066 §3), and reports a DNS name on the server', () => {
    const chain = chains.p256!;
    for (const ip of ['127.0.0.1', '::1']) {
      const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain), rejectUnauthorized: false }, { serverName: ip });
      p.client.doHandshake();
      const ch = p.client.takeOutgoing()!;
      // server_name extension type 0x0000 with a host_name entry would carry the name bytes.
      expect(Buffer.from(ch).includes(Buffer.from(ip))).toBe(false);
      p.server.receive(ch);
      drive(p.client, p.server);
      expect(p.server.negotiated.serverName).toBeUndefined();
    }
    const named = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain) }, { serverName: 'localhost' });
    handshake(named);
    expect(named.server.negotiated.serverName).toBe('localhost');
    expect(named.client.negotiated.serverName).toBe('localhost');
  });
});
