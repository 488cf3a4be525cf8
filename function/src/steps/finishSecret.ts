import { discoverFleet } from '../discovery.ts';
import { SecretStateError } from '../errors.ts';
import { checkFleet } from '../fleet.ts';
import { logger } from '../logger.ts';
import { CURRENT, PENDING, type SecretDescription, versionWithStage } from '../staging.ts';
import type { StepContext, StepOutcome } from './context.ts';
import { planTowards, readKnownPasswords } from './known.ts';
import { abandonOnFailure } from './rollback.ts';
import { awaitSecretReplication } from './secretReplication.ts';
import { summarise } from './summary.ts';

/**
 * Moves AWSCURRENT to the new version (the old one becomes AWSPREVIOUS) and removes AWSPENDING,
 * but only once every instance accepts the pending password, checked with a new login each:
 * whoever invokes it, AWSCURRENT never points at a password an instance refuses. A new instance
 * with the default provision password does not count (its reset gives it the new current
 * password); any other refusal rolls the rotation back, as testSecret would, and AWSCURRENT
 * stays. finishSecret changes no password itself. Then it waits for the secret's replica regions.
 */
export async function finishSecret(ctx: StepContext, description: SecretDescription): Promise<StepOutcome> {
  const currentVersionId = versionWithStage(description, CURRENT);
  if (currentVersionId === undefined) {
    throw new SecretStateError(`secret ${description.name} has no AWSCURRENT version; nothing was changed`);
  }
  const known = await readKnownPasswords(ctx, 'finishSecret');
  // An unavailable instance keeps AWSPENDING (as in testSecret): Secrets Manager retries.
  const members = await discoverFleet(ctx.config, ctx.rds);
  const reports = await checkFleet(
    members,
    planTowards(known, 'pending', ['current', 'previous']),
    { work: ctx.work, phase: 'finishSecret', replicationWaitMs: ctx.config.replicationWaitMs },
    { catchUp: false },
  );
  await abandonOnFailure(ctx, 'finishSecret', members, reports, known);
  const started = Date.now();
  await ctx.staging.promote(ctx.token, currentVersionId);
  logger.info('AWSCURRENT moved', { newCurrent: ctx.token, newPrevious: currentVersionId });
  // Two label changes in quick succession can leave a replica region stuck: the second waits.
  await awaitSecretReplication(ctx, description, started, 'AWSCURRENT was moved');
  await ctx.staging.removeStage(PENDING, ctx.token);
  const replication = await awaitSecretReplication(ctx, description, started, 'AWSPENDING was removed');
  logger.info('rotation finished', { newCurrent: ctx.token, newPrevious: currentVersionId });
  return {
    outcome: 'done',
    message: `version ${ctx.token} is now AWSCURRENT; ${summarise(reports, 'new current')}${replication}`,
    instances: reports,
  };
}
