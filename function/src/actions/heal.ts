import { type Candidate, readCandidate } from '../candidates.ts';
import { DatabaseError } from '../errors.ts';
import { failedReports, type InstanceReport } from '../instances.ts';
import { logger } from '../logger.ts';
import { bringToPassword, type PasswordPlan } from '../passwordSetter.ts';
import { provisionCandidate } from '../provision.ts';
import { PENDING, PREVIOUS, type SecretStaging } from '../staging.ts';
import { errorMessage } from '../text.ts';
import { actionAdministrators, setByAdministrator } from './administered.ts';
import type { HealAnswer, PendingState } from './answers.ts';
import type { ActionContext } from './environment.ts';
import { readAbandoned } from './passwords.ts';
import { listVersions, pendingState } from './pending.ts';
import { type ActionRequest, requestSecret } from './request.ts';
import { countOutcomes, dryRunNote, prepareWork, workAnswer, writeOnTargets } from './work.ts';

/**
 * Brings every (or every named) instance to AWSCURRENT with whichever of current, pending,
 * previous or the default provision password still works (and, for an instance refusing all of
 * them, the password of a recently rolled-back rotation), then removes a stale AWSPENDING.
 * While a rotation may still be running (a fresh AWSPENDING) it changes nothing: healing
 * would undo the rotation's work under its feet.
 */
export async function heal(request: ActionRequest, ctx: ActionContext): Promise<HealAnswer> {
  const started = Date.now();
  const threshold = ctx.config.stalePendingMinutes;
  const { staging, username, current, targets } = await prepareWork(request, ctx);
  const description = await staging.describe();
  const { versions, listError } = await listVersions(staging, description);
  const pending = pendingState(versions, threshold, new Date(), listError);

  if (pending !== null && !pending.stale) {
    const summary =
      `a rotation may be in progress (AWSPENDING on version ${pending.versionId}: ${pending.rule}); ` +
      'heal changed nothing. Run it again once the rotation has ended or "status" shows AWSPENDING as stale.';
    const answer = workAnswer({ request, started, reports: [], targets, summary, otherFailure: true });
    const kept = {
      ...pending,
      label: 'kept' as const,
      labelReason: 'a rotation may still be running for it',
    };
    return { ...answer, action: 'heal', pending: kept };
  }

  const candidates = [
    pending && !pending.onCurrent
      ? await readCandidate(staging, PENDING, username, pending.versionId)
      : undefined,
    await readCandidate(staging, PREVIOUS, username),
    await provisionCandidate(ctx.config, requestSecret(request), staging),
  ].filter((candidate): candidate is Candidate => candidate !== undefined);
  const abandoned = await readAbandoned(staging, versions, username);
  logger.info('heal candidates', {
    candidates: candidates.map((c) => c.label),
    abandonedVersions: abandoned.length,
  });

  const plan: PasswordPlan = {
    username,
    target: current,
    order: ['current', 'pending', 'previous', 'provision'],
    candidates,
    dryRun: request.dryRun,
  };
  const writes = { username, target: current, before: [...candidates, ...abandoned] };
  const admins = actionAdministrators(request, ctx);
  const byAdministrator =
    admins && setByAdministrator(ctx, admins, { username, target: current, dryRun: request.dryRun });
  const reports = await writeOnTargets(ctx, request, targets, writes, async (instance) => {
    try {
      return await bringToPassword(instance, plan, ctx.work.connect);
    } catch (error) {
      if (!(error instanceof DatabaseError && error.kind === 'auth')) throw error;
      // Only an instance that refuses every labelled password pays these extra logins.
      for (const candidate of abandoned) {
        try {
          return await bringToPassword(
            instance,
            { ...plan, order: ['abandoned'], candidates: [candidate] },
            ctx.work.connect,
          );
        } catch (inner) {
          if (!(inner instanceof DatabaseError && inner.kind === 'auth')) throw inner;
        }
      }
      // The last way in: the administrator sets AWSCURRENT without knowing the user's password.
      if (byAdministrator !== undefined) return byAdministrator(instance);
      if (abandoned.length === 0) throw error;
      throw new DatabaseError(
        'auth',
        `${error.message}, nor the password of ${abandoned.length} rolled-back rotation version(s)`,
        error.code,
        { cause: error },
      );
    }
  });
  const settled = pending && (await settlePending(staging, pending, request, reports));
  const parts = [dryRunNote(request, countOutcomes(reports))];
  if (settled) parts.push(`stale AWSPENDING ${settled.state.label}: ${settled.state.labelReason}`);
  const answer = workAnswer({
    request,
    started,
    reports,
    targets,
    summary: parts.join('; '),
    // Failing to remove a stale label is a failure: it blocks every future rotation.
    otherFailure: settled?.removalFailed === true,
  });
  return { ...answer, action: 'heal', pending: settled?.state ?? null };
}

/** What heal did about a stale AWSPENDING, and whether removing it was tried and failed. */
interface Settled {
  state: NonNullable<HealAnswer['pending']>;
  removalFailed: boolean;
}

/**
 * Removes the stale AWSPENDING label, unless an instance may still need its password to be
 * healed later (a failure, or instances left out of this run).
 */
async function settlePending(
  staging: SecretStaging,
  pending: PendingState,
  request: ActionRequest,
  reports: InstanceReport[],
): Promise<Settled> {
  const keep = (labelReason: string, removalFailed = false): Settled => ({
    state: { ...pending, label: 'kept', labelReason },
    removalFailed,
  });
  if (!pending.onCurrent) {
    if (request.instances !== undefined) {
      return keep('heal ran on named instances only; run it on every instance to remove the label');
    }
    if (failedReports(reports).length > 0) {
      return keep('an instance failed and may still need the pending password; fix it and run heal again');
    }
  }
  if (request.dryRun) {
    return {
      state: { ...pending, label: 'would-remove', labelReason: 'a dry run removes nothing' },
      removalFailed: false,
    };
  }
  try {
    await staging.removeStage(PENDING, pending.versionId);
  } catch (error) {
    return keep(`removing it failed: ${errorMessage(error)}`, true);
  }
  logger.info('stale AWSPENDING removed', { versionId: pending.versionId });
  return {
    state: {
      ...pending,
      label: 'removed',
      labelReason: 'no rotation is running for it; new rotations can start',
    },
    removalFailed: false,
  };
}
