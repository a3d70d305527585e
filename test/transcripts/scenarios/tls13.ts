/**
 * TLS 1.3 scenarios, both roles (see kit.ts for the building blocks): our
 * client against openssl s_server, our server against openssl s_client.
 * Every suite and group, HelloRetryRequest, ALPN, client authentication in
 * and after the handshake, key updates from each side, tickets and
 * resumption, and how connections end (an unknown CA, close_notify each way).
 *
 * Every factory here is wrapped by `observed`, which logs (into the final
 * state, compared on replay) what the final state does not show: the group,
 * whether a HelloRetryRequest happened, the handshake messages of each
 * handshake and the handshake messages after it.
 */
import { expect } from 'vitest';
import { CipherSuite, HandshakeType, KeyUpdateType, NamedGroup, nameOf } from '../../../src/common/constants.js';
import { alertName } from '../../../src/common/errors.js';
import { TicketReturn } from '../../../src/handshake/config.js';
import { handshakeName } from '../../../src/messages/handshake.js';
import type { TlsContextOptions } from '../../../src/ssl/context.js';
import type { Connection } from '../../../src/ssl/connection.js';
import type { ConnectionFactory, FinalState, TranscriptSetup } from '../../../src/testing/index.js';
import { certifiedKey, certPath, keyPath, ourClient, ourServer, STEPS, trusting, type Scenario, type Step } from '../kit.js';

const { start, handshake, write, close, closed, finish, ourLine, peerLine } = STEPS;

// ---- peers -------------------------------------------------------------------

/** openssl s_server for our client: TLS 1.3, the ECDSA certificate, `extra` flags. */
const sServer13 = (...extra: string[]) => ({ server: ['-tls1_3', '-naccept', '1', '-cert', certPath('ecdsa'), '-key', keyPath('ecdsa'), ...extra] });
/** openssl s_client for our server: TLS 1.3, trusting our ECDSA certificate. */
const sClient13 = (...extra: string[]) => ({ client: () => ['-tls1_3', '-servername', 'localhost', '-CAfile', certPath('ecdsa'), ...extra] });

// ---- what the final state does not show: logged ------------------------------

const NOT_LOGGED = new Set<number>([HandshakeType.new_session_ticket, HandshakeType.key_update]);

/**
 * `base`, logging at each completed handshake "handshake: group G, helloRetry B,
 * sent …, received …" and after it each handshake message other than
 * NewSessionTicket and KeyUpdate (counted in the final state) as
 * "post-handshake sent|received NAME", and every alert in order as
 * "alert sent|received NAME" (the final state keeps the two directions apart).
 */
function observed(base: ConnectionFactory, extra?: (conn: Connection, setup: TranscriptSetup) => void): ConnectionFactory {
  return (setup) => {
    const conn = base(setup);
    let sent: string[] = [];
    let received: string[] = [];
    let done = false;
    conn.on('message', (m) => {
      if (NOT_LOGGED.has(m.type)) return;
      if (done) setup.log(`post-handshake ${m.direction} ${handshakeName(m.type)}`);
      else (m.direction === 'sent' ? sent : received).push(handshakeName(m.type));
    });
    conn.on('handshake', () => {
      const n = conn.negotiated;
      const group = n.group === undefined ? 'none' : nameOf(NamedGroup, n.group);
      setup.log(`handshake: group ${group}, helloRetry ${n.helloRetry === true}, sent ${sent.join(',')}, received ${received.join(',')}`);
      sent = [];
      received = [];
      done = true;
    });
    conn.on('alert', (a) => setup.log(`alert ${a.sent ? 'sent' : 'received'} ${alertName(a.description)}`));
    extra?.(conn, setup);
    return conn;
  };
}

const client = (options?: (setup: TranscriptSetup) => TlsContextOptions, resume = false): ConnectionFactory =>
  observed(ourClient({ ...(options ? { options } : {}), resume }));
const server = (options?: (setup: TranscriptSetup) => TlsContextOptions): ConnectionFactory => observed(ourServer(options));

// ---- checks --------------------------------------------------------------------

