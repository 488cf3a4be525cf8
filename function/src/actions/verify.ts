import { verifyLogin } from '../passwordSetter.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import type { ActionRequest } from './request.ts';
import { countOutcomes, prepareWork, runOnTargets, workAnswer } from './work.ts';

/** Logs in with AWSCURRENT on every (or every named) instance, in parallel; changes nothing. */
export async function verify(request: ActionRequest, ctx: ActionContext): Promise<WorkAnswer> {
  const started = Date.now();
  const { username, current, targets } = await prepareWork(request, ctx);
  const reports = await runOnTargets(ctx, request, targets, async (instance) => {
    await verifyLogin(instance, username, current, ctx.work.connect);
    return { outcome: 'verified' };
  });
  return workAnswer({ request, started, reports, targets, summary: countOutcomes(reports) });
}
