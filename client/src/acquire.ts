import { type Backoff, backoffDelay, sleep } from './backoff.ts';
import type { CredentialSelector } from './credentials.ts';
import { CredentialsRejectedError, describeError, type RefusedAttempt } from './errors.ts';
import type { SecretVersion } from './secretCache.ts';

const ER_ACCESS_DENIED_ERROR = 1045;

/** Whether a login failed because the server refused the user name or password. */
export function isAccessDenied(error: unknown): boolean {
  const { errno, code } = (error ?? {}) as { errno?: unknown; code?: unknown };
  return errno === ER_ACCESS_DENIED_ERROR || code === 'ER_ACCESS_DENIED_ERROR';
}

export interface RetryPolicy {
  /** Rounds after the first, each after a backoff wait. */
  retries: number;
  backoff: Backoff;
}

/** Where the logins go, for the final error. */
export interface Target {
  secretId: string;
  endpoint: string;
}

/** A connection to the server opened ahead of a login (a `SpareSocket`). */
export interface Spare<S> {
  /** For the next login: undefined when it has failed or grown too old. */
  take(): S | undefined;
  /** Closes it unless a login took it. */
  discard(): void;
}

// A spare outlives its round only when the first backoff cannot make it too old (see SpareSocket).
const SPARE_ACROSS_BACKOFF_MS = 500;

/**
 * Opens a new connection with the credentials the selector chose. When the server refuses them
 * (1045), tries what a fresh read offers (AWSCURRENT first, then AWSPENDING), each version once
 * per round; when a round has nothing left to try, waits (backoff with jitter) and starts
 * another, up to `retries` more. A refused login never ran anything on the server, so retrying
 * is safe; any other failure is thrown at once, as it has nothing to do with credentials.
 *
 * With `openSpare`, each refusal of the first round opens a connection to the server while the
 * read is under way, and the next login runs on it (`open`'s second argument): the login that
 * follows the read then does not start from TCP's handshake. The next login comes right after
 * the read, or after the first backoff when that is short; otherwise no spare is opened, as one
 * closed unused counts against the host on the server.
 */
export async function openWithRotation<T, S = never>(
  selector: CredentialSelector,
  policy: RetryPolicy,
  target: Target,
  open: (credentials: SecretVersion, spare: S | undefined) => Promise<T>,
  openSpare?: () => Spare<S>,
): Promise<T> {
  let credentials = await selector.forNewConnection();
  const attempts: RefusedAttempt[] = [];
  const readFailures = new Set<string>();
  let lastRefusal: unknown;
  // Set while the pool's other new connections wait for this one's next login (afterRejection).
  let releaseHeld: (() => void) | undefined;
  let spare: Spare<S> | undefined;
  const spareInFirstRound =
    openSpare !== undefined && policy.retries > 0 && policy.backoff.baseMs <= SPARE_ACROSS_BACKOFF_MS;
  try {
    for (let round = 0; ; round++) {
      const roundStart = selector.readSequence;
      const tried = new Set<string>();
      for (;;) {
        const socket = spare?.take();
        spare = undefined;
        try {
          return await open(credentials, socket);
        } catch (error) {
          if (!isAccessDenied(error)) throw error;
          lastRefusal = error;
        } finally {
          // The server has answered the login with what the recovery chose.
          releaseHeld?.();
          releaseHeld = undefined;
        }
        attempts.push({
          label: credentials.label,
          versionId: credentials.versionId,
          username: credentials.username,
        });
        tried.add(credentials.versionId);
        if (round === 0 && spareInFirstRound) spare = openSpare();
        const recovery = selector.afterRejection(credentials, roundStart, tried);
        let next: SecretVersion | undefined;
        try {
          next = await recovery.next;
        } catch (error) {
          // Secrets Manager unreachable: this round is over; the next one reads again.
          readFailures.add(describeError(error));
        }
        if (next === undefined) {
          // Nothing to log in with: the held connections go on (and wait no backoff of this one).
          recovery.release();
          break;
        }
        releaseHeld = recovery.release;
        credentials = next;
      }
      const pendingReadError = selector.pendingReadError;
      if (pendingReadError !== undefined) readFailures.add(pendingReadError);
      if (round >= policy.retries) throw rejection(target, attempts, round + 1, readFailures, lastRefusal);
      await sleep(backoffDelay(round + 1, policy.backoff));
      credentials = await selector.forNewConnection();
    }
  } finally {
    spare?.discard();
  }
}

function rejection(
  target: Target,
  attempts: RefusedAttempt[],
  rounds: number,
  readFailures: Set<string>,
  cause: unknown,
): CredentialsRejectedError {
  const counts = new Map<string, number>();
  for (const { label, versionId, username } of attempts) {
    const key = `${label} version ${versionId} (user ${username})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const tried = [...counts].map(([what, n]) => `${what} ${n}x`).join(', ');
  let message =
    `${target.endpoint} refused every credential of secret "${target.secretId}" with error 1045 ` +
    `(access denied): ${attempts.length} logins in ${rounds} rounds, as ${tried}.`;
  if (readFailures.size > 0) message += ` Reading the secret failed: ${[...readFailures].join('; ')}.`;
  message +=
    " Check that the secret's username and password are those of the database user on this host" +
    " (a rotation that stopped half-way leaves them apart: see the rotation function's logs).";
  return new CredentialsRejectedError(message, attempts, { cause });
}
