import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  expectFailureNames,
  expectSettled,
  FaultWorld,
  repair,
  reportsOf,
  scenario,
  summary,
} from './faultWorld.ts';

// One database fault during setSecret, on the third of three instances; the other two are healthy.
let fw: FaultWorld;
const world = () => fw;
const FAULTY = 2;

beforeAll(async () => {
  fw = await FaultWorld.start(3);
});

afterAll(async () => {
  await fw?.stop('Fault scenarios: database faults in setSecret');
});

const UNCHECKED = /Could not be checked by the rollback \(unreachable or TLS refused\): fault\d+-db2;/;

describe('database faults during setSecret', () => {
  scenario(world, 'setSecret: server stopped before the step', async () => {
    const app = await fw.createApp();
    const run = await app.driver.rotate(app.secretId, {
      beforeStep: async (step) => {
        if (step === 'setSecret') await fw.server(FAULTY).kill();
      },
    });
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /unreachable or busy/);
    expect(run.error).toMatch(UNCHECKED);
    expect(run.error).toContain('2 of 3 instance(s) accept it');
    await fw.clearFaults();
    const repaired = await repair(app);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'rolled back, instance unchanged', repair: repaired };
  });

  scenario(world, 'setSecret: server killed right after the change statement (stays down)', async () => {
    const app = await fw.createApp();
    (fw.proxies[FAULTY] as (typeof fw.proxies)[number]).set({
      kind: 'cutAfterChange',
      onChange: () => fw.server(FAULTY).kill(),
    });
    const run = await app.driver.rotate(app.secretId);
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /unreachable or busy/);
    expect(run.error).toMatch(UNCHECKED);
    await fw.clearFaults();
    // The killed server committed the change: it holds the abandoned pending password now.
    const states = await app.acceptedPasswords();
    expect(states.slice(0, FAULTY)).toEqual(['current', 'current']);
    const repaired = await repair(app);
    await expectSettled(app);
    return {
      rotation: summary(run),
      detail: `after restart the instance accepts ${states[FAULTY] === 'none' ? 'the abandoned pending password' : states[FAULTY]}`,
      repair: repaired,
    };
  });

  scenario(world, 'setSecret: server killed after the change, back within the retry window', async () => {
    const app = await fw.createApp({ env: { RETRY_WAIT_MS: '1500' } });
    let restarted: Promise<void> | undefined;
    (fw.proxies[FAULTY] as (typeof fw.proxies)[number]).set({
      kind: 'cutAfterChange',
      onChange: async () => {
        await fw.server(FAULTY).kill();
        restarted = fw.server(FAULTY).restart();
      },
    });
    const run = await app.driver.rotate(app.secretId);
    await restarted;
    expect(run.error).toBeUndefined();
    const report = reportsOf(run, 'setSecret')[FAULTY];
    expect(report?.outcome).toBe('unchanged');
    expect(report?.attempts).toBeGreaterThanOrEqual(2);
    await expectSettled(app);
    return {
      rotation: summary(run),
      detail: `retried: ${report?.attempts} attempts, then pending already set`,
    };
  });

  scenario(world, 'setSecret: connection cut after the change (answer lost), server up', async () => {
    const app = await fw.createApp();
    (fw.proxies[FAULTY] as (typeof fw.proxies)[number]).set({ kind: 'cutAfterChange' });
    const run = await app.driver.rotate(app.secretId);
    expect(run.error).toBeUndefined();
    const report = reportsOf(run, 'setSecret')[FAULTY];
    // The retry finds the current password refused and the pending one accepted: nothing to redo.
    expect([report?.outcome, report?.attempts]).toEqual(['unchanged', 2]);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'retry found pending already set' };
  });

  scenario(world, 'setSecret: server hung (SIGSTOP) past the connect timeout', async () => {
    const app = await fw.createApp();
    const run = await app.driver.rotate(app.secretId, {
      beforeStep: (step) => {
        if (step === 'setSecret') fw.server(FAULTY).pause();
      },
    });
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /unreachable or busy: .*(timeout|ETIMEDOUT)/i);
    expect(run.error).toMatch(UNCHECKED);
    await fw.clearFaults();
    const repaired = await repair(app);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'timed out 3 times, rolled back', repair: repaired };
  });

  scenario(world, 'setSecret: server slow (40 ms per packet) but within the timeouts', async () => {
    const app = await fw.createApp();
    (fw.proxies[FAULTY] as (typeof fw.proxies)[number]).set({ kind: 'delay', ms: 40 });
    const run = await app.driver.rotate(app.secretId);
    expect(run.error).toBeUndefined();
    const reports = reportsOf(run, 'setSecret');
    expect(reports.map((r) => [r.outcome, r.attempts])).toEqual([
      ['changed', 1],
      ['changed', 1],
      ['changed', 1],
    ]);
    await expectSettled(app);
    return { rotation: summary(run), detail: `slow instance took ${reports[FAULTY]?.ms} ms` };
  });

  scenario(world, 'setSecret: server refuses TLS', async () => {
    const app = await fw.createApp();
    (fw.proxies[FAULTY] as (typeof fw.proxies)[number]).set({ kind: 'noTls' });
    const run = await app.driver.rotate(app.secretId);
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /TLS verification failed/);
    expect(run.error).toMatch(UNCHECKED);
    expect(reportsOf(run, 'setSecret')).toEqual([]);
    await fw.clearFaults();
    await expectSettled(app);
    return { rotation: summary(run), detail: 'not retried (tls), rolled back' };
  });

  scenario(world, 'setSecret: too many connections (1226), freed during the retry window', async () => {
    const app = await fw.createApp({ maxUserConnections: 1, env: { RETRY_WAIT_MS: '1500' } });
    const current = (await app.password('AWSCURRENT')) as string;
    const release = await fw.server(FAULTY).holdConnections(app.username, current, 1, {
      caFile: fw.world.ca.caFile,
    });
    let released: Promise<void> | undefined;
    const run = await app.driver.rotate(app.secretId, {
      beforeStep: (step) => {
        if (step === 'setSecret') released = sleep(900).then(release);
      },
    });
    await released;
    expect(run.error).toBeUndefined();
    const report = reportsOf(run, 'setSecret')[FAULTY];
    expect(report?.outcome).toBe('changed');
    await expectSettled(app);
    return { rotation: summary(run), detail: `busy instance: ${report?.attempts} attempts` };
  });

  scenario(world, 'setSecret: too many connections (1226) throughout', async () => {
    const app = await fw.createApp({ maxUserConnections: 1 });
    const current = (await app.password('AWSCURRENT')) as string;
    const release = await fw.server(FAULTY).holdConnections(app.username, current, 1, {
      caFile: fw.world.ca.caFile,
    });
    try {
      const run = await app.driver.rotate(app.secretId);
      expectFailureNames(
        run,
        app.instanceIds[FAULTY] as string,
        /unreachable or busy: .*max_user_connections/,
      );
      expect(run.error).toMatch(UNCHECKED);
      await release();
      await expectSettled(app);
      return { rotation: summary(run), detail: 'retried twice, rolled back' };
    } finally {
      await release();
    }
  });

  scenario(world, 'setSecret: account locked (4151)', async () => {
    const app = await fw.createApp();
    await fw.server(FAULTY).lockAccount(app.username);
    const run = await app.driver.rotate(app.secretId);
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /account locked/);
    expect(run.error).toMatch(/MANUAL ACTION NEEDED: the rollback failed on fault\d+-db2 \(.*account locked/);
    await fw.server(FAULTY).unlockAccount(app.username);
    const repaired = await repair(app);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'not retried; a person must unlock', repair: repaired };
  });
});
