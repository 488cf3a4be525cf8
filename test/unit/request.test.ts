import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../function/src/actions/request.ts';
import { loadConfig } from '../../function/src/config.ts';
import { InvalidEventError } from '../../function/src/errors.ts';
import type { ManualEvent } from '../../function/src/events.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret';
const CONFIG = loadConfig({
  DB_IDENTIFIER_PREFIX: 'shop-',
  SECRETS: JSON.stringify([
    { user: 'app', secretArn: `${ARN}:app-AbCdEf` },
    { user: 'reader', secretArn: `${ARN}:reader-GhIjKl` },
  ]),
});

function manual(fields: Record<string, unknown>): ManualEvent {
  return { kind: 'manual', action: fields.action as string, fields };
}

function refusal(fields: Record<string, unknown>): InvalidEventError {
  try {
    parseRequest(fields.action as 'status', manual(fields), CONFIG);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error(`parseRequest accepted ${JSON.stringify(fields)}`);
}

describe('parseRequest', () => {
  it.each([
    ['user', { user: 'reader' }],
    ['secretId', { secretId: `${ARN}:reader-GhIjKl` }],
  ])('selects the served secret by %s and works on its configured ARN', (_name, selector) => {
    // act
    const request = parseRequest('verify', manual({ action: 'verify', ...selector }), CONFIG);

    // assess
    expect(request.secret?.user).toBe('reader');
    expect(request.secretId).toBe(`${ARN}:reader-GhIjKl`);
  });

  it('takes no secret for the actions that work on none', () => {
    // act
    const request = parseRequest('notice', manual({ action: 'notice', dryRun: true }), CONFIG);

    // assess
    expect(request).toMatchObject({ secret: undefined, secretId: '', dryRun: true });
  });

  it.each([
    [
      'both user and secretId',
      { action: 'status', user: 'app', secretId: `${ARN}:app-AbCdEf` },
      'names both',
    ],
    [
      'neither among several',
      { action: 'status' },
      'names no "user"; this function serves the users "app", "reader"',
    ],
    [
      'a user that is not a string',
      { action: 'status', user: 7 },
      '"user" must be a non-empty string, got number 7',
    ],
    ['a secret it does not serve', { action: 'reset', secretId: 'payments' }, '"payments" is not a secret'],
    ['a user on notice', { action: 'notice', user: 'app' }, 'unknown field "user" for action "notice"'],
    [
      'a pasted password as a field',
      { action: 'status', 'Xk9#mQ2$vL7!pR4&': 1 },
      '(a key of 16 characters, not shown)',
    ],
    [
      'an instance name with a password character',
      { action: 'verify', user: 'app', instances: ['db1', 'Xk9#mQ2$vL7!pR4&'] },
      'entry 1 is (a string of 16 characters, not shown)',
    ],
    [
      '1,001 instances',
      { action: 'verify', user: 'app', instances: Array.from({ length: 1001 }, (_, i) => `db${i}`) },
      'array of 1 to 1000 instance identifiers (RDS identifiers or host:port), got 1001 entries',
    ],
  ])('refuses %s before anything is read', (_name, fields, expected) => {
    // act
    const error = refusal(fields);

    // assess
    expect(error.message).toContain(expected);
    expect(error.message).not.toContain('Xk9#');
  });
});
