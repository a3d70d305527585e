/**
 * Real hellos and TLS 1.2 flights: the plaintext handshake messages in Go's
 * crypto/tls testdata (recorded against OpenSSL) decode and re-encode byte
 * for byte. Files live in test/vectors/go-crypto-tls-testdata
 * (BSD licence: LICENSE.go beside them).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ContentType, HandshakeType } from '../../src/common/constants.js';
import {
  Certificate12,
  CertificateRequest12,
  CertificateVerify,
  ClientHello,
  ClientKeyExchangeEcdhe,
  NewSessionTicket12,
  PreSharedKeyClientExt,
  ServerHello,
  ServerHelloDone,
  ServerKeyExchangeEcdhe,
  encodeHandshake,
  findExtension,
  handshakeName,
  pskBindersLength,
  splitHandshakeMessages,
  type HandshakeBody,
  type HandshakeMessage,
} from '../../src/messages/index.js';
import { flows } from '../vectors/go-support.js';

const DIR = new URL('../vectors/go-crypto-tls-testdata/', import.meta.url);

/**
 * The plaintext handshake messages each side sent: type-22 records before that
 * side's ChangeCipherSpec (TLS 1.2), or all type-22 records (TLS 1.3, where
 * encrypted records are type 23).
 */
function plaintextMessages(name: string): { fromClient: boolean; msg: HandshakeMessage }[] {
  const tls13 = name.includes('TLSv13');
  const state = new Map<boolean, { ccs: boolean; buf: Uint8Array }>([
    [true, { ccs: false, buf: new Uint8Array(0) }],
    [false, { ccs: false, buf: new Uint8Array(0) }],
  ]);
  const out: { fromClient: boolean; msg: HandshakeMessage }[] = [];
  for (const { fromClient, data } of flows(name)) {
    const st = state.get(fromClient)!;
    for (let at = 0; at + 5 <= data.length; ) {
      const type = data[at]!;
      const len = (data[at + 3]! << 8) | data[at + 4]!;
      const fragment = data.subarray(at + 5, at + 5 + len);
      at += 5 + len;
      if (type === ContentType.change_cipher_spec) st.ccs = true;
      if (type !== ContentType.handshake || (st.ccs && !tls13)) continue;
      const joined = new Uint8Array(st.buf.length + fragment.length);
      joined.set(st.buf);
      joined.set(fragment, st.buf.length);
      const { messages, rest } = splitHandshakeMessages(joined);
      st.buf = rest.slice();
      for (const msg of messages) out.push({ fromClient, msg });
    }
  }
  return out;
}

const FILES = readdirSync(DIR).filter((f) => /^(Client|Server)-TLSv1[23]-/.test(f));

describe.each(FILES)('%s', (name) => {
  const msgs = plaintextMessages(name);

  it('decodes and re-encodes every plaintext handshake message', () => {
    expect(msgs.length).toBeGreaterThanOrEqual(2);
    let ecdhe = false;
    for (const { msg } of msgs) {
      let decoded: HandshakeBody | undefined;
      switch (msg.type) {
        case HandshakeType.client_hello:
          decoded = ClientHello.decode(msg.body);
          break;
        case HandshakeType.server_hello:
          decoded = ServerHello.decode(msg.body);
          break;
        case HandshakeType.certificate:
          decoded = Certificate12.decode(msg.body);
          break;
        case HandshakeType.server_key_exchange:
          decoded = ServerKeyExchangeEcdhe.decode(msg.body);
          ecdhe = true;
          break;
        case HandshakeType.certificate_request:
          decoded = CertificateRequest12.decode(msg.body);
          break;
        case HandshakeType.server_hello_done:
          decoded = ServerHelloDone.decode(msg.body);
          break;
        // RSA key transport (no ServerKeyExchange) has an EncryptedPreMasterSecret we do not model.
        case HandshakeType.client_key_exchange:
          decoded = ecdhe ? ClientKeyExchangeEcdhe.decode(msg.body) : undefined;
          break;
        case HandshakeType.certificate_verify:
          decoded = CertificateVerify.decode(msg.body);
          break;
        case HandshakeType.new_session_ticket:
          decoded = NewSessionTicket12.decode(msg.body);
          break;
        default:
          throw new Error(`unexpected plaintext ${handshakeName(msg.type)}`);
      }
      if (decoded) expect(encodeHandshake(decoded), handshakeName(msg.type)).toEqual(msg.raw);
    }
    const types = new Set(msgs.map((m) => m.msg.type));
    if (name.includes('TLSv12') && !name.includes('Resume')) {
      // (RSA key transport suites, e.g. AES128-GCM-SHA256, have no ServerKeyExchange.)
      for (const t of [HandshakeType.certificate, HandshakeType.server_hello_done, HandshakeType.client_key_exchange]) {
        expect(types.has(t), handshakeName(t)).toBe(true);
      }
      if (/ECDHE|X25519|P256/.test(name)) expect(ecdhe).toBe(true);
    }
    if (name.includes('TLSv12-IssueTicket')) expect(types.has(HandshakeType.new_session_ticket)).toBe(true);
  });

  it('finds PSK binders and HelloRetryRequests where present', () => {
    for (const { msg } of msgs) {
      if (msg.type === HandshakeType.client_hello) {
        const psk = findExtension(ClientHello.decode(msg.body).extensions, PreSharedKeyClientExt);
        if (psk) {
          const offset = ClientHello.bindersOffset(msg.raw);
          expect(offset + pskBindersLength(psk.binders.map((b) => b.length))).toBe(msg.raw.length);
        }
      }
    }
    const hrrs = msgs.filter((m) => m.msg.type === HandshakeType.server_hello && ServerHello.decode(m.msg.body).isHelloRetryRequest);
    expect(hrrs.length).toBe(name.includes('HelloRetryRequest') ? 1 : 0);
    if (name.includes('Resume') && name.includes('TLSv13')) {
      const ch = msgs.find((m) => m.msg.type === HandshakeType.client_hello)!;
      expect(findExtension(ClientHello.decode(ch.msg.body).extensions, PreSharedKeyClientExt)).toBeDefined();
    }
  });
});
