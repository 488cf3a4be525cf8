import { expect, it } from 'vitest';
import { AwsFaultProxy } from '../../sandbox/awsFaultProxy.ts';
import type { FleetLayout } from '../../sandbox/fleetLayout.ts';
import type { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import type { RotationRun } from '../../sandbox/secretsManagerDriver.ts';
import { TcpFaultProxy } from '../../sandbox/tcpFaultProxy.ts';
import { textTable } from '../../scripts/cli/table.ts';

/** Small timeouts so that a hung server costs seconds, not minutes. */
export const FAULT_ENV = {
  CONNECT_TIMEOUT_MS: '1000',
  QUERY_TIMEOUT_MS: '2000',
  RETRY_WAIT_MS: '100',
  RETRIES: '2',
  LOG_LEVEL: 'DEBUG',
};

export interface ScenarioRow {
  scenario: string;
  rotation: string;
  detail: string;
  repair: string;
  ms: number;
  result: 'PASS' | 'FAIL';
}

/**
 * One RotationWorld per test file with a TCP fault proxy in front of every server (the RDS
 * records point at the proxies) and an AWS fault proxy in front of moto (the function's
 * AWS_ENDPOINT_URL). Scenarios run one after another and each gets a fresh app.
 */
export class FaultWorld {
  readonly rows: ScenarioRow[] = [];
  private readonly apps: App[] = [];

  private constructor(
    readonly world: RotationWorld,
    readonly aws: AwsFaultProxy,
    readonly proxies: TcpFaultProxy[],
  ) {}

  static async start(
    servers: number,
    serverOptions?: Parameters<typeof RotationWorld.start>[1],
  ): Promise<FaultWorld> {
    const world = await RotationWorld.start(servers, serverOptions);
    const aws = await AwsFaultProxy.start(world.moto.endpoint);
    const proxies = await Promise.all(world.servers.map((server) => TcpFaultProxy.start(server.port)));
    return new FaultWorld(world, aws, proxies);
  }

  server(index: number): MariaDbServer {
    return this.world.servers[index] as MariaDbServer;
  }

  /** RotationWorld.createApp with the instances behind the proxies and AWS behind the fault proxy. */
  async createApp(
    options: { servers?: number[]; env?: Record<string, string>; maxUserConnections?: number } = {},
  ): Promise<App> {
    const app = await this.world.createApp({
      servers: options.servers,
      namePrefix: 'fault',
      userOptions: () => ({ maxUserConnections: options.maxUserConnections }),
      instancePort: (index) => (this.proxies[index] as TcpFaultProxy).port,
      env: { AWS_ENDPOINT_URL: this.aws.endpoint, ...FAULT_ENV, ...options.env },
    });
    this.apps.push(app);
    return app;
  }

  /**
   * An application with primaries, read replicas and clusters (FleetLayout), AWS behind the fault
   * proxy. Its instances point at the servers themselves: replication faults need no TCP proxy.
   */
  async createFleetApp(fleet: FleetLayout, env: Record<string, string> = {}): Promise<App> {
    const app = await this.world.createApp({
      fleet,
      namePrefix: 'fault',
      env: { AWS_ENDPOINT_URL: this.aws.endpoint, ...FAULT_ENV, ...env },
    });
    this.apps.push(app);
    return app;
  }

  /** Puts every fault back: proxies pass, AWS answers, servers run and are not paused. */
  async clearFaults(): Promise<void> {
    this.aws.clear();
    for (const proxy of this.proxies) proxy.set({ kind: 'pass' });
    for (const server of this.world.servers) {
      if (server.pid === undefined) await server.restart();
      else server.resume();
    }
  }

  async stop(title: string): Promise<void> {
    printTable(title, this.rows);
    for (const app of this.apps) app.cleanup();
    await Promise.allSettled([this.aws.stop(), ...this.proxies.map((proxy) => proxy.stop())]);
    await this.world?.stop();
  }
}

/**
 * After a fault that left an instance on a password no label holds any more (the rollback could
 * not reach it): the `heal` action must bring every instance back to AWSCURRENT.
 */
export async function repair(app: App): Promise<string> {
  const states = await app.acceptedPasswords();
  if (states.every((state) => state === 'current')) return 'none needed';
  const heal = await app.invoke({ action: 'heal', secretId: app.secretId });
  const answer = heal.result as { message?: string } | undefined;
  expect(heal.ok, `heal must answer (it said: ${heal.error?.message})`).toBe(true);
  const after = await app.acceptedPasswords();
  expect(
    after,
    `heal must bring every instance to AWSCURRENT (heal said: ${heal.error?.message ?? answer?.message})`,
  ).toEqual(after.map(() => 'current'));
  return `heal repaired ${states.filter((s) => s !== 'current').length}`;
}

/** The checks every scenario ends with, once the rotation is over (finished or abandoned). */
export async function expectSettled(app: App): Promise<void> {
  expect(await app.acceptedPasswords(), 'every database accepts AWSCURRENT').toEqual(
    app.serverIndexes.map(() => 'current'),
  );
  expect(await app.hasPendingLabel(), 'no AWSPENDING left').toBe(false);
  expect(app.logs.length).toBeGreaterThan(0);
  expect(await app.leakedLogLines(), 'no password in any log line').toEqual([]);
}

/** A failed rotation names the instance and says why. */
export function expectFailureNames(run: RotationRun, instance: string, why: RegExp): void {
  expect(run.ok).toBe(false);
  expect(run.error).toContain(`${instance} (`);
  expect(run.error).toMatch(why);
}

/** The per-instance reports of the last invocation of `step`. */
export function reportsOf(
  run: RotationRun,
  step: string,
): { instance: string; outcome: string; attempts: number; ms: number; errorKind?: string }[] {
  const last = run.runs.filter((r) => r.step === step).at(-1);
  return ((last?.invocation.result as { instances?: [] } | undefined)?.instances ?? []) as [];
}

/** "ok" or the first line of the error, short enough for a table cell. */
export function summary(run: RotationRun): string {
  const invocations = run.runs.filter((r) => r.invocation.error?.name !== 'SimulatedCrash').length;
  if (run.ok) return `ok (${invocations} invocations)`;
  // "setSecret: RotationError: setSecret failed on db2 (host:port): why. AWSPENDING ..." -> "setSecret: db2: why"
  const named = /^(\w+): \w+: \w+ failed on (\S+) \([^)]*\): (.*?)(?:\. AWSPENDING|$)/.exec(run.error ?? '');
  const text = named ? `${named[1]}: ${named[2]}: ${named[3]}` : (run.error ?? '');
  return `failed: ${shorten(text, 80)}`;
}

