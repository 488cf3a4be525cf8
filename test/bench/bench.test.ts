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
  it('measures every number on two instances and saves them as JSON', { timeout: 120_000 }, async () => {
    const { stdout } = await promisify(execFile)(join(root, 'scripts/bench'), ['--smoke', '--out', out], {
      cwd: root,
      timeout: 110_000,
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
    expect(Object.keys(report.targets)).toEqual([
      'speedup',
      'perInstanceRatio',
      'loginsPerInstance',
      'exposureWindowMs',
      'coldStartMs',
      'zipKB',
      'peakRssMiB',
    ]);
  });
});
