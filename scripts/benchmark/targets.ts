import { cpus } from 'node:os';
import type { ApplicationLoadResult, VariantSummary } from './applicationLoad.ts';
import { type BenchPlan, latencyNetwork, RSS_PARALLEL } from './plan.ts';
import type { Results, SetSecretResult } from './statistics.ts';

export interface Verdict {
  metric: string;
  /** Where the number was measured: 'loopback', the simulated latency, or '' (no network involved). */
  network: string;
  value: string;
  target: string;
  /** null: not measured where the target applies (a smoke run), or no target. */
  met: boolean | null;
}

interface Target<V> {
  /** As saved in the JSON: the limit and where it is judged (number of instances, parallelism). */
  limit: {
    min?: number;
    max?: number;
    equals?: number;
    instances?: number;
    parallel?: number;
    /** The application variant it judges (the others are measured for comparison). */
    variant?: string;
    /** What the limit counts in, when not a plain unit: `max: 1, of: 'refresh interval'`. */
    of?: string;
  };
  /** The limit as the table prints it. */
  text: string;
  holds(value: V): boolean;
}

type Where = { instances?: number; parallel?: number };

function atLeast(min: number, unit: string, where: Where = {}): Target<number> {
  return { limit: { min, ...where }, text: `>= ${min}${unit}`, holds: (value) => value >= min };
}

function atMost(max: number, unit: string, where: Where = {}): Target<number> {
  return { limit: { max, ...where }, text: `<= ${max}${unit}`, holds: (value) => value <= max };
}

function below(max: number, unit: string, where: Where = {}): Target<number> {
  return { limit: { max, ...where }, text: `< ${max}${unit}`, holds: (value) => value < max };
}

interface Logins {
  perInstance: number;
  refusedPerInstance: number;
}

const LOGINS_PER_INSTANCE = 2;

/** The one table of targets: each a limit, its comparison and where it applies. */
export const TARGETS = {
  speedup: atLeast(4, 'x', { instances: 16 }),
  perInstanceRatio: atMost(1.3, 'x', { instances: 32 }),
  // One login with the current password, one to verify the new one, and none refused.
  loginsPerInstance: {
    limit: { equals: LOGINS_PER_INSTANCE },
    text: `${LOGINS_PER_INSTANCE} (0)`,
    holds: (logins: Logins) => logins.perInstance === LOGINS_PER_INSTANCE && logins.refusedPerInstance === 0,
  } satisfies Target<Logins>,
  exposureWindowMs: below(1000, ' ms', { instances: 8 }),
  coldStartMs: atMost(100, ' ms'),
  zipKB: atMost(600, ' kB'),
  peakRssMiB: atMost(128, ' MiB', { instances: 32, parallel: RSS_PARALLEL }),
  // The client's application through the rotations: nothing it sends may fail.
  loadFailedQueries: {
    limit: { equals: 0, variant: 'client' },
    text: '0',
    holds: (failed: number) => failed === 0,
  } satisfies Target<number>,
  // A connection refused inside the window pays its refused login and one read, not more.
  windowExtraLatency: {
    limit: { max: 1, of: 'Secrets Manager read', variant: 'client' },
    text: '<= 1 read',
    holds: ({ extraMs, readMs }: { extraMs: number; readMs: number }) => extraMs <= readMs,
  } satisfies Target<{ extraMs: number; readMs: number }>,
  steadyReads: {
    limit: { max: 1, of: 'refresh interval', variant: 'client' },
    text: '<= 1 per refresh interval',
    holds: (steady: { reads: number; limit: number }) => steady.reads <= steady.limit,
  } satisfies Target<{ reads: number; limit: number }>,
  rollbackFailedQueries: {
    limit: { equals: 0, variant: 'client' },
    text: '0 on running instances',
    holds: (failed: number) => failed === 0,
  } satisfies Target<number>,
};

