import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWithRotation } from '../../client/src/acquire.ts';
import { backoffDelay } from '../../client/src/backoff.ts';
import { CredentialsRejectedError } from '../../client/src/errors.ts';
import { FakeDatabase, FakeSecret, holdLogins, holdReads } from './fakes.ts';
import { FAST_RETRY, poolOf, settle, sharedSecret } from './harness.ts';

// Secrets Manager is mocked here: see fakes.ts for why.

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A secret on AWSCURRENT v1 (app / pw-1), with a database that accepts it. */
function rotationStart() {
  const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
  const db = new FakeDatabase('app', 'pw-1');
  return { secret, db };
}

/**
 * rotationStart() with a pool that has logged in once, then createSecret and setSecret: the
 * database holds the pending password (v2, pw-2) while AWSCURRENT is still v1.
 */
async function inRotationWindow(options: Parameters<typeof poolOf>[2] = {}) {
  const { secret, db } = rotationStart();
  const pool = poolOf(sharedSecret(secret), db, options);
  await pool.open();
  secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
  db.setPassword('app', 'pw-2');
  return { secret, db, pool };
}

/** rotationStart() with two instances, a pool for each sharing one cache, both logged in once. */
async function twoInstances() {
  const { secret, db } = rotationStart();
  const cache = sharedSecret(secret);
  const db2 = new FakeDatabase('app', 'pw-1');
  const shard1 = poolOf(cache, db, { endpoint: 'db1:3306' });
  const shard2 = poolOf(cache, db2, { endpoint: 'db2:3306' });
  await Promise.all([shard1.open(), shard2.open()]);
  return { secret, db, db2, shard1, shard2 };
}

/**
 * inRotationWindow() with reads held: one new connection refused and waiting for the read, then
 * a second one started behind it.
 */
async function refusedThenHeld() {
  const { secret, db, pool } = await inRotationWindow();
  const reads = holdReads(secret);
  const refused = pool.open();
  await settle();
  const later = pool.open();
  await settle();
  return { secret, db, reads, refused, later };
}

