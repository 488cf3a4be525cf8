import { bringToPassword } from '../passwordSetter.ts';
import { requireProvision } from '../provision.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import { type ActionRequest, requestSecret } from './request.ts';
import { countOutcomes, dryRunNote, prepareWork, workAnswer, writeOnTargets } from './work.ts';

/**
 * Application password reset: an instance that accepts AWSCURRENT is left alone; one that
 * accepts the default provision password is set to AWSCURRENT and checked with a new
 * connection; one that accepts neither is reported, never guessed at.
 */
export async function reset(request: ActionRequest, ctx: ActionContext): Promise<WorkAnswer> {
  const started = Date.now();
  // Without a default provision password reset can do nothing: say so before anything is read.
  const provision = await requireProvision(
    ctx.config,
    requestSecret(request),
    ctx.staging(request.secretId),
    'reset',
  );
  const { username, current, targets } = await prepareWork(request, ctx);
  const writes = { username, target: current, before: [provision] };
  const reports = await writeOnTargets(ctx, request, targets, writes, (instance) =>
    bringToPassword(
      instance,
      {
        username,
        target: current,
        order: ['current', 'provision'],
        candidates: [provision],
        dryRun: request.dryRun,
      },
      ctx.work.connect,
    ),
  );
  return workAnswer({
    request,
    started,
    reports,
    targets,
    summary: dryRunNote(request, countOutcomes(reports)),
  });
}
