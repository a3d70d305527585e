// Tests of the socket pump with a toy sans-IO connection (no puretls code).
// Toy wire format: frames of type(1) length(2) payload. 1 HELLO, 2 DATA (payload xor 0x5a), 3 CLOSE, 0xff ALERT.
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pump, type SansIoConnection } from '../helpers/pump.js';

class ToyError extends Error {}

class ToyConn implements SansIoConnection {
  handshakeComplete = false;
  peerClosed = false;
  flights = 0;
  private inBuf = Buffer.alloc(0);
  private out: Buffer[] = [];
  private app: Buffer[] = [];
  private handlers: Array<() => void> = [];
  constructor(readonly role: 'client' | 'server') {}

  private frame(type: number, payload: Uint8Array = new Uint8Array(0)): void {
    const h = Buffer.alloc(3);
    h[0] = type;
    h.writeUInt16BE(payload.length, 1);
    this.out.push(h, Buffer.from(payload));
  }
  private done(): void {
    this.handshakeComplete = true;
    for (const fn of this.handlers) fn();
  }
  on(_event: 'handshake', fn: () => void): this {
    this.handlers.push(fn);
    return this;
  }
  doHandshake(): void {
    if (this.role === 'client') this.frame(1, Buffer.from('client hello'));
  }
  receive(bytes: Uint8Array): void {
    this.inBuf = Buffer.concat([this.inBuf, bytes]);
    while (this.inBuf.length >= 3) {
      const len = this.inBuf.readUInt16BE(1);
      if (this.inBuf.length < 3 + len) break;
      const type = this.inBuf[0]!;
      const payload = this.inBuf.subarray(3, 3 + len);
      this.inBuf = this.inBuf.subarray(3 + len);
      if (type === 1 && !this.handshakeComplete) {
        if (this.role === 'server') this.frame(1, Buffer.from('server hello'));
        this.done();
      } else if (type === 2 && this.handshakeComplete) {
        this.app.push(Buffer.from(payload.map((b) => b ^ 0x5a)));
      } else if (type === 3) {
        this.peerClosed = true;
      } else {
        this.frame(0xff, Buffer.from('bad frame'));
        throw new ToyError(`unexpected frame type ${type}`);
      }
    }
  }
  takeOutgoing(): Uint8Array | null {
    if (this.out.length === 0) return null;
    const b = Buffer.concat(this.out);
    this.out = [];
    this.flights++;
    return b;
  }
  read(): Uint8Array | null {
    return this.app.shift() ?? null;
  }
  write(data: Uint8Array): void {
    if (!this.handshakeComplete) throw new ToyError('write before handshake');
    this.frame(2, Buffer.from(data).map((b) => b ^ 0x5a));
  }
  close(): void {
    this.frame(3);
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function listen(onConn: (s: net.Socket) => void): Promise<{ port: number }> {
  const srv = net.createServer(onConn);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  cleanups.push(() => srv.close());
  return { port: (srv.address() as net.AddressInfo).port };
}

describe('pump', () => {
  it('handshake, data both ways, close_notify both ways, one socket.write per flight', async () => {
    let serverPump!: ReturnType<typeof pump>;
    let accepted!: () => void;
    const acceptedP = new Promise<void>((r) => (accepted = r));
    const { port } = await listen((s) => {
      serverPump = pump(new ToyConn('server'), s);
      accepted();
    });
    const sock = net.connect(port, '127.0.0.1');
    cleanups.push(() => sock.destroy());
    let writes = 0;
    const origWrite = sock.write.bind(sock) as (b: Uint8Array) => boolean;
    (sock as unknown as { write: (b: Uint8Array) => boolean }).write = (b) => {
      writes++;
      return origWrite(b);
    };
    const conn = new ToyConn('client');
    const cp = pump(conn, sock);
    await acceptedP;

    await Promise.all([cp.handshake, serverPump.handshake]);
    cp.send('hello ');
    cp.send(new TextEncoder().encode('world'));
    expect((await serverPump.waitForData(11)).toString()).toBe('hello world');
    serverPump.send('olleh');
    expect((await cp.waitForData((b) => b.includes('olleh'))).toString()).toBe('olleh');
    expect(writes).toBe(conn.flights);
    expect(conn.flights).toBe(3); // hello, data, data

    const ended = cp.end();
    await serverPump.peerClosed;
    await serverPump.end();
    await ended;
    await cp.peerClosed;
    await Promise.all([cp.closed, serverPump.closed]);
    expect(cp.error()).toBeNull();
    expect(sock.destroyed).toBe(true);
  });

  it('a fatal error from receive flushes the alert, rejects the promises, closes the socket', async () => {
    let serverPump!: ReturnType<typeof pump>;
    const { port } = await listen((s) => {
      serverPump = pump(new ToyConn('server'), s);
    });
    const raw = net.connect(port, '127.0.0.1');
    cleanups.push(() => raw.destroy());
    let got = Buffer.alloc(0);
    raw.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    await once(raw, 'connect');
    raw.write(Buffer.from([9, 0, 0]));
    await once(raw, 'close');
    expect(got[0]).toBe(0xff);
    expect(got.subarray(3).toString()).toBe('bad frame');
    await expect(serverPump.handshake).rejects.toThrow(ToyError);
    await expect(serverPump.peerClosed).rejects.toThrow();
    await expect(serverPump.waitForData(1, 1_000)).rejects.toThrow(/connection failed before the expected data arrived: unexpected frame type 9/);
    expect(() => serverPump.send('x')).toThrow(ToyError);
    await expect(serverPump.closed).rejects.toThrow(/unexpected frame type 9/);
    expect(serverPump.socket.destroyed).toBe(true);
  });

  it('waitForData times out with what arrived so far; a close without close_notify rejects peerClosed', async () => {
    let serverSock!: net.Socket;
    const { port } = await listen((s) => {
      serverSock = s;
      s.on('data', () => {
        // answer the hello and send some data, then nothing
        s.write(Buffer.from([1, 0, 0]));
        s.write(Buffer.from([2, 0, 3, ...Buffer.from('abc').map((b) => b ^ 0x5a)]));
      });
    });
    const sock = net.connect(port, '127.0.0.1');
    cleanups.push(() => sock.destroy());
    const p = pump(new ToyConn('client'), sock);
    await p.handshake;
    await expect(p.waitForData(10, 300)).rejects.toThrow(/timed out after 300 ms waiting for data; received so far \(3 bytes\): abc/);
    serverSock.destroy();
    await expect(p.peerClosed).rejects.toThrow(/without close_notify/);
    await p.closed;
    await expect(p.waitForData(10, 1_000)).rejects.toThrow(/socket closed before the expected data arrived/);
  });
});
