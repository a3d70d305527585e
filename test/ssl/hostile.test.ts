/**
 * Hostile input on the Connection: every malformed or misplaced record gets
 * the right alert and a TlsError, never another exception, and the connection
 * stays poisoned with the same error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { ContentType, ExtensionType, NamedGroup } from '../../src/common/constants.js';
import { CookieExt, KeyShareClientExt, makeExtension, type Extension } from '../../src/messages/index.js';
import { ClientHello } from '../../src/messages/hello.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { TlsError } from '../../src/common/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { deterministicRandom, testProvider } from '../../src/crypto/random.js';
import { suiteInfo } from '../../src/crypto/suites.js';
import { SendProtection } from '../../src/record/protection.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';

let chain: Chain;
let now = 0;
beforeAll(async () => {
  chain = await chainFor('p256');
  now = Date.now() + 2000;
});
/** Seeded providers: the same client produces the same ClientHello every time. */
const seeded = (role: string) => testProvider(`hostile-${role}`, now);

const plain = (type: number, data: Uint8Array) => concat(new Uint8Array([type, 3, 3, data.length >> 8, data.length & 0xff]), data);

function fresh(limits = {}) {
  const p = makePair({ certificate: serverCert(chain), limits }, { verifier: verifierFor(chain), limits });
  const secrets = new Map<string, Uint8Array>();
  p.client.on('keylog', (l) => {
    const [label, , s] = l.split(' ');
    secrets.set(label!, Uint8Array.from(Buffer.from(s!, 'hex')));
  });
  return { ...p, secrets };
}

/** A sealer for the client's application traffic key (as if we were the client). */
function clientSealer(secrets: Map<string, Uint8Array>) {
  return SendProtection.tls13(nobleProvider(), suiteInfo(0x1301)!, secrets.get('CLIENT_TRAFFIC_SECRET_0')!);
}

function expectTlsError(fn: () => void, code: string, alert?: number): TlsError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a TlsError').toBeInstanceOf(TlsError);
  expect((err as TlsError).code).toBe(code);
  if (alert !== undefined) expect((err as TlsError).alert).toBe(alert);
  return err as TlsError;
}

describe('records before and around the handshake', () => {
  it('application data before the handshake is unexpected_message', () => {
    const p = fresh();
    expectTlsError(() => p.server.receive(plain(ContentType.application_data, new Uint8Array([1]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });

  it('a ChangeCipherSpec before the first ClientHello is unexpected_message (RFC 8446 §5)', () => {
    const p = fresh();
    expectTlsError(() => p.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1]))), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });

  it('one compat ChangeCipherSpec during the handshake is dropped; a second, or a value other than 1, is unexpected_message', () => {
    const a = fresh();
    a.client.doHandshake();
    a.server.receive(a.client.takeOutgoing()!);
    a.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1])));
    expectTlsError(() => a.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1]))), 'ERR_TLS_TOO_MANY', 10);
    const b = fresh();
    b.client.doHandshake();
    b.server.receive(b.client.takeOutgoing()!);
    expectTlsError(() => b.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([2]))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a ChangeCipherSpec after the handshake is unexpected_message', () => {
    const p = fresh();
    handshake(p);
    expectTlsError(() => p.server.receive(plain(ContentType.change_cipher_spec, new Uint8Array([1]))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a handshake message declaring more than the limit fails from its header, before the body arrives', () => {
    const p = fresh({ maxHandshakeMessageSize: 1000 });
    const header = new Uint8Array([1, 0, 0x10, 0]); // ClientHello of 4096 bytes
    expectTlsError(() => p.server.receive(plain(ContentType.handshake, header)), 'ERR_TLS_ILLEGAL_PARAMETER', 47);
  });

  it('a record longer than the protocol allows is record_overflow', () => {
    const p = fresh();
    const header = new Uint8Array([22, 3, 3, 0x48, 0x01]); // 2^14 + 2049
    expectTlsError(() => p.server.receive(header), 'ERR_TLS_RECORD_OVERFLOW', 22);
  });

  it('a fragmented handshake message interleaved with an alert is unexpected_message (RFC 8446 §5.1)', () => {
    const p = fresh();
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!.subarray(5);
    p.server.receive(plain(ContentType.handshake, ch.subarray(0, 10)));
    expectTlsError(() => p.server.receive(plain(ContentType.alert, new Uint8Array([1, 0]))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a handshake message split across many records is reassembled', () => {
    const p = fresh();
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!.subarray(5);
    for (let i = 0; i < ch.length; i += 7) p.server.receive(plain(ContentType.handshake, ch.subarray(i, i + 7)));
    expect(p.server.takeOutgoing()).not.toBeNull();
  });

  it('an empty handshake record is unexpected_message', () => {
    const p = fresh();
    expectTlsError(() => p.server.receive(plain(ContentType.handshake, new Uint8Array(0))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a TLS 1.2-only ClientHello gets protocol_version', () => {
    const p = fresh();
    p.client.doHandshake();
    const rec = p.client.takeOutgoing()!;
    // Replace supported_versions' 0304 with 0303 (the only version listed).
    const at = Buffer.from(rec).indexOf(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]));
    const bad = rec.slice();
    bad[at + 6] = 0x03;
    expectTlsError(() => p.server.receive(bad), 'ERR_TLS_PROTOCOL_VERSION', 70);
  });
});

