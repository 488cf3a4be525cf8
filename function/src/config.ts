import { readFileSync } from 'node:fs';
import { checkAwsEndpoints } from './awsEndpoints.ts';
import { ConfigError } from './errors.ts';
import { passwordAlphabet } from './password.ts';
import {
  type EntryDefaults,
  parseServedSecrets,
  type RotationStrategy,
  type SecretEntry,
  STRATEGIES,
} from './servedSecrets.ts';
import { errorMessage } from './text.ts';
import { boolean, type Env, integer, oneOf, optional, secretArn, topicArn } from './variables.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type { RotationStrategy, SecretEntry };

interface StaticEndpoint {
  host: string;
  port: number;
}

/** The function's configuration; each field is described in docs/configuration.md. */
export interface Config {
  /** The secrets the function serves (SECRETS, or SECRET_ID as the entry `default`): 1 to 20. */
  secrets: SecretEntry[];
  /** ROTATION_ALIAS: rotation steps only through this Lambda alias, manual actions never through it. */
  rotationAlias: string | undefined;
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
  /** DB_DISCOVER_ALL: every instance of the account and region, knowingly (no tag, prefix or endpoints). */
  discoverAll: boolean;
  skipUnavailable: boolean;
  /** When set, these replace RDS discovery (MySQL outside RDS). */
  endpoints: StaticEndpoint[] | undefined;
  /** PEM bundle to trust instead of the Amazon RDS CA bundle. */
  tlsCa: string | undefined;
  tlsCaFile: string | undefined;
  /** The defaults of the entries' password rules and strategy. */
  passwordLength: number;
  passwordExcludeChars: string;
  rotationStrategy: RotationStrategy;
  /** ADMIN_SECRET_ID: the ARN of an administrator's secret present on every instance. */
  adminSecretId: string | undefined;
  alternatingUserSuffix: string;
  /** PROVISION_SECRET_ARN: a secret mapping each entry's user to its default provision password. */
  provisionSecretArn: string | undefined;
  defaultProvisionPassword: string | undefined;
  /** An AWSPENDING older than this belongs to no running rotation (status and heal). */
  stalePendingMinutes: number;
  noticeTopicArn: string | undefined;
  noticeLeadMinutes: number;
  noticePeriodMinutes: number;
  rdsHttpsProxy: string | undefined;
  logLevel: LogLevel;
}

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Reads and validates the whole configuration once; the first bad variable stops start-up. */
export function loadConfig(env: Env = process.env): Config {
  checkAwsEndpoints(env);
  const endpoints = optional(env, 'DB_ENDPOINTS');
  const tlsCaFile = optional(env, 'DB_TLS_CA_FILE');
  const tagKey = optional(env, 'DB_TAG_KEY');
  const tagValue = optional(env, 'DB_TAG_VALUE');
  if (tagValue !== undefined && tagKey === undefined) {
    throw new ConfigError('DB_TAG_VALUE', 'is set but DB_TAG_KEY is not; set both or neither');
  }
  const identifierPrefix = optional(env, 'DB_IDENTIFIER_PREFIX');
  const defaults: EntryDefaults = {
    passwordLength: integer(env, 'PASSWORD_LENGTH', 32, 16, 128),
    passwordExcludeChars: parseExcludeChars(env),
    strategy: oneOf(env, 'ROTATION_STRATEGY', STRATEGIES, 'single-user'),
  };
  const secrets = parseServedSecrets(env, defaults);
  const config: Config = {
    secrets,
    rotationAlias: parseAlias(env),
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
    identifierPrefix,
    discoverAll: boolean(env, 'DB_DISCOVER_ALL', false),
    skipUnavailable: boolean(env, 'DB_SKIP_UNAVAILABLE', false),
    endpoints: endpoints === undefined ? undefined : parseEndpoints(endpoints),
    tlsCa: tlsCaFile === undefined ? undefined : readCaFile(tlsCaFile),
    tlsCaFile,
    passwordLength: defaults.passwordLength,
    passwordExcludeChars: defaults.passwordExcludeChars,
    rotationStrategy: defaults.strategy,
    adminSecretId: secretArn(env, 'ADMIN_SECRET_ID'),
    alternatingUserSuffix: parseSuffix(env),
    ...parseProvision(env, secrets),
    // Four steps of at most Lambda's 15-minute timeout each: no rotation runs for an hour.
    stalePendingMinutes: integer(env, 'STALE_PENDING_MINUTES', 60, 0, 10_080),
    noticeTopicArn: topicArn(env, 'NOTICE_TOPIC_ARN'),
    noticeLeadMinutes: integer(env, 'NOTICE_LEAD_MINUTES', 1440, 0, 43_200),
    noticePeriodMinutes: integer(env, 'NOTICE_PERIOD_MINUTES', 60, 5, 1440),
    rdsHttpsProxy: parseProxy(optional(env, 'RDS_HTTPS_PROXY')),
    logLevel: parseLogLevel(env),
  };
  checkScope(config);
  checkAdministrator(config);
  return config;
}

