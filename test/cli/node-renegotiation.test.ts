/**
 * What the CLI's renegotiation flags stand on, in the Node adapter: the
 * puretls `renegotiation` option (checked field by field; a server's
 * defaults are node's, the user's fields override them) and
 * TlsSocket.renegotiateAbbreviated(). In process, on 127.0.0.1.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSelfSigned } from '../../src/cli/certgen.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { connect, createSecureContext, createServer, type TlsServer, type TlsSocket } from '../../src/node/index.js';
import type { SecureContextOptions } from '../../src/node/options.js';

const cert = generateSelfSigned(nobleProvider());
const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

type Coded = Error & { code?: string };

function thrown(f: () => unknown): Coded {
  try {
    f();
  } catch (e) {
    return e as Coded;
  }
  throw new Error('did not throw');
}

describe('the renegotiation option: checked, naming the field', () => {
  it.each([
    [{ renegotiation: 'yes' }, TypeError, 'ERR_INVALID_ARG_TYPE', /"renegotiation" option must be an object/],
    [{ renegotiation: [] }, TypeError, 'ERR_INVALID_ARG_TYPE', /"renegotiation" option must be an object/],
    [{ renegotiation: { acceptClientInitiate: true } }, TypeError, 'ERR_INVALID_ARG_VALUE', /unknown field 'acceptClientInitiate'/],
    [{ renegotiation: { acceptClientInitiated: 1 } }, TypeError, 'ERR_INVALID_ARG_TYPE', /"renegotiation\.acceptClientInitiated" option must be a boolean/],
    [{ renegotiation: { refuseServerInitiated: 'no' } }, TypeError, 'ERR_INVALID_ARG_TYPE', /"renegotiation\.refuseServerInitiated"/],
    [{ renegotiation: { maxPerWindow: '3' } }, TypeError, 'ERR_INVALID_ARG_TYPE', /"renegotiation\.maxPerWindow" option must be a number/],
    [{ renegotiation: { maxPerWindow: -1 } }, RangeError, 'ERR_OUT_OF_RANGE', /"renegotiation\.maxPerWindow" is out of range/],
    [{ renegotiation: { windowSeconds: 1.5 } }, RangeError, 'ERR_OUT_OF_RANGE', /"renegotiation\.windowSeconds"/],
    [{ renegotiation: { maxPerConnection: NaN } }, RangeError, 'ERR_OUT_OF_RANGE', /"renegotiation\.maxPerConnection"/],
  ] as const)('%j', (options, type, code, message) => {
    const e = thrown(() => createSecureContext(options as unknown as SecureContextOptions));
    expect(e).toBeInstanceOf(type);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    // connect() and createServer() check it too (their options make the context)
    expect(thrown(() => createServer({ cert: cert.certPem, key: cert.keyPem, ...(options as object) }))).toBeInstanceOf(type);
  });

  it('accepts booleans, non-negative integers, Infinity (no limit), undefined fields', () => {
    const sc = createSecureContext({ renegotiation: { acceptClientInitiated: false, maxPerWindow: Infinity, maxPerConnection: 0, windowSeconds: undefined } });
    expect(sc.renegotiation).toEqual({ acceptClientInitiated: false, maxPerWindow: Number.MAX_SAFE_INTEGER, maxPerConnection: 0 });
    expect(createSecureContext({}).renegotiation).toBeUndefined();
  });
});

/** A TLS 1.2 server (the adapter's) and a connected client; the server socket once secure. */
async function connected(serverOptions: SecureContextOptions, clientOptions: SecureContextOptions = {}): Promise<{ c: TlsSocket; s: TlsSocket }> {
  const server: TlsServer = createServer({ cert: cert.certPem, key: cert.keyPem, maxVersion: 'TLSv1.2', ...serverOptions });
  const sockets: TlsSocket[] = [];
  open.push({ close: () => (sockets.forEach((x) => x.destroy()), server.close()) });
  server.on('secureConnection', (s: TlsSocket) => s.on('data', (d: Buffer) => s.write(d))); // echo
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const serverSecure = once(server, 'secureConnection') as Promise<[TlsSocket]>;
  const c = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca: cert.certPem, ...clientOptions });
  sockets.push(c);
  c.on('error', () => undefined);
  await once(c, 'secureConnect');
  const [s] = await serverSecure;
  sockets.push(s);
  s.on('error', () => undefined);
  return { c, s };
}