interface Final {
  protocol: string | null;
  suite: string | null;
  resumed: boolean;
  alpn: string | false;
  handshakes: number;
  keyUpdates: { sent: number; received: number };
  ticketsIssued: number;
  sessionsReceived: number;
  postHandshakeAuth: number;
  alerts: { sent: string[]; received: string[] };
  failure: string | null;
  peerClosed: boolean;
  log: string[];
}
const f = (finals: readonly FinalState[]): readonly Final[] => finals as unknown as readonly Final[];
const one = (finals: readonly FinalState[]): Final => {
  expect(finals).toHaveLength(1);
  return f(finals)[0]!;
};
/** The "handshake: …" log line of a connection (exactly one). */
const handshakeLine = (s: Final): string => {
  const lines = s.log.filter((l) => l.startsWith('handshake: '));
  expect(lines).toHaveLength(1);
  return lines[0]!;
};
/** The log lines starting with `prefix`. */
const logged = (s: Final, prefix: string): string[] => s.log.filter((l) => l.startsWith(prefix));
/** A clean TLS 1.3 connection: one handshake, no failure, close_notify both ways. */
const clean13 = (s: Final): void => {
  expect(s).toMatchObject({ protocol: 'TLSv1.3', handshakes: 1, failure: null, peerClosed: true });
  expect(s.alerts.sent).toEqual(['close_notify (warning)']);
  expect(s.alerts.received).toEqual(['close_notify (warning)']);
};
const keyUpdatesSeen = (what: 'sent' | 'received', n: number): Step => ({
  until: (s) => (s['keyUpdates'] as { sent: number; received: number })[what] === n,
  what: `${n} KeyUpdate(s) ${what}`,
});
const until = (what: string, pred: (s: Final) => boolean): Step => ({ until: (s) => pred(s as unknown as Final), what });
/**
 * Our client: wait for openssl s_server's tickets (2 after a full handshake,
 * 1 after a resumption) before going on, so they are a flow of their own
 * rather than racing our next write.
 */
const tickets = (n: number): Step => until(`${n} session(s) from tickets`, (s) => s.sessionsReceived === n);

// ---- steps ---------------------------------------------------------------------

/** Our client: handshake, one line each way, we close. */
const clientExchange: readonly Step[] = [start, handshake, tickets(2), write('ping\n'), { peerSays: /ping/ }, { type: 'pong' }, { read: 'pong' }, close, closed];
/** Our server: handshake, one line each way, we close. */
const serverExchange: readonly Step[] = [handshake, { type: 'ping' }, { read: 'ping' }, write('pong\n'), { peerSays: /pong/ }, close, closed];

// ---- scenarios -----------------------------------------------------------------

const SUITES = [
  ['aes128', 'TLS_AES_128_GCM_SHA256', CipherSuite.TLS_AES_128_GCM_SHA256],
  ['aes256', 'TLS_AES_256_GCM_SHA384', CipherSuite.TLS_AES_256_GCM_SHA384],
  ['chacha20', 'TLS_CHACHA20_POLY1305_SHA256', CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
] as const;

const GROUPS = [
  ['x25519', 'X25519', 'x25519', NamedGroup.x25519],
  ['p256', 'P-256', 'secp256r1', NamedGroup.secp256r1],
  ['p384', 'P-384', 'secp384r1', NamedGroup.secp384r1],
  ['p521', 'P-521', 'secp521r1', NamedGroup.secp521r1],
] as const;

const suiteScenarios: Scenario[] = SUITES.flatMap(([short, name, id]): Scenario[] => [
  {
    name: `tls13-client-suite-${short}`,
    description: `our client offers only ${name}; openssl s_server (all TLS 1.3 suites) picks it; one line each way`,
    role: 'client',
    peer: sServer13(),
    factory: client(() => ({ cipherSuites: [id] })),
    steps: () => clientExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(s.suite).toBe(name);
    },
  },
  {
    name: `tls13-server-suite-${short}`,
    description: `openssl s_client offers only ${name} (-ciphersuites); our server (all suites) picks it; one line each way`,
    role: 'server',
    peer: sClient13('-ciphersuites', name),
    factory: server(),
    steps: () => serverExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(s.suite).toBe(name);
    },
  },
]);

