import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describeError, SecretReadError } from './errors.ts';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export type Label = typeof CURRENT | typeof PENDING;

/** One version of the secret as a login uses it. */
export interface SecretVersion {
  label: Label;
  versionId: string;
  username: string;
  password: string;
}

/**
 * What one read returned. `seq` numbers reads in the order they started, so that a caller can
 * ask for a read that started after a given moment without comparing clocks. `pending` is
 * undefined when the read did not ask for AWSPENDING, null when no version holds it.
 */
export interface Snapshot {
  seq: number;
  readAt: number;
  current: SecretVersion;
  pending?: SecretVersion | null;
  /** Why AWSPENDING could not be read (e.g. a role allowed AWSCURRENT only); AWSCURRENT still counts. */
  pendingError?: string;
}

type Kind = 'current' | 'both';

interface Flight {
  kind: Kind;
  seq: number;
  promise: Promise<Snapshot>;
}

// After a failed background refresh, the next one waits this long (or the refresh interval, if
// shorter): a Secrets Manager outage must not turn every new connection into a read.
const REFRESH_RETRY_AFTER_FAILURE_MS = 10_000;

/**
 * The values of one secret as read through one Secrets Manager client, shared by every pool of
 * that secret and client. At most one read of each kind (AWSCURRENT alone, or AWSCURRENT with
 * AWSPENDING) is in flight at a time; callers that need a read join the one in flight.
 */
export class SecretCache {
  private started = 0;
  private latest: Snapshot | undefined;
  private latestWithPending: Snapshot | undefined;
  private readonly flights = new Map<Kind, Flight>();
  private refreshFailedAt: number | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    readonly secretId: string,
  ) {}

  /** How many reads have started so far: a read with a higher `seq` starts after this moment. */
  get sequence(): number {
    return this.started;
  }

  /** The newest snapshot, with or without AWSPENDING. */
  get cached(): Snapshot | undefined {
    return this.latest;
  }

  /** The newest snapshot that holds AWSPENDING too. */
  get cachedWithPending(): Snapshot | undefined {
    return this.latestWithPending;
  }

  /** The read of this kind in flight, if any. */
  inFlight(withPending: boolean): Flight | undefined {
    return this.flights.get(withPending ? 'both' : 'current');
  }

  /**
   * A snapshot from a read that started after read number `after` (-1: any): the cached one,
   * the one in flight, or a new read once no read of that kind is in flight.
   */
  async read(withPending: boolean, after: number): Promise<Snapshot> {
    for (;;) {
      const cached = withPending ? this.latestWithPending : this.latest;
      if (cached !== undefined && cached.seq > after) return cached;
      const joinable = [this.flights.get('both'), withPending ? undefined : this.flights.get('current')];
      const flight = joinable.find((f) => f !== undefined && f.seq > after);
      if (flight !== undefined) return flight.promise;
      const sameKind = this.inFlight(withPending);
      if (sameKind === undefined) return this.start(withPending ? 'both' : 'current').promise;
      // One read of a kind at a time: wait for the older one, then look again.
      await sameKind.promise.catch(() => undefined);
    }
  }

  /**
   * Starts a read in the background when the newest one is older than `maxAgeMs` and none is in
   * flight; a failure keeps the cached values (a refused login will ask again).
   */
  refreshIfOlderThan(maxAgeMs: number, withPending: boolean): void {
    const now = Date.now();
    if (this.latest !== undefined && now - this.latest.readAt < maxAgeMs) return;
    if (this.flights.size > 0) return;
    const pause = Math.min(maxAgeMs, REFRESH_RETRY_AFTER_FAILURE_MS);
    if (this.refreshFailedAt !== undefined && now - this.refreshFailedAt < pause) return;
    this.start(withPending ? 'both' : 'current').promise.catch(() => {
      this.refreshFailedAt = Date.now();
    });
  }

  private start(kind: Kind): Flight {
    const seq = ++this.started;
    const promise = this.fetch(kind, seq).finally(() => {
      if (this.flights.get(kind)?.seq === seq) this.flights.delete(kind);
    });
    const flight = { kind, seq, promise };
    this.flights.set(kind, flight);
    return flight;
  }

  private async fetch(kind: Kind, seq: number): Promise<Snapshot> {
    // Both labels at once: inside the rotation window a refused login then costs one read's time.
    // A failed AWSPENDING read must not hide a new AWSCURRENT, which is enough after a rotation.
    const [current, pending] = await Promise.all([
      this.readLabel(CURRENT),
      kind === 'both' ? this.readLabel(PENDING).catch((error: unknown) => error as Error) : undefined,
    ]);
    if (current === null) {
      throw new SecretReadError(`secret "${this.secretId}" has no version labelled ${CURRENT}`);
    }
    const snapshot: Snapshot = { seq, readAt: Date.now(), current };
    if (pending instanceof Error) snapshot.pendingError = describeError(pending);
    else if (kind === 'both') snapshot.pending = pending;
    if (this.latest === undefined || seq > this.latest.seq) this.latest = snapshot;
    if (kind === 'both' && (this.latestWithPending === undefined || seq > this.latestWithPending.seq)) {
      this.latestWithPending = snapshot;
    }
    this.refreshFailedAt = undefined;
    return snapshot;
  }

  /** The version holding `label`, or null when none does. */
  private async readLabel(label: Label): Promise<SecretVersion | null> {
    let output: GetSecretValueCommandOutput;
    try {
      output = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: label }),
      );
    } catch (error) {
      // Secrets Manager answers a label that no version holds with ResourceNotFoundException.
      if (label === PENDING && (error as { name?: unknown }).name === 'ResourceNotFoundException')
        return null;
      throw new SecretReadError(
        `could not read ${label} of secret "${this.secretId}": ${describeError(error)}`,
        { cause: error },
      );
    }
    return parseVersion(output, label, this.secretId);
  }
}

