import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DbInstance } from '../../function/src/database.ts';
import { DatabaseError, type DatabaseErrorKind } from '../../function/src/errors.ts';
import {
  Deadline,
  describeFailures,
  failedReports,
  forEachInstance,
  type InstanceReport,
  type RunOptions,
  type WorkResult,
} from '../../function/src/instances.ts';
import { silenceLogs } from './helpers.ts';

beforeAll(() => silenceLogs());

function instances(count: number): DbInstance[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `db-${i + 1}`,
    host: `db-${i + 1}.internal`,
    port: 3306,
  }));
}

function options(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    parallel: 10,
    retries: 2,
    retryWaitMs: 1,
    deadline: Deadline.unlimited(),
    phase: 'test',
    ...overrides,
  };
}

/** Work that fails with `error` `failures` times on every instance, then succeeds; counts attempts. */
function flaky(error: () => Error, failures = Number.POSITIVE_INFINITY) {
  const attempts = new Map<string, number>();
  const work = async (instance: DbInstance): Promise<WorkResult> => {
    const attempt = (attempts.get(instance.id) ?? 0) + 1;
    attempts.set(instance.id, attempt);
    if (attempt <= failures) throw error();
    return { outcome: 'changed', from: 'current' };
  };
  return { work, attempts };
}

