/**
 * The `puretls` command line: `s_client`, `s_server` (mirroring OpenSSL's)
 * and `demo`. bin/puretls.js calls `main(process.argv.slice(2))`; a rejected
 * promise is printed there as one line, `puretls: <message>`, with exit 1.
 */
import { UsageError } from './args.js';
import { runClient } from './s_client.js';
import { runServer } from './s_server.js';
import { CliError, type CliIo } from './session.js';

export { UsageError } from './args.js';
export { CliError, type CliIo } from './session.js';

export const USAGE = `Usage: puretls <command> [options]

Commands:
  s_client   connect to a TLS server, like openssl s_client (puretls s_client -help)
  s_server   run a TLS server, like openssl s_server (puretls s_server -help)
  demo       a server and a client in one process: handshake, data, key updates
  help       this text

Examples:
  puretls s_server -accept 4433 -cert server.pem -key server.key -www
  puretls s_client -connect 127.0.0.1:4433 -CAfile ca.pem -msg
`;

/** Run one command with the given streams. @throws {UsageError|CliError} one-line failures */
export async function run(argv: readonly string[], io: CliIo): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '-help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return;
    case 's_client':
      return runClient(rest, io);
    case 's_server':
      return runServer(rest, io);
    case 'demo':
      if (rest.length > 0) throw new UsageError(`demo: takes no options (got ${rest[0]})`);
      // imported on demand: demo.js runs itself when it is the main script
      return (await import('./demo.js')).runDemo(io);
    default:
      throw new UsageError(`unknown command '${command}' (commands: s_client, s_server, demo; see puretls -help)`);
  }
}

/**
 * The bin entry point. Failures reject with an Error whose message is the one
 * line to print (no stack trace for user mistakes); the bin exits 1 on them.
 */
export async function main(argv: string[]): Promise<void> {
  const io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  try {
    await run(argv, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof CliError) {
      const line = new Error(e.message);
      line.stack = line.message;
      throw line;
    }
    throw e;
  } finally {
    // Let the process end: stdin, if it was read, must not hold the event loop.
    process.stdin.pause();
  }
}
