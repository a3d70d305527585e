// TLS over sockets on 127.0.0.1, every figure beside node:tls measured in the
// same run: prints tables, asserts nothing (shared/PERFORMANCE.md).
//
//   node bench/sockets.mjs [--quick]      (after `npm run build`; also run by `npm run bench`)
//
// Servers run in a child process (bench/sockets-server.mjs), clients in this
// one. Each figure alternates its contenders round by round (paired rounds,
// each round time-bounded) and prints the median of the rounds. Contenders:
// node:tls (the anchor), puretls with the @noble provider (default) and with
// the node:crypto provider (dist/node-crypto.js, when built), lemon-tls 0.7
// (TLS 1.3 in JS on node:crypto) and node-forge 1.4 (TLS 1.0/1.1 only: RSA key
// transport, AES-128-CBC + HMAC-SHA1, RSA-2048 certificate, against node:tls
// at @SECLEVEL=0; the others: TLS 1.3, ECDSA P-256 certificate, X25519).
// Bulk figures use AES-128-GCM (TLS_AES_128_GCM_SHA256) where the contender
// speaks TLS 1.3.
//
// Environment: ROUNDS, HS_MS and BULK_MS (ms per contender per round),
// MEM_CONNS (idle connections of the memory figure), PURETLS_DIST (a dist/ to
// measure instead of ../dist).
import { execFileSync, fork } from 'node:child_process';
import { constants } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import lemonTls from 'lemon-tls';
import { ForgeSocket, forgeSessionCache } from './sockets-forge.mjs';
import { makeCert } from './common.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = process.env.PURETLS_DIST ?? join(here, '..', 'dist'); // another build to measure
const QUICK = process.argv.includes('--quick');
const ROUNDS = Number(process.env.ROUNDS ?? (QUICK ? 3 : 5));
const HS_MS = Number(process.env.HS_MS ?? (QUICK ? 120 : 400));
const BULK_MS = Number(process.env.BULK_MS ?? (QUICK ? 150 : 450));
const MEM_CONNS = Number(process.env.MEM_CONNS ?? (QUICK ? 150 : 500));
const MiB = 1024 * 1024;
const ONLY = process.env.ONLY?.split(','); // figure keys, for debugging

const puretls = await import(pathToFileURL(join(dist, 'index.js')).href);
const nodeCryptoPath = join(dist, 'node-crypto.js');
const nodeCrypto = existsSync(nodeCryptoPath) ? await import(pathToFileURL(nodeCryptoPath).href) : null;
const NOT_BUILT = 'n/a (not built)';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- certificates --------------------------------------------------------------------

function makeRsaCert() {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-bench-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- child processes (servers) -------------------------------------------------------

const children = new Set();

function killChildren() {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

async function startChild(execArgv = []) {
  const c = fork(join(here, 'sockets-server.mjs'), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(c);
  const pending = new Map();
  const sinkEvents = [];
  const sinkWaiters = [];
  let next = 1;
  let ready;
  const readyP = new Promise((r) => (ready = r));
  c.on('message', (m) => {
    if (m.ready) ready(m);
    else if (m.event === 'sink') {
      const w = sinkWaiters.shift();
      if (w) w(m.sink);
      else sinkEvents.push(m.sink);
    } else if (m.id) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (p) m.error ? p.reject(new Error(m.error)) : p.resolve(m);
    }
  });
  c.on('exit', (code) => {
    children.delete(c);
    for (const p of pending.values()) p.reject(new Error(`server child exited (${code})`));
    pending.clear();
  });
  await readyP;
  return {
    rpc: (msg) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        c.send({ ...msg, id });
      }),
    /** The next sink report, after dropping stale ones; cancel() withdraws the wait. */
    nextSink: () => {
      sinkEvents.length = 0;
      let w;
      const promise = new Promise((r) => sinkWaiters.push((w = r)));
      return { promise, cancel: () => sinkWaiters.includes(w) && sinkWaiters.splice(sinkWaiters.indexOf(w), 1) };
    },
    kill: () => {
      c.kill('SIGKILL');
      children.delete(c);
    },
  };
}

