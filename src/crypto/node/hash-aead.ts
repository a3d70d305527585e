/** Hashes, HMAC, HKDF (RFC 5869) and the AEADs of the node:crypto provider. */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, type Hash, type KeyObject } from 'node:crypto';
import {
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  aeadKeyLength,
  hashLength,
  type Aead,
  type AeadAlgorithm,
  type HashAlgorithm,
  type HashContext,
} from '../provider.js';
import { checkHash, plain } from './util.js';

class NodeHashContext implements HashContext {
  constructor(
    readonly algorithm: HashAlgorithm,
    private readonly state: Hash,
  ) {}

  update(data: Uint8Array): void {
    this.state.update(data);
  }

  /** Finishes a copy, so this context can take more data afterwards. */
  digest(): Uint8Array {
    return plain(this.state.copy().digest());
  }

  clone(): HashContext {
    return new NodeHashContext(this.algorithm, this.state.copy());
  }
}

export function hash(algorithm: HashAlgorithm): HashContext {
  return new NodeHashContext(checkHash(algorithm), createHash(algorithm));
}

export function digest(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  return plain(createHash(algorithm).update(data).digest());
}

export function hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac(checkHash(algorithm), key).update(data).digest());
}

/** RFC 5869 §2.2. An empty salt is the same as HashLen zeros (HMAC zero-pads keys). */
export function hkdfExtract(algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(algorithm, salt, ikm);
}

/** RFC 5869 §2.3; length at most 255 * HashLen. */
export function hkdfExpand(algorithm: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hLen = hashLength[checkHash(algorithm)];
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hLen) {
    throw new Error(`HKDF-Expand: length must be 0..${255 * hLen}, got ${length}`);
  }
  const out = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let t: Buffer | undefined;
  for (let i = 1, off = 0; off < length; i++, off += hLen) {
    const h = createHmac(algorithm, prk);
    if (t !== undefined) h.update(t);
    h.update(info);
    counter[0] = i;
    t = h.update(counter).digest();
    out.set(t.subarray(0, Math.min(hLen, length - off)), off);
  }
  return out;
}

// ---------------------------------------------------------------- AEADs

type NodeAeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

const AEAD_NAME: Record<AeadAlgorithm, NodeAeadName> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};

/**
 * An AEAD bound to one key. node:crypto has no reusable GCM / ChaCha20-Poly1305
 * context, so each record makes a cipher from the KeyObject made once here
 * (a KeyObject is as fast as a raw key per call, and keeps the key out of the
 * JS heap after construction).
 */
class NodeAead implements Aead {
  private readonly name: NodeAeadName;
  private readonly key: KeyObject;

  constructor(
    readonly algorithm: AeadAlgorithm,
    key: Uint8Array,
  ) {
    this.name = AEAD_NAME[algorithm];
    this.key = createSecretKey(key);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
    this.sealTo(nonce, plaintext, aad, out, 0);
    return out;
  }

  /** node's update() returns a new buffer before anything is written to `out`, so sealing in place is safe. */
  sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    if (nonce.length !== AEAD_NONCE_LENGTH) throw new TypeError(`${this.algorithm}: nonce must be 12 bytes`);
    const c = createCipheriv(this.name as 'aes-128-gcm', this.key, nonce, { authTagLength: AEAD_TAG_LENGTH });
    c.setAAD(aad);
    const body = c.update(plaintext);
    const rest = c.final(); // empty for these stream modes
    out.set(body, offset);
    if (rest.length > 0) out.set(rest, offset + body.length);
    out.set(c.getAuthTag(), offset + body.length + rest.length);
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LENGTH || ciphertextAndTag.length < AEAD_TAG_LENGTH) return null;
    const n = ciphertextAndTag.length - AEAD_TAG_LENGTH;
    let body: Buffer | undefined;
    try {
      const d = createDecipheriv(this.name as 'aes-128-gcm', this.key, nonce, { authTagLength: AEAD_TAG_LENGTH });
      d.setAAD(aad);
      d.setAuthTag(ciphertextAndTag.subarray(n));
      body = d.update(ciphertextAndTag.subarray(0, n));
      const rest = d.final(); // throws on a bad tag
      if (rest.length === 0) return plain(body);
      const out = new Uint8Array(body.length + rest.length);
      out.set(body);
      out.set(rest, body.length);
      return out;
    } catch {
      body?.fill(0); // never release unauthenticated plaintext
      return null;
    }
  }
}

export function aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  const want = Object.prototype.hasOwnProperty.call(aeadKeyLength, algorithm) ? aeadKeyLength[algorithm] : undefined;
  if (want === undefined) throw new TypeError(`unsupported AEAD: ${String(algorithm)}`);
  if (key.length !== want) throw new TypeError(`${algorithm}: key must be ${want} bytes, got ${key.length}`);
  return new NodeAead(algorithm, key);
}
