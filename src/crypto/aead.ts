/**
 * AEADs for the record layer: AES-GCM (NIST SP 800-38D) and
 * ChaCha20-Poly1305 (RFC 8439).
 *
 * AES-GCM: noble's `gcm()` re-expands the AES key and rebuilds its GHASH
 * multiplication table on every call. Here both happen once per key: the AES
 * round keys come from noble's exported expanded-key API (`unsafe.expandKeyLE`)
 * and the counter mode is noble's `unsafe.ctr32` on those round keys; GHASH is
 * done here with a per-key 4-bit table (8 KiB) held in a flat Int32Array.
 * Like noble's GHASH, the table lookups are indexed by data, so this is not
 * constant-time against a co-resident cache attacker.
 *
 * ChaCha20 has no key schedule, so noble's `chacha20poly1305` is used as is.
 */
import { unsafe } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, aeadKeyLength, type Aead, type AeadAlgorithm } from './provider.js';

const ZERO_BLOCK = new Uint8Array(16);

/** The GHASH field element H·x^i for i = 0..127, each as four big-endian words. */
function powersOfH(h: Uint8Array): Int32Array {
  const out = new Int32Array(128 * 4);
  let a = (h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!;
  let b = (h[4]! << 24) | (h[5]! << 16) | (h[6]! << 8) | h[7]!;
  let c = (h[8]! << 24) | (h[9]! << 16) | (h[10]! << 8) | h[11]!;
  let d = (h[12]! << 24) | (h[13]! << 16) | (h[14]! << 8) | h[15]!;
  for (let i = 0; i < 128; i++) {
    out[4 * i] = a;
    out[4 * i + 1] = b;
    out[4 * i + 2] = c;
    out[4 * i + 3] = d;
    // Multiply by x: in GCM's reflected bit order a right shift, reducing by
    // R = 0xe1 || 0^120 when the bit shifted out (x^127's coefficient) was set.
    const carry = -(d & 1);
    d = (c << 31) | (d >>> 1);
    c = (b << 31) | (c >>> 1);
    b = (a << 31) | (b >>> 1);
    a = (a >>> 1) ^ (0xe1000000 & carry);
  }
  return out;
}

/**
 * GHASH_H (SP 800-38D §6.4) with a 4-bit table: for each of the 32 nibble
 * positions of a block and each nibble value v, the product v·x^(4p)·H. A block
 * multiply is then 32 lookups and XORs.
 */
class Ghash {
  private readonly table: Int32Array;
  private readonly state = new Int32Array(4);
  private readonly last = new Uint8Array(16);

  constructor(h: Uint8Array) {
    const pow = powersOfH(h);
    const t = new Int32Array(32 * 16 * 4);
    for (let p = 0; p < 32; p++) {
      for (let v = 0; v < 16; v++) {
        let a = 0;
        let b = 0;
        let c = 0;
        let d = 0;
        for (let j = 0; j < 4; j++) {
          if ((v >>> (3 - j)) & 1) {
            const o = (4 * p + j) * 4;
            a ^= pow[o]!;
            b ^= pow[o + 1]!;
            c ^= pow[o + 2]!;
            d ^= pow[o + 3]!;
          }
        }
        const o = (p * 16 + v) * 4;
        t[o] = a;
        t[o + 1] = b;
        t[o + 2] = c;
        t[o + 3] = d;
      }
    }
    pow.fill(0);
    this.table = t;
  }

  reset(): void {
    this.state.fill(0);
  }

  /** Absorb `data` zero-padded to a whole number of blocks (one GCM segment). */
  update(data: Uint8Array): void {
    const full = data.length & ~15;
    if (full > 0) this.blocks(data, full);
    if (full < data.length) {
      const last = this.last;
      last.fill(0);
      last.set(data.subarray(full));
      this.blocks(last, 16);
    }
  }

  private blocks(data: Uint8Array, end: number): void {
    const t = this.table;
    const st = this.state;
    let s0 = st[0]!;
    let s1 = st[1]!;
    let s2 = st[2]!;
    let s3 = st[3]!;
    for (let i = 0; i < end; i += 16) {
      let o0 = 0;
      let o1 = 0;
      let o2 = 0;
      let o3 = 0;
      for (let j = 0; j < 16; j++) {
        const w = j < 4 ? s0 : j < 8 ? s1 : j < 12 ? s2 : s3;
        const x = data[i + j]! ^ ((w >>> (24 - 8 * (j & 3))) & 0xff);
        let o = (j << 7) | ((x >>> 4) << 2);
        o0 ^= t[o]!;
        o1 ^= t[o + 1]!;
        o2 ^= t[o + 2]!;
        o3 ^= t[o + 3]!;
        o = (j << 7) | 64 | ((x & 15) << 2);
        o0 ^= t[o]!;
        o1 ^= t[o + 1]!;
        o2 ^= t[o + 2]!;
        o3 ^= t[o + 3]!;
      }
      s0 = o0;
      s1 = o1;
      s2 = o2;
      s3 = o3;
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
  }

  /** Absorb len(A) || len(C) in bits and write GHASH ^ mask to out[off..off+16). */
  finish(aadLength: number, dataLength: number, mask: Uint8Array, out: Uint8Array, off: number): void {
    const lens = this.last;
    const view = new DataView(lens.buffer, lens.byteOffset, 16);
    const aadBits = aadLength * 8;
    const dataBits = dataLength * 8;
    view.setUint32(0, Math.floor(aadBits / 0x100000000));
    view.setUint32(4, aadBits >>> 0);
    view.setUint32(8, Math.floor(dataBits / 0x100000000));
    view.setUint32(12, dataBits >>> 0);
    this.blocks(lens, 16);
    const st = this.state;
    for (let i = 0; i < 16; i++) out[off + i] = ((st[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff) ^ mask[i]!;
    lens.fill(0);
    st.fill(0);
  }
}

const aligned = (b: Uint8Array): boolean => b.byteOffset % 4 === 0;

/**
 * One aligned scratch buffer for every AES-GCM seal in this realm (sealing is
 * synchronous, and the buffer only ever holds ciphertext): a connection at
 * rest owns none. Grown to the largest record seen (at most 2^14 + 256 bytes).
 */
let scratch = new Uint8Array(0);
function scratchOf(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, (1 << 14) | 256));
  return scratch.subarray(0, n);
}

class AesGcm implements Aead {
  private readonly roundKeys: Uint32Array;
  private readonly ghash: Ghash;
  private readonly tag = new Uint8Array(16);

  constructor(
    readonly algorithm: AeadAlgorithm,
    key: Uint8Array,
  ) {
    this.roundKeys = unsafe.expandKeyLE(key);
    const h = unsafe.encryptBlock(this.roundKeys, new Uint8Array(16)); // H = E_K(0^128)
    this.ghash = new Ghash(h);
    h.fill(0);
  }

  /** Returns E_K(J0) (the tag mask) and leaves `counter` at inc32(J0), J0 = IV || 0^31 || 1. */
  private start(nonce: Uint8Array, counter: Uint8Array): Uint8Array {
    counter.set(nonce);
    counter[15] = 1;
    return unsafe.ctr32(this.roundKeys, false, counter, ZERO_BLOCK);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
    this.sealTo(nonce, plaintext, aad, out, 0);
    return out;
  }

  /** In place when the destination is 4-byte aligned (ctr32 works on words); through a copy otherwise. */
  sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    if (nonce.length !== AEAD_NONCE_LENGTH) throw new TypeError(`${this.algorithm}: nonce must be 12 bytes`);
    const n = plaintext.length;
    const body = out.subarray(offset, offset + n);
    const counter = new Uint8Array(16);
    const mask = this.start(nonce, counter);
    if (aligned(body)) {
      if (!aligned(plaintext)) body.set(plaintext);
      unsafe.ctr32(this.roundKeys, false, counter, aligned(plaintext) ? plaintext : body, body);
    } else {
      // A record body sits 5 bytes into its record: counter mode runs on an aligned scratch copy.
      const scratch = scratchOf(n);
      scratch.set(plaintext);
      unsafe.ctr32(this.roundKeys, false, counter, scratch, scratch);
      body.set(scratch); // ciphertext: nothing secret stays behind in the scratch
    }
    const g = this.ghash;
    g.reset();
    g.update(aad);
    g.update(body);
    g.finish(aad.length, n, mask, out, offset + n);
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LENGTH || ciphertextAndTag.length < AEAD_TAG_LENGTH) return null;
    const n = ciphertextAndTag.length - AEAD_TAG_LENGTH;
    const body = ciphertextAndTag.subarray(0, n);
    const counter = new Uint8Array(16);
    const mask = this.start(nonce, counter);
    const g = this.ghash;
    g.reset();
    g.update(aad);
    g.update(body);
    const tag = this.tag;
    g.finish(aad.length, n, mask, tag, 0);
    let diff = 0;
    for (let i = 0; i < AEAD_TAG_LENGTH; i++) diff |= tag[i]! ^ ciphertextAndTag[n + i]!;
    tag.fill(0);
    if (diff !== 0) return null;
    // Authenticated: only now decrypt, so unauthenticated plaintext is never produced.
    const out = new Uint8Array(n);
    if (aligned(body)) {
      unsafe.ctr32(this.roundKeys, false, counter, body, out);
    } else {
      out.set(body);
      unsafe.ctr32(this.roundKeys, false, counter, out, out);
    }
    return out;
  }
}

