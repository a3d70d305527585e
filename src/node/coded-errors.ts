/**
 * Errors with node's `code`: the helper that adds one, node's validators'
 * argument errors (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE) naming the
 * option, and the transport's (ECONNRESET before the handshake, EPIPE).
 */

/** An Error carrying a node-style `code`. */
export type CodedError = Error & { code: string };

export function codedError<E extends Error>(err: E, code: string): E & { code: string } {
  return Object.assign(err, { code });
}

/** node's error when the transport ends before the handshake completed. */
export function disconnected(): CodedError {
  return codedError(new Error('Client network socket disconnected before secure TLS connection was established'), 'ECONNRESET');
}

export function closedError(): CodedError {
  return codedError(new Error('The transport is closed'), 'EPIPE');
}

export function invalidArgValue(option: string, value: unknown, reason: string): CodedError {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return codedError(new RangeError(`The option '${option}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

/** node's "Received ..." of its validators' messages (internal/errors.js determineSpecificType, short values). */
export function received(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an instance of Array' : `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  return `type ${typeof value} (${typeof value === 'string' ? `'${value}'` : String(value)})`;
}

export function invalidArgType(option: string, expected: string, value: unknown): CodedError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return codedError(new TypeError(`The "${option}" option must be ${expected}. Received ${got}`), 'ERR_INVALID_ARG_TYPE');
}