describe('alerts and repeats after the handshake', () => {
  it('an alert record of 3 bytes is decode_error; an unknown level is illegal_parameter', () => {
    const a = fresh();
    handshake(a);
    expectTlsError(() => a.server.receive(clientSealer(a.secrets).seal(ContentType.alert, new Uint8Array([1, 0, 0]))), 'ERR_TLS_DECODE', 50);
    const b = fresh();
    handshake(b);
    expectTlsError(() => b.server.receive(clientSealer(b.secrets).seal(ContentType.alert, new Uint8Array([3, 0]))), 'ERR_TLS_ILLEGAL_PARAMETER');
  });

  it('a warning-level alert other than close_notify/user_canceled is fatal in TLS 1.3 (RFC 8446 §6.2), and no alert is sent back', () => {
    const p = fresh();
    handshake(p);
    const err = expectTlsError(() => p.server.receive(clientSealer(p.secrets).seal(ContentType.alert, new Uint8Array([1, 42]))), 'ERR_TLS_ALERT_RECEIVED', 42);
    expect(err.remote).toBe(true);
    expect(p.server.takeOutgoing()).toBeNull();
  });

  it('limits user_canceled warnings without data between them', () => {
    const p = fresh({ maxWarningAlerts: 3 });
    handshake(p);
    const s = clientSealer(p.secrets);
    for (let i = 0; i < 3; i++) p.server.receive(s.seal(ContentType.alert, new Uint8Array([1, 90])));
    expectTlsError(() => p.server.receive(s.seal(ContentType.alert, new Uint8Array([1, 90]))), 'ERR_TLS_TOO_MANY', 10);
  });

  it('limits empty application records without data between them', () => {
    const p = fresh({ maxEmptyRecords: 4 });
    handshake(p);
    const s = clientSealer(p.secrets);
    for (let i = 0; i < 4; i++) p.server.receive(s.seal(ContentType.application_data, new Uint8Array(0)));
    p.server.receive(s.seal(ContentType.application_data, new Uint8Array([7])));
    for (let i = 0; i < 4; i++) p.server.receive(s.seal(ContentType.application_data, new Uint8Array(0)));
    expectTlsError(() => p.server.receive(s.seal(ContentType.application_data, new Uint8Array(0))), 'ERR_TLS_TOO_MANY');
    expect(() => p.server.read()).toThrowError(expect.objectContaining({ code: 'ERR_TLS_TOO_MANY' }));
  });

  it('a NewSessionTicket from a client is unexpected_message', () => {
    const p = fresh();
    handshake(p);
    const nst = new Uint8Array([4, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 9, 0, 0]);
    expectTlsError(() => p.server.receive(clientSealer(p.secrets).seal(ContentType.handshake, nst.subarray(0, 17))), 'ERR_TLS_UNEXPECTED_MESSAGE');
  });

  it('a tampered record is bad_record_mac and poisons the connection', () => {
    const p = fresh();
    handshake(p);
    p.client.write(new Uint8Array(100));
    const rec = p.client.takeOutgoing()!.slice();
    rec[50]! ^= 0x80;
    expectTlsError(() => p.server.receive(rec), 'ERR_TLS_BAD_RECORD_MAC', 20);
    expectTlsError(() => p.server.write(new Uint8Array([1])), 'ERR_TLS_BAD_RECORD_MAC');
    expectTlsError(() => p.server.receive(new Uint8Array([23])), 'ERR_TLS_BAD_RECORD_MAC');
  });
});

