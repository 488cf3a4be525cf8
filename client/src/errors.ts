/** Options given to `createPool` that the client cannot honour (e.g. TLS turned off). */
export class ClientOptionsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClientOptionsError';
  }
}

/** The installed mysql2 lacks the pool internals the client relies on (see pool.ts). */
export class UnsupportedDriverError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnsupportedDriverError';
  }
}

/** Secrets Manager could not be read, or the secret's value is not usable credentials. */
export class SecretReadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretReadError';
  }
}

/** One refused login, as the final error reports it: never the password. */
export interface RefusedAttempt {
  label: string;
  versionId: string;
  username: string;
}

/**
 * The database refused every credential the secret offered, through every retry. The message
 * lists what was tried (labels, version ids, user names), where, and how often; `cause` is the
 * last refusal from the server.
 */
export class CredentialsRejectedError extends Error {
  constructor(
    message: string,
    readonly attempts: readonly RefusedAttempt[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CredentialsRejectedError';
  }
}

/** The text of any thrown value, for messages (never used on secret values). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
