import { plain } from '../common/bytes.js';
import { TlsError } from '../common/errors.js';
import { Reader, Writer } from '../messages/codec.js';
import { latin1Decode, latin1Encode } from '../messages/extensions.js';

/** RFC 8446 §4.6.1: tickets are not kept for longer than seven days. */
export const MAX_TICKET_LIFETIME_SECONDS = 7 * 24 * 3600;

/**
 * "PTS" and the encoding's version: 2 added the TLS 1.2 fields, 3 the peer's
 * verification result. 2 and 3 are read; other versions are refused.
 */
const MAGIC = new Uint8Array([0x50, 0x54, 0x53, 0x03]);
const READABLE_VERSIONS: ReadonlySet<number> = new Set([2, 3]);

export interface SessionFields {
  readonly version: number;
  readonly cipherSuite: number;
  /** TLS 1.3: the resumption PSK (RFC 8446 §4.6.1); TLS 1.2: the 48-byte master secret. A secret. */
  readonly secret: Uint8Array;
  /** TLS 1.3: the ticket (identity); TLS 1.2: an RFC 5077 ticket, or empty for session-ID resumption. */
  readonly ticket: Uint8Array;
  /** TLS 1.2: the session ID the server assigned (0..32 bytes); empty for TLS 1.3. */
  readonly sessionId: Uint8Array;
  /** TLS 1.2: the master secret is RFC 7627's (a resumption must use EMS again, §5.3). */
  readonly extendedMasterSecret: boolean;
  readonly ticketAgeAdd: number;
  readonly lifetimeSeconds: number;
  readonly receivedAtMs: number;
  readonly serverName: string | undefined;
  readonly alpn: string | undefined;
  readonly maxEarlyData: number;
  /** The peer's certificates (DER, leaf first) from the full handshake (or a later post-handshake authentication). */
  readonly peerCertificates: readonly Uint8Array[];
  /**
   * The peer's chain verified when the session was made (OpenSSL's
   * SSL_SESSION_get_verify_result() == X509_V_OK); false when it did not, or
   * none was sent. Default false.
   */
  readonly peerVerified?: boolean;
}

/**
 * A resumable session (SSL_SESSION): TLS 1.3, made by a client from a
 * NewSessionTicket; TLS 1.2, made at the end of a full handshake (a session
 * ID, later a ticket). `toBytes()` / `Session.fromBytes()` store it (the bytes
 * hold the resumption secret: keep them as secret as a private key).
 */
// The fields are declared once, in SessionFields; the class adds behaviour.
export interface Session extends SessionFields {}
export class Session {
  private appData: Uint8Array | null = null;

  constructor(f: SessionFields) {
    Object.assign(this, f, {
      peerVerified: f.peerVerified === true,
      ticketAgeAdd: f.ticketAgeAdd >>> 0,
      lifetimeSeconds: Math.min(f.lifetimeSeconds, MAX_TICKET_LIFETIME_SECONDS),
    });
  }

  /** Usable at `nowMs`: within its lifetime (RFC 8446 §4.6.1). */
  isResumable(nowMs: number): boolean {
    const age = nowMs - this.receivedAtMs;
    return age >= 0 && age < this.lifetimeSeconds * 1000;
  }

  /** RFC 8446 §4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add, mod 2^32. */
  obfuscatedAge(nowMs: number): number {
    return (Math.max(0, Math.floor(nowMs - this.receivedAtMs)) + this.ticketAgeAdd) >>> 0;
  }

  /** SSL_SESSION_set1_ticket_appdata: sealed into every ticket made from this session from now on (null: none). */
  setTicketAppData(data: Uint8Array | null): true {
    if (data !== null && !(data instanceof Uint8Array)) throw new TypeError('setTicketAppData: data must be a Uint8Array or null');
    this.appData = data === null ? null : plain(data).slice();
    return true;
  }

  /** SSL_SESSION_get0_ticket_appdata: null when there is none. */
  getTicketAppData(): Uint8Array | null {
    return this.appData;
  }

  toBytes(): Uint8Array {
    const w = new Writer(512);
    w.bytes(MAGIC).u16(this.version).u16(this.cipherSuite).opaque8(this.secret).opaque16(this.ticket);
    w.opaque8(this.sessionId).u8(this.extendedMasterSecret ? 1 : 0);
    w.u32(this.ticketAgeAdd).u32(this.lifetimeSeconds).u64(BigInt(Math.floor(this.receivedAtMs)));
    w.opaque8(latin1Encode(this.serverName ?? '', 'serverName')).opaque8(latin1Encode(this.alpn ?? '', 'alpn'));
    w.u32(this.maxEarlyData);
    w.vec24(() => this.peerCertificates.forEach((c) => w.opaque24(c)));
    w.u8(this.peerVerified ? 1 : 0);
    w.u8(this.appData ? 1 : 0).opaque16(this.appData ?? new Uint8Array(0));
    return w.finish().slice();
  }

  /**
   * Parse what toBytes() wrote.
   * @throws {TypeError} when the bytes are not a puretls session
   */
  static fromBytes(bytes: Uint8Array): Session {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('Session.fromBytes: bytes must be a Uint8Array');
    try {
      const r = new Reader(plain(bytes)); // slices below are copies, never views into the caller's Buffer
      const magic = r.bytes(4, 'magic');
      if (magic.subarray(0, 3).some((b, i) => b !== MAGIC[i])) throw TlsError.decode('not a puretls session');
      const encoding = magic[3]!;
      if (!READABLE_VERSIONS.has(encoding)) throw TlsError.decode(`session encoding version ${encoding} is not supported (this puretls reads ${[...READABLE_VERSIONS].join(', ')})`);
      const version = r.u16();
      const cipherSuite = r.u16();
      const secret = r.vec8('secret', 32, 64).slice();
      const ticket = r.vec16('ticket').slice();
      const sessionId = r.vec8('sessionId', 0, 32).slice();
      const ems = r.u8('extendedMasterSecret');
      if (ems > 1) throw TlsError.decode('extendedMasterSecret must be 0 or 1');
      const ticketAgeAdd = r.u32();
      const lifetimeSeconds = r.u32();
      const receivedAtMs = Number(r.u64());
      const serverName = latin1Decode(r.vec8('serverName')) || undefined;
      const alpn = latin1Decode(r.vec8('alpn')) || undefined;
      const maxEarlyData = r.u32();
      const peerCertificates = r.list24('certificates', (c) => c.vec24('certificate', 1).slice());
      const verified = encoding >= 3 ? r.u8('peerVerified') : 0;
      if (verified > 1) throw TlsError.decode('peerVerified must be 0 or 1');
      const hasAppData = r.u8() === 1;
      const appData = r.vec16('appData').slice();
      r.end('session');
      const s = new Session({ version, cipherSuite, secret, ticket, sessionId, extendedMasterSecret: ems === 1, ticketAgeAdd, lifetimeSeconds, receivedAtMs, serverName, alpn, maxEarlyData, peerCertificates, peerVerified: verified === 1 });
      if (hasAppData) s.setTicketAppData(appData);
      return s;
    } catch (e) {
      if (e instanceof TlsError) throw new TypeError(`Session.fromBytes: not a valid puretls session (${e.message})`);
      throw e;
    }
  }
}