/** The targets as the JSON report saves them. */
export function targetLimits(): Record<keyof typeof TARGETS, Target<never>['limit']> {
  return Object.fromEntries(Object.entries(TARGETS).map(([name, target]) => [name, target.limit])) as Record<
    keyof typeof TARGETS,
    Target<never>['limit']
  >;
}

interface Judge<S> {
  text: string;
  /** null when `subject` was measured at another number of instances than the target's. */
  met(subject: S): boolean | null;
}

/** How `target` judges a line: the value it reads, and at how many instances the line was measured. */
function judgedBy<S, V>(
  target: Target<V>,
  read: (subject: S) => V,
  instances?: (subject: NoInfer<S>) => number,
): Judge<S> {
  const where = target.limit.instances;
  return {
    text: target.text,
    met: (subject) =>
      where === undefined || instances?.(subject) === where ? target.holds(read(subject)) : null,
  };
}

/** How `target` judges a line about one application variant: only for the variant it names. */
function judgedForVariant<S extends { variant: string }, V>(
  target: Target<V>,
  read: (subject: S) => V,
): Judge<S> {
  return {
    text: target.text,
    met: (subject) => (subject.variant === target.limit.variant ? target.holds(read(subject)) : null),
  };
}

/** One line of the table. */
interface Line<S> {
  metric(subject: S): string;
  value(subject: S): string;
  judge?: Judge<S>;
}

type Section = (results: Results, plan: BenchPlan) => Verdict[];

/**
 * Lines about each of `subjects`, measured on `network`. Lines repeated for several sizes show a
 * limit only on the size it judges; elsewhere it would read as if it applied there.
 */
function section<S>(
  network: (plan: BenchPlan) => string,
  subjects: (results: Results) => S[],
  lines: Line<S>[],
  limitOnlyWhereJudged = false,
): Section {
  return (results, plan) =>
    subjects(results).flatMap((subject) =>
      lines.map((line) => {
        const met = line.judge?.met(subject) ?? null;
        const shown = line.judge !== undefined && (!limitOnlyWhereJudged || met !== null);
        return {
          metric: line.metric(subject),
          network: network(plan),
          value: line.value(subject),
          target: shown ? (line.judge?.text ?? '') : '',
          met,
        };
      }),
    );
}

const loopback = () => 'loopback';
const noNetwork = () => '';
const instancesOf = (subject: { instances: number }) => subject.instances;
const loginsOf = (subject: { loginsPerInstance: number; refusedLoginsPerInstance: number }): Logins => ({
  perInstance: subject.loginsPerInstance,
  refusedPerInstance: subject.refusedLoginsPerInstance,
});

