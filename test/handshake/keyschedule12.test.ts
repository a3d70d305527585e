/**
 * The TLS 1.2 key schedule (src/crypto/prf12.ts, src/handshake/keyschedule12.ts).
 *
 * Oracles, none of them the code under test:
 * - the TLS 1.2 PRF vectors posted to the IETF TLS list (Joseph Birr-Pixton,
 *   msg03416; the same bytes are in GnuTLS's tests/tls12-prf.c) and
 *   reproduced with `openssl kdf -kdfopt digest:SHA256|SHA384 ... TLS1-PRF`;
 * - P_hash written out literally from RFC 5246 §5 over node:crypto's HMAC,
 *   on random inputs;
 * - real TLS 1.2 handshakes between two node:tls (OpenSSL) sockets: the
 *   master secret from the key log, the randoms and transcript from the
 *   recorded bytes, Finished and exporter outputs from node's API, and the
 *   protected records themselves.
 */
import { createHmac, createPrivateKey, constants as cc, privateDecrypt } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../src/common/bytes.js';
import { TlsError } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { prf12 } from '../../src/crypto/prf12.js';
import { hashLength, type CryptoProvider, type HashAlgorithm } from '../../src/crypto/provider.js';
import { SUITES, suiteByName, type SuiteInfo } from '../../src/crypto/suites.js';
import {
  KeySchedule12,
  MASTER_SECRET_LENGTH,
  exportKeyingMaterial12,
  extendedMasterSecret12,
  finishedVerifyData12,
  keyBlock12,
  masterSecret12,
  wipeKeyBlock12,
  type Randoms12,
} from '../../src/handshake/keyschedule12.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import { fcRuns } from '../helpers/fc.js';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import {
  plaintextHandshake,
  protectedRecords,
  serverHelloExtensions,
  tls12Handshake,
  until,
  type HandshakeMsg,
  type Tls12Capture,
} from './node-tls12.js';

const provider = nobleProvider();
const TLS12 = SUITES.filter((s) => s.version === '1.2');
const HASHES = ['sha256', 'sha384'] as const;
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** RFC 5246 §5, word for word: A(0) = seed, A(i) = HMAC(secret, A(i-1)), output HMAC(secret, A(i) + seed)... */
function literalPHash(hash: HashAlgorithm, secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const hmac = (k: Uint8Array, d: Uint8Array): Uint8Array => createHmac(hash, k).update(d).digest();
  let a = seed;
  let out: Uint8Array = new Uint8Array(0);
  while (out.length < length) {
    a = hmac(secret, a);
    out = concat(out, hmac(secret, concat(a, seed)));
  }
  return out.slice(0, length);
}
/** PRF(secret, label, seed) = P_<hash>(secret, label + seed). */
const literalPrf = (hash: HashAlgorithm, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array =>
  literalPHash(hash, secret, concat(ascii(label), seed), length);

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
const randomsArb: fc.Arbitrary<Randoms12> = fc.record({ clientRandom: bytes(32, 32), serverRandom: bytes(32, 32) });

function randomBytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 73 + seed * 31 + 7) & 0xff);
}

// ---------------------------------------------------------------------------- PRF

