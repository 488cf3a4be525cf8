import { bringToPassword } from '../passwordSetter.ts';
import { connectOptions } from '../rotation.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionEnvironment } from './environment.ts';
import { requireProvision } from './passwords.ts';
import type { ActionRequest } from './request.ts';
import { countOutcomes, dryRunNote, prepareWork, runOnTargets, workAnswer } from './work.ts';

/**
 * Application password reset: an instance that accepts AWSCURRENT is left alone; one that
 * accepts the default provision password is set to AWSCURRENT and checked with a new
 * connection; one that accepts neither is reported, never guessed at.
 */
export async function reset(request: ActionRequest, env: ActionEnvironment): Promise<WorkAnswer> {
  const started = Date.now();
  const provision = requireProvision(env.config, 'reset');
  const { credentials, targets } = await prepareWork(request, env);
  const { username, password } = credentials;
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
    dryRunNote(request, countOutcomes(r)),
  );
}
