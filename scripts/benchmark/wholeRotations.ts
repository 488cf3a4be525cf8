import type { App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { measureBundleRotation, type WholeRotation } from './bundleRotation.ts';
import { type BenchPlan, progress } from './plan.ts';

/** Whole rotations of one app at one parallelism, each through the built bundle. */
export interface RotationSeries {
  instances: number;
  parallel: number;
  /** From the fleet part (`--fleet`), or the memory part. */
  part: 'memory' | 'fleet';
  runs: WholeRotation[];
}

/**
 * The memory part (whole rotations of `rssSizes` instances at `rssParallel`, and of none, for the
 * CPU that does not depend on N) and, with `--fleet N`, the fleet part: N instances at each of
 * `fleetParallels`. Outside the smoke run, each app first goes through one untimed rotation, so
 * that it has an AWSPREVIOUS version as in steady-state operation.
 */
export async function measureWholeRotations(
  plan: BenchPlan,
  world: RotationWorld,
  /** Receives each app created here, for the caller to clean up. */
  created: App[],
): Promise<RotationSeries[]> {
  const series: RotationSeries[] = [];
  const appOf = async (n: number) => {
    const app = await world.createApp({ servers: Array.from({ length: n }, (_, i) => i) });
    created.push(app);
    return app;
  };
  const rotate = async (app: App, part: RotationSeries['part'], parallels: number[], repetitions: number) => {
    const n = app.instanceIds.length;
    if (!plan.smoke) {
      progress(`whole rotation of ${n} instances through the bundle, warm-up`);
      await measureBundleRotation(app, world, Math.max(...parallels));
    }
    for (const parallel of parallels) {
      const runs: WholeRotation[] = [];
      for (let rep = 1; rep <= repetitions; rep++) {
        progress(`whole rotation of ${n} instances at parallel ${parallel}, ${rep}/${repetitions}`);
        runs.push(await measureBundleRotation(app, world, parallel));
      }
      series.push({ instances: n, parallel, part, runs });
    }
  };
  // The smoke run skips the warm-ups and the run with no instance: it proves the path, in seconds.
  const sizes = plan.smoke ? plan.rssSizes : [0, ...plan.rssSizes];
  for (const n of sizes) await rotate(await appOf(n), 'memory', [plan.rssParallel], plan.rssRepetitions);
  if (plan.fleet !== null) {
    progress(`fleet of ${plan.fleet} instances`);
    await rotate(await appOf(plan.fleet), 'fleet', plan.fleetParallels, plan.fleetRepetitions);
  }
  return series;
}
