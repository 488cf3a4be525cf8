import type { ActionAnswer, ActionName, VersionAnswer } from './actions/answers.ts';
import type { ActionEnvironment } from './actions/environment.ts';
import { heal } from './actions/heal.ts';
import { ACCEPTED_FIELDS, type ActionRequest, parseRequest } from './actions/request.ts';
import { reset } from './actions/reset.ts';
import { status } from './actions/status.ts';
import { verify } from './actions/verify.ts';
import { InvalidEventError, quoteIfPlain } from './errors.ts';
import type { ManualEvent } from './events.ts';
import { logger, registerSensitive } from './logger.ts';
import { buildInfo } from './version.ts';

export type { ActionEnvironment };

type Action = (request: ActionRequest, env: ActionEnvironment) => Promise<ActionAnswer>;

/**
 * The manual invocations (DESIGN 3.4). Each returns JSON without a password. Bad input throws
 * InvalidEventError before anything is touched; a failure on an instance does not throw: the
 * answer carries it, with `ok: false`.
 */
const ACTIONS: Record<ActionName, Action> = {
  version: async (): Promise<VersionAnswer> => ({ action: 'version', ok: true, ...buildInfo }),
  status,
  verify,
  reset,
  heal,
};

export async function runManualAction(event: ManualEvent, env: ActionEnvironment): Promise<ActionAnswer> {
  const name = Object.hasOwn(ACTIONS, event.action) ? (event.action as ActionName) : undefined;
  if (name === undefined) {
    throw new InvalidEventError(
      `unknown action ${quoteIfPlain(event.action)}; valid actions: ${Object.keys(ACTIONS).join(', ')}`,
    );
  }
  // Whatever the action, the default provision password never reaches a log line.
  registerSensitive(env.config.defaultProvisionPassword);
  const request = parseRequest(name, event, env.config);
  if (name !== 'version') {
    logger.appendKeys({ secret: request.secretId });
    logger.info('manual action started', {
      dryRun: request.dryRun,
      instances: request.instances ?? 'all',
      acceptedFields: ACCEPTED_FIELDS[name],
    });
  }
  return ACTIONS[name](request, env);
}
