/**
 * RFC 8448 §3 (Simple 1-RTT Handshake), byte for byte.
 *
 * Our *server* is driven with the RFC's ClientHello, its private keys and its
 * randoms injected through the provider; everything it sends must equal the
 * RFC's records. (Our client cannot be driven the same way: the RFC's client
 * offers DSA and SHA-1 signature schemes we do not implement, so no honest
 * configuration of ours reproduces its ClientHello.) The key schedule and the
 * records after the handshake are checked as known answers.
 */
import { createHash, publicDecrypt, constants as C } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concat, toHex } from '../../src/common/bytes.js';
import { ContentType, NamedGroup as G, CipherSuite } from '../../src/common/constants.js';
import type { PrivateKey } from '../../src/crypto/provider.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { scriptedRandom } from '../../src/crypto/random.js';
import { suiteInfo } from '../../src/crypto/suites.js';
import { trafficKeys } from '../../src/crypto/tls13-kdf.js';
import { KeySchedule13 } from '../../src/handshake/keyschedule13.js';
import { Certificate13 } from '../../src/messages/messages13.js';
import { ReceiveProtection, SendProtection } from '../../src/record/protection.js';
import { RecordDeframer } from '../../src/record/deframer.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import { rfc8448 } from '../helpers/rfc8448.js';

const v = (label: string, occurrence = 0) => rfc8448(3, label, occurrence);
const record = (i: number) => v('complete record (', i);
const hex = toHex;

/** Section 2's RSA key: "name:  hex ..." lines without octet counts. */
function section2Key(): PrivateKey {
  const text = readFileSync(new URL('../vectors/rfc8448.txt', import.meta.url), 'utf8');
  const sec = text.slice(text.indexOf('\n2.  Private Keys'), text.indexOf('\n3.  Simple 1-RTT'));
  const field = (name: string): bigint => {
    const at = sec.indexOf(`   ${name}:`);
    const lines = sec.slice(at + name.length + 4).split('\n');
    let h = '';
    for (const line of lines) {
      const t = line.trim();
      if (/^([0-9a-f]{2} ?)+$/.test(t)) h += t.replace(/ /g, '');
      else if (h && (t === '' || /Thomson|RFC 8448/.test(t))) continue;
      else if (h) break;
    }
    return BigInt('0x' + h);
  };
  const [n, e, d, p, q, dp, dq, qi] = ['modulus (public)', 'public exponent', 'private exponent', 'prime1', 'prime2', 'exponent1', 'exponent2', 'coefficient'].map(field);
  return { type: 'rsa', n: n!, e: e!, d: d!, p: p!, q: q!, dp: dp!, dq: dq!, qi: qi! };
}

/** Recover the RSA-PSS salt the RFC's server used, so our signature can be byte-identical (RFC 8017 §9.1.2). */
function pssSalt(key: PrivateKey & { type: 'rsa' }, signature: Uint8Array): Uint8Array {
  const k = signature.length;
  const jwk = {
    kty: 'RSA',
    n: Buffer.from(key.n.toString(16).padStart(2 * k, '0'), 'hex').toString('base64url'),
    e: Buffer.from(key.e.toString(16).padStart(6, '0'), 'hex').toString('base64url'),
  };
  const em = publicDecrypt({ key: jwk, format: 'jwk', padding: C.RSA_NO_PADDING } as never, signature);
  const h = em.subarray(k - 33, k - 1);
  const masked = em.subarray(0, k - 33);
  const mask = Buffer.alloc(masked.length);
  for (let c = 0, o = 0; o < mask.length; c++, o += 32) {
    const block = createHash('sha256').update(h).update(Buffer.from([0, 0, 0, c])).digest();
    block.copy(mask, o, 0, Math.min(32, mask.length - o));
  }
  const db = masked.map((b, i) => b ^ mask[i]!);
  return new Uint8Array(db.subarray(db.length - 32));
}

