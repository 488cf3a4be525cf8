import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationLoad, appInstances } from '../../sandbox/applicationLoad.ts';
import {
  failuresByInstance,
  type Period,
  type RotationsSummary,
  type SteadyReads,
  steadyReads,
  summarizeRotations,
  sumTallies,
  type Tally,
} from '../../sandbox/applicationLoadAnalysis.ts';
import { type LoadRecord, VARIANTS, type Variant } from '../../sandbox/applicationLoadRecord.ts';
import type { App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { SecretsManagerDriver } from '../../sandbox/secretsManagerDriver.ts';
import { rotateTimed } from '../../sandbox/timedRotation.ts';
import { type FallbackLatencyResult, measureFallbackLatency } from './fallbackLatency.ts';
import { type BenchPlan, progress } from './plan.ts';

/** One variant's application through the scenario. */
interface VariantRun {
  variant: Variant;
  record: LoadRecord;
  steady: Period;
  rotations: Period;
  windows: Period[];
}

export interface ApplicationLoadMeasurement {
  variants: VariantRun[];
  /** The client's application alone, each rotation after a quiet refresh interval. */
  alone: { period: Period; windows: Period[] };
  /** The client's fallback one connection at a time, before any application load. */
  oneAtATime: FallbackLatencyResult;
  rollback: {
    /** Index of the instance stopped during the rotation. */
    stopped: number;
    period: Period;
    /** The rotation failed, AWSPENDING is gone and every instance accepts AWSCURRENT again. */
    rolledBack: boolean;
  };
}

/**
 * The same scenario for each variant, against an app of its own on the same servers: a steady
 * period, then `rotations` rotations through the built bundle with `stepDelayMs` between steps
 * and between rotations. The variants run at the same time, so that each meets the same
 * load of the machine (the bundle's processes, the other applications) rather than whatever
 * else ran before or after it. Then, the others stopped, the client's application goes through
 * a rotation that rolls back because one instance is stopped.
 */
export async function measureApplicationLoad(
  plan: BenchPlan,
  world: RotationWorld,
): Promise<ApplicationLoadMeasurement> {
  const { instances, rotations, stepDelayMs, steadyMs, refreshIntervalMs } = plan.load;
  // The world holds up to 64 servers for the other measurements. Idle, they and their watchdogs
  // still take a share of the 2 cores that this part's processes then lack (in two full runs,
  // with all 64 up the windows lasted 11 to 22 s and the client's load process ran late 1443
  // times; with the 3 it uses, 10 to 15 s and 419 times). This part comes last: stop the others.
  await Promise.all(world.servers.slice(instances).map((server) => server.stop()));
  const oneAtATime = await measureFallbackLatency(plan, world);
  const servers = Array.from({ length: instances }, (_, i) => i);
  const apps: App[] = [];
  for (const _ of VARIANTS) {
    apps.push(await world.createApp({ servers, namePrefix: 'load', env: { LOG_LEVEL: 'INFO' } }));
  }
  const started = await Promise.allSettled(
    VARIANTS.map((variant, k) =>
      ApplicationLoad.start({
        variant,
        secretId: (apps[k] as App).secretId,
        awsEndpoint: world.moto.endpoint,
        instances: appInstances(apps[k] as App),
        caFile: world.ca.caFile,
        refreshIntervalMs,
        // As long as the world's servers live: a busy machine can stretch the rotations a lot.
        maxRunMs: 30 * 60_000,
      }),
    ),
  );
  const loads = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const running = new Set(loads);
  try {
    const failedStart = started.find((result) => result.status === 'rejected');
    if (failedStart !== undefined) throw failedStart.reason;
    progress(`application load: ${steadyMs / 1000} s of steady state`);
    const steady = { from: Date.now(), to: 0 };
    await sleep(steadyMs);
    steady.to = Date.now();

    progress(`application load: ${rotations} rotations per variant, ${stepDelayMs} ms between steps`);
    const rotated = await Promise.all(
      VARIANTS.map(async (variant, k) => {
        const app = apps[k] as App;
        const driver = new SecretsManagerDriver(world.secrets, app.invoke.bind(app), { stepDelayMs });
        const windows: Period[] = [];
        const from = Date.now();
        for (let r = 1; r <= rotations; r++) {
          // As between steps. Without a pause, the emulated RotateSecret of the next rotation
          // (moto moves AWSCURRENT to the empty new version until the driver moves it back) would
          // fail the reads that follow the previous rotation's last step, which AWS never does.
          if (r > 1) await sleep(stepDelayMs);
          const { run, window } = await rotateTimed(driver, app.secretId);
          if (!run.ok || window === undefined) {
            throw new Error(`rotation ${r} of the ${variant} application failed: ${run.error}`);
          }
          windows.push(window);
        }
        return { from, to: Date.now(), windows };
      }),
    );
    const records = new Map<Variant, LoadRecord>();
    for (const load of loads.filter((l) => l.variant !== 'client')) {
      running.delete(load);
      records.set(load.variant, await load.stop());
    }

    const client = loads.find((load) => load.variant === 'client') as ApplicationLoad;
    const clientApp = apps[VARIANTS.indexOf('client')] as App;
    const alone = await rotateAlone(plan, world, clientApp);
    const stopped = instances - 1;
    progress(`application load: a rotation of the client's application with instance ${stopped} stopped`);
    const rollbackFrom = Date.now();
    await world.servers[stopped]?.kill();
    const driver = new SecretsManagerDriver(world.secrets, clientApp.invoke.bind(clientApp), { stepDelayMs });
    const { run } = await rotateTimed(driver, clientApp.secretId);
    await world.servers[stopped]?.restart();
    // Time for the pool of the restarted instance to open its connection again.
    await sleep(Math.max(stepDelayMs, 500));
    const rollbackTo = Date.now();
    const rolledBack =
      !run.ok &&
      !(await clientApp.hasPendingLabel()) &&
      (await clientApp.acceptedPasswords()).every((state) => state === 'current');
    running.delete(client);
    records.set('client', await client.stop());

    return {
      variants: VARIANTS.map((variant, k) => ({
        variant,
        record: records.get(variant) as LoadRecord,
        steady,
        rotations: { from: rotated[k]?.from ?? 0, to: rotated[k]?.to ?? 0 },
        windows: rotated[k]?.windows ?? [],
      })),
      alone,
      oneAtATime,
      rollback: { stopped, period: { from: rollbackFrom, to: rollbackTo }, rolledBack },
    };
  } finally {
    await Promise.allSettled([...running].map((load) => load.discard()));
    for (const app of apps) app.cleanup();
  }
}

/**
 * The client's application alone through `aloneRotations` rotations. Before each, a pause longer
 * than the refresh interval: the pools' periodic read then finds the previous rotation finished
 * and stops reading AWSPENDING, so the first refused login of each window reads the secret, as
 * after days without a rotation (back to back, that read can find the next AWSPENDING early).
 */
async function rotateAlone(
  plan: BenchPlan,
  world: RotationWorld,
  app: App,
): Promise<{ period: Period; windows: Period[] }> {
  const { aloneRotations, refreshIntervalMs, stepDelayMs } = plan.load;
  const quietMs = refreshIntervalMs + stepDelayMs;
  progress(
    `application load: ${aloneRotations} rotations of the client's application alone, ` +
      `each after ${quietMs / 1000} s without one`,
  );
  const driver = new SecretsManagerDriver(world.secrets, app.invoke.bind(app), { stepDelayMs });
  const windows: Period[] = [];
  const from = Date.now();
  for (let r = 1; r <= aloneRotations; r++) {
    await sleep(quietMs);
    const { run, window } = await rotateTimed(driver, app.secretId);
    if (!run.ok || window === undefined) {
      throw new Error(`rotation ${r} of the client's application alone failed: ${run.error}`);
    }
    windows.push(window);
  }
  return { period: { from, to: Date.now() }, windows };
}

export type VariantSummary = RotationsSummary & {
  variant: Variant;
  steady: SteadyReads;
  /** Ticks of the new-connection schedule skipped because too many were in flight. */
  skippedNewConnections: number;
};

export interface ApplicationLoadResult {
  instances: number;
  stepDelayMs: number;
  /** The variants ran at the same time, each against its own app on the same servers. */
  concurrent: true;
  variants: VariantSummary[];
  /** The client's application alone, each rotation after a quiet refresh interval. */
  alone: RotationsSummary;
  /** The client's fallback one connection at a time, without the function's processes. */
  oneAtATime: FallbackLatencyResult;
  rollback: {
    instances: number;
    stoppedInstance: number;
    rolledBack: boolean;
    /** Failed queries of the client's application on the instances that stayed up, and on the stopped one. */
    running: Tally;
    stopped: Tally;
  };
}

export function summarizeApplicationLoad(
  plan: BenchPlan,
  m: ApplicationLoadMeasurement,
): ApplicationLoadResult {
  const client = m.variants.find((run) => run.variant === 'client')?.record as LoadRecord;
  const byInstance = failuresByInstance(client, m.rollback.period);
  return {
    instances: plan.load.instances,
    stepDelayMs: plan.load.stepDelayMs,
    concurrent: true,
    variants: m.variants.map((run) => ({
      variant: run.variant,
      ...summarizeRotations(run.record, run.rotations, run.windows),
      steady: steadyReads(run.record, run.steady),
      skippedNewConnections: run.record.skippedNewConnections,
    })),
    alone: summarizeRotations(client, m.alone.period, m.alone.windows),
    oneAtATime: m.oneAtATime,
    rollback: {
      instances: plan.load.instances,
      stoppedInstance: m.rollback.stopped,
      rolledBack: m.rollback.rolledBack,
      running: sumTallies(byInstance.filter((_, index) => index !== m.rollback.stopped)),
      stopped: sumTallies(byInstance.filter((_, index) => index === m.rollback.stopped)),
    },
  };
}
