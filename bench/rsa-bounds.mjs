// How long refusing an out-of-bounds RSA key takes: prints figures, asserts nothing.
//
//   npx tsup && node bench/rsa-bounds.mjs
//
// Refusals (should be well under a millisecond each):
//   - parsePublicKeyInfo on a 16384-bit modulus with e = 2^64+1 (refused at parse)
//   - parsePublicKeyInfo on a ~120 KB modulus (refused on its encoded size, before decoding)
//   - provider.verify with that 16384-bit key (the RSA primitive refuses before modPow)
// For scale: provider.verify with an accepted 8192-bit key (bogus signature: one full modPow).
import { nobleProvider, parsePublicKeyInfo } from '../dist/index.js';

const RUNS = Number(process.env.RUNS ?? 200);

function len(n) {
  if (n < 0x80) return [n];
  const b = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
  return [0x80 | b.length, ...b];
}
const tlv = (tag, ...parts) => {
  const body = parts.flatMap((p) => [...p]);
  return Uint8Array.from([tag, ...len(body.length), ...body]);
};
function intBytes(x) {
  let h = x.toString(16);
  if (h.length % 2) h = '0' + h;
  if (parseInt(h.slice(0, 2), 16) >= 0x80) h = '00' + h;
  return Uint8Array.from(Buffer.from(h, 'hex'));
}
const RSA_ALG = Uint8Array.from([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);
const spki = (nBytes, e) =>
  tlv(0x30, RSA_ALG, tlv(0x03, [0], tlv(0x30, tlv(0x02, nBytes), tlv(0x02, intBytes(e)))));

function median(fn) {
  for (let i = 0; i < 10; i++) fn(); // warm up
  const t = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

function report(name, fn) {
  let outcome = 'accepted';
  try {
    const r = fn();
    if (r === false) outcome = 'false';
  } catch (e) {
    outcome = e.code ?? e.name;
  }
  const ms = median(() => {
    try {
      fn();
    } catch {}
  });
  console.log(`${name.padEnd(52)} ${ms.toFixed(4).padStart(10)} ms  (${outcome})`);
}

const p = nobleProvider();
const n16384 = (1n << 16383n) + 1n;
const eHuge = (1n << 64n) + 1n;
const hugeSpki = spki(intBytes(n16384), eHuge);
const giantSpki = spki(new Uint8Array(120_000).fill(0x5a), 65537n);
const msg = new Uint8Array(100).fill(1);
const alg = { type: 'rsa-pkcs1', hash: 'sha256' };

report('parse SPKI: 16384-bit n, e = 2^64+1', () => parsePublicKeyInfo(hugeSpki));
report('parse SPKI: 960000-bit n (120 KB)', () => parsePublicKeyInfo(giantSpki));
report('verify: 16384-bit n, e = 2^64+1', () => p.verify({ type: 'rsa', n: n16384, e: eHuge }, alg, msg, new Uint8Array(2048).fill(1)));
report('verify: 8192-bit n, e = 65537 (accepted, for scale)', () =>
  p.verify({ type: 'rsa', n: (1n << 8191n) + 1n, e: 65537n }, alg, msg, new Uint8Array(1024).fill(1)));
