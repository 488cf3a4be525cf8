import { performance } from 'node:perf_hooks';
import type { StepResult } from '../../function/src/rotation.ts';
import type { App } from '../../sandbox/rotationWorld.ts';
import type { Floor } from './floor.ts';
import type { InProcessFunction } from './inProcessFunction.ts';
import { type BenchPlan, progress } from './plan.ts';
import { appServers, type CpuTime, countLogins, cpuSince, cpuTime } from './serverCounters.ts';

export interface SizeSamples {
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

/** Every instance must take the normal path (changed, coming from current), or the timing means nothing. */
export function expectNormalSetSecret(result: StepResult, instances: number): void {
  const normal = result.instances.filter(
    (report) => report.outcome === 'changed' && report.from === 'current',
  );
  if (normal.length !== instances) {
    throw new Error(
      `setSecret did not take the normal path on every instance: ${JSON.stringify(result.instances)}`,
    );
  }
}

/** One whole rotation of `app`, of which setSecret is timed and its logins counted. */
export async function timeSetSecret(fn: InProcessFunction, app: App, parallel: number) {
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

/**
 * setSecret at parallel 1 and 10 for each size, the floor on the same instances, and the fixed
 * AWS part (an app with no instances), after one untimed warm-up round.
 */
export async function measureSetSecret(
  plan: BenchPlan,
  fn: InProcessFunction,
  floor: Floor,
  apps: Map<number, App>,
  empty: App,
): Promise<{ fixed: number[]; fixedCpu: number[]; sizes: Map<number, SizeSamples> }> {
  const fixed: number[] = [];
  // The function's CPU for the fixed part, taken off its CPU per instance.
  const fixedCpu: number[] = [];
  const sizes = new Map<number, SizeSamples>(
    plan.sizes.map((n) => [
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

  for (let rep = 1; rep <= plan.repetitions; rep++) {
    progress(`setSecret repetition ${rep}/${plan.repetitions}`);
    // The fixed part: the same AWS calls (DescribeSecret, three GetSecretValue, DescribeDBInstances
    // over every instance in moto) with no instance of its own to change.
    const fixedRun = await timedSetSecret(empty, 1);
    fixed.push(fixedRun.ms);
    fixedCpu.push(fixedRun.cpu.function);
    for (const n of plan.sizes) {
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
  return { fixed, fixedCpu, sizes };
}
