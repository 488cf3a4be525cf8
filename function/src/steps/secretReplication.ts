import { setTimeout as sleep } from 'node:timers/promises';
import { RotationError } from '../errors.ts';
import { logger } from '../logger.ts';
import type { SecretDescription, SecretReplica } from '../staging.ts';
import type { StepContext } from './context.ts';

const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 2000;

/**
 * Waits until every replica region of the secret reports InSync, at most SECRET_REPLICATION_WAIT_MS
 * after `started`. A rotation started while a region still replicates the last one can race it.
 * Returns a phrase for the step's message ("" without replica regions); throws a RotationError
 * saying what the operator must do when a region reports Failed or the bound passes: the
 * rotation is over in the primary region by then, and nothing is undone.
 */
export async function awaitSecretReplication(
  ctx: Pick<StepContext, 'config' | 'staging' | 'token'>,
  description: SecretDescription,
  started: number,
  after: string,
): Promise<string> {
  if (description.replication.length === 0) return '';
  const boundMs = ctx.config.secretReplicationWaitMs;
  let pause = FIRST_POLL_MS;
  for (;;) {
    const { replication } = await ctx.staging.describe();
    const failed = replication.filter((replica) => replica.status === 'Failed');
    const waiting = replication.filter((replica) => replica.status !== 'InSync');
    const ms = Date.now() - started;
    if (waiting.length === 0) {
      logger.info('every replica region of the secret is in sync', {
        after,
        regions: replication.length,
        ms,
      });
      return `; ${replication.length} replica region(s) in sync after ${ms} ms`;
    }
    const left = boundMs - ms;
    if (failed.length > 0 || left <= 0) {
      throw new RotationError(
        notInSyncMessage(ctx.token, description, after, failed.length > 0 ? failed : waiting, ms, boundMs),
      );
    }
    logger.debug('waiting for the replica regions of the secret', {
      after,
      regions: waiting.map((replica) => `${replica.region}:${replica.status}`),
    });
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

function notInSyncMessage(
  token: string,
  description: SecretDescription,
  after: string,
  replicas: SecretReplica[],
  ms: number,
  boundMs: number,
): string {
  const regions = replicas
    .map(
      (replica) =>
        `${replica.region} reports ${replica.status}${replica.message ? ` (${replica.message})` : ''}`,
    )
    .join('; ');
  return (
    `the rotation is finished in the primary region (version ${token} is AWSCURRENT and every instance accepts ` +
    `its password), but ${after} and not every replica region of secret ${description.name} is in sync ` +
    `${ms} ms later (SECRET_REPLICATION_WAIT_MS=${boundMs}): ${regions}. Applications reading the secret in ` +
    'those regions get the old password, which the databases no longer accept. Check the replication ' +
    `(aws secretsmanager describe-secret --secret-id ${description.arn} --query ReplicationStatus), fix its ` +
    'cause (for Failed, usually the KMS key in that region), and resynchronise the region ' +
    '(aws secretsmanager replicate-secret-to-regions ... --force-overwrite-replica-secret); start no new ' +
    'rotation until every region reports InSync.'
  );
}
