import { listInstances } from '../discovery.ts';
import { bringToPassword } from '../passwordSetter.ts';
import { connectOptions } from '../rotation.ts';
import { SecretStaging } from '../staging.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionEnvironment } from './environment.ts';
import { requireProvision } from './passwords.ts';
import type { ActionRequest } from './request.ts';
import { selectTargets } from './targets.ts';
import { countOutcomes, runOnTargets, workAnswer } from './work.ts';

/**
 * Application password reset: an instance that accepts AWSCURRENT is left alone; one that
 * accepts the default provision password is set to AWSCURRENT and checked with a new
 * connection; one that accepts neither is reported, never guessed at.
 */
export async function reset(request: ActionRequest, env: ActionEnvironment): Promise<WorkAnswer> {
  const started = Date.now();
  const provision = requireProvision(env.config, 'reset');
  const { secrets, rds } = env.clients();
  const staging = new SecretStaging(secrets, request.secretId);
  const current = await staging.readCurrent();
  const targets = selectTargets(await listInstances(env.config, rds), request.instances);
  const { username, password } = current.credentials;
  const reports = await runOnTargets(env, request, targets, (instance) =>
    bringToPassword(
      instance,
      {
        username,
        target: { label: 'current', password },
        order: ['current', 'provision'],
        candidates: [provision],
        dryRun: request.dryRun,
      },
      connectOptions(env.config),
    ),
  );
  return workAnswer(request, request.secretId, started, reports, targets, (r) =>
    request.dryRun ? `dry run, nothing changed: ${countOutcomes(r)}` : countOutcomes(r),
  );
}
