/**
 * The browser example: a puretls client and server in one page, in memory.
 *
 * puretls/core is sans-IO: a Connection takes the peer's bytes with
 * receive(), hands out its own with takeOutgoing(), and moves application
 * data with read() / write(). Here the "network" is pump(), which moves
 * bytes between the two Connections until both are quiet. Over a real
 * transport you would use fromStreams() (and webSocketStreams() to reach a
 * TCP server through a WebSocket relay) instead of pumping by hand.
 *
 * The module is dist/browser.js: puretls/core as one self-contained ES
 * module (built by `tsup`), imported with no bundler and no import map.
 */
import * as puretls from '../../dist/browser.js';
import { selfSignedCertificate } from './selfsigned.js';

const { Connection, TlsContext, DefaultVerifier, KeyUpdateType, HandshakeType, ProtocolVersion, TicketReturn, TicketStatus, parsePrivateKey, parseCertificate, alertName } = puretls;

// ---- the page ------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const logEl = $('log');
const wireEl = $('wire');
const enc = new TextEncoder();
const dec = new TextDecoder();

function log(text, kind = '') {
  const line = document.createElement('div');
  if (kind) line.className = kind;
  line.textContent = `${new Date().toISOString().slice(11, 23)}  ${text}`;
  logEl.append(line);
  logEl.scrollTop = logEl.scrollHeight;
}
const event = (text) => log(text, 'event');

function wireRow(from, text) {
  const li = document.createElement('li');
  li.className = from === 'client' ? 'c2s' : 's2c';
  const dir = document.createElement('span');
  dir.className = 'dir';
  dir.textContent = from === 'client' ? 'client ──▶' : '◀── server';
  const what = document.createElement('span');
  what.textContent = text;
  li.append(dir, what);
  wireEl.append(li);
  wireEl.scrollTop = wireEl.scrollHeight;
}
function wireNote(text) {
  const li = document.createElement('li');
  li.className = 'note';
  li.textContent = text;
  wireEl.append(li);
}

/** client_hello → ClientHello */
const HANDSHAKE_NAMES = Object.fromEntries(Object.entries(HandshakeType).map(([k, v]) => [v, k.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase())]));
const KU_NAMES = { [KeyUpdateType.NOT_REQUESTED]: 'update_not_requested', [KeyUpdateType.REQUESTED]: 'update_requested', [KeyUpdateType.NONE]: 'none' };
const STATUS_NAMES = Object.fromEntries(Object.entries(TicketStatus).map(([k, v]) => [v, k]));

// ---- TLS -------------------------------------------------------------------------

let serverCtx;
let clientCtx13;
let clientCtx12;
/** The current pair. */
let client = null;
let server = null;
/** Sessions the client got ('session' events), each used once. */
const sessions = [];
let ticketNumber = 0;

/** Move bytes between the two Connections until neither has anything to send: the page's "network". */
function pump() {
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of [[client, server], [server, client]]) {
      const bytes = from.takeOutgoing();
      if (bytes) {
        to.receive(bytes);
        moved = true;
      }
    }
  }
  // Application data that arrived: the server answers each message.
  const toServer = readAll(server);
  if (toServer) {
    log(`server read: "${toServer}"`);
    write(server, 'server', `echo: ${toServer}`);
    pump();
  }
  const toClient = readAll(client);
  if (toClient) log(`client read: "${toClient}"`);
}

function readAll(conn) {
  let text = '';
  for (let d = conn.read(); d; d = conn.read()) text += dec.decode(d);
  return text;
}

function write(conn, label, text) {
  const bytes = enc.encode(text);
  conn.write(bytes);
  wireRow(label, `application data (${bytes.length} bytes)`);
}

/** Show what each side does, from its events. */
function watch(conn, label) {
  conn.on('message', (m) => {
    if (m.direction === 'sent') wireRow(label, `${HANDSHAKE_NAMES[m.type] ?? `handshake(${m.type})`} (${m.length} bytes)`);
  });
  conn.on('changeCipherSpec', (e) => {
    if (e.direction === 'sent') wireRow(label, 'ChangeCipherSpec');
  });
  conn.on('alert', (a) => {
    if (a.sent) wireRow(label, `Alert ${alertName(a.description)}`);
    event(`${label}: alert ${a.sent ? 'sent' : 'received'}: ${alertName(a.description)}`);
  });
  conn.on('handshake', () =>
    event(`${label}: handshake complete: ${conn.protocol}, ${conn.cipherSuite?.name}, ${conn.isSessionReused ? 'resumed' : 'full handshake'}`),
  );
  conn.on('keyUpdate', (e) => event(`${label}: KeyUpdate ${e.direction} (${KU_NAMES[e.type]})`));
  conn.on('close', () => event(`${label}: the peer sent close_notify`));
  if (label === 'client') {
    conn.on('session', (s) => {
      sessions.push({ session: s, protocol: conn.protocol });
      event(`client: new session from the server (${conn.protocol === 'TLSv1.3' ? 'NewSessionTicket' : 'end of the TLS 1.2 handshake'}); ${sessions.length} held`);
    });
  } else {
    conn.on('newSession', () => event('server: issued a session ticket'));
  }
}

