import { PENDING, type SecretCache, type SecretVersion, type Snapshot } from './secretCache.ts';

/**
 * Why a pool changed the credentials of its new connections:
 * - `initial`: the first read of AWSCURRENT;
 * - `current-changed`: a newer read shows another AWSCURRENT version (a rotation finished), which
 *   always wins;
 * - `access-denied`: the server refused a login and a fresh read offered another version (AWSPENDING
 *   inside the rotation window, AWSCURRENT again after a rollback);
 * - `pending-withdrawn`: the pool was on AWSPENDING and that label has gone or moved without
 *   AWSCURRENT changing (the rotation rolled back).
 */
export type ChangeReason = 'initial' | 'current-changed' | 'access-denied' | 'pending-withdrawn';

/**
 * Which version of the secret one pool's new connections log in with. Pools share the reads
 * (one `SecretCache` per secret and client) but each chooses for itself: during a rotation the
 * instances change password one after another, so AWSPENDING can be right for one instance
 * while AWSCURRENT is still right for the next.
 */
export class CredentialSelector {
  private active: SecretVersion | undefined;
  /** AWSCURRENT's version when the choice was made: another one means a rotation finished. */
  private baseCurrent: string | undefined;
  /** The snapshot the choice came from: older ones cannot overturn it. */
  private basedOn = -1;
  /**
   * Settles when the latest refused login of this pool has tried what its recovery chose (see
   * `afterRejection`). New connections wait for it.
   */
  private recovering: Promise<void> = Promise.resolve();

  constructor(
    private readonly cache: SecretCache,
    private readonly refreshIntervalMs: number,
    private readonly onChange: (version: SecretVersion, reason: ChangeReason) => void,
  ) {}

  /** How many reads of the secret had started: see `SecretCache.sequence`. */
  get readSequence(): number {
    return this.cache.sequence;
  }

  get chosen(): SecretVersion | undefined {
    return this.active;
  }

  /** Why the newest read of AWSPENDING failed, if it did. */
  get pendingReadError(): string | undefined {
    return this.cache.cachedWithPending?.pendingError;
  }

  /**
   * The credentials for the next new connection. Reads AWSCURRENT only the first time; later it
   * answers from the cache and, once the newest read is older than the refresh interval, starts
   * a background read whose result the following connections use. After a refused login of this
   * pool it waits until that connection has tried what the recovery chose, and so logs in with
   * credentials the server has just accepted (or that the next read chose).
   */
  async forNewConnection(): Promise<SecretVersion> {
    await this.recovering;
    let snapshot = this.cache.cached;
    if (snapshot === undefined) {
      snapshot = await this.cache.read(false, -1);
    } else {
      // While on AWSPENDING the refresh reads it too, to notice a rollback without a refused login.
      this.cache.refreshIfOlderThan(this.refreshIntervalMs, this.active?.label === PENDING);
    }
    this.follow(this.cache.cached ?? snapshot);
    return this.active as SecretVersion;
  }

  /**
   * After the server refused `failed`: `next` gives the credentials to try next, or undefined
   * when every version a read started since this round began (`roundStart`, a read sequence)
   * offers has been refused in this round (`tried`, version ids). Concurrent refusals share one
   * read of AWSCURRENT and AWSPENDING; a read failure rejects `next`.
   *
   * New connections of this pool wait until the caller calls `release`: once the server has
   * answered its login with `next` (or at once when there is nothing to try). The credentials
   * they would take were just refused, and the first login with the new ones goes alone: on a
   * busy application a crowd of logins at the same moment would slow that one down, and if the
   * server refuses the new credentials too, only one login has been refused.
   */
  afterRejection(
    failed: SecretVersion,
    roundStart: number,
    tried: ReadonlySet<string>,
  ): { next: Promise<SecretVersion | undefined>; release: () => void } {
    let release: () => void = () => undefined;
    this.recovering = new Promise<void>((resolve) => {
      release = resolve;
    });
    return { next: this.recoverFrom(failed, roundStart, tried), release };
  }

