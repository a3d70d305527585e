import { HandshakeType } from '../common/constants.js';
import { TlsError } from '../common/errors.js';
import { handshakeName, type HandshakeMessage } from '../messages/handshake.js';
import { HelloRequest } from '../messages/messages12.js';
import type { HandshakeContext, HandshakeState } from './state.js';

/**
 * After a TLS 1.2 handshake: the only handshake messages that may come are
 * a renegotiation request, a server's HelloRequest (RFC 5246 §7.4.1.1) or a
 * client's new ClientHello; the connection's policy decides (RFC 5746).
 */
export class ExpectTraffic12 implements HandshakeState {
  readonly name = 'ExpectTraffic12';

  handle(cx: HandshakeContext, msg: HandshakeMessage): HandshakeState {
    const expected = cx.role === 'client' ? HandshakeType.hello_request : HandshakeType.client_hello;
    if (msg.type !== expected) throw TlsError.unexpected(`${this.name}: got ${handshakeName(msg.type)}`);
    if (msg.type === HandshakeType.hello_request) HelloRequest.decode(msg.body);
    return cx.renegotiationRequested(msg, this);
  }
}
