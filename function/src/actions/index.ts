import { InvalidEventError } from '../errors.ts';
import type { ManualEvent } from '../events.ts';
import { instanceWork } from '../instances.ts';
import { logger, registerSensitive } from '../logger.ts';
import { boundedList, quoteIfPlain } from '../text.ts';
import { buildInfo } from '../version.ts';
import type { ActionAnswer, ActionName, VersionAnswer } from './answers.ts';
import type { ActionContext, ActionEnvironment } from './environment.ts';
import { heal } from './heal.ts';
import { notice } from './notice.ts';
import { ACCEPTED_FIELDS, type ActionRequest, parseRequest } from './request.ts';
import { reset } from './reset.ts';
import { status } from './status.ts';
import { verify } from './verify.ts';

type Action = (request: ActionRequest, ctx: ActionContext) => Promise<ActionAnswer>;

/**
 * The manual invocations (docs/architecture.md). Each returns JSON without a password; the
 * answers are a contract with the invoke client: actions and fields are added, never renamed.
 * Bad input throws InvalidEventError before anything is touched; a failure on an instance does
 * not throw: the answer carries it, with `ok: false`.
 */
const ACTIONS: Record<ActionName, Action> = {
  version: async (): Promise<VersionAnswer> => ({ action: 'version', ok: true, ...buildInfo }),
  status,
  verify,
  reset,
  heal,
  notice,
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
  logger.appendKeys({ action: name });
  if (request.secret !== undefined)
    logger.appendKeys({ secret: request.secretId, user: request.secret.user });
  if (name !== 'version') {
    logger.info('manual action started', {
      dryRun: request.dryRun,
      instances: request.instances === undefined ? 'all' : boundedList(request.instances),
      acceptedFields: ACCEPTED_FIELDS[name],
    });
  }
  const ctx: ActionContext = {
    config: env.config,
    deadline: env.deadline,
    staging: (secretId) => env.staging(secretId),
    rds: () => env.rds(),
    topic: (arn) => env.topic(arn),
    work: instanceWork(env.config, env.deadline),
  };
  return ACTIONS[name](request, ctx);
}
