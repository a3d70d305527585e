/**
 * A throwaway self-signed certificate for the example, made in the page:
 * an ECDSA P-256 key pair from WebCrypto, and an X.509 v3 certificate
 * (CN=localhost, subjectAltName DNS:localhost, serverAuth, 30 days) whose
 * DER is written by the little encoder below and signed with WebCrypto.
 * puretls/core reads certificates and keys but does not make them, so the
 * example does it itself; nothing here is specific to TLS.
 *
 * No private key ships with the example: a new one is made at each load.
 */

// ---- DER ------------------------------------------------------------------

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Tag, definite length, contents. */
function tlv(tag, ...contents) {
  const body = concat(contents);
  const n = body.length;
  let len;
  if (n < 0x80) len = [n];
  else if (n < 0x100) len = [0x81, n];
  else if (n < 0x10000) len = [0x82, n >> 8, n & 0xff];
  else throw new RangeError('DER: too long for this little encoder');
  return concat([Uint8Array.of(tag, ...len), body]);
}

const seq = (...items) => tlv(0x30, ...items);
const set = (...items) => tlv(0x31, ...items);
const explicit = (n, ...items) => tlv(0xa0 + n, ...items);
const octets = (bytes) => tlv(0x04, bytes);
const bitString = (bytes, unused = 0) => tlv(0x03, Uint8Array.of(unused), bytes);
const utf8 = (s) => tlv(0x0c, new TextEncoder().encode(s));
const ia5 = (tag, s) => tlv(tag, new TextEncoder().encode(s));
const TRUE = Uint8Array.of(0x01, 0x01, 0xff);

/** A non-negative INTEGER from big-endian bytes (minimal, with a 0x00 when the top bit is set). */
function uint(bytes) {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return tlv(0x02, b[0] & 0x80 ? concat([Uint8Array.of(0), b]) : b);
}

function oid(dotted) {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** UTCTime (years 1950–2049), YYMMDDHHMMSSZ. */
function utcTime(date) {
  const s = date.toISOString(); // 2025-01-02T03:04:05.678Z
  return tlv(0x17, new TextEncoder().encode(s.slice(2, 4) + s.slice(5, 7) + s.slice(8, 10) + s.slice(11, 13) + s.slice(14, 16) + s.slice(17, 19) + 'Z'));
}

const extension = (id, critical, value) => seq(oid(id), ...(critical ? [TRUE] : []), octets(value));

// ---- the certificate ----------------------------------------------------------

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/**
 * @param {{ commonName?: string, dnsName?: string, days?: number }} [options]
 * @returns {Promise<{ certificateDer: Uint8Array, privateKeyPkcs8: Uint8Array }>}
 */
export async function selfSignedCertificate({ commonName = 'localhost', dnsName = 'localhost', days = 30 } = {}) {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));

  const name = seq(set(seq(oid('2.5.4.3'), utf8(commonName))));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  const now = Date.now();
  const tbs = seq(
    explicit(0, tlv(0x02, Uint8Array.of(2))), // v3
    uint(serial),
    seq(oid(ECDSA_WITH_SHA256)),
    name, // issuer: itself
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 86_400_000))),
    name,
    spki,
    explicit(
      3,
      seq(
        extension('2.5.29.19', true, seq()), // basicConstraints: not a CA
        extension('2.5.29.15', true, bitString(Uint8Array.of(0x80), 7)), // keyUsage: digitalSignature
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
        extension('2.5.29.17', false, seq(ia5(0x82, dnsName))), // subjectAltName: dNSName
      ),
    ),
  );
  // WebCrypto's ECDSA signature is r || s (32 bytes each); X.509 wants SEQUENCE { r, s }.
  const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, tbs));
  const signature = seq(uint(raw.subarray(0, 32)), uint(raw.subarray(32)));
  const certificateDer = seq(tbs, seq(oid(ECDSA_WITH_SHA256)), bitString(signature));
  return { certificateDer, privateKeyPkcs8: pkcs8 };
}