function parseVersion(output: GetSecretValueCommandOutput, label: Label, secretId: string): SecretVersion {
  const versionId = output.VersionId ?? 'unknown';
  const what = `${label} of secret "${secretId}" (version ${versionId})`;
  const expected = 'expected a JSON object with non-empty string "username" and "password"';
  if (output.SecretString === undefined)
    throw new SecretReadError(`${what} has no SecretString; ${expected}`);
  let value: unknown;
  try {
    value = JSON.parse(output.SecretString);
  } catch {
    // No cause: a JSON.parse message quotes the text, which is the secret itself.
    throw new SecretReadError(`${what} is not valid JSON; ${expected}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecretReadError(`${what} is not a JSON object; ${expected}`);
  }
  const { username, password } = value as Record<string, unknown>;
  if (typeof username !== 'string' || username === '') {
    throw new SecretReadError(`${what} has no non-empty string "username"; ${expected}`);
  }
  if (typeof password !== 'string' || password === '') {
    throw new SecretReadError(`${what} has no non-empty string "password"; ${expected}`);
  }
  return { label, versionId, username, password };
}

const caches = new WeakMap<SecretsManagerClient, Map<string, SecretCache>>();
let defaultClient: SecretsManagerClient | undefined;

/** The cache shared by every pool of this secret and client (default: one client per process). */
export function secretCacheFor(client: SecretsManagerClient | undefined, secretId: string): SecretCache {
  // Region and credentials come from the environment, as for any SDK client.
  if (client === undefined) defaultClient ??= new SecretsManagerClient({});
  const owner = client ?? (defaultClient as SecretsManagerClient);
  let bySecret = caches.get(owner);
  if (bySecret === undefined) {
    bySecret = new Map();
    caches.set(owner, bySecret);
  }
  let cache = bySecret.get(secretId);
  if (cache === undefined) {
    cache = new SecretCache(owner, secretId);
    bySecret.set(secretId, cache);
  }
  return cache;
}
