/** The record layer: framing, handshake reassembly and per-direction protection. */
export { RECORD_HEADER_LENGTH, RecordDeframer, type RawRecord } from './deframer.js';
export { DEFAULT_MAX_HANDSHAKE_MESSAGE, HandshakeJoiner, type HandshakeMessage } from './joiner.js';
export { ReceiveProtection, SendProtection } from './protection.js';
export { MAX_SEQUENCE, type RecordCipher } from './cipher.js';
export { MAX_INNER_PLAINTEXT_13, Tls13Cipher } from './protection13.js';
export { Tls12AeadCipher } from './protection12.js';
