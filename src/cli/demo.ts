/**
 * `npm run demo` (node dist/demo.js) and `puretls demo`: a server and a
 * client in one process on 127.0.0.1, with an in-memory certificate, showing
 * a TLS 1.3 handshake, data both ways, key updates in each direction and a
 * throughput figure; then a TLS 1.2 connection with a full and an
 * abbreviated renegotiation (demo-tls12.ts); TLS 1.3 tickets with app data
 * and newSessionTicket() (demo-tickets.ts); and saying plainly what is not
 * built yet.
 */
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { KeyUpdateType } from '../common/constants.js';
import { nobleProvider } from '../crypto/noble.js';
import { handshakeName } from '../messages/handshake.js';
import type { KeyUpdateEvent, MessageEvent } from '../ssl/connection.js';
import { generateSelfSigned } from './certgen.js';
import { STEP_TIMEOUT_MS, readBytes, withTimeout } from './demo-io.js';
import { runTicketsDemo } from './demo-tickets.js';
import { runTls12Demo } from './demo-tls12.js';
import { type CliIo, type CliSocket, connectionOf, errorText, tlsConnect, tlsServer } from './session.js';
import { coreFacts } from './summary.js';

const THROUGHPUT_BYTES = 16 * 1024 * 1024;
const THROUGHPUT_BUDGET_MS = 3_000;

function kuName(t: KeyUpdateType): string {
  return t === KeyUpdateType.REQUESTED ? 'update_requested' : 'update_not_requested';
}

