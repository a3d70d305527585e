// How long parseCertificate takes on a certificate with one oversized field:
// prints figures, asserts nothing. Linear work means ~10x per row; the old
// INTEGER and OID readers were quadratic (~100x per row, ~2 s at 100 KB).
//
//   npx tsup && node bench/der.mjs
//   npx tsup --out-dir /tmp/der-dist && node bench/der.mjs /tmp/der-dist
//
// Fields: serialNumber (an INTEGER of that size), basicConstraints
// pathLenConstraint (a small INTEGER), an extension OID with one sub-identifier
// of that size. Refusals print the error code.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const dist = process.argv[2] ? pathToFileURL(resolve(process.argv[2], 'index.js')).href : '../dist/index.js';
const { parseCertificate } = await import(dist);
const RUNS = Number(process.env.RUNS ?? 5);

function len(n) {
  if (n < 0x80) return [n];
  const b = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
  return [0x80 | b.length, ...b];
}
function tlv(tag, ...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const l = len(n);
  const out = new Uint8Array(1 + l.length + n);
  out[0] = tag;
  out.set(l, 1);
  let o = 1 + l.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const seq = (...p) => tlv(0x30, ...p);
const bytes = (...b) => Uint8Array.from(b);
const ED25519 = seq(tlv(0x06, bytes(0x2b, 0x65, 0x70)));
const name = (cn) => seq(tlv(0x31, seq(tlv(0x06, bytes(0x55, 0x04, 0x03)), tlv(0x0c, new TextEncoder().encode(cn)))));
const time = (s) => tlv(0x18, new TextEncoder().encode(s));

function certificate(serial, ...extensions) {
  const tbs = seq(
    tlv(0xa0, tlv(0x02, bytes(2))),
    tlv(0x02, serial),
    ED25519,
    name('Bench CA'),
    seq(time('20250101000000Z'), time('20491231235959Z')),
    name('bench.test'),
    seq(ED25519, tlv(0x03, bytes(0), new Uint8Array(32).fill(9))),
    ...(extensions.length ? [tlv(0xa3, seq(...extensions))] : []),
  );
  return seq(tbs, ED25519, tlv(0x03, bytes(0), new Uint8Array(64).fill(7)));
}

const body = (n, first) => {
  const b = new Uint8Array(n).fill(0xa7);
  b[0] = first;
  return b;
};
const BASIC_CONSTRAINTS = tlv(0x06, bytes(0x55, 0x1d, 0x13));
const pathLenExt = (n) =>
  seq(BASIC_CONSTRAINTS, tlv(0x01, bytes(0xff)), tlv(0x04, seq(tlv(0x01, bytes(0xff)), tlv(0x02, body(n, 0x11)))));
function oidExt(n) {
  const arc = new Uint8Array(n + 1).fill(0xff);
  arc[0] = 0x2a;
  arc[n] = 0x01;
  return seq(tlv(0x06, arc), tlv(0x04, bytes(5, 0)));
}

const cases = {
  serialNumber: (n) => certificate(body(n, 0x33)),
  pathLenConstraint: (n) => certificate(bytes(1), pathLenExt(n)),
  'extension OID arc': (n) => certificate(bytes(1), oidExt(n)),
};

function run(der) {
  try {
    parseCertificate(der);
    return 'parsed';
  } catch (e) {
    return e.code ?? e.name;
  }
}

console.log(`parseCertificate, median of ${RUNS} (after one warm-up), from ${dist}`);
for (const [field, make] of Object.entries(cases)) {
  for (const size of [1_000, 10_000, 100_000]) {
    const der = make(size);
    const outcome = run(der);
    const t = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      run(der);
      t.push(performance.now() - t0);
    }
    t.sort((a, b) => a - b);
    const ms = t[t.length >> 1];
    console.log(`${field.padEnd(20)} ${String(size).padStart(7)} B ${ms.toFixed(3).padStart(10)} ms  (${outcome})`);
  }
}
