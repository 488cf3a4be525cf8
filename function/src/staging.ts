import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SecretStateError, SecretValueError } from './errors.ts';
import { logger, registerSensitive } from './logger.ts';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

type Stage = typeof CURRENT | typeof PENDING | typeof PREVIOUS;

/** The credentials a secret version holds; keys other than these two are kept verbatim. */
export interface Credentials {
  username: string;
  password: string;
  [other: string]: unknown;
}

export interface SecretVersion {
  versionId: string;
  credentials: Credentials;
}

export interface SecretDescription {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  /** Version id -> staging labels. */
  versions: Record<string, string[]>;
  /** Each replica region of the secret and its replication status (InSync, InProgress, Failed). */
  replication: SecretReplica[];
  raw: DescribeSecretCommandOutput;
}

export interface SecretReplica {
  region: string;
  status: string;
  message?: string;
}

/** One version as ListSecretVersionIds lists it: its labels and dates, never its value. */
export interface ListedVersion {
  versionId: string;
  stages: string[];
  created: Date | undefined;
  lastAccessed: Date | undefined;
}

/** Checks a secret string and returns its credentials; the message never quotes the value. */
export function parseCredentials(secretString: string | undefined, what: string): Credentials {
  if (secretString === undefined)
    throw new SecretValueError(`${what} has no SecretString (binary secrets are not supported)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new SecretValueError(`${what} is not valid JSON; expected {"username": "...", "password": "..."}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretValueError(
      `${what} is not a JSON object; expected {"username": "...", "password": "..."}`,
    );
  }
  const value = parsed as Record<string, unknown>;
  if (typeof value.password === 'string') registerSensitive(value.password);
  if (typeof value.username !== 'string' || value.username.trim() === '') {
    throw new SecretValueError(`${what} has no non-empty string "username"`);
  }
  if (typeof value.password !== 'string') {
    throw new SecretValueError(`${what} has no string "password"`);
  }
  return value as Credentials;
}

/**
 * Secrets Manager access for one secret, with the staging-label rules of the rotation protocol:
 * the only module that sends Secrets Manager a command.
 */
export class SecretStaging {
  constructor(
    private readonly client: SecretsManagerClient,
    readonly secretId: string,
  ) {}

  /** Another secret, through the same client (the provision secret, say). */
  forSecret(secretId: string): SecretStaging {
    return new SecretStaging(this.client, secretId);
  }

