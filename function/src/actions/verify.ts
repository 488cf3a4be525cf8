import { listInstances } from '../discovery.ts';
import { verifyLogin } from '../passwordSetter.ts';
import { connectOptions } from '../rotation.ts';
import { SecretStaging } from '../staging.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionEnvironment } from './environment.ts';
import type { ActionRequest } from './request.ts';
import { selectTargets } from './targets.ts';
import { countOutcomes, runOnTargets, workAnswer } from './work.ts';

/** Logs in with AWSCURRENT on every (or every named) instance, in parallel; changes nothing. */
export async function verify(request: ActionRequest, env: ActionEnvironment): Promise<WorkAnswer> {
  const started = Date.now();
  const { secrets, rds } = env.clients();
  const staging = new SecretStaging(secrets, request.secretId);
  const current = await staging.readCurrent();
  const targets = selectTargets(await listInstances(env.config, rds), request.instances);
  const { username, password } = current.credentials;
  const reports = await runOnTargets(env, request, targets, async (instance) => {
    await verifyLogin(instance, username, { label: 'current', password }, connectOptions(env.config));
    return { outcome: 'verified' };
  });
  return workAnswer(request, request.secretId, started, reports, targets, countOutcomes);
}