export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function printTable(title: string, rows: ScenarioRow[]): void {
  const passed = rows.filter((row) => row.result === 'PASS').length;
  const table = textTable(
    ['#', 'scenario', 'rotation', 'detail', 'repair', 'ms', 'result'],
    rows.map((row, i) => [i + 1, row.scenario, row.rotation, row.detail, row.repair, row.ms, row.result]),
    { separator: ' | ', rule: true },
  );
  console.log(`\n${title}: ${passed}/${rows.length} scenarios passed\n${table}`);
}

export interface ScenarioOutcome {
  rotation: string;
  detail?: string;
  repair?: string;
}

/**
 * One fault scenario as a test: its row goes into the file's table whatever happens, and every
 * fault is cleared afterwards so that the next scenario starts from a healthy world.
 */
export function scenario(
  fw: () => FaultWorld,
  name: string,
  body: () => Promise<ScenarioOutcome>,
  timeoutMs = 60_000,
): void {
  it(
    name,
    async () => {
      const started = Date.now();
      const row: ScenarioRow = {
        scenario: name,
        rotation: '',
        detail: '',
        repair: '',
        ms: 0,
        result: 'FAIL',
      };
      fw().rows.push(row);
      try {
        const outcome = await body();
        Object.assign(row, { repair: 'none needed', detail: '', ...outcome });
        row.result = 'PASS';
      } catch (error) {
        row.detail = shorten(`ASSERTION: ${(error as Error).message.split('\n')[0]}`, 120);
        throw error;
      } finally {
        row.ms = Date.now() - started;
        await fw().clearFaults();
      }
    },
    timeoutMs,
  );
}
