import { type AdministratorLookup, administrators } from '../administrator.ts';
import type { Candidate } from '../candidates.ts';
import { discoverFleet } from '../discovery.ts';
import { ConfigError, RotationError, SecretStateError, SecretValueError } from '../errors.ts';
import { checkFleet, type FleetPlan, workFleet } from '../fleet.ts';
import {
  Deadline,
  describeFailures,
  failedReports,
  forEachInstance,
  type InstanceReport,
} from '../instances.ts';
import { logger } from '../logger.ts';
import type { RotationStep } from '../protocol.ts';
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  type SecretDescription,
  type SecretVersion,
  versionWithStage,
} from '../staging.ts';
import { type FleetMember, WRITTEN_ROLES } from '../topology.ts';
import { bringOtherUserInStep, restoreOtherUser } from '../userClone.ts';
import { baseUser, otherUser } from '../userNames.ts';
import { removePending, type StepContext, type StepOutcome } from './context.ts';
import { awaitSecretReplication } from './secretReplication.ts';
import { discoverOrAbandon } from './setSecret.ts';
import { summarise } from './summary.ts';
import { testSecret } from './testSecret.ts';

/**
 * The alternating-users strategy's setSecret, testSecret and finishSecret. AWSCURRENT names the
 * user the application works with; AWSPENDING names the other user of the pair, which an
 * administrator brings in step with it and gives the new password. The current user is never
 * changed, so it keeps working whatever happens; after finishSecret the old one stays as it was
 * until the next rotation, and AWSPREVIOUS still works.
 */

/** What the labels say: the two users, the pending password, and the way back for the other user. */
interface Pair {
  current: string;
  other: string;
  pending: Candidate;
  /** The password AWSPREVIOUS holds for the other user; undefined when no label names it. */
  previous: Candidate | undefined;
  base: string;
}

async function readPair(ctx: StepContext, step: RotationStep): Promise<Pair> {
  const [currentVersion, pendingVersion, previousVersion] = await Promise.all([
    ctx.staging.readCurrent(),
    ctx.staging.read(PENDING, ctx.token),
    ctx.staging.read(PREVIOUS).catch((error: unknown): SecretVersion | undefined => {
      logger.warn('ignoring the AWSPREVIOUS version', { error: String((error as Error)?.name) });
      return undefined;
    }),
  ]);
  if (pendingVersion === undefined) {
    throw new SecretStateError(`version ${ctx.token} has no value yet: createSecret must run before ${step}`);
  }
  const suffix = ctx.config.alternatingUserSuffix;
  const current = currentVersion.credentials.username;
  const other = otherUser(current, suffix);
  if (pendingVersion.credentials.username !== other) {
    throw new SecretValueError(
      `the pending version names user "${pendingVersion.credentials.username}", but with the alternating-users ` +
        `strategy it must name "${other}", the other user of "${current}" (AWSCURRENT); refusing to rotate`,
    );
  }
  const previousPassword =
    previousVersion?.credentials.username === other ? previousVersion.credentials.password : undefined;
  return {
    current,
    other,
    pending: { label: 'pending', password: pendingVersion.credentials.password },
    previous: previousPassword === undefined ? undefined : { label: 'previous', password: previousPassword },
    base: baseUser(current, suffix),
  };
}

/** The administrators of this invocation; an entry with no way to find one is a configuration error. */
async function administratorsOf(ctx: StepContext): Promise<AdministratorLookup> {
  const lookup = administrators(ctx.config, ctx.staging, ctx.rds);
  if (lookup === undefined) {
    throw new ConfigError(
      'ADMIN_SECRET_ID',
      'is not set, and the alternating-users strategy needs an administrator (static endpoints have no ' +
        'RDS-managed master secret): give the module admin_secret_arn, or for RDS instances set ' +
        'use_rds_managed_master_secrets',
    );
  }
  // One administrator for every instance: a missing or malformed secret stops the step before any change.
  if (ctx.config.adminSecretId !== undefined) {
    try {
      await lookup('');
    } catch (error) {
      await removePending(ctx);
      throw error;
    }
  }
  return lookup;
}

function planOf(pair: Pair): FleetPlan {
  return {
    username: pair.other,
    target: pair.pending,
    order: [],
    // What a replica may still accept for the other user until the change reaches it.
    candidates: pair.previous === undefined ? [] : [pair.previous],
    provision: async () => undefined,
  };
}

/**
 * Brings the other user in step on every written instance (created where missing, grants equal
 * to the current user's, the pending password), then waits for replicas and readers to accept it.
 */
export async function setAlternatingSecret(ctx: StepContext): Promise<StepOutcome> {
  const pair = await readPair(ctx, 'setSecret');
  const admins = await administratorsOf(ctx);
  const members = await discoverOrAbandon(ctx);
  const run = { work: ctx.work, phase: 'setSecret', replicationWaitMs: ctx.config.replicationWaitMs };
  const reports = await workFleet(
    members,
    planOf(pair),
    run,
    async (member) =>
      bringOtherUserInStep(
        member,
        await admins(member.id),
        {
          current: pair.current,
          other: pair.other,
          target: pair.pending,
          suffix: ctx.config.alternatingUserSuffix,
        },
        ctx.work.connect,
      ),
    { dryRun: false },
  );
  await rollBackOnFailure(ctx, 'setSecret', members, reports, pair, admins);
  return {
    outcome: 'done',
    message: `user ${pair.other} is in step with ${pair.current}; ${summarise(reports, 'pending')}`,
    instances: reports,
  };
}

