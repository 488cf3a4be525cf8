import { randomBytes } from 'node:crypto';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  type DBCluster,
  type DBInstance,
  FailoverDBClusterCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { BoundedProcess, type BoundedProcessOptions, type ReleasedProcess } from './boundedProcess.ts';
import { freePort } from './ports.ts';

export interface MotoServer {
  /** http://127.0.0.1:PORT, for `endpoint` in SDK clients or AWS_ENDPOINT_URL. */
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** Forgets every resource of every service. */
  reset(): Promise<void>;
  /** The last part of what moto printed, when started with `captureOutput`. */
  output(): string;
  /** Lets moto outlive this process (see BoundedProcess.release). */
  release(): ReleasedProcess;
}

export const TEST_REGION = 'us-east-1';

/** The account moto puts every resource in unless told otherwise. */
export const MOTO_ACCOUNT_ID = '123456789012';

/** Credentials and region moto accepts (any value works; these are moto's documented ones). */
export const AWS_TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Environment for child processes that talk to moto through the AWS SDK. */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: TEST_REGION,
    AWS_ENDPOINT_URL: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export interface MotoOptions
  extends Pick<BoundedProcessOptions, 'maxLifetimeMs' | 'cleanupPath' | 'captureOutput'> {
  startTimeoutMs?: number;
  /**
   * Loads AWS's managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES): without them moto knows
   * none, and attaching one such as AWSLambdaVPCAccessExecutionRole fails with NoSuchEntity.
   */
  managedPolicies?: boolean;
  /**
   * moto's RotateSecret and Invoke run a Lambda function in Docker; with this a call gets a
   * canned answer instead, for tests that deploy a function without running it.
   */
  lambdaWithoutDocker?: boolean;
}

/** Starts `moto_server` on a free loopback port; resolves once it answers HTTP. */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = new BoundedProcess('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    maxLifetimeMs: options.maxLifetimeMs,
    cleanupPath: options.cleanupPath,
    captureOutput: options.captureOutput,
    env: options.managedPolicies ? { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } : undefined,
  });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const printed = () => (options.captureOutput ? `; it printed:\n${child.output()}` : '');
  for (;;) {
    if (!child.isRunning) throw new Error(`moto_server exited during start-up (port ${port})${printed()}`);
    if (await answers(`${endpoint}/moto-api/`)) break;
    if (Date.now() > deadline) {
      await child.kill();
      throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms${printed()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (options.lambdaWithoutDocker) {
    const response = await fetch(`${endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ lambda: { use_docker: false } }),
    });
    if (!response.ok) {
      await child.kill();
      throw new Error(`moto refused its Lambda configuration: HTTP ${response.status}${printed()}`);
    }
  }
  return {
    endpoint,
    port,
    pid: child.pid,
    stop: () => child.stop(),
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    output: () => child.output(),
    release: () => child.release(),
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** The Endpoint.Address moto gives an RDS instance (real RDS has a per-account random part). */
export function rdsHostname(id: string, region = TEST_REGION): string {
  return `${id}.aaaaaaaaaa.${region}.rds.amazonaws.com`;
}

// moto has no default EngineVersion for mariadb (it answers HTTP 500), and its mysql default
// is 5.6.21; give both explicitly, as current RDS versions.
const ENGINE_VERSIONS = { mysql: '8.0.35', mariadb: '10.11.6' } as const;

export interface RdsInstanceSpec {
  id: string;
  engine: keyof typeof ENGINE_VERSIONS;
  /** Becomes Endpoint.Port: the port of the local server that plays this instance. */
  port: number;
  tags?: Record<string, string>;
}

/**
 * Registers an instance in moto's RDS. moto reports it `available` at once and never
 * `creating`; StopDBInstance/StartDBInstance switch it to `stopped`/`available`.
 */
export async function createRdsInstance(rds: RDSClient, spec: RdsInstanceSpec): Promise<DBInstance> {
  const tags: Tag[] = Object.entries(spec.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const { DBInstance: instance } = await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: spec.id,
      Engine: spec.engine,
      EngineVersion: ENGINE_VERSIONS[spec.engine],
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'admin',
      // Never used: the local server, not moto, holds the real users.
      MasterUserPassword: randomBytes(12).toString('hex'),
      Port: spec.port,
      Tags: tags,
    }),
  );
  if (instance === undefined) throw new Error(`CreateDBInstance returned no instance for ${spec.id}`);
  return instance;
}

/**
 * Registers a read replica of `sourceId` in moto's RDS: the replica shows
 * ReadReplicaSourceDBInstanceIdentifier, the source lists it in ReadReplicaDBInstanceIdentifiers.
 * moto reports no replication state (StatusInfos) for it.
 */
export async function createRdsReadReplica(
  rds: RDSClient,
  spec: { id: string; sourceId: string; port: number },
): Promise<DBInstance> {
  const { DBInstance: instance } = await rds.send(
    new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: spec.id,
      SourceDBInstanceIdentifier: spec.sourceId,
      DBInstanceClass: 'db.t3.micro',
      Port: spec.port,
    }),
  );
  if (instance === undefined)
    throw new Error(`CreateDBInstanceReadReplica returned no instance for ${spec.id}`);
  return instance;
}

/**
 * Registers an Aurora MySQL cluster and its members in moto's RDS, the writer first: moto makes
 * the first member created the writer. Each member's endpoint port is its own (moto does not
 * give members the cluster's port).
 */
export async function createAuroraCluster(
  rds: RDSClient,
  spec: { id: string; members: { id: string; port: number }[]; tags?: Record<string, string> },
): Promise<DBCluster> {
  const tags: Tag[] = Object.entries(spec.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const { DBCluster: cluster } = await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: spec.id,
      Engine: 'aurora-mysql',
      EngineVersion: '8.0.mysql_aurora.3.05.2',
      MasterUsername: 'admin',
      // Never used: the local servers, not moto, hold the real users.
      MasterUserPassword: randomBytes(12).toString('hex'),
      Port: 3306,
      Tags: tags,
    }),
  );
  if (cluster === undefined) throw new Error(`CreateDBCluster returned no cluster for ${spec.id}`);
  for (const member of spec.members) {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: member.id,
        DBClusterIdentifier: spec.id,
        Engine: 'aurora-mysql',
        DBInstanceClass: 'db.r6g.large',
        Port: member.port,
        Tags: tags,
      }),
    );
  }
  return cluster;
}

/** FailoverDBCluster: moto makes `target` the writer at once (IsClusterWriter moves). */
export async function failOverRdsCluster(rds: RDSClient, clusterId: string, target: string): Promise<void> {
  await rds.send(
    new FailoverDBClusterCommand({ DBClusterIdentifier: clusterId, TargetDBInstanceIdentifier: target }),
  );
}