async function setUp() {
  log('making a self-signed certificate (WebCrypto ECDSA P-256, CN=localhost) …');
  const { certificateDer, privateKeyPkcs8 } = await selfSignedCertificate();
  const cert = parseCertificate(certificateDer);
  $('st-cert').textContent = `${cert.subject.text}, ECDSA P-256, self-signed, ${certificateDer.length} bytes`;

  serverCtx = new TlsContext({
    certificate: { chain: [certificateDer], key: parsePrivateKey(privateKeyPkcs8) },
    renegotiation: { acceptClientInitiated: true }, // for the TLS 1.2 "Renegotiate" button
  });
  // Ticket app data (SSL_CTX_set_session_ticket_cb): written into each ticket, read back when one is offered.
  serverCtx.setSessionTicketCallbacks({
    generate: (session) => {
      session.setTicketAppData(enc.encode(`ticket #${++ticketNumber}, issued ${new Date().toISOString().slice(11, 19)}`));
      return true;
    },
    decrypt: ({ status, session }) => {
      const appData = session?.getTicketAppData();
      log(`server: ticket decrypt callback: ${STATUS_NAMES[status]}${appData ? `, app data "${dec.decode(appData)}"` : ''}`);
      return status === TicketStatus.SUCCESS || status === TicketStatus.SUCCESS_RENEW ? TicketReturn.USE_RENEW : TicketReturn.IGNORE_RENEW;
    },
  });
  // The client trusts exactly that certificate.
  const verifier = new DefaultVerifier({ ca: [certificateDer] });
  clientCtx13 = new TlsContext({ verifier });
  clientCtx12 = new TlsContext({ verifier, maxVersion: ProtocolVersion.TLSv1_2 });
  log('ready: press "Handshake TLS 1.3"');
}

function closeCurrent() {
  if (!client || client.failure || client.closed) return;
  client.close();
  pump();
}

function start(ctx, session) {
  closeCurrent();
  wireNote(session ? '— a new connection, offering a stored session —' : '— a new connection —');
  client = new Connection(ctx, 'client', { serverName: 'localhost', ...(session ? { session } : {}) });
  server = new Connection(serverCtx, 'server');
  watch(client, 'client');
  watch(server, 'server');
  log('client.doHandshake(): the ClientHello goes out');
  client.doHandshake();
  pump();
  if (session) log(`resumed: ${client.isSessionReused} (client), ${server.isSessionReused} (server)`);
}

// ---- the controls ---------------------------------------------------------------------

const actions = {
  connect13: () => start(clientCtx13),
  connect12: () => start(clientCtx12),
  resume: () => {
    const stored = sessions.pop();
    if (!stored) throw new Error('no stored session: make a handshake first (TLS 1.3 sends 2 tickets)');
    log(`resuming a ${stored.protocol} session (${sessions.length} left)`);
    start(stored.protocol === 'TLSv1.2' ? clientCtx12 : clientCtx13, stored.session);
  },
  close: () => {
    log('client.close(): close_notify');
    client.close();
    pump();
    server.close();
    pump();
  },
  keyupdate: () => keyUpdate(KeyUpdateType.NOT_REQUESTED),
  'keyupdate-req': () => keyUpdate(KeyUpdateType.REQUESTED),
  ticket: () => {
    server.newSessionTicket();
    log('server.newSessionTicket(): queued (nothing sent yet); server.doHandshake() flushes it');
    server.doHandshake();
    pump();
  },
  renegotiate: () => {
    client.renegotiate();
    log('client.renegotiate(): queued; client.doHandshake() sends the new ClientHello');
    client.doHandshake();
    pump();
  },
  send: () => {
    write(client, 'client', $('message').value);
    pump();
  },
};

function keyUpdate(type) {
  client.keyUpdate(type);
  log(`client.keyUpdate(${KU_NAMES[type]}): queued, pending ${KU_NAMES[client.getKeyUpdateType()]}, bytes waiting: ${client.wantsWrite}`);
  log('client.doHandshake(): the KeyUpdate goes out');
  client.doHandshake();
  pump();
  if (server.getKeyUpdateType() !== KeyUpdateType.NONE) log('server: owes a KeyUpdate, sent with its next write (press Send)');
}

function refresh() {
  const live = !!client && !client.failure && !client.closed && client.handshakeComplete;
  $('st-state').textContent = !client ? 'no connection' : client.failure ? `failed: ${client.failure.code}` : client.closed ? 'closed' : client.handshakeComplete ? 'connected' : client.stateName;
  $('st-protocol').textContent = client?.protocol ?? '–';
  $('st-suite').textContent = client?.cipherSuite?.name ?? '–';
  $('st-resumed').textContent = client ? String(client.isSessionReused) : '–';
  $('st-verified').textContent = client?.peerVerification ? String(client.peerVerification.authorized) : client ? '(resumed: no certificate)' : '–';
  $('st-tickets').textContent = String(sessions.length);
  const tls13 = live && client.protocol === 'TLSv1.3';
  for (const id of ['connect13', 'connect12']) $(id).disabled = false;
  $('resume').disabled = sessions.length === 0;
  $('close').disabled = !live;
  $('send').disabled = !live;
  for (const id of ['keyupdate', 'keyupdate-req', 'ticket']) $(id).disabled = !tls13;
  $('renegotiate').disabled = !(live && client.protocol === 'TLSv1.2');
}

for (const [id, run] of Object.entries(actions)) {
  $(id).addEventListener('click', () => {
    try {
      run();
    } catch (e) {
      log(`${e.code ?? e.name}: ${e.message}`, 'error');
    }
    refresh();
  });
}
$('message').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !$('send').disabled) $('send').click();
});

setUp().then(
  () => {
    refresh();
    document.body.dataset.ready = 'true';
  },
  (e) => log(`setup failed: ${e.message}`, 'error'),
);
