import { cpus } from 'node:os';
import { LOAD_SECTIONS } from './loadVerdicts.ts';
import { type BenchPlan, latencyNetwork, RSS_PARALLEL } from './plan.ts';
import type { Results, SetSecretResult } from './statistics.ts';
import { RSS_LARGE_FLEET, RSS_SMALL_FLEET, TARGETS } from './targetTable.ts';
import { judgedBy, loopback, noNetwork, type Section, section, type Verdict } from './verdictTable.ts';

export { windowExtraMs } from './loadVerdicts.ts';
export { TARGETS, targetLimits } from './targetTable.ts';
export type { Verdict };

const instancesOf = (subject: { instances: number }) => subject.instances;
const loginsOf = (subject: { loginsPerInstance: number; refusedLoginsPerInstance: number }) => ({
  perInstance: subject.loginsPerInstance,
  refusedPerInstance: subject.refusedLoginsPerInstance,
});

type Latency = Results['simulatedLatency'];
type Rotation = Results['wholeRotations'][number];
type PeakRss = Results['peakRss'];

const SET_SECRET = section<SetSecretResult>(
  loopback,
  (results) => results.setSecret,
  [
    { metric: (r) => `setSecret N=${r.instances}, parallel 1`, value: (r) => `${r.parallel1Ms} ms` },
    { metric: (r) => `setSecret N=${r.instances}, parallel 10`, value: (r) => `${r.parallel10Ms} ms` },
    {
      // Information only: on loopback the work is CPU on one thread, so this says nothing of a VPC.
      metric: (r) => `speedup N=${r.instances} (parallel 1 / parallel 10), information`,
      value: (r) => `${r.speedup}x`,
    },
    {
      metric: (r) => `CPU N=${r.instances}, parallel 1: function / servers / moto`,
      value: (r) => `${r.cpuParallel1Ms.function} / ${r.cpuParallel1Ms.servers} / ${r.cpuParallel1Ms.aws} ms`,
    },
    {
      metric: (r) => `speedup limit N=${r.instances} from CPU: 1 thread / ${cpus().length} cores`,
      value: (r) => `${r.speedupLimitOneThread}x / ${r.speedupLimitCores}x`,
    },
    {
      metric: (r) => `per instance N=${r.instances}: floor (plain mysql2), wall`,
      value: (r) => `${r.floorPerInstanceMs} ms`,
    },
    {
      metric: (r) => `per instance N=${r.instances}: function wall, raw / less fixed AWS part`,
      value: (r) =>
        `${r.perInstanceMs} ms = ${r.ratio}x / ${r.adjustedPerInstanceMs} ms = ${r.adjustedRatio}x floor`,
    },
    {
      metric: (r) => `CPU per instance N=${r.instances}: function (less a no-instance run) / floor`,
      value: (r) => `${r.functionCpuPerInstanceMs} / ${r.floorFunctionCpuPerInstanceMs} ms = ${r.cpuRatio}x`,
      judge: judgedBy(TARGETS.cpuPerInstanceRatio, (r) => r.cpuRatio, instancesOf),
    },
    {
      metric: (r) => `logins per instance N=${r.instances} (refused)`,
      value: (r) => `${r.loginsPerInstance} (${r.refusedLoginsPerInstance})`,
      judge: judgedBy(TARGETS.loginsPerInstance, loginsOf),
    },
  ],
  true,
);

const SIMULATED_LATENCY = section<Latency>(latencyNetwork, (results) => [results.simulatedLatency], [
  {
    metric: (l) =>
      `latency proxies: ${l.instances} in ${l.proxyProcesses} process(es) of their own, at most ${l.proxiesPerProcess} each`,
    value: (l) => `${l.delayMsPerChunkEachWay} ms each way`,
  },
  {
    metric: (l) =>
      `TCP ping (1 byte, ${l.pingMs.samples} round trips): straight / through a proxy, median (p95)`,
    value: (l) =>
      `${l.pingMs.direct.median} (${l.pingMs.direct.p95}) / ${l.pingMs.proxied.median} (${l.pingMs.proxied.p95}) ms`,
  },
  {
    metric: () => 'query round trip (SELECT 1 on an open session): straight / through a proxy',
    value: (l) => `${l.queryRoundTripMs.direct} / ${l.queryRoundTripMs.proxied} ms`,
  },
  {
    metric: (l) => `setSecret N=1 / N=${l.instances} at parallel 1, 10, ${l.instances}`,
    value: (l) => `${l.singleMs} / ${l.parallel1Ms}, ${l.parallel10Ms}, ${l.parallelAllMs} ms`,
  },
  {
    metric: (l) => `setSecret N=${l.instances}, parallel ${l.instances} / setSecret N=1`,
    value: (l) => `${l.parallelAllMs} / ${l.singleMs} ms = ${l.parallelRatio}x`,
    judge: judgedBy(TARGETS.latencyParallelRatio, (l) => l.parallelRatio, instancesOf),
  },
  {
    metric: (l) => `speedup N=${l.instances} (parallel 1 / parallel 10), information`,
    value: (l) => `${Math.round((l.parallel1Ms / l.parallel10Ms) * 100) / 100}x`,
  },
  {
    metric: (l) => `wait added per instance N=${l.instances}, parallel 1 (vs loopback)`,
    value: (l) => (l.addedPerInstanceParallel1Ms === null ? 'n/a' : `${l.addedPerInstanceParallel1Ms} ms`),
  },
  {
    metric: (l) => `logins per instance N=${l.instances} with simulated latency (refused)`,
    value: (l) => `${l.loginsPerInstance} (${l.refusedLoginsPerInstance})`,
    judge: judgedBy(TARGETS.loginsPerInstance, loginsOf),
  },
]);

