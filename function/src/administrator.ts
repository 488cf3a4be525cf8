import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { Config } from './config.ts';
import { SecretStateError, SecretValueError } from './errors.ts';
import { logger } from './logger.ts';
import type { SecretStaging } from './staging.ts';

/** The administrator who creates users and sets passwords for alternating-users (and reset, heal). */
export interface AdministratorCredentials {
  username: string;
  password: string;
  /** Where they came from, for messages: never a value. */
  source: string;
}

/** Finds the administrator of one instance, by its RDS identifier. */
export type AdministratorLookup = (instanceId: string) => Promise<AdministratorCredentials>;

/**
 * The administrator of each instance, read once per invocation: ADMIN_SECRET_ID's value for every
 * instance, or, when it is unset, the instance's RDS-managed master secret (its cluster's for an
 * Aurora member). Every read goes through SecretStaging, which registers the password for
 * redaction. Undefined when neither can apply (static endpoints without ADMIN_SECRET_ID).
 */
export function administrators(
  config: Pick<Config, 'adminSecretId' | 'endpoints'>,
  staging: SecretStaging,
  rds: RDSClient,
): AdministratorLookup | undefined {
  const secrets = new Map<string, Promise<AdministratorCredentials>>();
  const read = (secretId: string, source: string) => {
    let credentials = secrets.get(secretId);
    if (credentials === undefined) {
      credentials = readAdministrator(staging.forSecret(secretId), source);
      secrets.set(secretId, credentials);
    }
    return credentials;
  };
  if (config.adminSecretId !== undefined) {
    const secretId = config.adminSecretId;
    return () => read(secretId, 'ADMIN_SECRET_ID');
  }
  if (config.endpoints !== undefined) return undefined;
  return async (instanceId) => {
    const { secretArn, owner } = await masterSecretOf(rds, instanceId);
    return read(secretArn, `the RDS-managed master secret of ${owner}`);
  };
}

async function readAdministrator(staging: SecretStaging, source: string): Promise<AdministratorCredentials> {
  const value = await staging.readObject();
  if (value === undefined) {
    throw new SecretStateError(
      `the administrator's secret (${source}) does not exist or has no AWSCURRENT value`,
    );
  }
  const { username, password } = value;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new SecretValueError(
      `the administrator's secret (${source}) must hold {"username": "...", "password": "..."} with both non-empty`,
    );
  }
  logger.debug("administrator's credentials read", { source, username });
  return { username, password, source };
}

/** MasterUserSecret.SecretArn of an instance, or of its cluster when it belongs to one. */
async function masterSecretOf(
  rds: RDSClient,
  instanceId: string,
): Promise<{ secretArn: string; owner: string }> {
  const { DBInstances = [] } = await rds.send(
    new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }),
  );
  const instance = DBInstances[0];
  let secretArn = instance?.MasterUserSecret?.SecretArn;
  let owner = `instance ${instanceId}`;
  const clusterId = instance?.DBClusterIdentifier;
  if (secretArn === undefined && clusterId !== undefined) {
    const { DBClusters = [] } = await rds.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }),
    );
    secretArn = DBClusters[0]?.MasterUserSecret?.SecretArn;
    owner = `cluster ${clusterId}`;
  }
  if (secretArn === undefined) {
    throw new SecretStateError(
      `${owner} has no RDS-managed master secret (MasterUserSecret), and ADMIN_SECRET_ID is not set: ` +
        'turn on manage_master_user_password for it, or give the module admin_secret_arn (an administrator ' +
        'secret for every instance)',
    );
  }
  return { secretArn, owner };
}
