/**
 * Every error the function raises on purpose. Callers and tests tell a bad event from a
 * database failure by class, never by message text.
 */

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** The secret's versions and staging labels do not allow the requested step. */
export class SecretStateError extends Error {
  override name = 'SecretStateError';
}

/** A secret version holds something that is not a valid credentials object. */
export class SecretValueError extends Error {
  override name = 'SecretValueError';
}

/** The set of database instances could not be determined safely. */
export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

/**
 * What went wrong when talking to one database, sorted by what the caller should do about it:
 * - `auth`: the server refused these credentials (try another password, never retry);
 * - `transient`: the server could not be reached or was overloaded (retry later);
 * - `tls`: the TLS handshake or certificate check failed (a configuration problem, never retried);
 * - `locked`: the account is locked (no password will help);
 * - `fatal`: anything else (a statement failed, a wrong user, an unexpected answer).
 */
export type DatabaseErrorKind = 'auth' | 'transient' | 'tls' | 'locked' | 'fatal';

export class DatabaseError extends Error {
  override name = 'DatabaseError';
  constructor(
    readonly kind: DatabaseErrorKind,
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One or more instances could not be brought to the wanted password. */
export class RotationError extends Error {
  override name = 'RotationError';
}

const PLAIN = /^[\w.:-]{0,40}$/;

/**
 * A string from an event, quoted for an error message only when it is short and plain: a
 * malformed event must not carry arbitrary text (a pasted password, say) into the logs.
 */
export function quoteIfPlain(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : `(a string of ${value.length} characters, not shown)`;
}

/** How an unexpected value is named in an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return PLAIN.test(value) ? `the string "${value}"` : quoteIfPlain(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
