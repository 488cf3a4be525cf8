import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadConfig, LoadRecord, LoadSnapshot, Variant } from './applicationLoadRecord.ts';
import { BoundedProcess } from './boundedProcess.ts';
import { LOOPBACK_DNS_PRELOAD } from './loopbackDns.ts';
import { AWS_TEST_CREDENTIALS, rdsHostname, TEST_REGION } from './moto.ts';
import type { App } from './rotationWorld.ts';

const root = join(import.meta.dirname, '..');
const PROCESS_MAIN = join(import.meta.dirname, 'applicationLoadProcess.ts');

export interface ApplicationLoadOptions {
  variant: Variant;
  secretId: string;
  awsEndpoint: string;
  /** The instances, by the host name their certificates carry (see `appInstances`). */
  instances: { host: string; port: number }[];
  caFile: string;
  /** The client's refresh interval; default its own default, 10 minutes. */
  refreshIntervalMs?: number;
  /** Default 20 ms. */
  newConnectionEveryMs?: number;
  /** Default 50 ms. */
  pooledEveryMs?: number;
  /** Default 4. */
  pooledConnections?: number;
  /** The load stops by itself after this long (default 10 minutes); the process is killed 1 minute later. */
  maxRunMs?: number;
  /** How long start-up (Node, the first read, the first queries) may take; default 60 s. */
  startTimeoutMs?: number;
}

/** The RDS host names and ports of an app's instances, as an application would connect to them. */
export function appInstances(app: App): { host: string; port: number }[] {
  return app.instanceIds.map((id, k) => {
    const server = app.world.servers[app.serverIndexes[k] as number];
    if (server === undefined) throw new Error(`instance ${id} has no server`);
    return { host: rdsHostname(id), port: server.port };
  });
}

/**
 * An application under load in a process of its own (sandbox/applicationLoadProcess.ts): its
 * failures, latencies and Secrets Manager reads are its own, not disturbed by (or disturbing)
 * the event loop of the process that rotates. Bounded in time, stopped by pid.
 */
export class ApplicationLoad {
  private lastSeq = 0;

  private constructor(
    private readonly child: BoundedProcess,
    private readonly dir: string,
    readonly variant: Variant,
    private readonly maxRunMs: number,
  ) {}

  static async start(options: ApplicationLoadOptions): Promise<ApplicationLoad> {
    const dir = mkdtempSync(join(tmpdir(), `app-load-${options.variant}-`));
    const config: LoadConfig = {
      variant: options.variant,
      secretId: options.secretId,
      awsEndpoint: options.awsEndpoint,
      region: TEST_REGION,
      instances: options.instances,
      caFile: options.caFile,
      refreshIntervalMs: options.refreshIntervalMs ?? 600_000,
      newConnectionEveryMs: options.newConnectionEveryMs ?? 20,
      pooledEveryMs: options.pooledEveryMs ?? 50,
      pooledConnections: options.pooledConnections ?? 4,
      maxRunMs: options.maxRunMs ?? 10 * 60_000,
      dir,
    };
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const child = new BoundedProcess(
      process.execPath,
      ['--import', 'tsx', '--import', LOOPBACK_DNS_PRELOAD, PROCESS_MAIN, configFile],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        maxLifetimeMs: config.maxRunMs + 60_000,
        cleanupPath: dir,
        captureOutput: true,
      },
    );
    const load = new ApplicationLoad(child, dir, options.variant, config.maxRunMs);
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    while (!existsSync(join(dir, 'status.json'))) {
      if (!child.isRunning) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`the ${options.variant} application load exited during start-up:\n${child.output()}`);
      }
      if (Date.now() > deadline) {
        await load.discard();
        throw new Error(`the ${options.variant} application load was not ready within its start timeout`);
      }
      await sleep(20);
    }
    return load;
  }

  get pid(): number {
    return this.child.pid;
  }

  /** What the process printed (nothing, unless it failed). */
  output(): string {
    return this.child.output();
  }

  /** The running totals as of now. */
  async snapshot(): Promise<LoadSnapshot> {
    const wanted = ++this.lastSeq;
    this.child.signal('SIGUSR2');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const status = this.readJson<LoadSnapshot>('status.json');
      if (status !== undefined && status.seq >= wanted) return status;
      if (!this.child.isRunning)
        throw new Error(`the ${this.variant} application load has exited:\n${this.output()}`);
      if (Date.now() > deadline)
        throw new Error(`the ${this.variant} application load did not answer SIGUSR2`);
      await sleep(5);
    }
  }

  /** Stops the load (SIGTERM), waits for what is in flight and returns every sample. */
  async stop(): Promise<LoadRecord> {
    try {
      await this.child.stop(20_000);
      const record = this.readJson<LoadRecord>('record.json');
      if (record === undefined) {
        throw new Error(`the ${this.variant} application load ended without its record:\n${this.output()}`);
      }
      // Its samples end early: anything laid over a later period would count too few queries.
      if (record.endedBy === 'time limit') {
        throw new Error(
          `the ${this.variant} application load stopped by itself, its maxRunMs (${this.maxRunMs} ms) ` +
            'over before stop() was called: give it a longer maxRunMs',
        );
      }
      return record;
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Kills the process and forgets its samples (a failed start, a run given up). */
  async discard(): Promise<void> {
    await this.child.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private readJson<T>(name: string): T | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as T;
    } catch {
      // Not written yet: the status and the record are renamed into place whole.
      return undefined;
    }
  }
}
