// Where the memory of an idle TLS 1.3 connection goes (issue 19, item 4): a
// heap snapshot of the measured process before and after it holds N idle
// connections, aggregated by constructor. Prints tables, asserts nothing.
//
//   node bench/idle-heap.mjs [N] [--impl=node,puretls-noble,puretls-node] [--side=server|client]
//                           [--top=30] [--holders] [--ciphers=TLS_AES_128_GCM_SHA256] [--max-version=TLSv1.2] [--no-snapshot]
//                           (after `npm run build`; N defaults to 300)
//
// For each implementation (node:tls, puretls with the @noble provider, puretls
// with the node:crypto provider) it is measured twice, each time in fresh
// processes (--expose-gc): the server measured, node:tls clients in another
// child (--side=client: the clients measured, a node:tls server in the other).
// 50 connections are opened and closed first (code, caches), then:
//  1. memory: process.memoryUsage() after forced GCs, before and after the N
//     connections (RSS, heapUsed, arrayBuffers per connection, as bench/sockets.mjs 'mem');
//  2. heap: a heap snapshot (v8.writeHeapSnapshot) before and after; the table
//     sums the self size of the objects that are new in the second snapshot
//     (node ids absent from the first: alive, made while the connections came)
//     by type and constructor name, divided by N. ArrayBuffer backing stores are
//     the 'native system / JSArrayBufferData' rows (off the JS heap, in RSS);
//     '(code)' is optimized code the JIT made meanwhile, not the connections'
//     ('w/o code' in the summary leaves it out).
//  --holders adds: retained sizes (a dominator tree over strong edges) of the
//     new instances of the OWNERS classes and of what each of their fields holds
//     alone; each new object under one retainer (parent . edge); and under the
//     nearest OWNERS object up its retainer chain.
// --ciphers, --max-version: the clients' (node's `ciphers`, `maxVersion`: TLSv1.2), else the server chooses;
// --no-snapshot: the memoryUsage figures only (use a larger N: RSS is noisy).
// Environment: PURETLS_DIST (a dist/ to measure instead of ../dist), KEEP_SNAPSHOTS=1
// (keep the .heapsnapshot files), OWNERS (the classes of the --holders tables).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import v8 from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { aggregate, retained } from './heap-snapshot.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const self = fileURLToPath(import.meta.url);
const dist = process.env.PURETLS_DIST ?? join(here, '..', 'dist');
const role = process.env.IDLE_HEAP_ROLE ?? 'main';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the children: the server and the clients; one of them is measured -----------------

/** A TLS module of `impl` (node:tls, or puretls with its provider): { connect, createServer, provider }. */
async function tlsOf(impl) {
  if (impl === 'node') return { mod: tls, extra: {} };
  const puretls = await import(pathToFileURL(join(dist, 'index.js')).href);
  if (impl !== 'puretls-node') return { mod: puretls, extra: {} };
  const { nodeCryptoProvider } = await import(pathToFileURL(join(dist, 'node-crypto.js')).href);
  return { mod: puretls, extra: { provider: nodeCryptoProvider() } };
}

