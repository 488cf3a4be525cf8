import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../function/src/errors.ts';
import { classifyEvent } from '../../function/src/events.ts';

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
    expect(error.message).toContain('neither "Step" nor "action" (keys: foo, bar)');
    expect(error.message).toContain('expected a Secrets Manager rotation event');
  });

  it('rejects an empty object saying it has no keys', () => {
    // act
    const error = rejection({});

    // assess
    expect(error.message).toContain('(keys: none)');
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
