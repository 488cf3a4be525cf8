import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The bench is not pass/fail on its numbers, but a smoke run of it (two instances, a "fleet" of
// three) is part of the suite so that it cannot rot: it must run to the end and write every number
// it promises. The real fleet (--fleet 128) takes minutes and stays out of the suite.
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
const out = join(dir, 'bench.json');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const positive = expect.toSatisfy((value: unknown) => typeof value === 'number' && value > 0);

describe('scripts/bench --smoke', () => {
  // About 40 s of it is three applications under load through two rotations and a rollback.
  it('measures every number on two instances and saves them as JSON', { timeout: 300_000 }, async () => {
    const args = ['--smoke', '--fleet', '3', '--out', out];
    const { stdout } = await promisify(execFile)(join(root, 'scripts/bench'), args, {
      cwd: root,
      timeout: 290_000,
    });

    expect(stdout).toContain('cold start');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.machine).toMatchObject({ cpus: positive, node: expect.stringMatching(/^v\d+/) });
    expect(report.results.setSecret).toEqual([
      expect.objectContaining({
        instances: 2,
        parallel1Ms: positive,
        parallel10Ms: positive,
        speedup: positive,
        floorPerInstanceMs: positive,
        perInstanceMs: positive,
        ratio: positive,
        // The normal case: one login with the current password, one to verify the new one.
        loginsPerInstance: 2,
        refusedLoginsPerInstance: 0,
      }),
    ]);
    // setSecret with every MySQL connection behind proxies, in a process of their own, that delay
    // each chunk.
    expect(report.results.simulatedLatency).toEqual({
      instances: 2,
      delayMsPerChunkEachWay: 1,
      proxiesPerProcess: 16,
      proxyProcesses: 1,
      pingMs: {
        samples: 200,
        direct: { median: positive, p95: positive },
        proxied: { median: positive, p95: positive },
      },
      queryRoundTripMs: { direct: positive, proxied: positive },
      singleMs: positive,
      parallel1Ms: positive,
      parallel10Ms: positive,
      parallelAllMs: positive,
      parallelRatio: positive,
      addedPerInstanceParallel1Ms: expect.any(Number),
      loginsPerInstance: 2,
      refusedLoginsPerInstance: 0,
    });
    // A delay of 1 ms each way cannot make a round trip shorter than 2 ms.
    expect(report.results.simulatedLatency.pingMs.proxied.median).toBeGreaterThanOrEqual(2);
    expect(report.results.simulatedLatency.queryRoundTripMs.proxied).toBeGreaterThanOrEqual(2);
    expect(stdout).toContain('TCP ping (1 byte, 200 round trips): straight / through a proxy, median (p95)');
    // Every verdict says where it was measured; both kinds of network are there.
    const networks = new Set(report.verdicts.map((verdict: { network: unknown }) => verdict.network));
    expect([...networks].sort()).toEqual(['', 'loopback', 'simulated 1 ms/chunk each way']);
    expect(report.verdicts).toContainEqual({
      metric: 'setSecret N=2, parallel 2 / setSecret N=1',
      network: 'simulated 1 ms/chunk each way',
      value: expect.stringMatching(/ = [\d.]+x$/),
      target: '<= 1.5x N=1',
      // Judged at N = 16 only.
      met: null,
    });
    expect(report.results).toMatchObject({
      fixedAwsMs: positive,
      exposureWindow: { instances: 2, ms: positive },
      coldStart: { bareNodeMs: positive, importMs: positive },
      zip: { bytes: positive },
    });
    // Whole rotations through the bundle: two instances at parallel 10, the "fleet" of
    // three at 10 and 32; each with its wall time, CPU and every step's peak RSS.
    const step = { rssMiB: positive, cpuMs: positive };
    const rotation = (instances: number, parallel: number, part: string) =>
      expect.objectContaining({
        instances,
        parallel,
        part,
        wallMs: positive,
        cpuMs: positive,
        peakRssMiB: positive,
        perStep: { createSecret: step, setSecret: step, testSecret: step, finishSecret: step },
      });
    expect(report.results.wholeRotations).toEqual([
      rotation(2, 10, 'memory'),
      rotation(3, 10, 'fleet'),
      rotation(3, 32, 'fleet'),
    ]);
    expect(report.results.peakRss).toMatchObject({
      growth: null,
      fleet: { instances: 3, MiB: positive },
      // Without a rotation of no instance in the smoke run.
      bundleSetSecretCpuPerInstanceMs: null,
    });
    expect(stdout).toMatch(/load average \(1, 5, 15 min\) at start [\d.]+, [\d.]+, [\d.]+/);
    // Three applications on three instances, each through 2 rotations (0.2 s between steps) at once.
    const load = report.results.applicationLoad;
    expect(load).toMatchObject({ instances: 3, stepDelayMs: 200, concurrent: true });
    expect(load.variants.map((v: { variant: string }) => v.variant)).toEqual(['plain', 'reread', 'client']);
    const [plain, reread, client] = load.variants;
    for (const variant of load.variants) {
      expect(variant).toMatchObject({
        rotations: 2,
        windowMs: { median: positive },
        newConnections: { attempts: positive },
        pooledQueries: { attempts: positive },
        latency: { outsideMs: positive, readMs: positive },
        steady: { seconds: positive, refreshIntervalMs: 1000 },
      });
    }
    // Reading once, every new connection after the first rotation is refused; re-reading, those
    // inside the windows; the client, none, and its kept pooled connections never fail either.
    expect(plain.newConnections.byCode.ER_ACCESS_DENIED_ERROR).toBeGreaterThan(0);
    expect(plain.secretReads.total).toBe(0);
    expect(reread.newConnections.failedInWindows).toBeGreaterThan(0);
    expect(reread.secretReads.total).toBeGreaterThan(0);
    expect(client).toMatchObject({
      newConnections: { failed: 0 },
      pooledQueries: { failed: 0 },
      latency: { fallback: { connections: positive, medianMs: positive } },
    });
    expect(client.steady.reads).toBeLessThanOrEqual(client.steady.limit);
    expect(load.rollback).toMatchObject({ rolledBack: true, stoppedInstance: 2, running: { failed: 0 } });
    expect(stdout).toContain('app client: failed new connections (in windows) / pooled queries, 2 rotations');
    expect(Object.keys(report.targets)).toEqual([
      'peakRssGrowth',
      'peakRssMiB',
      'cpuPerInstanceRatio',
      'loginsPerInstance',
      'exposureWindowMs',
      'coldStartMs',
      'zipKB',
      'latencyParallelRatio',
      'loadFailedQueries',
      'windowExtraLatency',
      'steadyReads',
      'rollbackFailedQueries',
    ]);
  });
});
