import type { RDSClient } from '@aws-sdk/client-rds';
import type { Config, SecretEntry } from '../config.ts';
import type { InstanceReport, InstanceWork } from '../instances.ts';
import { logger } from '../logger.ts';
import { PENDING, type SecretStaging } from '../staging.ts';
import { errorMessage } from '../text.ts';

/** What every step works with: built once per invocation by runRotationStep. */
export interface StepContext {
  config: Config;
  /** The served secret: its entry's password rules and strategy apply. */
  secret: SecretEntry;
  staging: SecretStaging;
  rds: RDSClient;
  work: InstanceWork;
  /** The version the rotation works on (the event's ClientRequestToken). */
  token: string;
}

/** What a step did, without a password; runRotationStep adds the step, secret and token. */
export interface StepOutcome {
  outcome: 'done' | 'nothing-to-do';
  message: string;
  instances: InstanceReport[];
}

/**
 * Takes AWSPENDING off the version so that a new rotation can start. A failure is logged, not
 * thrown: the caller is already failing for a better reason, which must reach the operator.
 */
export async function removePending(ctx: Pick<StepContext, 'staging' | 'token'>): Promise<void> {
  try {
    await ctx.staging.removeStage(PENDING, ctx.token);
    logger.info('AWSPENDING removed', { versionId: ctx.token });
  } catch (error) {
    logger.error('could not remove AWSPENDING; the next rotation will fail until it is removed', {
      versionId: ctx.token,
      error: errorMessage(error),
    });
  }
}
