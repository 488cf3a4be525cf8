import type { RDSClient } from '@aws-sdk/client-rds';
import type { Config, SecretEntry } from './config.ts';
import { SecretStateError, SecretValueError } from './errors.ts';
import { type Deadline, type InstanceReport, instanceWork } from './instances.ts';
import { logger } from './logger.ts';
import type { RotationStep } from './protocol.ts';
import { CURRENT, PENDING, type SecretDescription, type SecretStaging } from './staging.ts';
import { finishAlternatingSecret, setAlternatingSecret, testAlternatingSecret } from './steps/alternating.ts';
import { removePending, type StepContext, type StepOutcome } from './steps/context.ts';
import { createSecret } from './steps/createSecret.ts';
import { finishSecret } from './steps/finishSecret.ts';
import { setSecret } from './steps/setSecret.ts';
import { testSecret } from './steps/testSecret.ts';

/** What one rotation step runs with; environment.ts builds it per invocation. */
export interface RotationEnvironment {
  config: Config;
  /** The served secret the step works on, with its password rules and strategy. */
  secret: SecretEntry;
  staging: SecretStaging;
  rds: RDSClient;
  deadline: Deadline;
}

/** What a step returns to its caller and logs: never a password. */
export interface StepResult {
  step: RotationStep;
  secretId: string;
  token: string;
  outcome: StepOutcome['outcome'];
  message: string;
  instances: InstanceReport[];
}

/**
 * Runs one step of the rotation for version `token`, after checking that the version's labels
 * allow it: a step for a version that is already AWSCURRENT does nothing (Secrets Manager repeats
 * steps), one for a version that is not AWSPENDING is refused.
 */
export async function runRotationStep(
  env: RotationEnvironment,
  step: RotationStep,
  token: string,
  rotationToken?: string,
): Promise<StepResult> {
  const description = await env.staging.describe();
  const stages = description.versions[token];
  if (stages === undefined) {
    throw new SecretStateError(
      `version ${token} is not a version of secret ${description.name}; nothing was changed`,
    );
  }
  const ctx: StepContext = {
    config: env.config,
    secret: env.secret,
    staging: env.staging,
    rds: env.rds,
    work: instanceWork(env.config, env.deadline),
    token,
  };
  if (stages.includes(CURRENT)) {
    // A repeated step after finishSecret; finishSecret may have died before removing AWSPENDING.
    if (step === 'finishSecret' && stages.includes(PENDING)) await env.staging.removeStage(PENDING, token);
    logger.info('version is already AWSCURRENT, nothing to do', { versionStages: stages });
    return result(ctx, step, {
      outcome: 'nothing-to-do',
      message: `version ${token} is already AWSCURRENT`,
      instances: [],
    });
  }
  if (!stages.includes(PENDING)) {
    throw new SecretStateError(
      `version ${token} of secret ${description.name} is not AWSPENDING (its labels: ${stages.join(', ') || 'none'}); ` +
        'the rotation was abandoned or rolled back. Start a new rotation.',
    );
  }
  return result(ctx, step, await runStep(ctx, step, description, rotationToken));
}

async function runStep(
  ctx: StepContext,
  step: RotationStep,
  description: SecretDescription,
  rotationToken: string | undefined,
): Promise<StepOutcome> {
  try {
    if (ctx.secret.strategy === 'alternating-users') {
      switch (step) {
        case 'createSecret':
          return await createSecret(ctx, rotationToken);
        case 'setSecret':
          return await setAlternatingSecret(ctx);
        case 'testSecret':
          return await testAlternatingSecret(ctx);
        case 'finishSecret':
          return await finishAlternatingSecret(ctx, description);
      }
    }
    switch (step) {
      case 'createSecret':
        return await createSecret(ctx, rotationToken);
      case 'setSecret':
        return await setSecret(ctx);
      case 'testSecret':
        return await testSecret(ctx);
      case 'finishSecret':
        return await finishSecret(ctx, description);
    }
  } catch (error) {
    // A bad secret value does not get better by retrying: free the way for the next rotation.
    if (error instanceof SecretValueError) {
      await removePending(ctx);
      throw new SecretValueError(`${error.message}. Nothing was changed and AWSPENDING was removed.`, {
        cause: error,
      });
    }
    throw error;
  }
}

function result(ctx: StepContext, step: RotationStep, outcome: StepOutcome): StepResult {
  logger.info(`${step} ${outcome.outcome}`, {
    summary: outcome.message,
    instanceCount: outcome.instances.length,
  });
  return { step, secretId: ctx.staging.secretId, token: ctx.token, ...outcome };
}
