import { resolve } from 'node:path';
import { command, readCommandLine, wholeNumber } from '../cli/commandLine.ts';

const COMMAND = command({
  name: 'scripts/bench',
  usage: `Usage: scripts/bench [--smoke] [--fleet N] [--repetitions R] [--out FILE]

The rotation function's performance bench (see the README's "Benchmark" section): starts moto and
MariaDB servers with TLS on 127.0.0.1, measures, prints a table of numbers and targets and saves
them as JSON. Exits 0 even when a target is missed; non-zero only when the bench itself fails.

  --smoke           N = 2 only, 2 repetitions, 2 rotations under application load with 0.2 s
                    between steps: proves every measurement still works
  --fleet N         also a large fleet: N MariaDB servers (about 56 MB each; 128 takes minutes),
                    whole rotations through the built bundle at parallel 10 and 32 (wall time,
                    CPU, peak RSS); the peak RSS target at N = 128 is judged only with --fleet 128
  --repetitions R   repetitions per number, 1 to 100 (default 5, smoke 2); numbers are medians
  --out FILE        where the JSON goes (default bench-results.json)
  -h, --help        this text`,
  options: {
    smoke: { type: 'boolean' },
    repetitions: { type: 'string' },
    out: { type: 'string' },
    fleet: { type: 'string' },
  },
});

/** What one run of the bench measures, and how often. */
export interface BenchPlan {
  smoke: boolean;
  repetitions: number;
  outFile: string;
  /** setSecret is measured for apps of each of these numbers of instances. */
  sizes: number[];
  exposureInstances: number;
  /** Whole rotations through the bundle at `rssParallel` for each of these numbers of instances. */
  rssSizes: number[];
  rssParallel: number;
  /** `--fleet N`: whole rotations of N instances at each of `fleetParallels`; null without it. */
  fleet: number | null;
  fleetParallels: number[];
  /** Whole rotations are seconds each through fresh processes: fewer repetitions. */
  rssRepetitions: number;
  fleetRepetitions: number;
  coldStartRuns: number;
  /**
   * Simulated network latency: apps whose RDS records point at TCP proxies (in processes of
   * their own, `latencyProxiesPerProcess` proxies each, on 127.0.0.1) that hold every chunk this
   * long in each direction, so a round trip costs about twice this; conservative for a Lambda in a
   * VPC reaching RDS in another availability zone.
   */
  latencyMsPerChunk: number;
  latencyInstances: number;
  latencyProxiesPerProcess: number;
  /**
   * Applications under load through rotations of the built bundle: `rotations` back to back
   * with `stepDelayMs` between steps (Secrets Manager's invocations are about a second apart),
   * after `steadyMs` without rotations; the client refreshes its cached AWSCURRENT every
   * `refreshIntervalMs`.
   */
  /** Password changes for the client's fallback measured one at a time. */
  fallbackRepetitions: number;
  load: {
    instances: number;
    rotations: number;
    stepDelayMs: number;
    steadyMs: number;
    refreshIntervalMs: number;
    /**
     * Then the client's application alone through `aloneRotations` rotations, each after a
     * quiet refresh interval: the latency of its connections refused first in a window, on a
     * machine the other applications no longer saturate, as the first rotation after days.
     */
    aloneRotations: number;
  };
}

export const RSS_PARALLEL = 10;
/** Beyond what this machine's memory holds (about 56 MB per server) and its file descriptors. */
const MAX_FLEET = 256;

/** The plan from the command line; exits with the usage convention when it is wrong. */
export function readPlan(argv?: string[]): BenchPlan {
  return readCommandLine(
    COMMAND,
    ({ values }) => {
      const smoke = values.smoke === true;
      const repetitions = wholeNumber('--repetitions', values.repetitions, smoke ? 2 : 5, 1, 100);
      return {
        smoke,
        repetitions,
        outFile: resolve(values.out ?? 'bench-results.json'),
        // The smoke run (part of the test suite) only proves that every measurement still works.
        sizes: smoke ? [2] : [1, 4, 16, 32],
        exposureInstances: smoke ? 2 : 8,
        rssSizes: smoke ? [2] : [8, 64],
        rssParallel: RSS_PARALLEL,
        fleet: values.fleet === undefined ? null : wholeNumber('--fleet', values.fleet, 0, 1, MAX_FLEET),
        fleetParallels: [RSS_PARALLEL, 32],
        rssRepetitions: smoke ? 1 : repetitions,
        fleetRepetitions: smoke ? 1 : Math.min(repetitions, 3),
        coldStartRuns: smoke ? 3 : 21,
        latencyMsPerChunk: 1,
        latencyInstances: smoke ? 2 : 16,
        latencyProxiesPerProcess: 16,
        fallbackRepetitions: smoke ? 3 : 31,
        load: smoke
          ? {
              instances: 3,
              rotations: 2,
              stepDelayMs: 200,
              steadyMs: 2_500,
              refreshIntervalMs: 1_000,
              aloneRotations: 1,
            }
          : {
              instances: 3,
              rotations: 10,
              stepDelayMs: 1_000,
              steadyMs: 12_000,
              refreshIntervalMs: 5_000,
              aloneRotations: 5,
            },
      };
    },
    argv,
  );
}

/** How the verdicts name the network of the simulated-latency numbers. */
export function latencyNetwork(plan: BenchPlan): string {
  return `simulated ${plan.latencyMsPerChunk} ms/chunk each way`;
}

/** Every MariaDB server the plan's measurements use at once. */
export function serverCount(plan: BenchPlan): number {
  return Math.max(
    ...plan.sizes,
    plan.exposureInstances,
    ...plan.rssSizes,
    plan.fleet ?? 0,
    plan.latencyInstances,
    plan.load.instances,
  );
}

export function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}
