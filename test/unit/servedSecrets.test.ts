import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../function/src/config.ts';
import { ConfigError, InvalidEventError } from '../../function/src/errors.ts';
import { selectServedSecret } from '../../function/src/servedSecrets.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret';
const APP = { user: 'app', secretArn: `${ARN}:app/db-AbCdEf` };
const READER = { user: 'reader', secretArn: `${ARN}:reader/db-GhIjKl` };
const SCOPE = { DB_IDENTIFIER_PREFIX: 'shop-' };

function withSecrets(entries: unknown, env: Record<string, string> = {}) {
  return loadConfig({ ...SCOPE, SECRETS: JSON.stringify(entries), ...env });
}

/** The ConfigError loadConfig throws for `env`; fails the test when it accepts it. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...SCOPE, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

function caught(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('nothing was thrown');
}

describe('SECRETS', () => {
  it('reads each entry with the global password rules and strategy as defaults', () => {
    // prepare
    const entries = [
      APP,
      { ...READER, passwordLength: 20, passwordExcludeChars: '{}', strategy: 'alternating-users' },
    ];

    // act
    const config = withSecrets(entries, {
      PASSWORD_LENGTH: '40',
      PASSWORD_EXCLUDE_CHARS: '<>',
      ADMIN_SECRET_ID: `${ARN}:admin-MnOpQr`,
    });

    // assess
    expect(config.secrets).toEqual([
      {
        user: 'app',
        secretId: APP.secretArn,
        passwordLength: 40,
        passwordExcludeChars: '<>',
        strategy: 'single-user',
      },
      {
        user: 'reader',
        secretId: READER.secretArn,
        passwordLength: 20,
        passwordExcludeChars: '{}',
        strategy: 'alternating-users',
      },
    ]);
  });

  it('reads SECRET_ID as the one entry "default"', () => {
    // act
    const config = loadConfig({ ...SCOPE, SECRET_ID: 'app/db', PASSWORD_LENGTH: '24' });

    // assess
    expect(config.secrets).toEqual([
      {
        user: 'default',
        secretId: 'app/db',
        passwordLength: 24,
        passwordExcludeChars: '',
        strategy: 'single-user',
      },
    ]);
  });

  it.each([
    ['neither SECRETS nor SECRET_ID', {}, 'SECRETS', 'is not set, and neither is SECRET_ID'],
    [
      'both',
      { SECRETS: JSON.stringify([APP]), SECRET_ID: 'app/db' },
      'SECRET_ID',
      'set one of them, not both',
    ],
    ['SECRETS that is not JSON', { SECRETS: '[{user: app}]' }, 'SECRETS', 'is not valid JSON'],
    ['SECRETS that is an object', { SECRETS: JSON.stringify(APP) }, 'SECRETS', 'got no array'],
    ['SECRETS that is empty', { SECRETS: '[]' }, 'SECRETS', 'must be a JSON array of 1 to 20 entries'],
    [
      'SECRETS of 21 entries',
      {
        SECRETS: JSON.stringify(
          Array.from({ length: 21 }, (_, i) => ({ user: `u${i}`, secretArn: `${ARN}:u${i}-AbCdEf` })),
        ),
      },
      'SECRETS',
      'got 21 entries',
    ],
    ['a SECRET_ID with a space', { SECRET_ID: 'app db' }, 'SECRET_ID', 'must be a secret name'],
  ])('refuses %s', (_name, env, variable, expected) => {
    // act
    const error = configError(env);

    // assess
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(expected);
  });

  it.each([
    ['an entry that is a string', ['app'], 'SECRETS[0]', 'must be an object'],
    ['a missing user', [{ secretArn: APP.secretArn }], 'SECRETS[0].user', 'must be 1 to 64 letters'],
    ['a user with a space', [APP, { ...READER, user: 'read only' }], 'SECRETS[1].user', 'must be 1 to 64'],
    ['a user of 65 characters', [{ ...APP, user: 'a'.repeat(65) }], 'SECRETS[0].user', 'must be 1 to 64'],
    [
      'a secret name instead of an ARN',
      [{ ...APP, secretArn: 'app/db' }],
      'SECRETS[0].secretArn',
      'full ARN',
    ],
    ['a missing secretArn', [{ user: 'app' }], 'SECRETS[0].secretArn', 'full ARN'],
    [
      'a password length of 15',
      [{ ...APP, passwordLength: 15 }],
      'SECRETS[0].passwordLength',
      'from 16 to 128, got 15',
    ],
    [
      'a password length as a string',
      [{ ...APP, passwordLength: '32' }],
      'SECRETS[0].passwordLength',
      'got "32"',
    ],
    [
      'a password length of 20.5',
      [{ ...APP, passwordLength: 20.5 }],
      'SECRETS[0].passwordLength',
      'got 20.5',
    ],
    [
      'exclusions that leave no digit',
      [{ ...APP, passwordExcludeChars: '0123456789' }],
      'SECRETS[0].passwordExcludeChars',
      'leaves no digit character',
    ],
    [
      'an unknown strategy',
      [{ ...APP, strategy: 'dual' }],
      'SECRETS[0].strategy',
      '"single-user", "alternating-users"',
    ],
    [
      'a misspelt field',
      [{ ...APP, passwordLenght: 20 }],
      'SECRETS[0].passwordLenght',
      'is not a field of an entry',
    ],
    [
      'two entries of one user',
      [APP, { ...READER, user: 'app' }],
      'SECRETS[1].user',
      'same as SECRETS[0].user',
    ],
    [
      'two entries of one secret',
      [APP, { ...READER, secretArn: APP.secretArn }],
      'SECRETS[1].secretArn',
      'same as SECRETS[0].secretArn',
    ],
  ])('refuses %s, naming SECRETS[i].field', (_name, entries, variable, expected) => {
    // act
    const error = configError({ SECRETS: JSON.stringify(entries) });

    // assess
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toContain(expected);
  });
});

describe('selectServedSecret', () => {
  const { secrets } = withSecrets([APP, READER]);

  it.each([
    ['the user', { user: 'reader' }],
    ['the ARN', { secretId: READER.secretArn }],
    ['the name', { secretId: 'reader/db' }],
  ])('selects an entry by %s', (_name, selector) => {
    // act
    const entry = selectServedSecret(secrets, selector);

    // assess
    expect(entry.user).toBe('reader');
  });

  it.each([
    [
      'no selector among several',
      {},
      'the event names no "user"; this function serves the users "app", "reader"',
    ],
    [
      'an unknown user',
      { user: 'admin' },
      'unknown "user" "admin"; this function serves the users "app", "reader"',
    ],
    [
      'another secret',
      { secretId: `${ARN}:payments/db-AbCdEf` },
      `"secretId" "${ARN}:payments/db-AbCdEf" is not a secret this function serves`,
    ],
    [
      'a pasted password as the user',
      { user: 'Xk9#mQ2$vL7!pR4&' },
      'unknown "user" (a string of 16 characters',
    ],
  ])('refuses %s, listing the served users', (_name, selector, expected) => {
    // act
    const select = () => selectServedSecret(secrets, selector);

    // assess
    expect(select).toThrow(InvalidEventError);
    expect(select).toThrow(expected);
    expect(select).not.toThrow('Xk9#');
  });

  it('selects the only served secret when the event names none', () => {
    // prepare
    const single = withSecrets([APP]).secrets;

    // act
    const entry = selectServedSecret(single, {});

    // assess
    expect(entry.user).toBe('app');
  });

  it('bounds the list of users in a message to about 200 characters', () => {
    // prepare
    const many = withSecrets(
      Array.from({ length: 20 }, (_, i) => ({
        user: `user-with-a-long-name-${i}`,
        secretArn: `${ARN}:u${i}-AbCdEf`,
      })),
    ).secrets;

    // act
    const error = caught(() => selectServedSecret(many, {}));

    // assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.message).toMatch(/"user-with-a-long-name-0", .* and 1\d more: pass "user"/);
    expect(error.message.length).toBeLessThan(320);
  });
});