describe('fuzz: mutated flights only ever raise TlsError', () => {
  const rand = deterministicRandom(new TextEncoder().encode('hostile-fuzz'));
  const int = (n: number) => {
    const b = rand(4);
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) % n;
  };
  function mutate(src: Uint8Array): Uint8Array {
    const b = src.slice();
    switch (int(4) % 4) {
      case 0: // bit flips
        for (let k = 1 + (int(4) % 4); k > 0; k--) b[int(b.length) % b.length]! ^= 1 << (int(8) % 8);
        return b;
      case 1: // truncation
        return b.subarray(0, int(b.length) % b.length);
      case 2: // a length-ish byte changed
        b[int(b.length) % b.length] = int(256) % 256;
        return b;
      default: // inserted bytes
        return concat(b.subarray(0, int(b.length) % b.length), rand(1 + (int(8) % 8)), b.subarray(int(b.length) % b.length));
    }
  }

  it('server fed 1 500 mutated ClientHellos', () => {
    const p = fresh();
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!;
    let ok = 0;
    for (let i = 0; i < 1500; i++) {
      const s = makePair({ certificate: serverCert(chain) }, {}).server;
      try {
        s.receive(mutate(ch));
        s.takeOutgoing();
        ok++;
      } catch (e) {
        if (!(e instanceof TlsError)) throw e;
      }
    }
    expect(ok).toBeLessThan(1500);
  });

  it('client fed 600 mutated server flights', () => {
    const mk = () => makePair({ certificate: serverCert(chain), provider: seeded('s') }, { verifier: verifierFor(chain), provider: seeded('c') });
    const p = mk();
    p.client.doHandshake();
    const ch = p.client.takeOutgoing()!;
    p.server.receive(ch);
    const flight = p.server.takeOutgoing()!;
    let failures = 0;
    for (let i = 0; i < 600; i++) {
      const c = mk().client;
      c.doHandshake();
      c.takeOutgoing();
      try {
        c.receive(mutate(flight));
      } catch (e) {
        if (!(e instanceof TlsError)) throw e;
        failures++;
      }
    }
    // The unmutated flight completes the client's handshake; most mutations must not.
    expect(failures).toBeGreaterThan(300);
    const c = mk().client;
    c.doHandshake();
    c.takeOutgoing();
    c.receive(flight);
    expect(c.handshakeComplete).toBe(true);
  });
});

describe('HelloRetryRequest: the second ClientHello must keep its promises (RFC 8446 §4.1.2, §4.2.2)', () => {
  /** Run to the HelloRetryRequest and return the client's second ClientHello, decoded. */
  function toSecondHello() {
    const p = makePair(
      { certificate: serverCert(chain), groups: [NamedGroup.secp256r1] },
      { verifier: verifierFor(chain), groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519], middleboxCompat: false },
    );
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    p.client.receive(p.server.takeOutgoing()!); // the HelloRetryRequest
    const rec = p.client.takeOutgoing()!;
    return { p, ch2: ClientHello.decode(rec.subarray(9)) };
  }
  const resend = (ch: ClientHello, changes: Partial<{ random: Uint8Array; extensions: Extension[] }>) => {
    const c = new ClientHello(ch.legacyVersion, changes.random ?? ch.random, ch.legacySessionId, ch.cipherSuites, ch.compressionMethods, changes.extensions ?? ch.extensions);
    return plain(ContentType.handshake, encodeHandshake(c));
  };

  it('the unchanged second ClientHello completes the handshake', () => {
    const { p, ch2 } = toSecondHello();
    p.server.receive(resend(ch2, {}));
    expect(p.server.takeOutgoing()).not.toBeNull();
  });

  it('without the cookie: illegal_parameter', () => {
    const { p, ch2 } = toSecondHello();
    const exts = ch2.extensions.filter((e) => e.type !== ExtensionType.cookie);
    expectTlsError(() => p.server.receive(resend(ch2, { extensions: exts })), 'ERR_TLS_ILLEGAL_PARAMETER', 47);
  });

  it('with a different cookie: illegal_parameter', () => {
    const { p, ch2 } = toSecondHello();
    const exts = ch2.extensions.map((e) => (e.type === ExtensionType.cookie ? makeExtension(CookieExt, new Uint8Array(32).fill(1)) : e));
    expectTlsError(() => p.server.receive(resend(ch2, { extensions: exts })), 'ERR_TLS_ILLEGAL_PARAMETER', 47);
  });

  it('with a share for another group than the one asked for: illegal_parameter', () => {
    const { p, ch2 } = toSecondHello();
    const share = { group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(9) };
    const exts = ch2.extensions.map((e) => (e.type === ExtensionType.key_share ? makeExtension(KeyShareClientExt, [share]) : e));
    expectTlsError(() => p.server.receive(resend(ch2, { extensions: exts })), 'ERR_TLS_ILLEGAL_PARAMETER', 47);
  });

  it('with a new random: illegal_parameter', () => {
    const { p, ch2 } = toSecondHello();
    expectTlsError(() => p.server.receive(resend(ch2, { random: new Uint8Array(32).fill(3) })), 'ERR_TLS_ILLEGAL_PARAMETER', 47);
  });

  it('a second HelloRetryRequest is unexpected_message at the client', () => {
    const p = makePair(
      { certificate: serverCert(chain), groups: [NamedGroup.secp256r1] },
      { verifier: verifierFor(chain), groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519], middleboxCompat: false },
    );
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing()!);
    const hrr = p.server.takeOutgoing()!;
    p.client.receive(hrr);
    p.client.takeOutgoing();
    expectTlsError(() => p.client.receive(hrr), 'ERR_TLS_UNEXPECTED_MESSAGE', 10);
  });
});
