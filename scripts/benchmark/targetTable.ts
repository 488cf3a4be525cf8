import { RSS_PARALLEL } from './plan.ts';
import { atMost, below, type Target } from './verdictTable.ts';

interface Logins {
  perInstance: number;
  refusedPerInstance: number;
}

const LOGINS_PER_INSTANCE = 2;

/** The sizes the memory targets compare: whole rotations at `RSS_PARALLEL`. */
export const RSS_SMALL_FLEET = 8;
export const RSS_LARGE_FLEET = 64;
export const RSS_FLEET = 128;
/** The loopback size at which the function's CPU per instance is judged (the largest measured). */
export const CPU_INSTANCES = 32;
export const LATENCY_INSTANCES = 16;

/** The one table of targets: each a limit, its comparison and where it applies. */
export const TARGETS = {
  // With at most RSS_PARALLEL instances in flight, memory depends on the parallelism, not on N.
  peakRssGrowth: atMost(1.25, `x RSS(N=${RSS_SMALL_FLEET})`, {
    instances: RSS_LARGE_FLEET,
    parallel: RSS_PARALLEL,
    of: `peak RSS at N=${RSS_SMALL_FLEET}`,
  }),
  peakRssMiB: atMost(128, ' MiB', { instances: RSS_FLEET, parallel: RSS_PARALLEL }),
  // The function's own CPU per instance against plain mysql2 with its defaults, in the same run.
  cpuPerInstanceRatio: atMost(1, 'x floor', { instances: CPU_INSTANCES, of: 'floor' }),
  // One login with the current password, one to verify the new one, and none refused.
  loginsPerInstance: {
    limit: { equals: LOGINS_PER_INSTANCE },
    text: `${LOGINS_PER_INSTANCE} (0)`,
    holds: (logins: Logins) => logins.perInstance === LOGINS_PER_INSTANCE && logins.refusedPerInstance === 0,
  } satisfies Target<Logins>,
  exposureWindowMs: below(1000, ' ms', { instances: 8 }),
  coldStartMs: atMost(50, ' ms'),
  zipKB: atMost(400, ' kB'),
  // Parallelism hides the network: N instances at once cost little more than one.
  latencyParallelRatio: atMost(1.5, 'x N=1', {
    instances: LATENCY_INSTANCES,
    parallel: LATENCY_INSTANCES,
    of: 'setSecret at N=1',
  }),
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