describe('prf12 (RFC 5246 §5)', () => {
  it('gives the published P_SHA256 vector (100 bytes)', () => {
    const secret = fromHex('9bbe436ba940f017b17652849a71db35');
    const out = prf12(provider, 'sha256', secret, 'test label', fromHex('a0ba9f936cda311827a6f796ffd5198c'), 100);
    expect(toHex(out)).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a' +
        '6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
        '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701' +
        '87347b66',
    );
  });

  it('gives the published P_SHA384 vector (148 bytes)', () => {
    const secret = fromHex('b80b733d6ceefcdc71566ea48e5567df');
    const out = prf12(provider, 'sha384', secret, 'test label', fromHex('cd665cf6a8447dd6ff8b27555edb7465'), 148);
    expect(toHex(out)).toBe(
      '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd' +
        'e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd' +
        '8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425' +
        '9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6' +
        '91c8f3a26854308d5eaa3be85e0990703d73e56f',
    );
  });

  it.each(HASHES)('matches P_hash written from the RFC (node:crypto HMAC) for lengths 0..200, %s', (hash) => {
    fc.assert(
      fc.property(
        bytes(0, 100),
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
        bytes(0, 100),
        fc.integer({ min: 0, max: 200 }),
        (secret, label, seed, length) => {
          expect(toHex(prf12(provider, hash, secret, label, seed, length))).toBe(toHex(literalPrf(hash, secret, label, seed, length)));
        },
      ),
      fcRuns(300),
    );
  });

  it('covers every length 0..200 exactly once per hash (block edges included)', () => {
    const secret = randomBytes(48, 1);
    const seed = randomBytes(64, 2);
    for (const hash of HASHES) {
      const full = literalPrf(hash, secret, 'key expansion', seed, 200);
      for (let n = 0; n <= 200; n++) expect(toHex(prf12(provider, hash, secret, 'key expansion', seed, n))).toBe(toHex(full.subarray(0, n)));
    }
  });

  it('treats seed parts as their concatenation', () => {
    fc.assert(
      fc.property(fc.array(bytes(0, 40), { maxLength: 5 }), fc.integer({ min: 0, max: 120 }), (parts, length) => {
        const secret = randomBytes(20, parts.length);
        expect(prf12(provider, 'sha256', secret, 'x', parts, length)).toEqual(prf12(provider, 'sha256', secret, 'x', concat(...parts), length));
      }),
      fcRuns(100),
    );
  });

  it('costs two provider HMACs per output block, each over hashLen + |label + seed| bytes at most (linear)', () => {
    for (const hash of HASHES) {
      const calls: number[] = [];
      const counting: CryptoProvider = {
        ...provider,
        hmac: (h, k, d) => {
          calls.push(d.length);
          return provider.hmac(h, k, d);
        },
      };
      const hLen = hashLength[hash];
      const seed = randomBytes(64, 3);
      const length = 10_000;
      prf12(counting, hash, randomBytes(48, 4), 'key expansion', seed, length);
      const blocks = Math.ceil(length / hLen);
      // A(1) .. A(blocks) and one output HMAC per block.
      expect(calls.length).toBe(2 * blocks);
      expect(Math.max(...calls)).toBeLessThanOrEqual(hLen + 'key expansion'.length + seed.length);
    }
  });

  it('checks its arguments', () => {
    const s = new Uint8Array(4);
    expect(() => prf12(provider, 'md5' as HashAlgorithm, s, 'l', s, 1)).toThrow(TypeError);
    expect(() => prf12(provider, 'sha256', [1, 2] as unknown as Uint8Array, 'l', s, 1)).toThrow(TypeError);
    expect(() => prf12(provider, 'sha256', s, 1 as unknown as string, s, 1)).toThrow(TypeError);
    expect(() => prf12(provider, 'sha256', s, 'l', [s, 'x' as unknown as Uint8Array], 1)).toThrow(TypeError);
    expect(() => prf12(provider, 'sha256', s, 'l\u00e9', s, 1)).toThrow(RangeError);
    expect(() => prf12(provider, 'sha256', s, 'l', s, -1)).toThrow(RangeError);
    expect(() => prf12(provider, 'sha256', s, 'l', s, 1.5)).toThrow(RangeError);
    expect(prf12(provider, 'sha256', s, 'l', s, 0)).toEqual(new Uint8Array(0));
  });
});

// ---------------------------------------------------------------------------- formulas

