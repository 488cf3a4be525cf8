import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDSClient } from '@aws-sdk/client-rds';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { registerExitCleanup } from './boundedProcess.ts';
import {
  bundleInvoker,
  type Invocation,
  MANUAL_ALIAS,
  type Qualifier,
  ROTATION_ALIAS,
} from './bundleInvoker.ts';
import { type FleetLayout, fleetServers, registerFleet } from './fleetLayout.ts';
import { type KeptSandbox, keepRunning } from './keptSandbox.ts';
import { installLoopbackDns } from './loopbackDns.ts';
import { type MariaDbFleet, startMariaDbFleet } from './mariadbFleet.ts';
import { startReplication } from './mariadbReplication.ts';
import type { MariaDbServer, MariaDbServerOptions } from './mariadbServer.ts';
import {
  AWS_TEST_CREDENTIALS,
  awsEnv,
  createRdsInstance,
  type MotoServer,
  startMoto,
  TEST_REGION,
} from './moto.ts';
import { SecretsManagerDriver } from './secretsManagerDriver.ts';
import { createTestCa, type TestCa } from './testCa.ts';

/** Every moto RDS endpoint is `<id>.aaaaaaaaaa.<region>.rds.amazonaws.com`: one wildcard covers them. */
export const RDS_WILDCARD = `*.aaaaaaaaaa.${TEST_REGION}.rds.amazonaws.com`;

export type PasswordState = 'current' | 'previous' | 'pending' | 'provision' | 'none';

const LIFETIME_MS = 30 * 60_000;

/**
 * The local stand-in for an AWS account with databases: moto for the AWS APIs and a fleet of
 * MariaDB servers with TLS from a test CA, which RDS instances registered in moto point at.
 * Applications (a secret, a user and some instances each) are added as needed.
 */
export class RotationWorld {
  readonly secrets: SecretsManagerClient;
  readonly rds: RDSClient;
  private appCount = 0;

  private constructor(
    readonly moto: MotoServer,
    readonly fleet: MariaDbFleet,
    readonly ca: TestCa,
    readonly otherCa: TestCa,
    /** Holds the CAs and their private keys. */
    readonly dir: string,
    private readonly unregisterCleanup: () => void,
  ) {
    const clientConfig = { endpoint: moto.endpoint, region: TEST_REGION, credentials: AWS_TEST_CREDENTIALS };
    this.secrets = new SecretsManagerClient(clientConfig);
    this.rds = new RDSClient(clientConfig);
  }

  static async start(
    servers: number,
    serverOptions: (index: number, ca: TestCa) => MariaDbServerOptions = () => ({}),
    /** How long moto and the servers may live at most (default 30 minutes). */
    lifetimeMs = LIFETIME_MS,
  ): Promise<RotationWorld> {
    installLoopbackDns();
    const dir = mkdtempSync(join(tmpdir(), 'rotation-world-'));
    const unregisterCleanup = registerExitCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const ca = createTestCa(dir);
    const otherCa = createTestCa(dir, 'Unrelated CA');
    const [moto, fleet] = await Promise.allSettled([
      // Should this process die without stopping the world, moto's watchdog removes the keys.
      startMoto({ maxLifetimeMs: lifetimeMs, cleanupPath: dir }),
      startMariaDbFleet(servers, (index) => ({
        tls: ca.issueServerCert(`server-${index}`, [RDS_WILDCARD, 'localhost'], ['127.0.0.1']),
        maxLifetimeMs: lifetimeMs,
        ...serverOptions(index, ca),
      })),
    ]);
    if (moto.status === 'rejected' || fleet.status === 'rejected') {
      // A running moto would keep this process alive for its whole lifetime after the failure.
      await Promise.allSettled([
        moto.status === 'fulfilled' ? moto.value.stop() : undefined,
        fleet.status === 'fulfilled' ? fleet.value.stopAll() : undefined,
      ]);
      rmSync(dir, { recursive: true, force: true });
      unregisterCleanup();
      throw moto.status === 'rejected' ? moto.reason : (fleet as PromiseRejectedResult).reason;
    }
    return new RotationWorld(moto.value, fleet.value, ca, otherCa, dir, unregisterCleanup);
  }

  get servers(): MariaDbServer[] {
    return this.fleet.servers;
  }

