import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../function/src/config.ts';
import { ConfigError } from '../../function/src/errors.ts';
import { MINIMAL_ENV } from './helpers.ts';

// The variables of docs/configuration.md beyond the original ones, and the rules between them.

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf';
const SECRETS = JSON.stringify([{ user: 'app', secretArn: SECRET_ARN }]);

function load(env: Record<string, string>) {
  return loadConfig({ ...MINIMAL_ENV, ...env });
}

/** The ConfigError loadConfig throws; `base` is what the environment holds besides `env`. */
function configError(env: Record<string, string>, base: Record<string, string> = MINIMAL_ENV): ConfigError {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('the contract variables', () => {
  it('reads a valid value of each', () => {
    // act
    const config = load({
      ROTATION_ALIAS: 'rotation',
      REPLICATION_WAIT_MS: '600000',
      ROTATION_STRATEGY: 'alternating-users',
      ADMIN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:admin-AbCdEf',
      ALTERNATING_USER_SUFFIX: '_b$2',
      SECRET_REPLICATION_WAIT_MS: '0',
      NOTICE_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:rotation-notices',
      NOTICE_LEAD_MINUTES: '43200',
      NOTICE_PERIOD_MINUTES: '5',
    });

    // assess
    expect(config).toMatchObject({
      rotationAlias: 'rotation',
      replicationWaitMs: 600_000,
      rotationStrategy: 'alternating-users',
      adminSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:admin-AbCdEf',
      alternatingUserSuffix: '_b$2',
      secretReplicationWaitMs: 0,
      noticeTopicArn: 'arn:aws:sns:eu-west-1:111122223333:rotation-notices',
      noticeLeadMinutes: 43_200,
      noticePeriodMinutes: 5,
    });
    expect(config.secrets[0]?.strategy).toBe('alternating-users');
  });

  it.each([
    ['REPLICATION_WAIT_MS', '600001', 'from 0 to 600000'],
    ['SECRET_REPLICATION_WAIT_MS', '10s', 'from 0 to 600000'],
    ['NOTICE_LEAD_MINUTES', '43201', 'from 0 to 43200'],
    ['NOTICE_PERIOD_MINUTES', '4', 'from 5 to 1440'],
    ['NOTICE_PERIOD_MINUTES', '1441', 'from 5 to 1440'],
  ])('rejects %s=%s naming the accepted range', (name, value, range) => {
    // act
    const error = configError({ [name]: value });

    // assess
    expect(error.variable).toBe(name);
    expect(error.message).toContain(`whole number ${range}`);
  });

  it.each([
    ['ROTATION_ALIAS', 'rot ation', 'must be a Lambda alias name'],
    ['ROTATION_ALIAS', '12', 'not only digits'],
    ['ROTATION_STRATEGY', 'dual-user', 'must be one of "single-user", "alternating-users", got "dual-user"'],
    ['ADMIN_SECRET_ID', 'admin-secret', 'must be an ARN such as arn:aws:secretsmanager:'],
    [
      'PROVISION_SECRET_ARN',
      'arn:aws:sns:eu-west-1:111122223333:x',
      'must be an ARN such as arn:aws:secretsmanager:',
    ],
    ['NOTICE_TOPIC_ARN', 'rotation-notices', 'must be an ARN such as arn:aws:sns:'],
    ['ALTERNATING_USER_SUFFIX', '-clone', 'must be 1 to 16 letters, digits, "_" or "$"'],
    ['ALTERNATING_USER_SUFFIX', '_a_very_long_suffix', 'must be 1 to 16'],
  ])('rejects %s=%s saying what is accepted', (name, value, expected) => {
    // act
    const error = configError({ [name]: value });

    // assess
    expect(error.variable).toBe(name);
    expect(error.message).toContain(expected);
  });
});

describe('the discovery scope', () => {
  it('is required: no tag, prefix or endpoints without DB_DISCOVER_ALL=true is refused, saying why', () => {
    // act
    const error = configError({}, { SECRET_ID: 'app/db' });

    // assess
    expect(error.variable).toBe('DB_DISCOVER_ALL');
    expect(error.message).toContain('none of DB_TAG_KEY, DB_IDENTIFIER_PREFIX or DB_ENDPOINTS is set');
    expect(error.message).toContain('anyone who can create one could make rotations fail');
  });

  it.each([
    ['a tag', { DB_TAG_KEY: 'app' }],
    ['a prefix', { DB_IDENTIFIER_PREFIX: 'shop-' }],
    ['static endpoints', { DB_ENDPOINTS: 'db.internal:3306' }],
    ['the explicit opt-in', { DB_DISCOVER_ALL: 'true' }],
  ])('is given by %s', (_name, scope) => {
    // act
    const config = loadConfig({ SECRET_ID: 'app/db', ...scope });

    // assess
    expect(config.secrets).toHaveLength(1);
  });

  it('takes DB_DISCOVER_ALL as true or false only', () => {
    // act
    const error = configError({ DB_DISCOVER_ALL: 'yes' });

    // assess
    expect(error.variable).toBe('DB_DISCOVER_ALL');
    expect(error.message).toContain('must be "true" or "false"');
  });
});

describe('the default provision password', () => {
  it('comes from PROVISION_SECRET_ARN with SECRETS', () => {
    // act
    const config = load({
      SECRET_ID: '',
      SECRETS,
      PROVISION_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:provision-AbCdEf',
    });

    // assess
    expect(config.provisionSecretArn).toBe(
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:provision-AbCdEf',
    );
    expect(config.defaultProvisionPassword).toBeUndefined();
  });

  it('refuses DEFAULT_PROVISION_PASSWORD with SECRETS, pointing at PROVISION_SECRET_ARN', () => {
    // act
    const error = configError({ SECRET_ID: '', SECRETS, DEFAULT_PROVISION_PASSWORD: 'Provision#Password1' });

    // assess
    expect(error.variable).toBe('DEFAULT_PROVISION_PASSWORD');
    expect(error.message).toContain('only accepted with SECRET_ID');
    expect(error.message).toContain('PROVISION_SECRET_ARN');
    expect(error.message).not.toContain('Provision#Password1');
  });

  it('refuses DEFAULT_PROVISION_PASSWORD together with PROVISION_SECRET_ARN', () => {
    // act
    const error = configError({
      DEFAULT_PROVISION_PASSWORD: 'Provision#Password1',
      PROVISION_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:provision-AbCdEf',
    });

    // assess
    expect(error.variable).toBe('DEFAULT_PROVISION_PASSWORD');
    expect(error.message).toContain('keep only PROVISION_SECRET_ARN');
  });
});

describe('the alternating-users administrator', () => {
  it('refuses alternating-users on static endpoints without ADMIN_SECRET_ID', () => {
    // act
    const error = configError({ ROTATION_STRATEGY: 'alternating-users', DB_ENDPOINTS: 'db.internal:3306' });

    // assess
    expect(error.variable).toBe('ADMIN_SECRET_ID');
    expect(error.message).toContain('static endpoints have no RDS-managed master secret');
    expect(error.message).toContain("Set ADMIN_SECRET_ID (the module's admin_secret_arn)");
  });

  it('refuses one alternating-users entry among several on static endpoints, naming it', () => {
    // act
    const error = configError({
      SECRET_ID: '',
      SECRETS: JSON.stringify([
        { user: 'app', secretArn: SECRET_ARN },
        { user: 'batch', secretArn: `${SECRET_ARN}2`, strategy: 'alternating-users' },
      ]),
      DB_ENDPOINTS: 'db.internal:3306',
    });

    // assess
    expect(error.message).toContain('the secret of user "batch" uses the alternating-users strategy');
  });

  it.each([
    [
      'with ADMIN_SECRET_ID',
      { ADMIN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:a-AbCdEf' },
    ],
    ['on RDS instances (their master secret)', { DB_ENDPOINTS: '' }],
  ])('accepts alternating-users on static endpoints %s', (_name, env) => {
    // act
    const config = load({ ROTATION_STRATEGY: 'alternating-users', DB_ENDPOINTS: 'db.internal:3306', ...env });

    // assess
    expect(config.rotationStrategy).toBe('alternating-users');
  });
});

describe('AWS endpoints', () => {
  it.each([
    ['AWS_ENDPOINT_URL', 'https://vpce-1.secretsmanager.eu-west-1.vpce.amazonaws.com'],
    ['AWS_ENDPOINT_URL_SECRETS_MANAGER', 'http://127.0.0.1:5000'],
    ['AWS_ENDPOINT_URL_RDS', 'http://localhost:5000'],
    ['AWS_ENDPOINT_URL_SNS', 'http://[::1]:5000'],
    ['AWS_ENDPOINT_URL', 'http://127.8.9.10'],
    ['AWS_ENDPOINT_URL', 'http://127.1:5000'],
  ])('accepts %s=%s', (name, value) => {
    // act
    const config = load({ [name]: value });

    // assess
    expect(config.secrets).toHaveLength(1);
  });

  it.each([
    [
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'http://secretsmanager.internal',
      'uses plain http: to secretsmanager.internal',
    ],
    ['AWS_ENDPOINT_URL', 'http://10.0.0.7:443', 'uses plain http: to 10.0.0.7'],
    ['AWS_ENDPOINT_URL', 'http://127.0.0.1.example.com', 'uses plain http: to 127.0.0.1.example.com'],
    ['AWS_ENDPOINT_URL_RDS', 'http://localhost.example.com', 'uses plain http: to localhost.example.com'],
    ['AWS_ENDPOINT_URL_SNS', 'ftp://127.0.0.1', 'must use https:, got ftp:'],
    ['AWS_ENDPOINT_URL_STS', 'vpce.internal:443', 'must use https:'],
    ['AWS_ENDPOINT_URL', 'not a url', 'must be a URL'],
  ])('refuses %s=%s naming the variable', (name, value, expected) => {
    // act
    const error = configError({ [name]: value });

    // assess
    expect(error.variable).toBe(name);
    expect(error.message).toContain(expected);
  });

  it('checks the endpoints before anything else, so that no call can go out in clear text', () => {
    // act
    const error = configError(
      { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm.internal', PARALLEL: 'many' },
      {},
    );

    // assess
    expect(error.variable).toBe('AWS_ENDPOINT_URL_SECRETS_MANAGER');
  });
});
