import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ensureBuiltZip } from '../../sandbox/bundleInvoker.ts';
import { installLoopbackDns } from '../../sandbox/loopbackDns.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import type { TcpFaultProxy } from '../../sandbox/tcpFaultProxy.ts';
import { measureApplicationLoad } from './applicationLoad.ts';
import { measureBundleRotation } from './bundleRotation.ts';
import { measureExposure } from './exposure.ts';
import { Floor } from './floor.ts';
import { InProcessFunction } from './inProcessFunction.ts';
import { type BenchPlan, progress } from './plan.ts';
import { printTable, saveReport } from './report.ts';
import { measureSetSecret } from './setSecret.ts';
import {
  createProxiedApp,
  measureQueryRoundTrip,
  measureSimulatedLatency,
  startLatencyProxy,
} from './simulatedLatency.ts';
import { measureColdStart, measureRdsCaContext } from './startup.ts';
import { summarize } from './statistics.ts';
import { judge } from './targets.ts';

/** Every measurement of the plan against one sandbox; prints the table and saves the JSON. */
export async function runBench(plan: BenchPlan): Promise<void> {
  const benchStarted = performance.now();
  // Other work on the machine skews every number: the load average goes into the JSON.
  const loadAtStart = loadavg()[0] as number;
  installLoopbackDns();
  const zip = ensureBuiltZip();
  const serverCount = Math.max(
    ...plan.sizes,
    plan.exposureInstances,
    plan.rssInstances,
    plan.latencyInstances,
    plan.load.instances,
  );

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
    for (const n of plan.sizes) apps.set(n, await newApp(n));
    const empty = await newApp(0);
    const exposureApp = await newApp(plan.exposureInstances);
    const rssApp = apps.get(plan.rssInstances) ?? (await newApp(plan.rssInstances));
    const floor = new Floor(readFileSync(world.ca.caFile, 'utf8'));
    await floor.createUsers(world.servers);

    const { fixed, sizes } = await measureSetSecret(plan, fn, floor, apps, empty);
    progress(`exposure window, ${plan.exposureInstances} instances`);
    const exposure = await measureExposure(plan, fn, exposureApp);
    progress(`cold start, ${plan.coldStartRuns} runs each`);
    const coldStart = measureColdStart(plan, rssApp.invoker.dir);
    const rdsCaContext = measureRdsCaContext();
    const rssSteps: Record<string, number>[] = [];
    for (let rep = 1; rep <= plan.repetitions; rep++) {
      progress(`bundle rotation of ${plan.rssInstances} instances (peak RSS) ${rep}/${plan.repetitions}`);
      rssSteps.push(await measureBundleRotation(plan, rssApp, world));
    }
    // Last, so that its RDS records do not lengthen the DescribeDBInstances of the numbers above.
    progress(
      `simulated latency: ${plan.latencyInstances} proxies, ${plan.latencyMsPerChunk} ms per chunk each way`,
    );
    for (const server of world.servers.slice(0, plan.latencyInstances)) {
      proxies.push(await startLatencyProxy(plan, server.port));
    }
    const latencyApp = await createProxiedApp(world, proxies);
    created.push(latencyApp);
    const latency = {
      ...(await measureSimulatedLatency(plan, fn, latencyApp)),
      queryRoundTrip: await measureQueryRoundTrip(latencyApp, proxies[0] as TcpFaultProxy),
    };
    // Last: it stops and restarts a server, and its applications load the machine.
    const applicationLoad = await measureApplicationLoad(plan, world);

    const results = summarize(plan, {
      fixed,
      sizes,
      exposure,
      coldStart,
      rdsCaContext,
      rssSteps,
      latency,
      zipBytes: statSync(zip).size,
      applicationLoad,
    });
    const verdicts = judge(results, plan);
    printTable(plan, results, verdicts);
    saveReport(plan, results, verdicts, { loadAtStart, seconds: (performance.now() - benchStarted) / 1000 });
  } finally {
    for (const app of created) app.cleanup();
    await Promise.allSettled(proxies.map((proxy) => proxy.stop()));
    fn.destroy();
    await world.stop();
  }
}
