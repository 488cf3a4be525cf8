import { afterAll, beforeAll, describe, expect } from 'vitest';
import { SimulatedCrash, STEPS } from '../../sandbox/secretsManagerDriver.ts';
import type { TcpFaultProxy } from '../../sandbox/tcpFaultProxy.ts';
import {
  expectFailureNames,
  expectSettled,
  FaultWorld,
  repair,
  reportsOf,
  scenario,
  summary,
} from './faultWorld.ts';

// The function dying, running twice at once, running out of time, and the rollback failing.
let fw: FaultWorld;
const world = () => fw;

beforeAll(async () => {
  fw = await FaultWorld.start(3);
});

afterAll(async () => {
  await fw?.stop('Fault scenarios: crashes, concurrency, deadline, rollback failure');
});

describe('the function dying, doubled or out of time', () => {
  for (const crashed of STEPS) {
    scenario(
      world,
      `Lambda dies before ${crashed}; Secrets Manager retries with the same token`,
      async () => {
        const app = await fw.createApp();
        const run = await app.driver.rotate(app.secretId, {
          beforeStep: (step, attempt) => {
            if (step === crashed && attempt === 1) throw new SimulatedCrash(`died before ${crashed}`);
          },
        });
        expect(run.error).toBeUndefined();
        expect(run.runs.at(-1)?.attempt).toBe(2);
        await expectSettled(app);
        return { rotation: summary(run), detail: 'second attempt finished' };
      },
    );
  }

  scenario(world, 'Lambda dies in the middle of setSecret (2 of 3 instances changed)', async () => {
    const app = await fw.createApp();
    const run = await app.driver.rotate(app.secretId, {
      beforeStep: async (step, attempt) => {
        if (step !== 'setSecret' || attempt !== 1) return;
        // What a setSecret killed half-way leaves: some instances already on the pending password.
        const pending = (await app.password('AWSPENDING')) as string;
        await fw.server(0).setPassword(app.username, pending);
        await fw.server(1).setPassword(app.username, pending);
        throw new SimulatedCrash('died after two instances');
      },
    });
    expect(run.error).toBeUndefined();
    expect(reportsOf(run, 'setSecret').map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'changed']);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'retry: unchanged, unchanged, changed' };
  });

  scenario(world, 'setSecret invoked twice at the same time', async () => {
    const app = await fw.createApp();
    const { token } = await app.driver.rotate(app.secretId, {
      beforeStep: () => {
        throw new SimulatedCrash('only RotateSecret; the steps run by hand below');
      },
    });
    expect((await app.driver.invokeStep(app.secretId, token, 'createSecret')).ok).toBe(true);
    const both = await Promise.all([
      app.driver.invokeStep(app.secretId, token, 'setSecret'),
      app.driver.invokeStep(app.secretId, token, 'setSecret'),
    ]);
    expect(both.map((i) => i.error?.message)).toEqual([undefined, undefined]);
    const rest = await app.driver.resume(app.secretId, token);
    expect(rest.error).toBeUndefined();
    await expectSettled(app);
    const outcomes = both.map((i) =>
      (i.result as { instances: { outcome: string }[] }).instances.map((r) => r.outcome[0]).join(''),
    );
    return {
      rotation: summary(rest),
      detail: `both ok; outcomes (c=changed,u=unchanged) ${outcomes.join(' / ')}`,
    };
  });

  scenario(world, 'Lambda deadline reached in the middle of setSecret', async () => {
    // The reserve is 3*1000 + 2*2000 = 7000 ms; one slow instance at parallel 1 eats the rest.
    const app = await fw.createApp({ env: { PARALLEL: '1', LAMBDA_TIMEOUT_MS: '8000' } });
    // Slow for setSecret's change and check (connections 1 and 2), fast again for the rollback.
    const slow = fw.proxies[0] as TcpFaultProxy;
    slow.set({ kind: 'delay', ms: 60 }, async (n) => {
      if (n === 3) slow.fault = { kind: 'pass' };
    });
    const run = await app.driver.rotate(app.secretId);
    expect(run.ok).toBe(false);
    const failed = run.runs.find((r) => r.step === 'setSecret')?.invocation.error?.message ?? '';
    expect(failed).toMatch(/fault\d+-db2 \([^)]*\): not started: only -?\d+ ms of the Lambda's time left/);
    expect(failed).toContain('3 of 3 instance(s) accept it');
    await expectSettled(app);
    return { rotation: summary(run), detail: 'later instances skipped (deadline), first rolled back' };
  });
});

describe('the rollback itself failing', () => {
  scenario(world, 'rollback fails on one instance (account locked mid-rollback)', async () => {
    const app = await fw.createApp({ env: { PARALLEL: '1' } });
    // setSecret: db0 and db1 change, db2 is down; the rollback then finds db1's account locked:
    // db1's third connection (after the change and its check) is the rollback's login.
    const run = await app.driver.rotate(app.secretId, {
      beforeStep: async (step) => {
        if (step !== 'setSecret') return;
        await fw.server(2).kill();
        (fw.proxies[1] as TcpFaultProxy).set({ kind: 'pass' }, async (n) => {
          if (n === 3) await fw.server(1).lockAccount(app.username);
        });
      },
    });
    expectFailureNames(run, app.instanceIds[2] as string, /unreachable or busy/);
    expect(run.error).toMatch(
      /MANUAL ACTION NEEDED: the rollback failed on fault\d+-db1 \([^)]*\): account locked.*Run the "heal" action/,
    );
    expect(run.error).toMatch(
      /Could not be checked by the rollback \(unreachable or TLS refused\): fault\d+-db2;/,
    );
    // The person's part: unlock the account and bring the server back; heal does the rest.
    await fw.server(1).unlockAccount(app.username);
    await fw.clearFaults();
    const repaired = await repair(app);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'error says MANUAL ACTION NEEDED for db1', repair: repaired };
  });
});
