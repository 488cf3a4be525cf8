import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Invocation, invokeInFreshProcess, type Qualifier } from '../../sandbox/bundleInvoker.ts';
import type { App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { SecretsManagerDriver } from '../../sandbox/secretsManagerDriver.ts';
import type { BenchPlan } from './plan.ts';

// Preloaded into each bundle invocation: writes the process's peak RSS (kilobytes) when it exits.
const RSS_PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import{writeFileSync}from'node:fs';" +
    "process.on('exit',()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)));",
)}`;

/**
 * One whole rotation through the BUILT bundle, each step in a fresh Node process as on a cold
 * Lambda, at the production log level; returns each step's peak RSS in MiB.
 */
export async function measureBundleRotation(
  plan: BenchPlan,
  app: App,
  world: RotationWorld,
): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'rotation-bench-'));
  const rssFile = join(dir, 'rss.txt');
  const peaks: Record<string, number> = {};
  // The driver names the alias Secrets Manager invokes; the function admits steps through it only.
  const invoke = async (event: unknown, _extraEnv?: unknown, qualifier?: Qualifier): Promise<Invocation> => {
    rmSync(rssFile, { force: true });
    const env = {
      ...app.env,
      PARALLEL: String(plan.rssParallel),
      LOG_LEVEL: 'INFO',
      BENCH_RSS_FILE: rssFile,
    };
    // Neither a source map nor a pipe for the logs: they would add to the very memory measured here.
    const invocation = await invokeInFreshProcess(join(app.invoker.dir, 'index.mjs'), event, env, {
      preloads: [RSS_PRELOAD],
      sourceMaps: false,
      collectLogs: false,
      qualifier,
    });
    try {
      const step = (event as { Step: string }).Step;
      peaks[step] = Math.max(peaks[step] ?? 0, Number(readFileSync(rssFile, 'utf8')) / 1024);
    } catch (error) {
      const printed = invocation.logs.join('\n');
      throw new Error(
        `bundle invocation ended without its peak RSS: ${(error as Error).message}\n${printed}`,
      );
    }
    return invocation;
  };
  try {
    // One attempt: a failed step must fail the bench, not be retried into a number.
    const driver = new SecretsManagerDriver(world.secrets, invoke, { attempts: 1 });
    const run = await driver.rotate(app.secretId);
    if (!run.ok)
      throw new Error(`the bundle rotation of ${plan.rssInstances} instances failed: ${run.error}`);
    return peaks;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