describe('a refused login', () => {
  it('inside the rotation window logs in with AWSPENDING, reading both labels at once', async () => {
    const { secret, db, pool } = await inRotationWindow();
    const hold = holdReads(secret);

    const opening = pool.open();
    await settle();
    const readsInFlight = secret.inProgress;
    hold.release();
    const served = await opening;

    expect(served).toBe('app via AWSPENDING v2');
    expect(readsInFlight).toBe(2);
    expect(secret.reads).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING']);
    expect(db.refused).toBe(1);
    expect(pool.changes.at(-1)).toEqual({
      label: 'AWSPENDING',
      versionId: 'v2',
      username: 'app',
      reason: 'access-denied',
    });
  });

  it('makes one read for every connection refused at the same moment', async () => {
    const { secret, pool } = await inRotationWindow();

    const served = await Promise.all(Array.from({ length: 20 }, () => pool.open()));

    expect(new Set(served)).toEqual(new Set(['app via AWSPENDING v2']));
    expect(secret.reads).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING']);
    expect(pool.changes.filter((c) => c.label === 'AWSPENDING')).toHaveLength(1);
  });

  it('holds a new connection while a refused one waits for the read, so it is not refused too', async () => {
    const { secret, db, reads, refused, later } = await refusedThenHeld();
    const loginsWhileHeld = db.logins + db.refused;
    reads.release();
    const served = await Promise.all([refused, later]);

    expect(loginsWhileHeld).toBe(2);
    expect(served).toEqual(['app via AWSPENDING v2', 'app via AWSPENDING v2']);
    expect(db.refused).toBe(1);
    expect(secret.reads).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING']);
  });

  it('lets a held connection log in only once the server has answered the login with what the read chose', async () => {
    const { db, reads, refused, later } = await refusedThenHeld();
    const logins = holdLogins(db);
    reads.release();
    await settle();
    // The refused connection's login with AWSPENDING is in flight; the held one has not started.
    const startedWhileAnswerHeld = db.started;
    logins.release();
    const served = await Promise.all([refused, later]);

    expect(startedWhileAnswerHeld).toBe(3);
    expect(served).toEqual(['app via AWSPENDING v2', 'app via AWSPENDING v2']);
    expect(db.started).toBe(4);
    expect(db.refused).toBe(1);
  });

  it('lets a held connection go on when the read fails, to be served or refused on its own', async () => {
    const { secret, db } = rotationStart();
    const pool = poolOf(sharedSecret(secret), db, {
      retry: { retries: 0, backoff: { baseMs: 1, maxMs: 1 } },
    });
    await pool.open();
    db.setPassword('app', 'pw-2');
    const hold = holdReads(secret);

    const refused = pool.open().catch((error: unknown) => error);
    await settle();
    const later = pool.open().catch((error: unknown) => error);
    await settle();
    const loginsWhileHeld = db.logins + db.refused;
    secret.failNextReads = 10;
    hold.release();
    const outcomes = await Promise.all([refused, later]);

    expect(loginsWhileHeld).toBe(2);
    expect(outcomes.every((outcome) => outcome instanceof CredentialsRejectedError)).toBe(true);
    expect((outcomes[1] as Error).message).toContain('Reading the secret failed:');
    expect((outcomes[1] as Error).message).toContain('connect ETIMEDOUT');
    expect(db.refused).toBe(2);
  });

  it('joins a read refused connections of another pool started, and does not read again', async () => {
    const { secret, db, db2, shard1, shard2 } = await twoInstances();
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    db.setPassword('app', 'pw-2');
    db2.setPassword('app', 'pw-2');

    await Promise.all([shard1.open(), shard2.open()]);

    expect(secret.reads).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING']);
  });

  it('waits for a read another pool started before its own login, and reads no more', async () => {
    const { secret, db, db2, shard1, shard2 } = await twoInstances();
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    db.setPassword('app', 'pw-2');
    db2.setPassword('app', 'pw-2');
    const hold = holdReads(secret);

    const first = shard1.open();
    await settle();
    // The second instance's connection starts after the first one's read did.
    const second = shard2.open();
    await settle();
    const refusedWhileHeld = db.refused + db2.refused;
    hold.release();

    expect(await Promise.all([first, second])).toEqual(['app via AWSPENDING v2', 'app via AWSPENDING v2']);
    expect(refusedWhileHeld).toBe(2);
    expect(secret.reads).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING']);
  });

  it('tries the AWSPENDING an earlier read found, and reads again only when that is refused too', async () => {
    const { secret, db, db2, shard1, shard2 } = await twoInstances();
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    db.setPassword('app', 'pw-2');
    expect(await shard1.open()).toBe('app via AWSPENDING v2');
    const readsBefore = secret.reads.length;

    // setSecret reaches the second instance later: the read the first one made is enough.
    db2.setPassword('app', 'pw-2');
    expect(await shard2.open()).toBe('app via AWSPENDING v2');
    expect(secret.reads).toHaveLength(readsBefore);
    expect(db2.refused).toBe(1);

    // That rotation rolled back and the next one is in its window (v3): what the cache holds
    // (v1, v2) is refused as well, and only then does the pool read again.
    secret.put('v3', 'app', 'pw-3', 'AWSPENDING');
    db2.setPassword('app', 'pw-3');
    db.setPassword('app', 'pw-3');
    expect(await shard1.open()).toBe('app via AWSPENDING v3');
    expect(await shard2.open()).toBe('app via AWSPENDING v3');
    expect(secret.reads.slice(readsBefore)).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('never tries an AWSCURRENT older than the version just refused, from a read of an earlier window', async () => {
    const { secret, db, pool } = await inRotationWindow();
    expect(await pool.open()).toBe('app via AWSPENDING v2');
    // That rotation finished and the next one reached the database before any read of this pool.
    secret.finish();
    secret.put('v3', 'app', 'pw-3', 'AWSPENDING');
    db.setPassword('app', 'pw-3');
    const refusedBefore = db.refused;

    expect(await pool.open()).toBe('app via AWSPENDING v3');
    // Only v2 was refused: v1, AWSCURRENT in the read the pool holds, is two rotations old.
    expect(db.refused - refusedBefore).toBe(1);
  });

  it('chooses per pool: one instance on AWSPENDING while the next still accepts AWSCURRENT', async () => {
    const { secret, db } = rotationStart();
    const cache = sharedSecret(secret);
    const laterInstance = new FakeDatabase('app', 'pw-1');
    const shard1 = poolOf(cache, db, { endpoint: 'db1:3306' });
    const shard2 = poolOf(cache, laterInstance, { endpoint: 'db2:3306' });
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    // setSecret has reached the first instance only.
    db.setPassword('app', 'pw-2');

    const first = await shard1.open();
    const second = await shard2.open();
    const firstAgain = await shard1.open();

    expect([first, second, firstAgain]).toEqual([
      'app via AWSPENDING v2',
      'app via AWSCURRENT v1',
      'app via AWSPENDING v2',
    ]);
    expect(laterInstance.refused).toBe(0);
  });

  it('takes a changed AWSCURRENT before AWSPENDING: AWSCURRENT wins again once it moves', async () => {
    const { secret, db } = rotationStart();
    const pool = poolOf(sharedSecret(secret), db);
    await pool.open();
    // A whole rotation went by unseen (v2), and the next one is in its window (v3).
    secret.put('v2', 'app', 'pw-2', 'AWSCURRENT').put('v3', 'app', 'pw-3', 'AWSPENDING');
    db.setPassword('app', 'pw-2');

    const served = await pool.open();

    expect(served).toBe('app via AWSCURRENT v2');
    expect(db.refused).toBe(1);
  });

  it('follows a user name change that AWSPENDING offers (alternating users)', async () => {
    const { secret, db } = rotationStart();
    const pool = poolOf(sharedSecret(secret), db);
    await pool.open();
    secret.put('v2', 'app_clone', 'pw-2', 'AWSPENDING');
    db.setPassword('app_clone', 'pw-2').setPassword('app', 'changed-by-someone');

    const served = await pool.open();

    expect(served).toBe('app_clone via AWSPENDING v2');
    expect(pool.changes.at(-1)).toMatchObject({ label: 'AWSPENDING', username: 'app_clone' });
  });

  it('goes back to AWSCURRENT once finishSecret moved it, without a refused login', async () => {
    vi.useFakeTimers();
    const { secret, db, pool } = await inRotationWindow({ refreshIntervalMs: 60_000 });
    await pool.open();

    secret.finish();
    await vi.advanceTimersByTimeAsync(60_000);
    await pool.open();
    await settle();
    const served = await pool.open();

    expect(served).toBe('app via AWSCURRENT v2');
    expect(db.refused).toBe(1);
    expect(pool.changes.map((c) => `${c.label} ${c.versionId} ${c.reason}`)).toEqual([
      'AWSCURRENT v1 initial',
      'AWSPENDING v2 access-denied',
      'AWSCURRENT v2 current-changed',
    ]);
  });

  it('comes back to AWSCURRENT after a rollback, without a failed connection', async () => {
    const { secret, db, pool } = await inRotationWindow();
    await pool.open();
    // The rotation failed on another instance: this one is set back, AWSPENDING removed.
    db.setPassword('app', 'pw-1');
    secret.labels.delete('AWSPENDING');

    const served = await Promise.all([pool.open(), pool.open(), pool.open()]);

    expect(served).toEqual(Array(3).fill('app via AWSCURRENT v1'));
    expect(pool.changes.at(-1)).toEqual({
      label: 'AWSCURRENT',
      versionId: 'v1',
      username: 'app',
      reason: 'access-denied',
    });
  });

  it('notices a rollback on its periodic read while on AWSPENDING, with no read of its own', async () => {
    vi.useFakeTimers();
    const { secret, db, pool } = await inRotationWindow({ refreshIntervalMs: 60_000 });
    await pool.open();
    db.setPassword('app', 'pw-1');
    secret.labels.delete('AWSPENDING');
    const refusedBefore = db.refused;

    await vi.advanceTimersByTimeAsync(60_000);
    // Asking for the next credentials starts the periodic read in the background; it ends before
    // any login, so no login is refused.
    await pool.selector.forNewConnection();
    await settle();
    const served = await pool.open();

    expect(served).toBe('app via AWSCURRENT v1');
    // The initial read, the one in the window, and the periodic one: both labels while on AWSPENDING.
    expect(secret.reads).toHaveLength(5);
    expect(secret.reads.slice(-2).sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
    expect(pool.changes.at(-1)).toMatchObject({
      label: 'AWSCURRENT',
      versionId: 'v1',
      reason: 'pending-withdrawn',
    });
    expect(db.refused - refusedBefore).toBe(0);
  });

  it('throws any other login failure at once, without reading the secret again', async () => {
    const { secret } = rotationStart();
    const pool = poolOf(sharedSecret(secret), new FakeDatabase('app', 'pw-1'));
    await pool.open();
    const selector = pool.selector;
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:3306'), {
      code: 'ECONNREFUSED',
    });

    const error = await openWithRotation(
      selector,
      FAST_RETRY,
      { secretId: 'app/db', endpoint: 'db1:3306' },
      () => Promise.reject(unreachable),
    ).catch((e: unknown) => e);

    expect(error).toBe(unreachable);
    expect(secret.reads).toEqual(['AWSCURRENT']);
  });
});

describe('when nothing the secret offers logs in', () => {
  it('backs off with jitter between rounds, reads once per round, then fails', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { secret } = rotationStart();
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    const db = new FakeDatabase('app', 'set-out-of-band');
    const pool = poolOf(sharedSecret(secret), db, {
      retry: { retries: 3, backoff: { baseMs: 100, maxMs: 300 } },
    });
    const started = Date.now();

    const outcome = pool.open().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    const error = await outcome;
    const roundStarts = db.refusedAt.filter((_, i) => i % 2 === 0).map((at) => at - started);

    // Waits of 75, 150 and 225 ms: three quarters of 100, 200, 300 (capped) with random() = 0.5.
    expect(roundStarts).toEqual([0, 75, 225, 450]);
    expect(db.refused).toBe(8);
    // One initial read, then AWSCURRENT and AWSPENDING once per round.
    expect(secret.reads).toHaveLength(1 + 2 * 4);
    expect(error).toBeInstanceOf(CredentialsRejectedError);
  });

  it('fails with an error saying what was tried, where and how often, and no password', async () => {
    const { secret } = rotationStart();
    secret.put('v2', 'app_clone', 'pw-2', 'AWSPENDING');
    const pool = poolOf(sharedSecret(secret), new FakeDatabase('app', 'set-out-of-band'), {
      retry: { retries: 1, backoff: { baseMs: 1, maxMs: 1 } },
    });

    const error = (await pool.open().catch((e: unknown) => e)) as CredentialsRejectedError;

    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(error.message).toBe(
      'db1.example.com:3306 refused every credential of secret "app/db" with error 1045 (access denied): ' +
        '4 logins in 2 rounds, as AWSCURRENT version v1 (user app) 2x, AWSPENDING version v2 (user app_clone) 2x. ' +
        "Check that the secret's username and password are those of the database user on this host " +
        "(a rotation that stopped half-way leaves them apart: see the rotation function's logs).",
    );
    expect(error.attempts).toHaveLength(4);
    expect((error.cause as { errno?: number }).errno).toBe(1045);
    const everything = JSON.stringify({
      message: error.message,
      attempts: error.attempts,
      stack: error.stack,
    });
    for (const password of ['pw-1', 'pw-2', 'set-out-of-band']) expect(everything).not.toContain(password);
  });

  it('reports a Secrets Manager failure during recovery in the final error', async () => {
    const { secret, db } = rotationStart();
    const pool = poolOf(sharedSecret(secret), db, {
      retry: { retries: 0, backoff: { baseMs: 1, maxMs: 1 } },
    });
    await pool.open();
    db.setPassword('app', 'pw-2');
    secret.failNextReads = 2;

    const error = (await pool.open().catch((e: unknown) => e)) as Error;

    expect(error.message).toContain(
      'Reading the secret failed: SecretReadError: could not read AWSCURRENT of secret "app/db": ' +
        'Error: connect ETIMEDOUT secretsmanager.us-east-1.amazonaws.com.',
    );
  });

  it('follows a changed AWSCURRENT when AWSPENDING may not be read, and names that failure if nothing logs in', async () => {
    const { secret, db } = rotationStart();
    secret.denied.add('AWSPENDING');
    const pool = poolOf(sharedSecret(secret), db, {
      retry: { retries: 0, backoff: { baseMs: 1, maxMs: 1 } },
    });
    await pool.open();
    secret.put('v2', 'app', 'pw-2', 'AWSCURRENT');
    db.setPassword('app', 'pw-2');

    const served = await pool.open();
    db.setPassword('app', 'pw-3');
    const error = (await pool.open().catch((e: unknown) => e)) as Error;

    expect(served).toBe('app via AWSCURRENT v2');
    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(error.message).toContain(
      'Reading the secret failed: SecretReadError: could not read AWSPENDING of secret "app/db": ' +
        'AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue (AWSPENDING).',
    );
  });

  it('recovers in a later round once the database accepts what the secret holds', async () => {
    vi.useFakeTimers();
    const { secret, db } = rotationStart();
    const pool = poolOf(sharedSecret(secret), db);
    await pool.open();
    // Someone changed the password on the server first and updates the secret a moment later.
    db.setPassword('app', 'pw-2');
    const opening = pool.open();
    await vi.advanceTimersByTimeAsync(10);
    secret.put('v2', 'app', 'pw-2', 'AWSCURRENT');
    await vi.advanceTimersByTimeAsync(1_000);

    await expect(opening).resolves.toBe('app via AWSCURRENT v2');
  });
});

describe('backoff waits', () => {
  it('lie between half and all of a step that doubles per retry up to the maximum', () => {
    const backoff = { baseMs: 200, maxMs: 3_000 };
    const lowest = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, backoff, () => 0));
    const highest = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, backoff, () => 0.999_999));

    expect(lowest).toEqual([100, 200, 400, 800, 1_500, 1_500]);
    expect(highest).toEqual([200, 400, 800, 1_600, 3_000, 3_000]);
  });

  it('are spread by jitter', () => {
    const waits = new Set(Array.from({ length: 50 }, () => backoffDelay(3, { baseMs: 200, maxMs: 3_000 })));

    expect(waits.size).toBeGreaterThan(10);
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(400);
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(800);
  });
});