  async stop(): Promise<void> {
    this.secrets.destroy();
    this.rds.destroy();
    await Promise.allSettled([this.fleet.stopAll(), this.moto.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
    this.unregisterCleanup();
  }

  /**
   * Leaves moto and the running servers up after this process exits, within their lifetime; the
   * returned command stops them and removes every folder they use, the CAs' keys included.
   */
  keep(): KeptSandbox {
    this.secrets.destroy();
    this.rds.destroy();
    const running = this.servers.filter((server) => server.pid !== undefined);
    const processes = [this.moto.release(), ...running.map((server) => server.release())];
    this.unregisterCleanup();
    return keepRunning(this.dir, processes, [this.dir, ...running.map((server) => server.directory)]);
  }

  /**
   * A new application: a user with one password on the given servers, registered as RDS
   * instances `<prefix>db<n>`, and a secret holding that password as AWSCURRENT. With
   * `otherUsers`, each of them gets its own password on the same servers and its own secret,
   * and the function serves them all (SECRETS); `App.others` are their views.
   */
  async createApp(options: AppOptions = {}): Promise<App> {
    const n = ++this.appCount;
    const name = `${options.namePrefix ?? 'app'}${n}`;
    const prefix = `${name}-`;
    const username = options.username ?? name;
    const password = options.initialPassword ?? newPassword('Init');
    const serverIndexes = options.fleet
      ? fleetServers(options.fleet)
      : (options.servers ?? this.servers.map((_, index) => index));
    const instanceIds = options.fleet
      ? await registerFleet(this, prefix, username, password, options.fleet, options.userOptions)
      : await this.registerInstances(prefix, username, password, serverIndexes, options);
    const secretString =
      options.secretString ?? JSON.stringify({ username, password, engine: 'mariadb', dbname: 'app' });
    const secretId = await this.createSecret(`rotation/${prefix}secret`, secretString);
    const others: { username: string; secretId: string }[] = [];
    for (const other of options.otherUsers ?? []) {
      const otherPassword = newPassword('Init');
      for (const index of serverIndexes) await this.servers[index]?.createUser(other, otherPassword);
      const otherSecret = JSON.stringify({ username: other, password: otherPassword, engine: 'mariadb' });
      others.push({
        username: other,
        secretId: await this.createSecret(`rotation/${prefix}${other}`, otherSecret),
      });
    }
    const served: Record<string, string> =
      others.length === 0
        ? { SECRET_ID: secretId }
        : {
            SECRETS: JSON.stringify(
              [{ username, secretId }, ...others].map((s) => ({
                user: s.username,
                secretArn: s.secretId,
                ...options.entryFields?.[s.username],
              })),
            ),
          };
    const env: Record<string, string> = {
      ...awsEnv(this.moto.endpoint),
      ...served,
      // What the module sets: Secrets Manager invokes this alias, nobody else may send steps.
      ROTATION_ALIAS,
      DB_IDENTIFIER_PREFIX: prefix,
      DB_TLS_CA_FILE: this.ca.caFile,
      CONNECT_TIMEOUT_MS: '3000',
      QUERY_TIMEOUT_MS: '5000',
      RETRY_WAIT_MS: '200',
      LOG_LEVEL: 'DEBUG',
      ...(options.fleet?.clusters?.length ? { DB_ENGINES: 'mysql,mariadb,aurora-mysql' } : {}),
      ...options.env,
    };
    const app = new App(this, secretId, username, serverIndexes, instanceIds, env);
    for (const other of others) {
      app.others.push(new App(this, other.secretId, other.username, serverIndexes, instanceIds, env));
    }
    return app;
  }

  /** A secret with `secretString` as its AWSCURRENT value; returns its ARN. */
  async createSecret(name: string, secretString: string): Promise<string> {
    const created = await this.secrets.send(
      new CreateSecretCommand({ Name: name, SecretString: secretString }),
    );
    return created.ARN as string;
  }

  /**
   * Creates `username` with `password` on each server and registers it as the RDS instance
   * `<prefix>db<index>`, whose endpoint is the server's port (or `instancePort`, for a proxy in
   * front of it). Returns the instance identifiers.
   */
  async registerInstances(
    prefix: string,
    username: string,
    password: string,
    serverIndexes: number[],
    options: Pick<AppOptions, 'userOptions' | 'instancePort'> = {},
  ): Promise<string[]> {
    const instanceIds: string[] = [];
    for (const index of serverIndexes) {
      const server = this.servers[index] as MariaDbServer;
      await server.createUser(username, password, options.userOptions?.(index));
      const id = `${prefix}db${index}`;
      await createRdsInstance(this.rds, {
        id,
        engine: 'mariadb',
        port: options.instancePort?.(index) ?? server.port,
      });
      instanceIds.push(id);
    }
    return instanceIds;
  }

  /**
   * Makes server `replica` replicate from server `source` (GTIDs, TLS verified against the
   * world's CA), applying events `delaySeconds` late. Both must have been started with a
   * replication role (RotationWorld.start's server options).
   */
  async replicate(replica: number, source: number, options: { delaySeconds?: number } = {}): Promise<void> {
    await startReplication(this.servers[replica] as MariaDbServer, this.servers[source] as MariaDbServer, {
      caFile: this.ca.caFile,
      ...options,
    });
  }
}

/** A password for a test user: a prefix and 16 random characters. */
export function newPassword(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

export interface AppOptions {
  servers?: number[];
  /** More users on the same servers, each with its own secret; the function serves them all. */
  otherUsers?: string[];
  /** With otherUsers: more fields of a user's SECRETS entry (passwordLength, strategy, ...). */
  entryFields?: Record<string, Record<string, unknown>>;
  /** Replaces `servers`: primaries, read replicas and clusters (see FleetLayout). */
  fleet?: FleetLayout;
  /** Instance identifiers are `<namePrefix><n>-db<index>` and the user `<namePrefix><n>` (default `app`). */
  namePrefix?: string;
  username?: string;
  initialPassword?: string;
  /** Replaces the secret's initial JSON (for malformed-value tests). */
  secretString?: string;
  userOptions?: (serverIndex: number) => Parameters<MariaDbServer['createUser']>[2];
  /** The port the RDS record of server `index` points at: a proxy in front of the server, say. */
  instancePort?: (serverIndex: number) => number;
  env?: Record<string, string>;
}

export class App {
  readonly invoker: ReturnType<typeof bundleInvoker>;
  readonly driver: SecretsManagerDriver;
  /** Every log line every invocation of this app printed, for the password-leak checks. */
  readonly logs: string[] = [];
  /** The other users the same function serves (AppOptions.otherUsers), each with its own secret. */
  readonly others: App[] = [];

  constructor(
    readonly world: RotationWorld,
    readonly secretId: string,
    readonly username: string,
    readonly serverIndexes: number[],
    readonly instanceIds: string[],
    readonly env: Record<string, string>,
  ) {
    this.invoker = bundleInvoker(env);
    const invoke = this.invoke.bind(this);
    this.driver = new SecretsManagerDriver(world.secrets, invoke);
  }

  /**
   * One invocation of the app's function, by default through the alias people and scripts use;
   * `qualifier` another alias, or null for the unqualified function.
   */
  async invoke(
    event: unknown,
    extraEnv?: Record<string, string>,
    qualifier: Qualifier = MANUAL_ALIAS,
  ): Promise<Invocation> {
    const invocation = await this.invoker.invoke(event, extraEnv, qualifier);
    this.logs.push(...invocation.logs);
    return invocation;
  }

  async password(stage: 'AWSCURRENT' | 'AWSPENDING' | 'AWSPREVIOUS'): Promise<string | undefined> {
    try {
      const value = await this.world.secrets.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage }),
      );
      return (JSON.parse(value.SecretString ?? '{}') as { password?: string }).password;
    } catch {
      return undefined;
    }
  }