const groupScenarios: Scenario[] = GROUPS.flatMap(([short, openssl, ours, id]): Scenario[] => [
  {
    name: `tls13-client-group-${short}`,
    description: `our client supports only ${ours} (groups, its key share); openssl s_server agrees without a HelloRetryRequest`,
    role: 'client',
    peer: sServer13(),
    factory: client(() => ({ groups: [id] })),
    steps: () => clientExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(handshakeLine(s)).toMatch(new RegExp(`^handshake: group ${ours}, helloRetry false, `));
    },
  },
  {
    name: `tls13-server-group-${short}`,
    description: `openssl s_client supports only ${openssl} (-groups); our server (x25519, P-256, P-384${ours === 'secp521r1' ? ', P-521' : ''}) takes its key share`,
    role: 'server',
    peer: sClient13('-groups', openssl),
    factory: server(ours === 'secp521r1' ? () => ({ groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1] }) : undefined),
    steps: () => serverExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(handshakeLine(s)).toMatch(new RegExp(`^handshake: group ${ours}, helloRetry false, `));
    },
  },
]);

const hrrScenarios: Scenario[] = [
  {
    name: 'tls13-client-hello-retry',
    description: 'our client sends an X25519 key share only (groups x25519, P-256); openssl s_server takes only P-256: a HelloRetryRequest, then a P-256 share',
    role: 'client',
    peer: sServer13('-groups', 'P-256'),
    factory: client(() => ({ groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] })),
    steps: () => clientExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      // Two ClientHellos, the first ServerHello being the HelloRetryRequest.
      expect(handshakeLine(s)).toMatch(/^handshake: group secp256r1, helloRetry true, sent ClientHello,ClientHello,Finished, received ServerHello,ServerHello,/);
    },
  },
  {
    name: 'tls13-server-hello-retry',
    description: 'openssl s_client (-groups P-256:X25519) sends a P-256 key share; our server supports only X25519: it asks again (HelloRetryRequest)',
    role: 'server',
    peer: sClient13('-groups', 'P-256:X25519'),
    factory: server(() => ({ groups: [NamedGroup.x25519] })),
    steps: () => serverExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(handshakeLine(s)).toMatch(/^handshake: group x25519, helloRetry true, sent ServerHello,ServerHello,/);
      expect(handshakeLine(s)).toMatch(/received ClientHello,ClientHello,Finished$/);
    },
  },
];

const alpnScenarios: Scenario[] = [
  {
    name: 'tls13-client-alpn',
    description: 'our client offers ALPN h2, http/1.1; openssl s_server (-alpn http/1.1) selects http/1.1',
    role: 'client',
    peer: sServer13('-alpn', 'http/1.1'),
    factory: client(() => ({ alpnProtocols: ['h2', 'http/1.1'] })),
    steps: () => clientExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(s.alpn).toBe('http/1.1');
    },
  },
  {
    name: 'tls13-server-alpn',
    description: 'openssl s_client offers ALPN h2, http/1.1; our server (alpnProtocols http/1.1, spdy/3) selects http/1.1',
    role: 'server',
    peer: sClient13('-alpn', 'h2,http/1.1'),
    factory: server(() => ({ alpnProtocols: ['http/1.1', 'spdy/3'] })),
    steps: () => serverExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(s.alpn).toBe('http/1.1');
    },
  },
];

const clientAuthScenarios: Scenario[] = [
  {
    name: 'tls13-client-auth',
    description: 'openssl s_server requires a client certificate (-Verify 1, trusting client.crt); our client sends its certificate in the handshake',
    role: 'client',
    peer: sServer13('-Verify', '1', '-CAfile', certPath('client')),
    factory: client(() => ({ certificate: certifiedKey('client') })),
    steps: () => clientExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(handshakeLine(s)).toMatch(/, sent ClientHello,Certificate,CertificateVerify,Finished, received ServerHello,EncryptedExtensions,CertificateRequest,Certificate,CertificateVerify,Finished$/);
    },
  },
  {
    name: 'tls13-server-client-auth',
    description: 'our server requires a client certificate (requestCert, requireCert, trusting client.crt); openssl s_client sends client.crt in the handshake',
    role: 'server',
    peer: sClient13('-cert', certPath('client'), '-key', keyPath('client')),
    factory: server(() => ({ requestCert: true, requireCert: true, verifier: trusting('client') })),
    steps: () => serverExchange,
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(handshakeLine(s)).toMatch(/, sent ServerHello,EncryptedExtensions,CertificateRequest,Certificate,CertificateVerify,Finished, received ClientHello,Certificate,CertificateVerify,Finished$/);
    },
  },
];

