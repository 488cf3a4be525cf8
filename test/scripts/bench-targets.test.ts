import { describe, expect, it } from 'vitest';
import type { ApplicationLoadResult, VariantSummary } from '../../scripts/benchmark/applicationLoad.ts';
import type { BenchPlan } from '../../scripts/benchmark/plan.ts';
import type { Results, SetSecretResult } from '../../scripts/benchmark/statistics.ts';
import { judge, TARGETS, targetLimits } from '../../scripts/benchmark/targets.ts';

// The bench's verdicts come from one table of targets: each judged only at the size it names,
// its limit shown where it applies, its comparison applied as written.
const plan: BenchPlan = {
  smoke: false,
  repetitions: 5,
  outFile: 'unused.json',
  sizes: [1, 16, 32],
  exposureInstances: 8,
  rssSizes: [8, 64],
  rssParallel: 10,
  fleet: 128,
  fleetParallels: [10, 32],
  rssRepetitions: 5,
  fleetRepetitions: 3,
  coldStartRuns: 21,
  latencyMsPerChunk: 1,
  latencyInstances: 16,
  latencyProxiesPerProcess: 16,
  fallbackRepetitions: 21,
  load: {
    instances: 3,
    rotations: 10,
    stepDelayMs: 1000,
    steadyMs: 12_000,
    refreshIntervalMs: 5_000,
    aloneRotations: 5,
  },
};

function variant(name: VariantSummary['variant'], changes: Partial<VariantSummary> = {}): VariantSummary {
  return {
    variant: name,
    rotations: 10,
    windowMs: { median: 2900, min: 2600, max: 3300 },
    newConnections: { attempts: 3000, failed: 0, byCode: {}, failedInWindows: 0 },
    pooledQueries: { attempts: 4000, failed: 0, byCode: {} },
    secretReads: { total: 30, perRotation: 3 },
    stalls: { count: 4, totalMs: 130, longestMs: 45 },
    latency: {
      outsideMs: 18,
      insideMs: 20,
      fallback: {
        connections: 30,
        fromCache: 20,
        medianMs: 70,
        refusedLoginMs: 19,
        readWaitMs: 31,
        loginMs: 20,
      },
      readMs: 20,
      readBothMs: 30,
    },
    steady: { seconds: 12, refreshIntervalMs: 5_000, reads: 0, limit: 3 },
    skippedNewConnections: 0,
    ...changes,
  };
}

function applicationLoad(changes: Partial<ApplicationLoadResult> = {}): ApplicationLoadResult {
  const denied = {
    attempts: 3000,
    failed: 400,
    byCode: { ER_ACCESS_DENIED_ERROR: 400 },
    failedInWindows: 400,
  };
  return {
    instances: 3,
    stepDelayMs: 1000,
    concurrent: true,
    variants: [
      variant('plain', {
        newConnections: { ...denied, failed: 2500 },
        steady: { ...variant('plain').steady, reads: 9 },
      }),
      variant('reread', { newConnections: denied }),
      variant('client', { steady: { seconds: 12, refreshIntervalMs: 5_000, reads: 2, limit: 3 } }),
    ],
    alone: { ...variant('client'), rotations: 5, stalls: { count: 1, totalMs: 22, longestMs: 22 } },
    oneAtATime: {
      repetitions: 21,
      newConnectionMs: 5,
      loopConnectionMs: 4,
      fallbackMs: 33,
      extraMs: 23,
      readBothMs: 24,
      beforeReadMs: 4,
      afterReadMs: 5,
      refusedLogins: 1,
    },
    rollback: {
      instances: 3,
      stoppedInstance: 2,
      rolledBack: true,
      running: { attempts: 500, failed: 0, byCode: {} },
      stopped: { attempts: 200, failed: 180, byCode: { ECONNREFUSED: 180 } },
    },
    ...changes,
  };
}

function size(instances: number, numbers: Partial<SetSecretResult> = {}): SetSecretResult {
  return {
    instances,
    parallel1Ms: 100,
    parallel10Ms: 20,
    speedup: 5,
    floorMs: 90,
    floorPerInstanceMs: 10,
    perInstanceMs: 11,
    adjustedPerInstanceMs: 9,
    ratio: 1.1,
    adjustedRatio: 0.9,
    loginsPerInstance: 2,
    refusedLoginsPerInstance: 0,
    cpuParallel1Ms: { function: 50, servers: 20, aws: 10 },
    floorFunctionCpuPerInstanceMs: 4,
    speedupLimitOneThread: 2,
    speedupLimitCores: 2.5,
    functionCpuPerInstanceMs: 4,
    cpuRatio: 1,
    ...numbers,
  };
}

