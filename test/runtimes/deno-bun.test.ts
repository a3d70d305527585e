/**
 * The core runs unchanged in Deno and Bun, over their native TCP sockets
 * (issue 20): test/runtimes/scripts/deno.mjs (Deno.connect / Deno.listen,
 * whose Deno.Conn is a WHATWG stream pair) and bun.mjs (Bun.connect /
 * Bun.listen through the core's bunSocketHandlers) run scenario.mjs, which
 * puts fromStreams on the socket, against openssl s_server / s_client on
 * 127.0.0.1, as client and as server: a TLS 1.3 handshake, a line each way,
 * openssl's KeyUpdate to us (`k` typed into openssl), ours to openssl
 * (keyUpdate(REQUESTED) + a write), OpenSSL's answering KeyUpdate, close.
 *
 * The scripts import `puretls` by package name from the package as a user
 * installs it (built once with the repo's tsup.config.ts into
 * node_modules/.cache/…/node_modules/puretls, declarations skipped), so the
 * "deno" and "bun" conditions of package.json "exports" are what picks the
 * module; each script checks it got the core (Connection, fromStreams) and not
 * the Node adapter (connect, TlsSocket, ...).
 *
 * Deno runs offline: a temporary DENO_DIR, --node-modules-dir=manual (the
 * consumer's node_modules as it is, no npm resolution), --cached-only,
 * --no-remote, --no-lock. Bun runs with --no-install (no auto-install) and
 * --no-env-file. Both are dev dependencies (node_modules/.bin/deno,
 * node_modules/.bin/bun): a missing one fails the tests, it does not skip them.
 *
 * The scripts print JSON lines ({"ev": ...}); the test waits for them and
 * types into openssl's stdin in between (see test/helpers/peers.ts for what
 * openssl prints and how it reads commands). Every process runs through
 * spawnPeer and is stopped by installPeerCleanup after each test.
 */
import { copyFileSync, existsSync, readdirSync, realpathSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, ROOT } from '../helpers/built-package.js';
import {
  installPeerCleanup,
  opensslSessionText,
  runOpensslClient,
  sessionPems,
  spawnPeer,
  startOpensslServer,
  type OutputMark,
  type PeerHandle,
} from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';

installPeerCleanup();

/** Each wait on a script or openssl; the scripts' own waits are 15 s, so a hang in one is reported here with its output. */
const WAIT = 10_000;
const SCRIPTS = join(import.meta.dirname, 'scripts');

type Runtime = 'deno' | 'bun';
const RUNTIMES: readonly Runtime[] = ['deno', 'bun'];
const bin = (rt: Runtime): string => join(ROOT, 'node_modules', '.bin', rt);

let dir: string;
let denoDir: string;

beforeAll(async () => {
  for (const rt of RUNTIMES) {
    const r = existsSync(bin(rt)) ? spawnSync(bin(rt), ['--version'], { encoding: 'utf8', timeout: 20_000 }) : null;
    if (!r || r.status !== 0) {
      throw new Error(`${bin(rt)} does not run (${r ? `status ${r.status}: ${r.stderr}` : 'not found'}): ${rt} is a dev dependency, run npm ci`);
    }
  }
  ({ dir } = await buildPackage('runtimes', { declarations: false }));
  for (const f of readdirSync(SCRIPTS)) copyFileSync(join(SCRIPTS, f), join(dir, f));
  denoDir = makeTempDir('puretls-deno-dir-');
}, 60_000);

/** `deno run` / `bun run` of the runtime's script in the consumer directory. */
function startScript(rt: Runtime, args: string[]): PeerHandle {
  const common = { cwd: dir, name: `${rt} ${args[0]}`, lifetimeSec: 60 };
  if (rt === 'deno') {
    return spawnPeer(
      bin(rt),
      ['run', '--node-modules-dir=manual', '--cached-only', '--no-remote', '--no-lock', '--no-prompt', '--allow-net', '--allow-read', '--allow-env', 'deno.mjs', ...args],
      { ...common, env: { ...process.env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } },
    );
  }
  return spawnPeer(bin(rt), ['run', '--no-install', '--no-env-file', 'bun.mjs', ...args], {
    ...common,
    env: { ...process.env, NO_COLOR: '1', BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' },
  });
}

type Event = { ev: string } & Record<string, unknown>;

/** The script's JSON lines so far. */
function events(h: PeerHandle): Event[] {
  return h
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);
}

