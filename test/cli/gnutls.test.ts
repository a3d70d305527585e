/**
 * `gnutls-cli` <-> `puretls s_server`, and `puretls s_client` <-> `gnutls-serv
 * --echo`. gnutls-serv binds 0.0.0.0, so it runs in a private network
 * namespace, with our s_client next to it there (the filesystem is shared).
 * Skipped when gnutls-bin or `unshare --net` is missing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert, type CertInfo } from '../helpers/keys.js';
import { hasGnutls, hasNetns, installPeerCleanup, runInNetns, shWaitFor, spawnPeer } from '../helpers/peers.js';
import { makeTempDir } from '../helpers/tmp.js';
import { buildCli, sh, spawnCli, type CliBuild } from './support.js';

installPeerCleanup();

const gnutls = hasGnutls();
const netns = gnutls && hasNetns();

let build: CliBuild;
let cert: CertInfo;
beforeAll(async () => {
  if (!gnutls) return;
  [build, cert] = await Promise.all([buildCli(), makeCert({ keyType: 'p256' })]);
});

describe.skipIf(!gnutls)('gnutls-cli <-> puretls s_server', () => {
  it('handshakes TLS 1.3, lines go both ways, K is answered', async () => {
    const srv = spawnCli(build, ['s_server', '-accept', '0', '-cert', cert.certPath, '-key', cert.keyPath, '-naccept', '1', '-msg']);
    const port = Number((await srv.waitForMatch(/^ACCEPT 127\.0\.0\.1:(\d+)$/m, 15_000))[1]);
    const cli = spawnPeer('gnutls-cli', ['-p', String(port), '--x509cafile', cert.certPath, '--inline-commands', 'localhost'], { name: 'gnutls-cli' });
    // gnutls-cli resolves "localhost"; the certificate has DNS:localhost
    await cli.waitFor(/Handshake was completed/);
    expect(cli.stdout()).toMatch(/\(TLS1\.3/);
    await srv.waitFor(/^ {4}Protocol {2}: TLSv1\.3$/m);

    cli.write('hello from gnutls\n');
    await srv.waitFor(/^hello from gnutls$/m);
    srv.write('hello from puretls\n');
    await cli.waitFor(/hello from puretls/);

    // the server asks for an update; gnutls answers it
    srv.write('K\n');
    await srv.waitFor(/^KEYUPDATE$/m);
    cli.write('after K\n');
    await srv.waitFor(/^after K$/m);
    expect(srv.stdout()).toMatch(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_not_requested \(0\)$/m);

    // and gnutls asks us (^rekey^ = update_requested): we answer with our next write, before its data
    cli.write('^rekey^\n');
    await cli.waitFor(/Rekey was completed/);
    await srv.waitFor(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_requested \(1\)$/m);
    srv.write('after rekey\n');
    await srv.waitFor(/^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_not_requested \(0\)$/m);
    await cli.waitFor(/after rekey/);

    cli.endInput();
    expect((await srv.waitForExit(10_000)).code).toBe(0);
  });
});

describe.skipIf(!netns)('puretls s_client <-> gnutls-serv --echo (in a private netns)', () => {
  it('handshakes TLS 1.3 and gets its lines echoed, across key updates', async () => {
    const dir = makeTempDir('puretls-cli-gnutls-');
    const log = `${dir}/serv.log`;
    const serv = [
      'gnutls-serv', '-p', '5556', '--echo', `--x509certfile=${cert.certPath}`, `--x509keyfile=${cert.keyPath}`,
      '--priority=NORMAL:-VERS-ALL:+VERS-TLS1.3',
    ].map(sh).join(' ');
    const client = [process.execPath, build.bin, 's_client', '-connect', '127.0.0.1:5556', '-servername', 'localhost', '-CAfile', cert.certPath, '-msg'].map(sh).join(' ');
    const peer = runInNetns(`${serv} > ${sh(log)} 2>&1 &\n${shWaitFor(log, 'Echo Server listening on IPv4')}\nexec ${client}`, { name: 'gnutls-serv + puretls s_client (netns)' });
    await peer.waitFor(/^Verify return code: 0 \(ok\)$/m, 20_000);
    expect(peer.stdout()).toMatch(/^ {4}Protocol {2}: TLSv1\.3$/m);
    expect(peer.stdout()).toMatch(/^New, TLSv1\.3, Cipher is TLS_/m);

    peer.write('echo me\n');
    await peer.waitFor(/^echo me$/m);
    let mark = peer.mark();
    peer.write('K\n');
    await peer.waitFor(/^KEYUPDATE$/m, 10_000, mark);
    peer.write('echo me again\n');
    await peer.waitFor(/^echo me again$/m, 10_000, mark);
    // gnutls answered our update_requested with its own KeyUpdate
    expect(peer.stdout().slice(mark.stdout)).toMatch(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n {4}update_not_requested \(0\)$/m);
    mark = peer.mark();
    peer.write('Q\n');
    await peer.waitFor(/^DONE$/m, 10_000, mark);
  });
});
