import type { RDSClient } from '@aws-sdk/client-rds';
import type { Config } from './config.ts';
import type { ConnectOptions, DbInstance } from './database.ts';
import { discoverInstances } from './discovery.ts';
import { DiscoveryError, errorMessage, RotationError, SecretStateError, SecretValueError } from './errors.ts';
import {
  Deadline,
  describeFailures,
  failedReports,
  forEachInstance,
  type InstanceReport,
  type RunOptions,
} from './instances.ts';
import { logger, registerSensitive } from './logger.ts';
import { generatePassword } from './password.ts';
import { bringToPassword, type Candidate, verifyLogin } from './passwordSetter.ts';
import {
  type Credentials,
  CURRENT,
  PENDING,
  PREVIOUS,
  type SecretDescription,
  type SecretStaging,
  versionWithStage,
} from './staging.ts';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
export const ROTATION_STEPS: readonly RotationStep[] = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
];

export interface RotationEnvironment {
  config: Config;
  staging: SecretStaging;
  rds: RDSClient;
  deadline: Deadline;
}

/** What a step returns to its caller and logs: never a password. */
export interface StepResult {
  step: RotationStep;
  secretId: string;
  token: string;
  outcome: 'done' | 'nothing-to-do';
  message: string;
  instances: InstanceReport[];
}

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
  if (stages.includes(CURRENT)) {
    // A repeated step after finishSecret; finishSecret may have died before removing AWSPENDING.
    if (step === 'finishSecret' && stages.includes(PENDING)) await env.staging.removeStage(PENDING, token);
    logger.info('version is already AWSCURRENT, nothing to do', { versionStages: stages });
    return result(env, step, token, 'nothing-to-do', `version ${token} is already AWSCURRENT`);
  }
  if (!stages.includes(PENDING)) {
    throw new SecretStateError(
      `version ${token} of secret ${description.name} is not AWSPENDING (its labels: ${stages.join(', ') || 'none'}); ` +
        'the rotation was abandoned or rolled back. Start a new rotation.',
    );
  }
  try {
    switch (step) {
      case 'createSecret':
        return await createSecret(env, token, rotationToken);
      case 'setSecret':
        return await setSecret(env, token);
      case 'testSecret':
        return await testSecret(env, token);
      case 'finishSecret':
        return await finishSecret(env, description, token);
    }
  } catch (error) {
    // A bad secret value does not get better by retrying: free the way for the next rotation.
    if (error instanceof SecretValueError) {
      await removePending(env, token);
      throw new SecretValueError(`${error.message}. Nothing was changed and AWSPENDING was removed.`);
    }
    throw error;
  }
}

async function createSecret(
  env: RotationEnvironment,
  token: string,
  rotationToken?: string,
): Promise<StepResult> {
  const current = await env.staging.readCurrent();
  const existing = await env.staging.read(PENDING, token);
  if (existing !== undefined) {
    logger.info('pending value already exists, reusing it (a repeated createSecret)');
    return result(env, 'createSecret', token, 'nothing-to-do', 'the pending version already has a value');
  }
  const password = generatePassword(env.config.passwordLength, env.config.passwordExcludeChars);
  registerSensitive(password);
  const pending: Credentials = { ...current.credentials, password };
  await env.staging.putPending(token, pending, rotationToken);
  logger.info('new pending password stored', { username: pending.username });
  return result(env, 'createSecret', token, 'done', 'a new password was generated and stored as AWSPENDING');
}

async function setSecret(env: RotationEnvironment, token: string): Promise<StepResult> {
  const { current, pending, previous } = await readForSet(env, token);
  const instances = await discoverOrAbandon(env, token);
  const candidates = [previous, current].filter((candidate) => candidate !== undefined);
  const reports = await forEachInstance(
    instances,
    async (instance) =>
      bringToPassword(
        instance,
        {
          username: current.username,
          target: pending,
          order: ['current', 'pending', 'previous'],
          candidates,
        },
        connectOptions(env.config),
      ),
    runOptions(env, 'setSecret'),
  );
  await abandonOnFailure(env, token, 'setSecret', instances, reports, { current, pending, previous });
  return result(
    env,
    'setSecret',
    token,
    'done',
    `the pending password is set on ${instances.length} instance(s)`,
    reports,
  );
}

async function testSecret(env: RotationEnvironment, token: string): Promise<StepResult> {
  const pendingVersion = await env.staging.read(PENDING, token);
  const current = await env.staging.readCurrent();
  // Not discoverOrAbandon: setSecret has moved every instance to the pending password, so
  // removing AWSPENDING here would leave them on a password no label holds. The rotation stays
  // in progress instead and Secrets Manager retries it.
  const instances = await discoverInstances(env.config, env.rds);
  const testing = pendingVersion ?? current;
  if (pendingVersion === undefined) {
    logger.info('the pending version has no value: testing the current credentials instead');
  }
  const target: Candidate = {
    label: pendingVersion === undefined ? 'current' : 'pending',
    password: testing.credentials.password,
  };
  const reports = await forEachInstance(
    instances,
    async (instance) => {
      await verifyLogin(instance, testing.credentials.username, target, connectOptions(env.config));
      return { outcome: 'verified' };
    },
    runOptions(env, 'testSecret'),
  );
  if (pendingVersion !== undefined) {
    const previous = await readPrevious(env);
    await abandonOnFailure(env, token, 'testSecret', instances, reports, {
      current: {
        label: 'current',
        password: current.credentials.password,
        username: current.credentials.username,
      },
      pending: target,
      previous,
    });
  } else if (failedReports(reports).length > 0) {
    throw new RotationError(`testSecret: the current credentials fail on: ${describeFailures(reports)}`);
  }
  return result(
    env,
    'testSecret',
    token,
    'done',
    `${target.label} credentials work on ${instances.length} instance(s)`,
    reports,
  );
}

