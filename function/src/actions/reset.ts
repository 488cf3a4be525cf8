import { bringToPassword } from '../passwordSetter.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import { requireProvision } from './passwords.ts';
import type { ActionRequest } from './request.ts';
import { countOutcomes, dryRunNote, prepareWork, workAnswer, writeOnTargets } from './work.ts';

/**
 * Application password reset: an instance that accepts AWSCURRENT is left alone; one that
 * accepts the default provision password is set to AWSCURRENT and checked with a new
 * connection; one that accepts neither is reported, never guessed at.
 */
export async function reset(request: ActionRequest, ctx: ActionContext): Promise<WorkAnswer> {
  const started = Date.now();
  const provision = requireProvision(ctx.config, 'reset');
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
