import { cpus } from 'node:os';
import { median as medianOrNull } from '../../sandbox/applicationLoadAnalysis.ts';
import { type ApplicationLoadMeasurement, summarizeApplicationLoad } from './applicationLoad.ts';
import type { BenchPlan } from './plan.ts';
import type { SizeSamples } from './setSecret.ts';
import type { LatencySamples } from './simulatedLatency.ts';
import type { RotationSeries } from './wholeRotations.ts';

/** The median of `samples`, NaN when there are none (the line then prints NaN). */
export function median(samples: number[]): number {
  return medianOrNull(samples) ?? Number.NaN;
}

/** The nearest-rank percentile `p` (0 to 100) of `samples`. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}

/** Every sample of one run, as the measurements return them. */
export interface Measurements {
  fixed: number[];
  fixedCpu: number[];
  sizes: Map<number, SizeSamples>;
  exposure: number[];
  coldStart: { bare: number[]; imported: number[]; firstInvocation: number[] };
  rdsCaContext: number[];
  wholeRotations: RotationSeries[];
  latency: LatencySamples;
  zipBytes: number;
  applicationLoad: ApplicationLoadMeasurement;
}

export type Results = ReturnType<typeof summarize>;
export type SetSecretResult = Results['setSecret'][number];

/** Medians and the numbers derived from them, as saved in the JSON. */
export function summarize(plan: BenchPlan, m: Measurements) {
  const fixedMs = median(m.fixed);
  const fixedCpuMs = median(m.fixedCpu);
  const setSecret = plan.sizes.map((n) => {
    const samples = m.sizes.get(n) as SizeSamples;
    const parallel1Ms = median(samples.parallel1);
    const parallel10Ms = median(samples.parallel10);
    const floorMs = median(samples.floor);
    const perInstanceMs = parallel1Ms / n;
    const adjustedPerInstanceMs = (parallel1Ms - fixedMs) / n;
    const floorPerInstanceMs = floorMs / n;
    const floorCpuPerInstanceMs = median(samples.floorCpu) / n;
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
      floorFunctionCpuPerInstanceMs: round(floorCpuPerInstanceMs, 2),
      // The function's own CPU per instance, less that of a run with no instance.
      functionCpuPerInstanceMs: round((cpu.function - fixedCpuMs) / n, 2),
      cpuRatio: round((cpu.function - fixedCpuMs) / n / floorCpuPerInstanceMs, 2),
      // Parallelism cannot beat the CPU the work needs: the function's own (one JavaScript thread)
      // and that of everything on this machine spread over its cores.
      speedupLimitOneThread: round(parallel1Ms / cpu.function, 2),
      speedupLimitCores: round((parallel1Ms * cpus().length) / (cpu.function + cpu.servers + cpu.aws), 2),
    };
  });
  const rotations = m.wholeRotations.map(summarizeSeries);
  return {
    setSecret,
    fixedCpuMs: round(fixedCpuMs),
    simulatedLatency: summarizeLatency(plan, m.latency, setSecret),
    fixedAwsMs: round(fixedMs),
    exposureWindow: { instances: plan.exposureInstances, parallel: 10, ms: round(median(m.exposure)) },
    coldStart: {
      runs: plan.coldStartRuns,
      bareNodeMs: round(median(m.coldStart.bare)),
      importMs: round(median(m.coldStart.imported)),
      overheadMs: round(median(m.coldStart.imported) - median(m.coldStart.bare)),
      firstInvocationMs: round(median(m.coldStart.firstInvocation)),
      firstInvocationOverheadMs: round(median(m.coldStart.firstInvocation) - median(m.coldStart.bare)),
    },
    rdsCaContextCpuMs: round(median(m.rdsCaContext), 2),
    zip: { bytes: m.zipBytes, kB: round(m.zipBytes / 1000) },
    wholeRotations: rotations,
    peakRss: summarizePeakRss(plan, rotations),
    applicationLoad: summarizeApplicationLoad(plan, m.applicationLoad),
  };
}

type Row = { instances: number; parallel1Ms: number };