const phaScenarios: Scenario[] = [
  {
    name: 'tls13-client-post-handshake-auth',
    description: 'our client offers post-handshake auth with a certificate; openssl s_server asks for it after the handshake ("c"); data flows after',
    role: 'client',
    peer: sServer13('-CAfile', certPath('client')),
    factory: client(() => ({ postHandshakeAuth: true, certificate: certifiedKey('client') })),
    steps: () => [
      start,
      handshake,
      tickets(2),
      ...ourLine('before'),
      { type: 'c' },
      { peerSays: /SSL_do_handshake -> 1/ },
      until('our answer to the CertificateRequest', (s) => s.log.includes('post-handshake sent Finished')),
      write('after\n'),
      { peerSays: /after/ },
      tickets(4),
      { type: 'from the server' },
      { read: 'from the server' },
      close,
      closed,
    ],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      // openssl s_server sends 2 tickets after the handshake and 2 after the authentication.
      expect(s.sessionsReceived).toBe(4);
      expect(handshakeLine(s)).toMatch(/, sent ClientHello,Finished, received /);
      expect(logged(s, 'post-handshake ')).toEqual([
        'post-handshake received CertificateRequest',
        'post-handshake sent Certificate',
        'post-handshake sent CertificateVerify',
        'post-handshake sent Finished',
      ]);
    },
  },
  {
    name: 'tls13-server-post-handshake-auth',
    description: 'openssl s_client offers post-handshake auth (-enable_pha, client.crt); our server asks (verifyClientPostHandshake, then a write) and verifies it',
    role: 'server',
    peer: sClient13('-enable_pha', '-cert', certPath('client'), '-key', keyPath('client')),
    factory: server(() => ({ verifier: trusting('client'), numTickets: 1 })),
    steps: () => [
      handshake,
      { type: 'hello' },
      { read: 'hello' },
      { act: { name: 'verifyClientPostHandshake' } },
      write('who are you?\n'),
      { peerSays: /who are you\?/ },
      until('the client certificate', (s) => s.postHandshakeAuth === 1),
      write('hello, client\n'),
      { peerSays: /hello, client/ },
      close,
      closed,
    ],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(s.postHandshakeAuth).toBe(1);
      expect(handshakeLine(s)).toMatch(/, received ClientHello,Finished$/);
      expect(logged(s, 'post-handshake ')).toEqual([
        'post-handshake sent CertificateRequest',
        'post-handshake received Certificate',
        'post-handshake received CertificateVerify',
        'post-handshake received Finished',
      ]);
      // One ticket after the handshake, one after the authentication (numTickets 1).
      expect(s.ticketsIssued).toBe(2);
    },
  },
];

/**
 * A key update scenario in `role`: a line each way first ("before"), then
 * `middle` (the update, ours or typed into the peer, and the data after it);
 * the check: a clean TLS 1.3 connection with these key update counts.
 */
function keyUpdateScenario(role: 'client' | 'server', name: string, description: string, keyUpdates: { sent: number; received: number }, middle: Step[]): Scenario {
  const opening: Step[] = role === 'client' ? [start, handshake, tickets(2), ...ourLine('before')] : [handshake, ...peerLine('before')];
  return {
    name: `tls13-${role}-${name}`,
    description,
    role,
    peer: role === 'client' ? sServer13() : sClient13(),
    factory: role === 'client' ? client() : server(),
    steps: () => [...opening, ...middle],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(s.keyUpdates).toEqual(keyUpdates);
    },
  };
}

