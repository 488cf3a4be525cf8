import { describe, expect, it } from 'vitest';
import { noticeText, noticeWindow } from '../../function/src/actions/notice.ts';
import type { SecretDescription } from '../../function/src/staging.ts';
import { testSecret } from './helpers.ts';

const DESCRIPTION = {
  arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/db-AbCdEf',
  name: 'shop/db',
} as SecretDescription;

describe('noticeWindow', () => {
  it('starts the lead after now and lasts one period, so that consecutive runs touch', () => {
    // prepare
    const now = new Date('2026-03-01T10:00:00Z');
    const next = new Date('2026-03-01T11:00:00Z');

    // act
    const first = noticeWindow(now, 1440, 60);
    const second = noticeWindow(next, 1440, 60);

    // assess
    expect(first.from.toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(first.to.toISOString()).toBe('2026-03-02T11:00:00.000Z');
    expect(second.from).toEqual(first.to);
  });
});

describe('noticeText', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  const next = new Date('2026-03-02T10:30:00.123Z');

  it('names the user of a SECRETS entry, when, and the commands to rotate now or see the state', () => {
    // act
    const { subject, message } = noticeText(testSecret({ user: 'reporting' }), DESCRIPTION, next, now);

    // assess
    expect(subject).toBe('Password rotation of reporting at 2026-03-02T10:30:00Z');
    expect(message).toContain(
      'The database password of user "reporting" (secret shop/db) will be rotated automatically at ' +
        '2026-03-02T10:30:00Z, in about 25 hour(s).',
    );
    expect(message).toContain(`aws secretsmanager rotate-secret --secret-id ${DESCRIPTION.arn}`);
    expect(message).toContain('{"action": "status", "user": "reporting"}');
  });

  it('names the secret, not the entry "default", for a SECRET_ID deployment', () => {
    // act
    const { subject, message } = noticeText(testSecret(), DESCRIPTION, next, now);

    // assess
    expect(subject).toBe('Password rotation of shop/db at 2026-03-02T10:30:00Z');
    expect(message).toMatch(/^The database password \(secret shop\/db\) will be rotated/);
    expect(message).not.toContain('default');
  });
});
