import { describe, expect, it } from 'vitest';
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
};

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

  it('save every target with its limit and where it applies', () => {
    expect(targetLimits()).toEqual({
      speedup: { min: 4, instances: 16 },
      perInstanceRatio: { max: 1.3, instances: 32 },
      loginsPerInstance: { equals: 2 },
      exposureWindowMs: { max: 1000, instances: 8 },
      coldStartMs: { max: 100 },
      zipKB: { max: 600 },
      peakRssMiB: { max: 128, instances: 32, parallel: 10 },
    });
    expect(Object.keys(targetLimits())).toEqual(Object.keys(TARGETS));
  });
});
