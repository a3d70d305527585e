/**
 * Bounds on what a peer's certificates can make us do: RSA keys refused at
 * parse (modulus > 8192 bits, e even, < 3 or >= 2^32), a 1024-bit floor on
 * keys used for verification, a cap on the peer's list and a signature-check
 * budget for path building. Work is shown by counting provider.verify calls,
 * never by timing. Certificates are built here by hand (DER encoders), signed
 * with node:crypto where a real signature matters.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { MAX_SIGNATURE_CHECKS, certErrors, verifyChain } from '../../src/x509/chain.js';
import { DefaultVerifier, LeafKeyVerifier, MAX_PEER_CERTIFICATES } from '../../src/x509/default-verifier.js';
import {
  Tag,
  derBitString,
  derBoolean,
  derEncode,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derUtf8String,
} from '../../src/x509/der.js';
import { parsePublicKeyInfo } from '../../src/x509/keys.js';
import { OID } from '../../src/x509/oids.js';
import type { VerifyContext } from '../../src/x509/verifier.js';

const noble = nobleProvider();
const E_HUGE = (1n << 64n) + 1n;
const N_16384 = (1n << 16383n) + 1n;

/** A provider whose verify is counted; `answer` replaces the real check when given. */
function spy(answer?: boolean): { provider: CryptoProvider; calls: () => number } {
  let calls = 0;
  const provider: CryptoProvider = {
    ...noble,
    verify: (key, alg, message, signature) => {
      calls++;
      return answer ?? noble.verify(key, alg, message, signature);
    },
  };
  return { provider, calls: () => calls };
}

function rsaSpki(n: bigint, e: bigint, oid: string = OID.rsaEncryption): Uint8Array {
  const alg = oid === OID.rsaEncryption ? derSequence(derOid(oid), derNull()) : derSequence(derOid(oid));
  return derSequence(alg, derBitString(derSequence(derInteger(n), derInteger(e))));
}

/** An Ed25519 SPKI with arbitrary key bytes (parsing does not check Ed25519 points). */
function fakeEd25519Spki(seed: number): Uint8Array {
  return derSequence(derSequence(derOid(OID.ed25519)), derBitString(new Uint8Array(32).fill(seed & 0xff)));
}

function expectTlsError(f: () => unknown, code: string, alert: number): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TlsError);
  expect((caught as TlsError).code).toBe(code);
  expect((caught as TlsError).alert).toBe(alert);
}

const BAD_CERTIFICATE = 42;

/** A server's list, no host name check. */
const ctx = (provider: CryptoProvider): VerifyContext => ({ provider, peerRole: 'server', serverName: undefined });

// ---------------------------------------------------------------- certificates by hand

interface CertSpec {
  readonly subject: string;
  readonly issuer: string;
  readonly spki: Uint8Array;
  readonly ca: boolean;
  /** The issuer's key: signs for real. Absent: a filler signature (for spy providers). */
  readonly signer?: nodeCrypto.KeyObject;
  /** The signature algorithm; default Ed25519. */
  readonly sig?: 'ed25519' | 'rsa-sha256';
}

let serial = 1n;
const cn = (s: string): Uint8Array => derSequence(derEncode(0x31, derSequence(derOid('2.5.4.3'), derUtf8String(s))));
const time = (s: string): Uint8Array => derEncode(Tag.GeneralizedTime, new TextEncoder().encode(s));

function cert(o: CertSpec): Uint8Array {
  const rsa = o.sig === 'rsa-sha256';
  const alg = rsa ? derSequence(derOid(OID.sha256WithRSAEncryption), derNull()) : derSequence(derOid(OID.ed25519));
  const bc = derSequence(derOid(OID.basicConstraints), derBoolean(true), derOctetString(derSequence(...(o.ca ? [derBoolean(true)] : []))));
  const tbs = derSequence(
    derEncode(0xa0, derInteger(2n)),
    derInteger(serial++),
    alg,
    cn(o.issuer),
    derSequence(time('20250101000000Z'), time('20491231235959Z')),
    cn(o.subject),
    o.spki,
    derEncode(0xa3, derSequence(bc)),
  );
  const sig = o.signer ? nodeCrypto.sign(rsa ? 'sha256' : null, tbs, o.signer) : new Uint8Array(rsa ? 256 : 64).fill(7);
  return derSequence(tbs, alg, derBitString(sig));
}

const spkiOf = (k: nodeCrypto.KeyObject): Uint8Array => new Uint8Array(k.export({ type: 'spki', format: 'der' }));

// ---------------------------------------------------------------- SPKI