function rotation(instances: number, parallel: number, peakRssMiB: number) {
  const part = instances === 128 ? ('fleet' as const) : ('memory' as const);
  const perStep = { setSecret: { rssMiB: peakRssMiB, cpuMs: 300 + 10 * instances } };
  return { instances, parallel, part, runs: 3, wallMs: 5000, cpuMs: 900, peakRssMiB, perStep };
}

function results(changes: Partial<Results> = {}): Results {
  return {
    setSecret: [size(1, { speedup: 1.2, cpuRatio: 3 }), size(16, { speedup: 3.9 }), size(32)],
    fixedCpuMs: 20,
    simulatedLatency: {
      instances: 16,
      delayMsPerChunkEachWay: 1,
      proxiesPerProcess: 16,
      proxyProcesses: 1,
      pingMs: { samples: 200, direct: { median: 0.05, p95: 0.1 }, proxied: { median: 2.2, p95: 2.5 } },
      queryRoundTripMs: { direct: 0.1, proxied: 2.2 },
      singleMs: 100,
      parallel1Ms: 500,
      parallel10Ms: 160,
      parallelAllMs: 150,
      parallelRatio: 1.5,
      addedPerInstanceParallel1Ms: 20,
      loginsPerInstance: 2,
      refusedLoginsPerInstance: 0.5,
    },
    fixedAwsMs: 60,
    exposureWindow: { instances: 8, parallel: 10, ms: 1000 },
    coldStart: {
      runs: 21,
      bareNodeMs: 40,
      importMs: 91,
      overheadMs: 51,
      firstInvocationMs: 190,
      firstInvocationOverheadMs: 150,
    },
    rdsCaContextCpuMs: 3,
    zip: { bytes: 400_001, kB: 400 },
    wholeRotations: [rotation(0, 10, 60), rotation(8, 10, 64), rotation(64, 10, 80), rotation(128, 32, 120)],
    peakRss: {
      parallel: 10,
      small: { instances: 8, MiB: 64 },
      large: { instances: 64, MiB: 80 },
      growth: 1.25,
      fleet: { instances: 128, MiB: 129 },
      bundleSetSecretCpuPerInstanceMs: 10,
    },
    applicationLoad: applicationLoad(),
    ...changes,
  };
}

const verdict = (metric: string, from = results()) => judge(from, plan).find((v) => v.metric === metric);

