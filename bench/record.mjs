// Record-layer throughput beside the raw AEAD it is built on, in one run.
//
//   node bench/record.mjs            (builds src/record with tsup into .tmp/bench-record first)
//   node bench/record.mjs --no-build (reuse the last build)
//   SIZE=1024 RUNS=3 MS=300 node bench/record.mjs --no-build   (other record size, shorter run)
//
// The build step is:
//   npx tsup --no-config --entry.record src/record/index.ts [--entry.noble src/crypto/noble.ts] \
//     --format esm -d .tmp/bench-record --clean
// src/crypto/noble.ts is used when it exists; until then a minimal provider on
// @noble/ciphers + @noble/hashes stands in (aead, hmac, hkdf only). Figures are
// medians of several runs; the goal (PERFORMANCE.md) is record/raw >= 0.8.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}.tmp/bench-record`;
const hasNoble = existsSync(`${root}src/crypto/noble.ts`);

if (!process.argv.includes('--no-build')) {
  const entries = ['--entry.record', 'src/record/index.ts'];
  if (hasNoble) entries.push('--entry.noble', 'src/crypto/noble.ts');
  const args = ['tsup', '--no-config', ...entries, '--format', 'esm', '-d', out, '--clean', '--silent'];
  const r = spawnSync('npx', args, {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const rec = await import(pathToFileURL(`${out}/record.js`).href);
const { SendProtection, ReceiveProtection, RecordDeframer } = rec;

async function provider() {
  if (hasNoble) {
    const m = await import(pathToFileURL(`${out}/noble.js`).href);
    return { name: 'nobleProvider()', p: m.nobleProvider() };
  }
  const { gcm } = await import('@noble/ciphers/aes.js');
  const { chacha20poly1305 } = await import('@noble/ciphers/chacha.js');
  const { expand, extract } = await import('@noble/hashes/hkdf.js');
  const { hmac } = await import('@noble/hashes/hmac.js');
  const { sha256, sha384 } = await import('@noble/hashes/sha2.js');
  const H = { sha256, sha384 };
  const p = {
    hmac: (a, k, d) => hmac(H[a], k, d),
    hkdfExtract: (a, salt, ikm) => extract(H[a], ikm, salt),
    hkdfExpand: (a, prk, info, len) => expand(H[a], prk, info, len),
    aead(algorithm, key) {
      const mk = algorithm === 'CHACHA20-POLY1305' ? chacha20poly1305 : gcm;
      return {
        algorithm,
        seal: (nonce, pt, aad) => mk(key, nonce, aad).encrypt(pt),
        open(nonce, ct, aad) {
          try {
            return mk(key, nonce, aad).decrypt(ct);
          } catch {
            return null;
          }
        },
      };
    },
  };
  return { name: 'stand-in @noble provider (src/crypto/noble.ts absent)', p };
}

const SUITES = [
  { name: 'TLS_AES_128_GCM_SHA256', id: 0x1301, aead: 'AES-128-GCM', hash: 'sha256', keyLength: 16 },
  { name: 'TLS_AES_256_GCM_SHA384', id: 0x1302, aead: 'AES-256-GCM', hash: 'sha384', keyLength: 32 },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', id: 0x1303, aead: 'CHACHA20-POLY1305', hash: 'sha256', keyLength: 32 },
].map((s) => ({ ...s, opensslName: s.name, version: '1.3', fixedIvLength: 12 }));

const SIZE = Number(process.env.SIZE ?? 16384);
const RUNS = Number(process.env.RUNS ?? 5);
const MS = Number(process.env.MS ?? 400);
const SLICE = 20;

/**
 * MB/s of each of `fns` ({ bytes, fn }: each call processes `bytes`), measured
 * round-robin in slices of ~SLICE ms so that load from other processes hits
 * all of them alike. Returns, per fn, the median over RUNS runs of ~MS ms each.
 */
function rates(fns) {
  for (const f of fns) for (let i = 0; i < 20; i++) f.fn(); // warm up the JIT
  const perRun = fns.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    const acc = fns.map(() => ({ n: 0, ms: 0 }));
    for (let round = 0; round * SLICE * fns.length < MS * fns.length; round++) {
      fns.forEach((f, k) => {
        const t0 = performance.now();
        let t = t0;
        let n = 0;
        while (t - t0 < SLICE) {
          f.fn();
          n++;
          t = performance.now();
        }
        acc[k].n += n;
        acc[k].ms += t - t0;
      });
    }
    acc.forEach((a, k) => perRun[k].push((a.n * fns[k].bytes) / (a.ms / 1000) / 1e6));
  }
  return perRun.map(median);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const { name: providerName, p } = await provider();
const data = new Uint8Array(SIZE).map((_, i) => i * 7);
const nonce = new Uint8Array(12).fill(3);
const header = Uint8Array.of(23, 3, 3, (SIZE + 17) >> 8, (SIZE + 17) & 0xff);
const secretOf = (s) => new Uint8Array(s.hash === 'sha384' ? 48 : 32).fill(9);

console.log(
  `record layer, ${SIZE}-byte records, ${providerName}, median of ${RUNS} x ${MS} ms, node ${process.version}`,
);
const rows = [];
for (const suite of SUITES) {
  const aead = p.aead(suite.aead, new Uint8Array(suite.keyLength).fill(1));
  const inner = new Uint8Array(SIZE + 1); // the record layer seals data || type
  const ct = aead.seal(nonce, inner, header);
  const tx = SendProtection.tls13(p, suite, secretOf(suite));
  const BATCH = 16;
  const big = new Uint8Array(SIZE * BATCH);
  // open: a fixed batch of records sealed in order, opened by a fresh receiver per batch
  const wire = SendProtection.tls13(p, suite, secretOf(suite)).sealAll(23, big, SIZE);
  const d = new RecordDeframer();
  d.push(wire);
  const records = [];
  for (let r = d.next(); r; r = d.next()) records.push(r);

  const [rawSeal, seal, sealAll, rawOpen, open] = rates([
    { bytes: SIZE, fn: () => aead.seal(nonce, inner, header) },
    { bytes: SIZE, fn: () => tx.seal(23, data) },
    { bytes: SIZE * BATCH, fn: () => tx.sealAll(23, big, SIZE) },
    { bytes: SIZE, fn: () => aead.open(nonce, ct, header) },
    {
      bytes: SIZE * BATCH,
      fn: () => {
        const rx = ReceiveProtection.tls13(p, suite, secretOf(suite));
        for (const r of records) rx.open(r);
      },
    },
  ]);

  rows.push({
    suite: suite.name,
    'raw seal MB/s': rawSeal.toFixed(1),
    'seal MB/s': seal.toFixed(1),
    'seal ratio': (seal / rawSeal).toFixed(2),
    [`sealAll(${BATCH}×) MB/s`]: sealAll.toFixed(1),
    'sealAll ratio': (sealAll / rawSeal).toFixed(2),
    'raw open MB/s': rawOpen.toFixed(1),
    'open MB/s': open.toFixed(1),
    'open ratio': (open / rawOpen).toFixed(2),
  });
}
console.table(rows);
const worst = Math.min(...rows.flatMap((r) => [+r['seal ratio'], +r['sealAll ratio'], +r['open ratio']]));
console.log(`worst ratio ${worst.toFixed(2)} (goal >= 0.80): ${worst >= 0.8 ? 'OK' : 'BELOW GOAL'}`);
