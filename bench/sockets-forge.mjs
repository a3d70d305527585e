// node-forge's TLS (TLS 1.0/1.1, RSA key transport, AES-CBC + HMAC-SHA1) as a
// stream.Duplex over a net.Socket, so bench/sockets.mjs can drive it like the
// other contenders. forge works on binary strings; each direction converts.
// Emits 'secureConnect' (client) or 'secure' (server) when its handshake ends.
import { Duplex } from 'node:stream';
import forge from 'node-forge';

/** A session cache a forge client shares between connections (session-ID resumption). */
export const forgeSessionCache = () => forge.tls.createSessionCache({}, 1024);

export class ForgeSocket extends Duplex {
  /**
   * @param {import('node:net').Socket} sock
   * @param {{ server: boolean, cert?: string, key?: string, ca?: string, sessionCache?: object }} o
   */
  constructor(sock, o) {
    super({ allowHalfOpen: false });
    this.sock = sock;
    this.reused = false;
    const self = this;
    this.conn = forge.tls.createConnection({
      server: o.server,
      caStore: o.ca ? [o.ca] : [],
      sessionCache: o.sessionCache ?? {},
      cipherSuites: [forge.tls.CipherSuites.TLS_RSA_WITH_AES_128_CBC_SHA],
      virtualHost: o.server ? undefined : 'localhost',
      verify: (_c, verified) => verified,
      getCertificate: o.server ? () => o.cert : undefined,
      getPrivateKey: o.server ? () => o.key : undefined,
      connected(c) {
        self.reused = !!c.session?.resuming;
        self.emit(o.server ? 'secure' : 'secureConnect');
      },
      tlsDataReady(c) {
        const b = c.tlsData.getBytes();
        if (b.length && !sock.destroyed) sock.write(Buffer.from(b, 'binary'));
      },
      dataReady(c) {
        const b = c.data.getBytes();
        if (b.length) self.push(Buffer.from(b, 'binary'));
      },
      closed() {
        self.push(null);
        if (!sock.destroyed) sock.end();
      },
      error(_c, e) {
        self.destroy(new Error(`forge: ${e.message}`));
      },
    });
    sock.on('data', (d) => this.conn.process(d.toString('binary')));
    sock.on('end', () => this.push(null));
    sock.on('close', () => this.destroy());
    sock.on('error', (e) => this.destroy(e));
    if (!o.server) {
      if (sock.connecting) sock.once('connect', () => this.conn.handshake());
      else this.conn.handshake();
    }
  }

  isSessionReused() {
    return this.reused;
  }

  getProtocol() {
    const v = this.conn.version;
    return v ? `TLSv1.${v.minor - 1}` : null;
  }

  getCipher() {
    return { name: 'AES128-SHA' };
  }

  _read() {}

  _write(chunk, _enc, cb) {
    this.conn.prepare(chunk.toString('binary'));
    if (this.sock.writableNeedDrain) this.sock.once('drain', () => cb());
    else cb();
  }

  _final(cb) {
    this.conn.close();
    cb();
  }

  _destroy(err, cb) {
    this.sock.destroy();
    cb(err);
  }
}
