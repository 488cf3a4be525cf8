import { performance } from 'node:perf_hooks';
import type { App } from '../../sandbox/rotationWorld.ts';
import type { InProcessFunction } from './inProcessFunction.ts';
import type { BenchPlan } from './plan.ts';

/**
 * From the start of setSecret (standing in for the first password change, which comes after the
 * AWS reads and discovery: an upper bound) to the end of finishSecret, steps back to back: the
 * time in which the databases hold a password the application's AWSCURRENT does not.
 */
export async function measureExposure(plan: BenchPlan, fn: InProcessFunction, app: App): Promise<number[]> {
  const samples: number[] = [];
  const env = fn.environment(app, 10);
  // Warm-up, as for setSecret: an untimed whole rotation.
  const warmUp = await fn.begin(app, env);
  await fn.step(env, 'setSecret', warmUp);
  await fn.complete(env, warmUp);
  for (let rep = 1; rep <= plan.repetitions; rep++) {
    const token = await fn.begin(app, env);
    const started = performance.now();
    await fn.step(env, 'setSecret', token);
    await fn.step(env, 'testSecret', token);
    await fn.step(env, 'finishSecret', token);
    samples.push(performance.now() - started);
  }
  return samples;
}
