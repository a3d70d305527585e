/** node's session ticket keys (`ticketKeys`, server.setTicketKeys()) onto the core's ticket codec. */
import type { CryptoProvider } from '../crypto/provider.js';
import { RotatingTicketCodec } from '../session/ticket-codec.js';
import { codedError, invalidArgType } from './coded-errors.js';

/** node's `ticketKeys` (48 bytes: name, HMAC secret, AES key) onto a codec; checked as node checks it. */
export function ticketCodecFor(provider: CryptoProvider, keys: unknown): RotatingTicketCodec {
  if (keys === undefined || keys === null) return new RotatingTicketCodec({ provider });
  const codec = new RotatingTicketCodec({ provider, rotateAfterMs: Infinity });
  setNodeTicketKeys(codec, keys, 'options.ticketKeys');
  return codec;
}

/** node's setTicketKeys / ticketKeys: a 48-byte Buffer (or Uint8Array), else node's errors. */
export function setNodeTicketKeys(codec: RotatingTicketCodec, keys: unknown, what: string): void {
  if (!(keys instanceof Uint8Array)) throw invalidArgType(what, 'an instance of Buffer, TypedArray, or DataView', keys);
  if (keys.byteLength !== 48) {
    throw codedError(new RangeError(`The argument '${what}' must be exactly 48 bytes. Received ${keys.byteLength}`), 'ERR_INVALID_ARG_VALUE');
  }
  codec.fromNodeTicketKeys(keys);
}
