import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { App } from '../../sandbox/rotationWorld.ts';
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

// One database fault during testSecret, on the third of three instances. setSecret has moved
// every instance to the pending password by then, so an instance the rollback cannot reach keeps
// that password and needs the heal action (or a person) once it is back.
let fw: FaultWorld;
const world = () => fw;
const FAULTY = 2;
const proxy = () => fw.proxies[FAULTY] as TcpFaultProxy;

beforeAll(async () => {
  fw = await FaultWorld.start(3);
});

afterAll(async () => {
  await fw?.stop('Fault scenarios: database faults in testSecret');
});

const UNCHECKED = /Could not be checked by the rollback \(unreachable or TLS refused\): fault\d+-db2;/;

/** Runs the rotation with `fault` applied just before testSecret's first attempt. */
async function rotateWithFaultAtTest(app: App, fault: () => Promise<void> | void) {
  return app.driver.rotate(app.secretId, {
    beforeStep: async (step, attempt) => {
      if (step === 'testSecret' && attempt === 1) await fault();
    },
  });
}

/** The faulty instance was on the pending password and the rollback could not reach it. */
async function repairAfterUnreachable(app: App) {
  await fw.clearFaults();
  const states = await app.acceptedPasswords();
  expect(states.slice(0, FAULTY)).toEqual(['current', 'current']);
  return repair(app);
}

describe('database faults during testSecret', () => {
  scenario(world, 'testSecret: server stopped before the step', async () => {
    const app = await fw.createApp();
    const run = await rotateWithFaultAtTest(app, () => fw.server(FAULTY).kill());
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /unreachable or busy/);
    expect(run.error).toMatch(UNCHECKED);
    const repaired = await repairAfterUnreachable(app);
    await expectSettled(app);
    return {
      rotation: summary(run),
      detail: 'others rolled back; stopped one kept pending',
      repair: repaired,
    };
  });

  scenario(world, 'testSecret: server restarting during the step (back within the retries)', async () => {
    const app = await fw.createApp({ env: { RETRY_WAIT_MS: '1500' } });
    let restarted: Promise<void> | undefined;
    const run = await rotateWithFaultAtTest(app, async () => {
      await fw.server(FAULTY).kill();
      restarted = fw.server(FAULTY).restart();
    });
    await restarted;
    expect(run.error).toBeUndefined();
    const report = reportsOf(run, 'testSecret')[FAULTY];
    expect(report?.outcome).toBe('verified');
    await expectSettled(app);
    return { rotation: summary(run), detail: `verified after ${report?.attempts} attempts` };
  });

  scenario(world, 'testSecret: server hung (SIGSTOP) past the connect timeout', async () => {
    const app = await fw.createApp();
    const run = await rotateWithFaultAtTest(app, () => fw.server(FAULTY).pause());
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /unreachable or busy: .*(timeout|ETIMEDOUT)/i);
    expect(run.error).toMatch(UNCHECKED);
    const repaired = await repairAfterUnreachable(app);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'others rolled back; hung one kept pending', repair: repaired };
  });

  scenario(world, 'testSecret: server slow (40 ms per packet) but within the timeouts', async () => {
    const app = await fw.createApp();
    const run = await rotateWithFaultAtTest(app, () => proxy().set({ kind: 'delay', ms: 40 }));
    expect(run.error).toBeUndefined();
    const report = reportsOf(run, 'testSecret')[FAULTY];
    expect([report?.outcome, report?.attempts]).toEqual(['verified', 1]);
    await expectSettled(app);
    return { rotation: summary(run), detail: `slow instance took ${report?.ms} ms` };
  });

  scenario(world, 'testSecret: server refuses TLS', async () => {
    const app = await fw.createApp();
    const run = await rotateWithFaultAtTest(app, () => proxy().set({ kind: 'noTls' }));
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /TLS verification failed/);
    expect(run.error).toMatch(UNCHECKED);
    const repaired = await repairAfterUnreachable(app);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'others rolled back; TLS one kept pending', repair: repaired };
  });

  scenario(world, 'testSecret: too many connections (1226), freed during the retry window', async () => {
    const app = await fw.createApp({ maxUserConnections: 1, env: { RETRY_WAIT_MS: '1500' } });
    let released: Promise<void> | undefined;
    const run = await rotateWithFaultAtTest(app, async () => {
      const pending = (await app.password('AWSPENDING')) as string;
      const release = await fw.server(FAULTY).holdConnections(app.username, pending, 1, {
        caFile: fw.world.ca.caFile,
      });
      released = sleep(900).then(release);
    });
    await released;
    expect(run.error).toBeUndefined();
    const report = reportsOf(run, 'testSecret')[FAULTY];
    expect(report?.outcome).toBe('verified');
    await expectSettled(app);
    return { rotation: summary(run), detail: `busy instance: ${report?.attempts} attempts` };
  });

  scenario(world, 'testSecret: too many connections (1226) throughout', async () => {
    const app = await fw.createApp({ maxUserConnections: 1 });
    let release: (() => Promise<void>) | undefined;
    try {
      const run = await rotateWithFaultAtTest(app, async () => {
        const pending = (await app.password('AWSPENDING')) as string;
        release = await fw.server(FAULTY).holdConnections(app.username, pending, 1, {
          caFile: fw.world.ca.caFile,
        });
      });
      expectFailureNames(run, app.instanceIds[FAULTY] as string, /max_user_connections/);
      expect(run.error).toMatch(UNCHECKED);
      await release?.();
      const repaired = await repairAfterUnreachable(app);
      await expectSettled(app);
      return {
        rotation: summary(run),
        detail: 'others rolled back; busy one kept pending',
        repair: repaired,
      };
    } finally {
      await release?.();
    }
  });

  scenario(world, 'testSecret: account locked (4151)', async () => {
    const app = await fw.createApp();
    const run = await rotateWithFaultAtTest(app, () => fw.server(FAULTY).lockAccount(app.username));
    expectFailureNames(run, app.instanceIds[FAULTY] as string, /account locked/);
    expect(run.error).toMatch(/MANUAL ACTION NEEDED: the rollback failed on fault\d+-db2 \(.*account locked/);
    await fw.server(FAULTY).unlockAccount(app.username);
    const repaired = await repairAfterUnreachable(app);
    await expectSettled(app);
    return { rotation: summary(run), detail: 'MANUAL ACTION NEEDED named it', repair: repaired };
  });
});
