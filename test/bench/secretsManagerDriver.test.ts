import { performance } from 'node:perf_hooks';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import type { Invoke } from '../../sandbox/bundleInvoker.ts';
import { SecretsManagerDriver, STEPS } from '../../sandbox/secretsManagerDriver.ts';

// The application-load measurement needs rotations whose steps are as far apart as Secrets
// Manager's invocations; the driver's pause between steps gives them that.
function recordingInvoke() {
  const calls: { step: string; at: number }[] = [];
  const invoke: Invoke = async (event) => {
    calls.push({ step: (event as { Step: string }).Step, at: performance.now() });
    return { ok: true, result: {}, logs: [], ms: 0 };
  };
  return { invoke, calls };
}

// A rotation whose steps all succeed never calls Secrets Manager from resume(): nothing listens here.
const unused = new SecretsManagerClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });

describe('the Secrets Manager driver', () => {
  it('waits stepDelayMs before every step of a rotation but the first', async () => {
    const { invoke, calls } = recordingInvoke();
    const driver = new SecretsManagerDriver(unused, invoke, { stepDelayMs: 300 });
    const started = performance.now();

    const run = await driver.resume('secret', 'token');

    expect(run.ok).toBe(true);
    expect(calls.map((c) => c.step)).toEqual([...STEPS]);
    expect((calls[0]?.at ?? 0) - started).toBeLessThan(200);
    for (let i = 1; i < calls.length; i++) {
      expect((calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(299);
    }
  });

  it('invokes the steps back to back without it', async () => {
    const { invoke, calls } = recordingInvoke();
    const driver = new SecretsManagerDriver(unused, invoke);

    await driver.resume('secret', 'token');

    expect((calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0)).toBeLessThan(200);
  });
});
