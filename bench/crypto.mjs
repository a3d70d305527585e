// Crypto micro-benchmarks for the noble provider.
//   npx vite-node bench/crypto.mjs        (runs the TypeScript sources directly)
// node:crypto is used only to generate the RSA test key.
import { generateKeyPairSync } from 'node:crypto';
import { nobleProvider } from '../src/crypto/noble.ts';
import { NamedGroup } from '../src/common/constants.ts';

const p = nobleProvider();
const seconds = Number(process.env.BENCH_SECONDS ?? 1);

function bench(name, fn, bytes = 0) {
  for (let i = 0; i < 5; i++) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  let dt = 0;
  while ((dt = performance.now() - t0) < seconds * 1000) {
    fn();
    n++;
  }
  const ops = (n * 1000) / dt;
  const mbs = bytes ? `  ${((ops * bytes) / 1e6).toFixed(1)} MB/s` : '';
  console.log(`${name.padEnd(34)} ${ops.toFixed(1).padStart(10)} ops/s${mbs}`);
}

const b64 = (s) => BigInt('0x' + Buffer.from(s, 'base64url').toString('hex'));
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const j = privateKey.export({ format: 'jwk' });
const rsa = { type: 'rsa', n: b64(j.n), e: b64(j.e), d: b64(j.d), p: b64(j.p), q: b64(j.q), dp: b64(j.dp), dq: b64(j.dq), qi: b64(j.qi) };
const rsaPub = { type: 'rsa', n: rsa.n, e: rsa.e };
const msg = new Uint8Array(200).fill(1);
const pkcs1 = { type: 'rsa-pkcs1', hash: 'sha256' };
const pss = { type: 'rsa-pss', hash: 'sha256', saltLength: 32 };
const rsaSig = p.sign(rsa, pkcs1, msg);
const pssSig = p.sign(rsa, pss, msg);
bench('RSA-2048 PKCS#1 sign', () => p.sign(rsa, pkcs1, msg));
bench('RSA-2048 PSS sign', () => p.sign(rsa, pss, msg));
bench('RSA-2048 PKCS#1 verify', () => p.verify(rsaPub, pkcs1, msg, rsaSig));
bench('RSA-2048 PSS verify', () => p.verify(rsaPub, pss, msg, pssSig));

const peerX = p.keyExchange(NamedGroup.x25519).publicKey;
bench('X25519 keygen + complete', () => p.keyExchange(NamedGroup.x25519).complete(peerX));
const peerP = p.keyExchange(NamedGroup.secp256r1).publicKey;
bench('P-256 ECDHE keygen + complete', () => p.keyExchange(NamedGroup.secp256r1).complete(peerP));
const peerF = p.keyExchange(NamedGroup.ffdhe2048).publicKey;
bench('ffdhe2048 keygen + complete', () => p.keyExchange(NamedGroup.ffdhe2048).complete(peerF));

const { p256 } = await import('@noble/curves/nist.js');
const d = p256.utils.randomSecretKey();
const ec = { type: 'ec', curve: 'P-256', d, point: p256.getPublicKey(d, false) };
const ecdsa = { type: 'ecdsa', hash: 'sha256' };
const ecSig = p.sign(ec, ecdsa, msg);
bench('ECDSA P-256 sign', () => p.sign(ec, ecdsa, msg));
bench('ECDSA P-256 verify', () => p.verify({ type: 'ec', curve: 'P-256', point: ec.point }, ecdsa, msg, ecSig));

const { ed25519 } = await import('@noble/curves/ed25519.js');
const seed = new Uint8Array(32).fill(3);
const ed = { type: 'ed25519', seed, key: ed25519.getPublicKey(seed) };
const edSig = p.sign(ed, { type: 'ed25519' }, msg);
bench('Ed25519 sign', () => p.sign(ed, { type: 'ed25519' }, msg));
bench('Ed25519 verify', () => p.verify({ type: 'ed25519', key: ed.key }, { type: 'ed25519' }, msg, edSig));

const nonce = new Uint8Array(12);
const aad = new Uint8Array(13);
for (const size of [16384, 1024]) {
  const pt = new Uint8Array(size);
  for (const alg of ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305']) {
    const aead = p.aead(alg, new Uint8Array(alg === 'AES-128-GCM' ? 16 : 32));
    const ct = aead.seal(nonce, pt, aad);
    bench(`${alg} seal ${size}`, () => aead.seal(nonce, pt, aad), size);
    bench(`${alg} open ${size}`, () => aead.open(nonce, ct, aad), size);
  }
}
const h = new Uint8Array(16384);
bench('SHA-256 16 KiB', () => p.hash('sha256').update(h), 16384);
