import { discoverFleet } from '../discovery.ts';
import { DiscoveryError } from '../errors.ts';
import { bringFleetTo } from '../fleet.ts';
import { logger } from '../logger.ts';
import type { FleetMember } from '../topology.ts';
import { removePending, type StepContext, type StepOutcome } from './context.ts';
import { planTowards, readKnownPasswords } from './known.ts';
import { abandonOnFailure } from './rollback.ts';
import { summarise } from './summary.ts';

/**
 * Brings every instance to the pending password: each written instance (primary, cluster writer)
 * is changed with whichever known password it accepts now, then every replica and reader is
 * waited for until the change reaches it. When any instance fails, every instance goes back to
 * the current password the same way.
 */
export async function setSecret(ctx: StepContext): Promise<StepOutcome> {
  const known = await readKnownPasswords(ctx, 'setSecret');
  const members = await discoverOrAbandon(ctx);
  const reports = await bringFleetTo(
    members,
    planTowards(known, 'pending', ['current', 'pending', 'previous']),
    { work: ctx.work, phase: 'setSecret', replicationWaitMs: ctx.config.replicationWaitMs },
  );
  await abandonOnFailure(ctx, 'setSecret', members, reports, known);
  return { outcome: 'done', message: summarise(reports, 'pending'), instances: reports };
}

/**
 * Discovery refused the instance set (DiscoveryError): the pending label goes so that a new
 * rotation can start. An AWS API error (throttling, 5xx) keeps it: an earlier attempt of this
 * rotation may have moved instances to the pending password, and Secrets Manager retries.
 */
export async function discoverOrAbandon(ctx: StepContext): Promise<FleetMember[]> {
  try {
    const members = await discoverFleet(ctx.config, ctx.rds, { requireReplicating: true });
    logger.info('instances discovered', {
      count: members.length,
      instances: members.map((member) => `${member.id}:${member.role}`),
    });
    return members;
  } catch (error) {
    if (error instanceof DiscoveryError) await removePending(ctx);
    throw error;
  }
}