/** A Lambda alias name: letters, digits, "-" and "_", not all digits (that would be a version). */
function parseAlias(env: Env): string | undefined {
  const raw = optional(env, 'ROTATION_ALIAS');
  if (raw === undefined || (/^[A-Za-z0-9_-]{1,128}$/.test(raw) && !/^\d+$/.test(raw))) return raw;
  throw new ConfigError(
    'ROTATION_ALIAS',
    'must be a Lambda alias name (1 to 128 letters, digits, "-" or "_", not only digits) such as "rotation"',
  );
}

function parseSuffix(env: Env): string {
  const raw = optional(env, 'ALTERNATING_USER_SUFFIX') ?? '_clone';
  if (/^[A-Za-z0-9_$]{1,16}$/.test(raw)) return raw;
  throw new ConfigError(
    'ALTERNATING_USER_SUFFIX',
    `must be 1 to 16 letters, digits, "_" or "$", got "${raw.slice(0, 40)}"`,
  );
}

/**
 * The default provision password comes from a secret (any deployment) or, for the SECRET_ID
 * shorthand only, from a plain variable: with several users one password would not do.
 */
function parseProvision(
  env: Env,
  secrets: SecretEntry[],
): Pick<Config, 'provisionSecretArn' | 'defaultProvisionPassword'> {
  const provisionSecretArn = secretArn(env, 'PROVISION_SECRET_ARN');
  const defaultProvisionPassword = optional(env, 'DEFAULT_PROVISION_PASSWORD');
  if (defaultProvisionPassword !== undefined && provisionSecretArn !== undefined) {
    throw new ConfigError(
      'DEFAULT_PROVISION_PASSWORD',
      'is set together with PROVISION_SECRET_ARN; keep only PROVISION_SECRET_ARN',
    );
  }
  if (defaultProvisionPassword !== undefined && optional(env, 'SECRET_ID') === undefined) {
    throw new ConfigError(
      'DEFAULT_PROVISION_PASSWORD',
      `is only accepted with SECRET_ID; with SECRETS (${secrets.length} entries) put each user's ` +
        'default provision password in the secret named by PROVISION_SECRET_ARN',
    );
  }
  return { provisionSecretArn, defaultProvisionPassword };
}

/** Discovery must be scoped, or every instance of the account taking part must be asked for. */
function checkScope(config: Config): void {
  const { discoverAll, tagKey, identifierPrefix, endpoints } = config;
  if (discoverAll || tagKey !== undefined || identifierPrefix !== undefined || endpoints !== undefined)
    return;
  throw new ConfigError(
    'DB_DISCOVER_ALL',
    'is not "true" and none of DB_TAG_KEY, DB_IDENTIFIER_PREFIX or DB_ENDPOINTS is set: every instance ' +
      'of the account and region would take part, and anyone who can create one could make rotations ' +
      'fail. Set one of them to scope the rotation, or DB_DISCOVER_ALL=true to accept that',
  );
}

/** alternating-users needs an administrator; static endpoints have no RDS-managed master secret. */
function checkAdministrator(config: Config): void {
  if (config.adminSecretId !== undefined || config.endpoints === undefined) return;
  const alternating = config.secrets.find((entry) => entry.strategy === 'alternating-users');
  if (alternating === undefined) return;
  throw new ConfigError(
    'ADMIN_SECRET_ID',
    `is not set, and the secret of user "${alternating.user}" uses the alternating-users strategy with ` +
      'DB_ENDPOINTS: static endpoints have no RDS-managed master secret to act as administrator. ' +
      "Set ADMIN_SECRET_ID (the module's admin_secret_arn), or use the single-user strategy",
  );
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