describe('RSA SubjectPublicKeyInfo bounds', () => {
  it('a 16384-bit modulus with e = 2^64+1 is refused at parse: ERR_X509_PARSE (bad_certificate)', () => {
    for (const oid of [OID.rsaEncryption, OID.rsassaPss]) {
      expectTlsError(() => parsePublicKeyInfo(rsaSpki(N_16384, E_HUGE, oid)), 'ERR_X509_PARSE', BAD_CERTIFICATE);
      expectTlsError(() => parsePublicKeyInfo(rsaSpki(N_16384, 65537n, oid)), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    }
    expect(() => parsePublicKeyInfo(rsaSpki(N_16384, E_HUGE))).toThrow(/16384 bits, more than 8192/);
    expectTlsError(() => parsePublicKeyInfo(rsaSpki((1n << 8192n) + 1n, 65537n)), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    // A 2^(8*4096)-sized exponent is refused by its encoded size.
    expectTlsError(() => parsePublicKeyInfo(rsaSpki((1n << 2047n) + 1n, (1n << 32768n) + 1n)), 'ERR_X509_PARSE', BAD_CERTIFICATE);
  });

  it('8192 bits parse: bits are counted from the value (the DER sign byte 0x00 does not count)', () => {
    const n = (1n << 8191n) + 1n; // top bit set: DER adds a 0x00, 1025 content bytes
    expect(parsePublicKeyInfo(rsaSpki(n, 65537n))).toEqual({ type: 'rsa', n, e: 65537n });
    expectTlsError(() => parsePublicKeyInfo(rsaSpki(n << 1n | 1n, 65537n)), 'ERR_X509_PARSE', BAD_CERTIFICATE);
  });

  it('exponents: 1, 2, even, 2^32, 2^32+1 and 2^64+1 refused; 3, 65537 and 2^32-1 accepted', () => {
    const n = (1n << 2047n) + 12345n * 2n + 1n;
    for (const e of [1n, 2n, 4n, 65536n, 1n << 32n, (1n << 32n) + 1n, E_HUGE]) {
      expectTlsError(() => parsePublicKeyInfo(rsaSpki(n, e)), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    }
    for (const e of [3n, 65537n, (1n << 32n) - 1n]) expect(parsePublicKeyInfo(rsaSpki(n, e))).toEqual({ type: 'rsa', n, e });
  });
});

// ---------------------------------------------------------------- certificates and chains

describe('certificates with out-of-bounds RSA keys', () => {
  const rootKey = nodeCrypto.generateKeyPairSync('ed25519');
  const root = cert({ subject: 'Bounds Root', issuer: 'Bounds Root', spki: spkiOf(rootKey.publicKey), ca: true, signer: rootKey.privateKey });
  const hostileInt = cert({ subject: 'Hostile CA', issuer: 'Bounds Root', spki: rsaSpki(N_16384, E_HUGE), ca: true, signer: rootKey.privateKey });
  const leafUnderHostile = cert({ subject: 'leaf', issuer: 'Hostile CA', spki: fakeEd25519Spki(1), ca: false, sig: 'rsa-sha256' });

  it('an intermediate with a 16384-bit key and e = 2^64+1 fails the list at parse; no signature is checked', () => {
    expectTlsError(() => parseCertificate(hostileInt), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    const s = spy(false);
    const v = new DefaultVerifier({ ca: [root] });
    expectTlsError(() => v.verify([leafUnderHostile, hostileInt], ctx(s.provider)), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    expect(s.calls()).toBe(0);
  });

  it('the same key as leaf or as trust anchor is refused too', () => {
    const s = spy(false);
    const hostileLeaf = cert({ subject: 'leaf', issuer: 'Bounds Root', spki: rsaSpki(N_16384, E_HUGE), ca: false, signer: rootKey.privateKey });
    const cx = ctx(s.provider);
    expectTlsError(() => new DefaultVerifier({ ca: [root] }).verify([hostileLeaf], cx), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    expectTlsError(() => new LeafKeyVerifier().verify([hostileLeaf], cx), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    const hostileRoot = cert({ subject: 'Hostile CA', issuer: 'Hostile CA', spki: rsaSpki(N_16384, E_HUGE), ca: true });
    expectTlsError(() => new DefaultVerifier({ ca: [hostileRoot] }), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    expect(s.calls()).toBe(0);
  });

  it('a leaf RSA key under 1024 bits parses but is refused for TLS: ERR_TLS_BAD_CERTIFICATE, verified or not', () => {
    const small = cert({ subject: 'leaf', issuer: 'Bounds Root', spki: rsaSpki((1n << 1022n) + 1n, 65537n), ca: false, signer: rootKey.privateKey });
    expect(parseCertificate(small).publicKey).toMatchObject({ type: 'rsa', e: 65537n });
    const cx = ctx(noble);
    expectTlsError(() => new LeafKeyVerifier().verify([small], cx), 'ERR_TLS_BAD_CERTIFICATE', BAD_CERTIFICATE);
    expectTlsError(() => new DefaultVerifier({ ca: [root] }).verify([small], cx), 'ERR_TLS_BAD_CERTIFICATE', BAD_CERTIFICATE);
    const ok = cert({ subject: 'leaf', issuer: 'Bounds Root', spki: rsaSpki((1n << 1023n) + 1n, 65537n), ca: false, signer: rootKey.privateKey });
    expect(new DefaultVerifier({ ca: [root] }).verify([ok], cx).authorized).toBe(true);
  });

  it('an intermediate with a 512-bit key cannot sign (CERT_SIGNATURE_FAILURE); with 1024 bits the same chain validates', () => {
    const run = (bits: number): { code: string | undefined; depth: string | undefined } => {
      const k = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: bits });
      const int = cert({ subject: `RSA ${bits} CA`, issuer: 'Bounds Root', spki: spkiOf(k.publicKey), ca: true, signer: rootKey.privateKey });
      const leaf = cert({ subject: 'leaf', issuer: `RSA ${bits} CA`, spki: fakeEd25519Spki(2), ca: false, signer: k.privateKey, sig: 'rsa-sha256' });
      const r = new DefaultVerifier({ ca: [root] }).verify([leaf, int], ctx(noble));
      return { code: r.error?.code, depth: /depth (\d)/.exec(r.error?.message ?? '')?.[1] };
    };
    expect(run(512)).toEqual({ code: 'CERT_SIGNATURE_FAILURE', depth: '0' });
    expect(run(1024)).toEqual({ code: undefined, depth: undefined });
  });
});

// ---------------------------------------------------------------- work bounds

/**
 * `branches` look-alike issuers of the leaf ("Look-alike CA"), each heading
 * its own chain of `depth` - 1 further certificates that ends nowhere: every
 * branch is a separate path whose signatures are all new to the cache.
 */
function hostileList(branches: number, depth: number): { leaf: Uint8Array; list: Uint8Array[] } {
  const list: Uint8Array[] = [];
  for (let b = 0; b < branches; b++) {
    for (let level = 1; level <= depth; level++) {
      const subject = level === 1 ? 'Look-alike CA' : `Branch ${b} level ${level}`;
      list.push(cert({ subject, issuer: `Branch ${b} level ${level + 1}`, spki: fakeEd25519Spki(b * 64 + level), ca: true }));
    }
  }
  const leaf = cert({ subject: 'leaf', issuer: 'Look-alike CA', spki: fakeEd25519Spki(255), ca: false });
  return { leaf, list };
}

describe('signature-check budget', () => {
  const anchor = parseCertificate(cert({ subject: 'Real Root', issuer: 'Real Root', spki: fakeEd25519Spki(254), ca: true }));

  it(`look-alike issuers heading separate chains: path building stops at ${MAX_SIGNATURE_CHECKS} checks with CERT_CHAIN_TOO_LONG`, () => {
    const { leaf, list } = hostileList(12, 10); // 12 paths x 10 new signatures = 120 checks unbounded
    const s = spy(false);
    const r = verifyChain(parseCertificate(leaf), list.map((d) => parseCertificate(d)), {
      provider: s.provider,
      anchors: [anchor],
      peerRole: 'server',
    });
    expect(MAX_SIGNATURE_CHECKS).toBe(100);
    expect(s.calls()).toBe(MAX_SIGNATURE_CHECKS);
    expect(r.error?.code).toBe('CERT_CHAIN_TOO_LONG');
    expect(r.error?.alert).toBe(certErrors.CERT_CHAIN_TOO_LONG.alert);
    expect(r.error?.message).toMatch(/gave up after 100 signature checks/);
  });

  it('the budget holds through DefaultVerifier when maxDepth lets a long list in', () => {
    const { leaf, list } = hostileList(3, 40); // 3 paths x 40 new signatures = 120 checks unbounded
    const s = spy(false);
    const v = new DefaultVerifier({ ca: [anchor.raw], maxDepth: 200 });
    const r = v.verify([leaf, ...list], ctx(s.provider));
    expect(s.calls()).toBe(MAX_SIGNATURE_CHECKS);
    expect(r.authorized).toBe(false);
    expect(r.error?.code).toBe('CERT_CHAIN_TOO_LONG');
  });

  it(`a peer list longer than ${MAX_PEER_CERTIFICATES} is refused before anything in it is parsed`, () => {
    const junk = (n: number): Uint8Array[] => Array.from({ length: n }, () => Uint8Array.of(0x30, 0x00));
    const cx = ctx(noble);
    const v = new DefaultVerifier({ ca: [anchor.raw] });
    // Junk would be ERR_X509_PARSE if it were parsed: the length check comes first.
    expectTlsError(() => v.verify(junk(MAX_PEER_CERTIFICATES + 1), cx), 'ERR_TLS_BAD_CERTIFICATE', BAD_CERTIFICATE);
    expectTlsError(() => new LeafKeyVerifier().verify(junk(MAX_PEER_CERTIFICATES + 1), cx), 'ERR_TLS_BAD_CERTIFICATE', BAD_CERTIFICATE);
    expectTlsError(() => v.verify(junk(MAX_PEER_CERTIFICATES), cx), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    // The cap grows with maxDepth (leaf + maxDepth intermediates + anchor).
    const deep = new DefaultVerifier({ ca: [anchor.raw], maxDepth: 40 });
    expectTlsError(() => deep.verify(junk(42), cx), 'ERR_X509_PARSE', BAD_CERTIFICATE);
    expectTlsError(() => deep.verify(junk(43), cx), 'ERR_TLS_BAD_CERTIFICATE', BAD_CERTIFICATE);
  });
});
