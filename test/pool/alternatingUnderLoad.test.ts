import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationLoad, appInstances } from '../../sandbox/applicationLoad.ts';
import { type Period, summarizeRotations } from '../../sandbox/applicationLoadAnalysis.ts';
import type { LoadRecord } from '../../sandbox/applicationLoadRecord.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { SecretsManagerDriver } from '../../sandbox/secretsManagerDriver.ts';
import { rotateTimed } from '../../sandbox/timedRotation.ts';
import { addAdministrator } from '../alternatingWorld.ts';

// Two applications in processes of their own under load while the built bundle rotates an
// alternating-users secret on three MariaDB servers with TLS (two primaries, one read replica): plain mysql2 that reads AWSCURRENT
// again after a refused login (the "reread" variant), and the client of client/, which must follow
// the user name as it alternates. Three rotations: from the second on, the user the applications
// started with gets a new password, so a stale login is refused and must be read again.
const ROTATIONS = 3;
const STEP_DELAY_MS = 400;

let world: RotationWorld;
let app: App;
let adminPassword: string;

// Server 1 is a read replica of server 0: the other user and its password reach it by replication.
beforeAll(async () => {
  world = await RotationWorld.start(3, (index) =>
    index < 2 ? { replication: { serverId: index + 1, readOnly: index === 1 } } : {},
  );
  await world.replicate(1, 0);
  const admin = await addAdministrator(world, [0, 2]);
  adminPassword = admin.password;
  app = await world.createApp({
    fleet: { primaries: [0, 2], replicas: [{ server: 1, source: 0 }] },
    env: { LOG_LEVEL: 'INFO', ROTATION_STRATEGY: 'alternating-users', ADMIN_SECRET_ID: admin.arn },
  });
});

afterAll(async () => {
  app?.cleanup();
  await world?.stop();
});

describe('applications under load through alternating-users rotations of the built bundle', () => {
  it('see no failed query, follow the alternating user, and nothing they printed holds a password', {
    timeout: 240_000,
  }, async () => {
    const start = (variant: 'reread' | 'client') =>
      ApplicationLoad.start({
        variant,
        secretId: app.secretId,
        awsEndpoint: world.moto.endpoint,
        instances: appInstances(app),
        caFile: world.ca.caFile,
      });
    const loads = [await start('reread'), await start('client')];
    const records: LoadRecord[] = [];
    const windows: Period[] = [];
    const users: string[] = [];
    const driver = new SecretsManagerDriver(world.secrets, app.invoke.bind(app), {
      stepDelayMs: STEP_DELAY_MS,
    });
    const from = Date.now();
    try {
      for (let r = 1; r <= ROTATIONS; r++) {
        const { run, window } = await rotateTimed(driver, app.secretId);
        expect(run.ok, run.error).toBe(true);
        const setSecret = run.runs.find((r) => r.step === 'setSecret')?.invocation.result as {
          instances: { outcome: string }[];
        };
        expect(setSecret.instances.map((instance) => instance.outcome)).toEqual([
          'changed',
          'replicated',
          'changed',
        ]);
        windows.push(window as Period);
        users.push(await currentUser());
      }
    } finally {
      for (const load of loads) records.push(await load.stop());
    }
    const [reread, client] = records.map((record) =>
      summarizeRotations(record, { from, to: Date.now() }, windows),
    );

    expect(users).toEqual([`${app.username}_clone`, app.username, `${app.username}_clone`]);
    expect(reread?.newConnections).toMatchObject({ failed: 0, byCode: {} });
    expect(reread?.pooledQueries).toMatchObject({ failed: 0, byCode: {} });
    expect(client?.newConnections).toMatchObject({ failed: 0, byCode: {} });
    expect(client?.pooledQueries).toMatchObject({ failed: 0, byCode: {} });
    expect(reread?.newConnections.attempts).toBeGreaterThan(30 * ROTATIONS);
    // The stale user was refused at least once after the second rotation and read again.
    expect(records[0]?.reads.length).toBeGreaterThan(1);

    const passwords = [...(await app.allPasswords()), adminPassword];
    const texts = [...loads.map((load) => load.output()), JSON.stringify(records), ...app.logs].join('\n');
    for (const password of passwords) expect(texts).not.toContain(password);
  });
});

async function currentUser(): Promise<string> {
  const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const value = await world.secrets.send(new GetSecretValueCommand({ SecretId: app.secretId }));
  return (JSON.parse(value.SecretString ?? '{}') as { username: string }).username;
}
