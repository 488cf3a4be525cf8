/**
 * A mysql2/promise pool for applications whose MySQL password is rotated by Secrets Manager:
 * new connections take their credentials from the secret (AWSCURRENT, and AWSPENDING inside a
 * rotation's window), always over TLS with the certificate and host name verified.
 */
export type { Backoff } from './backoff.ts';
export type { ChangeReason } from './credentials.ts';
export {
  ClientOptionsError,
  CredentialsRejectedError,
  type RefusedAttempt,
  SecretReadError,
  UnsupportedDriverError,
} from './errors.ts';
export { type CredentialsChange, DEFAULTS, type RotatingPoolOptions } from './options.ts';
export { createPool } from './pool.ts';
export type { Label } from './secretCache.ts';
export { RDS_CA_BUNDLE, RDS_PROXY_CA_BUNDLE } from './tls.ts';
