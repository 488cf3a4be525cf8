import type { RDSClient } from '@aws-sdk/client-rds';
import type { Config } from '../config.ts';
import type { Deadline, InstanceWork } from '../instances.ts';
import type { SecretStaging } from '../staging.ts';
import type { Topic } from '../topic.ts';

/** What a manual action runs with; environment.ts builds it per invocation. */
export interface ActionEnvironment {
  config: Config;
  deadline: Deadline;
  /**
   * Secrets Manager access for the secret the action names. AWS clients are created on first
   * use only: `version` touches nothing.
   */
  staging(secretId: string): SecretStaging;
  rds(): RDSClient;
  /** An SNS topic to publish to (notice). */
  topic(arn: string): Topic;
}

/** The environment plus the instance work options, built once by runManualAction. */
export interface ActionContext extends ActionEnvironment {
  work: InstanceWork;
}