describe('the bench verdicts', () => {
  it('show the speedups as information only: on loopback they say nothing of a network', () => {
    for (const metric of [
      'speedup N=1 (parallel 1 / parallel 10), information',
      'speedup N=16 (parallel 1 / parallel 10), information',
    ]) {
      expect(verdict(metric)).toMatchObject({ network: 'loopback', target: '', met: null });
    }
    expect(verdict('speedup N=16 (parallel 1 / parallel 10), information')).toMatchObject({ value: '3.9x' });
  });

  it("judge the function's CPU per instance against the floor at N = 32 only", () => {
    const metric = (n: number) => `CPU per instance N=${n}: function (less a no-instance run) / floor`;

    expect(verdict(metric(1))).toMatchObject({ value: '4 / 4 ms = 3x', target: '', met: null });
    expect(verdict(metric(32))).toMatchObject({ value: '4 / 4 ms = 1x', target: '<= 1x floor', met: true });
    const above = results({ setSecret: [size(32, { cpuRatio: 1.01 })] });
    expect(verdict(metric(32), above)).toMatchObject({ met: false });
  });

  it('take a limit on the boundary as met for "at most" and missed for "below"', () => {
    expect(verdict('exposure window N=8')).toMatchObject({ target: '< 1000 ms', met: false });
    expect(verdict('function.zip size')).toMatchObject({ network: '', target: '<= 400 kB', met: true });
    expect(
      verdict('cold start: import handler - node -e 0 (medians of 21 fresh processes each)'),
    ).toMatchObject({ value: '91 - 40 = 51 ms', target: '<= 50 ms', met: false });
  });

  it('judge the growth of peak RSS from 8 to 64 instances, and the peak at 128 from the fleet run', () => {
    expect(verdict('peak RSS growth, whole rotation N=64 / N=8, parallel 10')).toMatchObject({
      value: '80 MiB / 64 MiB = 1.25x',
      target: '<= 1.25x RSS(N=8)',
      met: true,
    });
    expect(verdict('peak RSS, whole rotation N=128, parallel 10')).toMatchObject({
      value: '129 MiB',
      target: '<= 128 MiB',
      met: false,
    });
    expect(
      verdict('whole rotation N=128, parallel 32 (bundle, fresh process per step): wall / CPU / peak RSS'),
    ).toMatchObject({ value: '5000 ms / 900 ms / 120 MiB', target: '', met: null });
    expect(
      verdict('setSecret CPU per instance in the bundle (fresh processes, N=64 less N=0)'),
    ).toMatchObject({
      value: '10 ms',
    });
  });

  it('show the memory targets as not run, unjudged, without the sizes they need', () => {
    const smoke = results({
      peakRss: {
        parallel: 10,
        small: { instances: 2, MiB: 70 },
        large: { instances: 2, MiB: 70 },
        growth: null,
        fleet: null,
        bundleSetSecretCpuPerInstanceMs: null,
      },
    });

    expect(verdict('peak RSS growth, whole rotation N=64 / N=8, parallel 10', smoke)).toMatchObject({
      value: 'not run',
      target: '<= 1.25x RSS(N=8)',
      met: null,
    });
    expect(verdict('peak RSS, whole rotation N=128, parallel 10', smoke)).toMatchObject({
      value: 'not run (scripts/bench --fleet 128)',
      target: '<= 128 MiB',
      met: null,
    });
  });

  it('judge setSecret with simulated latency: 16 instances at parallel 16 against one instance', () => {
    expect(verdict('setSecret N=16, parallel 16 / setSecret N=1')).toMatchObject({
      network: 'simulated 1 ms/chunk each way',
      value: '150 / 100 ms = 1.5x',
      target: '<= 1.5x N=1',
      met: true,
    });
    expect(
      verdict('TCP ping (1 byte, 200 round trips): straight / through a proxy, median (p95)'),
    ).toMatchObject({ value: '0.05 (0.1) / 2.2 (2.5) ms', target: '', met: null });
  });

  it('count a refused login against the logins target', () => {
    expect(verdict('logins per instance N=1 (refused)')).toMatchObject({ target: '2 (0)', met: true });
    expect(verdict('logins per instance N=16 with simulated latency (refused)')).toMatchObject({
      network: 'simulated 1 ms/chunk each way',
      value: '2 (0.5)',
      met: false,
    });
  });

  it('print informational lines without a target', () => {
    expect(verdict('fixed AWS part of setSecret (no instances): wall / function CPU')).toEqual({
      metric: 'fixed AWS part of setSecret (no instances): wall / function CPU',
      network: 'loopback',
      value: '60 / 20 ms',
      target: '',
      met: null,
    });
  });

  it("judge the application's failed queries for the client only, the others shown for comparison", () => {
    const metric = (name: string) =>
      `app ${name}: failed new connections (in windows) / pooled queries, 10 rotations`;

    expect(verdict(metric('plain'))).toMatchObject({ value: '2500 (400) / 0', target: '', met: null });
    expect(verdict(metric('reread'))).toMatchObject({ value: '400 (400) / 0', met: null });
    expect(verdict(metric('client'))).toMatchObject({
      network: 'loopback',
      value: '0 (0) / 0',
      target: '0',
      met: true,
    });
    const oneFailed = applicationLoad({
      variants: [
        variant('client', { pooledQueries: { attempts: 4000, failed: 1, byCode: { ETIMEDOUT: 1 } } }),
      ],
    });
    expect(verdict(metric('client'), results({ applicationLoad: oneFailed }))).toMatchObject({ met: false });
  });

  it('judge the extra latency of a connection refused first, one window at a time, against one read of both labels', () => {
    const metric =
      'app client, one window at a time: refused first, extra beyond two new connections (median of 21)';
    const slowerThanItsRead = applicationLoad({
      oneAtATime: { ...applicationLoad().oneAtATime, extraMs: 25 },
    });
    const base = variant('client');
    const slowUnderLoad = applicationLoad({
      alone: { ...base, latency: { ...base.latency, fallback: { ...base.latency.fallback, medianMs: 300 } } },
      variants: [
        variant('client', {
          latency: { ...base.latency, fallback: { ...base.latency.fallback, medianMs: 300 } },
        }),
      ],
    });

    // 23 ms, within one read of both labels (the client's read, 24 ms): met.
    expect(verdict(metric)).toMatchObject({ value: '23 ms', target: '<= 1 read', met: true });
    expect(verdict(metric, results({ applicationLoad: slowerThanItsRead }))).toMatchObject({
      value: '25 ms',
      met: false,
    });
    expect(
      verdict(
        'app client, one window at a time: new connection after a call / in a row / refused first / refused logins each (medians of 21)',
      ),
    ).toMatchObject({ value: '5 ms / 4 ms / 33 ms / 1', met: null });
    expect(
      verdict(
        'app client, one window at a time: refused first: until the read / read of both labels / after it, to SELECT 1 done (medians of 21)',
      ),
    ).toMatchObject({ value: '4 ms / 24 ms / 5 ms', met: null });
    // Under application load, with the function's processes on the same 2 cores, it is shown, not judged.
    const counts = '(median of 10; 20 more found AWSPENDING read before)';
    const underLoad = [
      `app client, with the others: refused first in a window, waited for a read: extra beyond its refused login ${counts}`,
      `app client alone: refused first in a window, waited for a read: extra beyond its refused login ${counts}`,
    ];
    for (const line of underLoad) {
      expect(verdict(line, results({ applicationLoad: slowUnderLoad }))).toMatchObject({
        value: '260 ms',
        met: null,
      });
    }
    expect(verdict(metric, results({ applicationLoad: slowUnderLoad }))).toMatchObject({ met: true });
    expect(
      verdict(
        'app client alone: refused first in a window, waited for a read: refused login / wait for the read / login (medians of 10; 20 more found AWSPENDING read before)',
      ),
    ).toMatchObject({ value: '19 ms / 31 ms / 20 ms', target: '', met: null });
    expect(
      verdict("app client: its process's event loop over 20 ms late, with the others / alone"),
    ).toMatchObject({
      value: '4, 130 ms, longest 45 ms / 1, 22 ms, longest 22 ms',
      met: null,
    });
  });

  it('judge the failed queries of the client alone', () => {
    const metric =
      'app client alone: failed new connections / pooled queries, 5 rotations each after a quiet refresh interval';
    const oneFailed = applicationLoad({
      alone: {
        ...variant('client'),
        rotations: 5,
        newConnections: { attempts: 900, failed: 1, byCode: {}, failedInWindows: 1 },
      },
    });

    expect(verdict(metric)).toMatchObject({ value: '0 / 0', target: '0', met: true });
    expect(verdict(metric, results({ applicationLoad: oneFailed }))).toMatchObject({
      value: '1 / 0',
      met: false,
    });
  });

  it('judge steady-state reads against the refresh interval, and the rollback on the running instances only', () => {
    expect(
      verdict('app client: Secrets Manager reads in 12 s without rotation, refresh every 5 s'),
    ).toMatchObject({ value: '2 (limit 3)', target: '<= 1 per refresh interval', met: true });
    expect(verdict('app plain: Secrets Manager reads in 12 s without rotation')).toMatchObject({
      value: '9',
      met: null,
    });
    expect(
      verdict('app client, rollback: failed queries on running instances / on the stopped one'),
    ).toMatchObject({ value: '0 / 180', target: '0 on running instances', met: true });
  });

  it('save every target with its limit and where it applies', () => {
    expect(targetLimits()).toEqual({
      peakRssGrowth: { max: 1.25, instances: 64, parallel: 10, of: 'peak RSS at N=8' },
      peakRssMiB: { max: 128, instances: 128, parallel: 10 },
      cpuPerInstanceRatio: { max: 1, instances: 32, of: 'floor' },
      loginsPerInstance: { equals: 2 },
      exposureWindowMs: { max: 1000, instances: 8 },
      coldStartMs: { max: 50 },
      zipKB: { max: 400 },
      latencyParallelRatio: { max: 1.5, instances: 16, parallel: 16, of: 'setSecret at N=1' },
      loadFailedQueries: { equals: 0, variant: 'client' },
      windowExtraLatency: { max: 1, of: 'Secrets Manager read', variant: 'client' },
      steadyReads: { max: 1, of: 'refresh interval', variant: 'client' },
      rollbackFailedQueries: { equals: 0, variant: 'client' },
    });
    expect(Object.keys(targetLimits())).toEqual(Object.keys(TARGETS));
  });
});