describe('RFC 8448 §3: key schedule known answers', () => {
  const provider = nobleProvider();
  const ks = new KeySchedule13(provider, 'sha256');
  const ch = v('ClientHello (196 octets)');
  const sh = v('ServerHello (90 octets)');
  const hash = (...m: Uint8Array[]) => createHash('sha256').update(concat(...m)).digest();

  it('early secret', () => expect(hex(ks.secret)).toBe(hex(v('secret (32 octets)', 0))));
  it('(EC)DHE shared secret from the RFC private keys, and the handshake secret', () => {
    const kx = nobleProvider({ random: scriptedRandom([v('private key (32 octets)', 1)]) }).keyExchange(G.x25519);
    expect(hex(kx.publicKey)).toBe(hex(v('public key (32 octets)', 1)));
    const shared = kx.complete(v('public key (32 octets)', 0));
    expect(hex(shared)).toBe(hex(v('IKM (32 octets)', 1)));
    ks.toHandshake(shared);
    expect(hex(ks.secret)).toBe(hex(v('secret (32 octets)', 1)));
  });
  it('handshake traffic secrets, keys and IVs', () => {
    const th = hash(ch, sh);
    expect(hex(ks.derive('c hs traffic', th))).toBe(hex(v('expanded (32 octets)', 1)));
    const s = ks.derive('s hs traffic', th);
    expect(hex(s)).toBe(hex(v('expanded (32 octets)', 2)));
    const keys = trafficKeys(provider, 'sha256', s, 16);
    expect(hex(keys.key)).toBe(hex(v('key expanded (16 octets)', 0)));
    expect(hex(keys.iv)).toBe(hex(v('iv expanded (12 octets)', 0)));
    const c = trafficKeys(provider, 'sha256', ks.derive('c hs traffic', th), 16);
    expect(hex(c.key)).toBe(hex(v('key expanded (16 octets)', 2)));
    expect(hex(c.iv)).toBe(hex(v('iv expanded (12 octets)', 2)));
  });
  it('both Finished values', () => {
    const flight = [ch, sh, v('EncryptedExtensions (40 octets)'), v('Certificate (445 octets)'), v('CertificateVerify (136 octets)')];
    const th = hash(ch, sh);
    const serverFin = ks.finishedVerifyData(ks.derive('s hs traffic', th), hash(...flight));
    expect(hex(serverFin)).toBe(hex(v('Finished (36 octets)', 0).subarray(4)));
    const clientFin = ks.finishedVerifyData(ks.derive('c hs traffic', th), hash(...flight, v('Finished (36 octets)', 0)));
    expect(hex(clientFin)).toBe(hex(v('Finished (36 octets)', 1).subarray(4)));
  });
  it('master secret, application traffic secrets, exporter and resumption master', () => {
    const flight = [ch, sh, v('EncryptedExtensions (40 octets)'), v('Certificate (445 octets)'), v('CertificateVerify (136 octets)'), v('Finished (36 octets)', 0)];
    ks.toMaster();
    expect(hex(ks.secret)).toBe(hex(v('secret (32 octets)', 2)));
    const th = hash(...flight);
    expect(hex(ks.derive('c ap traffic', th))).toBe(hex(v('expanded (32 octets)', 5)));
    expect(hex(ks.derive('s ap traffic', th))).toBe(hex(v('expanded (32 octets)', 6)));
    expect(hex(ks.derive('exp master', th))).toBe(hex(v('expanded (32 octets)', 7)));
    expect(hex(ks.derive('res master', hash(...flight, v('Finished (36 octets)', 1))))).toBe(hex(v('expanded (32 octets)', 10)));
  });
});

