import { DatabaseError, errorMessage } from '../errors.ts';
import { failedReports, type InstanceReport } from '../instances.ts';
import { logger } from '../logger.ts';
import { bringToPassword, type Candidate, type PasswordLabel } from '../passwordSetter.ts';
import { connectOptions } from '../rotation.ts';
import { PENDING, PREVIOUS, type SecretStaging } from '../staging.ts';
import type { HealAnswer, PendingState } from './answers.ts';
import type { ActionEnvironment } from './environment.ts';
import { provisionCandidate, readAbandoned, readCandidate } from './passwords.ts';
import { listVersions, pendingState } from './pending.ts';
import type { ActionRequest } from './request.ts';
import { countOutcomes, dryRunNote, prepareWork, runOnTargets, workAnswer } from './work.ts';

/**
 * Brings every (or every named) instance to AWSCURRENT with whichever of current, pending,
 * previous or the default provision password still works (and, for an instance refusing all of
 * them, the password of a recently rolled-back rotation), then removes a stale AWSPENDING.
 * While a rotation may still be running (a fresh AWSPENDING) it changes nothing: healing
 * would undo the rotation's work under its feet.
 */
export async function heal(request: ActionRequest, env: ActionEnvironment): Promise<HealAnswer> {
  const started = Date.now();
  const threshold = env.config.stalePendingMinutes;
  const { secrets, staging, credentials, targets } = await prepareWork(request, env);
  const description = await staging.describe();
  const { versions, listError } = await listVersions(secrets, description);
  const pending = pendingState(versions, threshold, new Date(), listError);

  if (pending !== null && !pending.stale) {
    const message =
      `a rotation may be in progress (AWSPENDING on version ${pending.versionId}: ${pending.rule}); ` +
      'heal changed nothing. Run it again once the rotation has ended or "status" shows AWSPENDING as stale.';
    const answer = workAnswer(request, request.secretId, started, [], targets, () => message, true);
    const kept = {
      ...pending,
      label: 'kept' as const,
      labelReason: 'a rotation may still be running for it',
    };
    return { ...answer, action: 'heal', pending: kept };
  }

  const { username, password } = credentials;
  const candidates = [
    pending && !pending.onCurrent
      ? await readCandidate(staging, PENDING, username, pending.versionId)
      : undefined,
    await readCandidate(staging, PREVIOUS, username),
    provisionCandidate(env.config),
  ].filter((candidate): candidate is Candidate => candidate !== undefined);
  const abandoned = await readAbandoned(secrets, description.arn, versions, username);
  logger.info('heal candidates', {
    candidates: candidates.map((c) => c.label),
    abandonedVersions: abandoned.length,
  });

  const options = connectOptions(env.config);
  const reports = await runOnTargets(env, request, targets, async (instance) => {
    const plan = {
      username,
      target: { label: 'current' as const, password },
      order: ['current', 'pending', 'previous', 'provision'] as PasswordLabel[],
      candidates,
      dryRun: request.dryRun,
    };
    try {
      return await bringToPassword(instance, plan, options);
    } catch (error) {
      if (!(error instanceof DatabaseError && error.kind === 'auth') || abandoned.length === 0) throw error;
      // Only an instance that refuses every labelled password pays these extra logins.
      for (const candidate of abandoned) {
        try {
          return await bringToPassword(
            instance,
            { ...plan, order: ['abandoned'], candidates: [candidate] },
            options,
          );
        } catch (inner) {
          if (!(inner instanceof DatabaseError && inner.kind === 'auth')) throw inner;
        }
      }
      throw new DatabaseError(
        'auth',
        `${error.message}, nor the password of ${abandoned.length} rolled-back rotation version(s)`,
      );
    }
  });
  const pendingOutcome = pending && (await settlePending(staging, pending, request, reports));
  // Failing to remove a stale label is a failure: it blocks every future rotation.
  const removalFailed = pendingOutcome?.labelReason.startsWith(REMOVAL_FAILED) === true;
  const answer = workAnswer(
    request,
    request.secretId,
    started,
    reports,
    targets,
    (r) => {
      const parts = [dryRunNote(request, countOutcomes(r))];
      if (pendingOutcome)
        parts.push(`stale AWSPENDING ${pendingOutcome.label}: ${pendingOutcome.labelReason}`);
      return parts.join('; ');
    },
    removalFailed,
  );
  return { ...answer, action: 'heal', pending: pendingOutcome };
}

const REMOVAL_FAILED = 'removing it failed';

/**
 * Removes the stale AWSPENDING label, unless an instance may still need its password to be
 * healed later (a failure, or instances left out of this run).
 */
async function settlePending(
  staging: SecretStaging,
  pending: PendingState,
  request: ActionRequest,
  reports: InstanceReport[],
): Promise<NonNullable<HealAnswer['pending']>> {
  const keep = (labelReason: string) => ({ ...pending, label: 'kept' as const, labelReason });
  if (!pending.onCurrent) {
    if (request.instances !== undefined) {
      return keep('heal ran on named instances only; run it on every instance to remove the label');
    }
    if (failedReports(reports).length > 0) {
      return keep('an instance failed and may still need the pending password; fix it and run heal again');
    }
  }
  if (request.dryRun) {
    return { ...pending, label: 'would-remove', labelReason: 'a dry run removes nothing' };
  }
  try {
    await staging.removeStage(PENDING, pending.versionId);
  } catch (error) {
    return keep(`${REMOVAL_FAILED}: ${errorMessage(error)}`);
  }
  logger.info('stale AWSPENDING removed', { versionId: pending.versionId });
  return {
    ...pending,
    label: 'removed',
    labelReason: 'no rotation is running for it; new rotations can start',
  };
}
