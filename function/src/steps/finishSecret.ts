import { SecretStateError } from '../errors.ts';
import { logger } from '../logger.ts';
import { CURRENT, PENDING, type SecretDescription, versionWithStage } from '../staging.ts';
import type { StepContext, StepOutcome } from './context.ts';

/** Moves AWSCURRENT to the new version (the old one becomes AWSPREVIOUS) and removes AWSPENDING. */
export async function finishSecret(ctx: StepContext, description: SecretDescription): Promise<StepOutcome> {
  const currentVersionId = versionWithStage(description, CURRENT);
  if (currentVersionId === undefined) {
    throw new SecretStateError(`secret ${description.name} has no AWSCURRENT version; nothing was changed`);
  }
  await ctx.staging.promote(ctx.token, currentVersionId);
  await ctx.staging.removeStage(PENDING, ctx.token);
  logger.info('rotation finished', { newCurrent: ctx.token, newPrevious: currentVersionId });
  return { outcome: 'done', message: `version ${ctx.token} is now AWSCURRENT`, instances: [] };
}
