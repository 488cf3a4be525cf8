import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config.ts';
import type { Deadline } from '../instances.ts';

export interface ActionEnvironment {
  config: Config;
  deadline: Deadline;
  /** AWS clients are created only by actions that call AWS (`version` touches nothing). */
  clients: () => { secrets: SecretsManagerClient; rds: RDSClient };
}
