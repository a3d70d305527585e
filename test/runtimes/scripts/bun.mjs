/**
 * The scenario (scenario.mjs) on Bun's native TCP: Bun.connect / Bun.listen
 * are callback-based: puretls's bunSocketHandlers are such callbacks, and hand
 * each socket over as the WHATWG stream pair fromStreams takes.
 *
 *   bun run bun.mjs client PORT CERT KEY
 *   bun run bun.mjs server 0 CERT KEY   (prints {"ev":"listening","port":N})
 */
import { bunSocketHandlers } from 'puretls';
import { checkModule, emit, makeContext, runScenario, timeout } from './scenario.mjs';

const [role, port, certPath, keyPath] = process.argv.slice(2);
let listener;
try {
  if (role !== 'client' && role !== 'server') throw new Error(`usage: bun.mjs client|server PORT CERT KEY (got ${role})`);
  checkModule('bun');
  const context = makeContext(role, await Bun.file(certPath).text(), await Bun.file(keyPath).text());
  // onOpen runs as the socket opens (before Bun.connect resolves): it hands the stream pair out.
  let opened;
  const streamsReady = new Promise((res) => (opened = res));
  const socket = bunSocketHandlers((streams) => opened(streams));
  if (role === 'client') {
    await timeout(Bun.connect({ hostname: '127.0.0.1', port: Number(port), socket }), `a TCP connection to 127.0.0.1:${port}`);
  } else {
    listener = Bun.listen({ hostname: '127.0.0.1', port: Number(port), socket });
    emit({ ev: 'listening', port: listener.port });
  }
  const streams = await timeout(streamsReady, role === 'client' ? 'the socket to open' : 'a TCP connection from openssl s_client');
  listener?.stop(); // no more connections (the accepted one stays)
  listener = undefined;
  await runScenario(streams, { runtime: 'bun', role, context });
} catch (e) {
  emit({ ev: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  listener?.stop(true);
  process.exit(1);
}