const keyUpdateScenarios: Scenario[] = [
  keyUpdateScenario('client', 'keyupdate-not-requested', 'our client updates its sending keys (keyUpdate(NOT_REQUESTED)); openssl s_server reads data under the new key and does not update', { sent: 1, received: 0 }, [
    { act: { name: 'keyUpdate', type: KeyUpdateType.NOT_REQUESTED } },
    ...finish('server'),
  ]),
  keyUpdateScenario('client', 'peer-keyupdate-not-requested', 'openssl s_server updates its keys ("k": update_not_requested); our client reads under the new key and does not answer', { sent: 0, received: 1 }, [
    { type: 'k' },
    { peerSays: /SSL_do_handshake -> 1/ },
    keyUpdatesSeen('received', 1),
    { type: 'from the server' },
    { read: 'from the server' },
    write('after\n'),
    { peerSays: /after/ },
    close,
    closed,
  ]),
  keyUpdateScenario('client', 'peer-keyupdate-requested', 'openssl s_server updates its keys and asks us to ("K": update_requested); our client answers with update_not_requested before its next data', { sent: 1, received: 1 }, [
    { type: 'K' },
    { peerSays: /SSL_do_handshake -> 1/ },
    keyUpdatesSeen('received', 1),
    ...finish('server'),
  ]),
  keyUpdateScenario('server', 'keyupdate-not-requested', 'our server updates its sending keys (keyUpdate(NOT_REQUESTED)); openssl s_client reads under the new key and does not update', { sent: 1, received: 0 }, [
    { act: { name: 'keyUpdate', type: KeyUpdateType.NOT_REQUESTED } },
    ...finish('client'),
  ]),
  keyUpdateScenario('server', 'keyupdate-requested', 'our server updates its keys and asks the client to (keyUpdate(REQUESTED)); openssl s_client answers with its next write', { sent: 1, received: 1 }, [
    { act: { name: 'keyUpdate', type: KeyUpdateType.REQUESTED } },
    ...finish('client'),
  ]),
  keyUpdateScenario('server', 'peer-keyupdate-not-requested', 'openssl s_client updates its keys ("k": update_not_requested); our server reads under the new key and does not answer', { sent: 0, received: 1 }, [
    { type: 'k' },
    { peerSays: /KEYUPDATE/ },
    keyUpdatesSeen('received', 1),
    { type: 'after' },
    { read: 'after' },
    write('from the server\n'),
    { peerSays: /from the server/ },
    close,
    closed,
  ]),
  keyUpdateScenario('server', 'peer-keyupdate-requested', 'openssl s_client updates its keys and asks us to ("K": update_requested); our server answers with update_not_requested before its next data', { sent: 1, received: 1 }, [
    { type: 'K' },
    { peerSays: /KEYUPDATE/ },
    keyUpdatesSeen('received', 1),
    write('from the server\n'),
    { peerSays: /from the server/ },
    { type: 'after' },
    { read: 'after' },
    close,
    closed,
  ]),
];

// ---- tickets and resumption ------------------------------------------------------

const sessionFile = (scratch: string): string => `${scratch}/sess.pem`;
/** s_client for a two-connection resumption: the first saves its last session, the second offers it. */
const resumingClient = (...extra: string[]) => ({
  client: (index: number, scratch: string) => [
    '-tls1_3',
    '-servername',
    'localhost',
    '-CAfile',
    certPath('ecdsa'),
    ...(index === 0 ? ['-sess_out', sessionFile(scratch)] : ['-sess_in', sessionFile(scratch)]),
    ...extra,
  ],
});

const text = (b: Uint8Array | null | undefined): string => (b ? JSON.stringify(new TextDecoder().decode(b)) : 'none');
const STATUS_NAMES = ['EMPTY', 'NO_DECRYPT', 'SUCCESS', 'SUCCESS_RENEW'];

/** Our server whose ticket callbacks put "issued by connection N" in each ticket and log what they see; decrypt says USE_RENEW. */
const ticketCallbackServer: ConnectionFactory = observed(ourServer(), (conn, setup) => {
  conn.config.setSessionTicketCallbacks({
    generate: (session) => {
      session.setTicketAppData(new TextEncoder().encode(`issued by connection ${setup.index + 1}`));
      setup.log(`generate: app data ${text(session.getTicketAppData())}`);
      return true;
    },
    decrypt: ({ status, session }) => {
      setup.log(`decrypt: status ${STATUS_NAMES[status] ?? status}, app data ${text(session?.getTicketAppData())}`);
      return TicketReturn.USE_RENEW;
    },
  });
});

