/**
 * The demo's TLS 1.2 part: a TLS 1.2 connection (the client's maxVersion
 * 'TLSv1.2'), then a renegotiation the client starts (a full handshake),
 * then an abbreviated one (the session resumed), with data before and
 * after each. The server accepts client-initiated renegotiation (the Node
 * adapter's `renegotiation: { acceptClientInitiated: true }`).
 */
import { once } from 'node:events';
import { handshakeName } from '../messages/handshake.js';
import type { MessageEvent } from '../ssl/connection.js';
import { hex, sendAndReceive, withTimeout } from './demo-io.js';
import { type CliSocket, connectionOf, tlsConnect } from './session.js';
import { coreFacts } from './summary.js';

export interface Tls12DemoSetup {
  readonly port: number;
  /** The certificate the client trusts (PEM). */
  readonly ca: string;
  /** The server side of the next connection, once its handshake is done. */
  readonly nextServerSocket: () => Promise<CliSocket>;
  readonly say: (line?: string) => void;
  /** The first section's number. */
  readonly section: number;
}

/** Run the TLS 1.2 sections; resolves once the connection is closed. Returns the next section number. */
export async function runTls12Demo(d: Tls12DemoSetup): Promise<number> {
  const { say } = d;
  let n = d.section;
  const c = tlsConnect({ host: '127.0.0.1', port: d.port, servername: 'localhost', ca: d.ca, maxVersion: 'TLSv1.2' });
  try {
    await withTimeout(once(c, 'secureConnect'), 'the TLS 1.2 handshake');
    const s = await withTimeout(d.nextServerSocket(), 'the server side of the TLS 1.2 handshake');
    const conn = connectionOf(c);
    const cipher = c.getCipher();
    const facts = coreFacts(conn);
    say(`== ${n++}. TLS 1.2 handshake (client maxVersion 'TLSv1.2')`);
    say(`   Protocol  : ${c.getProtocol()}`);
    say(`   Cipher    : ${cipher?.name} (${cipher?.standardName})`);
    say(`   Key group : ${facts.group ?? '(not shown by this socket)'}`);
    say(`   Extended master secret: ${facts.extendedMasterSecret ? 'yes (RFC 7627)' : 'no'}`);
    say(`   Secure renegotiation  : ${facts.secureRenegotiation ? 'yes (RFC 5746 renegotiation_info)' : 'no'}`);
    say(`   Finished  : ${hex(c.getFinished())} (client's verify_data)`);
    const first = await sendAndReceive(c, s, 'hello over TLS 1.2', 'TLS 1.2 data at the server');
    say(`   client -> server: "${first}"`);
    say('');

    say(`== ${n++}. Renegotiation started by the client: renegotiate() (a full handshake)`);
    await renegotiation(c, s, 'full', say);
    say('');

    say(`== ${n++}. Abbreviated renegotiation: renegotiateAbbreviated() (the client offers the current session)`);
    await renegotiation(c, s, 'abbreviated', say);
    say('');

    const serverEnded = once(s, 'end');
    c.end();
    await withTimeout(serverEnded, 'close_notify at the TLS 1.2 server');
    s.end();
    await withTimeout(once(c, 'close'), 'the TLS 1.2 client to close');
    return n;
  } finally {
    c.destroy();
  }
}

/** One renegotiation the client starts, with data before and after it. */
async function renegotiation(c: CliSocket, s: CliSocket, kind: 'full' | 'abbreviated', say: (line?: string) => void): Promise<void> {
  const before = await sendAndReceive(c, s, `data before the ${kind} renegotiation`, 'data before the renegotiation');
  say(`   client -> server: "${before}"`);
  const oldFinished = hex(c.getFinished());
  const flight: string[] = [];
  const onMsg = (ev: MessageEvent): void => {
    flight.push(`${ev.direction === 'sent' ? '>>>' : '<<<'} ${handshakeName(ev.type)}`);
  };
  const conn = connectionOf(c);
  conn?.on('message', onMsg);
  const serverSecure = once(s, 'secure');
  const clientDone = new Promise<void>((resolve, reject) => {
    const cb = (err: Error | null): void => (err ? reject(err) : resolve());
    const started = kind === 'full' ? c.renegotiate({}, cb) : c.renegotiateAbbreviated(cb);
    if (started === undefined) reject(new Error('demo: the client socket is destroyed'));
  });
  await withTimeout(Promise.all([clientDone, serverSecure]), `the ${kind} renegotiation`);
  conn?.off('message', onMsg);
  if (flight.length > 0) say(`   Handshake messages seen by the client: ${flight.join(', ')}`);
  const facts = coreFacts(conn);
  say(`   'secure' again on both sides; secure renegotiation: ${facts.secureRenegotiation ? 'yes (renegotiation_info carried the previous Finished)' : 'no'}`);
  say(`   resumed: ${c.isSessionReused() ? 'yes (no certificate, no key exchange)' : 'no (a new key exchange and the server certificate again)'}`);
  say(`   Finished  : ${oldFinished} -> ${hex(c.getFinished())} (${oldFinished === hex(c.getFinished()) ? 'unchanged!' : 'changed'})`);
  const after = await sendAndReceive(c, s, `data after the ${kind} renegotiation`, 'data after the renegotiation');
  say(`   client -> server: "${after}"`);
  const back = await sendAndReceive(s, c, 'and the server answers under the new keys', 'the server answer after the renegotiation');
  say(`   server -> client: "${back}"`);
}
