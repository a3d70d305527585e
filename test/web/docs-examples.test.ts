/**
 * The examples of docs/web.md, run over in-memory streams. The first test
 * checks that every line of each ```ts block of the page appears here
 * (import lines aside: the page imports from 'puretls'), so the page cannot
 * drift from code that compiles and runs.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromStreams, KeyUpdateType, TlsContext, TlsError, type CertifiedKey, type CertificateVerifier } from '../../src/core.js';
import { chainFor, serverCert, verifierFor } from '../helpers/pair.js';
import { crossedPipes, dec, enc } from './support.js';

let certificate: CertifiedKey;
let verifier: CertificateVerifier;
beforeAll(async () => {
  const chain = await chainFor('p256');
  certificate = serverCert(chain);
  verifier = verifierFor(chain);
});

const page = readFileSync(new URL('../../docs/web.md', import.meta.url), 'utf8');
const self = readFileSync(new URL(import.meta.url), 'utf8');

describe('docs/web.md', () => {
  it('every line of its ```ts blocks is in this test', () => {
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBe(6);
    const here = new Set(self.split('\n').map((l) => l.trim()));
    for (const block of blocks) {
      for (const line of block.split('\n').map((l) => l.trim())) {
        if (line === '' || line.startsWith('import ')) continue;
        expect(here.has(line), `docs/web.md line not in the test: ${line}`).toBe(true);
      }
    }
  });

  it('a client, an echo server, a key update and the close', async () => {
    const { clientSide: transport, serverSide } = crossedPipes();
    const echo = (async () => {
      const server = fromStreams(serverSide, { context: new TlsContext({ certificate }), role: 'server' });
      await server.readable.pipeTo(server.writable);
    })();

    // ## A client
    const tls = fromStreams(transport, { context: new TlsContext({ verifier }), serverName: 'localhost' });
    await tls.handshake; // rejects with the TlsError if the handshake fails
    tls.protocol; // 'TLSv1.3'
    tls.cipherSuite?.name; // 'TLS_CHACHA20_POLY1305_SHA256' (a puretls server on @noble picks ChaCha20)
    expect([tls.protocol, tls.cipherSuite?.name]).toEqual(['TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256']);

    const writer = tls.writable.getWriter();
    await writer.write(new TextEncoder().encode('ping\n')); // resolves once its records are handed to the transport
    const reader = tls.readable.getReader();
    const { value } = await reader.read(); // decrypted application data
    expect(dec(value!)).toBe('ping\n');

    // ## Controls: they only schedule
    const updates: string[] = [];
    tls.connection.on('keyUpdate', (e) => updates.push(`${e.direction} ${e.type}`));
    tls.keyUpdate(KeyUpdateType.REQUESTED); // nothing is sent yet
    tls.getKeyUpdateType(); // KeyUpdateType.REQUESTED
    expect(tls.getKeyUpdateType()).toBe(KeyUpdateType.REQUESTED);
    expect(updates).toEqual([]);
    await writer.write(new TextEncoder().encode('under the new key\n')); // the KeyUpdate, then this data
    expect(updates[0]).toBe('sent 1'); // (the echo may already have answered)
    let echoed = '';
    while (!echoed.includes('key\n')) echoed += dec((await reader.read()).value!);
    expect(echoed).toBe('under the new key\n');
    expect(updates).toEqual(['sent 1', 'received 0']); // the echo server's answer came with its echo

    // ## Closing
    writer.releaseLock();
    await tls.close(); // close_notify after everything written, then the transport's writable closes
    await tls.closed; // both ways done: the peer's close_notify came too
    expect((await reader.read()).done).toBe(true);
    await echo;
  });

  it('errors: a peer that is not TLS', async () => {
    const p = crossedPipes();
    const broken = fromStreams(p.clientSide, { context: new TlsContext({ verifier }), serverName: 'localhost' });
    await p.c2s.readable.getReader().read();
    await p.s2c.inject(enc('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const failures: string[] = [];

    // ## Errors
    try {
      await broken.handshake;
    } catch (e) {
      if (e instanceof TlsError) failures.push(`${e.code} ${e.alert}`); // 'ERR_TLS_UNEXPECTED_MESSAGE 10'
    }
    expect(failures).toEqual(['ERR_TLS_UNEXPECTED_MESSAGE 10']);
  });
});