const ticketScenarios: Scenario[] = [
  ...[0, 1].map(
    (n): Scenario => ({
      name: `tls13-server-num-tickets-${n}`,
      description: `our server sends ${n} ticket${n === 1 ? '' : 's'} after the handshake (numTickets ${n}) to openssl s_client`,
      role: 'server',
      peer: sClient13(),
      factory: server(() => ({ numTickets: n })),
      steps: () => serverExchange,
      check: (finals) => {
        const s = one(finals);
        clean13(s);
        expect(s.ticketsIssued).toBe(n);
      },
    }),
  ),
  {
    name: 'tls13-server-new-session-ticket-x3',
    description: 'our server (numTickets 0) queues three tickets with newSessionTicket() after the handshake; they go out with the next write, before its data',
    role: 'server',
    peer: sClient13(),
    factory: server(() => ({ numTickets: 0 })),
    steps: () => [
      handshake,
      { type: 'hello' },
      { read: 'hello' },
      { act: { name: 'newSessionTicket' } },
      { act: { name: 'newSessionTicket' } },
      { act: { name: 'newSessionTicket' } },
      write('three tickets\n'),
      { peerSays: /three tickets/ },
      close,
      closed,
    ],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(s.ticketsIssued).toBe(3);
    },
  },
  {
    name: 'tls13-server-ticket-callbacks',
    description:
      'our server\'s ticket callbacks: generate puts app data in each ticket; openssl s_client saves the last ticket (-sess_out) and offers it (-sess_in); decrypt sees SUCCESS and the app data, returns USE_RENEW: resumed, one new ticket',
    role: 'server',
    peer: resumingClient(),
    connections: 2,
    factory: ticketCallbackServer,
    steps: () => serverExchange,
    check: (finals) => {
      expect(finals).toHaveLength(2);
      const [first, second] = f(finals) as [Final, Final];
      clean13(first);
      clean13(second);
      expect(first).toMatchObject({ resumed: false, ticketsIssued: 2 });
      expect(first.log.filter((l) => /^(generate|decrypt):/.test(l))).toEqual([
        'generate: app data "issued by connection 1"',
        'generate: app data "issued by connection 1"',
      ]);
      expect(second).toMatchObject({ resumed: true, ticketsIssued: 1 });
      expect(second.log.filter((l) => /^(generate|decrypt):/.test(l))).toEqual([
        'decrypt: status SUCCESS, app data "issued by connection 1"',
        'generate: app data "issued by connection 2"',
      ]);
      // A resumption: no certificate from us.
      expect(handshakeLine(second)).toMatch(/, sent ServerHello,EncryptedExtensions,Finished, /);
    },
  },
  {
    name: 'tls13-server-resumption',
    description: 'openssl s_client resumes with the last of our server\'s two tickets (-sess_out, then -sess_in): PSK with (EC)DHE, one new ticket',
    role: 'server',
    peer: resumingClient(),
    connections: 2,
    factory: server(),
    steps: () => serverExchange,
    check: (finals) => {
      expect(finals).toHaveLength(2);
      const [first, second] = f(finals) as [Final, Final];
      clean13(first);
      clean13(second);
      expect(first).toMatchObject({ resumed: false, ticketsIssued: 2 });
      expect(second).toMatchObject({ resumed: true, ticketsIssued: 1 });
      expect(handshakeLine(second)).toMatch(/^handshake: group x25519, helloRetry false, sent ServerHello,EncryptedExtensions,Finished, /);
    },
  },
  {
    name: 'tls13-client-resumption',
    description: 'our client keeps the last of openssl s_server\'s two tickets and resumes with it on a second connection (-naccept 2)',
    role: 'client',
    peer: sServer13('-naccept', '2'),
    connections: 2,
    factory: client(undefined, true),
    steps: (i) => [start, handshake, tickets(i === 0 ? 2 : 1), write(`ping ${i + 1}\n`), { peerSays: new RegExp(`ping ${i + 1}`) }, close, closed],
    check: (finals) => {
      expect(finals).toHaveLength(2);
      const [first, second] = f(finals) as [Final, Final];
      clean13(first);
      clean13(second);
      expect(first).toMatchObject({ resumed: false, sessionsReceived: 2 });
      expect(second).toMatchObject({ resumed: true, sessionsReceived: 1 });
      expect(handshakeLine(second)).toMatch(/, sent ClientHello,Finished, received ServerHello,EncryptedExtensions,Finished$/);
    },
  },
];

