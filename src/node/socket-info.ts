/**
 * TlsSocket's node:tls and net.Socket accessors: what was negotiated, the
 * certificates (as node's objects and as crypto.X509Certificate), the
 * session, node's counters and states (bytesRead, readyState, ...), and
 * the transport's addresses and socket options.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { SignatureScheme } from '../common/constants.js';
import { SignatureAlgorithmsExt } from '../messages/ext-core.js';
import { findExtension } from '../messages/extensions.js';
import { ClientHello } from '../messages/hello.js';
import { peekClientHello } from '../ssl/peek.js';
import { parseCertificate } from '../x509/certificate.js';
import type { DefaultVerifyResult } from '../x509/default-verifier.js';
import { ephemeralKeyInfo, type EphemeralKeyInfo } from './algorithms.js';
import { SocketControls } from './controls.js';
import { toPeerCertificate, type PeerCertificate } from './peer-certificate.js';

const S = SignatureScheme;
/** node's getSharedSigalgs() names (OpenSSL's key type + '+' + hash short name; 'UNDEF' for the EdDSA schemes). */
const NODE_SIGALG_NAMES: Readonly<Record<number, string>> = {
  [S.ecdsa_secp256r1_sha256]: 'ECDSA+SHA256',
  [S.ecdsa_secp384r1_sha384]: 'ECDSA+SHA384',
  [S.ecdsa_secp521r1_sha512]: 'ECDSA+SHA512',
  0x0303: 'ECDSA+SHA224',
  0x0203: 'ECDSA+SHA1',
  [S.ed25519]: 'Ed25519+UNDEF',
  0x0808: 'Ed448+UNDEF',
  [S.rsa_pss_rsae_sha256]: 'RSA-PSS+SHA256',
  [S.rsa_pss_rsae_sha384]: 'RSA-PSS+SHA384',
  [S.rsa_pss_rsae_sha512]: 'RSA-PSS+SHA512',
  0x0809: 'RSA-PSS+SHA256',
  0x080a: 'RSA-PSS+SHA384',
  0x080b: 'RSA-PSS+SHA512',
  [S.rsa_pkcs1_sha256]: 'RSA+SHA256',
  [S.rsa_pkcs1_sha384]: 'RSA+SHA384',
  [S.rsa_pkcs1_sha512]: 'RSA+SHA512',
  0x0301: 'RSA+SHA224',
  0x0201: 'RSA+SHA1',
};

/** The schemes node names, in one order: the client's offer is kept as a bitmask over it. */
const NAMED_SIGALGS: readonly number[] = Object.keys(NODE_SIGALG_NAMES).map(Number);

/** The client's signature_algorithms as a bitmask over NAMED_SIGALGS (those node has no name for never show). */
function sigalgMask(schemes: readonly number[] | undefined): number {
  let mask = 0;
  for (const s of schemes ?? []) {
    const i = NAMED_SIGALGS.indexOf(s);
    if (i >= 0) mask |= 1 << i;
  }
  return mask;
}

/** The most ClientHello bytes kept to read the client's signature_algorithms (getSharedSigalgs). */
const HELLO_KEEP = 16 * 1024;

function toX509(der: Uint8Array | undefined): X509Certificate | undefined {
  return der ? new X509Certificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength)) : undefined;
}

export abstract class SocketInfo extends SocketControls {
  /** Application data pushed to the reader (node's bytesRead on a TLSSocket counts plaintext). */
  protected dataRead = 0;
  /** Application data whose write completed. */
  protected dataWritten = 0;
  /** Server: the ClientHello's first bytes until its signature_algorithms are read. */
  private helloBytes: Uint8Array[] | null = [];
  /** Server: the client's signature_algorithms that node names, a bit each (sigalgMask): a number, not an array per connection. */
  private clientSigalgs = 0;

  // ---- node:tls accessors -------------------------------------------------------

  /** 'TLSv1.3' once connected, else null. */
  getProtocol(): string | null {
    return this.established ? (this.conn?.protocol ?? null) : null;
  }

  /** { name: OpenSSL name, standardName: IANA name, version }. */
  getCipher(): { name: string; standardName: string; version: string } | undefined {
    const s = this.conn?.cipherSuite;
    if (!s || !this.established) return undefined;
    return { name: s.opensslName, standardName: s.name, version: this.conn!.protocol ?? 'TLSv1.3' };
  }

