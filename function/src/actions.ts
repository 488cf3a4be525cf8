import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from './config.ts';
import { InvalidEventError, quoteIfPlain } from './errors.ts';
import type { ManualEvent } from './events.ts';
import type { Deadline } from './instances.ts';
import { buildInfo } from './version.ts';

export interface ActionEnvironment {
  config: Config;
  deadline: Deadline;
  /** AWS clients are created only by actions that call AWS (`version` touches nothing). */
  clients: () => { secrets: SecretsManagerClient; rds: RDSClient };
}

type Action = (event: ManualEvent, env: ActionEnvironment) => Promise<unknown>;

const ACTIONS: Record<string, Action> = {
  version: async () => ({ action: 'version', ...buildInfo }),
};

export async function runManualAction(event: ManualEvent, env: ActionEnvironment): Promise<unknown> {
  const action = Object.hasOwn(ACTIONS, event.action) ? ACTIONS[event.action] : undefined;
  if (action === undefined) {
    throw new InvalidEventError(
      `unknown action ${quoteIfPlain(event.action)}; valid actions: ${Object.keys(ACTIONS).join(', ')}`,
    );
  }
  return action(event, env);
}
