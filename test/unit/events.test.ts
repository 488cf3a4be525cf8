import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../function/src/errors.ts';
import {
  admitRotation,
  checkInvokedThrough,
  classifyEvent,
  type RotationEvent,
} from '../../function/src/events.ts';
import { testSecret } from './helpers.ts';

const ROTATION = {
  Step: 'createSecret',
  SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
  ClientRequestToken: '0b4b2e3c-7a52-4b8e-9d8f-2f6a4f1c9e11',
};

/** The InvalidEventError classifyEvent throws for `event`; fails the test when it accepts it. */
function rejection(event: unknown): InvalidEventError {
  try {
    classifyEvent(event);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error(`classifyEvent accepted ${JSON.stringify(event)}`);
}

describe('classifyEvent', () => {
  it.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    'recognises a %s rotation event',
    (step) => {
      // act
      const event = classifyEvent({ ...ROTATION, Step: step });

      // assess
      expect(event).toEqual({
        kind: 'rotation',
        step,
        secretId: ROTATION.SecretId,
        token: ROTATION.ClientRequestToken,
        rotationToken: undefined,
      });
    },
  );

  it('keeps the RotationToken of a rotation event', () => {
    // act
    const event = classifyEvent({ ...ROTATION, RotationToken: 'rotation-token-123' });

    // assess
    expect(event).toMatchObject({ kind: 'rotation', rotationToken: 'rotation-token-123' });
  });

  it('recognises a manual event and keeps its other fields', () => {
    // prepare
    const raw = { action: 'verify', secretId: 'app', instances: ['db-1'] };

    // act
    const event = classifyEvent(raw);

    // assess
    expect(event).toEqual({ kind: 'manual', action: 'verify', fields: raw });
  });

  it.each([
    ['null', null, 'the event is null'],
    ['an array', [ROTATION], 'the event is an array'],
    ['a string', 'createSecret', 'the event is the string "createSecret"'],
    ['a number', 42, 'the event is number 42'],
    ['undefined', undefined, 'the event is undefined undefined'],
  ])('rejects %s naming both expected shapes', (_name, event, start) => {
    // act
    const error = rejection(event);

    // assess
    expect(error.message).toContain(start);
    expect(error.message).toContain('{"Step", "SecretId", "ClientRequestToken"}');
    expect(error.message).toContain('{"action": "..."}');
  });

  it('rejects an object with neither Step nor action listing its keys', () => {
    // act
    const error = rejection({ foo: 1, bar: 2 });

    // assess
    expect(error.message).toContain('neither "Step" nor "action" (2 key(s): "foo", "bar")');
    expect(error.message).toContain('expected a Secrets Manager rotation event');
  });

  it('rejects an event of 8,000 keys with a message of a few hundred characters', () => {
    // prepare
    const event = Object.fromEntries(Array.from({ length: 8000 }, (_, i) => [`field${i}`, i]));

    // act
    const error = rejection(event);

    // assess
    expect(error.message).toContain('neither "Step" nor "action" (8000 key(s): "field0", "field1"');
    expect(error.message).toMatch(/and 79\d\d more\)/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('does not echo a key that is a pasted password, only its length', () => {
    // prepare: a password pasted as a key of the event instead of as a value
    const pasted = 'Xk9#mQ2$vL7!pR4&';

    // act
    const error = rejection({ [pasted]: true, note: 'x' });

    // assess
    expect(error.message).not.toContain(pasted);
    expect(error.message).toContain('(a key of 16 characters, not shown), "note"');
  });

  it('rejects an empty object saying it has no keys', () => {
    // act
    const error = rejection({});

    // assess
    expect(error.message).toContain('(0 key(s): none)');
  });

  it.each(['Step', 'SecretId', 'ClientRequestToken'])(
    'rejects a rotation event without %s naming the field',
    (field) => {
      // prepare
      const event: Record<string, unknown> = { ...ROTATION };
      delete event[field];

      // act
      const error = rejection(event);

      // assess
      expect(error.message).toBe(
        `rotation event field "${field}" must be a non-empty string, got undefined undefined`,
      );
    },
  );

  it.each([
    ['Step', 1, 'number 1'],
    ['SecretId', { arn: 'x' }, 'an object'],
    ['ClientRequestToken', ['token'], 'an array'],
    ['Step', null, 'null'],
    ['SecretId', '', 'the string ""'],
    ['ClientRequestToken', '   ', '(a string of 3 characters, not shown)'],
    ['Step', true, 'boolean true'],
  ])('rejects a rotation event whose %s is %j', (field, value, description) => {
    // act
    const error = rejection({ ...ROTATION, [field]: value });

    // assess
    expect(error.message).toBe(
      `rotation event field "${field}" must be a non-empty string, got ${description}`,
    );
  });

  it.each([
    ['longer than 64 characters', 'a'.repeat(65)],
    ['with a space', 'token with space'],
    ['of 100,000 characters', 'x'.repeat(100_000)],
  ])('rejects a ClientRequestToken %s without echoing it', (_name, token) => {
    // act
    const error = rejection({ ...ROTATION, ClientRequestToken: token });

    // assess
    expect(error.message).toContain('"ClientRequestToken" must be 1 to 64 letters');
    expect(error.message).toContain(`(a string of ${token.length} characters, not shown)`);
    expect(error.message.length).toBeLessThan(300);
  });

  it('rejects an unknown Step listing the valid steps', () => {
    // act
    const error = rejection({ ...ROTATION, Step: 'rotateSecret' });

    // assess
    expect(error.message).toContain('unknown rotation step');
    expect(error.message).toContain('createSecret, setSecret, testSecret, finishSecret');
  });

  it.each([
    [123, 'number 123'],
    [{ token: 'x' }, 'an object'],
    [null, 'null'],
  ])('rejects a non-string RotationToken %j', (value, description) => {
    // act
    const error = rejection({ ...ROTATION, RotationToken: value });

    // assess
    expect(error.message).toBe(`rotation event field "RotationToken" must be a string, got ${description}`);
  });

  it.each([
    ['an empty string', '', 'the string ""'],
    ['blanks', '   ', '(a string of 3 characters, not shown)'],
    ['a number', 7, 'number 7'],
    ['null', null, 'null'],
    ['an object', { name: 'verify' }, 'an object'],
  ])('rejects an action that is %s', (_name, action, description) => {
    // act
    const error = rejection({ action });

    // assess
    expect(error.message).toBe(`"action" must be a non-empty string, got ${description}`);
  });

  it('does not echo a password-like string given as a rotation field', () => {
    // prepare
    const secret = 'Xk9#mQ2$vL7!pR4&';

    // act
    const errors = [
      rejection({ ...ROTATION, SecretId: { password: secret } }),
      rejection({ ...ROTATION, RotationToken: [secret] }),
      rejection({ action: { secret } }),
    ];

    // assess
    for (const error of errors) expect(error.message).not.toContain(secret);
  });

  it('does not echo a password-like string given as an unknown Step', () => {
    // prepare: someone pasted a password into the wrong field
    const secret = 'Xk9#mQ2$vL7!pR4&';

    // act
    const error = rejection({ ...ROTATION, Step: secret });

    // assess
    expect(error.message).toContain('unknown rotation step');
    expect(error.message).not.toContain(secret);
  });
});

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:app-rotation';
const SERVED = {
  rotationAlias: 'rotation',
  secrets: [
    testSecret({ user: 'app', secretId: ROTATION.SecretId }),
    testSecret({
      user: 'reader',
      secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:reader-XyZ123',
    }),
  ],
};

/** The InvalidEventError `act` throws; fails the test when it throws nothing. */
function refusal(act: () => unknown): InvalidEventError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('the invocation was admitted');
}

describe('admitRotation', () => {
  const event = classifyEvent(ROTATION) as RotationEvent;

  it('admits a step through the rotation alias and works on the configured entry', () => {
    // act
    const admitted = admitRotation(event, SERVED, `${FUNCTION_ARN}:rotation`);

    // assess
    expect(admitted.secret).toBe(SERVED.secrets[0]);
    expect(admitted).toMatchObject({ step: 'createSecret', token: ROTATION.ClientRequestToken });
  });

  it.each([
    ['the unqualified function', FUNCTION_ARN, 'came through the unqualified function'],
    ['the manual alias', `${FUNCTION_ARN}:manual`, 'came through qualifier "manual"'],
    ['version 3', `${FUNCTION_ARN}:3`, 'came through qualifier "3"'],
    ['no function ARN', undefined, 'came through no known function ARN'],
  ])('refuses a step sent through %s', (_name, arn, through) => {
    // act
    const error = refusal(() => admitRotation(event, SERVED, arn));

    // assess
    expect(error.message).toContain('rotation steps are accepted only through the Lambda alias "rotation"');
    expect(error.message).toContain(through);
    expect(error.message).toContain('Nothing was read');
  });

  it('admits a step from anywhere when no rotation alias is configured (local use)', () => {
    // act
    const admitted = admitRotation(event, { ...SERVED, rotationAlias: undefined }, undefined);

    // assess
    expect(admitted.secret.user).toBe('app');
  });

  it.each([
    ['its name', 'app'],
    ['an ARN of its name without the suffix', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app'],
    ['its ARN', ROTATION.SecretId],
  ])('recognises the served secret by %s', (_name, secretId) => {
    // act
    const admitted = admitRotation({ ...event, secretId }, SERVED, `${FUNCTION_ARN}:rotation`);

    // assess
    expect(admitted.secret.secretId).toBe(ROTATION.SecretId);
  });

  it.each([
    ['another secret', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf'],
    ['the same name in another account', 'arn:aws:secretsmanager:us-east-1:999999999999:secret:app-AbCdEf'],
    ['the same name in another region', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf'],
  ])('refuses a step for %s, listing the served users', (_name, secretId) => {
    // act
    const error = refusal(() => admitRotation({ ...event, secretId }, SERVED, `${FUNCTION_ARN}:rotation`));

    // assess
    expect(error.message).toBe(
      `the event's SecretId "${secretId}" is not a secret this function serves ` +
        '(it serves the users "app", "reader"); nothing was read',
    );
  });

  it('refuses a SecretId of 100,000 characters without echoing it', () => {
    // act
    const error = refusal(() =>
      admitRotation({ ...event, secretId: 'a'.repeat(100_000) }, SERVED, `${FUNCTION_ARN}:rotation`),
    );

    // assess
    expect(error.message).toContain('(a string of 100000 characters, not shown)');
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('checkInvokedThrough', () => {
  it('refuses a manual action through the rotation alias', () => {
    // act
    const error = refusal(() => checkInvokedThrough('manual', 'rotation', `${FUNCTION_ARN}:rotation`));

    // assess
    expect(error.message).toContain('manual actions are refused through the Lambda alias "rotation"');
  });

  it.each([
    ['the manual alias', `${FUNCTION_ARN}:manual`],
    ['the unqualified function', FUNCTION_ARN],
    ['a call without a function ARN', undefined],
  ])('accepts a manual action through %s', (_name, arn) => {
    // act
    const check = () => checkInvokedThrough('manual', 'rotation', arn);

    // assess
    expect(check).not.toThrow();
  });
});