describe('RFC 8448 §3: records after the handshake, sealed and opened by our record layer', () => {
  const provider = nobleProvider();
  const suite = suiteInfo(CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const sAp = v('expanded (32 octets)', 6);
  const cAp = v('expanded (32 octets)', 5);
  const open = (secret: Uint8Array, ...records: Uint8Array[]) => {
    const rp = ReceiveProtection.tls13(provider, suite, secret);
    const d = new RecordDeframer();
    d.push(concat(...records));
    return records.map(() => rp.open(d.next()!));
  };
  it('server: NewSessionTicket then application data then alert', () => {
    const sp = SendProtection.tls13(provider, suite, sAp);
    expect(hex(sp.seal(ContentType.handshake, v('NewSessionTicket (205 octets)')))).toBe(hex(record(4)));
    expect(hex(sp.seal(ContentType.application_data, v('payload (50 octets)', 1)))).toBe(hex(record(6)));
    expect(hex(sp.seal(ContentType.alert, v('payload (2 octets)', 1)))).toBe(hex(record(8)));
    const opened = open(sAp, record(4), record(6), record(8));
    expect(opened.map((o) => o.type)).toEqual([ContentType.handshake, ContentType.application_data, ContentType.alert]);
  });
  it('client: application data then alert', () => {
    const sp = SendProtection.tls13(provider, suite, cAp);
    expect(hex(sp.seal(ContentType.application_data, v('payload (50 octets)', 0)))).toBe(hex(record(5)));
    expect(hex(sp.seal(ContentType.alert, v('payload (2 octets)', 0)))).toBe(hex(record(7)));
    expect(hex(open(cAp, record(5))[0]!.data)).toBe(hex(v('payload (50 octets)', 0)));
  });
});

describe('RFC 8448 §3: our server state machine, driven with the RFC ClientHello', () => {
  it('sends the RFC server flight byte for byte, accepts the client Finished and application data', () => {
    const key = section2Key();
    const cv = v('CertificateVerify (136 octets)');
    const salt = pssSalt(key as PrivateKey & { type: 'rsa' }, cv.subarray(8));
    const random = scriptedRandom([
      v('ServerHello (90 octets)').subarray(6, 38), // server random
      v('private key (32 octets)', 1), // server x25519 private key
      salt, // RSA-PSS salt of the CertificateVerify
    ]);
    const chain = Certificate13.decode(v('Certificate (445 octets)').subarray(4)).entries.map((e) => e.data);
    const ctx = new TlsContext({
      provider: nobleProvider({ random, clock: () => Date.UTC(2018, 0, 1) }),
      certificate: { chain, key },
      cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384],
      groups: [G.x25519, G.secp256r1, G.secp384r1, G.secp521r1, G.ffdhe2048, G.ffdhe3072, G.ffdhe4096, G.ffdhe6144, G.ffdhe8192],
      advertiseGroups: 'always',
      // The RFC's NewSessionTicket is sealed by its own server's key; ours would differ, and draws randomness.
      numTickets: 0,
    });
    const server = new Connection(ctx, 'server');
    const keylog: string[] = [];
    server.on('keylog', (l) => keylog.push(l));
    server.receive(record(0));
    const out = server.takeOutgoing()!;
    expect(hex(out.subarray(0, 95))).toBe(hex(record(1)));
    expect(hex(out.subarray(95))).toBe(hex(record(2)));
    const secret = (label: string) => keylog.find((l) => l.startsWith(label + ' '))!.split(' ')[2];
    expect(secret('CLIENT_HANDSHAKE_TRAFFIC_SECRET')).toBe(hex(v('expanded (32 octets)', 1)));
    expect(secret('SERVER_HANDSHAKE_TRAFFIC_SECRET')).toBe(hex(v('expanded (32 octets)', 2)));
    expect(secret('CLIENT_TRAFFIC_SECRET_0')).toBe(hex(v('expanded (32 octets)', 5)));
    expect(secret('SERVER_TRAFFIC_SECRET_0')).toBe(hex(v('expanded (32 octets)', 6)));
    expect(secret('EXPORTER_SECRET')).toBe(hex(v('expanded (32 octets)', 7)));
    expect(keylog[0]!.split(' ')[1]).toBe(hex(v('ClientHello (196 octets)').subarray(6, 38)));
    expect(server.handshakeComplete).toBe(false);
    server.receive(record(3));
    expect(server.handshakeComplete).toBe(true);
    expect(server.takeOutgoing()).toBeNull();
    server.receive(record(5));
    expect(hex(server.read()!)).toBe(hex(v('payload (50 octets)', 0)));
    server.receive(record(7));
    expect(server.peerClosed).toBe(true);
  });

  it('rejects the RFC client Finished when one byte of it is flipped (decrypt or MAC failure)', () => {
    const key = section2Key();
    const cv = v('CertificateVerify (136 octets)');
    const random = scriptedRandom([
      v('ServerHello (90 octets)').subarray(6, 38),
      v('private key (32 octets)', 1),
      pssSalt(key as PrivateKey & { type: 'rsa' }, cv.subarray(8)),
    ]);
    const chain = Certificate13.decode(v('Certificate (445 octets)').subarray(4)).entries.map((e) => e.data);
    const server = new Connection(
      new TlsContext({
        provider: nobleProvider({ random }),
        certificate: { chain, key },
        groups: [G.x25519, G.secp256r1, G.secp384r1, G.secp521r1, G.ffdhe2048, G.ffdhe3072, G.ffdhe4096, G.ffdhe6144, G.ffdhe8192],
        advertiseGroups: 'always',
        numTickets: 0,
      }),
      'server',
    );
    server.receive(record(0));
    server.takeOutgoing();
    const fin = record(3).slice();
    fin[20]! ^= 1;
    expect(() => server.receive(fin)).toThrowError(expect.objectContaining({ code: 'ERR_TLS_BAD_RECORD_MAC', alert: 20 }));
    // Poisoned: the same error again, and the alert is queued.
    expect(() => server.read()).toThrowError(expect.objectContaining({ code: 'ERR_TLS_BAD_RECORD_MAC' }));
    expect(server.takeOutgoing()!.length).toBeGreaterThan(0);
  });
});

