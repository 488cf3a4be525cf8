import { describe, expect, it } from 'vitest';
import { boundedList, quoteIdentifier, quoteKey } from '../../function/src/text.ts';

describe('boundedList', () => {
  it('lists everything that fits in about 200 characters', () => {
    // act
    const text = boundedList(['"app"', '"reader"']);

    // assess
    expect(text).toBe('"app", "reader"');
  });

  it('counts what does not fit instead of listing it', () => {
    // prepare
    const items = Array.from({ length: 1000 }, (_, i) => `"field-${i}"`);

    // act
    const text = boundedList(items);

    // assess
    expect(text).toMatch(/^"field-0", "field-1", .* and 9\d\d more$/);
    expect(text.length).toBeLessThanOrEqual(220);
  });

  it('says none for an empty list', () => {
    // act
    const text = boundedList([]);

    // assess
    expect(text).toBe('none');
  });
});

describe('quoting outside text', () => {
  it.each([
    ['a secret name', 'app/db-credentials', '"app/db-credentials"'],
    [
      'a secret ARN',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf',
      '"arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf"',
    ],
    ['a password', 'Xk9#mQ2$vL7!pR4&', '(a string of 16 characters, not shown)'],
    ['an identifier of 201 characters', 'a'.repeat(201), '(a string of 201 characters, not shown)'],
  ])('quotes %s as an identifier only when it looks like one', (_name, value, expected) => {
    // act
    const text = quoteIdentifier(value);

    // assess
    expect(text).toBe(expected);
  });

  it.each([
    ['a field name', 'secretId', '"secretId"'],
    ['a password', 'Xk9#mQ2$vL7!pR4&', '(a key of 16 characters, not shown)'],
    ['a key with a dash', 'dry-run', '(a key of 7 characters, not shown)'],
  ])('quotes %s as a key only when it looks like a field name', (_name, key, expected) => {
    // act
    const text = quoteKey(key);

    // assess
    expect(text).toBe(expected);
  });
});
