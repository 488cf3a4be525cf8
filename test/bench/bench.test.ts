import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The bench is not pass/fail on its numbers, but a smoke run of it (two instances) is part of the
// suite so that it cannot rot: it must run to the end and write every number it promises.
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
const out = join(dir, 'bench.json');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const positive = expect.toSatisfy((value: unknown) => typeof value === 'number' && value > 0);

describe('scripts/bench --smoke', () => {
  // About 40 s of it is three applications under load through two rotations and a rollback.
  it('measures every number on two instances and saves them as JSON', { timeout: 300_000 }, async () => {
    const { stdout } = await promisify(execFile)(join(root, 'scripts/bench'), ['--smoke', '--out', out], {
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
    // The same setSecret with every MySQL connection behind a proxy that delays each chunk.
    expect(report.results.simulatedLatency).toEqual({
      instances: 2,
      delayMsPerChunkEachWay: 1,
      parallel1Ms: positive,
      parallel10Ms: positive,
      speedup: positive,
      addedPerInstanceParallel1Ms: expect.any(Number),
      queryRoundTripMs: { direct: positive, proxied: positive },
      loginsPerInstance: 2,
      refusedLoginsPerInstance: 0,
    });
    // A delay of 1 ms each way cannot make a round trip shorter than 2 ms.
    expect(report.results.simulatedLatency.queryRoundTripMs.proxied).toBeGreaterThanOrEqual(2);
    expect(stdout).toContain(
      'setSecret N=2 with simulated latency (1ms per chunk each way), parallel 1 / parallel 10',
    );
    expect(stdout).toContain('speedup N=2 with simulated latency');
    // Every verdict says where it was measured; both kinds of network are there.
    const networks = new Set(report.verdicts.map((verdict: { network: unknown }) => verdict.network));
    expect([...networks].sort()).toEqual(['', 'loopback', 'simulated 1 ms/chunk each way']);
    expect(report.verdicts).toContainEqual({
      metric: 'speedup N=2 with simulated latency',
      network: 'simulated 1 ms/chunk each way',
      value: expect.stringMatching(/^[\d.]+x$/),
      target: '>= 4x',
      // Judged at N = 16 only.
      met: null,
    });
    expect(report.results).toMatchObject({
      fixedAwsMs: positive,
      exposureWindow: { instances: 2, ms: positive },
      coldStart: { bareNodeMs: positive, importMs: positive },
      zip: { bytes: positive },
      peakRss: {
        instances: 2,
        maxRssMiB: positive,
        perStepMiB: {
          createSecret: positive,
          setSecret: positive,
          testSecret: positive,
          finishSecret: positive,
        },
      },
    });
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
      'speedup',
      'perInstanceRatio',
      'loginsPerInstance',
      'exposureWindowMs',
      'coldStartMs',
      'zipKB',
      'peakRssMiB',
      'loadFailedQueries',
      'windowExtraLatency',
      'steadyReads',
      'rollbackFailedQueries',
    ]);
  });
});
