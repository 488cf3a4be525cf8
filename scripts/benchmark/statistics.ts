import { cpus } from 'node:os';
import { type ApplicationLoadMeasurement, summarizeApplicationLoad } from './applicationLoad.ts';
import type { BenchPlan } from './plan.ts';
import type { SizeSamples } from './setSecret.ts';
import type { LatencySamples } from './simulatedLatency.ts';

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}

/** Every sample of one run, as the measurements return them. */
export interface Measurements {
  fixed: number[];
  sizes: Map<number, SizeSamples>;
  exposure: number[];
  coldStart: { bare: number[]; imported: number[] };
  rdsCaContext: number[];
  /** Per repetition: step name -> that step's peak RSS in MiB. */
  rssSteps: Record<string, number>[];
  latency: LatencySamples & { queryRoundTrip: { direct: number; proxied: number } };
  zipBytes: number;
  applicationLoad: ApplicationLoadMeasurement;
}

export type Results = ReturnType<typeof summarize>;
export type SetSecretResult = Results['setSecret'][number];

/** Medians and the numbers derived from them, as saved in the JSON. */
export function summarize(plan: BenchPlan, m: Measurements) {
  const fixedMs = median(m.fixed);
  const setSecret = plan.sizes.map((n) => {
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
  const loopbackSameN = setSecret.find((row) => row.instances === plan.latencyInstances);
  return {
    setSecret,
    simulatedLatency: {
      instances: plan.latencyInstances,
      delayMsPerChunkEachWay: plan.latencyMsPerChunk,
      parallel1Ms: round(latencyParallel1Ms),
      parallel10Ms: round(latencyParallel10Ms),
      speedup: round(latencyParallel1Ms / latencyParallel10Ms, 2),
      // How much waiting the proxies added to each instance, one after the other.
      addedPerInstanceParallel1Ms:
        loopbackSameN === undefined
          ? null
          : round((latencyParallel1Ms - loopbackSameN.parallel1Ms) / plan.latencyInstances, 1),
      queryRoundTripMs: {
        direct: round(m.latency.queryRoundTrip.direct, 2),
        proxied: round(m.latency.queryRoundTrip.proxied, 2),
      },
      loginsPerInstance: round(m.latency.logins / m.latency.instanceRuns, 2),
      refusedLoginsPerInstance: round(m.latency.refused / m.latency.instanceRuns, 2),
    },
    fixedAwsMs: round(fixedMs),
    exposureWindow: { instances: plan.exposureInstances, parallel: 10, ms: round(median(m.exposure)) },
    coldStart: {
      runs: plan.coldStartRuns,
      bareNodeMs: round(median(m.coldStart.bare)),
      importMs: round(median(m.coldStart.imported)),
      overheadMs: round(median(m.coldStart.imported) - median(m.coldStart.bare)),
    },
    rdsCaContextCpuMs: round(median(m.rdsCaContext), 2),
    zip: { bytes: m.zipBytes, kB: round(m.zipBytes / 1000) },
    peakRss: {
      instances: plan.rssInstances,
      parallel: plan.rssParallel,
      maxRssMiB: round(median(m.rssSteps.map((run) => Math.max(...Object.values(run))))),
      perStepMiB: Object.fromEntries(
        steps.map((step) => [step, round(median(m.rssSteps.map((run) => run[step] ?? 0)))]),
      ),
    },
    applicationLoad: summarizeApplicationLoad(plan, m.applicationLoad),
  };
}
