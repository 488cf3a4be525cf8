import { RotationError } from '../errors.ts';
import { bringFleetTo } from '../fleet.ts';
import { Deadline, describeFailures, failedReports, type InstanceReport } from '../instances.ts';
import { logger } from '../logger.ts';
import type { RotationStep } from '../protocol.ts';
import type { FleetMember } from '../topology.ts';
import { removePending, type StepContext } from './context.ts';
import { type KnownPasswords, planTowards } from './known.ts';

/** Outcomes that mean "this instance accepts the password", each measured by a login. */
const ACCEPTING = new Set<InstanceReport['outcome']>(['changed', 'unchanged', 'verified', 'replicated']);

/**
 * When any instance failed: every instance is brought back to the current password (decided by
 * what each database accepts now, so an earlier crashed attempt is repaired too), AWSPENDING is
 * removed, and the error names each failed instance. Sources are written, replicas waited for,
 * as in setSecret. Application access wins over rotation.
 */
export async function abandonOnFailure(
  ctx: StepContext,
  step: RotationStep,
  members: FleetMember[],
  reports: InstanceReport[],
  known: KnownPasswords,
): Promise<void> {
  if (failedReports(reports).length === 0) return;
  logger.error(`${step} failed, rolling back every instance to the current password`, {
    failed: failedReports(reports).map((report) => report.instance),
  });
  const rollback = await bringFleetTo(
    members,
    planTowards(known, 'current', ['current', 'pending', 'previous']),
    // The rollback runs whatever time is left: an instance left on the pending password is worse.
    {
      work: ctx.work,
      phase: 'rollback',
      replicationWaitMs: ctx.config.replicationWaitMs,
      deadline: Deadline.unlimited(),
    },
  );
  await removePending(ctx);
  const what =
    step === 'finishSecret'
      ? 'finishSecret did not move AWSCURRENT: not every instance accepts the pending password'
      : `${step} failed`;
  const replays = reports.some((report) => report.errorKind === 'replication')
    ? ' A replica behind its source replays the change and then the rollback once it catches up: in between ' +
      'it refuses the current password for about as long as this rotation took to roll back.'
    : '';
  throw new RotationError(`${what} on ${describeFailures(reports)}. ${describeRollback(rollback)}${replays}`);
}

/**
 * What the rollback left, every count measured by a login. An instance the rollback cannot
 * reach was most likely never changed (it is usually the one that failed in the first place); a
 * replica not back yet follows its source once its replication catches up; one that answers but
 * accepts no known password needs a person.
 */
export function describeRollback(rollback: InstanceReport[]): string {
  const failed = failedReports(rollback);
  const accepting = rollback.filter((report) => ACCEPTING.has(report.outcome));
  const awaiting = rollback.filter((report) => report.outcome === 'awaiting-reset');
  const unchecked = (report: InstanceReport) =>
    report.errorKind === 'transient' || report.errorKind === 'tls';
  const lagging = (report: InstanceReport) =>
    report.errorKind === 'replication' || report.errorKind === 'source';
  const unreachable = failed.filter(unchecked);
  const behind = failed.filter(lagging);
  const broken = failed.filter((report) => !unchecked(report) && !lagging(report));
  const names = (reports: InstanceReport[]) => reports.map((report) => report.instance).join(', ');
  const parts = [
    'AWSPENDING was removed and the secret keeps its current password; ' +
      `${accepting.length} of ${rollback.length} instance(s) accept it.`,
  ];
  if (awaiting.length > 0) {
    parts.push(
      `New instance(s) with the default provision password, left as they were: ${names(awaiting)}; ` +
        'the application password reset ("reset") gives them the current password.',
    );
  }
  if (unreachable.length > 0) {
    parts.push(
      'Could not be checked by the rollback (unreachable or TLS refused): ' +
        `${names(unreachable)}; run the "verify" action once they are ` +
        'reachable (and "heal" if they refuse the current password).',
    );
  }
  if (behind.length > 0) {
    parts.push(
      `Replicas not back on the current password yet: ${describeFailures(behind)}. They take it from their ` +
        'source once their replication catches up (a replica far behind first replays the change and then the ' +
        'rollback): check their replication, then run "verify".',
    );
  }
  if (broken.length > 0) {
    parts.push(
      `MANUAL ACTION NEEDED: the rollback failed on ${describeFailures(broken)}; ` +
        'these instances may not accept the current password. Run the "heal" action.',
    );
  }
  return parts.join(' ');
}
