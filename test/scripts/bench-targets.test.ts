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
  rssInstances: 32,
  rssParallel: 10,
  coldStartRuns: 21,
  latencyMsPerChunk: 1,
  latencyInstances: 16,
  load: { instances: 3, rotations: 10, stepDelayMs: 1000, steadyMs: 12_000, refreshIntervalMs: 5_000 },
};

function variant(name: VariantSummary['variant'], changes: Partial<VariantSummary> = {}): VariantSummary {
  return {
    variant: name,
    rotations: 10,
    windowMs: { median: 2900, min: 2600, max: 3300 },
    newConnections: { attempts: 3000, failed: 0, byCode: {}, failedInWindows: 0 },
    pooledQueries: { attempts: 4000, failed: 0, byCode: {} },
    secretReads: { total: 30, perRotation: 3 },
    latency: {
      outsideMs: 18,
      insideMs: 20,
      fallback: { connections: 30, medianMs: 70, refusedLoginMs: 19, readWaitMs: 31, loginMs: 20 },
      readMs: 30,
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
    ...numbers,
  };
}

function results(changes: Partial<Results> = {}): Results {
  return {
    setSecret: [size(1, { speedup: 1.2, ratio: 3 }), size(16, { speedup: 3.9 }), size(32, { ratio: 1.3 })],
    simulatedLatency: {
      instances: 16,
      delayMsPerChunkEachWay: 1,
      parallel1Ms: 500,
      parallel10Ms: 100,
      speedup: 5,
      addedPerInstanceParallel1Ms: 20,
      queryRoundTripMs: { direct: 0.1, proxied: 2.2 },
      loginsPerInstance: 2,
      refusedLoginsPerInstance: 0.5,
    },
    fixedAwsMs: 60,
    exposureWindow: { instances: 8, parallel: 10, ms: 1000 },
    coldStart: { runs: 21, bareNodeMs: 40, importMs: 130, overheadMs: 90 },
    rdsCaContextCpuMs: 3,
    zip: { bytes: 600_001, kB: 600 },
    peakRss: { instances: 32, parallel: 10, maxRssMiB: 129, perStepMiB: { setSecret: 129 } },
    applicationLoad: applicationLoad(),
    ...changes,
  };
}

const verdict = (metric: string, from = results()) => judge(from, plan).find((v) => v.metric === metric);

describe('the bench verdicts', () => {
  it('judge the speedup at N = 16 only, and show its limit only there', () => {
    expect(verdict('speedup N=1 (parallel 1 / parallel 10)')).toMatchObject({ target: '', met: null });
    expect(verdict('speedup N=16 (parallel 1 / parallel 10)')).toMatchObject({
      network: 'loopback',
      value: '3.9x',
      target: '>= 4x',
      met: false,
    });
  });

  it('take a limit on the boundary as met for "at most" and missed for "below"', () => {
    expect(verdict('per instance N=32: function raw (setSecret / N)')).toMatchObject({
      target: '<= 1.3x',
      met: true,
    });
    expect(verdict('exposure window N=8')).toMatchObject({ target: '< 1000 ms', met: false });
    expect(verdict('function.zip size')).toMatchObject({ network: '', target: '<= 600 kB', met: true });
  });

  it('count a refused login against the logins target', () => {
    expect(verdict('logins per instance N=1 (refused)')).toMatchObject({ target: '2 (0)', met: true });
    expect(verdict('logins per instance N=16 with simulated latency (refused)')).toMatchObject({
      network: 'simulated 1 ms/chunk each way',
      value: '2 (0.5)',
      met: false,
    });
  });

  it("show a single number's limit even where it is not judged", () => {
    const smoke = results({ peakRss: { instances: 2, parallel: 10, maxRssMiB: 70, perStepMiB: {} } });

    expect(verdict('peak RSS, whole rotation N=2, parallel 10', smoke)).toMatchObject({
      target: '<= 128 MiB',
      met: null,
    });
  });

  it('print informational lines without a target', () => {
    expect(verdict('fixed AWS part of setSecret (no instances)')).toEqual({
      metric: 'fixed AWS part of setSecret (no instances)',
      network: 'loopback',
      value: '60 ms',
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

  it('judge the extra latency of a refused connection beyond its refused login against one read of the same run', () => {
    const metric = 'app client: refused first in a window, extra beyond its refused login (median of 30)';
    const base = variant('client').latency;
    const slowRead = applicationLoad({
      variants: [variant('client', { latency: { ...base, fallback: { ...base.fallback, medianMs: 75 } } })],
    });

    // 70 - 2 x 20 (a connection inside the windows) = 30 ms, as long as a read: met.
    expect(verdict(metric)).toMatchObject({ value: '30 ms', target: '<= 1 read', met: true });
    expect(
      verdict(
        'app client: refused first in a window: refused login / wait for the read / login (medians of 30)',
      ),
    ).toMatchObject({ value: '19 ms / 31 ms / 20 ms', target: '', met: null });
    expect(verdict(metric, results({ applicationLoad: slowRead }))).toMatchObject({
      value: '35 ms',
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
      speedup: { min: 4, instances: 16 },
      perInstanceRatio: { max: 1.3, instances: 32 },
      loginsPerInstance: { equals: 2 },
      exposureWindowMs: { max: 1000, instances: 8 },
      coldStartMs: { max: 100 },
      zipKB: { max: 600 },
      peakRssMiB: { max: 128, instances: 32, parallel: 10 },
      loadFailedQueries: { equals: 0, variant: 'client' },
      windowExtraLatency: { max: 1, of: 'Secrets Manager read', variant: 'client' },
      steadyReads: { max: 1, of: 'refresh interval', variant: 'client' },
      rollbackFailedQueries: { equals: 0, variant: 'client' },
    });
    expect(Object.keys(targetLimits())).toEqual(Object.keys(TARGETS));
  });
});
