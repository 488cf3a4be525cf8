import { openWithRotation, type RetryPolicy } from '../../client/src/acquire.ts';
import { type ChangeReason, CredentialSelector } from '../../client/src/credentials.ts';
import { SecretCache } from '../../client/src/secretCache.ts';
import { type FakeDatabase, type FakeSecret, mockedSecretsManager } from './fakes.ts';

export interface Change {
  label: string;
  versionId: string;
  username: string;
  reason: ChangeReason;
}

export const FAST_RETRY: RetryPolicy = { retries: 2, backoff: { baseMs: 100, maxMs: 400 } };

/** A secret behind a mocked client, and the cache every "pool" of it shares. */
export function sharedSecret(secret: FakeSecret): SecretCache {
  return new SecretCache(mockedSecretsManager(secret).client, secret.id);
}

/**
 * The client's state machine for one pool without mysql2: `open()` is what getConnection does
 * for a new connection, logging in to `db` instead of a server.
 */
export function poolOf(
  cache: SecretCache,
  db: FakeDatabase,
  { refreshIntervalMs = 600_000, retry = FAST_RETRY, endpoint = 'db1.example.com:3306' } = {},
) {
  const changes: Change[] = [];
  const selector = new CredentialSelector(cache, refreshIntervalMs, (version, reason) => {
    changes.push({ label: version.label, versionId: version.versionId, username: version.username, reason });
  });
  const open = () =>
    openWithRotation(selector, retry, { secretId: cache.secretId, endpoint }, (c) => db.login(c));
  return { open, changes, selector };
}

/** Lets pending promise callbacks (and mocked reads) run; works under fake timers too. */
export async function settle(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
