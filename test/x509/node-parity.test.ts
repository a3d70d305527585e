/**
 * Parity with node:tls itself: a node TLS server presents each scenario's
 * chain to a node client (rejectUnauthorized: false); the client's
 * authorizationError and getPeerCertificate(true) are what DefaultVerifier
 * must reproduce.
 */
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetailedCertificate } from '../../src/x509/certificate.js';
import { DefaultVerifier } from '../../src/x509/default-verifier.js';
import { CertFactory, type GenCert, type Scenarios, makeScenarios } from '../helpers/certs.js';
import { oracleProvider } from '../helpers/oracle-provider.js';

let f: CertFactory;
let s: Scenarios;
beforeAll(() => {
  f = new CertFactory();
  s = makeScenarios(f);
});
afterAll(() => f?.cleanup());

interface NodeOutcome {
  code: string;
  peer: tls.DetailedPeerCertificate;
}

async function nodeConnect(chain: readonly GenCert[], ca: readonly GenCert[], servername: string): Promise<NodeOutcome> {
  const server = tls.createServer({ cert: chain.map((c) => c.certPem).join(''), key: chain[0]!.keyPem }, (sock) => sock.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<NodeOutcome>((resolve, reject) => {
      const sock = tls.connect(
        { port, host: '127.0.0.1', servername, ca: ca.map((c) => c.certPem), rejectUnauthorized: false },
        () => {
          resolve({ code: String(sock.authorizationError ?? 'OK'), peer: sock.getPeerCertificate(true) });
          sock.destroy();
        },
      );
      sock.on('error', reject);
    });
  } finally {
    server.close();
  }
}

type Case = [
  name: string,
  chain: (s: Scenarios) => GenCert[],
  ca?: (s: Scenarios) => GenCert[],
  host?: string,
  /** Where we deliberately differ from node: our code. */
  ours?: string,
];

/** Codes node does not know (it reports 'UNSPECIFIED' for them); we report OpenSSL's name. */
const NODE_UNSPECIFIED = new Set(['PERMITTED_SUBTREE_VIOLATION', 'EXCLUDED_SUBTREE_VIOLATION', 'UNHANDLED_CRITICAL_EXTENSION']);

const ecRoot = (s: Scenarios): GenCert[] => [s.chains.ec.root];
const under = (name: string) => (s: Scenarios): GenCert[] => [s.x[name]!, s.chains.ec.intermediate];

const cases: Case[] = [
  ['rsa chain', (s) => [s.chains.rsa.leaf, s.chains.rsa.intermediate], (s) => [s.chains.rsa.root]],
  ['ec chain', (s) => [s.chains.ec.leaf, s.chains.ec.intermediate]],
  ['ed25519 chain', (s) => [s.chains.ed25519.leaf, s.chains.ed25519.intermediate], (s) => [s.chains.ed25519.root]],
  ['wildcard host', (s) => [s.chains.ec.leaf, s.chains.ec.intermediate], ecRoot, 'a.example.com'],
  ['wildcard too deep', (s) => [s.chains.ec.leaf, s.chains.ec.intermediate], ecRoot, 'a.b.example.com'],
  ['wildcard apex', (s) => [s.chains.ec.leaf, s.chains.ec.intermediate], ecRoot, 'example.com'],
  ['wrong host', (s) => [s.chains.ec.leaf, s.chains.ec.intermediate], ecRoot, 'other.test'],
  ['leaf only', (s) => [s.chains.ec.leaf]],
  ['untrusted root', (s) => [s.chains.ec.leaf, s.chains.ec.intermediate], (s) => [s.x.otherRoot!]],
  ['root in chain', (s) => [s.chains.ec.leaf, s.chains.ec.intermediate, s.chains.ec.root], (s) => [s.x.otherRoot!]],
  ['intermediate CA:FALSE', (s) => [s.x.leafUnderNoCA!, s.x.intNoCA!]],
  ['intermediate without basicConstraints', (s) => [s.x.leafUnderNoBC!, s.x.intNoBC!]],
  ['path length', (s) => [s.x.leafDeep!, s.x.intBelowPath0!, s.x.intPath0!]],
  ['path length ok', (s) => [s.x.leafPath0!, s.x.intPath0!]],
  ['name constraints ok', (s) => [s.x.leafNCok!, s.x.intNC!], ecRoot, 'www.allowed.test'],
  ['name constraints permitted', (s) => [s.x.leafNCbad!, s.x.intNC!], ecRoot, 'evil.test'],
  ['name constraints excluded', (s) => [s.x.leafNCexcluded!, s.x.intNC!], ecRoot, 'x.bad.allowed.test'],
  ['name constraints IP', (s) => [s.x.leafNCip!, s.x.intNC!], ecRoot, 'www.allowed.test'],
  ['name constraints CN', (s) => [s.x.leafNCcn!, s.x.intNC!], ecRoot, 'www.evil.test'],
  ['critical extension', under('leafCritical')],
  ['non-critical extension', under('leafNonCritical')],
  ['self-signed', (s) => [s.x.selfSigned!]],
  ['self-signed trusted', (s) => [s.x.selfSigned!], (s) => [s.x.selfSigned!]],
  ['out of order + extra', (s) => [s.chains.ec.leaf, s.x.otherRoot!, s.chains.ec.root, s.chains.ec.intermediate]],
  ['clientAuth-only leaf', under('clientOnly')],
  ['anyExtendedKeyUsage leaf', under('anyEku')],
  ['keyCertSign-only leaf', under('kuCertSignOnly')],
  ['intermediate with clientAuth EKU', (s) => [s.x.leafUnderClientEku!, s.x.intClientEku!]],
  ['CN only', under('cnOnly'), ecRoot, 'cn-only.example.com'],
  ['CN only, wrong host', under('cnOnly'), ecRoot, 'other.example.com'],
  ['no extensions', under('noExtensions')],
  ['expired leaf', under('expiredLeaf')],
  ['not yet valid leaf', under('futureLeaf')],
  ['expired intermediate', (s) => [s.x.leafUnderExpiredInt!, s.x.expiredInt!]],
  ['expired lone leaf', (s) => [s.x.expiredLeaf!]],
  ['expired self-signed', (s) => [s.x.expiredSelfSigned!]],
  ['expired, untrusted', under('expiredLeaf'), (s) => [s.x.otherRoot!]],
  // OpenSSL builds one path (crossA first, its root unknown); we try the alternative through crossB.
  ['cross-signed alternatives', (s) => [s.x.leafCross!, s.x.crossA!, s.x.crossB!], ecRoot, 'localhost', 'OK'],
  ['cross-signed, trusted path first', (s) => [s.x.leafCross!, s.x.crossB!, s.x.crossA!]],
  ['RSA-PSS signature', (s) => [s.x.pssLeaf!, s.chains.rsa.intermediate], (s) => [s.chains.rsa.root]],
  ['P-384', (s) => [s.x.p384leaf!], (s) => [s.x.p384root!]],
  ['EC leaf under RSA', (s) => [s.x.ecUnderRsa!, s.chains.rsa.intermediate], (s) => [s.chains.rsa.root]],
  ['AIA and a long subject', under('aia')],
];