export async function runDemo(io: CliIo): Promise<void> {
  const say = (line = ''): void => {
    io.stdout.write(`${line}\n`);
  };
  const t0 = Date.now();
  say('puretls demo: a TLS server and client in one process, on 127.0.0.1');
  say('');

  // 1. certificate
  const provider = nobleProvider();
  const cert = generateSelfSigned(provider);
  say('== 1. Certificate (made in memory, no openssl binary)');
  say('   ECDSA P-256 key, self-signed X.509 v3, CN=localhost, SAN DNS:localhost IP:127.0.0.1');
  say(`   ${cert.certDer.length} bytes DER; the client trusts exactly this certificate (ca option)`);
  say('');

  // 2. server: its connections, in the order their handshakes complete
  const serverSocks: CliSocket[] = [];
  const secured: CliSocket[] = [];
  const waiting: ((s: CliSocket) => void)[] = [];
  const nextServerSocket = (): Promise<CliSocket> => new Promise((resolve) => {
    const s = secured.shift();
    if (s) resolve(s);
    else waiting.push(resolve);
  });
  const server = tlsServer(
    { cert: cert.certPem, key: cert.keyPem, renegotiation: { acceptClientInitiated: true } },
    (s) => serverSocks.push(s),
    (s) => {
      const w = waiting.shift();
      if (w) w(s);
      else secured.push(s);
    },
  );
  const { host, port } = await server.listen(0, '127.0.0.1');
  say(`== 2. Server listening on ${host}:${port} (TLS 1.2 and 1.3; accepts TLS 1.2 renegotiation from its clients)`);
  say('');

  let client: CliSocket | null = null;
  try {
    // 3. handshake
    client = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.certPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    const c = client;
    const clientConn = connectionOf(c);
    const flight: string[] = [];
    const onMsg = (ev: MessageEvent): void => {
      flight.push(`${ev.direction === 'sent' ? '>>>' : '<<<'} ${handshakeName(ev.type)} (${ev.length} bytes)`);
    };
    clientConn?.on('message', onMsg);
    const hsStart = Date.now();
    await withTimeout(once(c, 'secureConnect'), 'the handshake');
    const hsMs = Date.now() - hsStart;
    const s = await withTimeout(nextServerSocket(), 'the server side of the handshake');
    clientConn?.off('message', onMsg);
    const cipher = c.getCipher();
    const facts = coreFacts(clientConn);
    say('== 3. TLS 1.3 handshake');
    say(`   Protocol  : ${c.getProtocol()}`);
    say(`   Cipher    : ${cipher?.standardName ?? cipher?.name}`);
    say(`   Key group : ${facts.group ?? '(not shown by this socket)'}`);
    say(`   Signature : ${facts.peerSignature ?? '(not shown by this socket)'} (server's CertificateVerify)`);
    say(`   Verified  : ${c.authorized ? 'yes, the server certificate chains to the trusted one and matches "localhost"' : `no (${errorText(c.authorizationError)})`}`);
    say(`   Took      : ${hsMs} ms`);
    if (flight.length > 0) {
      say('   Handshake messages seen by the client:');
      for (const f of flight) say(`     ${f}`);
    }
    say('');

    // 4. data both ways
    say('== 4. Application data');
    const hello = 'hello from the client';
    const gotHello = readBytes(s, Buffer.byteLength(hello));
    c.write(hello);
    const h = await withTimeout(gotHello, 'data at the server');
    say(`   client -> server: "${h.toString()}" (${h.length} bytes)`);
    const reply = `echo: ${h.toString()}`;
    const gotReply = readBytes(c, Buffer.byteLength(reply));
    s.write(reply);
    const r = await withTimeout(gotReply, 'data at the client');
    say(`   server -> client: "${r.toString()}" (${r.length} bytes)`);
    say('');

    // 5/6. key updates
    const serverConn = connectionOf(s);
    const events: string[] = [];
    const track = (who: string) => (ev: KeyUpdateEvent) => events.push(`${who.padEnd(6)} 'keyUpdate' ${ev.direction.padEnd(8)} ${kuName(ev.type)}`);
    const onClientKu = track('client');
    const onServerKu = track('server');
    clientConn?.on('keyUpdate', onClientKu);
    serverConn?.on('keyUpdate', onServerKu);
    const showEvents = (): void => {
      if (!clientConn || !serverConn) say('   (this socket does not expose its Connection: no keyUpdate events to show)');
      for (const e of events.splice(0)) say(`   ${e}`);
    };

    say('== 5. Key update from the client: keyUpdate(NOT_REQUESTED)');
    c.keyUpdate(KeyUpdateType.NOT_REQUESTED);
    say(`   scheduled: client getKeyUpdateType() = ${kuName(c.getKeyUpdateType() as KeyUpdateType)}`);
    await c.doHandshake();
    const ping = 'data under the client\'s new key';
    const gotPing = readBytes(s, Buffer.byteLength(ping));
    c.write(ping);
    await withTimeout(gotPing, 'data after the client key update');
    showEvents();
    say(`   then client -> server: "${ping}" arrived`);
    say('');

    say('== 6. Key update from the server: keyUpdate(REQUESTED)');
    s.keyUpdate(KeyUpdateType.REQUESTED);
    await s.doHandshake();
    // The client answers with its own KeyUpdate(update_not_requested) at its next IO (RFC 8446 §4.6.3).
    const pong = 'data under the server\'s new key';
    const gotPong = readBytes(c, Buffer.byteLength(pong));
    s.write(pong);
    await withTimeout(gotPong, 'data after the server key update');
    const after = 'and the client\'s answer came first';
    const gotAfter = readBytes(s, Buffer.byteLength(after));
    c.write(after);
    await withTimeout(gotAfter, 'data after the client answered');
    showEvents();
    say('   (the client\'s update_not_requested is its automatic answer; nobody called keyUpdate on it)');
    clientConn?.off('keyUpdate', onClientKu);
    serverConn?.off('keyUpdate', onServerKu);
    say('');

    // 7. throughput
    say('== 7. Throughput (client -> server, pure TypeScript crypto)');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let received = 0;
    const start = Date.now();
    const onBulk = (d: Buffer): void => {
      received += d.length;
    };
    s.on('data', onBulk);
    let sent = 0;
    while (sent < THROUGHPUT_BYTES && Date.now() - start < THROUGHPUT_BUDGET_MS) {
      if (!c.write(chunk)) await once(c, 'drain');
      sent += chunk.length;
    }
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (received < sent && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
    s.off('data', onBulk);
    const ms = Math.max(1, Date.now() - start);
    const mib = received / (1024 * 1024);
    say(`   ${mib.toFixed(1)} MiB in ${ms} ms = ${((mib * 1000) / ms).toFixed(1)} MiB/s (${cipher?.standardName ?? cipher?.name}, one connection, encrypt + decrypt in this process)`);
    say('');

    // 8-10. TLS 1.2, renegotiations
    const afterTls12 = await runTls12Demo({ port, ca: cert.certPem, nextServerSocket, say, section: 8 });

    // 11. tickets: app data through a resumption, newSessionTicket()
    const next = runTicketsDemo({ cert, provider, say, section: afterTls12 });

    // 12. what is not built yet
    say(`== ${next}. Not built yet`);
    say('   0-RTT early data (a server skips what a client sends early, RFC 8446 §4.2.10); node:tls parity (node:crypto provider: handshakes 0.7-0.96x node:tls, bulk 0.6-0.8x; docs/performance.md)');
    say('');

    // 13. close
    const serverEnded = once(s, 'end');
    c.end();
    await withTimeout(serverEnded, 'close_notify at the server');
    s.end();
    await withTimeout(once(c, 'close'), 'the client to close');
    say(`== ${next + 1}. Closed: close_notify both ways (the TLS 1.2 connection too)`);
    say(`   done in ${Date.now() - t0} ms`);
  } finally {
    client?.destroy();
    for (const s of serverSocks) s.destroy();
    await server.close();
  }
}

/**
 * Run when executed directly (`node dist/demo.js`), not when main imports it
 * for `puretls demo`. main imports this module dynamically, so the bundler
 * keeps this code in demo.js itself and import.meta.url names that file.
 */
function executedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (executedDirectly()) {
  runDemo({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`puretls demo: ${errorText(e)}\n`);
      process.exit(1);
    },
  );
}
