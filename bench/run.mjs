// puretls benchmark: prints tables, asserts nothing. Run with `npm run bench`
// (builds dist/ first). Each figure is the median of RUNS runs, printed beside
// an anchor measured in the same process, because absolute numbers move ±30%
// between runs on a shared 2-core machine (shared/PERFORMANCE.md).
import { execFileSync } from 'node:child_process';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Connection,
  TlsContext,
  nobleProvider,
  parsePrivateKey,
  decodePem,
  DefaultVerifier,
  CipherSuite,
  NamedGroup,
  KeyUpdateType,
} from '../dist/index.js';

const RUNS = Number(process.env.RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, d = 1) => x.toFixed(d).padStart(9);

function makeCert(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-bench-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const alg = kind === 'p256' ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] : kind === 'rsa' ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'] : ['-algorithm', 'ED25519'];
    execFileSync('openssl', ['genpkey', ...alg, '-out', key], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const pem = readFileSync(cert, 'utf8');
    return { chain: decodePem(pem).map((b) => b.der), key: parsePrivateKey(readFileSync(key, 'utf8')), pem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pair(cert, suite = CipherSuite.TLS_AES_128_GCM_SHA256, group = NamedGroup.x25519, limits = {}) {
  const server = new Connection(new TlsContext({ certificate: { chain: cert.chain, key: cert.key }, limits }), 'server');
  const client = new Connection(
    new TlsContext({ verifier: new DefaultVerifier({ ca: cert.chain }), cipherSuites: [suite], groups: [group], limits }),
    'client',
    { serverName: 'localhost' },
  );
  return { client, server };
}

function drive(a, b) {
  for (;;) {
    const x = a.takeOutgoing();
    if (x) b.receive(x);
    const y = b.takeOutgoing();
    if (y) a.receive(y);
    if (!x && !y) return;
  }
}

function timeIt(fn, minMs = 400) {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

// --- handshakes ---------------------------------------------------------------
function handshakes(cert, scheme) {
  const provider = nobleProvider();
  const msg = new Uint8Array(100);
  const ops = median(
    Array.from({ length: RUNS }, () => {
      // The public-key work of one handshake: 2 key exchanges (each side keygen+derive),
      // one signature, one CertificateVerify verification, one chain signature check.
      const perHs = timeIt(() => {
        const a = provider.keyExchange(NamedGroup.x25519);
        const b = provider.keyExchange(NamedGroup.x25519);
        a.complete(b.publicKey);
        b.complete(a.publicKey);
        const sig = provider.sign(cert.key, scheme, msg);
        const pub = cert.key.type === 'rsa' ? { type: 'rsa', n: cert.key.n, e: cert.key.e } : cert.key.type === 'ec' ? { type: 'ec', curve: cert.key.curve, point: cert.key.point } : { type: 'ed25519', key: cert.key.key };
        provider.verify(pub, scheme, msg, sig);
        provider.verify(pub, scheme, msg, sig);
      });
      return perHs;
    }),
  );
  const full = median(
    Array.from({ length: RUNS }, () =>
      timeIt(() => {
        const p = pair(cert);
        p.client.doHandshake();
        drive(p.client, p.server);
        if (!p.client.handshakeComplete) throw new Error('handshake failed');
      }),
    ),
  );
  return { ops, full };
}

// --- bulk -----------------------------------------------------------------------
function bulk(cert, suite, aeadName, keyUpdateEvery) {
  const provider = nobleProvider();
  const keyLen = aeadName === 'AES-128-GCM' ? 16 : 32;
  const aead = provider.aead(aeadName, new Uint8Array(keyLen).fill(7));
  const nonce = new Uint8Array(12);
  const chunk = new Uint8Array(1 << 20);
  const aad = new Uint8Array(5);
  const rec = new Uint8Array(16385);
  const raw = median(Array.from({ length: RUNS }, () => (timeIt(() => { const c = aead.seal(nonce, rec, aad); aead.open(nonce, c, aad); }) * 16384) / 1e6));
  // The anchor of shared/PERFORMANCE.md: @noble/ciphers called directly, a new cipher per record.
  const key = new Uint8Array(keyLen).fill(7);
  const mk = aeadName === 'CHACHA20-POLY1305' ? (n) => chacha20poly1305(key, n, aad) : (n) => gcm(key, n, aad);
  const noble = median(Array.from({ length: RUNS }, () => (timeIt(() => { const c = mk(nonce).encrypt(rec); mk(nonce).decrypt(c); }) * 16384) / 1e6));
  const limits = keyUpdateEvery ? { keyUpdateAfterRecords: keyUpdateEvery } : {};
  const p = pair(cert, suite, NamedGroup.x25519, limits);
  p.client.doHandshake();
  drive(p.client, p.server);
  const tls = median(
    Array.from({ length: RUNS }, () => (timeIt(() => {
      p.client.write(chunk);
      p.server.receive(p.client.takeOutgoing());
      if (p.server.read().length !== chunk.length) throw new Error('lost data');
      p.server.takeOutgoing();
    }) * chunk.length) / 1e6),
  );
  return { raw, tls, noble };
}

function keyUpdates(cert) {
  const p = pair(cert, CipherSuite.TLS_AES_128_GCM_SHA256, NamedGroup.x25519, { maxKeyUpdates: 1e9 });
  p.client.doHandshake();
  drive(p.client, p.server);
  return median(Array.from({ length: RUNS }, () => timeIt(() => {
    p.client.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    p.client.doHandshake();
    p.server.receive(p.client.takeOutgoing());
  })));
}

console.log(`puretls bench — node ${process.version}, medians of ${RUNS} runs\n`);
console.log('Full TLS 1.3 handshakes, in-memory pair (client + server in one thread), X25519');
console.log('certificate      handshakes/s   pk-ops ceiling/s   ratio (goal >= 0.8)');
const certs = { ed25519: makeCert('ed25519'), p256: makeCert('p256'), rsa: makeCert('rsa') };
const schemes = { ed25519: { type: 'ed25519' }, p256: { type: 'ecdsa', hash: 'sha256' }, rsa: { type: 'rsa-pss', hash: 'sha256', saltLength: 32 } };
for (const k of ['ed25519', 'p256', 'rsa']) {
  const { ops, full } = handshakes(certs[k], schemes[k]);
  console.log(`${k.padEnd(14)} ${fmt(full)}      ${fmt(ops)}          ${fmt(full / ops, 2)}`);
}
console.log('\nBulk, 1 MiB writes through the in-memory pair (seal + open), MB/s');
console.log('suite                          @noble direct   our AEAD      TLS   TLS/@noble (goal >= 0.8)   TLS/our AEAD');
const suites = [
  [CipherSuite.TLS_AES_128_GCM_SHA256, 'TLS_AES_128_GCM_SHA256', 'AES-128-GCM'],
  [CipherSuite.TLS_AES_256_GCM_SHA384, 'TLS_AES_256_GCM_SHA384', 'AES-256-GCM'],
  [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 'TLS_CHACHA20_POLY1305_SHA256', 'CHACHA20-POLY1305'],
];
for (const [id, name, aead] of suites) {
  const { raw, tls, noble } = bulk(certs.ed25519, id, aead, 0);
  console.log(`${name.padEnd(30)} ${fmt(noble)}     ${fmt(raw)} ${fmt(tls)}   ${fmt(tls / noble, 2)}                 ${fmt(tls / raw, 2)}`);
}
console.log('\nKey update');
console.log(`key updates/s (client sends NOT_REQUESTED, server ratchets): ${fmt(keyUpdates(certs.ed25519), 0)}`);
console.log('bulk MB/s, TLS_AES_128_GCM_SHA256, with a key update every N records:');
console.log('N            MB/s     without updates   ratio');
const base = bulk(certs.ed25519, CipherSuite.TLS_AES_128_GCM_SHA256, 'AES-128-GCM', 0).tls;
for (const n of [16, 64, 1024]) {
  const { tls } = bulk(certs.ed25519, CipherSuite.TLS_AES_128_GCM_SHA256, 'AES-128-GCM', n);
  console.log(`${String(n).padEnd(8)} ${fmt(tls)}   ${fmt(base)}        ${fmt(tls / base, 2)}`);
}

// Over TCP on 127.0.0.1, servers in a child process, every figure beside node:tls
// (about 3 minutes; `npm run bench -- --quick`: about 30 s).
execFileSync(process.execPath, [fileURLToPath(new URL('./sockets.mjs', import.meta.url)), ...process.argv.slice(2).filter((a) => a === '--quick')], { stdio: 'inherit' });

// Over TCP, through the Node adapter (minutes each): BENCH_SOCKETS=1 npm run bench.
// Each also takes dist directories to compare, e.g. `node bench/eventloop.mjs before=/tmp/dist-before after=dist`.
if (process.env.BENCH_SOCKETS) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const script of ['throughput.mjs', 'latency.mjs', 'eventloop.mjs']) {
    console.log('');
    execFileSync(process.execPath, [join(here, script)], { stdio: 'inherit' });
  }
}
