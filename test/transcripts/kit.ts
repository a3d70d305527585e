/**
 * What every transcript scenario is made of: our side's Connection (from
 * fixed certificates in test/transcripts/certs, the transcript's seeded
 * provider), the real peer's command line, and the steps the recorder runs.
 * Both the recorder (record.rec.ts) and the replay (test/transcripts.test.ts)
 * build our side with the same factory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import type { ConnectionFactory, FinalState, TranscriptAction, TranscriptSetup } from '../../src/testing/index.js';
import { DefaultVerifier } from '../../src/x509/default-verifier.js';
import { parsePrivateKey } from '../../src/x509/keys.js';
import { decodePem } from '../../src/x509/pem.js';

/** The transcripts' clock: inside the fixed certificates' validity (2026-12-03 .. 2046). */
export const TRANSCRIPT_CLOCK_MS = Date.UTC(2027, 0, 1);

export const CERT_DIR = fileURLToPath(new URL('./certs/', import.meta.url));
export type CertName = 'ecdsa' | 'rsa' | 'ed25519' | 'client' | 'other-ca';
export const certPath = (name: CertName): string => `${CERT_DIR}${name}.crt`;
export const keyPath = (name: CertName): string => `${CERT_DIR}${name}.key`;

const der = (name: CertName): Uint8Array => decodePem(readFileSync(certPath(name), 'latin1'))[0]!.der;

export function certifiedKey(name: CertName) {
  return { chain: [der(name)], key: parsePrivateKey(readFileSync(keyPath(name), 'latin1')) };
}

/** A verifier trusting one of the fixed (self-signed) certificates. */
export function trusting(name: CertName): DefaultVerifier {
  return new DefaultVerifier({ ca: [der(name)] });
}

export interface ClientSide {
  /** Context options over the defaults (verifier: trusting the ECDSA server certificate). */
  readonly options?: (setup: TranscriptSetup) => TlsContextOptions;
  /** Offer the last session our side received in an earlier connection of this transcript. */
  readonly resume?: boolean;
}

/** Our client: SNI localhost, verifying the fixed server certificate. */
export function ourClient(side: ClientSide = {}): ConnectionFactory {
  return (setup) => {
    const ctx = new TlsContext({ provider: setup.provider, verifier: trusting('ecdsa'), ...side.options?.(setup) });
    const session = side.resume ? setup.sessions.at(-1) : undefined;
    return new Connection(ctx, 'client', { serverName: 'localhost', ...(session ? { session } : {}) });
  };
}

/**
 * Our server on `cert`; `context` lets resumption scenarios share one
 * TlsContext (its ticket keys) across the transcript's connections.
 */
export function ourServer(options: (setup: TranscriptSetup) => TlsContextOptions = () => ({}), cert: CertName = 'ecdsa'): ConnectionFactory {
  let shared: TlsContext | undefined;
  let sharedFor: unknown;
  return (setup) => {
    // One context per transcript run (the same provider), reused by its later connections.
    if (!shared || sharedFor !== setup.provider) {
      shared = new TlsContext({ provider: setup.provider, certificate: certifiedKey(cert), ...options(setup) });
      sharedFor = setup.provider;
    }
    return new Connection(shared, 'server');
  };
}

/** One thing the recorder does, in order. */
export type Step =
  /** A call on our connection; what it produces is sent. */
  | { readonly act: TranscriptAction }
  /** Type a line into the peer's stdin (an openssl command such as k, K, R, r, c, or data). */
  | { readonly type: string }
  /** Wait for the peer's output (stdout or stderr) since the previous step. */
  | { readonly peerSays: RegExp }
  /** Wait until our side has read `text` (all application data so far). */
  | { readonly read: string }
  /** Wait until our connection's final state satisfies `until`. */
  | { readonly until: (s: FinalState) => boolean; readonly what: string }
  /** Wait until the handshake completed on our side. */
  | { readonly handshake: true }
  /** Wait until the TCP connection is closed by the peer (or after close_notify both ways). */
  | { readonly closed: true };

export interface NodeServerOptions {
  readonly cert: CertName;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly ALPNProtocols?: readonly string[];
  /** Client certificates: ask, trusting this certificate. */
  readonly requestCertFrom?: CertName;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Our side's role. */
  readonly role: 'client' | 'server';
  /**
   * The peer: a server started once (openssl s_server args; our client connects
   * `connections` times), or a client per connection (openssl s_client args,
   * given the connection index and a scratch directory for -sess_out / -sess_in).
   */
  readonly peer:
    | { readonly server: readonly string[] }
    | { readonly client: (index: number, scratch: string) => readonly string[] }
    /** gnutls-cli per connection (args before the host; -p PORT and "localhost" are added). */
    | { readonly gnutlsClient: (index: number, scratch: string) => readonly string[] }
    /**
     * node:tls in this process: a server with these options that answers each
     * line with "node: <line>" (no typed commands, no peer output to wait for).
     */
    | { readonly nodeServer: NodeServerOptions };
  readonly connections?: number;
  readonly factory: ConnectionFactory;
  /**
   * The recorder changes the peer's bytes before our side gets them (what a
   * real peer will not send, such as a bad Finished): given our connection at
   * its start, returns the transform. The transcript holds what we received.
   */
  readonly tamperPeer?: { readonly how: string; readonly make: (conn: Connection) => (data: Uint8Array) => Uint8Array };
  /** The steps of connection `index`. */
  readonly steps: (index: number) => readonly Step[];
  /** What the recording must show (checked when recording and on every replay). */
  readonly check: (finals: readonly FinalState[]) => void;
}

const write = (text: string): Step => ({ act: { name: 'write', data: new TextEncoder().encode(text) } });
const close: Step = { act: { name: 'close' } };
const closed: Step = { closed: true };
/** Our line `text` reaches the peer (it prints it). */
const ourLine = (text: string): Step[] => [write(`${text}\n`), { peerSays: new RegExp(text) }];
/** The peer types `text`; we read it. */
const peerLine = (text: string): Step[] => [{ type: text }, { read: text }];

/** Steps shared by most scenarios. */
export const STEPS = {
  start: { act: { name: 'doHandshake' } } as Step,
  handshake: { handshake: true } as Step,
  write,
  close,
  closed,
  ourLine,
  peerLine,
  /** Data both ways ("after" from us, "from the <peer>" from it), then our close_notify and the connection closed. */
  finish: (peer: 'server' | 'client'): Step[] => [...ourLine('after'), ...peerLine(`from the ${peer}`), close, closed],
};