function renegotiated(start: (cb: (err: Error | null) => void) => boolean | undefined): { returned: boolean | undefined; done: Promise<Error | null> } {
  let returned: boolean | undefined;
  const done = new Promise<Error | null>((resolve) => {
    returned = start(resolve);
  });
  return { returned, done };
}

async function echo(c: TlsSocket, text: string): Promise<string> {
  const got = once(c, 'data') as Promise<[Buffer]>;
  c.write(text);
  return (await got)[0].toString();
}

describe('the server policy: node\'s defaults, overridden by the option', () => {
  it('default (node): the client may renegotiate', async () => {
    const { c } = await connected({});
    const r = renegotiated((cb) => c.renegotiate({}, cb));
    expect(r.returned).toBe(true);
    expect(await r.done).toBeNull();
    expect(await echo(c, 'after')).toBe('after');
  });

  it('acceptClientInitiated: false (OpenSSL 3): refused with no_renegotiation, the client fails', async () => {
    const { c } = await connected({ renegotiation: { acceptClientInitiated: false } });
    const r = renegotiated((cb) => c.renegotiate({}, cb));
    expect(r.returned).toBe(true);
    expect((await r.done)?.message).toMatch(/refused to renegotiate/);
  });

  it('maxPerWindow: 1 replaces node\'s 3: the second one fails the connection', async () => {
    const { c, s } = await connected({ renegotiation: { maxPerWindow: 1 } });
    expect(await renegotiated((cb) => c.renegotiate({}, cb)).done).toBeNull();
    const serverError = once(s, 'error') as Promise<[Coded]>;
    expect(await renegotiated((cb) => c.renegotiate({}, cb)).done).toBeInstanceOf(Error);
    expect((await serverError)[0].code).toBe('ERR_TLS_SESSION_ATTACK');
  });

  it('client refuseServerInitiated: the server\'s renegotiate() is answered with no_renegotiation', async () => {
    const { s } = await connected({}, { renegotiation: { refuseServerInitiated: true } });
    expect((await renegotiated((cb) => s.renegotiate({}, cb)).done)?.message).toMatch(/refused to renegotiate/);
  });
});

describe('TlsSocket.renegotiateAbbreviated()', () => {
  it('client: the session resumed (no certificate), new Finished, callback(null), data after', async () => {
    const { c, s } = await connected({});
    const before = c.getFinished()!.toString('hex');
    const serverSecure = once(s, 'secure');
    const r = renegotiated((cb) => c.renegotiateAbbreviated(cb));
    expect(r.returned).toBe(true);
    expect(await r.done).toBeNull();
    await serverSecure;
    expect(c.isSessionReused()).toBe(true);
    expect(c.getFinished()!.toString('hex')).not.toBe(before);
    expect(await echo(c, 'after abbreviated')).toBe('after abbreviated');
  });

  it('server: the same as renegotiate({}) (a HelloRequest; the client offers its session)', async () => {
    const { c, s } = await connected({});
    expect(await renegotiated((cb) => s.renegotiateAbbreviated(cb)).done).toBeNull();
    expect(c.isSessionReused()).toBe(true);
  });

  it('TLS 1.3: false, and callback(ERR_SSL_WRONG_SSL_VERSION) on the next tick; a bad callback is a TypeError', async () => {
    const { c } = await connected({ maxVersion: 'TLSv1.3' });
    expect(c.getProtocol()).toBe('TLSv1.3');
    const r = renegotiated((cb) => c.renegotiateAbbreviated(cb));
    expect(r.returned).toBe(false);
    expect(((await r.done) as Coded).code).toBe('ERR_SSL_WRONG_SSL_VERSION');
    const e = thrown(() => c.renegotiateAbbreviated('x' as unknown as () => void));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
  });
});
