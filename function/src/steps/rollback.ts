import type { DbInstance } from '../database.ts';
import { RotationError } from '../errors.ts';
import {
  Deadline,
  describeFailures,
  failedReports,
  forEachInstance,
  type InstanceReport,
} from '../instances.ts';
import { logger } from '../logger.ts';
import { bringToPassword } from '../passwordSetter.ts';
import type { RotationStep } from '../protocol.ts';
import { removePending, type StepContext } from './context.ts';
import type { KnownPasswords } from './known.ts';

/**
 * When any instance failed: every instance is brought back to the current password (decided by
 * what each database accepts now, so an earlier crashed attempt is repaired too), AWSPENDING is
 * removed, and the error names each failed instance. Application access wins over rotation.
 */
export async function abandonOnFailure(
  ctx: StepContext,
  step: RotationStep,
  instances: DbInstance[],
  reports: InstanceReport[],
  known: KnownPasswords,
): Promise<void> {
  if (failedReports(reports).length === 0) return;
  logger.error(`${step} failed, rolling back every instance to the current password`, {
    failed: failedReports(reports).map((report) => report.instance),
  });
  const rollback = await rollBack(ctx, instances, known);
  await removePending(ctx);
  throw new RotationError(`${step} failed on ${describeFailures(reports)}. ${describeRollback(rollback)}`);
}

async function rollBack(
  ctx: StepContext,
  instances: DbInstance[],
  known: KnownPasswords,
): Promise<InstanceReport[]> {
  const candidates = [known.pending, known.previous].filter((candidate) => candidate !== undefined);
  return forEachInstance(
    instances,
    (instance) =>
      bringToPassword(
        instance,
        {
          username: known.username,
          target: known.current,
          order: ['current', 'pending', 'previous'],
          candidates,
        },
        ctx.work.connect,
      ),
    // The rollback runs whatever time is left: an instance left on the pending password is worse.
    { ...ctx.work.run('rollback'), deadline: Deadline.unlimited() },
  );
}

/**
 * An instance the rollback cannot reach was most likely never changed (it is usually the one that
 * failed in the first place); one that answers but accepts no known password needs a person.
 */
function describeRollback(rollback: InstanceReport[]): string {
  const failed = failedReports(rollback);
  const unchecked = (report: InstanceReport) =>
    report.errorKind === 'transient' || report.errorKind === 'tls';
  const unreachable = failed.filter(unchecked);
  const broken = failed.filter((report) => !unchecked(report));
  const parts = [
    `AWSPENDING was removed and the secret keeps its current password; ` +
      `${rollback.length - failed.length} of ${rollback.length} instance(s) accept it.`,
  ];
  if (unreachable.length > 0) {
    parts.push(
      'Could not be checked by the rollback (unreachable or TLS refused): ' +
        `${unreachable.map((report) => report.instance).join(', ')}; run the "verify" action once they are ` +
        'reachable (and "heal" if they refuse the current password).',
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