// ---- clients (this process) ----------------------------------------------------------

// node:tls as node-forge's peer: forge's server answers TLS 1.0 (it skips its own
// TLS 1.1), forge's client offers TLS 1.1; forge does not do secure renegotiation.
const TLS11 = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'AES128-SHA:@SECLEVEL=0', secureOptions: constants.SSL_OP_LEGACY_SERVER_CONNECT };
let nodeProvider = null;
try {
  nodeProvider = nodeCrypto ? nodeCrypto.nodeCryptoProvider() : null;
} catch (e) {
  console.log(`dist/node-crypto.js: nodeCryptoProvider() failed (${e.message}); its rows will fail`);
}

const CLIENTS = {
  node: (o) => tls.connect(o),
  'puretls-noble': (o) => puretls.connect(o),
  'puretls-node': (o) => puretls.connect({ ...o, provider: nodeProvider }),
  lemon: ({ ciphers, ...o }) => lemonTls.connect({ ...o, ...(ciphers ? { allowedCipherSuites: [0x1301] } : {}) }),
  forge: (o) => new ForgeSocket(net.connect(o.port, o.host), { server: false, ca: o.ca, sessionCache: o.forgeCache }),
};

/** One connection: handshake, the server's 'ok', close. Tracks sessions and resumption in `st`. */
function handshakeOnce(make, opts, st) {
  return new Promise((resolve, reject) => {
    const s = make(st?.session ? { ...opts, session: st.session } : opts);
    let secure = false;
    if (st?.resume) s.on('session', (sess) => (st.session = sess));
    s.once('secureConnect', () => {
      secure = true;
      if (st) {
        st.n++;
        if (s.isSessionReused?.()) st.reused++;
        st.proto ??= `${s.getProtocol?.()} ${s.getCipher?.()?.name ?? ''}`.trim();
      }
    });
    s.on('error', (e) => {
      s.destroy();
      reject(e);
    });
    s.on('close', () => (secure ? resolve() : reject(new Error('closed before the handshake'))));
    s.resume();
  });
}

async function handshakeRate(make, opts, conc, ms, st) {
  let n = 0;
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  const worker = async () => {
    while (performance.now() < end) {
      try {
        await handshakeOnce(make, opts, st);
        n++;
      } catch (e) {
        if (++errors > 10) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  return n / ((performance.now() - t0) / 1000);
}

/** The client receives (the server's mode is 'source') for `ms` after the first byte; MB/s. */
function receiveRate(make, opts, ms, st) {
  return new Promise((resolve, reject) => {
    const s = make(opts);
    let bytes = 0;
    let t0 = 0;
    let done = false;
    s.once('secureConnect', () => (st.proto ??= `${s.getProtocol?.()} ${s.getCipher?.()?.name ?? ''}`.trim()));
    s.on('data', (d) => {
      if (t0) return void (bytes += d.length);
      t0 = performance.now();
      setTimeout(() => {
        done = true;
        const dt = performance.now() - t0;
        s.destroy();
        resolve(bytes / 1e6 / (dt / 1000));
      }, ms);
    });
    s.on('error', (e) => {
      if (!done) reject(e);
    });
    s.on('close', () => !done && reject(new Error(`closed after ${bytes} bytes`)));
  });
}

/** The client sends 1 MiB writes for `ms`, then ends; the server (mode 'sink') times first to last byte; MB/s. */
async function sendRate(make, opts, ms, child, st) {
  const chunk = Buffer.alloc(MiB, 0xa5);
  const sinkP = child.nextSink();
  const s = make(opts);
  try {
    return await sendOn(s, ms, sinkP, chunk, st);
  } finally {
    sinkP.cancel();
    s.destroy();
  }
}

async function sendOn(s, ms, sinkP, chunk, st) {
  s.on('error', () => {});
  await once(s, 'secureConnect');
  st.proto ??= `${s.getProtocol?.()} ${s.getCipher?.()?.name ?? ''}`.trim();
  s.resume();
  const t0 = performance.now();
  await new Promise((r) => {
    const pump = () => {
      while (performance.now() - t0 < ms) if (!s.write(chunk)) return void s.once('drain', pump);
      s.end();
      r();
    };
    pump();
  });
  let timer;
  const sink = await Promise.race([sinkP.promise, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('no sink report within 30 s')), 30_000)))]);
  clearTimeout(timer);
  return sink.bytes / 1e6 / (sink.ms / 1000);
}

