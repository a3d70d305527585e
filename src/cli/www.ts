/**
 * `s_server -www`: a tiny HTTP/1.0 responder, as OpenSSL's. Each GET gets a
 * status page about the connection; then the server closes (HTTP/1.0).
 *
 *   GET /keyupdate   KeyUpdate(update_requested) goes out before the reply
 *   GET /secret      asks a TLS 1.3 client for a certificate (post-handshake
 *                    auth); 200 with its subject once verified, else 403
 *   anything else    the status page
 */

export interface HttpRequestHead {
  readonly method: string;
  readonly path: string;
  readonly version: string;
}

/** The request head once complete (blank line seen), else null. Lines may end in CRLF or LF. */
export function parseRequestHead(text: string): HttpRequestHead | null {
  const end = /\r?\n\r?\n/.exec(text);
  if (!end) return null;
  const first = text.slice(0, text.search(/\r?\n/));
  const [method = '', path = '/', version = 'HTTP/0.9'] = first.split(/\s+/);
  return { method, path, version };
}

/** What the status page shows about the connection. */
export interface ConnectionInfo {
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly alpn: string | false;
  /** e.g. 'CN=client'; null when the client sent no certificate. */
  readonly peerSubject: string | null;
  /** Client certificate verification, when one was sent. */
  readonly peerVerified?: boolean;
  readonly peerVerifyError?: string;
  readonly group?: string;
  readonly signatureScheme?: string;
  readonly resumed?: boolean;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The page's text lines (OpenSSL-like labels). */
export function statusLines(info: ConnectionInfo, notes: readonly string[] = []): string[] {
  const lines = [
    'puretls s_server -www',
    '',
    `Protocol  : ${info.protocol ?? '(NONE)'}`,
    `Cipher    : ${info.cipher ?? '(NONE)'}`,
    `${info.resumed ? 'Reused' : 'New'}, ${info.protocol ?? '(NONE)'}, Cipher is ${info.cipher ?? '(NONE)'}`,
  ];
  if (info.group) lines.push(`Group     : ${info.group}`);
  if (info.signatureScheme) lines.push(`Signature : ${info.signatureScheme}`);
  lines.push(info.alpn ? `ALPN protocol: ${info.alpn}` : 'No ALPN negotiated');
  if (info.peerSubject === null) {
    lines.push('no client certificate available');
  } else {
    lines.push(`Client certificate subject: ${info.peerSubject}`);
    lines.push(info.peerVerified ? 'Client certificate verified: yes' : `Client certificate verified: no (${info.peerVerifyError ?? 'unknown error'})`);
  }
  for (const n of notes) lines.push(n);
  return lines;
}

/** A complete HTTP/1.0 response. */
export function httpResponse(status: string, contentType: string, body: string): string {
  return `HTTP/1.0 ${status}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** The status page as text/html (like OpenSSL's <pre> page). */
export function statusResponse(info: ConnectionInfo, notes: readonly string[] = []): string {
  const body = `<HTML><BODY BGCOLOR="#ffffff">\n<pre>\n${statusLines(info, notes).map(escapeHtml).join('\n')}\n</pre></BODY></HTML>\n`;
  return httpResponse('200 ok', 'text/html', body);
}

/** GET /secret without a verified client certificate: why. */
export function secretRefusedResponse(reason: string): string {
  return httpResponse('403 Forbidden', 'text/plain', `no verified client certificate: ${reason}\n`);
}

/** GET /secret after a verified post-handshake authentication. */
export function secretResponse(subject: string): string {
  return httpResponse('200 ok', 'text/plain', `Client certificate subject: ${subject}\nthe secret: puretls post-handshake authentication works\n`);
}

export function badRequestResponse(method: string): string {
  return httpResponse('501 Not Implemented', 'text/plain', `puretls s_server -www answers GET only, not ${method}\n`);
}

/** What to do for one request. */
export type WwwAction =
  | { readonly kind: 'page' }
  | { readonly kind: 'keyupdate' }
  | { readonly kind: 'secret' }
  | { readonly kind: 'bad'; readonly method: string };

export function routeRequest(req: HttpRequestHead): WwwAction {
  if (req.method !== 'GET') return { kind: 'bad', method: req.method };
  const path = req.path.split('?')[0]!;
  if (path === '/keyupdate') return { kind: 'keyupdate' };
  if (path === '/secret') return { kind: 'secret' };
  return { kind: 'page' };
}
