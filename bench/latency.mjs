// First-byte latency after the handshake: prints a table, asserts nothing.
//
//   node bench/latency.mjs [[label=]distDir ...]   (default: ./dist; build with `npx tsup`)
//
// With several dist directories (e.g. before=/tmp/dist-before after=dist),
// each is measured against itself (puretls client → puretls server).
//
// The time from the client's 'secureConnect' to the first echo of a 100-byte
// write, median (and max) of RUNS connections on 127.0.0.1, for client → server
// pairs of puretls and node:tls. Two ways of writing: in the 'secureConnect'
// listener (the data can leave with the client's Finished) and one
// setImmediate later (the Finished has left on its own: with Nagle on, the
// small write waits for the Finished's ACK, ~40 ms of delayed ACK).
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { loadDists, makeCert } from './common.mjs';

const RUNS = Number(process.env.RUNS ?? 21);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One connection: ms from 'secureConnect' to the whole echo. */
function once100(connect, port, ca, when) {
  return new Promise((done, fail) => {
    const msg = Buffer.alloc(100, 0x61);
    let t0 = 0;
    let got = 0;
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    s.on('error', fail);
    s.once('secureConnect', () => {
      t0 = performance.now();
      if (when === 'listener') s.write(msg);
      else setImmediate(() => s.write(msg));
    });
    s.on('data', (d) => {
      got += d.length;
      if (got >= msg.length) {
        const ms = performance.now() - t0;
        s.end();
        s.once('close', () => done(ms));
      }
    });
  });
}

const dists = await loadDists(process.argv.slice(2));
const creds = makeCert();
const impls = Object.fromEntries([...dists.map((d) => [d.label, d.impl]), ['node:tls', tls]]);
const pairs = [
  ...dists.map((d) => [d.label, d.label]),
  ['node:tls', 'node:tls'],
  ...dists.flatMap((d) => [
    [d.label, 'node:tls'],
    ['node:tls', d.label],
  ]),
];
console.log(`time from 'secureConnect' to the echo of 100 bytes — node ${process.version}, ${RUNS} runs`);
for (const d of dists) console.log(`${d.label}: ${d.dir}`);
console.log(`${'client → server'.padEnd(40)} ${'write in'.padEnd(24)} median ms    max ms`);
for (const [c, s] of pairs) {
  const server = impls[s].createServer({ ...creds }, (sock) => {
    sock.on('error', () => {});
    sock.pipe(sock);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  for (const when of ['listener', 'setImmediate']) {
    const times = [];
    for (let i = 0; i < RUNS; i++) times.push(await once100((o) => impls[c].connect(o), port, creds.cert, when));
    const label = `${c} → ${s}`.padEnd(40);
    const w = (when === 'listener' ? "'secureConnect' listener" : 'setImmediate after it').padEnd(24);
    console.log(`${label} ${w} ${median(times).toFixed(2).padStart(9)} ${Math.max(...times).toFixed(2).padStart(9)}`);
  }
  server.close();
}
