import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';

// Whole rotations at DEBUG through the built bundle: the logs must say everything that happened
// and never a password, on success, on failure and rollback, and when healing a stale instance.
let world: RotationWorld;
let app: App;

beforeAll(async () => {
  world = await RotationWorld.start(3);
  app = await world.createApp({ env: { LOG_LEVEL: 'DEBUG' } });
  const initial = (await app.password('AWSCURRENT')) as string;

  expect((await app.driver.rotate(app.secretId)).ok).toBe(true);
  await world.servers[1]?.setPassword(app.username, initial);
  expect((await app.driver.rotate(app.secretId)).ok).toBe(true);
  await world.servers[2]?.kill();
  expect((await app.driver.rotate(app.secretId)).ok).toBe(false);
  await world.servers[2]?.restart();
  expect((await app.driver.rotate(app.secretId)).ok).toBe(true);
});

afterAll(async () => {
  app?.cleanup();
  await world?.stop();
});

describe('the logs of four rotations at DEBUG', () => {
  it('contain none of the passwords the secret ever held', async () => {
    const passwords = await app.allPasswords();

    const leaks = await app.leakedLogLines();

    expect(passwords.length).toBeGreaterThanOrEqual(5);
    expect(app.logs.length).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
  });

  it('are one JSON object a line, each naming the function version, secret, step and token', () => {
    const entries = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const stepEntries = entries.filter((entry) => entry.step !== undefined);

    expect(stepEntries.length).toBeGreaterThan(entries.length * 0.9);
    for (const entry of stepEntries) {
      expect(entry).toMatchObject({
        functionVersion: expect.any(String),
        secret: app.secretId,
        token: expect.any(String),
        level: expect.stringMatching(/^(DEBUG|INFO|WARN|ERROR)$/),
      });
    }
  });

  it('show every API call, connection attempt and decision at DEBUG', () => {
    const messages = new Set(app.logs.map((line) => (JSON.parse(line) as { message: string }).message));

    for (const expected of [
      'calling DescribeSecret',
      'calling GetSecretValue',
      'calling PutSecretValue',
      'calling UpdateSecretVersionStage',
      'calling DescribeDBInstances',
      'connecting',
      'connected',
      'connection failed',
      'password refused',
      'changing password',
      'password changed and verified',
      'instance attempt failed',
    ]) {
      expect([expected, messages.has(expected)]).toEqual([expected, true]);
    }
  });

  it('report each instance outcome with timings at INFO', () => {
    const outcomes = app.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.message === 'instance done' || entry.message === 'instance failed');

    expect(outcomes.length).toBeGreaterThanOrEqual(12);
    for (const entry of outcomes) {
      expect(entry).toMatchObject({
        instance: expect.any(String),
        endpoint: expect.any(String),
        ms: expect.any(Number),
      });
    }
  });
});
