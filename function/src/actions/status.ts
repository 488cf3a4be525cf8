import { listInstances } from '../discovery.ts';
import { logger } from '../logger.ts';
import type { StatusAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import { listVersions, pendingState } from './pending.ts';
import type { ActionRequest } from './request.ts';

/**
 * The rotation configuration, every version with its labels, whether AWSPENDING is stale, and
 * the instances with their RDS status. Reads no secret value and logs in nowhere. `ok` is false
 * when something needs a person (listed in `attention`).
 */
export async function status(request: ActionRequest, ctx: ActionContext): Promise<StatusAnswer> {
  const started = Date.now();
  const threshold = ctx.config.stalePendingMinutes;
  const staging = ctx.staging(request.secretId);
  const description = await staging.describe();
  const { versions, listError } = await listVersions(staging, description);
  const pending = pendingState(versions, threshold, new Date(), listError);
  const instances = (await listInstances(ctx.config, ctx.rds())).map(
    ({ target: _target, ...listed }) => listed,
  );
  const raw = description.raw;

  const attention: string[] = [];
  if (!description.rotationEnabled) attention.push('rotation is not enabled on the secret');
  if (!versions.some((v) => v.stages.includes('AWSCURRENT')))
    attention.push('the secret has no AWSCURRENT version');
  if (pending?.stale) {
    attention.push(
      `AWSPENDING on version ${pending.versionId} is stale and blocks new rotations; run "heal" to remove it`,
    );
  }
  for (const instance of instances) {
    if (instance.outcome === 'unavailable') {
      attention.push(
        `instance ${instance.instance} is ${instance.rdsStatus}: rotations fail until it is available`,
      );
    }
    if (instance.outcome === 'misconfigured') {
      attention.push(`instance ${instance.instance}: ${instance.note}`);
    }
    if (instance.outcome === 'creating') {
      attention.push(
        `instance ${instance.instance} is being created: run "reset" on it once it is available`,
      );
    }
  }
  const answer: StatusAnswer = {
    action: 'status',
    ok: attention.length === 0,
    secretId: description.arn,
    user: request.secret?.user ?? '',
    name: description.name,
    rotation: {
      enabled: description.rotationEnabled,
      lambdaArn: raw.RotationLambdaARN ?? null,
      rules: {
        automaticallyAfterDays: raw.RotationRules?.AutomaticallyAfterDays ?? null,
        duration: raw.RotationRules?.Duration ?? null,
        scheduleExpression: raw.RotationRules?.ScheduleExpression ?? null,
      },
      lastRotated: raw.LastRotatedDate?.toISOString() ?? null,
      nextRotation: raw.NextRotationDate?.toISOString() ?? null,
      lastChanged: raw.LastChangedDate?.toISOString() ?? null,
    },
    versions,
    pending,
    instances,
    attention,
    ms: Date.now() - started,
  };
  logger.info('status', { ok: answer.ok, attention, pending, instanceCount: instances.length });
  return answer;
}
