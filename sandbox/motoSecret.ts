import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AWS_TEST_CREDENTIALS, TEST_REGION } from './moto.ts';

export function motoClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: TEST_REGION,
    credentials: AWS_TEST_CREDENTIALS,
    maxAttempts: 1,
  });
}

/**
 * A client as an application would give the pool, counting its GetSecretValue calls (stage
 * asked for, and the most in flight at once) with an SDK middleware: the way a load generator
 * counts Secrets Manager reads without touching the library.
 */
export function countingClient(endpoint: string) {
  const client = motoClient(endpoint);
  const reads: string[] = [];
  let inFlight = 0;
  const counts = { maxInFlight: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'GetSecretValueCommand') return next(args);
      reads.push(String((args.input as { VersionStage?: string }).VersionStage));
      inFlight++;
      counts.maxInFlight = Math.max(counts.maxInFlight, inFlight);
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: 'initialize', name: 'countSecretReads' },
  );
  return { client, reads, counts };
}

/** The rotation steps as the function performs them on the secret (the database side is the test's). */
export class MotoSecret {
  private constructor(
    private readonly client: SecretsManagerClient,
    readonly id: string,
    public currentVersion: string,
  ) {}

  static async create(client: SecretsManagerClient, username: string, password: string): Promise<MotoSecret> {
    const name = `app/db-${randomUUID()}`;
    const created = await client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ username, password, engine: 'mysql' }),
      }),
    );
    if (created.ARN === undefined || created.VersionId === undefined)
      throw new Error('CreateSecret returned no ARN');
    return new MotoSecret(client, created.ARN, created.VersionId);
  }

  /** createSecret: a new version labelled AWSPENDING; returns its version id. */
  async putPending(username: string, password: string): Promise<string> {
    const versionId = randomUUID();
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: this.id,
        ClientRequestToken: versionId,
        SecretString: JSON.stringify({ username, password, engine: 'mysql' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    return versionId;
  }

  /** finishSecret: AWSCURRENT moves to the pending version, which then loses AWSPENDING. */
  async finish(pendingVersion: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.id,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pendingVersion,
        RemoveFromVersionId: this.currentVersion,
      }),
    );
    await this.removePending(pendingVersion);
    this.currentVersion = pendingVersion;
  }

  /** What a rollback does to the secret: AWSPENDING removed, AWSCURRENT untouched. */
  async removePending(pendingVersion: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.id,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pendingVersion,
      }),
    );
  }
}