  /**
   * The AWSCURRENT value of a secret that holds a JSON object of other things than credentials;
   * every string in it is registered for redaction. Undefined when the secret has no value.
   */
  async readObject(): Promise<Record<string, unknown> | undefined> {
    logger.debug('calling GetSecretValue', {
      api: 'GetSecretValue',
      stage: CURRENT,
      secretId: this.secretId,
    });
    let secretString: string | undefined;
    try {
      const output = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: CURRENT }),
      );
      secretString = output.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString ?? '');
    } catch {
      throw new SecretValueError(`the AWSCURRENT value of secret ${this.secretId} is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new SecretValueError(`the AWSCURRENT value of secret ${this.secretId} is not a JSON object`);
    }
    const value = parsed as Record<string, unknown>;
    registerSensitive(...Object.values(value).filter((v): v is string => typeof v === 'string'));
    return value;
  }

  async describe(): Promise<SecretDescription> {
    logger.debug('calling DescribeSecret', { api: 'DescribeSecret' });
    const raw = await this.client.send(new DescribeSecretCommand({ SecretId: this.secretId }));
    return {
      arn: raw.ARN ?? this.secretId,
      name: raw.Name ?? this.secretId,
      rotationEnabled: raw.RotationEnabled === true,
      versions: Object.fromEntries(
        Object.entries(raw.VersionIdsToStages ?? {}).map(([id, stages]) => [id, stages ?? []]),
      ),
      replication: (raw.ReplicationStatus ?? []).map((replica) => ({
        region: replica.Region ?? '(no region)',
        status: replica.Status ?? 'unknown',
        ...(replica.StatusMessage ? { message: replica.StatusMessage } : {}),
      })),
      raw,
    };
  }

  /**
   * Reads the version carrying `stage` (and being `versionId` when given). Returns undefined when
   * no such version or no value exists, which is normal for a pending version before createSecret.
   */
  read(stage: Stage, versionId?: string): Promise<SecretVersion | undefined> {
    return this.get(stage, versionId);
  }

  /** Reads a version by its id alone: one without any label (a rolled-back rotation's) included. */
  readVersion(versionId: string): Promise<SecretVersion | undefined> {
    return this.get(undefined, versionId);
  }

  private async get(
    stage: Stage | undefined,
    versionId: string | undefined,
  ): Promise<SecretVersion | undefined> {
    logger.debug('calling GetSecretValue', { api: 'GetSecretValue', stage, versionId });
    try {
      const output = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage, VersionId: versionId }),
      );
      if (output.VersionId === undefined)
        throw new SecretStateError(`GetSecretValue(${stage ?? versionId}) returned no VersionId`);
      const what = `the ${stage ?? 'unlabelled'} version ${output.VersionId} of secret ${this.secretId}`;
      return { versionId: output.VersionId, credentials: parseCredentials(output.SecretString, what) };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        logger.debug('secret version has no value', { stage, versionId });
        return undefined;
      }
      throw error;
    }
  }

  /** Every version, unlabelled ones included (a rolled-back rotation's may still be on an instance). */
  async listVersions(): Promise<ListedVersion[]> {
    const versions: ListedVersion[] = [];
    let token: string | undefined;
    do {
      logger.debug('calling ListSecretVersionIds', { api: 'ListSecretVersionIds' });
      const page = await this.client.send(
        new ListSecretVersionIdsCommand({
          SecretId: this.secretId,
          NextToken: token,
          MaxResults: 100,
          IncludeDeprecated: true,
        }),
      );
      for (const version of page.Versions ?? []) {
        if (version.VersionId === undefined) continue;
        versions.push({
          versionId: version.VersionId,
          stages: version.VersionStages ?? [],
          created: version.CreatedDate,
          lastAccessed: version.LastAccessedDate,
        });
      }
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return versions;
  }

  /** The AWSCURRENT version; a secret without one can be neither rotated nor repaired. */
  async readCurrent(): Promise<SecretVersion> {
    const current = await this.read(CURRENT);
    if (current === undefined) throw new SecretStateError(`secret ${this.secretId} has no AWSCURRENT value`);
    return current;
  }

  async putPending(token: string, credentials: Credentials, rotationToken?: string): Promise<void> {
    logger.debug('calling PutSecretValue', { api: 'PutSecretValue', versionId: token, stages: [PENDING] });
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: this.secretId,
        ClientRequestToken: token,
        SecretString: JSON.stringify(credentials),
        VersionStages: [PENDING],
        RotationToken: rotationToken,
      }),
    );
  }

  /** Moves AWSCURRENT to `token`; Secrets Manager relabels the old current version AWSPREVIOUS. */
  async promote(token: string, currentVersionId: string): Promise<void> {
    logger.debug('calling UpdateSecretVersionStage', {
      api: 'UpdateSecretVersionStage',
      stage: CURRENT,
      moveTo: token,
      removeFrom: currentVersionId,
    });
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.secretId,
        VersionStage: CURRENT,
        MoveToVersionId: token,
        RemoveFromVersionId: currentVersionId,
      }),
    );
  }

  async removeStage(stage: Stage, versionId: string): Promise<void> {
    logger.debug('calling UpdateSecretVersionStage', {
      api: 'UpdateSecretVersionStage',
      stage,
      removeFrom: versionId,
    });
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.secretId,
        VersionStage: stage,
        RemoveFromVersionId: versionId,
      }),
    );
  }
}

/** The version id carrying `stage`, if any. */
export function versionWithStage(description: SecretDescription, stage: Stage): string | undefined {
  return Object.entries(description.versions).find(([, stages]) => stages.includes(stage))?.[0];
}
