import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../function/src/config.ts';
import { ConfigError } from '../../function/src/errors.ts';
import { MINIMAL_ENV } from './helpers.ts';

/** loadConfig of `env` added to the least a configuration needs (a secret, a discovery scope). */
function load(env: Record<string, string> = {}) {
  return loadConfig({ ...MINIMAL_ENV, ...env });
}

/** Runs loadConfig and returns the ConfigError it throws, failing the test if it throws nothing else. */
function configError(env: Record<string, string>, base: Record<string, string> = MINIMAL_ENV): ConfigError {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const tempDir = mkdtempSync(join(tmpdir(), 'config-test-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

describe('loadConfig', () => {
  it('returns the documented defaults when only a secret and a discovery scope are set', () => {
    // act
    const config = loadConfig({ SECRET_ID: 'app-db-credentials', DB_IDENTIFIER_PREFIX: 'app-' });

    // assess
    expect(config).toEqual({
      secrets: [
        {
          user: 'default',
          secretId: 'app-db-credentials',
          passwordLength: 32,
          passwordExcludeChars: '',
          strategy: 'single-user',
        },
      ],
      rotationAlias: undefined,
      parallel: 10,
      retries: 2,
      retryWaitMs: 2000,
      connectTimeoutMs: 5000,
      queryTimeoutMs: 10_000,
      replicationWaitMs: 10_000,
      secretReplicationWaitMs: 30_000,
      engines: ['mysql', 'mariadb'],
      tagKey: undefined,
      tagValue: undefined,
      identifierPrefix: 'app-',
      discoverAll: false,
      skipUnavailable: false,
      endpoints: undefined,
      tlsCa: undefined,
      tlsCaFile: undefined,
      passwordLength: 32,
      passwordExcludeChars: '',
      rotationStrategy: 'single-user',
      adminSecretId: undefined,
      alternatingUserSuffix: '_clone',
      provisionSecretArn: undefined,
      defaultProvisionPassword: undefined,
      stalePendingMinutes: 60,
      noticeTopicArn: undefined,
      noticeLeadMinutes: 1440,
      noticePeriodMinutes: 60,
      rdsHttpsProxy: undefined,
      logLevel: 'INFO',
    });
  });

  it('treats every empty string as unset', () => {
    // prepare
    const names = [
      'SECRETS',
      'ROTATION_ALIAS',
      'PARALLEL',
      'RETRIES',
      'RETRY_WAIT_MS',
      'CONNECT_TIMEOUT_MS',
      'QUERY_TIMEOUT_MS',
      'REPLICATION_WAIT_MS',
      'SECRET_REPLICATION_WAIT_MS',
      'DB_ENGINES',
      'DB_TAG_KEY',
      'DB_TAG_VALUE',
      'DB_IDENTIFIER_PREFIX',
      'DB_SKIP_UNAVAILABLE',
      'DB_ENDPOINTS',
      'DB_TLS_CA_FILE',
      'REPLICATION_WAIT_MS',
      'PASSWORD_LENGTH',
      'PASSWORD_EXCLUDE_CHARS',
      'ROTATION_STRATEGY',
      'ADMIN_SECRET_ID',
      'ALTERNATING_USER_SUFFIX',
      'PROVISION_SECRET_ARN',
      'DEFAULT_PROVISION_PASSWORD',
      'STALE_PENDING_MINUTES',
      'SECRET_REPLICATION_WAIT_MS',
      'NOTICE_TOPIC_ARN',
      'NOTICE_LEAD_MINUTES',
      'NOTICE_PERIOD_MINUTES',
      'RDS_HTTPS_PROXY',
      'AWS_ENDPOINT_URL',
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'LOG_LEVEL',
    ];
    const env = { ...Object.fromEntries(names.map((name) => [name, ''])), ...MINIMAL_ENV };

    // act
    const config = load(env);

    // assess
    expect(config).toEqual(load());
  });

  it('reads valid values of every variable', () => {
    // prepare
    const caFile = join(tempDir, 'valid.pem');
    writeFileSync(caFile, PEM);
    const env = {
      SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
      PARALLEL: '3',
      RETRIES: '0',
      RETRY_WAIT_MS: '0',
      CONNECT_TIMEOUT_MS: '100',
      QUERY_TIMEOUT_MS: '300000',
      REPLICATION_WAIT_MS: '0',
      SECRET_REPLICATION_WAIT_MS: '600000',
      DB_ENGINES: ' MySQL , aurora-mysql ',
      DB_TAG_KEY: 'app',
      DB_TAG_VALUE: 'shop',
      DB_IDENTIFIER_PREFIX: 'shop-',
      DB_SKIP_UNAVAILABLE: 'TRUE',
      DB_ENDPOINTS: 'db1.internal:3306, 10.0.0.7:3307',
      DB_TLS_CA_FILE: caFile,
      PASSWORD_LENGTH: '128',
      STALE_PENDING_MINUTES: '0',
      PASSWORD_EXCLUDE_CHARS: '{}',
      DEFAULT_PROVISION_PASSWORD: 'provision-me',
      RDS_HTTPS_PROXY: 'http://proxy.internal:3128',
      LOG_LEVEL: 'debug',
    };

    // act
    const config = load(env);

    // assess
    expect(config).toMatchObject({
      parallel: 3,
      retries: 0,
      retryWaitMs: 0,
      connectTimeoutMs: 100,
      queryTimeoutMs: 300_000,
      replicationWaitMs: 0,
      secretReplicationWaitMs: 600_000,
      engines: ['mysql', 'aurora-mysql'],
      tagKey: 'app',
      tagValue: 'shop',
      identifierPrefix: 'shop-',
      skipUnavailable: true,
      endpoints: [
        { host: 'db1.internal', port: 3306 },
        { host: '10.0.0.7', port: 3307 },
      ],
      tlsCa: PEM,
      tlsCaFile: caFile,
      passwordLength: 128,
      passwordExcludeChars: '{}',
      defaultProvisionPassword: 'provision-me',
      stalePendingMinutes: 0,
      rdsHttpsProxy: 'http://proxy.internal:3128',
      logLevel: 'DEBUG',
    });
  });

  it.each([
    ['PARALLEL', '0', 'from 1 to 100'],
    ['PARALLEL', '101', 'from 1 to 100'],
    ['PARALLEL', 'abc', 'from 1 to 100'],
    ['PARALLEL', '2.5', 'from 1 to 100'],
    ['PARALLEL', '-1', 'from 1 to 100'],
    ['RETRIES', '11', 'from 0 to 10'],
    ['RETRIES', 'two', 'from 0 to 10'],
    ['RETRY_WAIT_MS', '60001', 'from 0 to 60000'],
    ['RETRY_WAIT_MS', '1e3', 'from 0 to 60000'],
    ['CONNECT_TIMEOUT_MS', '99', 'from 100 to 60000'],
    ['CONNECT_TIMEOUT_MS', '5s', 'from 100 to 60000'],
    ['QUERY_TIMEOUT_MS', '99', 'from 100 to 300000'],
    ['QUERY_TIMEOUT_MS', '300001', 'from 100 to 300000'],
    ['REPLICATION_WAIT_MS', '600001', 'from 0 to 600000'],
    ['REPLICATION_WAIT_MS', '-1', 'from 0 to 600000'],
    ['SECRET_REPLICATION_WAIT_MS', '600001', 'from 0 to 600000'],
    ['SECRET_REPLICATION_WAIT_MS', '30s', 'from 0 to 600000'],
    ['STALE_PENDING_MINUTES', '10081', 'from 0 to 10080'],
    ['STALE_PENDING_MINUTES', 'soon', 'from 0 to 10080'],
    ['PASSWORD_LENGTH', '15', 'from 16 to 128'],
    ['PASSWORD_LENGTH', '129', 'from 16 to 128'],
    ['PASSWORD_LENGTH', 'long', 'from 16 to 128'],
  ])('rejects %s=%s naming the variable and the accepted range', (name, value, range) => {
    // act
    const error = configError({ [name]: value });

    // assess
    expect(error.variable).toBe(name);
    expect(error.message).toMatch(new RegExp(`^${name}: `));
    expect(error.message).toContain(`whole number ${range}`);
    expect(error.message).toContain(value);
  });

  it('rejects PARALLEL=0 naming the variable', () => {
    // act
    const error = configError({ PARALLEL: '0' });

    // assess
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe('PARALLEL: must be a whole number from 1 to 100, got 0');
  });

  it.each([['my sql'], [',,'], ['mysql,5mariadb'], ['mysql;mariadb']])(
    'rejects DB_ENGINES=%j naming the variable and the expected format',
    (value) => {
      // act
      const error = configError({ DB_ENGINES: value });

      // assess
      expect(error.variable).toBe('DB_ENGINES');
      expect(error.message).toContain('DB_ENGINES: must be a comma-separated list of RDS engine names');
      expect(error.message).toContain('"mysql,mariadb"');
    },
  );

  it('rejects DB_TAG_VALUE without DB_TAG_KEY', () => {
    // act
    const error = configError({ DB_TAG_VALUE: 'shop' });

    // assess
    expect(error.variable).toBe('DB_TAG_VALUE');
    expect(error.message).toContain('DB_TAG_KEY');
    expect(error.message).toContain('set both or neither');
  });

  it('accepts DB_TAG_KEY alone as a filter on the key only', () => {
    // act
    const config = load({ DB_TAG_KEY: 'app' });

    // assess
    expect(config.tagKey).toBe('app');
    expect(config.tagValue).toBeUndefined();
  });

  it.each([['yes'], ['1'], ['on']])('rejects DB_SKIP_UNAVAILABLE=%s naming the accepted values', (value) => {
    // act
    const error = configError({ DB_SKIP_UNAVAILABLE: value });

    // assess
    expect(error.variable).toBe('DB_SKIP_UNAVAILABLE');
    expect(error.message).toContain('must be "true" or "false"');
  });

  it('reads DB_SKIP_UNAVAILABLE=false', () => {
    // act
    const config = load({ DB_SKIP_UNAVAILABLE: 'False' });

    // assess
    expect(config.skipUnavailable).toBe(false);
  });

  it.each([
    ['db.internal', 'db.internal'],
    ['db.internal:0', 'db.internal:0'],
    ['db.internal:65536', 'db.internal:65536'],
    ['db.internal:3306,user@db:3306', 'user@db:3306'],
    ['db.internal:abc', 'db.internal:abc'],
    ['[::1]:3306', '[::1]:3306'],
  ])('rejects DB_ENDPOINTS=%s naming the bad entry and the host:port format', (value, entry) => {
    // act
    const error = configError({ DB_ENDPOINTS: value });

    // assess
    expect(error.variable).toBe('DB_ENDPOINTS');
    expect(error.message).toContain('host:port (port 1-65535)');
    expect(error.message).toContain(`"${entry}"`);
  });

  it('rejects DB_ENDPOINTS that lists only separators', () => {
    // act
    const error = configError({ DB_ENDPOINTS: ' , ,' });

    // assess
    expect(error.variable).toBe('DB_ENDPOINTS');
    expect(error.message).toContain('lists no host:port entry');
  });

  it('rejects a DB_TLS_CA_FILE that does not exist naming the path', () => {
    // prepare
    const missing = join(tempDir, 'missing.pem');

    // act
    const error = configError({ DB_TLS_CA_FILE: missing });

    // assess
    expect(error.variable).toBe('DB_TLS_CA_FILE');
    expect(error.message).toContain('cannot read');
    expect(error.message).toContain(missing);
  });

  it('rejects a DB_TLS_CA_FILE that holds no PEM certificate', () => {
    // prepare
    const notPem = join(tempDir, 'not.pem');
    writeFileSync(notPem, 'this is not a certificate\n');

    // act
    const error = configError({ DB_TLS_CA_FILE: notPem });

    // assess
    expect(error.variable).toBe('DB_TLS_CA_FILE');
    expect(error.message).toContain('holds no PEM certificate');
    expect(error.message).toContain(notPem);
  });

  it.each([
    ['0123456789', 'digit'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'upper'],
    ['abcdefghijklmnopqrstuvwxyz', 'lower'],
    ['!#$%&()*+,-.:;<=>?[]^_{|}~', 'punctuation'],
  ])('rejects PASSWORD_EXCLUDE_CHARS=%s that leaves no %s character', (value, className) => {
    // act
    const error = configError({ PASSWORD_EXCLUDE_CHARS: value });

    // assess
    expect(error.variable).toBe('PASSWORD_EXCLUDE_CHARS');
    expect(error.message).toContain(`leaves no ${className} character`);
  });

  it.each([
    ['not a url', 'must be a URL such as http://proxy.internal:3128'],
    ['proxy.internal:3128', 'must use http: or https:'],
    ['socks5://proxy.internal:1080', 'must use http: or https:'],
    ['ftp://proxy.internal', 'must use http: or https:'],
  ])('rejects RDS_HTTPS_PROXY=%s naming the accepted schemes', (value, expected) => {
    // act
    const error = configError({ RDS_HTTPS_PROXY: value });

    // assess
    expect(error.variable).toBe('RDS_HTTPS_PROXY');
    expect(error.message).toContain(expected);
  });

  it('accepts an https: RDS_HTTPS_PROXY', () => {
    // act
    const config = load({ RDS_HTTPS_PROXY: 'https://proxy.internal:3129' });

    // assess
    expect(config.rdsHttpsProxy).toBe('https://proxy.internal:3129');
  });

  it.each([['VERBOSE'], ['trace'], ['1']])('rejects LOG_LEVEL=%s listing the accepted levels', (value) => {
    // act
    const error = configError({ LOG_LEVEL: value });

    // assess
    expect(error.variable).toBe('LOG_LEVEL');
    expect(error.message).toContain('must be one of DEBUG, INFO, WARN, ERROR');
  });

  it('reads the process environment when no environment is given', () => {
    // prepare
    vi.stubEnv('PARALLEL', '7');
    for (const [name, value] of Object.entries(MINIMAL_ENV)) vi.stubEnv(name, value);

    // act
    const config = loadConfig();

    // assess
    expect(config.parallel).toBe(7);
  });
});
