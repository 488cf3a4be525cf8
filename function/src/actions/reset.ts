import { bringToPassword } from '../passwordSetter.ts';
import { requireProvision } from '../provision.ts';
import { actionAdministrators, setByAdministrator } from './administered.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import { type ActionRequest, requestSecret } from './request.ts';
import { countOutcomes, dryRunNote, prepareWork, workAnswer, writeOnTargets } from './work.ts';

/**
 * Application password reset: an instance that accepts AWSCURRENT is left alone; one that
 * accepts the default provision password is set to AWSCURRENT and checked with a new
 * connection; one that accepts neither is reported, never guessed at. With an administrator
 * (ADMIN_SECRET_ID, or an alternating-users entry's master secrets) the administrator sets
 * AWSCURRENT instead, and no default provision password is needed.
 */
export async function reset(request: ActionRequest, ctx: ActionContext): Promise<WorkAnswer> {
  const started = Date.now();
  const admins = actionAdministrators(request, ctx);
  if (admins !== undefined) {
    // With an administrator no default provision password is needed: it sets AWSCURRENT itself.
    const { username, current, targets } = await prepareWork(request, ctx);
    const reports = await writeOnTargets(
      ctx,
      request,
      targets,
      { username, target: current, before: [] },
      setByAdministrator(ctx, admins, { username, target: current, dryRun: request.dryRun }),
    );
    const summary = dryRunNote(request, `${countOutcomes(reports)} (through the administrator)`);
    return workAnswer({ request, started, reports, targets, summary });
  }
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
