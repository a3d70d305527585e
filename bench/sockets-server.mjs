// The server side of bench/sockets.mjs, run in a child process (fork, IPC) so
// that the measured process's clients and this server do not share a thread,
// and so that memory per connection is this process's alone. Asserts nothing.
//
// Requests (process.send / 'message'), each answered with { id, ... }:
//   { cmd: 'listen', impl, mode, key, cert, tls11 }  → { port }
//       impl: node | puretls-noble | puretls-node | lemon | forge
//       mode: hs     write 'ok' and end (one handshake per connection)
//             source write 1 MiB chunks until the peer goes away
//             sink   count what arrives; on its end: event { sink: { bytes, ms } }
//             idle   hold the connection
//       tls11: node:tls as node-forge's peer (TLS 1.0/1.1, RSA key transport, AES128-SHA)
//   { cmd: 'close', port }   stops that server and destroys its connections
//   { cmd: 'mem' }           → { rss, heapUsed, conns } after forced GCs (needs --expose-gc)
import { existsSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ForgeSocket } from './sockets-forge.mjs';

const dist = process.env.PURETLS_DIST ? `${process.env.PURETLS_DIST}/` : fileURLToPath(new URL('../dist/', import.meta.url));
const puretls = await import(pathToFileURL(`${dist}index.js`).href);
const nodeCrypto = existsSync(`${dist}node-crypto.js`) ? await import(pathToFileURL(`${dist}node-crypto.js`).href) : null;
const lemon = (await import('lemon-tls')).default;

const MiB = 1024 * 1024;
const chunk = Buffer.alloc(MiB, 0x5a);
const servers = new Map(); // port → { server, socks: Set }
let conns = 0;

/** node:tls as node-forge's peer (forge's client offers TLS 1.1). */
const TLS11 = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'AES128-SHA:@SECLEVEL=0' };

function handle(mode, s, socks) {
  conns++;
  socks.add(s);
  s.on('error', () => {});
  s.on('close', () => {
    conns--;
    socks.delete(s);
  });
  if (mode === 'hs') {
    // write, then end a turn later: lemon-tls's end(data) drops the data and its tickets.
    s.resume();
    s.write('ok');
    setImmediate(() => s.end());
  } else if (mode === 'source') {
    s.resume();
    const pump = () => {
      while (!s.destroyed && s.writable) if (!s.write(chunk)) return void s.once('drain', pump);
    };
    pump();
  } else if (mode === 'sink') {
    let bytes = 0;
    let t0 = 0;
    let t1 = 0;
    let sent = false;
    s.on('data', (d) => {
      t1 = performance.now();
      if (!bytes) t0 = t1;
      bytes += d.length;
    });
    const report = () => {
      if (sent) return;
      sent = true;
      process.send({ event: 'sink', sink: { bytes, ms: t1 - t0 } });
    };
    s.on('end', () => {
      report();
      s.end();
    });
    s.on('close', report);
  } else {
    s.resume(); // idle: nothing arrives; hold it
  }
}

function listen({ impl, mode, key, cert, tls11 }) {
  const socks = new Set();
  let server;
  const h = (s) => handle(mode, s, socks);
  const suite = mode === 'source' || mode === 'sink' ? { ciphers: 'TLS_AES_128_GCM_SHA256' } : {};
  if (impl === 'node') server = tls.createServer({ key, cert, ...suite, ...(tls11 ? TLS11 : {}) }, h);
  else if (impl === 'puretls-noble') server = puretls.createServer({ key, cert, ...suite }, h);
  else if (impl === 'puretls-node') server = puretls.createServer({ key, cert, ...suite, provider: nodeCrypto.nodeCryptoProvider() }, h);
  else if (impl === 'lemon') server = lemon.createServer({ key, cert, ...(suite.ciphers ? { allowedCipherSuites: [0x1301] } : {}) }, h);
  else if (impl === 'forge') {
    server = net.createServer((sock) => {
      sock.setNoDelay(true);
      const f = new ForgeSocket(sock, { server: true, cert, key });
      f.on('error', () => {});
      f.once('secure', () => h(f));
    });
  } else throw new Error(`unknown server ${impl}`);
  server.on('tlsClientError', () => {});
  server.on('error', () => {});
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      servers.set(port, { server, socks });
      resolve({ port });
    });
  });
}

async function mem() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, conns, gc: typeof globalThis.gc === 'function' };
}

process.on('message', async (m) => {
  try {
    if (m.cmd === 'listen') process.send({ id: m.id, ...(await listen(m)) });
    else if (m.cmd === 'close') {
      const e = servers.get(m.port);
      servers.delete(m.port);
      if (e) {
        e.server.close();
        for (const s of e.socks) s.destroy();
      }
      process.send({ id: m.id });
    } else if (m.cmd === 'mem') process.send({ id: m.id, ...(await mem()) });
    else if (m.cmd === 'exit') process.exit(0);
  } catch (e) {
    process.send({ id: m.id, error: String(e?.stack ?? e) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, nodeCrypto: !!nodeCrypto });