// ---- how connections end -------------------------------------------------------

const endScenarios: Scenario[] = [
  {
    name: 'tls13-client-unknown-ca',
    description: "our client trusts only other-ca; openssl s_server's self-signed ECDSA certificate does not verify: our client fails (DEPTH_ZERO_SELF_SIGNED_CERT) with an unknown_ca alert",
    role: 'client',
    peer: sServer13(),
    factory: client(() => ({ verifier: trusting('other-ca') })),
    steps: () => [start, closed],
    check: (finals) => {
      const s = one(finals);
      // OpenSSL's verify code for a self-signed leaf nobody trusts, and its alert (ssl_verify_alarm_type).
      expect(s.failure).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(s.alerts.sent).toEqual(['unknown_ca']);
      expect(s.alerts.received).toEqual([]);
      expect(s.handshakes).toBe(0);
      expect(logged(s, 'handshake: ')).toEqual([]);
      expect(logged(s, 'alert ')).toEqual(['alert sent unknown_ca']);
    },
  },
  {
    name: 'tls13-client-peer-closes',
    description:
      'openssl s_server closes first: in -rev mode it answers each line reversed and, on the line "CLOSE", sends close_notify (its "Q" command only closes the socket); our client then closes too (close: its close_notify)',
    role: 'client',
    peer: sServer13('-rev'),
    factory: client(),
    steps: () => [start, handshake, tickets(2), write('ping\n'), { read: 'gnip' }, write('CLOSE\n'), until('the close_notify', (s) => s.peerClosed), close, closed],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(logged(s, 'alert ')).toEqual(['alert received close_notify', 'alert sent close_notify']);
    },
  },
  {
    name: 'tls13-client-closes-first',
    description: 'our client closes first (close: close_notify); openssl s_server answers with its close_notify',
    role: 'client',
    peer: sServer13(),
    factory: client(),
    steps: () => [start, handshake, tickets(2), write('ping\n'), { peerSays: /ping/ }, close, { peerSays: /CONNECTION CLOSED/ }, closed],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(logged(s, 'alert ')).toEqual(['alert sent close_notify', 'alert received close_notify']);
    },
  },
  {
    name: 'tls13-server-peer-closes',
    description: 'openssl s_client closes first ("Q": close_notify, exit); our server then closes too (close: its close_notify)',
    role: 'server',
    peer: sClient13(),
    factory: server(),
    steps: () => [handshake, { type: 'ping' }, { read: 'ping' }, { type: 'Q' }, until('the close_notify', (s) => s.peerClosed), close, closed],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(logged(s, 'alert ')).toEqual(['alert received close_notify', 'alert sent close_notify']);
    },
  },
  {
    name: 'tls13-server-closes-first',
    description: 'our server closes first (close: close_notify); openssl s_client answers with its close_notify',
    role: 'server',
    peer: sClient13(),
    factory: server(),
    steps: () => [handshake, { type: 'ping' }, { read: 'ping' }, close, closed],
    check: (finals) => {
      const s = one(finals);
      clean13(s);
      expect(logged(s, 'alert ')).toEqual(['alert sent close_notify', 'alert received close_notify']);
    },
  },
];

export const TLS13: readonly Scenario[] = [
  ...suiteScenarios,
  ...groupScenarios,
  ...hrrScenarios,
  ...alpnScenarios,
  ...clientAuthScenarios,
  ...phaScenarios,
  ...keyUpdateScenarios,
  ...ticketScenarios,
  ...endScenarios,
];
