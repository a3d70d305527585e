/**
 * The transcript machinery on an in-memory conversation (our client and our
 * server): record, format, parse, replay byte for byte; a changed side
 * fails with a message that says what changed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/ssl/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/ssl/context.js';
import { testProvider } from '../../src/crypto/random.js';
import {
  TranscriptFormatError,
  TranscriptMismatchError,
  TranscriptRecorder,
  formatTranscript,
  parseTranscript,
  replayTranscript,
  type ConnectionFactory,
  type TranscriptHeader,
} from '../../src/testing/index.js';
import type { Chain } from '../helpers/keys.js';
import { chainFor, serverCert, verifierFor } from '../helpers/pair.js';

let chain: Chain;
beforeAll(async () => {
  chain = await chainFor('p256');
});

const enc = (s: string) => new TextEncoder().encode(s);
// The clock must fall inside the test certificates' validity (made today).
const header: TranscriptHeader = { scenario: 'in-memory', role: 'client', seed: 'in-memory seed', clockMs: Math.floor(Date.now() / 1000) * 1000, fields: [['peer', 'our own server, in memory']] };

const clientFactory = (extra: TlsContextOptions = {}): ConnectionFactory => (setup) =>
  new Connection(new TlsContext({ provider: setup.provider, verifier: verifierFor(chain), ...extra }), 'client', {
    serverName: 'localhost',
    ...(setup.sessions.length ? { session: setup.sessions.at(-1)! } : {}),
  });

/** Record our client against our server (the "peer"); the server runs with its own seed. */
function record(extra: TlsContextOptions = {}): string {
  const rec = new TranscriptRecorder(header, clientFactory(extra));
  const serverCtx = new TlsContext({ provider: testProvider('peer', header.clockMs), certificate: serverCert(chain) });
  for (let c = 0; c < 2; c++) {
    const d = rec.connection();
    const srv = new Connection(serverCtx, 'server');
    const toPeer = (out: Uint8Array | null): void => {
      if (out) srv.receive(out);
      let back = srv.takeOutgoing();
      while (back) {
        for (let d2 = srv.read(); d2 !== null; d2 = srv.read()) srv.write(enc(`echo ${new TextDecoder().decode(d2)}`));
        const next = d.peer(back);
        if (next) srv.receive(next);
        back = srv.takeOutgoing();
      }
      for (let d2 = srv.read(); d2 !== null; d2 = srv.read()) {
        srv.write(enc(`echo ${new TextDecoder().decode(d2)}`));
        const more = srv.takeOutgoing();
        if (more) toPeer(d.peer(more));
      }
    };
    toPeer(d.act({ name: 'doHandshake' }));
    toPeer(d.act({ name: 'write', data: enc('hello\n') }));
    if (c === 0) {
      d.note('our side asks for a key update');
      toPeer(d.act({ name: 'keyUpdate', type: 1 }));
      toPeer(d.act({ name: 'write', data: enc('after\n') }));
    }
    toPeer(d.act({ name: 'close' }));
  }
  return rec.toString();
}

describe('transcripts', () => {
  it('record, format, parse, format again: the same text; flows in Go\'s hexdump style with decoded messages as comments', () => {
    const text = record();
    expect(formatTranscript(parseTranscript(text))).toBe(text);
    expect(text).toMatch(/^# puretls transcript, format 1\nscenario: in-memory\nrole: client\n/);
    expect(text).toMatch(/^>>> Flow 1 \(client to server\)\n# ClientHello\n00000000  16 03 0[13] /m);
    expect(text).toMatch(/^@ keyUpdate 1$/m);
    expect(text).toMatch(/^< "echo hello\\n"$/m);
    expect(text).toMatch(/^=== Connection 2$/m);
    expect(text).toMatch(/^final: \{"protocol":"TLSv1.3".*"resumed":true/m);
  });

  it('a replay with the same side reproduces every flow byte for byte, both connections (the second resumes)', () => {
    const text = record();
    const report = replayTranscript(text, clientFactory());
    expect(report.connections).toBe(2);
    expect(report.ourFlows).toBeGreaterThan(6);
    expect(report.finals[0]).toMatchObject({ keyUpdates: { sent: 1, received: 1 }, resumed: false });
    expect(report.finals[1]).toMatchObject({ resumed: true });
  });

  it('a changed client fails at its first flow and says which extension the ClientHello now sends', () => {
    const text = record();
    const err = (() => {
      try {
        replayTranscript(text, clientFactory({ alpnProtocols: ['h2'] }));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(TranscriptMismatchError);
    const m = (err as Error).message;
    expect(m).toMatch(/^in-memory, connection 1, event 2: our flow differs from the recording at byte \d+/);
    expect(m).toMatch(/our \(client\) ClientHello now sends extension application_layer_protocol_negotiation/);
  });

  it('another seed: the ClientHello random differs, and the message says so', () => {
    const text = record().replace('seed: in-memory seed', 'seed: another seed');
    expect(() => replayTranscript(text, clientFactory())).toThrow(/ClientHello random differs/);
  });

  it('a mangled file is a TranscriptFormatError naming the line', () => {
    const text = record();
    expect(() => parseTranscript(text.replace('# puretls transcript, format 1', '# puretls transcript, format 2'))).toThrow(TranscriptFormatError);
    expect(() => parseTranscript(text.replace('@ keyUpdate 1', '@ keyUpdate 7'))).toThrow(/line \d+: unknown action "keyUpdate 7"/);
    expect(() => parseTranscript(text.replace(/^00000010 .*$/m, ''))).toThrow(/a hexdump line out of place/);
  });
});

describe('error events', () => {
  it('a certificate verification code (no ERR_ prefix) is read back', () => {
    const text = record();
    const withError = text.replace(/^@ close$/m, '! DEPTH_ZERO_SELF_SIGNED_CERT 48\n@ close');
    const t = parseTranscript(withError);
    expect(t.connections[0]!.events.some((e) => e.kind === 'error' && e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' && e.alert === 48)).toBe(true);
    expect(formatTranscript(t)).toBe(withError);
  });
});