describe('the key schedule against the RFC formulas', () => {
  it('master secret: RFC 5246 §8.1 and RFC 7627 §4', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), bytes(1, 100), randomsArb, (hash, pms, r) => {
        const classic = masterSecret12(provider, hash, pms, r);
        expect(classic).toEqual(literalPrf(hash, pms, 'master secret', concat(r.clientRandom, r.serverRandom), 48));
        const sessionHash = randomBytes(hashLength[hash], pms.length);
        const ems = extendedMasterSecret12(provider, hash, pms, sessionHash);
        expect(ems).toEqual(literalPrf(hash, pms, 'extended master secret', sessionHash, 48));
      }),
      fcRuns(50),
    );
  });

  it.each(TLS12)('key block of $name: RFC 5246 §6.3 order, AEAD key and fixed IV lengths', (suite) => {
    fc.assert(
      fc.property(bytes(48, 48), randomsArb, (master, r) => {
        const kb = keyBlock12(provider, suite, master, r);
        const ivLength = suite.aead === 'CHACHA20-POLY1305' ? 12 : 4; // RFC 7905 §2, RFC 5288 §3
        const keyLength = suite.aead === 'AES-128-GCM' ? 16 : 32;
        const block = literalPrf(suite.hash, master, 'key expansion', concat(r.serverRandom, r.clientRandom), 2 * (keyLength + ivLength));
        const k = keyLength;
        expect(kb.client.key).toEqual(block.subarray(0, k));
        expect(kb.server.key).toEqual(block.subarray(k, 2 * k));
        expect(kb.client.iv).toEqual(block.subarray(2 * k, 2 * k + ivLength));
        expect(kb.server.iv).toEqual(block.subarray(2 * k + ivLength));
        // Ready for setPending12 as they are.
        SendProtection.plaintext().setPending12(provider, suite, kb.client.key, kb.client.iv);
        ReceiveProtection.plaintext().setPending12(provider, suite, kb.server.key, kb.server.iv);
        wipeKeyBlock12(kb);
        expect([kb.client.key, kb.client.iv, kb.server.key, kb.server.iv].every((b) => b.every((x) => x === 0))).toBe(true);
      }),
      fcRuns(20),
    );
  });

  it('Finished verify_data: RFC 5246 §7.4.9', () => {
    for (const hash of HASHES) {
      const master = randomBytes(48, 5);
      const th = randomBytes(hashLength[hash], 6);
      for (const sender of ['client', 'server'] as const) {
        expect(finishedVerifyData12(provider, hash, master, sender, th)).toEqual(literalPrf(hash, master, `${sender} finished`, th, 12));
      }
    }
  });

  it('exporter: RFC 5705 §4, with no context, an empty context and a context', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        bytes(48, 48),
        randomsArb,
        fc.option(bytes(0, 300), { nil: undefined }),
        fc.integer({ min: 0, max: 150 }),
        (hash, m, r, ctx, n) => {
          const randoms = concat(r.clientRandom, r.serverRandom);
          const seed = ctx === undefined ? randoms : concat(randoms, Uint8Array.of(ctx.length >> 8, ctx.length & 0xff), ctx);
          const ours = exportKeyingMaterial12(provider, hash, m, r, 'EXPERIMENTAL x', ctx, n);
          expect(ours).toEqual(literalPrf(hash, m, 'EXPERIMENTAL x', seed, n));
        },
      ),
      fcRuns(100),
    );
    const m = randomBytes(48, 7);
    const r = { clientRandom: randomBytes(32, 8), serverRandom: randomBytes(32, 9) };
    const noContext = exportKeyingMaterial12(provider, 'sha256', m, r, 'L', undefined, 32);
    expect(noContext).not.toEqual(exportKeyingMaterial12(provider, 'sha256', m, r, 'L', new Uint8Array(0), 32));
    expect(exportKeyingMaterial12(provider, 'sha256', m, r, 'L', new Uint8Array(0xffff), 8)).toHaveLength(8);
    expect(() => exportKeyingMaterial12(provider, 'sha256', m, r, 'L', new Uint8Array(0x10000), 8)).toThrow(RangeError);
  });

  it('the exporter refuses the labels TLS uses (RFC 5705 §4, RFC 7627 §7), and labels that start with them', () => {
    const m = randomBytes(48, 7);
    const r = { clientRandom: randomBytes(32, 8), serverRandom: randomBytes(32, 9) };
    for (const label of ['client finished', 'server finished', 'master secret', 'extended master secret', 'key expansion', 'key expansion2']) {
      expect(() => exportKeyingMaterial12(provider, 'sha256', m, r, label, undefined, 16)).toThrow(RangeError);
    }
    for (const label of ['', 'EXPERIMENTAL-foo', 'EXTRACTOR-dtls_srtp', 'key expansio', 'client  finished']) {
      expect(exportKeyingMaterial12(provider, 'sha256', m, r, label, undefined, 16)).toHaveLength(16);
    }
    expect(() => exportKeyingMaterial12(provider, 'sha256', m, r, 'caf\u00e9', undefined, 16)).toThrow(RangeError);
    expect(() => exportKeyingMaterial12(provider, 'sha256', m, r, 'a\nb', undefined, 16)).toThrow(RangeError);
    expect(() => exportKeyingMaterial12(provider, 'sha256', m, r, 'L', [1] as unknown as Uint8Array, 16)).toThrow(TypeError);
    expect(() => exportKeyingMaterial12(provider, 'sha256', m, r, 'L', undefined, -1)).toThrow(RangeError);
  });

  it('checks lengths and suites', () => {
    const r = { clientRandom: randomBytes(32, 1), serverRandom: randomBytes(32, 2) };
    const suite = TLS12[0]!;
    const tls13 = SUITES.find((s) => s.version === '1.3')!;
    expect(() => masterSecret12(provider, 'sha256', new Uint8Array(0), r)).toThrow(RangeError);
    expect(() => masterSecret12(provider, 'sha256', new Uint8Array(32), { ...r, serverRandom: new Uint8Array(31) })).toThrow(RangeError);
    const notBytes = 'x' as unknown as Uint8Array;
    expect(() => masterSecret12(provider, 'sha256', new Uint8Array(32), { ...r, clientRandom: notBytes })).toThrow(TypeError);
    expect(() => extendedMasterSecret12(provider, 'sha384', new Uint8Array(32), new Uint8Array(32))).toThrow(RangeError);
    expect(() => keyBlock12(provider, tls13, new Uint8Array(48), r)).toThrow(RangeError);
    expect(() => keyBlock12(provider, suite, new Uint8Array(47), r)).toThrow(RangeError);
    expect(() => finishedVerifyData12(provider, 'sha256', new Uint8Array(48), 'client', new Uint8Array(48))).toThrow(RangeError);
    expect(() => finishedVerifyData12(provider, 'sha256', new Uint8Array(48), 'both' as 'client', new Uint8Array(32))).toThrow(RangeError);
    expect(() => KeySchedule12.fromPreMaster(provider, tls13, new Uint8Array(32), r)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------- KeySchedule12

describe('KeySchedule12', () => {
  const suite = suiteByName('ECDHE-RSA-AES256-GCM-SHA384')!;
  const r = { clientRandom: randomBytes(32, 10), serverRandom: randomBytes(32, 11) };

  it('derives what the functions derive, from a pre-master secret or a resumed master secret', () => {
    const pms = randomBytes(32, 12);
    const sh = randomBytes(48, 13);
    const classic = KeySchedule12.fromPreMaster(provider, suite, pms, r);
    const ems = KeySchedule12.fromPreMaster(provider, suite, pms, r, sh);
    expect(classic.extendedMasterSecret).toBe(false);
    expect(ems.extendedMasterSecret).toBe(true);
    expect(classic.masterSecret).toEqual(masterSecret12(provider, 'sha384', pms, r));
    expect(ems.masterSecret).toEqual(extendedMasterSecret12(provider, 'sha384', pms, sh));
    expect(pms).toEqual(randomBytes(32, 12)); // the pre-master secret is the caller's
    const resumed = KeySchedule12.fromMaster(provider, suite, ems.masterSecret, r, true);
    expect(resumed.keyBlock()).toEqual(ems.keyBlock());
    const m = ems.masterSecret;
    expect(resumed.finishedVerifyData('server', sh)).toEqual(finishedVerifyData12(provider, 'sha384', m, 'server', sh));
    expect(resumed.exportKeyingMaterial('EXPERIMENTAL', undefined, 20)).toEqual(
      exportKeyingMaterial12(provider, 'sha384', m, r, 'EXPERIMENTAL', undefined, 20),
    );
  });

  it('copies its inputs and hands out copies', () => {
    const master = randomBytes(48, 14);
    const cr = r.clientRandom.slice();
    const ks = KeySchedule12.fromMaster(provider, suite, master, { clientRandom: cr, serverRandom: r.serverRandom }, false);
    const before = ks.keyBlock();
    master.fill(0);
    cr.fill(0);
    ks.masterSecret.fill(0);
    ks.keylogEntry().secret.fill(0);
    ks.clientRandom.fill(0);
    expect(ks.keyBlock()).toEqual(before);
    expect(ks.keylogEntry()).toEqual({ label: 'CLIENT_RANDOM', secret: randomBytes(48, 14) });
  });

  it('wipe() overwrites the master secret and refuses every later use', () => {
    const ks = KeySchedule12.fromMaster(provider, suite, randomBytes(48, 15), r, false);
    ks.wipe();
    const uses = [
      () => ks.masterSecret,
      () => ks.keyBlock(),
      () => ks.keylogEntry(),
      () => ks.finishedVerifyData('client', new Uint8Array(48)),
      () => ks.exportKeyingMaterial('x', undefined, 1),
    ];
    for (const use of uses) {
      expect(use).toThrow(TlsError);
    }
  });
});

// ---------------------------------------------------------------------------- node:tls

let rsa: CertInfo;
let ec: CertInfo;
beforeAll(async () => {
  [rsa, ec] = await Promise.all([makeCert({ keyType: 'rsa2048' }), makeCert({ keyType: 'p256' })]);
});
/** Every observed connection, destroyed when the file is done. */
const live: Tls12Capture[] = [];
afterAll(() => {
  for (const c of live) {
    c.client.destroy();
    c.server.destroy();
  }
});

interface Observed {
  cap: Tls12Capture;
  randoms: Randoms12;
  master: Uint8Array;
  clientHs: HandshakeMsg[];
  serverHs: HandshakeMsg[];
  ems: boolean;
}

async function observe(cipher: string, cert: CertInfo, noExtendedMasterSecret = false): Promise<Observed> {
  const cap = await tls12Handshake({ cert: cert.certPem, key: cert.keyPem, cipher, noExtendedMasterSecret });
  live.push(cap);
  const clientHs = plaintextHandshake(cap.fromClient());
  const serverHs = plaintextHandshake(cap.fromServer());
  expect(clientHs[0]!.type).toBe(1); // ClientHello
  expect(serverHs[0]!.type).toBe(2); // ServerHello
  // RFC 5246 §7.4.1.2/§7.4.1.3: the random follows the 2-byte version in both hellos.
  const randoms = { clientRandom: clientHs[0]!.body.slice(2, 34), serverRandom: serverHs[0]!.body.slice(2, 34) };
  const line = cap.keylog.find((l) => l.startsWith('CLIENT_RANDOM '));
  expect(line).toBeDefined();
  const [, cr, ms] = line!.split(' ');
  expect(cr).toBe(toHex(randoms.clientRandom));
  const ems = serverHelloExtensions(serverHs[0]!.body).includes(23);
  expect(ems).toBe(!noExtendedMasterSecret);
  return { cap, randoms, master: fromHex(ms!), clientHs, serverHs, ems };
}

/** Hash of handshake messages (RFC 5246 §7.4.9: every message from ClientHello, not HelloRequest or CCS). */
function transcriptHash(hash: HashAlgorithm, msgs: readonly Uint8Array[]): Uint8Array {
  const h = provider.hash(hash);
  for (const m of msgs) h.update(m);
  return h.digest();
}

/** Our suite entry for a TLS_RSA_* cipher node negotiates: the ECDHE suite with the same AEAD and hash (same key block). */
const sameRecordSuite = (openssl: string): SuiteInfo => suiteByName(`ECDHE-RSA-${openssl}`)!;

describe('against real TLS 1.2 handshakes of node:tls (OpenSSL)', () => {
  describe.each(TLS12)('$opensslName', (suite) => {
    let o: Observed;
    let ks: KeySchedule12;
    beforeAll(async () => {
      o = await observe(suite.opensslName, suite.auth === 'RSA' ? rsa : ec);
      ks = KeySchedule12.fromMaster(provider, suite, o.master, o.randoms, o.ems);
    });
    afterAll(() => ks?.wipe());

    it('the key log entry is the line OpenSSL writes', () => {
      const e = ks.keylogEntry();
      expect(`${e.label} ${toHex(o.randoms.clientRandom)} ${toHex(e.secret)}`).toBe(o.cap.keylog.find((l) => l.startsWith('CLIENT_RANDOM'))!);
      expect(e.secret).toHaveLength(MASTER_SECRET_LENGTH);
    });

    it('exporter output equals exportKeyingMaterial (no context, empty context, a context; several lengths)', () => {
      const cases: [number, string, Uint8Array | undefined][] = [
        [32, 'EXPERIMENTAL puretls', undefined],
        [32, 'EXPERIMENTAL puretls', new Uint8Array(0)],
        [1, 'EXTRACTOR-dtls_srtp', Uint8Array.of(1, 2, 3)],
        [100, 'EXPERIMENTAL puretls', randomBytes(300, 1)],
        [200, 'x', undefined],
      ];
      for (const [n, label, ctx] of cases) {
        const theirs = nodeExport(o.cap.client, n, label, ctx);
        expect(toHex(ks.exportKeyingMaterial(label, ctx, n))).toBe(theirs);
        expect(nodeExport(o.cap.server, n, label, ctx)).toBe(theirs);
      }
    });

    it('Finished verify_data equals getFinished / getPeerFinished over the recorded transcript', () => {
      // Order on the wire: ClientHello; ServerHello..ServerHelloDone; ClientKeyExchange;
      // client Finished; then the server's NewSessionTicket (RFC 5077 §3.3: hashed), server Finished.
      const shd = o.serverHs.findIndex((m) => m.type === 14);
      const serverFirst = o.serverHs.slice(0, shd + 1).map((m) => m.bytes);
      const serverLater = o.serverHs.slice(shd + 1).map((m) => m.bytes);
      const clientMsgs = o.clientHs.map((m) => m.bytes);
      expect(o.clientHs.map((m) => m.type)).toEqual([1, 16]);
      const toCke = [clientMsgs[0]!, ...serverFirst, clientMsgs[1]!];
      const clientVd = ks.finishedVerifyData('client', transcriptHash(suite.hash, toCke));
      expect(toHex(clientVd)).toBe(o.cap.client.getFinished()!.toString('hex'));
      const clientFinished = concat(Uint8Array.of(20, 0, 0, 12), clientVd);
      const serverVd = ks.finishedVerifyData('server', transcriptHash(suite.hash, [...toCke, clientFinished, ...serverLater]));
      expect(toHex(serverVd)).toBe(o.cap.client.getPeerFinished()!.toString('hex'));
    });

    it('our key block opens both directions’ protected records, and the client reads a record we seal', async () => {
      const kb = ks.keyBlock();
      // The client's Finished (sequence 0) and its application data (sequence 1).
      o.cap.client.write('hello from the node client');
      await until(() => o.cap.serverRead.length > 0);
      const rx = ReceiveProtection.tls12(provider, suite, kb.client.key, kb.client.iv);
      const [fin, app] = protectedRecords(o.cap.fromClient());
      const f = rx.open(parseRecord(fin!.bytes));
      expect(f.type).toBe(22);
      expect(toHex(f.data)).toBe('1400000c' + o.cap.client.getFinished()!.toString('hex'));
      const a = rx.open(parseRecord(app!.bytes));
      expect(a.type).toBe(23);
      expect(Buffer.from(a.data).toString()).toBe('hello from the node client');

      // The server's Finished (sequence 0), opened with the server-direction keys.
      const rxs = ReceiveProtection.tls12(provider, suite, kb.server.key, kb.server.iv);
      const sf = rxs.open(parseRecord(protectedRecords(o.cap.fromServer())[0]!.bytes));
      expect(toHex(sf.data)).toBe('1400000c' + o.cap.client.getPeerFinished()!.toString('hex'));

      // Our SendProtection, armed as the connection will arm it, seals the server's record
      // with sequence 1 (its Finished had 0); node's client decrypts it.
      const tx = SendProtection.plaintext();
      tx.setPending12(provider, suite, kb.server.key, kb.server.iv);
      tx.changeCipherSpec12();
      tx.seal(22, Uint8Array.of(20, 0, 0, 12, ...new Uint8Array(12))); // stands in for the Finished at sequence 0
      wipeKeyBlock12(kb);
      o.cap.injectToClient(tx.seal(23, ascii('sealed by puretls')));
      await until(() => o.cap.clientRead.length > 0);
      expect(Buffer.concat(o.cap.clientRead).toString()).toBe('sealed by puretls');
    });
  });

  describe.each([
    ['AES128-GCM-SHA256', 'sha256', true],
    ['AES128-GCM-SHA256', 'sha256', false],
    ['AES256-GCM-SHA384', 'sha384', true],
    ['AES256-GCM-SHA384', 'sha384', false],
  ] as const)('RSA key exchange %s (%s), extended master secret %s', (cipher, hash, ems) => {
    it('the master secret from the decrypted pre-master secret equals the key log', async () => {
      const o = await observe(cipher, rsa, !ems);
      const cke = o.clientHs.find((m) => m.type === 16)!;
      // RFC 5246 §7.4.7.1: EncryptedPreMasterSecret<0..2^16-1>, PKCS #1 v1.5 block type 2.
      const encrypted = cke.body.subarray(2, 2 + ((cke.body[0]! << 8) | cke.body[1]!));
      const em = privateDecrypt({ key: createPrivateKey(rsa.keyPem), padding: cc.RSA_NO_PADDING }, encrypted);
      expect([em[0], em[1], em[em.length - 49]]).toEqual([0, 2, 0]);
      const pms = new Uint8Array(em.subarray(em.length - 48));
      expect([pms[0], pms[1]]).toEqual([3, 3]); // client_version
      const suite = sameRecordSuite(cipher);
      expect(suite.hash).toBe(hash);
      // RFC 7627 §3: session_hash covers ClientHello .. ClientKeyExchange.
      const shd = o.serverHs.findIndex((m) => m.type === 14);
      const sessionHash = transcriptHash(hash, [o.clientHs[0]!.bytes, ...o.serverHs.slice(0, shd + 1).map((m) => m.bytes), cke.bytes]);
      const ks = KeySchedule12.fromPreMaster(provider, suite, pms, o.randoms, ems ? sessionHash : undefined);
      expect(toHex(ks.masterSecret)).toBe(toHex(o.master));
      expect(toHex(ks.exportKeyingMaterial('EXPERIMENTAL rsa', undefined, 48))).toBe(nodeExport(o.cap.client, 48, 'EXPERIMENTAL rsa'));
      ks.wipe();
    });
  });

  it('node refuses the exporter labels we refuse (prefixes included) and accepts those we accept', async () => {
    const o = await observe('ECDHE-RSA-AES128-GCM-SHA256', rsa);
    const ks = KeySchedule12.fromMaster(provider, suiteByName('ECDHE-RSA-AES128-GCM-SHA256')!, o.master, o.randoms, o.ems);
    const refused = ['client finished', 'server finished', 'master secret', 'extended master secret', 'key expansion'];
    for (const label of [...refused, 'key expansion2', 'master secretX']) {
      expect(() => nodeExport(o.cap.client, 16, label)).toThrow(/illegal exporter label/);
      expect(() => ks.exportKeyingMaterial(label, undefined, 16)).toThrow(RangeError);
    }
    // Not 'key expansio': OpenSSL tests label + client_random + ..., so it refuses a strict
    // prefix of a reserved label when the client random happens to complete it (1 in 256).
    for (const label of ['', 'client  finished', 'EXPERIMENTAL key expansion']) {
      expect(toHex(ks.exportKeyingMaterial(label, undefined, 16))).toBe(nodeExport(o.cap.client, 16, label));
    }
  });
});

/** node's exportKeyingMaterial in hex; no context when `ctx` is undefined (@types/node 20 makes it required). */
function nodeExport(sock: TLSSocket, length: number, label: string, ctx?: Uint8Array): string {
  const f = sock.exportKeyingMaterial.bind(sock) as (n: number, l: string, c?: Buffer) => Buffer;
  return (ctx === undefined ? f(length, label) : f(length, label, Buffer.from(ctx))).toString('hex');
}

function parseRecord(b: Uint8Array): { type: number; version: number; header: Uint8Array; fragment: Uint8Array } {
  return { type: b[0]!, version: (b[1]! << 8) | b[2]!, header: b.subarray(0, 5), fragment: b.subarray(5) };
}
