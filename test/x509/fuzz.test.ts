/**
 * Seeded mutation fuzzing: parseCertificate (and parsePrivateKey) either
 * return or throw a TlsError; nothing else may escape. Failures print the
 * seed and iteration so they reproduce.
 */
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/common/errors.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { checkServerIdentity } from '../../src/x509/hostname.js';
import { parsePrivateKey } from '../../src/x509/keys.js';
import { pemDecode } from '../../src/x509/pem.js';
import { CertFactory, type Scenarios, makeScenarios, openssl } from '../helpers/certs.js';

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random mutation of `src` (bit flips, truncation, length bytes, insertions, deletions, splices). */
function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const b = src.slice();
  switch (int(7)) {
    case 0: {
      for (let k = 1 + int(4); k > 0; k--) b[int(b.length)]! ^= 1 << int(8);
      return b;
    }
    case 1:
      return b.subarray(0, int(b.length));
    case 2: {
      // A length octet: the byte after something that looks like a tag.
      const at = int(b.length - 1) + 1;
      b[at] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xff, b[at]! + 1, b[at]! - 1][int(11)]! & 0xff;
      return b;
    }
    case 3: {
      const at = int(b.length + 1);
      const ins = Uint8Array.from({ length: 1 + int(4) }, () => int(256));
      return Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
    }
    case 4: {
      const at = int(b.length);
      return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(8))]);
    }
    case 5: {
      // Copy a chunk over another place (shuffles structure).
      const chunk = src.subarray(int(b.length)).subarray(0, 1 + int(32));
      const to = int(b.length);
      b.set(chunk.subarray(0, b.length - to), to);
      return b;
    }
    default: {
      // Tag byte swap among the common universal tags.
      const tags = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x1e, 0x30, 0x31, 0xa0, 0xa3, 0x80, 0x82, 0x87];
      b[int(b.length)] = tags[int(tags.length)]!;
      return b;
    }
  }
}

function onlyTlsErrors(fn: () => void, where: string): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof TlsError)) throw new Error(`${where}: non-TlsError escaped: ${String(e)}`, { cause: e });
    return 'error';
  }
}

let f: CertFactory;
let s: Scenarios;
beforeAll(() => {
  f = new CertFactory();
  s = makeScenarios(f);
});
afterAll(() => f?.cleanup());

describe('fuzz', () => {
  it('5,000 mutated certificates: parse or ERR_X509_PARSE, nothing else', () => {
    const corpus = [
      s.chains.rsa.leaf.der,
      s.chains.ec.leaf.der,
      s.chains.ed25519.leaf.der,
      s.x.aia!.der,
      s.x.intNC!.der,
      s.x.pssLeaf!.der,
      s.x.p384leaf!.der,
      s.x.leafCritical!.der,
      ...rootCertificates.slice(0, 8).map((p) => pemDecode(p)[0]!.der),
    ];
    const seed = 0x5eed1234;
    const rand = rng(seed);
    let parsed = 0;
    for (let i = 0; i < 5000; i++) {
      const input = mutate(corpus[i % corpus.length]!, rand);
      const where = `seed ${seed.toString(16)} iteration ${i}`;
      const outcome = onlyTlsErrors(() => {
        const c = parseCertificate(input);
        c.toDetailed();
        checkServerIdentity('localhost', c);
      }, where);
      if (outcome === 'ok') parsed++;
      else {
        try {
          parseCertificate(input);
        } catch (e) {
          expect((e as TlsError).code, where).toBe('ERR_X509_PARSE');
        }
      }
    }
    // Some mutations (e.g. inside signatures or string contents) still parse.
    expect(parsed).toBeGreaterThan(50);
    expect(parsed).toBeLessThan(4000);
  });

  it('2,000 mutated private keys: parse or TlsError', () => {
    const keys = [
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-outform', 'DER']),
      openssl(['genpkey', '-algorithm', 'ED25519', '-outform', 'DER']),
      openssl(['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-outform', 'DER']),
      openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-outform', 'DER']),
    ].map((b) => new Uint8Array(b));
    const seed = 0xbadc0de;
    const rand = rng(seed);
    for (let i = 0; i < 2000; i++) {
      const input = mutate(keys[i % keys.length]!, rand);
      onlyTlsErrors(() => parsePrivateKey(input), `seed ${seed.toString(16)} iteration ${i}`);
    }
  });
});
