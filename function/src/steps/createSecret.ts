import { logger, registerSensitive } from '../logger.ts';
import { generatePassword } from '../password.ts';
import { type Credentials, PENDING } from '../staging.ts';
import { checkUserNames, otherUser } from '../userNames.ts';
import type { StepContext, StepOutcome } from './context.ts';

/**
 * Stores a new password as the value of the AWSPENDING version, keeping every other key of the
 * current value. A repeated call finds the value already there and keeps it: setSecret may
 * already have put it on instances.
 */
export async function createSecret(ctx: StepContext, rotationToken?: string): Promise<StepOutcome> {
  const current = await ctx.staging.readCurrent();
  const existing = await ctx.staging.read(PENDING, ctx.token);
  if (existing !== undefined) {
    logger.info('pending value already exists, reusing it (a repeated createSecret)');
    return { outcome: 'nothing-to-do', message: 'the pending version already has a value', instances: [] };
  }
  const password = generatePassword(ctx.secret.passwordLength, ctx.secret.passwordExcludeChars);
  registerSensitive(password);
  const pending: Credentials = {
    ...current.credentials,
    username: nextUsername(ctx, current.credentials.username),
    password,
  };
  await ctx.staging.putPending(ctx.token, pending, rotationToken);
  logger.info('new pending password stored', { username: pending.username });
  return {
    outcome: 'done',
    message: 'a new password was generated and stored as AWSPENDING',
    instances: [],
  };
}

/**
 * Single-user keeps the user; alternating-users names the other user of the pair, whose name
 * must fit every engine the configuration may meet (setSecret checks each server's own again).
 */
function nextUsername(ctx: StepContext, current: string): string {
  if (ctx.secret.strategy !== 'alternating-users') return current;
  const suffix = ctx.config.alternatingUserSuffix;
  checkUserNames(current, suffix, ctx.config.engines);
  return otherUser(current, suffix);
}
