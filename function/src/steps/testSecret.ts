import { currentCandidate, readCandidate } from '../candidates.ts';
import { discoverFleet } from '../discovery.ts';
import { RotationError } from '../errors.ts';
import { checkFleet } from '../fleet.ts';
import { describeFailures, failedReports } from '../instances.ts';
import { logger } from '../logger.ts';
import { PENDING, PREVIOUS } from '../staging.ts';
import type { StepContext, StepOutcome } from './context.ts';
import { type KnownPasswords, planTowards, provisionPassword } from './known.ts';
import { abandonOnFailure } from './rollback.ts';
import { summarise } from './summary.ts';

/**
 * Logs in with the pending password on every instance, on a new connection each; replicas
 * lagging behind are waited for. An instance changed back to the current password since
 * setSecret (an application password reset that raced the rotation) is brought to the pending
 * one again, as setSecret would; a new instance with the default provision password awaits its
 * reset and fails nothing. A pending version without a value (createSecret never stored one)
 * tests the current credentials instead.
 */
export async function testSecret(ctx: StepContext): Promise<StepOutcome> {
  // Independent reads: in parallel they cost one round trip instead of two.
  const [pendingVersion, current] = await Promise.all([
    ctx.staging.read(PENDING, ctx.token),
    ctx.staging.readCurrent(),
  ]);
  // Not discoverOrAbandon: setSecret has moved every instance to the pending password, so
  // removing AWSPENDING here would leave them on a password no label holds. The rotation stays
  // in progress instead and Secrets Manager retries it.
  const members = await discoverFleet(ctx.config, ctx.rds);
  const username = current.credentials.username;
  const run = { work: ctx.work, phase: 'testSecret', replicationWaitMs: ctx.config.replicationWaitMs };
  const provision = provisionPassword(ctx);
  if (pendingVersion === undefined) {
    logger.info('the pending version has no value: testing the current credentials instead');
    const reports = await checkFleet(
      members,
      { username, target: currentCandidate(current), order: [], candidates: [], provision },
      run,
      { catchUp: false },
    );
    if (failedReports(reports).length > 0) {
      throw new RotationError(`testSecret: the current credentials fail on: ${describeFailures(reports)}`);
    }
    return { outcome: 'done', message: summarise(reports, 'current'), instances: reports };
  }
  const known: KnownPasswords = {
    username,
    current: currentCandidate(current),
    pending: { label: 'pending', password: pendingVersion.credentials.password },
    previous: await readCandidate(ctx.staging, PREVIOUS, username),
    provision,
  };
  const reports = await checkFleet(members, planTowards(known, 'pending', ['current', 'previous']), run, {
    catchUp: true,
  });
  await abandonOnFailure(ctx, 'testSecret', members, reports, known);
  return { outcome: 'done', message: summarise(reports, 'pending'), instances: reports };
}
