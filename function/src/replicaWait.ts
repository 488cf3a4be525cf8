import { setTimeout as sleep } from 'node:timers/promises';
import type { Candidate } from './candidates.ts';
import type { ConnectOptions } from './database.ts';
import { DatabaseError, ReplicationWaitError } from './errors.ts';
import { logger } from './logger.ts';
import { acceptsPassword } from './passwordSetter.ts';
import type { FleetMember } from './topology.ts';

/** What one replica is waited for. */
export interface ReplicaWaitPlan {
  username: string;
  /** The password its source now has. */
  target: Candidate;
  /** What it may still hold until the change arrives, in the order to try. */
  before: Candidate[];
  /** Epoch ms after which the wait gives up. */
  until: number;
  /** The configured bound, for messages. */
  boundMs: number;
}

// The first poll comes soon (replication on one network is usually well under a second), later
// ones further apart, never more than a second: a replica a few seconds behind costs a handful
// of logins and is seen at most a second late.
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1000;

/**
 * Waits until a replica (or reader) accepts `target`, with new logins. In the normal case one
 * login does it. While the change has not arrived, the replica is watched with the password it
 * still holds: those logins succeed, and only the one that sees the old password go is refused,
 * because every refused login counts towards an account lock (MariaDB's max_password_errors,
 * MySQL's FAILED_LOGIN_ATTEMPTS) and an accepted one resets the count. Throws a
 * ReplicationWaitError when the bound passes, naming the password it still accepts.
 */
export async function awaitReplica(
  member: FleetMember,
  plan: ReplicaWaitPlan,
  options: ConnectOptions,
): Promise<{ outcome: 'replicated'; logins: number }> {
  const started = Date.now();
  let logins = 0;
  let pause = FIRST_POLL_MS;
  let unreachable: DatabaseError | undefined;
  // Unreachable for a moment counts as "not yet": the wait decides, not the first hiccup.
  const accepts = async (candidate: Candidate): Promise<boolean> => {
    logins++;
    try {
      const accepted = await acceptsPassword(member, plan.username, candidate, options);
      unreachable = undefined;
      return accepted;
    } catch (error) {
      if (error instanceof DatabaseError && error.kind === 'transient') {
        unreachable = error;
        return false;
      }
      throw error;
    }
  };
  const wait = async (): Promise<boolean> => {
    const left = plan.until - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, MAX_POLL_MS);
    return true;
  };

  let held: Candidate | undefined;
  // Once it accepts none of the old passwords either, only the new one is tried again.
  let before = plan.before;
  for (;;) {
    if (await accepts(plan.target)) {
      logger.debug('replica accepts the new password', {
        instance: member.id,
        target: plan.target.label,
        logins,
        ms: Date.now() - started,
      });
      return { outcome: 'replicated', logins };
    }
    held = undefined;
    for (const candidate of before) {
      if (unreachable === undefined && (await accepts(candidate))) {
        held = candidate;
        break;
      }
    }
    if (held === undefined) {
      if (unreachable === undefined) before = [];
      if (!(await wait())) break;
      continue;
    }
    // Watched with logins that succeed until the old password stops working.
    while ((await wait()) && (await accepts(held))) {}
    if (Date.now() >= plan.until) {
      // One last look: the change may have arrived with the last poll.
      if (await accepts(held)) break;
      if (await accepts(plan.target)) return { outcome: 'replicated', logins };
      held = undefined;
      break;
    }
  }
  throw new ReplicationWaitError(
    timeoutMessage(member, plan, held, unreachable, Date.now() - started),
    logins,
  );
}

function timeoutMessage(
  member: FleetMember,
  plan: ReplicaWaitPlan,
  held: Candidate | undefined,
  unreachable: DatabaseError | undefined,
  waitedMs: number,
): string {
  const what = member.via ?? 'a read-only server';
  const still =
    unreachable !== undefined
      ? `it was unreachable at the end (${unreachable.message})`
      : held !== undefined
        ? `it still accepts the ${held.label} password`
        : `it accepts none of the ${[plan.target, ...plan.before].map((c) => c.label).join(', ')} passwords`;
  const rds =
    member.replication === undefined
      ? ''
      : ` RDS reports its replication as "${member.replication.status}"${member.replication.message ? ` (${member.replication.message})` : ''}.`;
  return (
    `${what} does not accept the ${plan.target.label} password ${waitedMs} ms after its source changed ` +
    `(REPLICATION_WAIT_MS=${plan.boundMs}); ${still}: its replication is stopped or further behind than that.${rds}`
  );
}