/** 'state', 'measure' (forced GCs, memoryUsage, a heap snapshot when asked) and 'exit' for either child. */
function serve(socks, info, snapshotDir, impl, handlers) {
  const gc = async () => {
    for (let i = 0; i < 4; i++) {
      globalThis.gc?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  let shot = 0;
  process.on('message', async (m) => {
    if (m.cmd === 'state') process.send({ open: socks.size });
    else if (m.cmd === 'measure') {
      await gc();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      let file;
      if (snapshotDir) file = v8.writeHeapSnapshot(join(snapshotDir, `${impl}-${shot++}.heapsnapshot`));
      process.send({ rss, heapUsed, external, arrayBuffers, file, suite: info.suite });
    } else if (m.cmd === 'exit') process.exit(0);
    else if (handlers[m.cmd]) process.send(await handlers[m.cmd](m));
  });
}

async function serverMain() {
  const { impl, key, cert, snapshotDir } = JSON.parse(process.env.IDLE_HEAP_ARGS);
  const socks = new Set();
  const info = {};
  const handle = (s) => {
    info.suite = s.getCipher()?.standardName ?? s.getCipher()?.name;
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    s.resume(); // idle: nothing arrives; hold it (as bench/sockets-server.mjs 'idle')
  };
  const { mod, extra } = await tlsOf(impl);
  const server = mod.createServer({ key, cert, ...extra }, handle);
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  serve(socks, info, snapshotDir, impl, {});
  process.send({ port: server.address().port });
}

async function clientMain() {
  const { impl, ciphers, maxVersion, snapshotDir } = JSON.parse(process.env.IDLE_HEAP_ARGS);
  const socks = new Set();
  const info = {};
  const { mod, extra } = await tlsOf(impl);
  const open = (port, ca) =>
    new Promise((resolve, reject) => {
      const s = mod.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...(ciphers ? { ciphers } : {}), ...(maxVersion ? { maxVersion } : {}), ...extra });
      socks.add(s);
      s.on('error', reject);
      s.on('close', () => socks.delete(s));
      s.once('secureConnect', () => {
        info.suite = s.getCipher()?.standardName ?? s.getCipher()?.name;
        s.resume();
        resolve();
      });
    });
  serve(socks, info, snapshotDir, impl, {
    open: async (m) => {
      const todo = Array.from({ length: m.n }, (_, i) => i);
      await Promise.all(Array.from({ length: 16 }, async () => { while (todo.pop() !== undefined) await open(m.port, m.ca); }));
      return { opened: m.n };
    },
    closeAll: async () => {
      for (const s of socks) s.destroy();
      return { closed: true };
    },
  });
  process.send({ ready: true });
}

// ---- the orchestrator ---------------------------------------------------------------

