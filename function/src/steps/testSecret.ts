import { type Candidate, currentCandidate, readCandidate } from '../candidates.ts';
import { discoverInstances } from '../discovery.ts';
import { RotationError } from '../errors.ts';
import { describeFailures, failedReports, forEachInstance } from '../instances.ts';
import { logger } from '../logger.ts';
import { verifyLogin } from '../passwordSetter.ts';
import { PENDING, PREVIOUS } from '../staging.ts';
import type { StepContext, StepOutcome } from './context.ts';
import { abandonOnFailure } from './rollback.ts';

/**
 * Logs in with the pending password on every instance, on a new connection each. A pending
 * version without a value (createSecret never stored one) tests the current credentials instead.
 */
export async function testSecret(ctx: StepContext): Promise<StepOutcome> {
  const pendingVersion = await ctx.staging.read(PENDING, ctx.token);
  const current = await ctx.staging.readCurrent();
  // Not discoverOrAbandon: setSecret has moved every instance to the pending password, so
  // removing AWSPENDING here would leave them on a password no label holds. The rotation stays
  // in progress instead and Secrets Manager retries it.
  const instances = await discoverInstances(ctx.config, ctx.rds);
  const testing = pendingVersion ?? current;
  if (pendingVersion === undefined) {
    logger.info('the pending version has no value: testing the current credentials instead');
  }
  const username = testing.credentials.username;
  const target: Candidate =
    pendingVersion === undefined
      ? currentCandidate(current)
      : { label: 'pending', password: pendingVersion.credentials.password };
  const reports = await forEachInstance(
    instances,
    async (instance) => {
      await verifyLogin(instance, username, target, ctx.work.connect);
      return { outcome: 'verified' };
    },
    ctx.work.run('testSecret'),
  );
  if (pendingVersion !== undefined) {
    const currentUser = current.credentials.username;
    await abandonOnFailure(ctx, 'testSecret', instances, reports, {
      username: currentUser,
      current: currentCandidate(current),
      pending: target,
      previous: await readCandidate(ctx.staging, PREVIOUS, currentUser),
    });
  } else if (failedReports(reports).length > 0) {
    throw new RotationError(`testSecret: the current credentials fail on: ${describeFailures(reports)}`);
  }
  return {
    outcome: 'done',
    message: `${target.label} credentials work on ${instances.length} instance(s)`,
    instances: reports,
  };
}
