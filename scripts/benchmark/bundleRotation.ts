import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Invocation, invokeInFreshProcess, type Qualifier } from '../../sandbox/bundleInvoker.ts';
import type { App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { SecretsManagerDriver } from '../../sandbox/secretsManagerDriver.ts';

// Preloaded into each bundle invocation: writes the process's peak RSS (kilobytes) and CPU
// (user + system, microseconds) when it exits.
const USAGE_PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import{writeFileSync}from'node:fs';" +
    "process.on('exit',()=>{const u=process.resourceUsage();" +
    'writeFileSync(process.env.BENCH_USAGE_FILE,JSON.stringify({maxRSS:u.maxRSS,cpu:u.userCPUTime+u.systemCPUTime}))});',
)}`;

/** What one step's process used: its peak RSS (MiB) and its CPU (ms). */
export interface StepUsage {
  rssMiB: number;
  cpuMs: number;
}

/** One whole rotation through the built bundle: wall time and each step's usage. */
export interface WholeRotation {
  wallMs: number;
  steps: Record<string, StepUsage>;
}

/**
 * One whole rotation through the BUILT bundle at `parallel`, each step in a fresh Node process as
 * on a cold Lambda, at the production log level, driven as Secrets Manager does.
 */
export async function measureBundleRotation(
  app: App,
  world: RotationWorld,
  parallel: number,
): Promise<WholeRotation> {
  const dir = mkdtempSync(join(tmpdir(), 'rotation-bench-'));
  const usageFile = join(dir, 'usage.json');
  const steps: Record<string, StepUsage> = {};
  // The driver names the alias Secrets Manager invokes; the function admits steps through it only.
  const invoke = async (event: unknown, _extraEnv?: unknown, qualifier?: Qualifier): Promise<Invocation> => {
    rmSync(usageFile, { force: true });
    const env = { ...app.env, PARALLEL: String(parallel), LOG_LEVEL: 'INFO', BENCH_USAGE_FILE: usageFile };
    // No pipe for the logs: it would add to the very memory measured here.
    const invocation = await invokeInFreshProcess(join(app.invoker.dir, 'index.mjs'), event, env, {
      preloads: [USAGE_PRELOAD],
      collectLogs: false,
      qualifier,
    });
    try {
      const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRSS: number; cpu: number };
      const step = (event as { Step: string }).Step;
      const before = steps[step];
      // A step Secrets Manager sends twice counts once, at its largest.
      steps[step] = {
        rssMiB: Math.max(before?.rssMiB ?? 0, usage.maxRSS / 1024),
        cpuMs: Math.max(before?.cpuMs ?? 0, usage.cpu / 1000),
      };
    } catch (error) {
      throw new Error(`bundle invocation ended without its resource usage: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return invocation;
  };
  try {
    // One attempt: a failed step must fail the bench, not be retried into a number.
    const driver = new SecretsManagerDriver(world.secrets, invoke, { attempts: 1 });
    const started = performance.now();
    const run = await driver.rotate(app.secretId);
    const wallMs = performance.now() - started;
    if (!run.ok) {
      throw new Error(
        `the bundle rotation of ${app.instanceIds.length} instances at parallel ${parallel} failed: ${run.error}`,
      );
    }
    return { wallMs, steps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