/** Wait for the first event `ev` of the script whose fields equal `match`; fails at once on its "error" event. */
async function waitEvent(h: PeerHandle, ev: string, match: Record<string, unknown> = {}): Promise<Event> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const all = events(h);
    const err = all.find((e) => e.ev === 'error');
    if (err) throw new Error(`${h.name} failed: ${String(err['message'])}\noutput:\n${h.output()}`);
    const hit = all.find((e) => e.ev === ev && Object.entries(match).every(([k, v]) => e[k] === v));
    if (hit) return hit;
    // Wait for more output (or the exit) rather than polling blindly.
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${h.name}: no {"ev":"${ev}"} matching ${JSON.stringify(match)} after ${WAIT} ms; output so far:\n${h.output()}`);
    const mark = h.mark();
    await h.waitForMatch(/\n/, left, mark).catch((e: Error) => {
      if (h.exitInfo()) throw new Error(`${h.name} exited before {"ev":"${ev}"} ${JSON.stringify(match)}: ${e.message}`);
      throw e;
    });
  }
}

const since = (h: PeerHandle, m: OutputMark): string => h.stdout().slice(m.stdout);

/** OpenSSL -msg: a KeyUpdate line and its hex dump (18 = key_update, length 1, the type byte). */
const opensslMsg = (dir: '<<<' | '>>>', typeByte: 0 | 1): RegExp =>
  new RegExp(`^${dir} TLS 1\\.3, Handshake \\[length 0005\\], KeyUpdate\\n {4}18 00 00 01 0${typeByte}$`, 'm');

/**
 * The steps after the handshake, the same in both roles (openssl is s_server
 * or s_client, and `afterCommand` is what it prints when a typed `k` is done).
 */
async function keyUpdatesAndData(rt: Runtime, script: PeerHandle, openssl: PeerHandle, afterCommand: RegExp): Promise<void> {
  // A line each way.
  await openssl.waitFor(`ping from ${rt}`, WAIT);
  openssl.write('pong from openssl\n');
  await waitEvent(script, 'data', { text: 'pong from openssl' });

  // openssl → us: `k` sends KeyUpdate(update_not_requested); our 'keyUpdate' event fires.
  const m = openssl.mark();
  openssl.write('k\n');
  await openssl.waitFor(afterCommand, WAIT, m);
  await openssl.waitFor(opensslMsg('>>>', 0), WAIT, m);
  await waitEvent(script, 'keyUpdate', { direction: 'received', type: 0 });

  // us → openssl (the script goes on at once): keyUpdate(REQUESTED) and a write; openssl receives
  // the KeyUpdate, then the line under the new key.
  await openssl.waitFor(`after our key update from ${rt}`, WAIT, m);
  expect(since(openssl, m)).toMatch(opensslMsg('<<<', 1));
  await waitEvent(script, 'keyUpdate', { direction: 'sent', type: 1 });

  // OpenSSL answers update_requested with its next write: KeyUpdate(update_not_requested), then the line.
  const m3 = openssl.mark();
  openssl.write('bye from openssl\n');
  await waitEvent(script, 'data', { text: 'bye from openssl' });
  // (openssl's -msg line may reach us after the script has the data: wait for it)
  await openssl.waitFor(opensslMsg('>>>', 0), WAIT, m3);

  const closed = await waitEvent(script, 'closed');
  expect(closed['readEnded']).toBe(true);
  const exit = await script.waitForExit(WAIT);
  expect(exit, script.output()).toEqual({ code: 0, signal: null });
  expect(script.stderr()).toBe('');

  // Every key update, both ways, in order: openssl's, ours, openssl's answer.
  expect(events(script).filter((e) => e.ev === 'keyUpdate')).toEqual([
    { ev: 'keyUpdate', direction: 'received', type: 0 },
    { ev: 'keyUpdate', direction: 'sent', type: 1 },
    { ev: 'keyUpdate', direction: 'received', type: 0 },
  ]);
  expect(events(script).filter((e) => e.ev === 'data').map((e) => e['text'])).toEqual(['pong from openssl', 'bye from openssl']);
}

/** The script's first event: `import 'puretls'` gave the core from the built package. */
async function checkModule(rt: Runtime, script: PeerHandle): Promise<void> {
  const mod = await waitEvent(script, 'module');
  expect(mod).toMatchObject({ runtime: rt, url: `file://${realpathSync(join(dir, 'node_modules', 'puretls', 'dist', 'core.js'))}`, missing: [], nodeOnly: [] });
}

describe.each(RUNTIMES)('%s: the core over the native TCP socket', (rt) => {
  it('client against openssl s_server -tls1_3: data both ways, a key update each way', async () => {
    const srv = await startOpensslServer(['-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem'), '-tls1_3', '-msg', '-naccept', '1']);
    const script = startScript(rt, ['client', String(srv.port), 'cert.pem', 'key.pem']);
    await checkModule(rt, script);
    const hs = await waitEvent(script, 'handshake');
    expect(hs).toMatchObject({ role: 'client', protocol: 'TLSv1.3' });
    // s_server's own account of the handshake: the same suite, and TLS 1.3 in the session it printed.
    await srv.waitFor(`CIPHER is ${String(hs['cipher'])}`, WAIT);
    const pems = sessionPems(srv.stdout());
    expect(pems).toHaveLength(1);
    expect(opensslSessionText(pems[0]!)).toMatch(/^ {4}Protocol {2}: TLSv1\.3$/m);

    await keyUpdatesAndData(rt, script, srv, /^SSL_do_handshake -> 1$/m);
    // Our close_notify: s_server reports the connection closed and, with -naccept 1, exits.
    await srv.waitFor(/^DONE$/m, WAIT);
    expect(await srv.waitForExit(WAIT)).toEqual({ code: 0, signal: null });
  });

  it('server against openssl s_client -tls1_3: data both ways, a key update each way', async () => {
    const script = startScript(rt, ['server', '0', 'cert.pem', 'key.pem']);
    await checkModule(rt, script);
    const { port } = await waitEvent(script, 'listening');
    const cli = runOpensslClient(['-tls1_3', '-msg', '-servername', 'localhost', '-CAfile', join(dir, 'cert.pem')], undefined, { port: Number(port) });
    const hs = await waitEvent(script, 'handshake');
    expect(hs).toMatchObject({ role: 'server', protocol: 'TLSv1.3' });
    // s_client's own account: TLS 1.3, the same suite, our certificate verified against itself.
    await cli.waitFor(`New, TLSv1.3, Cipher is ${String(hs['cipher'])}`, WAIT);
    await cli.waitFor(/^Verify return code: 0 \(ok\)$/m, WAIT);

    await keyUpdatesAndData(rt, script, cli, /^KEYUPDATE$/m);
    // Our close_notify ends s_client.
    await cli.waitForExit(WAIT);
  });
});
