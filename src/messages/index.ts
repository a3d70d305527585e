/** Handshake message and extension codecs (RFC 8446 §4, RFC 5246 §7.4). */
export * from './codec.js';
export * from './handshake.js';
export * from './extensions.js';
export * from './ext-core.js';
export * from './ext-keyshare.js';
export * from './ext-psk.js';
export * from './ext-tls12.js';
export * from './hello.js';
export * from './messages13.js';
export * from './messages12.js';
