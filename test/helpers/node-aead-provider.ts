/**
 * A partial CryptoProvider on node:crypto for record-layer tests, used until
 * src/crypto/noble.ts exists: aead, hmac, hkdfExtract, hkdfExpand only.
 */
import { createCipheriv, createDecipheriv, createHmac, type CipherGCMTypes } from 'node:crypto';
import type { Aead, AeadAlgorithm, CryptoProvider, HashAlgorithm } from '../../src/crypto/provider.js';
import { hashLength } from '../../src/crypto/provider.js';

const nodeName: Record<AeadAlgorithm, CipherGCMTypes | 'chacha20-poly1305'> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};

function nodeAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  const name = nodeName[algorithm];
  return {
    algorithm,
    seal(nonce, plaintext, aad) {
      const c = createCipheriv(name as CipherGCMTypes, key, nonce, { authTagLength: 16 });
      c.setAAD(aad);
      const a = c.update(plaintext);
      const b = c.final();
      const tag = c.getAuthTag();
      const out = new Uint8Array(a.length + b.length + 16);
      out.set(a);
      out.set(b, a.length);
      out.set(tag, a.length + b.length);
      return out;
    },
    open(nonce, ct, aad) {
      if (ct.length < 16) return null;
      try {
        const d = createDecipheriv(name as CipherGCMTypes, key, nonce, { authTagLength: 16 });
        d.setAAD(aad);
        d.setAuthTag(ct.subarray(ct.length - 16));
        const a = d.update(ct.subarray(0, ct.length - 16));
        const b = d.final();
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        return out;
      } catch {
        return null;
      }
    },
  };
}

function hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(algorithm, key).update(data).digest());
}

function unsupported(what: string): never {
  throw new Error(`node-aead-provider: ${what} is not implemented`);
}

export function nodeAeadProvider(): CryptoProvider {
  return {
    randomBytes: () => unsupported('randomBytes'),
    nowMs: () => 0,
    hash: () => unsupported('hash'),
    hmac,
    hkdfExtract: (alg, salt, ikm) => hmac(alg, salt.length ? salt : new Uint8Array(hashLength[alg]), ikm),
    hkdfExpand(alg, prk, info, length) {
      // RFC 5869 §2.3
      const out = new Uint8Array(length);
      let t: Uint8Array = new Uint8Array(0);
      for (let i = 1, o = 0; o < length; i++) {
        const input = new Uint8Array(t.length + info.length + 1);
        input.set(t);
        input.set(info, t.length);
        input[input.length - 1] = i;
        t = hmac(alg, prk, input);
        out.set(t.subarray(0, Math.min(t.length, length - o)), o);
        o += t.length;
      }
      return out;
    },
    aead: nodeAead,
    groups: [],
    keyExchange: () => unsupported('keyExchange'),
    sign: () => unsupported('sign'),
    verify: () => unsupported('verify'),
  };
}

/**
 * The providers record tests run against: nobleProvider() once
 * src/crypto/noble.ts exists (first, the one under test), then this one.
 */
export async function recordTestProviders(): Promise<[string, CryptoProvider][]> {
  const list: [string, CryptoProvider][] = [];
  const noblePath = '../../src/crypto/noble.js'; // a variable: the file may not exist yet
  try {
    const m = (await import(/* @vite-ignore */ noblePath)) as { nobleProvider?: () => CryptoProvider };
    if (typeof m.nobleProvider === 'function') list.push(['nobleProvider', m.nobleProvider()]);
  } catch {
    // not written yet
  }
  list.push(['node:crypto', nodeAeadProvider()]);
  return list;
}