function summarizeLatency(plan: BenchPlan, l: LatencySamples, loopback: Row[]) {
  const single = median(l.single);
  const parallel1 = median(l.parallel1);
  const parallelAll = median(l.parallelAll);
  const loopbackSameN = loopback.find((row) => row.instances === plan.latencyInstances);
  const spread = (samples: number[]) => ({
    median: round(median(samples), 2),
    p95: round(percentile(samples, 95), 2),
  });
  return {
    instances: plan.latencyInstances,
    delayMsPerChunkEachWay: plan.latencyMsPerChunk,
    proxiesPerProcess: plan.latencyProxiesPerProcess,
    proxyProcesses: l.proxyProcesses,
    pingMs: { samples: l.ping.direct.length, direct: spread(l.ping.direct), proxied: spread(l.ping.proxied) },
    queryRoundTripMs: {
      direct: round(l.queryRoundTrip.direct, 2),
      proxied: round(l.queryRoundTrip.proxied, 2),
    },
    singleMs: round(single),
    parallel1Ms: round(parallel1),
    parallel10Ms: round(median(l.parallel10)),
    parallelAllMs: round(parallelAll),
    /** setSecret of all instances at once against one instance: what parallelism hides. */
    parallelRatio: round(parallelAll / single, 2),
    // How much waiting the proxies added to each instance, one after the other.
    addedPerInstanceParallel1Ms:
      loopbackSameN === undefined
        ? null
        : round((parallel1 - loopbackSameN.parallel1Ms) / plan.latencyInstances, 1),
    loginsPerInstance: round(l.logins / l.instanceRuns, 2),
    refusedLoginsPerInstance: round(l.refused / l.instanceRuns, 2),
  };
}

/** Medians over the runs: wall time, CPU of every step's process, the largest peak RSS of a step. */
function summarizeSeries(series: RotationSeries) {
  const steps = Object.keys(series.runs[0]?.steps ?? {});
  const stepMedian = (step: string, key: 'rssMiB' | 'cpuMs') =>
    round(median(series.runs.map((run) => run.steps[step]?.[key] ?? 0)));
  return {
    instances: series.instances,
    parallel: series.parallel,
    part: series.part,
    runs: series.runs.length,
    wallMs: round(median(series.runs.map((run) => run.wallMs))),
    cpuMs: round(
      median(series.runs.map((run) => Object.values(run.steps).reduce((sum, s) => sum + s.cpuMs, 0))),
    ),
    peakRssMiB: round(
      median(series.runs.map((run) => Math.max(...Object.values(run.steps).map((s) => s.rssMiB)))),
    ),
    perStep: Object.fromEntries(
      steps.map((step) => [step, { rssMiB: stepMedian(step, 'rssMiB'), cpuMs: stepMedian(step, 'cpuMs') }]),
    ),
  };
}

type RotationSummary = ReturnType<typeof summarizeSeries>;

/**
 * Peak RSS of whole rotations at the plan's parallelism: the smallest and largest memory-part
 * sizes, their ratio, and the fleet's; and the bundle's setSecret CPU per instance, fresh
 * processes, less a rotation with no instance.
 */
function summarizePeakRss(plan: BenchPlan, rotations: RotationSummary[]) {
  const at = (instances: number | undefined, part: RotationSummary['part']) =>
    rotations.find((r) => r.instances === instances && r.parallel === plan.rssParallel && r.part === part) ??
    null;
  const small = at(plan.rssSizes[0], 'memory');
  const large = at(plan.rssSizes.at(-1), 'memory');
  const none = at(0, 'memory');
  const fleet = plan.fleet === null ? null : at(plan.fleet, 'fleet');
  const view = (r: RotationSummary | null) =>
    r === null ? null : { instances: r.instances, MiB: r.peakRssMiB };
  const setSecretCpu = (r: RotationSummary | null) => r?.perStep.setSecret?.cpuMs ?? 0;
  return {
    parallel: plan.rssParallel,
    small: view(small),
    large: view(large),
    growth:
      small === null || large === null || small === large
        ? null
        : round(large.peakRssMiB / small.peakRssMiB, 2),
    fleet: view(fleet),
    bundleSetSecretCpuPerInstanceMs:
      large === null || none === null
        ? null
        : round((setSecretCpu(large) - setSecretCpu(none)) / large.instances, 2),
  };
}