const FIXED_AND_EXPOSURE = section<Results>(loopback, (results) => [results], [
  {
    metric: () => 'fixed AWS part of setSecret (no instances): wall / function CPU',
    value: (r) => `${r.fixedAwsMs} / ${r.fixedCpuMs} ms`,
  },
  {
    metric: (r) => `exposure window N=${r.exposureWindow.instances}`,
    value: (r) => `${r.exposureWindow.ms} ms`,
    judge: judgedBy(
      TARGETS.exposureWindowMs,
      (r) => r.exposureWindow.ms,
      (r) => r.exposureWindow.instances,
    ),
  },
]);

const STARTUP_AND_SIZE = section<Results>(noNetwork, (results) => [results], [
  {
    metric: (r) =>
      `cold start: import handler - node -e 0 (medians of ${r.coldStart.runs} fresh processes each)`,
    value: (r) => `${r.coldStart.importMs} - ${r.coldStart.bareNodeMs} = ${r.coldStart.overheadMs} ms`,
    judge: judgedBy(TARGETS.coldStartMs, (r) => r.coldStart.overheadMs),
  },
  {
    metric: () => 'cold start with what a first invocation loads: import and a version action - node -e 0',
    value: (r) =>
      `${r.coldStart.firstInvocationMs} - ${r.coldStart.bareNodeMs} = ${r.coldStart.firstInvocationOverheadMs} ms`,
  },
  {
    metric: () => 'TLS context with the RDS CA bundle (CPU per build)',
    value: (r) => `${r.rdsCaContextCpuMs} ms`,
  },
  {
    metric: () => 'function.zip size',
    value: (r) => `${r.zip.kB} kB`,
    judge: judgedBy(TARGETS.zipKB, (r) => r.zip.kB),
  },
]);

const WHOLE_ROTATIONS = section<Rotation>(loopback, (results) => results.wholeRotations, [
  {
    metric: (r) =>
      `whole rotation N=${r.instances}, parallel ${r.parallel} (bundle, fresh process per step): wall / CPU / peak RSS`,
    value: (r) => `${r.wallMs} ms / ${r.cpuMs} ms / ${r.peakRssMiB} MiB`,
  },
]);

const mib = (view: { MiB: number } | null) => (view === null ? 'not run' : `${view.MiB} MiB`);

const PEAK_RSS = section<PeakRss>(loopback, (results) => [results.peakRss], [
  {
    metric: (p) =>
      p.growth === null
        ? `peak RSS growth, whole rotation N=${RSS_LARGE_FLEET} / N=${RSS_SMALL_FLEET}, parallel ${p.parallel}`
        : `peak RSS growth, whole rotation N=${p.large?.instances} / N=${p.small?.instances}, parallel ${p.parallel}`,
    value: (p) => (p.growth === null ? 'not run' : `${mib(p.large)} / ${mib(p.small)} = ${p.growth}x`),
    judge: {
      text: TARGETS.peakRssGrowth.text,
      met: (p) =>
        p.growth !== null && p.small?.instances === RSS_SMALL_FLEET && p.large?.instances === RSS_LARGE_FLEET
          ? TARGETS.peakRssGrowth.holds(p.growth)
          : null,
    },
  },
  {
    metric: (p) =>
      `peak RSS, whole rotation N=${p.fleet?.instances ?? TARGETS.peakRssMiB.limit.instances}, parallel ${RSS_PARALLEL}`,
    value: (p) =>
      p.fleet === null
        ? `not run (scripts/bench --fleet ${TARGETS.peakRssMiB.limit.instances})`
        : mib(p.fleet),
    judge: judgedBy(
      TARGETS.peakRssMiB,
      (p) => p.fleet?.MiB ?? Number.NaN,
      (p) => p.fleet?.instances,
    ),
  },
  {
    metric: (p) =>
      `setSecret CPU per instance in the bundle (fresh processes, N=${p.large?.instances ?? RSS_LARGE_FLEET} less N=0)`,
    value: (p) =>
      p.bundleSetSecretCpuPerInstanceMs === null ? 'n/a' : `${p.bundleSetSecretCpuPerInstanceMs} ms`,
  },
]);

const SECTIONS: Section[] = [
  SET_SECRET,
  SIMULATED_LATENCY,
  FIXED_AND_EXPOSURE,
  STARTUP_AND_SIZE,
  WHOLE_ROTATIONS,
  PEAK_RSS,
  ...LOAD_SECTIONS,
];

/** Every line of the table, in order, each with its target and whether it was met. */
export function judge(results: Results, plan: BenchPlan): Verdict[] {
  return SECTIONS.flatMap((lines) => lines(results, plan));
}
