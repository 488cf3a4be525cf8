import { DescribeDBInstancesCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltZip } from '../../sandbox/bundleInvoker.ts';
import { type App, newPassword, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { SecretsManagerDriver } from '../../sandbox/secretsManagerDriver.ts';
import { ADMIN, addAdministrator } from '../alternatingWorld.ts';

// The alternating-users strategy through the built dist/function.zip, against moto and three
// MariaDB servers with TLS, with an administrator on each (test/alternatingWorld.ts).
let world: RotationWorld;
let adminSecretArn: string;
let adminPassword: string;
const apps: App[] = [];

beforeAll(async () => {
  // Built here rather than in the first test, whose time it would otherwise count.
  ensureBuiltZip();
  world = await RotationWorld.start(3);
  ({ arn: adminSecretArn, password: adminPassword } = await addAdministrator(world));
});

afterAll(async () => {
  for (const app of apps) app.cleanup();
  await world?.stop();
});

async function newApp(
  options: Parameters<RotationWorld['createApp']>[0] = {},
  adminSecret = adminSecretArn,
): Promise<App> {
  const app = await world.createApp({
    ...options,
    env: { ROTATION_STRATEGY: 'alternating-users', ADMIN_SECRET_ID: adminSecret, ...options.env },
  });
  apps.push(app);
  return app;
}

async function grantTo(app: App, sql: string, host = '%'): Promise<void> {
  for (const index of app.serverIndexes) await world.servers[index]?.adminQuery(sql, [app.username, host]);
}

async function credentials(app: App, stage: 'AWSCURRENT' | 'AWSPREVIOUS') {
  const value = await world.secrets.send(
    new GetSecretValueCommand({ SecretId: app.secretId, VersionStage: stage }),
  );
  return JSON.parse(value.SecretString ?? '{}') as { username: string; password: string; dbname?: string };
}

/** Whether every server of the app accepts a TLS login with the credentials of a label. */
async function works(app: App, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<boolean[]> {
  const { username, password } = await credentials(app, stage);
  return Promise.all(
    app.serverIndexes.map(
      (index) => world.servers[index]?.accepts(username, password, world.ca.caFile) ?? false,
    ),
  );
}

/** SHOW GRANTS of user@host with the grantee and password hash taken out, for comparing two users. */
async function grantsOf(serverIndex: number, user: string, host = '%'): Promise<string[]> {
  const rows = await world.servers[serverIndex]?.adminQuery('SHOW GRANTS FOR ?@?', [user, host]);
  return (rows ?? [])
    .map((row) => String(Object.values(row)[0]))
    .map((line) =>
      line.replace(/ TO `[^`]*`@`[^`]*`/, ' TO grantee').replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ''),
    )
    .sort();
}

async function hostsOf(serverIndex: number, user: string): Promise<string[]> {
  const rows = await world.servers[serverIndex]?.adminQuery('SELECT Host FROM mysql.user WHERE User = ?', [
    user,
  ]);
  return (rows ?? []).map((row) => String(row.Host)).sort();
}

async function expectNoLeak(app: App): Promise<void> {
  expect(app.logs.length).toBeGreaterThan(0);
  expect(await app.leakedLogLines([adminPassword])).toEqual([]);
}

/** A driver that runs the four steps once: a failed rotation is not retried with the same token. */
function once(app: App): SecretsManagerDriver {
  return new SecretsManagerDriver(world.secrets, app.invoke.bind(app), { attempts: 1 });
}

function firstError(run: { runs: { invocation: { ok: boolean; error?: { message: string } } }[] }): string {
  return run.runs.find((r) => !r.invocation.ok)?.invocation.error?.message ?? '';
}

describe('the alternating-users strategy through the built bundle', () => {
  // Three rotations and three actions: well under a minute, but not on a machine loaded many times over.
  it('alternates the user on every rotation, keeps AWSPREVIOUS working and carries grant changes over', {
    timeout: 180_000,
  }, async () => {
    const app = await newApp();
    await grantTo(app, 'GRANT SELECT ON shop.* TO ?@?');
    await grantTo(app, 'GRANT UPDATE (note) ON shop.orders TO ?@?');
    await grantTo(app, 'GRANT EXECUTE ON PROCEDURE shop.tally TO ?@?');
    const users: string[] = [(await credentials(app, 'AWSCURRENT')).username];

    for (let rotation = 1; rotation <= 3; rotation++) {
      if (rotation === 3) {
        // Between rotations, on the user AWSCURRENT names: one grant added, one revoked.
        await grantTo(app, 'GRANT INSERT ON shop.* TO ?@?');
        await grantTo(app, 'REVOKE EXECUTE ON PROCEDURE shop.tally FROM ?@?');
      }
      const run = await app.driver.rotate(app.secretId);
      expect([rotation, run.error]).toEqual([rotation, undefined]);
      const current = await credentials(app, 'AWSCURRENT');
      const previous = await credentials(app, 'AWSPREVIOUS');
      users.push(current.username);
      expect(previous.username).toBe(users.at(-2));
      expect(current.dbname).toBe('app');
      expect(await works(app, 'AWSCURRENT')).toEqual([true, true, true]);
      expect(await works(app, 'AWSPREVIOUS')).toEqual([true, true, true]);
      for (const index of app.serverIndexes) {
        expect(await grantsOf(index, current.username)).toEqual(await grantsOf(index, previous.username));
      }
      expect(await app.hasPendingLabel()).toBe(false);
    }

    expect(users).toEqual(['app1', 'app1_clone', 'app1', 'app1_clone']);
    const clone = await grantsOf(0, 'app1_clone');
    expect(clone.some((line) => line.includes('INSERT') && line.includes('`shop`.*'))).toBe(true);
    expect(clone.some((line) => line.includes('tally'))).toBe(false);
    expect(clone.some((line) => line.includes('UPDATE (`note`)'))).toBe(true);

    const verify = await app.invoke({ action: 'verify', user: 'default' });
    expect(verify.result).toMatchObject({
      ok: true,
      message: '3 verified; user app1 (AWSPREVIOUS): 3 verified',
      previousUser: { username: 'app1' },
    });
    // Someone changes the current user's password on one instance: reset mends it through the
    // administrator, with no default provision password configured.
    await world.servers[1]?.adminQuery("ALTER USER ?@'%' IDENTIFIED BY ?", [
      'app1_clone',
      newPassword('Lost'),
    ]);
    const reset = await app.invoke({ action: 'reset', user: 'default' });
    expect(reset.result).toMatchObject({
      ok: true,
      message: '2 unchanged, 1 changed (through the administrator)',
    });
    expect(await works(app, 'AWSCURRENT')).toEqual([true, true, true]);
    // heal too, for an instance that refuses every password the secret knows.
    await world.servers[2]?.adminQuery("ALTER USER ?@'%' IDENTIFIED BY ?", [
      'app1_clone',
      newPassword('Lost'),
    ]);
    const heal = await app.invoke({ action: 'heal', user: 'default' });
    expect(heal.result).toMatchObject({ ok: true, message: '2 unchanged, 1 changed' });
    expect(await works(app, 'AWSCURRENT')).toEqual([true, true, true]);
    await expectNoLeak(app);
  });

  it('creates the other user for exactly the hosts the current user is defined for', async () => {
    const app = await newApp({ servers: [0], userOptions: () => ({ host: '127.0.0.1' }) });
    const { password } = await credentials(app, 'AWSCURRENT');
    await world.servers[0]?.adminQuery("CREATE USER ?@'10.0.0.%' IDENTIFIED BY ? REQUIRE SSL", [
      app.username,
      password,
    ]);
    await grantTo(app, 'GRANT SELECT ON shop.orders TO ?@?', '127.0.0.1');
    await grantTo(app, 'GRANT DELETE ON shop.* TO ?@?', '10.0.0.%');

    const run = await app.driver.rotate(app.secretId);

    expect(run.error).toBeUndefined();
    const clone = `${app.username}_clone`;
    world.servers[0]?.knowUser(clone, '127.0.0.1');
    expect(await hostsOf(0, clone)).toEqual(['10.0.0.%', '127.0.0.1']);
    expect(await grantsOf(0, clone, '127.0.0.1')).toEqual(await grantsOf(0, app.username, '127.0.0.1'));
    expect(await grantsOf(0, clone, '10.0.0.%')).toEqual(await grantsOf(0, app.username, '10.0.0.%'));
    const ssl = await world.servers[0]?.adminQuery(
      'SELECT DISTINCT ssl_type FROM mysql.user WHERE User = ?',
      [clone],
    );
    expect(ssl?.map((row) => row.ssl_type)).toEqual(['ANY']);
    expect(await works(app, 'AWSCURRENT')).toEqual([true]);
    await expectNoLeak(app);
  });

  it('refuses a 30-character base user name with what to do, and changes nothing', async () => {
    const username = 'a_thirty_character_user_name_x';
    const app = await newApp({ servers: [0], username });

    const run = await once(app).rotate(app.secretId);

    expect(run.ok).toBe(false);
    expect(firstError(run)).toContain(`"${username}_clone" (36 characters`);
    expect(firstError(run)).toContain(
      'base user name of at most 26 characters, or a shorter ALTERNATING_USER_SUFFIX',
    );
    expect(await hostsOf(0, `${username}_clone`)).toEqual([]);
    expect(await app.hasPendingLabel()).toBe(false);
    expect(await works(app, 'AWSCURRENT')).toEqual([true]);
    await expectNoLeak(app);
  });

  it('names every instance the administrator cannot log in to, and changes nothing', async () => {
    const wrong = newPassword('Wrong');
    const wrongAdmin = await world.createSecret(
      'rotation/wrong-admin',
      JSON.stringify({ username: ADMIN, password: wrong }),
    );
    const app = await newApp({}, wrongAdmin);
    const before = await credentials(app, 'AWSCURRENT');

    const run = await once(app).rotate(app.secretId);

    expect(run.ok).toBe(false);
    for (const id of app.instanceIds) {
      expect(firstError(run)).toContain(`${id} (`);
    }
    expect(firstError(run)).toContain(`the administrator ${ADMIN} (from ADMIN_SECRET_ID) cannot log in`);
    for (const index of app.serverIndexes) expect(await hostsOf(index, `${app.username}_clone`)).toEqual([]);
    expect(await credentials(app, 'AWSCURRENT')).toEqual(before);
    expect(await works(app, 'AWSCURRENT')).toEqual([true, true, true]);
    expect(await app.hasPendingLabel()).toBe(false);
    expect(await app.leakedLogLines([adminPassword, wrong])).toEqual([]);
  });

  it("uses each instance's RDS-managed master secret as the administrator when ADMIN_SECRET_ID is unset", async () => {
    const app = await newApp({ servers: [0, 1], env: { ADMIN_SECRET_ID: '' } });
    const masters: { username: string; password: string }[] = [];
    for (const id of app.instanceIds) {
      await world.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          ManageMasterUserPassword: true,
          ApplyImmediately: true,
        }),
      );
      const { DBInstances = [] } = await world.rds.send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
      );
      const value = await world.secrets.send(
        new GetSecretValueCommand({ SecretId: DBInstances[0]?.MasterUserSecret?.SecretArn }),
      );
      masters.push(JSON.parse(value.SecretString ?? '{}'));
    }
    // moto gives every managed secret the same value; the servers get that user as their master.
    for (const [index, master] of masters.entries()) {
      await world.servers[index]?.adminQuery("CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ? REQUIRE SSL", [
        master.username,
        master.password,
      ]);
      await world.servers[index]?.adminQuery("GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [
        master.username,
      ]);
    }

    const run = await app.driver.rotate(app.secretId);

    expect(run.error).toBeUndefined();
    expect((await credentials(app, 'AWSCURRENT')).username).toBe(`${app.username}_clone`);
    expect(await works(app, 'AWSCURRENT')).toEqual([true, true]);
    expect(
      app.logs.some((line) =>
        line.includes(`the RDS-managed master secret of instance ${app.instanceIds[1]}`),
      ),
    ).toBe(true);
    expect(await app.leakedLogLines([adminPassword, ...masters.map((master) => master.password)])).toEqual(
      [],
    );
  });

  it('rolls back when an instance is down: the other user back on its AWSPREVIOUS password, the current one untouched', async () => {
    const app = await newApp({ env: { RETRIES: '1' } });
    expect((await app.driver.rotate(app.secretId)).error).toBeUndefined();
    const before = await credentials(app, 'AWSCURRENT');
    // Killed, never restarted: the tests after this one do not use server 2.
    await world.servers[2]?.kill();
    {
      const run = await once(app).rotate(app.secretId);

      expect(run.ok).toBe(false);
      expect(firstError(run)).toContain(`setSecret failed on ${app.instanceIds[2]}`);
      expect(firstError(run)).toContain('is back on the password AWSPREVIOUS holds for it on 2 of 3');
      expect(await credentials(app, 'AWSCURRENT')).toEqual(before);
      expect(await app.hasPendingLabel()).toBe(false);
      const previous = await credentials(app, 'AWSPREVIOUS');
      for (const index of [0, 1]) {
        expect(await world.servers[index]?.accepts(before.username, before.password, world.ca.caFile)).toBe(
          true,
        );
        expect(
          await world.servers[index]?.accepts(previous.username, previous.password, world.ca.caFile),
        ).toBe(true);
      }
    }
    await expectNoLeak(app);
  });

  it('drops the other user a failed first rotation created, since no label names it', async () => {
    const app = await newApp({ servers: [0, 1], env: { RETRIES: '1' } });
    // The last test: server 1 stays down.
    await world.servers[1]?.kill();
    {
      const run = await once(app).rotate(app.secretId);

      expect(firstError(run)).toContain(
        `user ${app.username}_clone, which no label names, was dropped on 1 of 2`,
      );
      expect(await hostsOf(0, `${app.username}_clone`)).toEqual([]);
      const current = await credentials(app, 'AWSCURRENT');
      expect(await world.servers[0]?.accepts(current.username, current.password, world.ca.caFile)).toBe(true);
    }
    await expectNoLeak(app);
  });
});
