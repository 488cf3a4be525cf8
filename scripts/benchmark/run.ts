import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { bundleInvoker, ensureBuiltZip } from '../../sandbox/bundleInvoker.ts';
import { installLoopbackDns } from '../../sandbox/loopbackDns.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { measureApplicationLoad } from './applicationLoad.ts';
import { measureExposure } from './exposure.ts';
import { Floor } from './floor.ts';
import { InProcessFunction } from './inProcessFunction.ts';
import { type BenchPlan, progress, serverCount } from './plan.ts';
import { printTable, saveReport } from './report.ts';
import { measureSetSecret } from './setSecret.ts';
import { measureSimulatedLatency } from './simulatedLatency.ts';
import { measureColdStart, measureRdsCaContext } from './startup.ts';
import { summarize } from './statistics.ts';
import { judge } from './targets.ts';
import { measureWholeRotations } from './wholeRotations.ts';

const SERVER_START_TIMEOUT_MS = 90_000;
const WORLD_LIFETIME_MS = 3 * 60 * 60_000;

/** The cold start of the built bundle, unzipped into a directory of its own. */
function measureBundleColdStart(plan: BenchPlan) {
  const unzipped = bundleInvoker({});
  try {
    return measureColdStart(plan, unzipped.dir);
  } finally {
    unzipped.cleanup();
  }
}

/** Every measurement of the plan against one sandbox; prints the table and saves the JSON. */
export async function runBench(plan: BenchPlan): Promise<void> {
  const benchStarted = performance.now();
  // Other work on the machine skews every number: the load average goes into the header and JSON.
  const loadAtStart = loadavg();
  installLoopbackDns();
  const zip = ensureBuiltZip();
  const servers = serverCount(plan);
  // First, on a machine the sandbox does not load yet: the cold start is the bundle's, not the
  // fleet's (a hundred idle servers and their watchdogs add load of their own).
  progress(`cold start, ${plan.coldStartRuns} runs each`);
  const coldStart = measureBundleColdStart(plan);
  const rdsCaContext = measureRdsCaContext();

  progress(`starting moto and ${servers} MariaDB servers`);
  const serversStarted = performance.now();
  // A hundred servers starting on a loaded machine take longer than a test's few.
  // A full run with --fleet 128 on a loaded machine outlasts the sandbox's default 30 minutes.
  const world = await RotationWorld.start(
    servers,
    () => ({ startTimeoutMs: SERVER_START_TIMEOUT_MS }),
    WORLD_LIFETIME_MS,
  );
  const startSeconds = (performance.now() - serversStarted) / 1000;
  progress(`${servers} MariaDB servers started in ${startSeconds.toFixed(1)} s`);
  const fn = new InProcessFunction(world.moto.endpoint);
  const apps = new Map<number, App>();
  const created: App[] = [];
  const newApp = async (n: number) => {
    const app = await world.createApp({ servers: Array.from({ length: n }, (_, i) => i) });
    created.push(app);
    return app;
  };
  try {
    progress('creating applications (secret, user and RDS instances each)');
    for (const n of plan.sizes) apps.set(n, await newApp(n));
    const empty = await newApp(0);
    const exposureApp = await newApp(plan.exposureInstances);
    const floor = new Floor(readFileSync(world.ca.caFile, 'utf8'));
    await floor.createUsers(world.servers.slice(0, Math.max(...plan.sizes)));

    const { fixed, fixedCpu, sizes } = await measureSetSecret(plan, fn, floor, apps, empty);
    progress(`exposure window, ${plan.exposureInstances} instances`);
    const exposure = await measureExposure(plan, fn, exposureApp);
    // After the loopback numbers: their RDS records would lengthen the DescribeDBInstances above.
    const wholeRotations = await measureWholeRotations(plan, world, created);
    progress(
      `simulated latency: ${plan.latencyInstances} proxies, ${plan.latencyMsPerChunk} ms per chunk each way`,
    );
    const latency = await measureSimulatedLatency(plan, world, fn, created);
    // Last: it stops and restarts a server, and its applications load the machine.
    const applicationLoad = await measureApplicationLoad(plan, world);

    const results = summarize(plan, {
      fixed,
      fixedCpu,
      sizes,
      exposure,
      coldStart,
      rdsCaContext,
      wholeRotations,
      latency,
      zipBytes: statSync(zip).size,
      applicationLoad,
    });
    const verdicts = judge(results, plan);
    const run = {
      loadAtStart,
      loadAtEnd: loadavg(),
      servers,
      serverStartSeconds: startSeconds,
      seconds: (performance.now() - benchStarted) / 1000,
    };
    printTable(plan, results, verdicts, run);
    saveReport(plan, results, verdicts, run);
  } finally {
    for (const app of created) app.cleanup();
    fn.destroy();
    await world.stop();
  }
}