class ChaCha20Poly1305 implements Aead {
  readonly algorithm: AeadAlgorithm = 'CHACHA20-POLY1305';
  private readonly key: Uint8Array;

  constructor(key: Uint8Array) {
    // noble keeps a reference to the key; a private copy survives a caller wiping theirs.
    this.key = new Uint8Array(key); // a copy (Buffer#slice would be a view)
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    if (nonce.length !== AEAD_NONCE_LENGTH) throw new TypeError(`${this.algorithm}: nonce must be 12 bytes`);
    return chacha20poly1305(this.key, nonce, aad).encrypt(plaintext);
  }

  sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    if (nonce.length !== AEAD_NONCE_LENGTH) throw new TypeError(`${this.algorithm}: nonce must be 12 bytes`);
    // noble copies the plaintext to the output first (a no-op in place), then encrypts there.
    chacha20poly1305(this.key, nonce, aad).encrypt(plaintext, out.subarray(offset, offset + plaintext.length + AEAD_TAG_LENGTH));
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LENGTH || ciphertextAndTag.length < AEAD_TAG_LENGTH) return null;
    try {
      return chacha20poly1305(this.key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      return null; // noble throws on a bad tag
    }
  }
}

/** An AEAD bound to `key`; TypeError for a wrong key length or unknown algorithm. */
export function createAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  const want = Object.prototype.hasOwnProperty.call(aeadKeyLength, algorithm) ? aeadKeyLength[algorithm] : undefined;
  if (want === undefined) throw new TypeError(`unsupported AEAD: ${String(algorithm)}`);
  if (key.length !== want) throw new TypeError(`${algorithm}: key must be ${want} bytes, got ${key.length}`);
  return algorithm === 'CHACHA20-POLY1305' ? new ChaCha20Poly1305(key) : new AesGcm(algorithm, key);
}
