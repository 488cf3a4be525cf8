import { verifyLogin } from '../passwordSetter.ts';
import { checkPreviousUser } from './administered.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import type { ActionRequest } from './request.ts';
import { countOutcomes, prepareWork, runOnTargets, workAnswer } from './work.ts';

/**
 * Logs in with AWSCURRENT on every (or every named) instance, in parallel; changes nothing. Under
 * alternating-users the user AWSPREVIOUS names is checked too and reported in `previousUser`.
 */
export async function verify(request: ActionRequest, ctx: ActionContext): Promise<WorkAnswer> {
  const started = Date.now();
  const { staging, username, current, targets } = await prepareWork(request, ctx);
  const reports = await runOnTargets(ctx, request, targets, async (instance) => {
    await verifyLogin(instance, username, current, ctx.work.connect);
    return { outcome: 'verified' };
  });
  const previousUser = await checkPreviousUser(request, ctx, staging, username, targets);
  const summary = [countOutcomes(reports), ...(previousUser ? [previousUser.message] : [])].join('; ');
  const answer = workAnswer({ request, started, reports, targets, summary });
  return previousUser === undefined ? answer : { ...answer, previousUser };
}