  /**
   * node's getPeerCertificate: {} when none; `detailed` links
   * issuerCertificate along the chain (the trust anchor's issuerCertificate
   * is itself, as node's).
   */
  getPeerCertificate(detailed = false): PeerCertificate | Record<string, never> {
    const conn = this.conn;
    const ders = conn?.peerCertificates ?? [];
    if (!conn || ders.length === 0) return {};
    const v = conn.peerVerification as Partial<DefaultVerifyResult> | null;
    if (v && typeof v.peerCertificate === 'function') return toPeerCertificate(v.peerCertificate(), detailed);
    const [leaf, ...rest] = ders.map((d) => parseCertificate(d));
    return toPeerCertificate(leaf!.toDetailed(rest), detailed);
  }

  /** node's getCertificate(): our own certificate as node's object; {} without one (a client without a certificate). */
  getCertificate(): PeerCertificate | Record<string, never> {
    const context = this.conn?.config ?? this.setup.context;
    const der = context.certificate?.chain[0];
    return der ? toPeerCertificate(parseCertificate(der).toDetailed([]), false) : {};
  }

  /** node's getX509Certificate(): our own certificate as a crypto.X509Certificate; undefined without one. */
  getX509Certificate(): X509Certificate | undefined {
    const context = this.conn?.config ?? this.setup.context;
    return toX509(context.certificate?.chain[0]);
  }

  /** node's getPeerX509Certificate(): the peer's certificate as a crypto.X509Certificate; undefined without one. */
  getPeerX509Certificate(): X509Certificate | undefined {
    return this.established ? toX509(this.conn?.peerCertificates[0]) : undefined;
  }

  /**
   * node's getSharedSigalgs(): on a server, the signature schemes both the
   * client's signature_algorithms and ours allow, in our order (node's
   * server prefers its own), by
   * node's names ('ECDSA+SHA256', 'RSA-PSS+SHA256', 'Ed25519+UNDEF', ...).
   * [] on a client (node's too, unless the server asked for a client
   * certificate: puretls does not keep the CertificateRequest's list) and
   * before the handshake.
   */
  getSharedSigalgs(): string[] {
    const conn = this.conn;
    const offered = this.clientSigalgs;
    if (this.setup.role !== 'server' || !conn || !this.established || offered === 0) return [];
    return conn.config.signatureSchemes.filter((s) => (offered & sigalgMask([s])) !== 0).map((s) => NODE_SIGALG_NAMES[s]!);
  }

  /** Server: read the client's signature_algorithms from its first bytes (the ClientHello). */
  protected observeHello(bytes: Uint8Array): void {
    const kept = this.helloBytes;
    if (kept === null || this.setup.role !== 'server') return;
    kept.push(bytes);
    const r = peekClientHello(kept, HELLO_KEEP);
    if (r.status === 'more' && kept.reduce((n, b) => n + b.length, 0) < HELLO_KEEP) return;
    this.helloBytes = null;
    if (r.status !== 'done') return;
    try {
      const joined = Buffer.concat(kept);
      // One record (or several) of handshake type: the body starts after the 5-byte record header and the 4-byte message header.
      const body = reassemble(joined);
      if (body) this.clientSigalgs = sigalgMask(findExtension(ClientHello.decode(body).extensions, SignatureAlgorithmsExt));
    } catch {
      // peekClientHello accepted it: nothing to do here if it does not decode
    }
  }

  /**
   * node's getEphemeralKeyInfo(): the client's view of the key exchange,
   * `{ type: 'ECDH', name, size }` or `{ type: 'DH', size }`; {} before the
   * handshake or when there was none (a resumed TLS 1.2 session); null on a server.
   */
  getEphemeralKeyInfo(): EphemeralKeyInfo | Record<string, never> | null {
    if (this.setup.role === 'server') return null;
    const group = this.established ? this.conn?.negotiated.group : undefined;
    return (group !== undefined && ephemeralKeyInfo(group)) || {};
  }

  /**
   * node's getTLSTicket(): the ticket of the client's current session (TLS
   * 1.2's or TLS 1.3's); undefined without one (a TLS 1.2 session resumed by
   * session ID), and on a server.
   */
  getTLSTicket(): Buffer | undefined {
    const ticket = this.setup.role === 'client' ? this.currentSession?.ticket : undefined;
    return ticket && ticket.length > 0 ? Buffer.from(ticket) : undefined;
  }

  /**
   * Client: the latest session (the Buffer of the last 'session' event, or on
   * a resumed connection the session in use until a new ticket comes), to
   * pass as `session` to a later connect(); undefined before any.
   * The bytes hold the resumption secret: keep them as secret as a key.
   */
  getSession(): Buffer | undefined {
    return this.latestSession;
  }

