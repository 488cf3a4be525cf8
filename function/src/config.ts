import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';
import { passwordAlphabet } from './password.ts';
import { errorMessage } from './text.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

interface StaticEndpoint {
  host: string;
  port: number;
}

export interface Config {
  /** The secret manual actions use when the event names none. */
  secretId: string | undefined;
  parallel: number;
  retries: number;
  retryWaitMs: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  /** How long to wait, after the sources changed, for every replica and reader to accept the new password. */
  replicationWaitMs: number;
  /** How long finishSecret waits for every replica region of the secret to report InSync. */
  secretReplicationWaitMs: number;
  /** Lowercase RDS engine names whose instances take part in the rotation. */
  engines: string[];
  tagKey: string | undefined;
  tagValue: string | undefined;
  identifierPrefix: string | undefined;
  skipUnavailable: boolean;
  /** When set, these replace RDS discovery (MySQL outside RDS). */
  endpoints: StaticEndpoint[] | undefined;
  /** PEM bundle to trust instead of the Amazon RDS CA bundle. */
  tlsCa: string | undefined;
  tlsCaFile: string | undefined;
  passwordLength: number;
  passwordExcludeChars: string;
  defaultProvisionPassword: string | undefined;
  /** An AWSPENDING older than this belongs to no running rotation (status and heal). */
  stalePendingMinutes: number;
  rdsHttpsProxy: string | undefined;
  logLevel: LogLevel;
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Reads and validates the whole configuration once; the first bad variable stops start-up. */
export function loadConfig(env: Env = process.env): Config {
  const endpoints = optional(env, 'DB_ENDPOINTS');
  const tlsCaFile = optional(env, 'DB_TLS_CA_FILE');
  const tagKey = optional(env, 'DB_TAG_KEY');
  const tagValue = optional(env, 'DB_TAG_VALUE');
  if (tagValue !== undefined && tagKey === undefined) {
    throw new ConfigError('DB_TAG_VALUE', 'is set but DB_TAG_KEY is not; set both or neither');
  }
  return {
    secretId: optional(env, 'SECRET_ID'),
    parallel: integer(env, 'PARALLEL', 10, 1, 100),
    retries: integer(env, 'RETRIES', 2, 0, 10),
    retryWaitMs: integer(env, 'RETRY_WAIT_MS', 2000, 0, 60_000),
    connectTimeoutMs: integer(env, 'CONNECT_TIMEOUT_MS', 5000, 100, 60_000),
    queryTimeoutMs: integer(env, 'QUERY_TIMEOUT_MS', 10_000, 100, 300_000),
    replicationWaitMs: integer(env, 'REPLICATION_WAIT_MS', 10_000, 0, 600_000),
    secretReplicationWaitMs: integer(env, 'SECRET_REPLICATION_WAIT_MS', 30_000, 0, 600_000),
    engines: parseEngines(env),
    tagKey,
    tagValue,
    identifierPrefix: optional(env, 'DB_IDENTIFIER_PREFIX'),
    skipUnavailable: boolean(env, 'DB_SKIP_UNAVAILABLE', false),
    endpoints: endpoints === undefined ? undefined : parseEndpoints(endpoints),
    tlsCa: tlsCaFile === undefined ? undefined : readCaFile(tlsCaFile),
    tlsCaFile,
    passwordLength: integer(env, 'PASSWORD_LENGTH', 32, 16, 128),
    passwordExcludeChars: parseExcludeChars(env),
    defaultProvisionPassword: optional(env, 'DEFAULT_PROVISION_PASSWORD'),
    // Four steps of at most Lambda's 15-minute timeout each: no rotation runs for an hour.
    stalePendingMinutes: integer(env, 'STALE_PENDING_MINUTES', 60, 0, 10_080),
    rdsHttpsProxy: parseProxy(optional(env, 'RDS_HTTPS_PROXY')),
    logLevel: parseLogLevel(env),
  };
}

/** An empty string counts as unset, so Terraform can pass "" for "not configured". */
function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `must be "true" or "false", got "${raw}"`);
}

function parseEngines(env: Env): string[] {
  const raw = optional(env, 'DB_ENGINES') ?? 'mysql,mariadb';
  const engines = raw
    .split(',')
    .map((engine) => engine.trim().toLowerCase())
    .filter((engine) => engine !== '');
  const invalid = engines.filter((engine) => !/^[a-z][a-z0-9-]*$/.test(engine));
  if (engines.length === 0 || invalid.length > 0) {
    throw new ConfigError(
      'DB_ENGINES',
      `must be a comma-separated list of RDS engine names such as "mysql,mariadb", got "${raw}"`,
    );
  }
  return engines;
}

function parseEndpoints(raw: string): StaticEndpoint[] {
  const endpoints = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match?.[1] || port < 1 || port > 65535) {
        throw new ConfigError('DB_ENDPOINTS', `each entry must be host:port (port 1-65535), got "${entry}"`);
      }
      return { host: match[1], port };
    });
  if (endpoints.length === 0) {
    throw new ConfigError('DB_ENDPOINTS', 'is set but lists no host:port entry');
  }
  return endpoints;
}

function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('DB_TLS_CA_FILE', `cannot read "${path}": ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('DB_TLS_CA_FILE', `"${path}" holds no PEM certificate`);
  }
  return pem;
}

function parseProxy(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError(
      'RDS_HTTPS_PROXY',
      `must be a URL such as http://proxy.internal:3128, got "${raw}"`,
      {
        cause: error,
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('RDS_HTTPS_PROXY', `must use http: or https:, got "${url.protocol}"`);
  }
  return raw;
}

function parseExcludeChars(env: Env): string {
  const raw = env.PASSWORD_EXCLUDE_CHARS ?? '';
  try {
    passwordAlphabet(raw);
  } catch (error) {
    throw new ConfigError('PASSWORD_EXCLUDE_CHARS', errorMessage(error), { cause: error });
  }
  return raw;
}

function parseLogLevel(env: Env): LogLevel {
  const raw = (optional(env, 'LOG_LEVEL') ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(raw as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw as LogLevel;
}