/** The fields of getPeerCertificate() we promise, as plain comparable values. */
function comparable(d: DetailedCertificate | tls.PeerCertificate): Record<string, unknown> {
  const o = d as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['subject', 'issuer', 'infoAccess']) if (o[k]) out[k] = { ...(o[k] as object) };
  for (const k of ['subjectaltname', 'ca', 'modulus', 'bits', 'exponent', 'asn1Curve', 'nistCurve', 'valid_from', 'valid_to', 'fingerprint', 'fingerprint256', 'fingerprint512', 'ext_key_usage', 'serialNumber']) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  for (const k of ['pubkey', 'raw']) if (o[k]) out[k] = Buffer.from(o[k] as Uint8Array).toString('hex');
  return out;
}

function chainOf(d: DetailedCertificate | tls.DetailedPeerCertificate): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let cur: DetailedCertificate | tls.DetailedPeerCertificate | undefined = d;
  // Up to the first self-issued certificate (node's links past a trusted self-signed leaf are odd).
  while (cur && out.length < 10) {
    out.push(comparable(cur));
    if (cur.issuerCertificate?.fingerprint256 === cur.fingerprint256) break;
    cur = cur.issuerCertificate;
  }
  return out;
}

describe('DefaultVerifier agrees with node:tls', () => {
  it.each(cases)('%s', async (_name, chainFn, caFn = ecRoot, host = 'localhost', oursCode?: string) => {
    const chain = chainFn(s);
    const ca = caFn(s);
    const node = await nodeConnect(chain, ca, host);
    const ours = new DefaultVerifier({ ca: ca.map((c) => c.der) }).verify(
      chain.map((c) => c.der),
      { provider: oracleProvider(), peerRole: 'server', serverName: host },
    );
    const code = ours.error?.code ?? 'OK';
    if (oursCode) expect(code).toBe(oursCode);
    else if (node.code === 'UNSPECIFIED') expect(NODE_UNSPECIFIED).toContain(code);
    else expect(code).toBe(node.code);
    if (node.code === 'OK' || code === 'OK') {
      expect(ours.peerCertificate().issuerCertificate).toBeDefined();
    }
    if (node.code === 'OK') {
      expect(chainOf(ours.peerCertificate())).toEqual(chainOf(node.peer));
    } else {
      expect(comparable(ours.peerCertificate())).toEqual(comparable(node.peer));
    }
    if (node.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      const nodeErr = tls.checkServerIdentity(host, node.peer)!;
      expect(ours.error!.message).toBe(`ERR_TLS_CERT_ALTNAME_INVALID: ${nodeErr.message}`);
    }
  });
});
