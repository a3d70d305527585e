/**
 * What a real peer does not send, made by the recorder from a real peer's
 * bytes: a Finished with a wrong verify_data (re-sealed under the right keys,
 * which our own side's key log gives the recorder).
 */
import { expect } from 'vitest';
import { ContentType } from '../../../src/common/constants.js';
import { ReceiveProtection, SendProtection } from '../../../src/record/protection.js';
import type { Connection } from '../../../src/ssl/connection.js';
import { certPath, ourServer, type Scenario } from '../kit.js';

const f = (finals: readonly unknown[]) => finals as ReadonlyArray<Record<string, unknown>>;

/** Flip a bit of the peer's first encrypted handshake record's Finished, under `label`'s key. */
function badFinished(conn: Connection, label: string): (data: Uint8Array) => Uint8Array {
  let secret: Uint8Array | undefined;
  let done = false;
  conn.on('keylog', (line) => {
    const [l, , hex] = line.split(' ');
    if (l === label) secret = Uint8Array.from(Buffer.from(hex!, 'hex'));
  });
  return (data) => {
    if (done || !secret) return data;
    const out = Uint8Array.from(data);
    for (let at = 0; at + 5 <= out.length; ) {
      const len = (out[at + 3]! << 8) | out[at + 4]!;
      if (at + 5 + len > out.length) throw new Error('a record split across reads: record again');
      if (out[at] === ContentType.application_data) {
        const suite = conn.cipherSuite!;
        const rec = ReceiveProtection.tls13(conn.config.provider, suite, secret).open({ type: out[at]!, version: 0x0303, header: out.subarray(at, at + 5), fragment: out.subarray(at + 5, at + 5 + len) });
        // The record holds the Finished: 4-byte header, then verify_data.
        if (rec.type !== ContentType.handshake || rec.data[0] !== 20) throw new Error(`expected the Finished, got handshake type ${rec.data[0]}`);
        const wrong = Uint8Array.from(rec.data);
        wrong[4]! ^= 0x01;
        const sealed = SendProtection.tls13(conn.config.provider, suite, secret).seal(ContentType.handshake, wrong);
        done = true;
        return Uint8Array.from([...out.subarray(0, at), ...sealed, ...out.subarray(at + 5 + len)]);
      }
      at += 5 + len;
    }
    return data;
  };
}

export const TAMPERED: readonly Scenario[] = [
  {
    name: 'tls13-server-bad-finished',
    description: "openssl s_client's Finished arrives with one bit of its verify_data flipped: our server refuses it with decrypt_error (RFC 8446 §4.4.4)",
    role: 'server',
    peer: { client: () => ['-tls1_3', '-servername', 'localhost', '-CAfile', certPath('ecdsa')] },
    factory: ourServer(),
    tamperPeer: { how: "the client's Finished re-sealed under its handshake key with verify_data[0] ^= 1", make: (conn) => badFinished(conn, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET') },
    steps: () => [{ until: (s) => s['failure'] !== null, what: 'our server to fail' }, { closed: true }],
    check: (finals) => {
      expect(f(finals)[0]).toMatchObject({ protocol: 'TLSv1.3', failure: 'ERR_TLS_DECRYPT_ERROR', alerts: { sent: ['decrypt_error'] }, handshakes: 0, ticketsIssued: 0 });
    },
  },
];