describe('forEachInstance', () => {
  it('reports every instance in input order', async () => {
    // prepare
    const all = instances(5);

    // act
    const reports = await forEachInstance(
      all,
      async (instance) => {
        await sleep(instance.id === 'db-1' ? 20 : 1);
        return { outcome: 'verified' };
      },
      options({ parallel: 3 }),
    );

    // assess
    expect(
      reports.map((report) => [report.instance, report.endpoint, report.outcome, report.attempts]),
    ).toEqual([
      ['db-1', 'db-1.internal:3306', 'verified', 1],
      ['db-2', 'db-2.internal:3306', 'verified', 1],
      ['db-3', 'db-3.internal:3306', 'verified', 1],
      ['db-4', 'db-4.internal:3306', 'verified', 1],
      ['db-5', 'db-5.internal:3306', 'verified', 1],
    ]);
    for (const report of reports) expect(report.ms).toBeGreaterThanOrEqual(0);
  });

  it.each([1, 3, 7])('runs at most parallel=%i instances at once and uses all of them', async (parallel) => {
    // prepare
    let running = 0;
    let maxRunning = 0;
    const work = async (): Promise<WorkResult> => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(5);
      running--;
      return { outcome: 'verified' };
    };

    // act
    const reports = await forEachInstance(instances(20), work, options({ parallel }));

    // assess
    expect(reports).toHaveLength(20);
    expect(maxRunning).toBe(parallel);
  });

  it('returns no reports and calls no work for no instances', async () => {
    // prepare
    let calls = 0;

    // act
    const reports = await forEachInstance(
      [],
      async () => {
        calls++;
        return { outcome: 'verified' };
      },
      options(),
    );

    // assess
    expect(reports).toEqual([]);
    expect(calls).toBe(0);
  });

  it('retries a transient error up to `retries` times and then reports it failed', async () => {
    // prepare
    const { work, attempts } = flaky(
      () => new DatabaseError('transient', 'connect ECONNREFUSED', 'ECONNREFUSED'),
    );

    // act
    const [report] = await forEachInstance(instances(1), work, options({ retries: 3 }));

    // assess
    expect(attempts.get('db-1')).toBe(4);
    expect(report).toMatchObject({
      instance: 'db-1',
      outcome: 'failed',
      attempts: 4,
      error: 'connect ECONNREFUSED',
      errorKind: 'transient',
    });
  });

  it('succeeds after transient failures within the retries', async () => {
    // prepare
    const { work, attempts } = flaky(() => new DatabaseError('transient', 'Too many connections'), 2);

    // act
    const [report] = await forEachInstance(instances(1), work, options({ retries: 2 }));

    // assess
    expect(attempts.get('db-1')).toBe(3);
    expect(report).toMatchObject({ outcome: 'changed', from: 'current', attempts: 3 });
    expect(report?.error).toBeUndefined();
  });

  it('does not retry a transient error when retries=0', async () => {
    // prepare
    const { work, attempts } = flaky(() => new DatabaseError('transient', 'timeout'));

    // act
    const [report] = await forEachInstance(instances(1), work, options({ retries: 0 }));

    // assess
    expect(attempts.get('db-1')).toBe(1);
    expect(report).toMatchObject({ outcome: 'failed', attempts: 1, errorKind: 'transient' });
  });

  it.each<DatabaseErrorKind>(['auth', 'tls', 'locked', 'fatal'])(
    'never retries a %s error and reports its kind',
    async (kind) => {
      // prepare
      const { work, attempts } = flaky(() => new DatabaseError(kind, `a ${kind} problem`));

      // act
      const [report] = await forEachInstance(instances(1), work, options({ retries: 5 }));

      // assess
      expect(attempts.get('db-1')).toBe(1);
      expect(report).toMatchObject({
        outcome: 'failed',
        attempts: 1,
        error: `a ${kind} problem`,
        errorKind: kind,
      });
    },
  );

  it('treats an error that is not a DatabaseError as fatal and never retries it', async () => {
    // prepare
    const { work, attempts } = flaky(() => new TypeError('cannot read properties of undefined'));

    // act
    const [report] = await forEachInstance(instances(1), work, options({ retries: 5 }));

    // assess
    expect(attempts.get('db-1')).toBe(1);
    expect(report).toMatchObject({
      outcome: 'failed',
      errorKind: 'fatal',
      error: 'cannot read properties of undefined',
    });
  });

  it('keeps going on the other instances when one fails', async () => {
    // prepare
    const work = async (instance: DbInstance): Promise<WorkResult> => {
      if (instance.id === 'db-2') throw new DatabaseError('auth', "Access denied for user 'app'");
      return { outcome: 'changed' };
    };

    // act
    const reports = await forEachInstance(instances(3), work, options({ parallel: 1 }));

    // assess
    expect(reports.map((report) => report.outcome)).toEqual(['changed', 'failed', 'changed']);
  });

  it('skips instances with errorKind deadline once too little time is left', async () => {
    // prepare: each instance uses 60 s of a 150 s budget with 50 s kept in reserve
    let remaining = 150_000;
    const deadline = new Deadline(() => remaining, 50_000);
    const started: string[] = [];
    const work = async (instance: DbInstance): Promise<WorkResult> => {
      started.push(instance.id);
      remaining -= 60_000;
      return { outcome: 'changed' };
    };

    // act
    const reports = await forEachInstance(instances(4), work, options({ parallel: 1, deadline }));

    // assess
    expect(started).toEqual(['db-1', 'db-2']);
    expect(reports.map((report) => report.outcome)).toEqual(['changed', 'changed', 'skipped', 'skipped']);
    expect(reports[2]).toMatchObject({ instance: 'db-3', attempts: 0, errorKind: 'deadline' });
    expect(reports[2]?.error).toContain('not started: only 30000 ms');
    expect(reports[2]?.error).toContain('reserve 50000 ms');
  });

  it('does not sleep for a retry past the deadline', async () => {
    // prepare: a 60 s retry wait does not fit in the 1 s left above the reserve
    const deadline = new Deadline(() => 11_000, 10_000);
    const { work, attempts } = flaky(() => new DatabaseError('transient', 'read ETIMEDOUT'));
    const before = Date.now();

    // act
    const [report] = await forEachInstance(
      instances(1),
      work,
      options({ retries: 5, retryWaitMs: 60_000, deadline }),
    );

    // assess
    expect(Date.now() - before).toBeLessThan(1000);
    expect(attempts.get('db-1')).toBe(1);
    expect(report).toMatchObject({ outcome: 'failed', errorKind: 'transient', error: 'read ETIMEDOUT' });
  });

  it('does not retry once the time left has fallen to the reserve', async () => {
    // prepare: time runs out during the first attempt
    let remaining = 100_000;
    const deadline = new Deadline(() => remaining, 10_000);
    const { work, attempts } = flaky(() => {
      remaining = 10_000;
      return new DatabaseError('transient', 'connection reset');
    });

    // act
    const [report] = await forEachInstance(
      instances(1),
      work,
      options({ retries: 5, retryWaitMs: 0, deadline }),
    );

    // assess
    expect(attempts.get('db-1')).toBe(1);
    expect(report).toMatchObject({ outcome: 'failed', attempts: 1, error: 'connection reset' });
  });

  it('waits between retries with a jitter of at most one and a half times retryWaitMs', async () => {
    // prepare
    const { work } = flaky(() => new DatabaseError('transient', 'timeout'));
    const before = Date.now();

    // act
    const [report] = await forEachInstance(instances(1), work, options({ retries: 2, retryWaitMs: 40 }));

    // assess: two waits of 20..60 ms each
    const elapsed = Date.now() - before;
    expect(report?.attempts).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(38);
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('Deadline', () => {
  it('is too late only when the remaining time is below the reserve', () => {
    // prepare
    let remaining = 5000;
    const deadline = new Deadline(() => remaining, 1000);

    // act
    const early = deadline.tooLate();
    remaining = 1000;
    const atReserve = deadline.tooLate();
    remaining = 999;
    const late = deadline.tooLate();

    // assess
    expect([early, atReserve, late]).toEqual([false, false, true]);
    expect(deadline.remaining()).toBe(999);
  });

  it('is never too late when unlimited', () => {
    // act
    const deadline = Deadline.unlimited();

    // assess
    expect(deadline.tooLate()).toBe(false);
    expect(deadline.remaining()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('describeFailures', () => {
  it('names each failed or skipped instance with its endpoint and reason', () => {
    // prepare
    const reports: InstanceReport[] = [
      { instance: 'db-1', endpoint: 'db-1.internal:3306', outcome: 'changed', attempts: 1, ms: 5 },
      {
        instance: 'db-2',
        endpoint: 'db-2.internal:3307',
        outcome: 'failed',
        attempts: 3,
        ms: 50,
        error: 'connect ECONNREFUSED',
        errorKind: 'transient',
      },
      { instance: 'db-3', endpoint: 'db-3.internal:3306', outcome: 'skipped', attempts: 0, ms: 0 },
    ];

    // act
    const text = describeFailures(reports);

    // assess
    expect(text).toBe('db-2 (db-2.internal:3307): connect ECONNREFUSED; db-3 (db-3.internal:3306): skipped');
    expect(failedReports(reports).map((report) => report.instance)).toEqual(['db-2', 'db-3']);
  });

  it('is empty when nothing failed', () => {
    // act
    const text = describeFailures([
      { instance: 'db-1', endpoint: 'db-1.internal:3306', outcome: 'verified', attempts: 1, ms: 5 },
    ]);

    // assess
    expect(text).toBe('');
  });
});
