import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SecretReadError } from '../../client/src/errors.ts';
import { secretCacheFor } from '../../client/src/secretCache.ts';
import { FakeDatabase, FakeSecret, holdReads } from './fakes.ts';
import { poolOf, settle, sharedSecret } from './harness.ts';

// Secrets Manager is mocked here: see fakes.ts for why.

afterEach(() => {
  vi.useRealTimers();
});

describe('the credentials cache', () => {
  it('reads AWSCURRENT once and answers every later new connection from the cache', async () => {
    const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
    const pool = poolOf(sharedSecret(secret), new FakeDatabase('app', 'pw-1'));

    for (let i = 0; i < 10; i++) await pool.open();

    expect(secret.reads).toEqual(['AWSCURRENT']);
    expect(pool.changes).toEqual([
      { label: 'AWSCURRENT', versionId: 'v1', username: 'app', reason: 'initial' },
    ]);
  });

  it('makes a single read however many first connections wait for it', async () => {
    const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
    const db = new FakeDatabase('app', 'pw-1');
    const pool = poolOf(sharedSecret(secret), db);
    const hold = holdReads(secret);

    const opening = Array.from({ length: 50 }, () => pool.open());
    await settle();
    const readsWhileHeld = secret.reads.length;
    hold.release();
    await Promise.all(opening);

    expect(readsWhileHeld).toBe(1);
    expect(secret.reads).toEqual(['AWSCURRENT']);
    expect(db.logins).toBe(50);
  });

  it('shares reads between the pools of one secret and client, and not across clients', () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const other = new SecretsManagerClient({ region: 'us-east-1' });

    const shard1 = secretCacheFor(client, 'app/db');
    const shard2 = secretCacheFor(client, 'app/db');

    expect(shard2).toBe(shard1);
    expect(secretCacheFor(client, 'other/db')).not.toBe(shard1);
    expect(secretCacheFor(other, 'app/db')).not.toBe(shard1);
  });

  it('makes one read for two pools (two instances) of the same secret', async () => {
    const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
    const cache = sharedSecret(secret);
    const shard1 = poolOf(cache, new FakeDatabase('app', 'pw-1'), { endpoint: 'db1:3306' });
    const shard2 = poolOf(cache, new FakeDatabase('app', 'pw-1'), { endpoint: 'db2:3306' });

    await Promise.all([shard1.open(), shard2.open(), shard1.open(), shard2.open()]);

    expect(secret.reads).toEqual(['AWSCURRENT']);
  });

  it('makes no read in steady state until the refresh interval has passed, then one in the background', async () => {
    vi.useFakeTimers();
    const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
    const db = new FakeDatabase('app', 'pw-1');
    const pool = poolOf(sharedSecret(secret), db, { refreshIntervalMs: 60_000 });
    await pool.open();

    for (let second = 1; second < 60; second++) {
      await vi.advanceTimersByTimeAsync(1_000);
      await pool.open();
    }
    const readsWithinInterval = secret.reads.length;
    await vi.advanceTimersByTimeAsync(1_000);
    const hold = holdReads(secret);
    const served = await pool.open();
    const readsAfterInterval = secret.reads.length;
    hold.release();
    await settle();

    expect(readsWithinInterval).toBe(1);
    // The connection did not wait for the background read (which was still held).
    expect(served).toBe('app via AWSCURRENT v1');
    expect(readsAfterInterval).toBe(2);
  });

  it('moves new connections to a new AWSCURRENT that a background refresh found', async () => {
    vi.useFakeTimers();
    const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
    const db = new FakeDatabase('app', 'pw-1');
    const pool = poolOf(sharedSecret(secret), db, { refreshIntervalMs: 60_000 });
    await pool.open();
    // A rotation finished (the old password still works, as with alternating users).
    secret.put('v2', 'app_clone', 'pw-2', 'AWSCURRENT');
    db.setPassword('app_clone', 'pw-2');

    await vi.advanceTimersByTimeAsync(60_000);
    const beforeRefresh = await pool.open();
    await settle();
    const served = await pool.open();

    expect(beforeRefresh).toBe('app via AWSCURRENT v1');
    expect(db.refused).toBe(0);
    expect(served).toBe('app_clone via AWSCURRENT v2');
    expect(pool.changes.at(-1)).toEqual({
      label: 'AWSCURRENT',
      versionId: 'v2',
      username: 'app_clone',
      reason: 'current-changed',
    });
  });

  it('keeps the cached credentials when a background refresh fails, and waits before reading again', async () => {
    vi.useFakeTimers();
    const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
    const pool = poolOf(sharedSecret(secret), new FakeDatabase('app', 'pw-1'), { refreshIntervalMs: 60_000 });
    await pool.open();
    await vi.advanceTimersByTimeAsync(60_000);
    secret.failNextReads = 1;

    await pool.open();
    await settle();
    const afterFailure = secret.reads.length;
    for (let i = 0; i < 20; i++) await pool.open();
    const duringPause = secret.reads.length;
    await vi.advanceTimersByTimeAsync(10_000);
    await pool.open();
    await settle();

    expect(afterFailure).toBe(2);
    expect(duringPause).toBe(2);
    expect(secret.reads.length).toBe(3);
  });

  it('fails the first connection with a clear error when the secret cannot be read', async () => {
    const secret = new FakeSecret();
    secret.failNextReads = 1;
    secret.put('v1', 'app', 'pw-1', 'AWSCURRENT');
    const pool = poolOf(sharedSecret(secret), new FakeDatabase('app', 'pw-1'));

    const error = await pool.open().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretReadError);
    expect((error as Error).message).toMatch(
      /could not read AWSCURRENT of secret "app\/db": Error: connect ETIMEDOUT/,
    );
  });
});

describe('secret values', () => {
  async function readError(secretString: string): Promise<Error> {
    const secret = new FakeSecret();
    const pool = poolOf(sharedSecret(secret), new FakeDatabase('app', 'x'));
    secret.answer = async () => ({
      VersionId: 'v9',
      SecretString: secretString,
      VersionStages: ['AWSCURRENT'],
    });
    return pool.open().then(
      () => {
        throw new Error('the login should have failed');
      },
      (error: Error) => error,
    );
  }

  it('refuses a value that is not JSON without quoting it', async () => {
    const error = await readError('username=app password=Hunter2-Secret');

    expect(error).toBeInstanceOf(SecretReadError);
    expect(error.message).toBe(
      'AWSCURRENT of secret "app/db" (version v9) is not valid JSON; expected a JSON object with ' +
        'non-empty string "username" and "password"',
    );
    expect(error.cause).toBeUndefined();
  });

  it('refuses a value without a password, naming the field', async () => {
    const error = await readError(JSON.stringify({ username: 'app', pass: 'Hunter2-Secret' }));

    expect(error.message).toMatch(
      /^AWSCURRENT of secret "app\/db" \(version v9\) has no non-empty string "password"/,
    );
    expect(error.message).not.toContain('Hunter2');
  });

  it('refuses a value without a user name, naming the field', async () => {
    const error = await readError(JSON.stringify({ user: 'app', password: 'Hunter2-Secret' }));

    expect(error.message).toMatch(/has no non-empty string "username"/);
    expect(error.message).not.toContain('Hunter2');
  });
});
