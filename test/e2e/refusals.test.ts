import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';

// What the function must refuse: servers it cannot trust, servers that lie about a password
// change, events and secret values it does not understand. After each, nothing has changed.
let world: RotationWorld;
let plainServer: MariaDbServer;
let lyingServer: MariaDbServer;
const apps: App[] = [];

beforeAll(async () => {
  world = await RotationWorld.start(2);
  plainServer = new MariaDbServer({ maxLifetimeMs: 30 * 60_000 });
  // VERSION() without "MariaDB": the function sends MySQL's ALTER USER CURRENT_USER(), which
  // MariaDB acknowledges and ignores for a user holding CREATE USER.
  lyingServer = new MariaDbServer({
    tls: world.ca.issueServerCert('lying', ['localhost', 'lying.test'], ['127.0.0.1']),
    versionString: '8.0.36',
    maxLifetimeMs: 30 * 60_000,
  });
  await Promise.all([plainServer.start(), lyingServer.start()]);
});

afterAll(async () => {
  for (const app of apps) app.cleanup();
  await Promise.allSettled([plainServer?.stop(), lyingServer?.stop()]);
  await world?.stop();
});

async function newApp(options: Parameters<RotationWorld['createApp']>[0] = {}): Promise<App> {
  const app = await world.createApp(options);
  apps.push(app);
  return app;
}

/** The app's servers still accept the original password and the secret has no pending rotation. */
async function expectNothingChanged(app: App, before: string | undefined): Promise<void> {
  expect(await app.password('AWSCURRENT')).toBe(before);
  expect(await app.hasPendingLabel()).toBe(false);
  expect(await app.acceptedPasswords()).toEqual(app.serverIndexes.map(() => 'current'));
  expect(await app.leakedLogLines()).toEqual([]);
}

describe('servers the function cannot trust', () => {
  it('refuses a server without TLS and changes nothing', async () => {
    const app = await newStaticApp([`localhost:${plainServer.port}`]);
    const before = (await app.password('AWSCURRENT')) as string;
    await plainServer.createUser(app.username, before, { requireSsl: false });

    const run = await app.driver.rotate(app.secretId);

    expect(run.ok).toBe(false);
    expect(run.error).toContain(`localhost:${plainServer.port}`);
    expect(run.error).toMatch(/TLS verification failed: Server does not support secure connection/);
    expect(await plainServer.loginError(app.username, before)).toBeUndefined();
    await expectSecretUnchanged(app, before);
  });

  it('refuses a server whose certificate comes from another CA', async () => {
    const app = await newApp({ servers: [0, 1], env: { DB_TLS_CA_FILE: world.otherCa.caFile } });
    const before = await app.password('AWSCURRENT');

    const run = await app.driver.rotate(app.secretId);

    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/TLS verification failed/);
    expect(run.error).toContain(`${app.instanceIds[0]} (`);
    expect(run.error).toContain(`${app.instanceIds[1]} (`);
    expect(run.error).not.toContain('MANUAL ACTION NEEDED');
    await expectNothingChanged(app, before);
  });

  it('refuses a server whose certificate does not name the host it was reached by', async () => {
    // The fleet's certificates name *.rds.amazonaws.com and localhost, not mismatch.test.
    const app = await newStaticApp([`mismatch.test:${world.servers[0]?.port}`]);
    const before = (await app.password('AWSCURRENT')) as string;
    await world.servers[0]?.createUser(app.username, before);

    const run = await app.driver.rotate(app.secretId);

    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/TLS verification failed: .*(Hostname|altnames)/i);
    expect(await world.servers[0]?.accepts(app.username, before, world.ca.caFile)).toBe(true);
    await expectSecretUnchanged(app, before);
  });
});

describe('a server that acknowledges a password change without making it', () => {
  it('is caught by the verification login and every instance is rolled back', async () => {
    const app = await newStaticApp([`localhost:${world.servers[1]?.port}`, `localhost:${lyingServer.port}`]);
    const before = (await app.password('AWSCURRENT')) as string;
    await world.servers[1]?.createUser(app.username, before);
    await lyingServer.createUser(app.username, before, { grantCreateUser: true });

    const run = await app.driver.rotate(app.secretId);

    expect(run.ok).toBe(false);
    expect(run.error).toContain(`localhost:${lyingServer.port}`);
    expect(run.error).toContain('acknowledged the password change but refuses the pending password');
    expect(run.error).toContain('2 of 2 instance(s) accept it');
    expect(await lyingServer.accepts(app.username, before, world.ca.caFile)).toBe(true);
    expect(await world.servers[1]?.accepts(app.username, before, world.ca.caFile)).toBe(true);
    await expectSecretUnchanged(app, before);
  });
});

describe('input the function does not understand', () => {
  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['an empty object', {}],
    ['an unknown step', { Step: 'dropSecret', SecretId: 'x', ClientRequestToken: 'y' }],
    ['a rotation event without a token', { Step: 'setSecret', SecretId: 'x' }],
    ['an empty action', { action: '' }],
    ['an unknown action', { action: 'drop' }],
  ])('rejects %s with a clear error and changes nothing', async (_name, event) => {
    const app = await newApp({ servers: [0] });
    const before = await app.password('AWSCURRENT');

    const invocation = await app.invoke(event);

    expect(invocation.ok).toBe(false);
    expect(invocation.error?.name).toBe('InvalidEventError');
    expect(invocation.error?.message).toMatch(/expected|valid actions|must be/);
    expect(invocation.error?.stack).toBe(`InvalidEventError: ${invocation.error?.message}`);
    await expectNothingChanged(app, before);
  });

  it('rejects a token that is not a version of the secret', async () => {
    const app = await newApp({ servers: [0] });
    const before = await app.password('AWSCURRENT');

    const invocation = await app.driver.invokeStep(app.secretId, 'nope', 'setSecret');

    expect(invocation.error?.message).toContain('version nope is not a version of secret');
    await expectNothingChanged(app, before);
  });

  it.each([
    ['not JSON', 'not json at all'],
    ['a JSON array', '["app", "pw"]'],
    ['missing the username', '{"password": "Secret-Value-1"}'],
    ['an empty username', '{"username": " ", "password": "Secret-Value-2"}'],
    ['a non-string password', '{"username": "app", "password": 12345678}'],
  ])(
    'refuses a current secret value that is %s, naming what is wrong, and removes AWSPENDING',
    async (_n, value) => {
      const app = await newApp({ servers: [], secretString: value });

      const run = await app.driver.rotate(app.secretId);

      expect(run.ok).toBe(false);
      expect(run.error).toMatch(/SecretValueError: the AWSCURRENT version .* (is not|has no)/);
      expect(run.error).not.toContain('Secret-Value');
      expect(run.error).toContain('Nothing was changed and AWSPENDING was removed.');
      // Secrets Manager would retry with the same token; the version is no longer pending, so it stops.
      expect(run.runs.map((r) => r.step)).toEqual(['createSecret']);
      expect(await app.hasPendingLabel()).toBe(false);
      expect(app.logs.some((line) => line.includes('Secret-Value'))).toBe(false);
    },
  );
});

/** An app whose function reaches the given host:port endpoints instead of RDS instances. */
function newStaticApp(endpoints: string[]): Promise<App> {
  return newApp({ servers: [], env: { DB_ENDPOINTS: endpoints.join(',') } });
}

async function expectSecretUnchanged(app: App, before: string): Promise<void> {
  expect(await app.password('AWSCURRENT')).toBe(before);
  expect(await app.hasPendingLabel()).toBe(false);
  expect(await app.leakedLogLines()).toEqual([]);
}
