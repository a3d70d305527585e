/**
 * The 'keylog' event of our server emits SSLKEYLOGFILE lines (NSS format),
 * identical to what `openssl s_client -keylogfile` writes for the same
 * connection, which is what Wireshark reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createServer, type TlsSocket } from '../../src/node/index.js';
import { installPeerCleanup, runOpensslClient } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { certsFor, installCleanup, listen, track, type Certs } from './support.js';

installCleanup();
installPeerCleanup();

let certs: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
});

describe("createServer 'keylog' event", () => {
  it('emits the same lines that openssl s_client -keylogfile writes for the same connection', async () => {
    const lines: string[] = [];
    const server = track(
      createServer({ cert: certs.cert, key: certs.key }, (s: TlsSocket) => {
        s.on('data', (d: Buffer) => s.end(d));
      }),
    );
    server.on('keylog', (line: Buffer) => lines.push(line.toString('latin1')));
    const port = await listen(server);
    const file = join(makeTempDir('puretls-keylog-'), 'keys.log');
    const cli = runOpensslClient(['-tls1_3', '-keylogfile', file, '-servername', 'localhost'], undefined, { port });
    await cli.waitFor(/^New, TLSv1\.3, Cipher is /m, 15_000);
    cli.write('ping\n');
    await cli.waitFor(/^ping$/m, 15_000);
    cli.endInput();
    await cli.waitForExit(15_000);
    const fromOpenssl = readFileSync(file, 'latin1')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    // Each event is one line with its newline, as node:tls emits it.
    for (const l of lines) expect(l).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}\n$/);
    expect(lines.map((l) => l.trimEnd()).sort()).toEqual(fromOpenssl.sort());
    expect(fromOpenssl.map((l) => l.split(' ')[0]).sort()).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'EXPORTER_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
  });
});