const SECTIONS: Section[] = [
  section<SetSecretResult>(
    loopback,
    (results) => results.setSecret,
    [
      { metric: (r) => `setSecret N=${r.instances}, parallel 1`, value: (r) => `${r.parallel1Ms} ms` },
      { metric: (r) => `setSecret N=${r.instances}, parallel 10`, value: (r) => `${r.parallel10Ms} ms` },
      {
        metric: (r) => `speedup N=${r.instances} (parallel 1 / parallel 10)`,
        value: (r) => `${r.speedup}x`,
        judge: judgedBy(TARGETS.speedup, (r) => r.speedup, instancesOf),
      },
      {
        metric: (r) => `CPU N=${r.instances}, parallel 1: function / servers / moto`,
        value: (r) =>
          `${r.cpuParallel1Ms.function} / ${r.cpuParallel1Ms.servers} / ${r.cpuParallel1Ms.aws} ms`,
      },
      {
        metric: (r) => `speedup limit N=${r.instances} from CPU: 1 thread / ${cpus().length} cores`,
        value: (r) => `${r.speedupLimitOneThread}x / ${r.speedupLimitCores}x`,
      },
      {
        metric: (r) => `per instance N=${r.instances}: floor (plain mysql2)`,
        value: (r) => `${r.floorPerInstanceMs} ms (CPU ${r.floorFunctionCpuPerInstanceMs} ms)`,
      },
      {
        metric: (r) => `per instance N=${r.instances}: function raw (setSecret / N)`,
        value: (r) => `${r.perInstanceMs} ms = ${r.ratio}x floor`,
        judge: judgedBy(TARGETS.perInstanceRatio, (r) => r.ratio, instancesOf),
      },
      {
        metric: (r) => `per instance N=${r.instances}: function less fixed AWS part`,
        value: (r) => `${r.adjustedPerInstanceMs} ms = ${r.adjustedRatio}x floor`,
        judge: judgedBy(TARGETS.perInstanceRatio, (r) => r.adjustedRatio, instancesOf),
      },
      {
        metric: (r) => `logins per instance N=${r.instances} (refused)`,
        value: (r) => `${r.loginsPerInstance} (${r.refusedLoginsPerInstance})`,
        judge: judgedBy(TARGETS.loginsPerInstance, loginsOf),
      },
    ],
    true,
  ),
  section<Results['simulatedLatency']>(latencyNetwork, (results) => [results.simulatedLatency], [
    {
      metric: (l) =>
        `setSecret N=${l.instances} with simulated latency (${l.delayMsPerChunkEachWay}ms per chunk each way), parallel 1 / parallel 10`,
      value: (l) => `${l.parallel1Ms} / ${l.parallel10Ms} ms`,
    },
    {
      metric: (l) => `speedup N=${l.instances} with simulated latency`,
      value: (l) => `${l.speedup}x`,
      judge: judgedBy(TARGETS.speedup, (l) => l.speedup, instancesOf),
    },
    {
      metric: () => 'query round trip (SELECT 1 on an open session): direct / through a proxy',
      value: (l) => `${l.queryRoundTripMs.direct} / ${l.queryRoundTripMs.proxied} ms`,
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
  ]),
  section<Results>(loopback, (results) => [results], [
    { metric: () => 'fixed AWS part of setSecret (no instances)', value: (r) => `${r.fixedAwsMs} ms` },
    {
      metric: (r) => `exposure window N=${r.exposureWindow.instances}`,
      value: (r) => `${r.exposureWindow.ms} ms`,
      judge: judgedBy(
        TARGETS.exposureWindowMs,
        (r) => r.exposureWindow.ms,
        (r) => r.exposureWindow.instances,
      ),
    },
  ]),
  section<Results>(noNetwork, (results) => [results], [
    {
      metric: () => 'cold start (import handler - node -e 0)',
      value: (r) => `${r.coldStart.overheadMs} ms`,
      judge: judgedBy(TARGETS.coldStartMs, (r) => r.coldStart.overheadMs),
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
  ]),
  section<Results>(loopback, (results) => [results], [
    {
      metric: (r) => `peak RSS, whole rotation N=${r.peakRss.instances}, parallel ${RSS_PARALLEL}`,
      value: (r) => `${r.peakRss.maxRssMiB} MiB`,
      judge: judgedBy(
        TARGETS.peakRssMiB,
        (r) => r.peakRss.maxRssMiB,
        (r) => r.peakRss.instances,
      ),
    },
  ]),
  section<VariantSummary>(
    loopback,
    (results) => results.applicationLoad.variants,
    [
      {
        metric: (v) =>
          `app ${v.variant}: failed new connections (in windows) / pooled queries, ${v.rotations} rotations`,
        value: (v) =>
          `${v.newConnections.failed} (${v.newConnections.failedInWindows}) / ${v.pooledQueries.failed}`,
        judge: judgedForVariant(
          TARGETS.loadFailedQueries,
          (v) => v.newConnections.failed + v.pooledQueries.failed,
        ),
      },
      {
        metric: (v) => `app ${v.variant}: queries sent, new connections / pooled`,
        value: (v) => `${v.newConnections.attempts} / ${v.pooledQueries.attempts}`,
      },
      {
        metric: (v) => `app ${v.variant}: Secrets Manager reads per rotation`,
        value: (v) => `${v.secretReads.perRotation}`,
      },
      {
        metric: (v) =>
          `app ${v.variant}: Secrets Manager reads in ${v.steady.seconds} s without rotation` +
          (v.variant === 'client' ? `, refresh every ${v.steady.refreshIntervalMs / 1000} s` : ''),
        value: (v) => `${v.steady.reads}${v.variant === 'client' ? ` (limit ${v.steady.limit})` : ''}`,
        judge: judgedForVariant(TARGETS.steadyReads, (v) => v.steady),
      },
    ],
    true,
  ),
  section<ApplicationLoadResult>(loopback, (results) => [results.applicationLoad], [
    {
      metric: (a) =>
        `rotation window (setSecret start to finishSecret end), ${a.stepDelayMs} ms between steps`,
      value: (a) => {
        const all = a.variants.map((v) => v.windowMs);
        const min = Math.min(...all.map((w) => w.min ?? Number.NaN));
        const max = Math.max(...all.map((w) => w.max ?? Number.NaN));
        return `${min} to ${max} ms`;
      },
    },
    ...clientLines(),
    {
      metric: (a) => `app client, rollback with 1 of ${a.rollback.instances} instances stopped: rolled back`,
      value: (a) => (a.rollback.rolledBack ? 'yes' : 'NO'),
    },
    {
      metric: () => 'app client, rollback: failed queries on running instances / on the stopped one',
      value: (a) => `${a.rollback.running.failed} / ${a.rollback.stopped.failed}`,
      judge: {
        text: TARGETS.rollbackFailedQueries.text,
        met: (a) => TARGETS.rollbackFailedQueries.holds(a.rollback.running.failed),
      },
    },
  ]),
];

/** The client's latencies: a connection outside the window, inside it, one that fell back, a read. */
function clientLines(): Line<ApplicationLoadResult>[] {
  const client = (a: ApplicationLoadResult) =>
    a.variants.find((v) => v.variant === 'client') as VariantSummary;
  const ms = (value: number | null) => (value === null ? 'n/a' : `${value} ms`);
  return [
    {
      metric: () => 'app client: new connection, outside / inside the windows (medians)',
      value: (a) => `${ms(client(a).latency.outsideMs)} / ${ms(client(a).latency.insideMs)}`,
    },
    {
      metric: () => 'app client: Secrets Manager read inside the windows (median)',
      value: (a) => ms(client(a).latency.readMs),
    },
    {
      metric: (a) =>
        `app client: refused first in a window: refused login / wait for the read / login (medians of ${client(a).latency.fallback.connections})`,
      value: (a) => {
        const { refusedLoginMs, readWaitMs, loginMs } = client(a).latency.fallback;
        return `${ms(refusedLoginMs)} / ${ms(readWaitMs)} / ${ms(loginMs)}`;
      },
    },
    {
      metric: (a) =>
        `app client: refused first in a window, extra beyond its refused login (median of ${client(a).latency.fallback.connections})`,
      value: (a) => ms(windowExtraMs(client(a))),
      judge: {
        text: TARGETS.windowExtraLatency.text,
        met: (a) => {
          const extraMs = windowExtraMs(client(a));
          const readMs = client(a).latency.readMs;
          return extraMs === null || readMs === null
            ? false
            : TARGETS.windowExtraLatency.holds({ extraMs, readMs });
        },
      },
    },
  ];
}

/**
 * What a connection refused first inside a window paid beyond two logins (the refused one and the
 * one that worked), each as long as a new connection inside the windows, where the machine is as
 * busy (the bundle's steps run then): the wait for the read.
 */
export function windowExtraMs(client: VariantSummary): number | null {
  const { fallback, insideMs } = client.latency;
  if (fallback.medianMs === null || insideMs === null) return null;
  return Number((fallback.medianMs - 2 * insideMs).toFixed(1));
}

/** Every line of the table, in order, each with its target and whether it was met. */
export function judge(results: Results, plan: BenchPlan): Verdict[] {
  return SECTIONS.flatMap((lines) => lines(results, plan));
}
