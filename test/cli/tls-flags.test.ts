/** The TLS 1.2 flags → node:tls options, in process (planClient / planServer and tls-flags.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_FLAGS, CLIENT_FLAGS, UsageError, parseFlags } from '../../src/cli/args.js';
import { generateSelfSigned } from '../../src/cli/certgen.js';
import { planClient } from '../../src/cli/s_client.js';
import { planServer } from '../../src/cli/s_server.js';
import { summaryLines } from '../../src/cli/summary.js';
import { CLI_RENEGOTIATION_LIMIT, cipherOption, renegotiationFlags, versionOptions } from '../../src/cli/tls-flags.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { makeTempDir } from '../helpers/tmp.js';

const client = (...argv: string[]) => parseFlags('s_client', CLIENT_FLAGS, argv);
const server = (...argv: string[]) => parseFlags('s_server', SERVER_FLAGS, argv);

describe('version flags, as OpenSSL', () => {
  it.each([
    [[], {}],
    [['-tls1_2'], { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }],
    [['-tls1_3'], { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }],
    [['-no_tls1_3'], { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }],
    [['-no_tls1_2'], { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }],
    [['-tls1_2', '-no_tls1_3'], { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }],
    [['-tls1_3', '-no_tls1_2'], { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }],
  ])('%j', (argv, expected) => {
    expect(versionOptions(client(...argv))).toEqual(expected);
    expect(versionOptions(server(...argv))).toEqual(expected);
  });

  it.each([[['-tls1_2', '-tls1_3']], [['-tls1_2', '-no_tls1_2']], [['-tls1_3', '-no_tls1_3']], [['-no_tls1_2', '-no_tls1_3']]])('%j: no version left', (argv) => {
    expect(() => versionOptions(client(...argv))).toThrow(UsageError);
  });
});

describe('-cipher: an OpenSSL cipher string for TLS 1.2', () => {
  it.each(['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE+AESGCM:!aRSA', 'HIGH:@STRENGTH', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384'])('%s', (v) => {
    expect(cipherOption(v)).toBe(v);
  });

  it.each([
    ['', /empty list/],
    ['TLS_AES_256_GCM_SHA384', /is a TLS 1\.3 suite .*-ciphersuites/],
    ['AES128-SHA', /selects no TLS 1\.2 suite puretls implements/],
    ['NOPE', /matches no cipher/],
  ])('%j is refused', (v, message) => {
    expect(() => cipherOption(v)).toThrow(message);
  });

  it('goes to node\'s `ciphers`, beside -ciphersuites (TLS 1.3)', () => {
    const plan = planClient(['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
    if (plan === 'help') throw new Error('help');
    expect(plan.options.ciphers).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    expect(plan.options.ciphersuites).toBe('TLS_AES_128_GCM_SHA256');
  });
});

describe('renegotiation flags → the adapter policy (OpenSSL 3)', () => {
  const limits = { maxPerConnection: CLI_RENEGOTIATION_LIMIT, maxPerWindow: CLI_RENEGOTIATION_LIMIT, windowSeconds: 600 };
  it.each([
    ['server', [], { acceptClientInitiated: false, ...limits }, false],
    ['server', ['-client_renegotiation'], { acceptClientInitiated: true, ...limits }, false],
    ['server', ['-client_renegotiation', '-no_renegotiation'], { acceptClientInitiated: false, ...limits }, true],
    ['client', [], { refuseServerInitiated: false, ...limits }, false],
    ['client', ['-no_renegotiation'], { refuseServerInitiated: true, ...limits }, true],
  ] as const)('%s %j', (role, argv, policy, disabled) => {
    const flags = role === 'server' ? server(...argv) : client(...argv);
    expect(renegotiationFlags(flags, role)).toEqual({ policy, disabled });
  });

  it('planServer / planClient pass it on', () => {
    const dir = makeTempDir('puretls-cli-flags-');
    const c = generateSelfSigned(nobleProvider());
    writeFileSync(join(dir, 'server.pem'), c.certPem + c.keyPem);
    const plan = planServer(['-cert', join(dir, 'server.pem'), '-tls1_2', '-client_renegotiation']);
    if (plan === 'help') throw new Error('help');
    expect(plan.options.renegotiation?.acceptClientInitiated).toBe(true);
    expect(plan.options.maxVersion).toBe('TLSv1.2');
    const cp = planClient(['-no_renegotiation']);
    if (cp === 'help') throw new Error('help');
    expect(cp.options.renegotiation?.refuseServerInitiated).toBe(true);
  });

  it.each(['legacy_renegotiation', 'legacy_server_connect'])('-%s is refused in one line', (name) => {
    expect(() => renegotiationFlags(client(`-${name}`), 'client')).toThrow(/RFC 5746/);
    expect(() => renegotiationFlags(server(`-${name}`), 'server')).toThrow(/RFC 5746/);
  });
});

describe('TLS 1.2 status lines', () => {
  it('Secure Renegotiation, Extended master secret, Renegotiation is DISABLED (OpenSSL\'s words)', () => {
    const lines = summaryLines(
      { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', resumed: false, alpn: false, secureRenegotiation: true, extendedMasterSecret: true, renegotiationDisabled: true, peerSubject: null },
      'server',
    );
    expect(lines).toContain('Secure Renegotiation IS supported');
    expect(lines).toContain('Renegotiation is DISABLED');
    expect(lines).toContain('    Extended master secret: yes');
    expect(lines.indexOf('Secure Renegotiation IS supported')).toBe(lines.indexOf('New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256') + 1);
    expect(summaryLines({ protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', resumed: false, alpn: false }, 'client').join('\n')).not.toMatch(/Renegotiation|master secret/);
  });
});
