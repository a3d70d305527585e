// Bulk throughput of one TLS connection over TCP on 127.0.0.1: prints a table, asserts nothing.
//
//   node bench/throughput.mjs [[label=]distDir ...]   (default: ./dist; build with `npx tsup`)
//
// Several dist directories (e.g. before=/tmp/dist-before after=dist) are
// measured in the same run, interleaved run by run, so that the load of a
// shared machine weighs on each alike.
//
// The measured side (puretls, or node:tls for reference) runs in this process;
// its peer is node:tls in a child process, so the two do not share a thread.
// Each row moves MIB MiB in 1 MiB writes through a stream pipeline
// (backpressure both ways); MB/s from the handshake's end to the connection's
// close, median of RUNS runs.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { loadDists, makeCert } from './common.mjs';

const MiB = 1024 * 1024;
const TOTAL = Number(process.env.MIB ?? 128) * MiB;
const RUNS = Number(process.env.RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function source(total) {
  const chunk = Buffer.alloc(MiB, 0x5a);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(MiB, total - sent);
      sent += n;
      this.push(n === MiB ? chunk : chunk.subarray(0, n));
    },
  });
}

function sink() {
  let bytes = 0;
  const w = new Writable({
    write(c, _e, cb) {
      bytes += c.length;
      cb();
    },
  });
  return { w, bytes: () => bytes };
}

/** Sender: pipe TOTAL bytes then end; receiver: drain. Resolves with the bytes received. */
async function transfer(sock, send) {
  sock.on('error', () => {});
  const s = sink();
  if (send) {
    sock.resume();
    await pipeline(source(TOTAL), sock);
  } else {
    await pipeline(sock, s.w);
  }
  if (!sock.destroyed) await once(sock, 'close');
  return s.bytes();
}

// ---- the node:tls peer (child process) -------------------------------------------------

function peerMain() {
  let server;
  process.on('message', async (m) => {
    if (m.cmd === 'serve') {
      server = tls.createServer({ key: m.key, cert: m.cert }, (s) => void transfer(s, m.send));
      server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
    } else if (m.cmd === 'connect') {
      const s = tls.connect({ host: '127.0.0.1', port: m.port, ca: m.cert, servername: 'localhost' });
      await once(s, 'secureConnect');
      const bytes = await transfer(s, m.send);
      process.send({ bytes });
    } else if (m.cmd === 'stop') {
      server?.close();
    }
  });
}

// ---- the measured side -----------------------------------------------------------------

/** One run with the measured side as the server; MB/s. */
async function asServer(impl, creds, peer, send) {
  let t0 = 0;
  let done;
  const server = impl.createServer({ ...creds }, (s) => {
    t0 = performance.now();
    done = transfer(s, send);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  peer.send({ cmd: 'connect', port: server.address().port, cert: creds.cert, send: !send });
  const [m] = await once(peer, 'message');
  const got = await done;
  const ms = performance.now() - t0;
  server.close();
  const bytes = send ? m.bytes : got;
  if (bytes !== TOTAL) throw new Error(`moved ${bytes} bytes, expected ${TOTAL}`);
  return TOTAL / 1e6 / (ms / 1000);
}

/** One run with the measured side as the client; MB/s. */
async function asClient(impl, creds, peer, send) {
  peer.send({ cmd: 'serve', key: creds.key, cert: creds.cert, send: !send });
  const [{ port }] = await once(peer, 'message');
  const s = impl.connect({ host: '127.0.0.1', port, ca: creds.cert, servername: 'localhost' });
  await once(s, 'secureConnect');
  const t0 = performance.now();
  const got = await transfer(s, send);
  const ms = performance.now() - t0;
  peer.send({ cmd: 'stop' });
  if (!send && got !== TOTAL) throw new Error(`received ${got} bytes, expected ${TOTAL}`);
  return TOTAL / 1e6 / (ms / 1000);
}

async function main() {
  const dists = await loadDists(process.argv.slice(2));
  const impls = [...dists.map((d) => [d.label, d.impl]), ['node:tls', tls]];
  const creds = makeCert();
  console.log(`one connection, ${TOTAL / MiB} MiB in 1 MiB writes, peer node:tls in a child process — node ${process.version}, median of ${RUNS}`);
  for (const d of dists) console.log(`${d.label}: ${d.dir}`);
  console.log('measured side                    direction        MB/s');
  for (const [role, run] of [['server', asServer], ['client', asClient]]) {
    for (const send of [true, false]) {
      const xs = impls.map(() => []);
      for (let i = 0; i < RUNS; i++) {
        for (const [k, [, impl]] of impls.entries()) {
          const peer = fork(fileURLToPath(import.meta.url), ['--peer'], { stdio: 'inherit' });
          try {
            xs[k].push(await run(impl, creds, peer, send));
          } finally {
            peer.kill();
          }
        }
      }
      for (const [k, [name]] of impls.entries()) {
        console.log(`${`${name} ${role}`.padEnd(32)} ${(send ? 'sends' : 'receives').padEnd(12)} ${median(xs[k]).toFixed(1).padStart(8)}`);
      }
    }
  }
}

if (process.argv[2] === '--peer') peerMain();
else await main();
