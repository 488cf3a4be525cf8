import { describe, expect, it } from 'vitest';
import { ClientOptionsError } from '../../client/src/errors.ts';
import { DEFAULTS, parseOptions, type RotatingPoolOptions } from '../../client/src/options.ts';
import { RDS_CA_BUNDLE } from '../../client/src/tls.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function refusal(options: Record<string, unknown>): string {
  try {
    parseOptions({ secretId: 'app/db', host: 'db1.example.com', ...options } as RotatingPoolOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ClientOptionsError);
    return (error as Error).message;
  }
  throw new Error('the options were accepted');
}

describe('createPool options', () => {
  it('verify the certificate and host name against the Amazon RDS CA bundle by default', () => {
    const settings = parseOptions({ secretId: 'app/db', host: 'db1.example.com', connectionLimit: 5 });

    expect(settings.poolOptions).toMatchObject({
      host: 'db1.example.com',
      connectionLimit: 5,
      ssl: { rejectUnauthorized: true, verifyIdentity: true },
    });
    expect(settings.poolOptions.ssl).toHaveProperty('ca', [...RDS_CA_BUNDLE]);
    expect(RDS_CA_BUNDLE.length).toBeGreaterThan(10);
    expect(settings.refreshIntervalMs).toBe(DEFAULTS.refreshIntervalMs);
    expect(settings.retry).toEqual({ retries: 4, backoff: { baseMs: 200, maxMs: 3_000 } });
  });

  it('keep a given CA and other TLS options, with verification forced on', () => {
    const settings = parseOptions({ secretId: 'app/db', ssl: { ca: PEM, minVersion: 'TLSv1.3' } });

    expect(settings.poolOptions.ssl).toEqual({
      ca: PEM,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      verifyIdentity: true,
    });
  });

  it('never pass the client options on to mysql2', () => {
    const settings = parseOptions({
      secretId: 'app/db',
      refreshIntervalMs: 5_000,
      accessDeniedRetries: 1,
      backoffBaseMs: 10,
      backoffMaxMs: 20,
      onCredentialsChange: () => {},
    });

    expect(Object.keys(settings.poolOptions)).toEqual(['ssl']);
  });

  it.each([
    ['user', 'app', 'option "user" is not accepted: the user name comes from the secret (secretId)'],
    ['password', 'x', 'option "password" is not accepted: the password comes from the secret (secretId)'],
    ['password1', 'x', 'option "password1" is not accepted: the password comes from the secret (secretId)'],
    ['password2', 'x', 'option "password2" is not accepted: multi-factor passwords are not supported'],
    [
      'passwordSha1',
      'x',
      'option "passwordSha1" is not accepted: the password comes from the secret (secretId)',
    ],
    [
      'uri',
      'mysql://a:b@h/d',
      'option "uri" is not accepted: give host, port and database as separate options; the credentials come from the secret',
    ],
    [
      'socketPath',
      '/tmp/mysql.sock',
      'option "socketPath" is not accepted: the client logs in over TCP with verified TLS; give host and port',
    ],
  ])('refuse %s, saying where it comes from instead', (key, value, message) => {
    expect(refusal({ [key]: value })).toBe(message);
  });

  it('refuse to turn off certificate verification', () => {
    expect(refusal({ ssl: { rejectUnauthorized: false } })).toMatch(
      /^ssl.rejectUnauthorized: false would accept any server certificate; the client always verifies/,
    );
  });

  it('refuse to turn off host name verification', () => {
    expect(refusal({ ssl: { ca: PEM, verifyIdentity: false } })).toMatch(
      /^ssl.verifyIdentity: false would accept a certificate issued for another host/,
    );
  });

  it.each([[false], [null], [0], [['ca.pem']]])('refuse ssl: %j (TLS cannot be turned off)', (ssl) => {
    expect(refusal({ ssl })).toMatch(
      /^ssl must be an object of TLS options or left out, not .*: TLS cannot be turned off$/,
    );
  });

  it('refuse a mysql2 TLS profile name', () => {
    expect(refusal({ ssl: 'Amazon RDS' })).toMatch(
      /^ssl: "Amazon RDS" names a mysql2 TLS profile, which is not accepted/,
    );
  });

  it('refuse a CA that is a file name rather than PEM text, or empty', () => {
    expect(refusal({ ssl: { ca: '/etc/ssl/rds.pem' } })).toMatch(
      /^ssl.ca must hold PEM text .*read the file first/,
    );
    expect(refusal({ ssl: { ca: [] } })).toBe(
      'ssl.ca is empty; give PEM text, or leave ssl.ca out for the Amazon RDS bundle',
    );
  });

  it('require a secret id', () => {
    expect(refusal({ secretId: '' })).toMatch(/^secretId is required: the name or ARN of the secret holding/);
    expect(refusal({ secretId: undefined })).toMatch(/^secretId is required/);
  });

  it('refuse a secretsManager that is not a client, and a hook that is not a function', () => {
    expect(refusal({ secretsManager: { region: 'us-east-1' } })).toBe(
      'secretsManager must be a SecretsManagerClient from @aws-sdk/client-secrets-manager',
    );
    expect(refusal({ onCredentialsChange: 'metrics' })).toBe('onCredentialsChange must be a function');
  });

  it.each([
    ['refreshIntervalMs', 999, 'refreshIntervalMs must be an integer from 1000 to 86400000, got 999'],
    ['accessDeniedRetries', -1, 'accessDeniedRetries must be an integer from 0 to 20, got -1'],
    ['accessDeniedRetries', 1.5, 'accessDeniedRetries must be an integer from 0 to 20, got 1.5'],
    ['backoffBaseMs', '100', 'backoffBaseMs must be an integer from 1 to 60000, got "100"'],
    ['backoffMaxMs', 100, 'backoffMaxMs must be an integer from 200 to 300000, got 100'],
  ])('refuse %s = %j out of range', (key, value, message) => {
    expect(refusal({ [key]: value })).toBe(message);
  });
});
