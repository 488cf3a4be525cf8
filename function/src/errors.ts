/**
 * Every error the function raises on purpose. Callers and tests tell a bad event from a
 * database failure by class, never by message text. Each keeps the error it was raised from
 * as `cause` when there is one.
 */

export class InvalidEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

/** A bad environment variable; `variable` names it, and the message starts with its name. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${variable}: ${message}`, options);
    this.name = 'ConfigError';
  }
}

/** The password settings leave a character class without any character to draw from. */
export class PasswordAlphabetError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PasswordAlphabetError';
  }
}

/** The secret's versions and staging labels do not allow the requested step. */
export class SecretStateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretStateError';
  }
}

/** A secret version holds something that is not a valid credentials object. */
export class SecretValueError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretValueError';
  }
}

/** The set of database instances could not be determined safely. */
export class DiscoveryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DiscoveryError';
  }
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

/** A failure on one database; `code` is the driver's or socket's code when it gave one. */
export class DatabaseError extends Error {
  constructor(
    readonly kind: DatabaseErrorKind,
    message: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

/** A replica or reader did not accept its source's new password within the replication wait. */
export class ReplicationWaitError extends Error {
  constructor(
    message: string,
    /** Logins the wait made. */
    readonly logins: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ReplicationWaitError';
  }
}

/** One or more instances could not be brought to the wanted password. */
export class RotationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationError';
  }
}