// ---- in-memory anchors: raw AEAD and the public-key ceiling ---------------------------

function rate(fn, ms) {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    fn();
    n++;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

function cryptoAnchors(provider, p256) {
  const ms = QUICK ? 150 : 300;
  const rounds = QUICK ? 3 : ROUNDS;
  const aead = provider.aead('AES-128-GCM', new Uint8Array(16).fill(7));
  const nonce = new Uint8Array(12);
  const aad = new Uint8Array(5);
  const rec = new Uint8Array(16384).fill(1);
  const sealed = aead.seal(nonce, rec, aad);
  const key = puretls.parsePrivateKey(p256.key);
  const pub = { type: 'ec', curve: key.curve, point: key.point };
  const scheme = { type: 'ecdsa', hash: 'sha256' };
  const msg = new Uint8Array(130).fill(3);
  const sig = provider.sign(key, scheme, msg);
  if (!provider.verify(pub, scheme, msg, sig)) throw new Error('ECDSA self-check failed');
  const peer = provider.keyExchange(puretls.NamedGroup.x25519).publicKey;
  const xs = { seal: [], open: [], kx: [], sign: [], verify: [] };
  for (let r = 0; r < rounds; r++) {
    xs.seal.push((rate(() => aead.seal(nonce, rec, aad), ms) * 16384) / 1e6);
    xs.open.push((rate(() => aead.open(nonce, sealed, aad), ms) * 16384) / 1e6);
    xs.kx.push(rate(() => provider.keyExchange(puretls.NamedGroup.x25519).complete(peer), ms));
    xs.sign.push(rate(() => provider.sign(key, scheme, msg), ms));
    xs.verify.push(rate(() => provider.verify(pub, scheme, msg, sig), ms));
  }
  const m = Object.fromEntries(Object.entries(xs).map(([k, v]) => [k, median(v)]));
  return { ...m, serverCeiling: 1 / (1 / m.kx + 1 / m.sign), clientCeiling: 1 / (1 / m.kx + 1 / m.verify) };
}

// ---- tables --------------------------------------------------------------------------

const W = 36;
function table(title, unit, rows, extraHead) {
  console.log(`\n${title}`);
  const anchor = rows.find((r) => r.anchor)?.value;
  console.log(`${'contender'.padEnd(W)} ${unit.padStart(15)}  ${'/ node:tls'.padStart(10)}  ${(extraHead ?? '').padStart(14)}  negotiated`);
  for (const r of rows) {
    const d = unit === 'MB/s' ? 1 : 0;
    const v = typeof r.value === 'number' ? r.value.toFixed(d) : r.value;
    const ratio = typeof r.value === 'number' && anchor ? (r.value / anchor).toFixed(2) : '';
    const extra = typeof r.value === 'number' && r.ceiling ? `${(r.value / r.ceiling).toFixed(2)}` : '';
    console.log(`${r.label.padEnd(W)} ${String(v).padStart(15)}  ${ratio.padStart(10)}  ${extra.padStart(14)}  ${r.note ?? ''}`);
  }
}

// ---- main ----------------------------------------------------------------------------

const FORGE_LABEL = 'node-forge 1.4 (TLS 1.0/1.1, RSA kx)';
const LABELS = {
  node: 'node:tls (anchor)',
  'puretls-noble': 'puretls @noble',
  'puretls-node': 'puretls node:crypto',
  lemon: 'lemon-tls 0.7',
  forge: FORGE_LABEL,
};
const IMPLS = ['node', 'puretls-noble', 'puretls-node', 'lemon', 'forge'];

async function main() {
  const t00 = performance.now();
  const p256 = makeCert();
  const rsa = makeRsaCert();
  const cpu = os.cpus()[0]?.model ?? '?';
  console.log(`puretls sockets bench — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, OpenSSL ${process.versions.openssl}, ${os.cpus().length} × ${cpu}`);
  console.log(`127.0.0.1; servers in a child process, clients in this one; paired rounds: ${ROUNDS}, ${HS_MS} ms (handshakes) / ${BULK_MS} ms (bulk) per contender per round; medians${QUICK ? ' (--quick)' : ''}`);
  console.log('TLS 1.3, ECDSA P-256 certificate, X25519 unless marked; node-forge: TLS 1.0 (its server) / 1.1 (its client), RSA-2048 key transport, AES128-SHA, with node:tls at @SECLEVEL=0 as its peer');
  if (!nodeCrypto) console.log(`puretls node:crypto provider: ${NOT_BUILT} (no dist/node-crypto.js)`);

  // In-memory anchors, same run.
  const crypto = { noble: cryptoAnchors(puretls.nobleProvider(), p256) };
  try {
    crypto.node = nodeProvider ? cryptoAnchors(nodeProvider, p256) : null;
  } catch (e) {
    crypto.node = null;
    crypto.nodeError = e.message;
  }
  console.log('\nIn-memory anchors (this process): AES-128-GCM on 16 KiB per call; public-key work of one handshake');
  console.log(`${'provider'.padEnd(22)} ${'seal MB/s'.padStart(10)} ${'open MB/s'.padStart(10)} ${'X25519/s'.padStart(9)} ${'sign/s'.padStart(8)} ${'verify/s'.padStart(9)} ${'server ceil/s'.padStart(14)} ${'client ceil/s'.padStart(14)}`);
  for (const [name, c] of [['@noble', crypto.noble], ['node:crypto', crypto.node]]) {
    if (!c) {
      console.log(`${name.padEnd(22)} ${nodeCrypto ? `n/a (${crypto.nodeError})` : NOT_BUILT}`);
      continue;
    }
    console.log(
      `${name.padEnd(22)} ${c.seal.toFixed(1).padStart(10)} ${c.open.toFixed(1).padStart(10)} ${c.kx.toFixed(0).padStart(9)} ${c.sign.toFixed(0).padStart(8)} ${c.verify.toFixed(0).padStart(9)} ${c.serverCeiling.toFixed(0).padStart(14)} ${c.clientCeiling.toFixed(0).padStart(14)}`,
    );
  }
  console.log('ceilings: server = X25519 keygen+derive + 1 ECDSA P-256 sign; client = X25519 keygen+derive + 1 ECDSA P-256 verify (one thread)');

  const ceil = (impl, what) => (impl === 'puretls-noble' ? crypto.noble : impl === 'puretls-node' ? crypto.node : null)?.[what];
  const results = {};
  const child = await startChild();
  try {
    const figures = [
      { key: 'hsServer1', title: 'Full handshakes/s, server role: contender server ← node:tls client, sequential', role: 'server', kind: 'hs', conc: 1, ceil: 'serverCeiling' },
      { key: 'hsServer8', title: 'Full handshakes/s, server role, 8 concurrent node:tls clients', role: 'server', kind: 'hs', conc: 8, ceil: 'serverCeiling' },
      { key: 'hsClient1', title: 'Full handshakes/s, client role: contender client → node:tls server, sequential', role: 'client', kind: 'hs', conc: 1, ceil: 'clientCeiling' },
      { key: 'hsClient8', title: 'Full handshakes/s, client role, 8 concurrent clients', role: 'client', kind: 'hs', conc: 8, ceil: 'clientCeiling' },
      { key: 'resServer', title: 'Resumed handshakes/s (TLS 1.3 ticket, psk_dhe_ke), server role, sequential', role: 'server', kind: 'hs', conc: 1, resume: true },
      { key: 'resClient', title: 'Resumed handshakes/s (TLS 1.3 ticket, psk_dhe_ke), client role, sequential', role: 'client', kind: 'hs', conc: 1, resume: true },
      { key: 'bulkServerSend', title: 'Bulk MB/s, server sends → node:tls client (AES-128-GCM)', role: 'server', kind: 'recv', ceil: 'seal' },
      { key: 'bulkServerRecv', title: 'Bulk MB/s, server receives ← node:tls client (AES-128-GCM)', role: 'server', kind: 'send', ceil: 'open' },
      { key: 'bulkClientSend', title: 'Bulk MB/s, client sends → node:tls server (AES-128-GCM)', role: 'client', kind: 'send', ceil: 'seal' },
      { key: 'bulkClientRecv', title: 'Bulk MB/s, client receives ← node:tls server (AES-128-GCM)', role: 'client', kind: 'recv', ceil: 'open' },
    ];
    for (const f of figures) results[f.key] = {};
    for (const f of figures) {
      if (ONLY && !ONLY.includes(f.key)) continue;
      const rows = [];
      const live = [];
      for (const impl of IMPLS) {
        const row = { impl, label: LABELS[impl], anchor: impl === 'node' };
        rows.push(row);
        if (impl === 'puretls-node' && !nodeCrypto) {
          row.value = NOT_BUILT;
          continue;
        }
        if (impl === 'forge' && f.resume && f.role === 'server') {
          // forge resumes by TLS 1.2-style session ID; measured, but not a ticket.
        }
        const forge = impl === 'forge';
        const creds = forge ? rsa : p256;
        const mode = f.kind === 'hs' ? 'hs' : f.kind === 'recv' ? 'source' : 'sink';
        const serverImpl = f.role === 'server' ? impl : 'node';
        const clientImpl = f.role === 'server' ? 'node' : impl;
        const { port } = await child.rpc({ cmd: 'listen', impl: serverImpl, mode, key: creds.key, cert: creds.cert, tls11: forge });
        const opts = { host: '127.0.0.1', port, ca: creds.cert, servername: 'localhost', ...(forge ? TLS11 : {}), ...(mode !== 'hs' && !forge ? { ciphers: 'TLS_AES_128_GCM_SHA256' } : {}) };
        if (forge) opts.forgeCache = forgeSessionCache();
        const make = CLIENTS[clientImpl];
        const st = { n: 0, reused: 0, session: null };
        const c = { impl, row, port, opts, make, st, xs: [] };
        try {
          // Warm-up (not measured): JIT, @noble's tables, a first session for resumption.
          if (f.kind === 'hs') {
            if (f.resume && forge) throw new Error('TLS 1.0/1.1 only: no TLS 1.3 tickets');
            st.resume = !!f.resume;
            for (let i = 0; i < 3; i++) await handshakeOnce(make, opts, st);
            if (f.resume && !st.session) throw new Error('the server sent no session to resume');
            st.n = st.reused = 0;
          } else if (f.kind === 'recv') await receiveRate(make, opts, 50, st);
          else await sendRate(make, opts, 50, child, st);
          live.push(c);
        } catch (e) {
          row.value = 'n/a';
          row.note = e.message.slice(0, 70);
          await child.rpc({ cmd: 'close', port });
        }
        if (forge && !row.note) row.note = 'RSA-2048';
      }
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 ? [...live].reverse() : live;
        for (const c of order) {
          if (c.failed) continue;
          try {
            let v;
            if (f.kind === 'hs') v = await handshakeRate(c.make, c.opts, f.conc, HS_MS, c.st);
            else if (f.kind === 'recv') v = await receiveRate(c.make, c.opts, BULK_MS, c.st);
            else v = await sendRate(c.make, c.opts, BULK_MS, child, c.st);
            c.xs.push(v);
          } catch (e) {
            c.failed = e.message;
          }
        }
      }
      for (const c of live) {
        await child.rpc({ cmd: 'close', port: c.port });
        if (c.xs.length) c.row.value = median(c.xs);
        else c.row.value = 'n/a';
        if (f.ceil) c.row.ceiling = ceil(c.impl, f.ceil);
        const notes = [];
        if (c.st.proto) notes.push(c.st.proto);
        if (c.row.note) notes.push(c.row.note);
        if (f.resume) notes.push(`${c.st.reused}/${c.st.n} resumed`);
        if (c.failed) notes.push(`${c.xs.length ? 'a round failed' : 'failed'}: ${c.failed.slice(0, 60)}`);
        c.row.note = notes.join('; ');
      }
      const extra = f.ceil ? (f.kind === 'hs' ? '/ pk ceiling' : `/ raw ${f.ceil}`) : '';
      table(f.title, f.kind === 'hs' ? 'hs/s' : 'MB/s', rows, extra);
      results[f.key] = Object.fromEntries(rows.map((r) => [r.impl, r.value]));
    }
  } finally {
    child.kill();
  }

  // Memory per idle connection: a fresh child per server, GC forced before each reading.
  const mem = {};
  const memRows = [];
  for (const impl of ONLY && !ONLY.includes('mem') ? [] : IMPLS) {
    const row = { impl, label: LABELS[impl] };
    memRows.push(row);
    if (impl === 'puretls-node' && !nodeCrypto) {
      row.value = NOT_BUILT;
      continue;
    }
    const forge = impl === 'forge';
    const creds = forge ? rsa : p256;
    const c = await startChild(['--expose-gc']);
    const socks = [];
    try {
      const { port } = await c.rpc({ cmd: 'listen', impl, mode: 'idle', key: creds.key, cert: creds.cert });
      const opts = { host: '127.0.0.1', port, ca: creds.cert, servername: 'localhost', ...(forge ? TLS11 : {}) };
      const open = () =>
        new Promise((resolve, reject) => {
          const s = tls.connect(opts);
          socks.push(s);
          s.on('error', reject);
          s.once('secureConnect', resolve);
        });
      for (let i = 0; i < 5; i++) await open();
      for (const s of socks.splice(0)) s.destroy();
      let m0;
      for (let i = 0; i < 100; i++) {
        m0 = await c.rpc({ cmd: 'mem' });
        if (m0.conns === 0) break;
        await sleep(20);
      }
      const todo = Array.from({ length: MEM_CONNS }, (_, i) => i);
      await Promise.all(Array.from({ length: 16 }, async () => { while (todo.pop() !== undefined) await open(); }));
      let m1;
      const deadline = performance.now() + 60_000;
      for (;;) {
        await sleep(100);
        m1 = await c.rpc({ cmd: 'mem' });
        if (m1.conns >= MEM_CONNS || performance.now() > deadline) break;
      }
      if (m1.conns < MEM_CONNS) throw new Error(`only ${m1.conns} connections held`);
      row.rss = (m1.rss - m0.rss) / MEM_CONNS / 1024;
      row.heap = (m1.heapUsed - m0.heapUsed) / MEM_CONNS / 1024;
      row.value = row.rss;
      if (!m1.gc) row.note = 'no --expose-gc';
    } catch (e) {
      row.value = `n/a (${e.message.slice(0, 60)})`;
    } finally {
      for (const s of socks) s.destroy();
      c.kill();
    }
    mem[impl] = row;
  }
  console.log(`\nServer memory per idle connection (KiB): ${MEM_CONNS} connections held open to a server in a fresh child process (node:tls clients here); deltas after forced GC`);
  const a = mem.node;
  console.log(`${'contender'.padEnd(W)} ${'RSS KiB'.padStart(10)}  ${'/ node:tls'.padStart(10)}  ${'heap KiB'.padStart(10)}  ${'/ node:tls'.padStart(10)}  note`);
  for (const r of memRows) {
    if (typeof r.rss !== 'number') {
      console.log(`${r.label.padEnd(W)} ${r.value}`);
      continue;
    }
    const ra = typeof a?.rss === 'number' ? (r.rss / a.rss).toFixed(2) : '';
    const ha = typeof a?.heap === 'number' ? (r.heap / a.heap).toFixed(2) : '';
    console.log(`${r.label.padEnd(W)} ${r.rss.toFixed(1).padStart(10)}  ${ra.padStart(10)}  ${r.heap.toFixed(1).padStart(10)}  ${ha.padStart(10)}  ${r.impl === 'forge' ? 'TLS 1.0, RSA-2048' : ''}${r.note ?? ''}`);
  }

  // Summary against the goals of shared/PERFORMANCE.md (ratios; nothing asserted).
  const R = (x, y) => (typeof x === 'number' && typeof y === 'number' ? (x / y).toFixed(2) : 'n/a');
  const nb = crypto.noble;
  const nc = crypto.node;
  console.log('\nSummary: goals (shared/PERFORMANCE.md) and the ratios measured in this run');
  const line = (goal, parts) => console.log(`- ${goal}: ${parts.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  line('@noble bulk over sockets >= 0.85 x raw AEAD', [
    ['server sends/seal', R(results.bulkServerSend['puretls-noble'], nb.seal)],
    ['server receives/open', R(results.bulkServerRecv['puretls-noble'], nb.open)],
    ['client sends/seal', R(results.bulkClientSend['puretls-noble'], nb.seal)],
    ['client receives/open', R(results.bulkClientRecv['puretls-noble'], nb.open)],
  ]);
  line('@noble handshakes >= 0.9 x public-key ceiling', [
    ['server seq', R(results.hsServer1['puretls-noble'], nb.serverCeiling)],
    ['server x8', R(results.hsServer8['puretls-noble'], nb.serverCeiling)],
    ['client seq', R(results.hsClient1['puretls-noble'], nb.clientCeiling)],
    ['client x8', R(results.hsClient8['puretls-noble'], nb.clientCeiling)],
  ]);
  const pn = (k) => results[k]['puretls-node'];
  const nodeNote = nodeCrypto ? '' : ` (${NOT_BUILT})`;
  line(`node:crypto provider bulk >= 0.6 x node:tls each way${nodeNote}`, [
    ['server sends', R(pn('bulkServerSend'), results.bulkServerSend.node)],
    ['server receives', R(pn('bulkServerRecv'), results.bulkServerRecv.node)],
    ['client sends', R(pn('bulkClientSend'), results.bulkClientSend.node)],
    ['client receives', R(pn('bulkClientRecv'), results.bulkClientRecv.node)],
  ]);
  line(`node:crypto provider handshakes >= 1.0 x node:tls both roles${nodeNote}`, [
    ['server seq', R(pn('hsServer1'), results.hsServer1.node)],
    ['server x8', R(pn('hsServer8'), results.hsServer8.node)],
    ['client seq', R(pn('hsClient1'), results.hsClient1.node)],
    ['client x8', R(pn('hsClient8'), results.hsClient8.node)],
    ['resumed server', R(pn('resServer'), results.resServer.node)],
    ['resumed client', R(pn('resClient'), results.resClient.node)],
  ]);
  if (nc) line('node:crypto provider handshakes / its public-key ceiling', [['server seq', R(pn('hsServer1'), nc.serverCeiling)], ['client seq', R(pn('hsClient1'), nc.clientCeiling)]]);
  line('idle connection memory <= node:tls (ratio to node:tls)', [
    ['@noble RSS', R(mem['puretls-noble']?.rss, mem.node?.rss)],
    ['@noble heap', R(mem['puretls-noble']?.heap, mem.node?.heap)],
    ['node:crypto RSS', R(mem['puretls-node']?.rss, mem.node?.rss)],
    ['node:crypto heap', R(mem['puretls-node']?.heap, mem.node?.heap)],
  ]);
  line('far ahead of node-forge (puretls @noble / node-forge)', [
    ['server hs', R(results.hsServer1['puretls-noble'], results.hsServer1.forge)],
    ['client hs', R(results.hsClient1['puretls-noble'], results.hsClient1.forge)],
    ['server sends', R(results.bulkServerSend['puretls-noble'], results.bulkServerSend.forge)],
    ['client receives', R(results.bulkClientRecv['puretls-noble'], results.bulkClientRecv.forge)],
  ]);
  console.log('- worst event-loop delay <= node:tls: not measured here (bench/eventloop.mjs)');
  console.log(`\n(${((performance.now() - t00) / 1000).toFixed(0)} s)`);
}

try {
  await main();
} finally {
  killChildren();
}
process.exit(0);
