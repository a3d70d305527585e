/**
 * node:tls's `ca` option, parsed once per distinct content: a client that
 * passes the same CA to every connect() (the usual way) gets the anchors
 * and the verifier made the first time, instead of decoding the PEM and
 * parsing every certificate again per connection (which cost a client
 * handshake CPU and ~7 KiB of heap per connection). The key is the content
 * (strings as they are, bytes copied into a latin1 string), so a Buffer
 * changed in place between two calls is read afresh. Bounded: the 16 most
 * recently used contents.
 */
import type { CaOption } from './options.js';
import { caFromOption, DefaultVerifier } from '../x509/default-verifier.js';

const MAX_ENTRIES = 16;

/** The anchors of one `ca` content and, made on first use, their verifier. */
export class CaAnchors {
  private verifierCache: DefaultVerifier | undefined = undefined;
  constructor(readonly ders: readonly Uint8Array[]) {}

  verifier(): DefaultVerifier {
    return (this.verifierCache ??= new DefaultVerifier({ ca: [...this.ders] }));
  }
}

const cache = new Map<string, CaAnchors>();

function keyOf(item: string | Uint8Array): string {
  if (typeof item === 'string') return `s${item.length}:${item}`;
  let s = '';
  for (let i = 0; i < item.length; i += 8192) s += String.fromCharCode(...item.subarray(i, i + 8192));
  return `b${item.length}:${s}`;
}

/** The cache key of a `ca` option, or undefined for a value caFromOption will refuse. */
function cacheKey(ca: unknown): string | undefined {
  if (typeof ca === 'string' || ca instanceof Uint8Array) return keyOf(ca);
  if (!Array.isArray(ca)) return undefined;
  let key = 'a';
  for (const item of ca as unknown[]) {
    if (typeof item !== 'string' && !(item instanceof Uint8Array)) return undefined;
    key += keyOf(item);
  }
  return key;
}

/** The parsed anchors of `ca`. @throws what caFromOption throws (nothing is cached then) */
export function caAnchors(ca: CaOption): CaAnchors {
  const key = cacheKey(ca);
  const hit = key === undefined ? undefined : cache.get(key);
  if (hit) {
    cache.delete(key!); // most recently used last
    cache.set(key!, hit);
    return hit;
  }
  const anchors = new CaAnchors(caFromOption(ca as Parameters<typeof caFromOption>[0]));
  if (key !== undefined) {
    cache.set(key, anchors);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return anchors;
}
