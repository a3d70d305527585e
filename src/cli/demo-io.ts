/** The demo's small helpers: a step's time limit, reading n bytes, hex. */
import type { CliSocket } from './session.js';

export const STEP_TIMEOUT_MS = 5_000;

export function withTimeout<T>(p: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`demo: timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** Resolves with the next `n` bytes of application data arriving on `sock`. */
export function readBytes(sock: CliSocket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        cleanup();
        resolve(Buffer.concat(parts));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`demo: connection ended after ${got} of ${n} bytes`));
    };
    const cleanup = (): void => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onEnd);
    };
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onEnd);
  });
}

/** Send `text` from `from` and wait until `to` has it all. */
export async function sendAndReceive(from: CliSocket, to: CliSocket, text: string, what: string): Promise<string> {
  const got = readBytes(to, Buffer.byteLength(text));
  from.write(text);
  return (await withTimeout(got, what)).toString();
}

export function hex(b: Uint8Array | undefined): string {
  return b ? Buffer.from(b).toString('hex') : '(none)';
}
