/** What `rotate` and `history` read about a secret: never its value. */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type FunctionTarget, functionNameOfArn } from './target.ts';

export interface SecretFacts {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  rotationLambdaArn: string | undefined;
  automaticallyAfterDays: number | undefined;
  scheduleExpression: string | undefined;
  window: string | undefined;
  lastRotated: Date | undefined;
  nextRotation: Date | undefined;
  /** Version id -> staging labels. */
  labels: Record<string, string[]>;
}

export async function describeSecret(secrets: SecretsManagerClient, secretId: string): Promise<SecretFacts> {
  const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const d = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  return {
    arn: d.ARN ?? secretId,
    name: d.Name ?? secretId,
    rotationEnabled: d.RotationEnabled === true,
    rotationLambdaArn: d.RotationLambdaARN || undefined,
    automaticallyAfterDays: d.RotationRules?.AutomaticallyAfterDays || undefined,
    scheduleExpression: d.RotationRules?.ScheduleExpression || undefined,
    window: d.RotationRules?.Duration || undefined,
    lastRotated: d.LastRotatedDate,
    nextRotation: d.NextRotationDate,
    labels: Object.fromEntries(Object.entries(d.VersionIdsToStages ?? {}).map(([id, s]) => [id, s ?? []])),
  };
}

/** Nothing was started: the secret cannot be rotated by this function now; says what to do. */
export class RotationRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationRefusedError';
  }
}

/** The checks Secrets Manager would fail on (or worse, act on) before a rotation is requested. */
export function checkRotatable(facts: SecretFacts, target: FunctionTarget): void {
  if (facts.rotationLambdaArn === undefined) {
    throw new RotationRefusedError(
      `secret ${facts.name} has no rotation function; the module's aws_secretsmanager_secret_rotation sets it (terraform apply)`,
    );
  }
  if (!facts.rotationEnabled) {
    throw new RotationRefusedError(
      `rotation is turned off for secret ${facts.name}; turn it on again (terraform apply of the module) before rotating on demand`,
    );
  }
  const rotatedBy = functionNameOfArn(facts.rotationLambdaArn);
  if (rotatedBy !== target.name) {
    throw new RotationRefusedError(
      `secret ${facts.name} is rotated by function ${rotatedBy ?? facts.rotationLambdaArn}, not ${target.name}: ` +
        `run scripts/invoke ${rotatedBy ?? '<that function>'} rotate`,
    );
  }
  const pending = Object.entries(facts.labels).find(
    ([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
  );
  if (pending !== undefined) {
    throw new RotationRefusedError(
      `A previous rotation isn't complete: version ${pending[0]} of ${facts.name} still carries AWSPENDING ` +
        `(Secrets Manager would continue that rotation instead). See whether it is running or stale: ` +
        `scripts/invoke ${target.given} status; remove a stale one with scripts/invoke ${target.given} heal`,
    );
  }
}

/** The schedule in words, such as "every 30 days, window 2h". */
export function describeSchedule(facts: SecretFacts): string {
  const parts = [
    facts.automaticallyAfterDays !== undefined ? `every ${facts.automaticallyAfterDays} days` : undefined,
    facts.scheduleExpression,
    facts.window !== undefined ? `window ${facts.window}` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : 'no schedule';
}
