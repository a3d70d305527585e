// Event-loop delay of a TLS server under load: prints a table, asserts nothing.
//
//   node bench/eventloop.mjs [[label=]distDir ...]   (default: ./dist; build with `npx tsup`)
//
// Several dist directories (e.g. before=/tmp/dist-before after=dist) are
// measured in the same run, load by load, beside node:tls.
//
// The server runs in this process (puretls's createServer, then node:tls's for
// reference); the clients are node:tls sockets in a child process, so only the
// server's event loop is measured (perf_hooks.monitorEventLoopDelay, 1 ms
// resolution: max and p99 of how late its timer fired). Loads, on 127.0.0.1:
//   handshakes  ROUNDS rounds of 200 concurrent handshakes (the server answers 'ok' and ends)
//   download    100 concurrent connections, the server writes 8 MiB to each in one write()
//   upload      100 concurrent connections, each client sends 8 MiB to the server
// Each load is bounded: after 60 s it is reported as a timeout. Each server
// implementation is warmed up first with a few handshakes (not measured).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { loadDists, makeCert } from './common.mjs';

const MiB = 1024 * 1024;
const DEADLINE_MS = 60_000;
const HANDSHAKES = Number(process.env.HANDSHAKES ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const STREAMS = Number(process.env.STREAMS ?? 100);
const STREAM_BYTES = Number(process.env.STREAM_MIB ?? 8) * MiB;

// ---- the clients (child process) -----------------------------------------------------

function clientMain() {
  const payload = Buffer.alloc(STREAM_BYTES, 0x5a);
  process.on('message', async ({ load, port, ca }) => {
    const t0 = performance.now();
    const errors = [];
    const one = () =>
      new Promise((done) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
        let bytes = 0;
        s.on('error', (e) => errors.push(e.code ?? e.message));
        s.on('data', (d) => (bytes += d.length));
        s.on('close', () => done(bytes));
        if (load === 'upload') s.once('secureConnect', () => s.end(payload));
      });
    let bytes = 0;
    if (load === 'handshakes') {
      for (let r = 0; r < ROUNDS; r++) bytes += (await Promise.all(Array.from({ length: HANDSHAKES }, one))).reduce((a, b) => a + b, 0);
    } else {
      bytes = (await Promise.all(Array.from({ length: STREAMS }, one))).reduce((a, b) => a + b, 0);
    }
    process.send({ ms: performance.now() - t0, bytes, errors: errors.slice(0, 3), errorCount: errors.length });
  });
}

// ---- the server (this process) ---------------------------------------------------------

function handler(load, payload) {
  return (s) => {
    s.on('error', () => {});
    if (load === 'handshakes') {
      s.resume();
      s.end('ok');
    } else if (load === 'download') {
      s.resume();
      s.end(payload);
    } else {
      s.resume(); // allowHalfOpen false: our side ends once the client's does
    }
  };
}

async function warmUp(createServer, creds) {
  const server = createServer({ ...creds }, handler('handshakes'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  for (let i = 0; i < 5; i++) {
    const s = tls.connect({ host: '127.0.0.1', port, ca: creds.cert, servername: 'localhost' });
    s.resume();
    await once(s, 'close');
  }
  server.close();
}

async function measure(createServer, load, creds, child, payload) {
  const server = createServer({ ...creds }, handler(load, payload));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  child.send({ load, port, ca: creds.cert });
  let timer;
  const result = await Promise.race([
    once(child, 'message').then(([m]) => m),
    new Promise((r) => (timer = setTimeout(() => r({ timeout: true }), DEADLINE_MS))),
  ]);
  clearTimeout(timer);
  const wall = performance.now() - t0;
  h.disable();
  server.close();
  server.closeAllConnections?.();
  if (result.timeout) {
    child.kill();
    throw new Error(`${load}: no result within ${DEADLINE_MS / 1000} s`);
  }
  return { max: h.max / 1e6, p99: h.percentile(99) / 1e6, mean: h.mean / 1e6, wall, ...result };
}

async function main() {
  const dists = await loadDists(process.argv.slice(2).filter((a) => a !== '--client'));
  const creds = makeCert();
  const payload = Buffer.alloc(STREAM_BYTES, 0xa5);
  const servers = [...dists.map((d) => [d.label, (o, h) => d.impl.createServer(o, h)]), ['node:tls', (o, h) => tls.createServer(o, h)]];
  const loads = [
    ['handshakes', `${ROUNDS} × ${HANDSHAKES} concurrent handshakes`],
    ['download', `${STREAMS} × ${STREAM_BYTES / MiB} MiB server→client`],
    ['upload', `${STREAMS} × ${STREAM_BYTES / MiB} MiB client→server`],
  ];
  // Warm up (not measured): the first handshakes build @noble's precomputed
  // tables and JIT the code, a one-off ~100 ms a long-running server pays once.
  for (const [, create] of servers) await warmUp(create, creds);
  console.log(`event-loop delay of the server — node ${process.version}`);
  for (const d of dists) console.log(`${d.label}: ${d.dir}`);
  console.log('clients: node:tls in a child process; figures in ms (monitorEventLoopDelay, resolution 1 ms)\n');
  console.log(`${'load'.padEnd(37)} ${'server'.padEnd(16)}   max ms   p99 ms  mean ms   wall s   errors`);
  for (const [load, title] of loads) {
    for (const [name, create] of servers) {
      const child = fork(fileURLToPath(import.meta.url), ['--client'], { stdio: 'inherit' });
      try {
        const r = await measure(create, load, creds, child, payload);
        const f = (x, w = 8, d = 1) => x.toFixed(d).padStart(w);
        const expected = load === 'download' ? STREAMS * STREAM_BYTES : load === 'handshakes' ? ROUNDS * HANDSHAKES * 2 : 0;
        if (r.bytes !== expected) r.errors.push(`clients received ${r.bytes} bytes, expected ${expected}`), r.errorCount++;
        console.log(`${title.padEnd(37)} ${name.padEnd(16)} ${f(r.max)} ${f(r.p99)} ${f(r.mean)} ${f(r.wall / 1000)} ${String(r.errorCount).padStart(8)}${r.errorCount ? ` ${r.errors.join(', ')}` : ''}`);
      } catch (e) {
        console.log(`${title.padEnd(37)} ${name.padEnd(16)} ${e.message}`);
      } finally {
        child.kill();
      }
    }
  }
}

if (process.argv[2] === '--client') clientMain();
else await main();
