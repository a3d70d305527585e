/**
 * getPeerCertificate()'s object, node's shape with Buffers, converted from the
 * x509 layer's detailed certificate; and the type of node's
 * checkServerIdentity option, which receives it.
 */
import type { DetailedCertificate } from '../x509/certificate.js';

/** getPeerCertificate()'s object: node's shape, with Buffers. */
export type PeerCertificate = Omit<DetailedCertificate, 'raw' | 'pubkey' | 'issuerCertificate'> & {
  raw: Buffer;
  pubkey?: Buffer;
  issuerCertificate?: PeerCertificate;
};

export type CheckServerIdentity = (hostname: string, cert: PeerCertificate) => Error | undefined;

/** Convert the x509 layer's object to node's (Buffers), keeping the issuer links (and a root's self link). */
export function toPeerCertificate(d: DetailedCertificate, detailed: boolean): PeerCertificate {
  const seen = new Map<DetailedCertificate, PeerCertificate>();
  const convert = (c: DetailedCertificate): PeerCertificate => {
    const known = seen.get(c);
    if (known) return known;
    const { raw, pubkey, issuerCertificate, ...rest } = c;
    const out: PeerCertificate = { ...rest, raw: Buffer.from(raw), ...(pubkey ? { pubkey: Buffer.from(pubkey) } : {}) };
    seen.set(c, out);
    if (detailed && issuerCertificate) out.issuerCertificate = convert(issuerCertificate);
    return out;
  };
  return convert(d);
}