  private async recoverFrom(
    failed: SecretVersion,
    roundStart: number,
    tried: ReadonlySet<string>,
  ): Promise<SecretVersion | undefined> {
    for (;;) {
      // Another refused login of this pool may already have moved on.
      const active = this.active;
      if (active !== undefined && active.versionId !== failed.versionId && !tried.has(active.versionId)) {
        return active;
      }
      const snapshot = this.cache.cachedWithPending;
      if (snapshot !== undefined && snapshot.seq > roundStart) return this.pick(snapshot, tried);
      const offered = snapshot === undefined ? undefined : this.fromEarlierRead(snapshot, failed, tried);
      if (offered !== undefined) return offered;
      const older = this.cache.inFlight(true);
      if (older !== undefined && older.seq <= roundStart) {
        // It may predate the server's change, but a new AWSCURRENT or a withdrawn AWSPENDING in
        // it is news all the same: apply that, then look again.
        const news = await older.promise.catch(() => undefined);
        if (news !== undefined) this.follow(news);
        continue;
      }
      await this.cache.read(true, roundStart);
    }
  }

  /**
   * What a recent read that began before this round (it cannot tell whether the server changed
   * since) is still worth a login for: inside a window, another pool's read of moments ago, or
   * the periodic read of back-to-back rotations. A read newer than this pool's choice, as a fresh
   * one would be; otherwise only an AWSPENDING it saw next to the AWSCURRENT just refused (its
   * AWSCURRENT is no news). Older than the refresh interval, nothing: an old AWSPENDING may have
   * been given up, and logging in with it would only be refused.
   */
  private fromEarlierRead(
    snapshot: Snapshot,
    failed: SecretVersion,
    tried: ReadonlySet<string>,
  ): SecretVersion | undefined {
    if (Date.now() - snapshot.readAt >= this.refreshIntervalMs) return undefined;
    if (snapshot.seq > this.basedOn) return this.pick(snapshot, tried);
    const pending = snapshot.pending;
    if (snapshot.current.versionId !== failed.versionId || !pending || tried.has(pending.versionId)) {
      return undefined;
    }
    this.choose(pending, snapshot, 'access-denied');
    return pending;
  }

  /** Applies what a newer read says without any refused login: a new AWSCURRENT, or a rollback. */
  private follow(snapshot: Snapshot): void {
    if (this.active === undefined) {
      this.choose(snapshot.current, snapshot, 'initial');
      return;
    }
    if (snapshot.seq <= this.basedOn) return;
    if (snapshot.current.versionId !== this.baseCurrent) {
      this.choose(snapshot.current, snapshot, 'current-changed');
    } else if (
      this.active.label === PENDING &&
      snapshot.pending !== undefined &&
      snapshot.pending?.versionId !== this.active.versionId
    ) {
      this.choose(snapshot.current, snapshot, 'pending-withdrawn');
    }
  }

  /** AWSCURRENT first, then AWSPENDING, skipping versions refused in this round. */
  private pick(snapshot: Snapshot, tried: ReadonlySet<string>): SecretVersion | undefined {
    const next = [snapshot.current, snapshot.pending ?? undefined].find(
      (version): version is SecretVersion => version !== undefined && !tried.has(version.versionId),
    );
    if (next !== undefined) this.choose(next, snapshot, 'access-denied');
    return next;
  }

  private choose(version: SecretVersion, snapshot: Snapshot, reason: ChangeReason): void {
    const previous = this.active;
    this.active = version;
    this.baseCurrent = snapshot.current.versionId;
    this.basedOn = Math.max(this.basedOn, snapshot.seq);
    const same =
      previous !== undefined &&
      previous.versionId === version.versionId &&
      previous.label === version.label &&
      previous.username === version.username;
    if (!same) this.onChange(version, reason);
  }
}
