import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PoolOptions, SslOptions } from 'mysql2/promise';
import type { RetryPolicy } from './acquire.ts';
import type { ChangeReason } from './credentials.ts';
import { ClientOptionsError } from './errors.ts';
import type { Label } from './secretCache.ts';
import { tlsOptions } from './tls.ts';

/** What `onCredentialsChange` receives: which version new connections now use, never its password. */
export interface CredentialsChange {
  secretId: string;
  /** host:port of the pool. */
  endpoint: string;
  label: Label;
  versionId: string;
  username: string;
  reason: ChangeReason;
  at: Date;
}

/** Options mysql2 would take credentials or a TLS-less path from: the client refuses them. */
const REFUSED = {
  user: 'the user name comes from the secret (secretId)',
  password: 'the password comes from the secret (secretId)',
  password1: 'the password comes from the secret (secretId)',
  password2: 'multi-factor passwords are not supported',
  password3: 'multi-factor passwords are not supported',
  passwordSha1: 'the password comes from the secret (secretId)',
  uri: 'give host, port and database as separate options; the credentials come from the secret',
  socketPath: 'the client logs in over TCP with verified TLS; give host and port',
} as const;

type RefusedOption = keyof typeof REFUSED;

/** mysql2/promise pool options without credentials, plus where the credentials come from. */
export interface RotatingPoolOptions extends Omit<PoolOptions, RefusedOption | 'ssl'> {
  /** Name or ARN of the secret whose value is `{"username": "...", "password": "...", ...}`. */
  secretId: string;
  /** Default: one client per process, region and credentials from the environment. */
  secretsManager?: SecretsManagerClient;
  /** TLS options; without `ca`, the Amazon RDS CA bundle. Verification cannot be turned off. */
  ssl?: SslOptions;
  /** How old the cached AWSCURRENT may get before a new connection triggers a background read. Default 600000 (10 min). */
  refreshIntervalMs?: number;
  /** Retry rounds, after backoff, once neither AWSCURRENT nor AWSPENDING logs in. Default 4. */
  accessDeniedRetries?: number;
  /** First backoff wait, doubled per retry, of which a random half is taken off. Default 200. */
  backoffBaseMs?: number;
  /** Longest backoff wait. Default 3000. */
  backoffMaxMs?: number;
  /** Called when new connections switch credentials (label, version, user name, reason, time). */
  onCredentialsChange?: (change: CredentialsChange) => void;
}

export interface Settings {
  secretId: string;
  secretsManager: SecretsManagerClient | undefined;
  refreshIntervalMs: number;
  retry: RetryPolicy;
  onCredentialsChange: ((change: CredentialsChange) => void) | undefined;
  /** What the wrapped mysql2 pool gets (no credentials yet: they are set per new connection). */
  poolOptions: PoolOptions;
}

export const DEFAULTS = {
  refreshIntervalMs: 600_000,
  accessDeniedRetries: 4,
  backoffBaseMs: 200,
  backoffMaxMs: 3_000,
} as const;

/** Checks the options; every refusal names the option and what to do instead. */
export function parseOptions(options: RotatingPoolOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new ClientOptionsError('createPool needs an options object with at least secretId and host');
  }
  const {
    secretId,
    secretsManager,
    refreshIntervalMs = DEFAULTS.refreshIntervalMs,
    accessDeniedRetries = DEFAULTS.accessDeniedRetries,
    backoffBaseMs = DEFAULTS.backoffBaseMs,
    backoffMaxMs = DEFAULTS.backoffMaxMs,
    onCredentialsChange,
    ssl,
    ...poolOptions
  } = options;
  for (const [key, why] of Object.entries(REFUSED)) {
    if ((poolOptions as Record<string, unknown>)[key] !== undefined) {
      throw new ClientOptionsError(`option "${key}" is not accepted: ${why}`);
    }
  }
  if (typeof secretId !== 'string' || secretId.trim() === '') {
    throw new ClientOptionsError(
      'secretId is required: the name or ARN of the secret holding {"username": "...", "password": "..."}',
    );
  }
  if (secretsManager !== undefined && typeof (secretsManager as { send?: unknown }).send !== 'function') {
    throw new ClientOptionsError(
      'secretsManager must be a SecretsManagerClient from @aws-sdk/client-secrets-manager',
    );
  }
  if (onCredentialsChange !== undefined && typeof onCredentialsChange !== 'function') {
    throw new ClientOptionsError('onCredentialsChange must be a function');
  }
  integerIn('refreshIntervalMs', refreshIntervalMs, 1_000, 86_400_000);
  integerIn('accessDeniedRetries', accessDeniedRetries, 0, 20);
  integerIn('backoffBaseMs', backoffBaseMs, 1, 60_000);
  integerIn('backoffMaxMs', backoffMaxMs, backoffBaseMs, 300_000);
  return {
    secretId,
    secretsManager,
    refreshIntervalMs,
    retry: { retries: accessDeniedRetries, backoff: { baseMs: backoffBaseMs, maxMs: backoffMaxMs } },
    onCredentialsChange,
    poolOptions: { ...poolOptions, ssl: tlsOptions(ssl) },
  };
}

function integerIn(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ClientOptionsError(
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
}
