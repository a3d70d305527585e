/**
 * The scenario (scenario.mjs) on Deno's native TCP: Deno.connect / Deno.listen
 * give a Deno.Conn whose .readable / .writable are the WHATWG stream pair
 * fromStreams takes as it is.
 *
 *   deno run --allow-net --allow-read --allow-env deno.mjs client PORT CERT KEY
 *   deno run --allow-net --allow-read --allow-env deno.mjs server 0 CERT KEY   (prints {"ev":"listening","port":N})
 */
import { checkModule, emit, makeContext, runScenario, timeout } from './scenario.mjs';

const [role, port, certPath, keyPath] = Deno.args;
let listener;
try {
  if (role !== 'client' && role !== 'server') throw new Error(`usage: deno.mjs client|server PORT CERT KEY (got ${role})`);
  checkModule('deno');
  const context = makeContext(role, Deno.readTextFileSync(certPath), Deno.readTextFileSync(keyPath));
  let conn;
  if (role === 'client') {
    conn = await timeout(Deno.connect({ hostname: '127.0.0.1', port: Number(port) }), `a TCP connection to 127.0.0.1:${port}`);
  } else {
    listener = Deno.listen({ hostname: '127.0.0.1', port: Number(port) });
    emit({ ev: 'listening', port: listener.addr.port });
    conn = await timeout(listener.accept(), 'a TCP connection from openssl s_client');
    listener.close();
    listener = undefined;
  }
  await runScenario({ readable: conn.readable, writable: conn.writable }, { runtime: 'deno', role, context });
} catch (e) {
  emit({ ev: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  listener?.close();
  Deno.exit(1);
}
