import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { SimulatedCrash, STEPS } from '../../sandbox/secretsManagerDriver.ts';

// The built dist/function.zip, each invocation in a fresh Node process, against moto and five
// MariaDB servers with TLS; the driver plays Secrets Manager.
let world: RotationWorld;
const apps: App[] = [];

beforeAll(async () => {
  world = await RotationWorld.start(5);
});

afterAll(async () => {
  for (const app of apps) app.cleanup();
  await world?.stop();
});

async function newApp(options: Parameters<RotationWorld['createApp']>[0] = {}): Promise<App> {
  const app = await world.createApp(options);
  apps.push(app);
  return app;
}

async function expectNoLeak(app: App): Promise<void> {
  expect(app.logs.length).toBeGreaterThan(0);
  expect(await app.leakedLogLines()).toEqual([]);
}

describe('a rotation through the built bundle', () => {
  it('gives the secret its first random password when no database exists yet', async () => {
    const app = await newApp({ servers: [] });
    const before = await app.password('AWSCURRENT');

    const run = await app.driver.rotate(app.secretId);

    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(true);
    const after = await app.password('AWSCURRENT');
    expect(after).not.toBe(before);
    expect(after).toHaveLength(32);
    expect(await app.hasPendingLabel()).toBe(false);
    expect(await app.password('AWSPREVIOUS')).toBe(before);
    await expectNoLeak(app);
  });

  it('rotates the password on one instance', async () => {
    const app = await newApp({ servers: [0] });
    const before = await app.password('AWSCURRENT');

    const run = await app.driver.rotate(app.secretId);

    expect(run.error).toBeUndefined();
    expect(await app.acceptedPasswords()).toEqual(['current']);
    expect(await app.password('AWSCURRENT')).not.toBe(before);
    expect(await world.servers[0]?.accepts(app.username, before as string, world.ca.caFile)).toBe(false);
    await expectNoLeak(app);
  });

  it('rotates the password on five instances in parallel and reports each', async () => {
    const app = await newApp();

    const run = await app.driver.rotate(app.secretId);

    expect(run.error).toBeUndefined();
    expect(await app.acceptedPasswords()).toEqual(['current', 'current', 'current', 'current', 'current']);
    const setSecret = run.runs.find((r) => r.step === 'setSecret')?.invocation.result as {
      instances: { instance: string; outcome: string; from: string; attempts: number }[];
    };
    expect(setSecret.instances.map((i) => [i.instance, i.outcome, i.from, i.attempts])).toEqual(
      app.instanceIds.map((id) => [id, 'changed', 'current', 1]),
    );
    expect(await app.hasPendingLabel()).toBe(false);
    await expectNoLeak(app);
  });

  it('succeeds when every step is invoked twice', async () => {
    const app = await newApp({ servers: [0, 1] });
    const before = await app.password('AWSCURRENT');
    const { token } = await app.driver.rotate(app.secretId, {
      beforeStep: () => {
        throw new SimulatedCrash('only RotateSecret, the steps run by hand below');
      },
    });

    for (const step of STEPS) {
      const first = await app.driver.invokeStep(app.secretId, token, step);
      const second = await app.driver.invokeStep(app.secretId, token, step);
      expect([step, first.ok, second.ok, second.error?.message]).toEqual([step, true, true, undefined]);
    }

    expect(await app.password('AWSCURRENT')).not.toBe(before);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current']);
    expect(await app.hasPendingLabel()).toBe(false);
    await expectNoLeak(app);
  });

  it('finishes when the function dies after setSecret and Secrets Manager retries with the same token', async () => {
    const app = await newApp({ servers: [0, 1, 2] });
    let crashed = false;

    const run = await app.driver.rotate(app.secretId, {
      beforeStep: (step) => {
        if (step === 'testSecret' && !crashed) {
          crashed = true;
          throw new SimulatedCrash('the Lambda died after setSecret');
        }
      },
    });

    expect(run.error).toBeUndefined();
    expect(run.runs.map((r) => `${r.step}#${r.attempt}:${r.invocation.ok}`)).toEqual([
      'createSecret#1:true',
      'setSecret#1:true',
      'testSecret#1:false',
      'createSecret#2:true',
      'setSecret#2:true',
      'testSecret#2:true',
      'finishSecret#2:true',
    ]);
    const retriedSet = run.runs.find((r) => r.step === 'setSecret' && r.attempt === 2)?.invocation.result as {
      instances: { outcome: string }[];
    };
    expect(retriedSet.instances.map((i) => i.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current', 'current']);
    await expectNoLeak(app);
  });

  it('heals an instance left on the previous password into the rotation', async () => {
    const app = await newApp({ servers: [0, 1, 2] });
    expect((await app.driver.rotate(app.secretId)).ok).toBe(true);
    const previous = (await app.password('AWSPREVIOUS')) as string;
    await world.servers[1]?.setPassword(app.username, previous);
    expect(await app.acceptedPasswords()).toEqual(['current', 'previous', 'current']);

    const run = await app.driver.rotate(app.secretId);

    expect(run.error).toBeUndefined();
    const setSecret = run.runs.find((r) => r.step === 'setSecret')?.invocation.result as {
      instances: { outcome: string; from: string }[];
    };
    expect(setSecret.instances.map((i) => `${i.outcome}:${i.from}`)).toEqual([
      'changed:current',
      'changed:previous',
      'changed:current',
    ]);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current', 'current']);
    await expectNoLeak(app);
  });
});

describe('a rotation that cannot complete', () => {
  it('rolls every instance back and removes AWSPENDING when one instance is stopped before setSecret', async () => {
    const app = await newApp({ servers: [0, 1, 2] });
    const before = await app.password('AWSCURRENT');
    const stopped = world.servers[2];

    try {
      const run = await app.driver.rotate(app.secretId, {
        beforeStep: async (step, attempt) => {
          if (step === 'setSecret' && attempt === 1) await stopped?.kill();
        },
      });

      expect(run.ok).toBe(false);
      expect(run.error).toContain(`${app.instanceIds[2]} (`);
      expect(run.error).toMatch(/unreachable or busy/);
      expect(run.error).toContain('AWSPENDING was removed and the secret keeps its current password; 2 of 3');
      expect(run.error).toContain(
        `Could not be checked by the rollback (unreachable or TLS refused): ${app.instanceIds[2]};`,
      );
      expect(run.error).not.toContain('MANUAL ACTION NEEDED');
      expect(await app.hasPendingLabel()).toBe(false);
      expect(await app.password('AWSCURRENT')).toBe(before);
    } finally {
      await stopped?.restart();
    }
    expect(await app.acceptedPasswords()).toEqual(['current', 'current', 'current']);
    await expectNoLeak(app);
  });
});
