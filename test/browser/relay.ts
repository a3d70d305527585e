/**
 * A WebSocket-to-TCP relay (Node, the `ws` package), for the browser tests:
 * a page cannot open TCP connections, so it opens a WebSocket here and each
 * WebSocket gets its own TCP connection to one fixed target on 127.0.0.1.
 * Bytes are piped both ways as they are (binary messages ↔ TCP bytes); TLS
 * stays end to end between the page and the server. Either side closing
 * closes the other.
 *
 * Bounded: while the WebSocket has more than `highWaterMark` bytes queued
 * (`bufferedAmount`) the TCP socket is paused, and while the TCP socket's
 * write buffer is full the WebSocket is paused (ws's pause() stops reading
 * its socket), so neither direction buffers without limit.
 */
import type { IncomingMessage, Server } from 'node:http';
import net from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface RelayOptions {
  /** The TCP port to connect to, on 127.0.0.1. */
  readonly targetPort: number;
  /** Attach to this HTTP server (same port as a static server) instead of listening on a port of its own. */
  readonly server?: Server;
  /** The URL path the relay answers on. Default '/relay'. */
  readonly path?: string;
  /** Pause the TCP side while the WebSocket has more than this many bytes queued. Default 256 KiB. */
  readonly highWaterMark?: number;
}

export interface Relay {
  /** The port the WebSocket server listens on (the server's when attached to one). */
  readonly port: number;
  /** ws://127.0.0.1:port/path */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Close every connection and stop listening. */
  close(): Promise<void>;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Relay one accepted WebSocket to a new TCP connection to 127.0.0.1:targetPort. */
function relayOne(ws: WebSocket, targetPort: number, highWaterMark: number, live: Set<() => void>): void {
  const tcp = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
  let done = false;
  const finish = (error: boolean): void => {
    if (done) return;
    done = true;
    live.delete(kill);
    if (error) {
      tcp.destroy();
      ws.terminate();
      return;
    }
    tcp.end(); // after the bytes already written
    ws.close(1000); // after the messages already queued
  };
  const kill = (): void => finish(true);
  live.add(kill);

  // WebSocket → TCP. Messages that arrive before the TCP connection is up are queued by the socket (bounded by the pause below).
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return finish(true); // a byte relay: text frames are a client error
    if (!tcp.write(toBuffer(data))) ws.pause();
  });
  tcp.on('drain', () => ws.resume());

  // TCP → WebSocket.
  tcp.on('data', (chunk: Buffer) => {
    ws.send(chunk, { binary: true }, () => {
      if (ws.bufferedAmount < highWaterMark / 2 && tcp.isPaused()) tcp.resume();
    });
    if (ws.bufferedAmount > highWaterMark) tcp.pause();
  });

  tcp.on('end', () => finish(false));
  tcp.on('close', () => finish(false));
  tcp.on('error', () => finish(true));
  ws.on('close', () => finish(false));
  ws.on('error', () => finish(true));
}

/**
 * Start a relay to 127.0.0.1:targetPort. Listens on 127.0.0.1, on a free port
 * (or on `server`); resolves once listening.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const { targetPort, server, path = '/relay', highWaterMark = 256 * 1024 } = options;
  if (!Number.isInteger(targetPort) || targetPort <= 0 || targetPort > 65535) throw new RangeError('startRelay: bad targetPort');
  const live = new Set<() => void>();
  let accepted = 0;
  const wss = server
    ? new WebSocketServer({ server, path, maxPayload: 1 << 20 })
    : new WebSocketServer({ host: '127.0.0.1', port: 0, path, maxPayload: 1 << 20 });
  wss.on('connection', (ws: WebSocket, _req: IncomingMessage) => {
    accepted++;
    relayOne(ws, targetPort, highWaterMark, live);
  });
  if (!server) {
    await new Promise<void>((res, rej) => {
      wss.once('listening', res);
      wss.once('error', rej);
    });
  }
  const addr = (server ?? wss).address();
  if (addr === null || typeof addr === 'string') throw new Error('startRelay: not listening on a TCP port');
  const port = addr.port;
  return {
    port,
    url: `ws://127.0.0.1:${port}${path}`,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((res) => {
        for (const kill of [...live]) kill();
        wss.close(() => res());
      }),
  };
}
