import { DatabaseError, type DatabaseErrorKind } from './errors.ts';

/** What a driver or socket error says about itself, as far as the function reads it. */
interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
}

const AUTH_ERRNOS = new Set([1045, 1698]); // ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
const LOCKED_ERRNOS = new Set([3118, 4151]); // ER_ACCOUNT_HAS_BEEN_LOCKED in MySQL and MariaDB
// Too many connections (global, per user, per hour); the server is fine but busy.
const BUSY_ERRNOS = new Set([1040, 1203, 1226]);
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
]);
const TLS_CODES = new Set([
  'HANDSHAKE_SSL_ERROR',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * Sorts a driver or socket error from a login or a statement without a password into what the
 * caller should do about it. The message gives the server's code and text, never the statement:
 * mysql2 keeps the interpolated SQL on its errors, so the driver's error is deliberately not kept
 * as `cause`.
 */
export function classifyDatabaseError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const { code, errno, message } = error as DriverError;
  const kind = kindOf(code, errno, message ?? '');
  const detail = `${message ?? String(error)}${code ? ` [${code}]` : ''}`;
  return new DatabaseError(kind, `${describeKind(kind)}: ${detail}`, code);
}

/**
 * The same sorting for a statement that carried a password or its hash: only the code and errno
 * survive. The server's text may quote the statement (a syntax error quotes it from the point it
 * stopped understanding), so neither it nor the driver's error goes anywhere.
 */
export function classifyPasswordStatementError(error: unknown, what: string): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const { code, errno } = error as DriverError;
  const kind = kindOf(code, errno, '');
  const reason =
    errno !== undefined ? `error ${errno}${code ? ` (${code})` : ''}` : (code ?? 'no error code');
  return new DatabaseError(
    kind,
    `${describeKind(kind)}: ${what} failed with ${reason}; the server's message is not shown because the statement carried the password`,
    code,
  );
}

/** The server's error number of a driver error, when it has one. */
export function errnoOf(error: unknown): number | undefined {
  const { errno } = (error ?? {}) as DriverError;
  return typeof errno === 'number' ? errno : undefined;
}

function kindOf(code: string | undefined, errno: number | undefined, message: string): DatabaseErrorKind {
  if (errno !== undefined && AUTH_ERRNOS.has(errno)) return 'auth';
  if (errno !== undefined && LOCKED_ERRNOS.has(errno)) return 'locked';
  if (errno !== undefined && BUSY_ERRNOS.has(errno)) return 'transient';
  if (code !== undefined && TLS_CODES.has(code)) return 'tls';
  if (code !== undefined && TRANSIENT_CODES.has(code)) return 'transient';
  if (/timeout|timed out/i.test(message)) return 'transient';
  if (/certificate|self.signed|ssl|tls/i.test(message)) return 'tls';
  return 'fatal';
}

function describeKind(kind: DatabaseErrorKind): string {
  switch (kind) {
    case 'auth':
      return 'login refused';
    case 'locked':
      return 'account locked';
    case 'transient':
      return 'unreachable or busy';
    case 'tls':
      return 'TLS verification failed';
    case 'fatal':
      return 'database error';
  }
}
