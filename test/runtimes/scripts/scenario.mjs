/**
 * The scenario both runtime scripts (deno.mjs, bun.mjs) run over their
 * native TCP socket, as client or server, against openssl s_server /
 * s_client driven by test/runtimes/deno-bun.test.ts. Runtime-neutral: it
 * imports only 'puretls' (by package name, from the built package beside
 * it) and uses web-platform APIs.
 *
 * It prints one JSON object per line on stdout ({"ev": ...}); the test reads
 * them and types into openssl's stdin at the right moments:
 *
 *   {"ev":"module"}                   what `import 'puretls'` gave (checkModule)
 *   {"ev":"handshake"}                protocol and cipher suite
 *   {"ev":"data","text":"..."}        each line of application data received
 *   {"ev":"keyUpdate","direction":"received"|"sent","type":0|1}
 *   {"ev":"closed"}                   our close_notify is out, the transport closed
 *   {"ev":"error","message":"..."}    then exit code 1
 *
 * Steps: handshake; send "ping from RUNTIME"; wait for a "pong" line (the test
 * types it into openssl); wait for openssl's KeyUpdate (the test types `k`);
 * keyUpdate(REQUESTED) + send "after our key update from RUNTIME"; wait for a
 * "bye" line (OpenSSL sends its answering KeyUpdate with it); close.
 */
import * as puretls from 'puretls';

const { TlsContext, KeyUpdateType, decodePem, parsePrivateKey, DefaultVerifier, caFromOption } = puretls;

/** Each wait's limit: the test's own waits are shorter, so a hang is reported by whoever sees it first, with output. */
const STEP_MS = 15_000;

export function emit(obj) {
  console.log(JSON.stringify(obj));
}

/** Exports the core must have and the Node adapter's that it must not. */
const CORE = ['Connection', 'TlsContext', 'fromStreams', 'TlsStream', 'bunSocketHandlers'];
const NODE_ONLY = ['connect', 'createServer', 'TlsSocket', 'TlsServer', 'createSecureContext'];

/** What `import 'puretls'` resolved to under this runtime's conditions: the core, not the Node adapter. */
export function checkModule(runtime) {
  const url = import.meta.resolve('puretls');
  const missing = CORE.filter((n) => typeof puretls[n] === 'undefined');
  const nodeOnly = NODE_ONLY.filter((n) => typeof puretls[n] !== 'undefined');
  emit({ ev: 'module', runtime, url, exports: Object.keys(puretls).length, missing, nodeOnly });
  if (missing.length > 0 || nodeOnly.length > 0) {
    throw new Error(`'puretls' under ${runtime} is not the core (${url}): missing ${missing.join(', ') || '-'}; Node-only ${nodeOnly.join(', ') || '-'}`);
  }
}

export function timeout(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`timed out after ${STEP_MS} ms waiting for ${what}`)), STEP_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A TlsContext from PEM text: a server with its certificate, or a client trusting it (for the name localhost). */
export function makeContext(role, certPem, keyPem) {
  const chain = decodePem(certPem).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  if (role === 'server') return new TlsContext({ certificate: { chain, key: parsePrivateKey(keyPem) } });
  return new TlsContext({ verifier: new DefaultVerifier({ ca: caFromOption(certPem) }) });
}

/**
 * Run the scenario over `streams` ({ readable, writable }: the runtime's
 * socket); resolves when done, rejects on any failure or timeout.
 */
export async function runScenario(streams, { runtime, role, context }) {
  const tls = puretls.fromStreams(streams, { context, role, ...(role === 'client' ? { serverName: 'localhost' } : {}) });
  const conn = tls.connection;

  // Events and received lines, with waiters.
  const keyUpdates = [];
  const lines = [];
  const waiters = new Set();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  const waitUntil = (what, test) =>
    timeout(
      new Promise((res, rej) => {
        const w = () => {
          if (readError) {
            waiters.delete(w);
            rej(readError);
            return;
          }
          const v = test();
          if (v !== undefined) {
            waiters.delete(w);
            res(v);
          }
        };
        waiters.add(w);
        w();
      }),
      what,
    );
  conn.on('keyUpdate', (e) => {
    keyUpdates.push(e);
    emit({ ev: 'keyUpdate', direction: e.direction, type: e.type });
    poke();
  });

  // Read application data in the background, line by line.
  let readError = null;
  let readEnded = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let partial = '';
    const reader = tls.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        partial += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = partial.indexOf('\n')) >= 0) {
          const text = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          lines.push(text);
          emit({ ev: 'data', text });
        }
        poke();
      }
    } catch (e) {
      readError = e;
    } finally {
      readEnded = true;
      reader.releaseLock();
      poke();
    }
  })();

  const writer = tls.writable.getWriter();
  const send = (text) => writer.write(new TextEncoder().encode(`${text}\n`));
  const lineMatching = (re) => () => lines.find((l) => re.test(l));
  const received = (n) => () => (keyUpdates.filter((e) => e.direction === 'received').length >= n ? true : undefined);

  await timeout(tls.handshake, 'the handshake');
  emit({ ev: 'handshake', role, protocol: tls.protocol, cipher: tls.cipherSuite?.name ?? null });

  await send(`ping from ${runtime}`);
  await waitUntil('a "pong" line from openssl', lineMatching(/pong/));

  // openssl's KeyUpdate (typed `k`): our 'keyUpdate' event, direction received.
  await waitUntil("openssl's KeyUpdate", received(1));

  // Ours, update_requested, then data under the new key.
  tls.keyUpdate(KeyUpdateType.REQUESTED);
  await send(`after our key update from ${runtime}`);
  await waitUntil('a "bye" line from openssl', lineMatching(/bye/));

  writer.releaseLock();
  await timeout(tls.close(), 'close()');
  await timeout(reading, 'the end of the readable');
  emit({ ev: 'closed', readEnded, keyUpdates: keyUpdates.length });
}