function child(roleName, args, execArgv = []) {
  const c = fork(self, [], { env: { ...process.env, IDLE_HEAP_ROLE: roleName, IDLE_HEAP_ARGS: JSON.stringify(args ?? {}) }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue = [];
  const waiters = [];
  let exited = null;
  c.on('message', (m) => (waiters.length ? waiters.shift().resolve(m) : queue.push(m)));
  c.on('exit', (code) => {
    exited = new Error(`${roleName} child exited (${code})`);
    for (const w of waiters.splice(0)) w.reject(exited);
  });
  const next = () => {
    if (queue.length) return Promise.resolve(queue.shift());
    if (exited) return Promise.reject(exited);
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  return {
    next,
    ask: (msg) => (c.send(msg), next()),
    kill: () => c.kill('SIGKILL'),
  };
}

/** Fresh processes: warm up, measure, open n idle connections, measure again (the `side` of impl is measured). */
async function run(impl, n, creds, snapshotDir, { ciphers, maxVersion }, side) {
  const serverImpl = side === 'server' ? impl : 'node';
  const clientImpl = side === 'client' ? impl : 'node';
  const server = child('server', { impl: serverImpl, ...creds, snapshotDir: side === 'server' ? snapshotDir : null }, ['--expose-gc']);
  const client = child('client', { impl: clientImpl, ciphers, maxVersion, snapshotDir: side === 'client' ? snapshotDir : null }, ['--expose-gc']);
  const measured = side === 'server' ? server : client;
  try {
    const { port } = await server.next();
    await client.next();
    // Warm-up: code paths, module state and caches that the first connections create.
    await client.ask({ cmd: 'open', n: 50, port, ca: creds.cert });
    await client.ask({ cmd: 'closeAll' });
    for (let i = 0; i < 200 && (await measured.ask({ cmd: 'state' })).open > 0; i++) await sleep(20);
    const m0 = await measured.ask({ cmd: 'measure' });
    await client.ask({ cmd: 'open', n, port, ca: creds.cert });
    for (let i = 0; i < 600 && (await measured.ask({ cmd: 'state' })).open < n; i++) await sleep(50);
    await sleep(300); // tickets sent and received, nothing in flight
    const st = await measured.ask({ cmd: 'state' });
    if (st.open < n) throw new Error(`${impl}: only ${st.open} of ${n} connections held`);
    const m1 = await measured.ask({ cmd: 'measure' });
    return { m0, m1 };
  } finally {
    client.kill();
    server.kill();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 300);
  const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
  const haveNodeCrypto = existsSync(join(dist, 'node-crypto.js'));
  const impls = opt('impl', `node,puretls-noble${haveNodeCrypto ? ',puretls-node' : ''}`).split(',');
  const top = Number(opt('top', 30));
  const holders = args.includes('--holders');
  const tlsOptions = { ciphers: opt('ciphers', undefined), maxVersion: opt('max-version', undefined) };
  const snapshots = !args.includes('--no-snapshot');
  const side = opt('side', 'server');
  const { makeCert } = await import('./common.mjs');
  const creds = makeCert();
  const K = (b) => (b / n / 1024).toFixed(2).padStart(9);
  const summary = [];
  for (const impl of impls) {
    const plain = await run(impl, n, creds, null, tlsOptions, side);
    if (!snapshots) {
      summary.push({ impl, rss: (plain.m1.rss - plain.m0.rss) / n, heapUsed: (plain.m1.heapUsed - plain.m0.heapUsed) / n, arrayBuffers: (plain.m1.arrayBuffers - plain.m0.arrayBuffers) / n, snapshot: NaN, noCode: NaN });
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'idle-heap-'));
    try {
      const shots = await run(impl, n, creds, dir, tlsOptions, side);
      const agg = aggregate(shots.m0.file, shots.m1.file, holders);
      const row = {
        impl,
        rss: (plain.m1.rss - plain.m0.rss) / n,
        heapUsed: (plain.m1.heapUsed - plain.m0.heapUsed) / n,
        arrayBuffers: (plain.m1.arrayBuffers - plain.m0.arrayBuffers) / n,
        snapshot: agg.total / n,
        // (code): optimized code and its metadata, made while the connections came: the JIT's, not theirs.
        noCode: (agg.total - (agg.byGroup.get('(code)')?.size ?? 0)) / n,
      };
      summary.push(row);
      console.log(`\n== ${impl}: ${n} idle ${tlsOptions.maxVersion ?? 'TLS 1.3'} connections (${side} side, ${shots.m1.suite ?? '?'}), per connection`);
      console.log(`RSS ${(row.rss / 1024).toFixed(2)} KiB, heapUsed ${(row.heapUsed / 1024).toFixed(2)} KiB, arrayBuffers ${(row.arrayBuffers / 1024).toFixed(2)} KiB; new in the snapshot: ${(row.snapshot / 1024).toFixed(2)} KiB`);
      const sorted = [...agg.byGroup].sort((a, b) => b[1].size - a[1].size);
      console.log(`${'KiB/conn'.padStart(9)} ${'n/conn'.padStart(7)}  type / constructor`);
      for (const [g, e] of sorted.slice(0, top)) console.log(`${K(e.size)} ${(e.count / n).toFixed(1).padStart(7)}  ${g}`);
      const rest = sorted.slice(top).reduce((a, [, e]) => a + e.size, 0);
      if (rest > 0) console.log(`${K(rest)} ${''.padStart(7)}  (${sorted.length - top} more groups)`);
      if (holders) {
        console.log(`\n  retained (dominator tree) by the new instances of OWNERS, per connection, and by their fields`);
        for (const l of retained(shots.m0.file, shots.m1.file, n)) console.log(l);
      }
      if (agg.byHolder) {
        console.log(`\n  by holder (first strong retainer . edge -> object)`);
        for (const [g, e] of [...agg.byHolder].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
          console.log(`${K(e.size)} ${(e.count / n).toFixed(1).padStart(7)}  ${g}`);
        }
        console.log(`\n  by owner (nearest object of a named class up the retainer chain . its field)`);
        for (const [g, e] of [...agg.byOwner].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
          console.log(`${K(e.size)} ${(e.count / n).toFixed(1).padStart(7)}  ${g}`);
        }
      }
    } finally {
      if (process.env.KEEP_SNAPSHOTS) console.log(`snapshots kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nSummary, KiB per idle connection (${n} connections, ${side} side)`);
  console.log(`${'measured'.padEnd(16)} ${'RSS'.padStart(8)} ${'heapUsed'.padStart(9)} ${'arrayBufs'.padStart(9)} ${'snapshot'.padStart(9)} ${'w/o code'.padStart(9)}`);
  for (const r of summary) {
    const f = (b) => (b / 1024).toFixed(2).padStart(9);
    console.log(`${r.impl.padEnd(16)} ${(r.rss / 1024).toFixed(2).padStart(8)} ${f(r.heapUsed)} ${f(r.arrayBuffers)} ${f(r.snapshot)} ${f(r.noCode)}`);
  }
}

if (role === 'server') await serverMain();
else if (role === 'client') await clientMain();
else await main();
