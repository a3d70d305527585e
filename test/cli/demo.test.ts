/**
 * The demo (`npm run demo` runs `node dist/demo.js`): one process, a server
 * and a client on 127.0.0.1; it must show the TLS 1.3 handshake, both key
 * updates with their events, a throughput figure, a TLS 1.2 connection with
 * a full and an abbreviated renegotiation, TLS 1.3 tickets with app data
 * through a resumption and newSessionTicket(), say plainly what is not
 * built yet, and exit 0.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { installPeerCleanup } from '../helpers/peers.js';
import { buildCli, runToEnd, type CliBuild } from './support.js';

installPeerCleanup();

let build: CliBuild;
beforeAll(async () => {
  build = await buildCli();
});

/** The text of section `from` up to section `to`. */
function section(out: string, from: number, to: number): string {
  const a = out.indexOf(`== ${from}.`);
  const b = out.indexOf(`== ${to}.`);
  expect(a, `section ${from}`).toBeGreaterThanOrEqual(0);
  expect(b, `section ${to}`).toBeGreaterThan(a);
  return out.slice(a, b);
}

describe('the demo', () => {
  it.each([
    ['node dist/demo.js', () => [build.demo, []] as const],
    ['puretls demo', () => [build.bin, ['demo']] as const],
  ])('%s: handshake, data, key updates both ways, TLS 1.2 with renegotiations, tickets with app data, not-built-yet lines, exit 0', async (_name, how) => {
    const [script, args] = how();
    const started = Date.now();
    const r = await runToEnd(script, [...args], { timeoutMs: 30_000 });
    const out = r.stdout;
    expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${out}`).toBe(0);
    expect(r.stderr).toBe('');
    expect(Date.now() - started).toBeLessThan(20_000);

    expect(out).toMatch(/== 3\. TLS 1\.3 handshake/);
    expect(out).toMatch(/Protocol {2}: TLSv1\.3/);
    // our server on the @noble provider picks ChaCha20-Poly1305 (aeadPreference 'speed')
    expect(out).toMatch(/Cipher {4}: TLS_CHACHA20_POLY1305_SHA256/);
    expect(out).toMatch(/Key group : X25519/);
    expect(out).toMatch(/Signature : ecdsa_secp256r1_sha256/);
    expect(out).toMatch(/Verified  : yes/);
    expect(out).toMatch(/>>> ClientHello/);

    expect(out).toMatch(/client -> server: "hello from the client" \(21 bytes\)/);
    expect(out).toMatch(/server -> client: "echo: hello from the client"/);

    // client keyUpdate(NOT_REQUESTED)
    const s5 = out.slice(out.indexOf('== 5.'), out.indexOf('== 6.'));
    expect(s5).toMatch(/client 'keyUpdate' sent +update_not_requested/);
    expect(s5).toMatch(/server 'keyUpdate' received +update_not_requested/);
    // server keyUpdate(REQUESTED) and the client's automatic answer
    const s6 = out.slice(out.indexOf('== 6.'), out.indexOf('== 7.'));
    expect(s6).toMatch(/server 'keyUpdate' sent +update_requested/);
    expect(s6).toMatch(/client 'keyUpdate' received +update_requested/);
    expect(s6).toMatch(/client 'keyUpdate' sent +update_not_requested/);
    expect(s6).toMatch(/server 'keyUpdate' received +update_not_requested/);

    expect(out).toMatch(/MiB in \d+ ms = [\d.]+ MiB\/s/);

    // TLS 1.2, after the TLS 1.3 part
    const s8 = section(out, 8, 9);
    expect(out.indexOf('== 8.')).toBeGreaterThan(out.indexOf('== 7.'));
    expect(s8).toMatch(/== 8\. TLS 1\.2 handshake \(client maxVersion 'TLSv1\.2'\)/);
    expect(s8).toMatch(/Protocol {2}: TLSv1\.2$/m);
    expect(s8).toMatch(/Cipher {4}: ECDHE-ECDSA-CHACHA20-POLY1305 \(TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\)$/m);
    expect(s8).toMatch(/Extended master secret: yes \(RFC 7627\)/);
    expect(s8).toMatch(/Secure renegotiation {2}: yes \(RFC 5746/);
    expect(s8).toMatch(/client -> server: "hello over TLS 1\.2"/);

    // a full renegotiation the client starts: a second ClientHello, the certificate again, new Finished, data before and after
    const s9 = section(out, 9, 10);
    expect(s9).toMatch(/Renegotiation started by the client: renegotiate\(\)/);
    expect(s9).toMatch(/client -> server: "data before the full renegotiation"/);
    expect(s9).toMatch(/Handshake messages seen by the client: >>> ClientHello, <<< ServerHello, <<< Certificate, .*<<< Finished$/m);
    expect(s9).toMatch(/'secure' again on both sides; secure renegotiation: yes/);
    expect(s9).toMatch(/resumed: no/);
    expect(s9).toMatch(/Finished {2}: [0-9a-f]{24} -> [0-9a-f]{24} \(changed\)/);
    expect(s9).toMatch(/client -> server: "data after the full renegotiation"/);
    expect(s9).toMatch(/server -> client: "and the server answers under the new keys"/);

    // an abbreviated one: the session resumed, no certificate
    const s10 = section(out, 10, 11);
    expect(s10).toMatch(/Abbreviated renegotiation: renegotiateAbbreviated\(\)/);
    // (a server that issues tickets may renew one before its Finished)
    expect(s10).toMatch(/Handshake messages seen by the client: >>> ClientHello, <<< ServerHello, (<<< NewSessionTicket, )?<<< Finished, >>> Finished$/m);
    expect(s10).not.toMatch(/Certificate|KeyExchange/);
    expect(s10).toMatch(/resumed: yes/);
    expect(s10).toMatch(/Finished {2}: [0-9a-f]{24} -> [0-9a-f]{24} \(changed\)/);
    expect(s10).toMatch(/client -> server: "data after the abbreviated renegotiation"/);

    // tickets (sans-IO core): app data set by generate, read by decrypt, on the resumed server's session; newSessionTicket()
    const s11 = section(out, 11, 12);
    expect(s11).toMatch(/== 11\. TLS 1\.3 session tickets with app data \(sans-IO core/);
    expect(s11).toMatch(/Full handshake: server getNumTickets\(\) = 2; its generate callback ran 2 times and set app data "user=1001"$/m);
    expect(s11).toMatch(/client 'session' events: 2 tickets, stored with toBytes\(\) \(\d+ and \d+ bytes;/);
    expect(s11).toMatch(/^ {5}server decrypt callback: status SUCCESS, app data "user=1001" -> USE_RENEW$/m);
    expect(s11.match(/server decrypt callback/g)).toHaveLength(1);
    expect(s11).toMatch(/resumed: client yes, server yes; the resumed server's session has app data "user=1001"$/m);
    expect(s11).toMatch(/Handshake messages seen by the client: >>> ClientHello, <<< ServerHello, <<< EncryptedExtensions, <<< Finished, >>> Finished, <<< NewSessionTicket$/m);
    expect(s11).not.toMatch(/Certificate/);
    expect(s11).toMatch(/tickets after the resumption: 1 \(the decrypt callback said USE_RENEW; USE would send none\)$/m);
    expect(s11).toMatch(/server newSessionTicket\(\) -> true \(queued\); takeOutgoing\(\) before a write: null \(nothing sent yet\)$/m);
    expect(s11).toMatch(/server -> client: "data after newSessionTicket\(\)"; the client's tickets on this connection: 1 -> 2$/m);

    const s12 = section(out, 12, 13);
    expect(s12).toMatch(/== 12\. Not built yet/);
    expect(s12).toMatch(/^ {3}0-RTT early data \(a server skips what a client sends early, RFC 8446 §4\.2\.10\); node:tls parity \(node:crypto provider: handshakes 0\.7-0\.96x node:tls, bulk 0\.6-0\.8x; docs\/performance\.md\)$/m);
    // TLS 1.2, renegotiation, the ticket controls and post-handshake authentication are built: no line says otherwise
    expect(out.split('\n').filter((l) => /not built yet/i.test(l))).toEqual(['== 12. Not built yet']);
    expect(out).toMatch(/== 13\. Closed: close_notify both ways/);
  });
});