/** Logs in as the pending user with the pending password everywhere, on a new connection each. */
export async function testAlternatingSecret(ctx: StepContext): Promise<StepOutcome> {
  const pendingVersion = await ctx.staging.read(PENDING, ctx.token);
  // Without a pending value there is no other user to test: the current credentials are tested.
  if (pendingVersion === undefined) return testSecret(ctx);
  const pair = await readPair(ctx, 'testSecret');
  const members = await discoverFleet(ctx.config, ctx.rds);
  const reports = await checkPending(ctx, 'testSecret', members, pair);
  return {
    outcome: 'done',
    message: `user ${pair.other}: ${summarise(reports, 'pending')}`,
    instances: reports,
  };
}

/** Moves AWSCURRENT to the pending version once every instance accepts its user and password. */
export async function finishAlternatingSecret(
  ctx: StepContext,
  description: SecretDescription,
): Promise<StepOutcome> {
  const currentVersionId = versionWithStage(description, CURRENT);
  if (currentVersionId === undefined) {
    throw new SecretStateError(`secret ${description.name} has no AWSCURRENT version; nothing was changed`);
  }
  const pair = await readPair(ctx, 'finishSecret');
  const members = await discoverFleet(ctx.config, ctx.rds);
  const reports = await checkPending(ctx, 'finishSecret', members, pair);
  const started = Date.now();
  await ctx.staging.promote(ctx.token, currentVersionId);
  logger.info('AWSCURRENT moved', { newCurrent: ctx.token, newPrevious: currentVersionId, user: pair.other });
  await awaitSecretReplication(ctx, description, started, 'AWSCURRENT was moved');
  await ctx.staging.removeStage(PENDING, ctx.token);
  const replication = await awaitSecretReplication(ctx, description, started, 'AWSPENDING was removed');
  return {
    outcome: 'done',
    message:
      `version ${ctx.token} is now AWSCURRENT, user ${pair.other}; ${pair.current} keeps working as AWSPREVIOUS ` +
      `until the next rotation; ${summarise(reports, 'new current')}${replication}`,
    instances: reports,
  };
}

async function checkPending(
  ctx: StepContext,
  step: RotationStep,
  members: FleetMember[],
  pair: Pair,
): Promise<InstanceReport[]> {
  const reports = await checkFleet(
    members,
    planOf(pair),
    { work: ctx.work, phase: step, replicationWaitMs: ctx.config.replicationWaitMs },
    { catchUp: false },
  );
  if (failedReports(reports).length > 0) {
    await rollBackOnFailure(
      ctx,
      step,
      members,
      reports,
      pair,
      administrators(ctx.config, ctx.staging, ctx.rds),
    );
  }
  return reports;
}

/**
 * When any instance failed: on every written instance the other user gets back the password
 * AWSPREVIOUS holds for it, or is dropped when no label names it (this rotation created it; the
 * base user is never dropped). Replicas follow their sources. AWSPENDING is removed and the error
 * names each failure. The current user was never changed, so the application keeps working.
 */
async function rollBackOnFailure(
  ctx: StepContext,
  step: RotationStep,
  members: FleetMember[],
  reports: InstanceReport[],
  pair: Pair,
  admins: AdministratorLookup | undefined,
): Promise<void> {
  if (failedReports(reports).length === 0) return;
  logger.error(`${step} failed, rolling back user ${pair.other} on every written instance`, {
    failed: failedReports(reports).map((report) => report.instance),
  });
  const written = members.filter((member) => WRITTEN_ROLES.has(member.role));
  const rollback =
    admins === undefined
      ? []
      : await forEachInstance(
          written,
          async (member) =>
            restoreOtherUser(
              member,
              await admins(member.id),
              { other: pair.other, previous: pair.previous, base: pair.base },
              ctx.work.connect,
            ),
          // The rollback runs whatever time is left.
          { ...ctx.work.run('rollback'), deadline: Deadline.unlimited() },
        );
  await removePending(ctx);
  const undone =
    pair.previous === undefined
      ? pair.other === pair.base
        ? `user ${pair.other} was left as it is (the base user is never dropped)`
        : `user ${pair.other}, which no label names, was dropped`
      : `user ${pair.other} is back on the password AWSPREVIOUS holds for it`;
  const rolledBack = rollback.length - failedReports(rollback).length;
  const failedRollback = failedReports(rollback);
  const what =
    step === 'finishSecret'
      ? `finishSecret did not move AWSCURRENT: not every instance accepts user ${pair.other} with the pending password`
      : `${step} failed`;
  throw new RotationError(
    `${what} on ${describeFailures(reports)}. AWSPENDING was removed; user ${pair.current} (AWSCURRENT) was not ` +
      `changed and keeps working. Rollback: ${undone} on ${rolledBack} of ${rollback.length} written instance(s)` +
      (failedRollback.length > 0
        ? `; not rolled back on ${describeFailures(failedRollback)} (run "verify" once they are reachable)`
        : '') +
      '.',
  );
}
