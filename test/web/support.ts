/**
 * In-memory transports for the fromStreams tests: a `Pipe` is one direction
 * (a TransformStream) that records every chunk written into it and counts
 * the bytes its reading side took, and can be cut (closed without TLS) or
 * fed raw bytes by the test; `streamPair` crosses two of them into a client
 * and a server TlsStream. Plus readers, record parsing and a settle helper.
 */
import { expect } from 'vitest';
import type { TlsContextOptions } from '../../src/ssl/context.js';
import { TlsContext } from '../../src/ssl/context.js';
import { fromStreams, type FromStreamsOptions, type TlsStream } from '../../src/web/streams.js';
import type { Chain } from '../helpers/keys.js';
import { serverCert, verifierFor } from '../helpers/pair.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** One direction of a transport, observable from the test. */
export class Pipe {
  /** Every chunk written into the pipe (copies), in order: one per transport write. */
  readonly written: Uint8Array[] = [];
  /** Bytes the reading side has taken out. */
  bytesRead = 0;
  /** The writing side closed it (writer.close()). */
  closedByWriter = false;
  /** The writing side aborted it (with this reason), or the reading side cancelled it. */
  aborted: { reason: unknown } | null = null;
  cancelled: { reason: unknown } | null = null;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor() {
    const t = new TransformStream<Uint8Array, Uint8Array>();
    const w = t.writable.getWriter();
    this.#writer = w;
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        this.written.push(chunk.slice());
        return w.write(chunk);
      },
      close: () => {
        this.closedByWriter = true;
        return w.close();
      },
      abort: (reason: unknown) => {
        this.aborted = { reason };
        return w.abort(reason);
      },
    });
    const r = t.readable.getReader();
    // highWaterMark 0: a byte is counted only when the consumer asked for it.
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: async (c) => {
          const x = await r.read();
          if (x.done) return c.close();
          this.bytesRead += x.value.length;
          c.enqueue(x.value);
        },
        cancel: (reason: unknown) => {
          this.cancelled = { reason };
          return r.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** All bytes written so far. */
  bytes(): Uint8Array {
    const n = this.written.reduce((a, b) => a + b.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.written) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** Raw bytes from the test, as if the peer wrote them (not recorded in `written`). */
  inject(bytes: Uint8Array): Promise<void> {
    return this.#writer.write(bytes);
  }

  /** End the pipe under the writer's feet: EOF for the reader, no close_notify (a truncation). */
  cut(): Promise<void> {
    return this.#writer.close();
  }

  /** Fail the reading side with `reason` (a transport read error). */
  break(reason: unknown): Promise<void> {
    return this.#writer.abort(reason);
  }
}

export interface Duplex {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** Two crossed pipes: client → server (c2s) and server → client (s2c). */
export function crossedPipes(): { c2s: Pipe; s2c: Pipe; clientSide: Duplex; serverSide: Duplex } {
  const c2s = new Pipe();
  const s2c = new Pipe();
  return {
    c2s,
    s2c,
    clientSide: { readable: s2c.readable, writable: c2s.writable },
    serverSide: { readable: c2s.readable, writable: s2c.writable },
  };
}

export interface StreamPair {
  client: TlsStream;
  server: TlsStream;
  c2s: Pipe;
  s2c: Pipe;
}

/** A client and a server TlsStream over crossed in-memory pipes, for `chain`. */
export function streamPair(
  chain: Chain,
  server: TlsContextOptions = {},
  client: TlsContextOptions = {},
  clientOptions: Omit<FromStreamsOptions, 'context' | 'role'> = { serverName: 'localhost' },
  serverOptions: Omit<FromStreamsOptions, 'context' | 'role'> = {},
): StreamPair {
  const p = crossedPipes();
  const serverCtx = new TlsContext({ certificate: serverCert(chain), ...server });
  const clientCtx = new TlsContext({ verifier: verifierFor(chain), ...client });
  return {
    server: fromStreams(p.serverSide, { context: serverCtx, role: 'server', ...serverOptions }),
    client: fromStreams(p.clientSide, { context: clientCtx, ...clientOptions }),
    c2s: p.c2s,
    s2c: p.s2c,
  };
}

/** Let queued microtasks and macrotasks run (in-memory pipes need no real time). */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setTimeout(r, 0));
}

/** Reads a TlsStream's readable by text, keeping what came. */
export class TextReader {
  text = '';
  done = false;
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }
  /** Read until the text so far contains `want`; returns the text. */
  async until(want: string): Promise<string> {
    while (!this.text.includes(want)) {
      const r = await this.reader.read();
      if (r.done) throw new Error(`stream ended before ${JSON.stringify(want)}; got ${JSON.stringify(this.text)}`);
      this.text += dec(r.value);
    }
    return this.text;
  }
  /** Read to the end (done); returns the text. */
  async toEnd(): Promise<string> {
    for (;;) {
      const r = await this.reader.read();
      if (r.done) {
        this.done = true;
        return this.text;
      }
      this.text += dec(r.value);
    }
  }
}

/** Write text through a TlsStream's writable (a writer for the one write). */
export async function send(stream: TlsStream, text: string): Promise<void> {
  const w = stream.writable.getWriter();
  try {
    await w.write(enc(text));
  } finally {
    w.releaseLock();
  }
}

export interface WireRecord {
  type: number;
  length: number;
  body: Uint8Array;
}

/** Split a buffer of whole TLS records (fails the test on a partial one). */
export function records(buf: Uint8Array): WireRecord[] {
  const out: WireRecord[] = [];
  let o = 0;
  while (o < buf.length) {
    expect(buf.length - o, 'a record header').toBeGreaterThanOrEqual(5);
    const length = (buf[o + 3]! << 8) | buf[o + 4]!;
    expect(buf.length - o - 5, 'a whole record').toBeGreaterThanOrEqual(length);
    out.push({ type: buf[o]!, length, body: buf.subarray(o + 5, o + 5 + length) });
    o += 5 + length;
  }
  return out;
}

/** The rejection of `p` (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

export const ContentTypes = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;