  /** The server accepted the session we offered (no certificate was sent in this handshake). */
  isSessionReused(): boolean {
    return this.conn?.isSessionReused ?? false;
  }

  /** Our Finished verify_data, once sent. */
  getFinished(): Buffer | undefined {
    const f = this.conn?.negotiated.finished;
    return f ? Buffer.from(f) : undefined;
  }

  /** The peer's Finished verify_data, once received. */
  getPeerFinished(): Buffer | undefined {
    const f = this.conn?.negotiated.peerFinished;
    return f ? Buffer.from(f) : undefined;
  }

  /**
   * puretls: the peer closed with close_notify. False when the transport
   * ended without it (a truncation: 'end' is emitted all the same, as by
   * node:tls, unless `rejectTruncation`) and while the connection is open.
   */
  get closeNotifyReceived(): boolean {
    return this.conn?.peerClosed ?? false;
  }

  /**
   * Server side: the server that accepted this connection (node's
   * tlsSocket.server); undefined on a client. Writable, as node's plain
   * property: node's http code assigns it (`socket.server = server`).
   */
  get server(): net.Server | undefined {
    if (this.serverOverride !== undefined) return this.serverOverride;
    const s = this.setup.server;
    return s instanceof net.Server ? s : undefined;
  }
  set server(value: net.Server | undefined) {
    this.serverOverride = value;
  }
  private serverOverride: net.Server | undefined = undefined;

  // ---- net.Socket's counters and states -------------------------------------------

  /** As node:tls: application data received (plaintext bytes, not the records). */
  get bytesRead(): number {
    return this.dataRead;
  }
  /** As node:tls: application data written, including what is still buffered (plaintext bytes). */
  get bytesWritten(): number {
    return this.dataWritten + this.writableLength;
  }
  /** The TCP connection is being opened (the transport is a connecting net.Socket). */
  get connecting(): boolean {
    return this.netSocket?.connecting ?? false;
  }
  /** net.Socket's readyState: 'opening', 'open', 'readOnly', 'writeOnly' or 'closed'. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  // ---- net.Socket pass-throughs (when the transport is one) --------------------

  private get netSocket(): net.Socket | undefined {
    return this.transport instanceof net.Socket ? this.transport : undefined;
  }
  get remoteAddress(): string | undefined {
    return this.netSocket?.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.netSocket?.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.netSocket?.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.netSocket?.localAddress;
  }
  get localPort(): number | undefined {
    return this.netSocket?.localPort;
  }
  get localFamily(): string | undefined {
    return this.netSocket?.localFamily;
  }
  /** net.Socket's pending: not connected yet (a net.Socket transport still connecting); false over other transports once made. */
  get pending(): boolean {
    return this.netSocket?.pending ?? false;
  }
  /**
   * net.Socket's resetAndDestroy(): close the TCP connection with an RST
   * (no close_notify) and destroy this socket; over another transport, destroy both.
   */
  resetAndDestroy(): this {
    const t = this.netSocket;
    if (t && !t.destroyed) t.resetAndDestroy();
    else this.transport.destroy();
    this.destroy();
    return this;
  }
  address(): net.AddressInfo | Record<string, never> {
    return this.netSocket?.address() ?? {};
  }
  setNoDelay(noDelay?: boolean): this {
    this.netSocket?.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.netSocket?.setKeepAlive(enable, initialDelay);
    return this;
  }
  private timeoutForwarded = false;
  /** Idle timeout of the transport; 'timeout' is re-emitted here. */
  setTimeout(ms: number, cb?: () => void): this {
    const s = this.netSocket;
    if (s) {
      if (!this.timeoutForwarded) {
        this.timeoutForwarded = true;
        s.on('timeout', () => this.emit('timeout'));
      }
      s.setTimeout(ms);
    }
    if (cb) this.once('timeout', cb);
    return this;
  }
  ref(): this {
    this.netSocket?.ref();
    return this;
  }
  unref(): this {
    this.netSocket?.unref();
    return this;
  }
}

/** The ClientHello body out of its plaintext handshake records (peekClientHello checked their shape). */
function reassemble(data: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  for (let pos = 0; pos + 5 <= data.length; ) {
    const length = (data[pos + 3]! << 8) | data[pos + 4]!;
    parts.push(data.subarray(pos + 5, pos + 5 + length));
    pos += 5 + length;
  }
  const msg = Buffer.concat(parts);
  if (msg.length < 4) return undefined;
  const bodyLength = (msg[1]! << 16) | (msg[2]! << 8) | msg[3]!;
  return msg.length >= 4 + bodyLength ? msg.subarray(4, 4 + bodyLength) : undefined;
}
