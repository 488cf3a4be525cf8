import type { DbInstance } from '../database.ts';
import { discoverInstances } from '../discovery.ts';
import { DiscoveryError } from '../errors.ts';
import { forEachInstance } from '../instances.ts';
import { logger } from '../logger.ts';
import { bringToPassword } from '../passwordSetter.ts';
import { removePending, type StepContext, type StepOutcome } from './context.ts';
import { readKnownPasswords } from './known.ts';
import { abandonOnFailure } from './rollback.ts';

/**
 * Brings every instance to the pending password, logging in with whichever known password each
 * accepts now; when any instance fails, every instance goes back to the current password.
 */
export async function setSecret(ctx: StepContext): Promise<StepOutcome> {
  const known = await readKnownPasswords(ctx);
  const instances = await discoverOrAbandon(ctx);
  const candidates = [known.previous, known.current].filter((candidate) => candidate !== undefined);
  const reports = await forEachInstance(
    instances,
    async (instance) =>
      bringToPassword(
        instance,
        {
          username: known.username,
          target: known.pending,
          order: ['current', 'pending', 'previous'],
          candidates,
        },
        ctx.work.connect,
      ),
    ctx.work.run('setSecret'),
  );
  await abandonOnFailure(ctx, 'setSecret', instances, reports, known);
  return {
    outcome: 'done',
    message: `the pending password is set on ${instances.length} instance(s)`,
    instances: reports,
  };
}

/**
 * Discovery refused the instance set (DiscoveryError): the pending label goes so that a new
 * rotation can start. An AWS API error (throttling, 5xx) keeps it: an earlier attempt of this
 * rotation may have moved instances to the pending password, and Secrets Manager retries.
 */
async function discoverOrAbandon(ctx: StepContext): Promise<DbInstance[]> {
  try {
    const instances = await discoverInstances(ctx.config, ctx.rds);
    logger.info('instances discovered', { count: instances.length, instances: instances.map((i) => i.id) });
    return instances;
  } catch (error) {
    if (error instanceof DiscoveryError) await removePending(ctx);
    throw error;
  }
}
