import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationLoad, appInstances } from '../../sandbox/applicationLoad.ts';
import { contains, type Period, summarizeRotations } from '../../sandbox/applicationLoadAnalysis.ts';
import type { LoadRecord } from '../../sandbox/applicationLoadRecord.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { SecretsManagerDriver } from '../../sandbox/secretsManagerDriver.ts';
import { rotateTimed } from '../../sandbox/timedRotation.ts';

// An application built on the client, in a process of its own (the sandbox's load generator),
// under load while the built function bundle rotates its password on three MariaDB servers with
// TLS, Secrets Manager played by moto and the sandbox's driver with a pause between steps, so
// that each rotation has a window of real length.
const ROTATIONS = 3;
const STEP_DELAY_MS = 400;

let world: RotationWorld;
let app: App;

beforeAll(async () => {
  world = await RotationWorld.start(3);
  app = await world.createApp({ env: { LOG_LEVEL: 'INFO' } });
});

afterAll(async () => {
  app?.cleanup();
  await world?.stop();
});

describe('an application on the client, under load through rotations of the built bundle', () => {
  it('sees no failed query in 3 rotations, and nothing it printed or recorded holds a password', {
    timeout: 240_000,
  }, async () => {
    const load = await ApplicationLoad.start({
      variant: 'client',
      secretId: app.secretId,
      awsEndpoint: world.moto.endpoint,
      instances: appInstances(app),
      caFile: world.ca.caFile,
    });
    let record: LoadRecord;
    const windows: Period[] = [];
    const driver = new SecretsManagerDriver(world.secrets, app.invoke.bind(app), {
      stepDelayMs: STEP_DELAY_MS,
    });
    const from = Date.now();
    try {
      for (let r = 1; r <= ROTATIONS; r++) {
        const { run, window } = await rotateTimed(driver, app.secretId);
        expect(run.ok, run.error).toBe(true);
        windows.push(window as Period);
      }
    } finally {
      record = await load.stop();
    }
    const summary = summarizeRotations(record, { from, to: Date.now() }, windows);

    expect(summary.newConnections).toMatchObject({ failed: 0, byCode: {} });
    expect(summary.pooledQueries).toMatchObject({ failed: 0, byCode: {} });
    // Enough load to have met each window (a new connection every 20 ms at best, on a busy machine less).
    expect(summary.newConnections.attempts).toBeGreaterThan(30 * ROTATIONS);
    expect(summary.pooledQueries.attempts).toBeGreaterThan(20 * ROTATIONS);
    // The windows were met: in each, every instance's new connections were refused once and went on
    // with AWSPENDING.
    for (const window of windows) {
      const toPending = record.switches.filter(
        ([at, , kind, label, reason]) =>
          contains(window, at) && kind === 'new' && label === 'AWSPENDING' && reason === 'access-denied',
      );
      expect(new Set(toPending.map(([, index]) => index))).toEqual(new Set([0, 1, 2]));
    }
    expect(await app.acceptedPasswords()).toEqual(['current', 'current', 'current']);

    const passwords = await app.allPasswords();
    expect(passwords).toHaveLength(ROTATIONS + 1);
    const texts = [load.output(), JSON.stringify(record), ...app.logs].join('\n');
    for (const password of passwords) expect(texts).not.toContain(password);
  });

  it('reports its running totals, and refuses to hand over a record its time limit cut short', async () => {
    const load = await ApplicationLoad.start({
      variant: 'client',
      secretId: app.secretId,
      awsEndpoint: world.moto.endpoint,
      instances: appInstances(app),
      caFile: world.ca.caFile,
      maxRunMs: 3_000,
    });

    // The first attempts may take a while on a busy machine: ask again until there is one, each
    // answer numbered in turn, all well within maxRunMs.
    const askUntil = Date.now() + 2_500;
    let running = await load.snapshot();
    let asked = 1;
    while (running.newConnections.attempts + running.pooledQueries.attempts === 0 && Date.now() < askUntil) {
      await sleep(50);
      running = await load.snapshot();
      asked += 1;
    }
    await sleep(3_500);
    // Checked before the assertions below, so that a failing one leaves no unhandled rejection.
    const stopped = expect(load.stop()).rejects.toThrow(
      'the client application load stopped by itself, its maxRunMs (3000 ms) over before stop() was called',
    );

    expect(running.newConnections.attempts + running.pooledQueries.attempts).toBeGreaterThan(0);
    expect(running).toMatchObject({ seq: asked, failedByInstance: [0, 0, 0] });
    await stopped;
  });
});
