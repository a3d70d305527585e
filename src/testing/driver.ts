/**
 * The one way a transcript's connection is driven, shared by the recorder
 * and the replayer so both make the same calls in the same order: a step is
 * an action on our Connection, or a peer flow (receive, then read every byte
 * of application data); after each step everything we have to send is taken
 * (one flow). A TlsError from a step is an event, not an exception.
 */
import { concat } from '../common/bytes.js';
import { AlertDescription, TlsError, alertName } from '../common/errors.js';
import { handshakeName } from '../messages/handshake.js';
import type { Connection } from '../ssl/connection.js';
import type { FinalState, TranscriptAction, TranscriptEvent } from './transcript.js';

/** Perform one recorded action on our connection. */
export function applyAction(conn: Connection, a: TranscriptAction): void {
  switch (a.name) {
    case 'doHandshake':
      return conn.doHandshake();
    case 'write':
      return conn.write(a.data);
    case 'keyUpdate':
      return void conn.keyUpdate(a.type);
    case 'close':
      return conn.close();
    case 'renegotiate':
      return void conn.renegotiate();
    case 'renegotiateAbbreviated':
      return void conn.renegotiateAbbreviated();
    case 'newSessionTicket':
      return void conn.newSessionTicket();
    case 'verifyClientPostHandshake':
      return void conn.verifyClientPostHandshake();
    case 'setNumTickets':
      return void conn.setNumTickets(a.n);
  }
}

/**
 * A TlsError, also one from another copy of the library (the CommonJS
 * builds of 'puretls' and 'puretls/testing' are separate bundles).
 */
function isTlsError(e: unknown): e is TlsError {
  return e instanceof TlsError || (e instanceof Error && e.name === 'TlsError' && typeof (e as { code?: unknown }).code === 'string');
}

export class TranscriptDriver {
  readonly events: TranscriptEvent[] = [];
  /** Lines a scenario's callbacks logged (ticket app data they saw ...): part of the final state. */
  readonly log: string[] = [];
  private readonly sent: string[] = [];
  private readonly received: string[] = [];
  private readonly count = { handshakes: 0, keyUpdatesSent: 0, keyUpdatesReceived: 0, ticketsIssued: 0, sessions: 0, clientAuth: 0 };
  private readonly alerts = { sent: [] as string[], received: [] as string[] };
  /** Application data written since our last flow. */
  private wrote = 0;

  constructor(readonly conn: Connection) {
    conn.on('message', (m) => (m.direction === 'sent' ? this.sent : this.received).push(handshakeName(m.type)));
    conn.on('alert', (a) => {
      const name = `${alertName(a.description)}${a.level === 1 ? ' (warning)' : ''}`;
      (a.sent ? this.alerts.sent : this.alerts.received).push(name);
      (a.sent ? this.sent : this.received).push(`alert ${name}`);
    });
    conn.on('changeCipherSpec', (c) => (c.direction === 'sent' ? this.sent : this.received).push('ChangeCipherSpec'));
    conn.on('handshake', () => void this.count.handshakes++);
    conn.on('keyUpdate', (k) => void (k.direction === 'sent' ? this.count.keyUpdatesSent++ : this.count.keyUpdatesReceived++));
    conn.on('newSession', () => void this.count.ticketsIssued++);
    conn.on('session', () => void this.count.sessions++);
    conn.on('postHandshakeAuth', () => void this.count.clientAuth++);
  }

  /** An action; returns what we now have to send, or null. */
  act(action: TranscriptAction): Uint8Array | null {
    this.events.push({ kind: 'action', action });
    if (action.name === 'write') this.wrote += action.data.length;
    this.guard(() => applyAction(this.conn, action));
    return this.takeOurs();
  }

  /** The peer's bytes: receive them, read all application data; returns what we now have to send. */
  peer(data: Uint8Array): Uint8Array | null {
    const notes: string[] = [];
    this.events.push({ kind: 'flow', from: 'peer', data, notes });
    this.guard(() => {
      try {
        this.conn.receive(data);
      } finally {
        notes.push(...this.received.splice(0));
      }
      const read: Uint8Array[] = [];
      for (let d = this.conn.read(); d !== null; d = this.conn.read()) if (d.length > 0) read.push(d);
      if (read.length > 0) this.events.push({ kind: 'data', data: concat(...read) });
    });
    return this.takeOurs();
  }

  /** A comment kept in place (what the peer was told to do). */
  note(text: string): void {
    this.events.push({ kind: 'note', text });
  }

  /** Everything our connection has to send, as one flow (recorded), or null. */
  takeOurs(): Uint8Array | null {
    const parts: Uint8Array[] = [];
    for (let out = this.conn.takeOutgoing(); out !== null; out = this.conn.takeOutgoing()) if (out.length > 0) parts.push(out);
    if (parts.length === 0) return null;
    const data = concat(...parts);
    const notes = this.sent.splice(0);
    if (this.wrote > 0) notes.push(`application data (${this.wrote} bytes)`);
    this.wrote = 0;
    this.events.push({ kind: 'flow', from: 'us', data, notes });
    return data;
  }

  /** What the connection ended with (compared on replay). */
  finalState(): FinalState {
    const c = this.conn;
    return {
      protocol: c.protocol,
      suite: c.cipherSuite?.name ?? null,
      resumed: c.isSessionReused,
      alpn: c.alpnProtocol,
      handshakes: this.count.handshakes,
      keyUpdates: { sent: this.count.keyUpdatesSent, received: this.count.keyUpdatesReceived },
      ticketsIssued: this.count.ticketsIssued,
      sessionsReceived: this.count.sessions,
      postHandshakeAuth: this.count.clientAuth,
      alerts: this.alerts,
      failure: c.failure ? c.failure.code : null,
      peerClosed: c.peerClosed,
      log: this.log,
    };
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!isTlsError(e)) throw e;
      this.events.push({ kind: 'error', code: e.code, alert: e.alert ?? AlertDescription.internal_error });
    }
  }
}
