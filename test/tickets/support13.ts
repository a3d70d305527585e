/**
 * Helpers for the TLS 1.3 ticket tests: contexts for one chain, and a pump
 * that moves bytes between a client and a server Connection in memory,
 * decoding (and optionally rewriting) the plaintext hellos on the way, and
 * counting the tickets each side issued / received.
 */
import { expect } from 'vitest';
import { concat } from '../../src/common/bytes.js';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/common/constants.js';
import { TlsError } from '../../src/common/errors.js';
import { KeySchedule13 } from '../../src/handshake/keyschedule13.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { hashLength } from '../../src/crypto/provider.js';
import { makeExtension } from '../../src/messages/extensions.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ClientHello, ServerHello, truncateClientHelloForBinders } from '../../src/messages/hello.js';
import { PreSharedKeyClientExt, type PskIdentity } from '../../src/messages/index.js';
import type { Session } from '../../src/session/session.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { Chain } from '../helpers/keys.js';
import { serverCert, verifierFor } from '../helpers/pair.js';
import { plainRecord, records, splitMessages } from '../tls12/support12.js';

export const TLS13 = ProtocolVersion.TLSv1_3;
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | null | undefined): string | null => (b ? new TextDecoder().decode(b) : null);

export const serverCtx = (chain: Chain, o: TlsContextOptions = {}): TlsContext => new TlsContext({ certificate: serverCert(chain), ...o });
export const clientCtx = (chain: Chain, o: TlsContextOptions = {}): TlsContext =>
  new TlsContext({ verifier: verifierFor(chain), minVersion: TLS13, maxVersion: TLS13, ...o });

export type Dir = 'c2s' | 's2c';

export interface Run {
  client: Connection;
  server: Connection;
  /** The client's 'session' events (one per NewSessionTicket). */
  sessions: Session[];
  /** The server's 'newSession' events (one per ticket it made). */
  issued: Session[];
  /** Plaintext hellos as the receiver got them (after any rewrite). */
  hellos: ClientHello[];
  serverHellos: ServerHello[];
}

/** A client and a server connection (not started); `rewrite` may change plaintext handshake messages in flight. */
export function setup(
  server: TlsContext,
  client: TlsContext,
  opts: { session?: Session; serverName?: string; rewrite?: (dir: Dir, raw: Uint8Array) => Uint8Array } = {},
): Run & { pump: () => void; transfer: (dir: Dir, bytes: Uint8Array) => Uint8Array } {
  const c = new Connection(client, 'client', { serverName: opts.serverName ?? 'localhost', ...(opts.session ? { session: opts.session } : {}) });
  const s = new Connection(server, 'server');
  const run: Run = { client: c, server: s, sessions: [], issued: [], hellos: [], serverHellos: [] };
  c.on('session', (x) => run.sessions.push(x));
  s.on('newSession', (x) => run.issued.push(x));
  const transfer = (dir: Dir, bytes: Uint8Array): Uint8Array => {
    const out: Uint8Array[] = [];
    for (const rec of records(bytes)) {
      if (rec.type !== ContentType.handshake) {
        out.push(rec.bytes);
        continue;
      }
      // Only the hellos are looked at (TLS 1.2's protected Finished also travels as type 22, untouched).
      const { messages, rest } = splitMessages(rec.fragment);
      const first = messages[0]?.[0];
      if (rest.length > 0 || (first !== HandshakeType.client_hello && first !== HandshakeType.server_hello)) {
        out.push(rec.bytes);
        continue;
      }
      const msgs = messages.map((m) => {
        const raw = opts.rewrite ? opts.rewrite(dir, m) : m;
        if (raw[0] === HandshakeType.client_hello) run.hellos.push(ClientHello.decode(raw.subarray(4)));
        if (raw[0] === HandshakeType.server_hello) run.serverHellos.push(ServerHello.decode(raw.subarray(4)));
        return raw;
      });
      out.push(plainRecord(ContentType.handshake, concat(...msgs)));
    }
    return concat(...out);
  };
  const pump = (): void => {
    for (let i = 0; i < 100; i++) {
      const a = c.takeOutgoing();
      if (a) s.receive(transfer('c2s', a));
      const b = s.takeOutgoing();
      if (b) c.receive(transfer('s2c', b));
      if (!a && !b) return;
    }
    throw new Error('pump: no quiescence');
  };
  return Object.assign(run, { pump, transfer });
}

/** Like pump, but returns the first TlsError either side throws, and who threw it. */
export function pumpExpectingError(r: ReturnType<typeof setup>): { side: 'client' | 'server'; error: TlsError } {
  for (let i = 0; i < 100; i++) {
    const a = r.client.takeOutgoing();
    if (a) {
      try {
        r.server.receive(r.transfer('c2s', a));
      } catch (e) {
        if (!(e instanceof TlsError)) throw e;
        return { side: 'server', error: e };
      }
    }
    const b = r.server.takeOutgoing();
    if (b) {
      try {
        r.client.receive(r.transfer('s2c', b));
      } catch (e) {
        if (!(e instanceof TlsError)) throw e;
        return { side: 'client', error: e };
      }
    }
    if (!a && !b) break;
  }
  throw new Error('pumpExpectingError: no error');
}

/**
 * A whole handshake, then data both ways (so both ends' keys agree, and the
 * server's tickets reach the client).
 */
export function connect(server: TlsContext, client: TlsContext, session?: Session, serverName?: string): ReturnType<typeof setup> {
  const r = setup(server, client, { ...(session ? { session } : {}), ...(serverName ? { serverName } : {}) });
  r.client.doHandshake();
  r.pump();
  expect(r.client.handshakeComplete && r.server.handshakeComplete, `client ${r.client.stateName}, server ${r.server.stateName}`).toBe(true);
  exchange(r);
  return r;
}

/** Data both ways: each end reads what the other wrote. */
export function exchange(r: { client: Connection; server: Connection; pump: () => void }): void {
  r.client.write(enc('ping'));
  r.server.write(enc('pong'));
  r.pump();
  expect(dec(r.server.read())).toBe('ping');
  expect(dec(r.client.read())).toBe('pong');
}

/** The ClientHello `raw` with `identities` offered, each with a binder made from `secrets[i]` (undefined: 32 junk bytes). */
export function withIdentities(raw: Uint8Array, identities: PskIdentity[], secrets: (Uint8Array | undefined)[], priorHash?: (truncated: Uint8Array) => Uint8Array): Uint8Array {
  const ch = ClientHello.decode(raw.subarray(4));
  const exts = ch.extensions.slice(0, -1);
  const dummy = identities.map(() => new Uint8Array(32));
  const draft = new ClientHello(ch.legacyVersion, ch.random, ch.legacySessionId, ch.cipherSuites, ch.compressionMethods, [...exts, makeExtension(PreSharedKeyClientExt, { identities, binders: dummy })]);
  const truncated = truncateClientHelloForBinders(encodeHandshake(draft));
  const provider = nobleProvider();
  const h = provider.hash('sha256');
  h.update(truncated);
  const th = priorHash ? priorHash(truncated) : h.digest();
  const binders = secrets.map((secret) => {
    if (!secret) return new Uint8Array(hashLength.sha256).fill(0x5a);
    const ks = new KeySchedule13(provider, 'sha256', secret);
    return ks.finishedVerifyData(ks.binderKey(false), th);
  });
  return encodeHandshake(new ClientHello(ch.legacyVersion, ch.random, ch.legacySessionId, ch.cipherSuites, ch.compressionMethods, [...exts, makeExtension(PreSharedKeyClientExt, { identities, binders })]));
}
