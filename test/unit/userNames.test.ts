import { describe, expect, it } from 'vitest';
import { SecretValueError } from '../../function/src/errors.ts';
import { baseUser, checkUserNames, otherUser, userNameLimit } from '../../function/src/userNames.ts';

describe('the alternating pair of users', () => {
  it('alternates between the base name and the suffixed one', () => {
    expect(otherUser('app', '_clone')).toBe('app_clone');
    expect(otherUser('app_clone', '_clone')).toBe('app');
    expect(otherUser('_clone', '_clone')).toBe('_clone_clone');
    expect(baseUser('app_clone', '_clone')).toBe('app');
  });

  it('holds the pair to the strictest configured engine', () => {
    expect(userNameLimit('mariadb')).toBe(80);
    expect(userNameLimit('aurora-mysql')).toBe(32);
    expect(() => checkUserNames('a'.repeat(40), '_clone', ['mariadb'])).not.toThrow();
    expect(() => checkUserNames('a'.repeat(26), '_clone', ['mysql', 'mariadb'])).not.toThrow();
  });

  it('refuses a pair too long for MySQL, saying how long the base name may be', () => {
    const check = () => checkUserNames(`${'a'.repeat(27)}_clone`, '_clone', ['mariadb', 'mysql']);

    expect(check).toThrow(SecretValueError);
    expect(check).toThrow(/33 characters.*32 characters mysql allows.*at most 26 characters/);
  });
});
