/**
 * The `ca` option is parsed once per distinct content (src/node/ca-cache.ts):
 * the same content gives the same verifier, other content (or the same
 * Buffer changed in place) a new one, strings and bytes never share an
 * entry, refused values are not cached, and connections still verify.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { caAnchors } from '../../src/node/ca-cache.js';
import { createSecureContext } from '../../src/node/index.js';
import { decodePem } from '../../src/x509/index.js';
import { certsFor, type Certs } from './support.js';

let certs: Certs;
let other: Certs;
beforeAll(async () => {
  certs = await certsFor('p256');
  other = await certsFor('ed25519');
});

describe('ca option cache', () => {
  it('the same content, as a string, Buffer or array, gives the same anchors and verifier', () => {
    const a = caAnchors(certs.ca);
    expect(caAnchors(certs.ca)).toBe(a);
    expect(caAnchors(`${certs.ca}`)).toBe(a);
    expect(a.verifier()).toBe(caAnchors(certs.ca).verifier());
    const buf = Buffer.from(certs.ca);
    const b = caAnchors(buf);
    expect(caAnchors(Buffer.from(certs.ca))).toBe(b);
    expect(b).not.toBe(a); // bytes and strings are separate entries
    expect(caAnchors([certs.ca, other.ca])).toBe(caAnchors([certs.ca, other.ca]));
    expect(caAnchors([certs.ca, other.ca]).ders).toHaveLength(2);
    expect(caAnchors([other.ca, certs.ca])).not.toBe(caAnchors([certs.ca, other.ca]));
  });

  it('a Buffer changed in place is read afresh', () => {
    const buf = Buffer.alloc(Math.max(certs.ca.length, other.ca.length) + 1, '\n');
    buf.write(certs.ca, 'latin1');
    const first = caAnchors(buf);
    buf.fill('\n').write(other.ca, 'latin1');
    const second = caAnchors(buf);
    expect(second).not.toBe(first);
    expect(Buffer.from(second.ders[0]!).equals(Buffer.from(decodePem(other.ca)[0]!.der))).toBe(true);
  });

  it('a refused ca is not cached: the same error each time, and the option is named', () => {
    for (let i = 0; i < 2; i++) expect(() => createSecureContext({ ca: 'not a certificate' })).toThrow(/ca/);
  });

  it('contexts made from the same ca share the verifier', () => {
    const x = createSecureContext({ ca: certs.ca });
    const y = createSecureContext({ ca: certs.ca });
    expect(x.verifier()).toBe(y.verifier());
    expect(createSecureContext({ ca: other.ca }).verifier()).not.toBe(x.verifier());
  });
});
