import { verifyLogin } from '../passwordSetter.ts';
import { connectOptions } from '../rotation.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionEnvironment } from './environment.ts';
import type { ActionRequest } from './request.ts';
import { countOutcomes, prepareWork, runOnTargets, workAnswer } from './work.ts';

/** Logs in with AWSCURRENT on every (or every named) instance, in parallel; changes nothing. */
export async function verify(request: ActionRequest, env: ActionEnvironment): Promise<WorkAnswer> {
  const started = Date.now();
  const { credentials, targets } = await prepareWork(request, env);
  const { username, password } = credentials;
  const reports = await runOnTargets(env, request, targets, async (instance) => {
    await verifyLogin(instance, username, { label: 'current', password }, connectOptions(env.config));
    return { outcome: 'verified' };
  });
  return workAnswer(request, request.secretId, started, reports, targets, countOutcomes);
}