async function finishSecret(
  env: RotationEnvironment,
  description: SecretDescription,
  token: string,
): Promise<StepResult> {
  const currentVersionId = versionWithStage(description, CURRENT);
  if (currentVersionId === undefined) {
    throw new SecretStateError(`secret ${description.name} has no AWSCURRENT version; nothing was changed`);
  }
  await env.staging.promote(token, currentVersionId);
  await env.staging.removeStage(PENDING, token);
  logger.info('rotation finished', { newCurrent: token, newPrevious: currentVersionId });
  return result(env, 'finishSecret', token, 'done', `version ${token} is now AWSCURRENT`);
}

interface KnownPasswords {
  current: Candidate & { username: string };
  pending: Candidate;
  previous: Candidate | undefined;
}

async function readForSet(env: RotationEnvironment, token: string): Promise<KnownPasswords> {
  // Three independent reads: in parallel they cost one round trip instead of three.
  const [pendingVersion, current, previous] = await Promise.all([
    env.staging.read(PENDING, token),
    env.staging.readCurrent(),
    readPrevious(env),
  ]);
  if (pendingVersion === undefined) {
    throw new SecretStateError(`version ${token} has no value yet: createSecret must run before setSecret`);
  }
  if (pendingVersion.credentials.username !== current.credentials.username) {
    throw new SecretValueError(
      `the pending version's username "${pendingVersion.credentials.username}" differs from the current username ` +
        `"${current.credentials.username}"; refusing to rotate`,
    );
  }
  return {
    current: {
      label: 'current',
      password: current.credentials.password,
      username: current.credentials.username,
    },
    pending: { label: 'pending', password: pendingVersion.credentials.password },
    previous,
  };
}

/** The previous password is only a way back in for an instance left behind; a bad one is ignored. */
async function readPrevious(env: RotationEnvironment): Promise<Candidate | undefined> {
  try {
    const previous = await env.staging.read(PREVIOUS);
    return previous && { label: 'previous', password: previous.credentials.password };
  } catch (error) {
    logger.warn('ignoring the AWSPREVIOUS version', { error: errorMessage(error) });
    return undefined;
  }
}

/**
 * Discovery refused the instance set (DiscoveryError): the pending label goes so that a new
 * rotation can start. An AWS API error (throttling, 5xx) keeps it: an earlier attempt of this
 * rotation may have moved instances to the pending password, and Secrets Manager retries.
 */
async function discoverOrAbandon(env: RotationEnvironment, token: string): Promise<DbInstance[]> {
  try {
    const instances = await discoverInstances(env.config, env.rds);
    logger.info('instances discovered', { count: instances.length, instances: instances.map((i) => i.id) });
    return instances;
  } catch (error) {
    if (error instanceof DiscoveryError) await removePending(env, token);
    throw error;
  }
}

/**
 * When any instance failed: every instance is brought back to the current password (decided by
 * what each database accepts now, so an earlier crashed attempt is repaired too), AWSPENDING is
 * removed, and the error names each failed instance. Application access wins over rotation.
 */
async function abandonOnFailure(
  env: RotationEnvironment,
  token: string,
  step: RotationStep,
  instances: DbInstance[],
  reports: InstanceReport[],
  known: KnownPasswords,
): Promise<void> {
  if (failedReports(reports).length === 0) return;
  logger.error(`${step} failed, rolling back every instance to the current password`, {
    failed: failedReports(reports).map((report) => report.instance),
  });
  const rollback = await rollBack(env, instances, known);
  await removePending(env, token);
  throw new RotationError(`${step} failed on ${describeFailures(reports)}. ${describeRollback(rollback)}`);
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

async function rollBack(
  env: RotationEnvironment,
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
          username: known.current.username,
          target: known.current,
          order: ['current', 'pending', 'previous'],
          candidates,
        },
        connectOptions(env.config),
      ),
    // The rollback runs whatever time is left: an instance left on the pending password is worse.
    { ...runOptions(env, 'rollback'), deadline: Deadline.unlimited() },
  );
}

async function removePending(env: RotationEnvironment, token: string): Promise<void> {
  try {
    await env.staging.removeStage(PENDING, token);
    logger.info('AWSPENDING removed', { versionId: token });
  } catch (error) {
    logger.error('could not remove AWSPENDING; the next rotation will fail until it is removed', {
      versionId: token,
      error: errorMessage(error),
    });
  }
}

export function connectOptions(config: Config): ConnectOptions {
  return {
    tlsCa: config.tlsCa,
    connectTimeoutMs: config.connectTimeoutMs,
    queryTimeoutMs: config.queryTimeoutMs,
  };
}

export function runOptions(env: Pick<RotationEnvironment, 'config' | 'deadline'>, phase: string): RunOptions {
  const { parallel, retries, retryWaitMs } = env.config;
  return { parallel, retries, retryWaitMs, deadline: env.deadline, phase };
}

function result(
  env: RotationEnvironment,
  step: RotationStep,
  token: string,
  outcome: StepResult['outcome'],
  message: string,
  instances: InstanceReport[] = [],
): StepResult {
  const stepResult = { step, secretId: env.staging.secretId, token, outcome, message, instances };
  logger.info(`${step} ${outcome}`, { summary: message, instanceCount: instances.length });
  return stepResult;
}