  /** Version id -> labels, straight from Secrets Manager. */
  async stages(): Promise<Record<string, string[]>> {
    const description = await this.world.secrets.send(new DescribeSecretCommand({ SecretId: this.secretId }));
    return Object.fromEntries(
      Object.entries(description.VersionIdsToStages ?? {}).map(([id, s]) => [id, s ?? []]),
    );
  }

  async hasPendingLabel(): Promise<boolean> {
    return Object.values(await this.stages()).some((stages) => stages.includes('AWSPENDING'));
  }

  /** Every password any version of the secret ever held, for leak checks. */
  async allPasswords(): Promise<string[]> {
    const { Versions = [] } = await this.world.secrets.send(
      new ListSecretVersionIdsCommand({ SecretId: this.secretId, IncludeDeprecated: true }),
    );
    const passwords: string[] = [];
    for (const version of Versions) {
      try {
        const value = await this.world.secrets.send(
          new GetSecretValueCommand({ SecretId: this.secretId, VersionId: version.VersionId }),
        );
        const password = (JSON.parse(value.SecretString ?? '{}') as { password?: unknown }).password;
        if (typeof password === 'string' && password !== '') passwords.push(password);
      } catch {
        // A version without a value (an abandoned AWSPENDING before createSecret) holds no password.
      }
    }
    return passwords;
  }

  /** Which of the secret's passwords each server of this app accepts right now. */
  async acceptedPasswords(extra: Record<string, string> = {}): Promise<PasswordState[]> {
    const known: [PasswordState, string | undefined][] = [
      ['current', await this.password('AWSCURRENT')],
      ['pending', await this.password('AWSPENDING')],
      ['previous', await this.password('AWSPREVIOUS')],
      ...Object.entries(extra).map(
        ([label, password]) => [label as PasswordState, password] as [PasswordState, string],
      ),
    ];
    const states: PasswordState[] = [];
    for (const index of this.serverIndexes) {
      const server = this.world.servers[index] as MariaDbServer;
      let state: PasswordState = 'none';
      for (const [label, password] of known) {
        if (password !== undefined && (await server.accepts(this.username, password, this.world.ca.caFile))) {
          state = label;
          break;
        }
      }
      states.push(state);
    }
    return states;
  }

  /** Log lines that contain any password this app's secret ever held (should always be none). */
  async leakedLogLines(extraPasswords: string[] = []): Promise<string[]> {
    const passwords = [...(await this.allPasswords()), ...extraPasswords];
    return this.logs.filter((line) => passwords.some((password) => line.includes(password)));
  }

  cleanup(): void {
    this.invoker.cleanup();
    for (const other of this.others) other.cleanup();
  }
}
