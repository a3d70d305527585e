import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolVersion } from '../../src/common/constants.js';
import { chainFor, drive, handshake, makePair, serverCert, verifierFor } from '../helpers/pair.js';
import type { Chain } from '../helpers/keys.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

describe('tls12 smoke', () => {
  it('handshakes and echoes', () => {
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain), maxVersion: ProtocolVersion.TLSv1_2 });
    handshake(p);
    expect(p.client.negotiated.version).toBe(ProtocolVersion.TLSv1_2);
    p.client.write(new TextEncoder().encode('hello'));
    drive(p.client, p.server);
    expect(new TextDecoder().decode(p.server.read()!)).toBe('hello');
    p.server.write(new TextEncoder().encode('back'));
    drive(p.client, p.server);
    expect(new TextDecoder().decode(p.client.read()!)).toBe('back');
    expect(p.client.exportKeyingMaterial(32, 'EXPORTER-x')).toEqual(p.server.exportKeyingMaterial(32, 'EXPORTER-x'));
  });
});

describe('tls12 renegotiation smoke', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const dec = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);
  it('client renegotiate() full; server accepts client-initiated', () => {
    const p = makePair({ certificate: serverCert(chain), renegotiation: { acceptClientInitiated: true } }, { verifier: verifierFor(chain), maxVersion: ProtocolVersion.TLSv1_2 });
    handshake(p);
    const fin1 = p.client.negotiated.finished;
    expect(p.client.renegotiate()).toBe(true);
    expect(p.client.renegotiatePending()).toBe(true);
    p.client.write(enc('during'));
    expect(p.client.renegotiatePending()).toBe(false);
    drive(p.client, p.server);
    expect(dec(p.server.read())).toBe('during');
    expect(p.client.handshaking).toBe(false);
    expect(p.server.handshaking).toBe(false);
    expect(p.client.negotiated.finished).not.toEqual(fin1);
    expect(p.client.isSessionReused).toBe(false);
    p.server.write(enc('after'));
    drive(p.client, p.server);
    expect(dec(p.client.read())).toBe('after');
  });
  it('client renegotiateAbbreviated() resumes; server renegotiate() sends HelloRequest', () => {
    const p = makePair({ certificate: serverCert(chain), renegotiation: { acceptClientInitiated: true } }, { verifier: verifierFor(chain), maxVersion: ProtocolVersion.TLSv1_2 });
    const sessions: unknown[] = [];
    p.client.on('session', (s) => sessions.push(s));
    handshake(p);
    expect(sessions.length).toBe(1);
    p.client.renegotiateAbbreviated();
    p.client.doHandshake();
    drive(p.client, p.server);
    expect(p.client.isSessionReused).toBe(true);
    expect(p.server.isSessionReused).toBe(true);
    p.server.renegotiate();
    p.server.write(enc('x'));
    drive(p.client, p.server);
    expect(dec(p.client.read())).toBe('x');
    expect(p.client.handshaking).toBe(false);
    expect(p.server.handshaking).toBe(false);
  });
  it('server refuses client-initiated by default with a warning; client then fails with handshake_failure', () => {
    const p = makePair({ certificate: serverCert(chain) }, { verifier: verifierFor(chain), maxVersion: ProtocolVersion.TLSv1_2 });
    handshake(p);
    p.client.renegotiate();
    p.client.doHandshake();
    let err: unknown;
    try { drive(p.client, p.server); } catch (e) { err = e; }
    expect((err as { code: string }).code).toBe('ERR_TLS_HANDSHAKE_FAILURE');
  });
});
