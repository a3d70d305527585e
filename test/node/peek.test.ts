/** src/ssl/peek.ts: SNI and ALPN from the first ClientHello bytes, without consuming them. */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/common/errors.js';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext } from '../../src/ssl/context.js';
import { peekClientHello, plaintextAlert } from '../../src/ssl/peek.js';

function clientHello(serverName?: string, alpn?: string[]): Uint8Array {
  const conn = new Connection(new TlsContext(alpn ? { alpnProtocols: alpn } : {}), 'client', serverName ? { serverName } : {});
  conn.doHandshake();
  return conn.takeOutgoing()!;
}

/** Re-frame one handshake record's payload into records of `size` bytes. */
function refragment(record: Uint8Array, size: number): Uint8Array {
  const body = record.subarray(5);
  const out: number[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    out.push(22, 3, 1, part.length >> 8, part.length & 0xff, ...part);
  }
  return Uint8Array.from(out);
}

describe('peekClientHello', () => {
  it('finds SNI and ALPN once the whole ClientHello is there, and not before', () => {
    const hello = clientHello('example.com', ['h2', 'http/1.1']);
    const copy = hello.slice();
    for (let n = 0; n < hello.length; n += 37) expect(peekClientHello(hello.subarray(0, n)).status).toBe('more');
    expect(peekClientHello(hello)).toEqual({ status: 'done', serverName: 'example.com', alpnProtocols: ['h2', 'http/1.1'] });
    expect(hello).toEqual(copy); // nothing consumed or changed
  });

  it('reads a ClientHello split over several records and several chunks', () => {
    const framed = refragment(clientHello('split.example'), 50);
    const chunks = [framed.subarray(0, 3), framed.subarray(3, 120), framed.subarray(120)];
    expect(peekClientHello(chunks.slice(0, 2)).status).toBe('more');
    expect(peekClientHello(chunks)).toEqual({ status: 'done', serverName: 'split.example' });
  });

  it('reports no SNI when none was sent (an IP literal is never sent)', () => {
    expect(peekClientHello(clientHello('127.0.0.1'))).toEqual({ status: 'done' });
  });

  it('calls garbage and non-ClientHello records invalid at once', () => {
    expect(peekClientHello(new TextEncoder().encode('GET / HTTP/1.1\r\n')).status).toBe('invalid');
    expect(peekClientHello(Uint8Array.of(22, 2)).status).toBe('invalid');
    expect(peekClientHello(Uint8Array.of(21, 3, 3, 0, 2, 2, 40)).status).toBe('invalid');
    expect(peekClientHello(Uint8Array.of(22, 3, 3, 0, 4, 2, 0, 0, 0)).status).toBe('invalid'); // a ServerHello
    expect(peekClientHello(Uint8Array.of(22, 3, 3, 0, 0)).status).toBe('invalid'); // empty record
    expect(peekClientHello(Uint8Array.of(22, 3, 3, 0, 6, 1, 0, 0, 2, 3, 3)).status).toBe('invalid'); // truncated body
  });

  it('gives up on a ClientHello larger than the limit', () => {
    const hello = clientHello('big.example');
    expect(peekClientHello(hello, 64).status).toBe('invalid');
  });

  it('plaintextAlert builds a fatal alert record', () => {
    expect(Array.from(plaintextAlert(AlertDescription.unrecognized_name))).toEqual([21, 3, 3, 0, 2, 2, 112]);
  });
});
