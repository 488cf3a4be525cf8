import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { createPool as createMysqlPool, type Pool, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { type CredentialsChange, CredentialsRejectedError, createPool } from '../../client/src/index.ts';
import { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { awsEnv, type MotoServer, startMoto } from '../../sandbox/moto.ts';
import { countingClient, MotoSecret, motoClient } from '../../sandbox/motoSecret.ts';
import { createTestCa } from '../../sandbox/testCa.ts';
import { newLogin, startLoad, threadIds } from './appLoad.ts';

// The client against real MariaDB servers with TLS (a test CA, host name verified) and moto
// for Secrets Manager; the test plays the rotation function's steps on both sides.
const dir = mkdtempSync(join(tmpdir(), 'client-rotation-'));
const ca = createTestCa(dir);
const LIFETIME = { maxLifetimeMs: 10 * 60_000 };
const instances = [1, 2].map(
  (n) => new MariaDbServer({ tls: ca.issueServerCert(`db${n}`, ['localhost']), ...LIFETIME }),
);
const otherHostServer = new MariaDbServer({
  tls: ca.issueServerCert('other', ['db.other.test']),
  ...LIFETIME,
});
const plainServer = new MariaDbServer(LIFETIME);
const caPem = readFileSync(ca.caFile, 'utf8');
let moto: MotoServer;

/** Every password any test used, every error and event the client gave: searched at the end. */
const passwords: string[] = [];
const emitted: unknown[] = [];
const consoleSpies: MockInstance[] = [];
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);

function newPassword(): string {
  const password = `Pw-${randomBytes(12).toString('base64url')}`;
  passwords.push(password);
  return password;
}

let userCount = 0;
async function newUser(servers: MariaDbServer[], password: string, suffix = ''): Promise<string> {
  const name = `app${++userCount}${suffix}`;
  await Promise.all(servers.map((s) => s.createUser(name, password)));
  return name;
}

function poolFor(
  server: MariaDbServer,
  secret: MotoSecret,
  client: ReturnType<typeof countingClient>['client'],
  changes: CredentialsChange[] = [],
  extra: Partial<Parameters<typeof createPool>[0]> = {},
): Pool {
  return createPool({
    host: 'localhost',
    port: server.port,
    secretId: secret.id,
    secretsManager: client,
    ssl: { ca: caPem },
    connectTimeout: 5_000,
    onCredentialsChange: (change) => {
      changes.push(change);
      emitted.push(change);
    },
    ...extra,
  });
}

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    consoleSpies.push(vi.spyOn(console, method));
  }
  process.on('warning', onWarning);
  [moto] = await Promise.all([
    startMoto(LIFETIME),
    ...instances.map((s) => s.start()),
    otherHostServer.start(),
    plainServer.start(),
  ]);
});

afterAll(async () => {
  process.off('warning', onWarning);
  await Promise.allSettled([
    moto?.stop(),
    ...[...instances, otherHostServer, plainServer].map((s) => s.stop()),
  ]);
  rmSync(dir, { recursive: true, force: true });
});

describe('the client during rotations', () => {
  it('serves two instances through a rotation with no failed query, keeping open connections', async () => {
    const oldPassword = newPassword();
    const nextPassword = newPassword();
    const user = await newUser(instances, oldPassword);
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, oldPassword);
    const app = countingClient(moto.endpoint);
    const changes: CredentialsChange[] = [];
    const pools = instances.map((s) => poolFor(s, secret, app.client, changes, { connectionLimit: 6 }));
    const held = await Promise.all(pools.map((p) => p.getConnection()));
    const heldIds = await threadIds(held);

    const load = startLoad(pools, (error) => emitted.push(error));
    await sleep(300);
    const pending = await secret.putPending(user, nextPassword);
    await sleep(300);
    load.enter('window');
    // setSecret reaches the instances one after the other.
    await instances[0]?.setPassword(user, nextPassword);
    await sleep(400);
    await instances[1]?.setPassword(user, nextPassword);
    await sleep(400);
    await secret.finish(pending);
    load.enter('after');
    await sleep(600);
    const stats = await load.stop();

    expect(stats.failures).toEqual([]);
    expect(stats.queries).toBeGreaterThan(50);
    for (const counts of stats.newLogins) {
      expect(counts.before).toBeGreaterThanOrEqual(3);
      expect(counts.window).toBeGreaterThanOrEqual(3);
      expect(counts.after).toBeGreaterThanOrEqual(3);
    }
    // Open connections were kept; new ones can only have used the new password.
    expect(await threadIds(held)).toEqual(heldIds);
    expect(await instances[0]?.accepts(user, oldPassword, ca.caFile, 'localhost')).toBe(false);
    expect(await Promise.all(pools.map(newLogin))).toEqual([`${user}@%`, `${user}@%`]);
    // One read at start, then AWSCURRENT and AWSPENDING together once, by the first instance's
    // refused login: the second instance's refused login tries the AWSPENDING that read found.
    expect(app.reads.filter((s) => s === 'AWSCURRENT')).toHaveLength(2);
    expect(app.reads.filter((s) => s === 'AWSPENDING')).toHaveLength(1);
    expect(changes.map((c) => `${c.endpoint} ${c.label} ${c.reason}`)).toEqual([
      `localhost:${instances[0]?.port} AWSCURRENT initial`,
      `localhost:${instances[1]?.port} AWSCURRENT initial`,
      `localhost:${instances[0]?.port} AWSPENDING access-denied`,
      `localhost:${instances[1]?.port} AWSPENDING access-denied`,
    ]);
    expect(changes[2]?.versionId).toBe(pending);
    for (const c of held) c.release();
    await Promise.all(pools.map((p) => p.end()));
  });

  it('opens a connection inside the window with AWSPENDING after one refused login and one read of both labels', async () => {
    const server = instances[0] as MariaDbServer;
    const oldPassword = newPassword();
    const nextPassword = newPassword();
    const user = await newUser([server], oldPassword);
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, oldPassword);
    const app = countingClient(moto.endpoint);
    const changes: CredentialsChange[] = [];
    // A single slot: the refused login must not keep it.
    const pool = poolFor(server, secret, app.client, changes, { connectionLimit: 1 });
    expect(await newLogin(pool)).toBe(`${user}@%`);
    const refusedBefore = await refusedLogins(server);
    const abortedBefore = await abortedBeforeLogin(server);
    await secret.putPending(user, nextPassword);
    await server.setPassword(user, nextPassword);
    app.counts.maxInFlight = 0;
    const readsBefore = app.reads.length;
    const pendingRead = holdPendingReads(app.client);

    const opening = pool.getConnection();
    await pendingRead.asked;
    // Long after the refused login's end, well before the spare's age limit (1 s).
    await sleep(300);
    const notLoggedIn = await unauthenticatedConnections(server);
    pendingRead.release();
    const connection = await opening;
    const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS me');
    connection.release();

    expect(rows[0]?.me).toBe(`${user}@%`);
    expect(await refusedLogins(server)).toBe(refusedBefore + 1);
    // While the read was held, a spare connection waited on the server, not logged in; the login
    // after the read ran on it: none was left unused.
    expect(notLoggedIn).toBe(1);
    expect(await abortedBeforeLogin(server)).toBe(abortedBefore);
    expect(app.reads.slice(readsBefore).sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
    expect(app.counts.maxInFlight).toBe(2);
    expect(changes.at(-1)).toMatchObject({ label: 'AWSPENDING', reason: 'access-denied', username: user });
    // The slot of the refused login was given back: the single slot serves again.
    expect(await newLogin(pool)).toBe(`${user}@%`);
    await pool.end();
  });

  it('sends a statement once: a refused login is retried before it, a statement error is not', async () => {
    const server = instances[0] as MariaDbServer;
    const oldPassword = newPassword();
    const nextPassword = newPassword();
    const user = await newUser([server], oldPassword);
    const database = `db_${user}`;
    await server.adminQuery(`CREATE DATABASE ${database}`);
    await server.adminQuery(`CREATE TABLE ${database}.events (id INT PRIMARY KEY)`);
    await server.adminQuery(`GRANT INSERT, SELECT ON ${database}.* TO ?@'%'`, [user]);
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, oldPassword);
    const pool = poolFor(server, secret, countingClient(moto.endpoint).client, [], { database });
    await newLogin(pool);
    await secret.putPending(user, nextPassword);
    await server.setPassword(user, nextPassword);
    const refusedBefore = await refusedLogins(server);

    await pool.execute('INSERT INTO events (id) VALUES (?)', [1]);
    const refusedForInsert = (await refusedLogins(server)) - refusedBefore;
    const duplicate = await pool.execute('INSERT INTO events (id) VALUES (?)', [1]).catch((e: unknown) => e);
    const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM events');

    expect(refusedForInsert).toBe(1);
    expect((duplicate as { code?: string }).code).toBe('ER_DUP_ENTRY');
    expect(rows[0]?.n).toBe(1);
    await pool.end();
  });

  it('follows a user name change (alternating users)', async () => {
    const server = instances[1] as MariaDbServer;
    const userPassword = newPassword();
    const clonePassword = newPassword();
    const cloneNext = newPassword();
    const userNext = newPassword();
    const user = await newUser([server], userPassword);
    const clone = `${user}_clone`;
    await server.createUser(clone, clonePassword);
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, userPassword);
    const changes: CredentialsChange[] = [];
    const pool = poolFor(server, secret, countingClient(moto.endpoint).client, changes);
    expect(await newLogin(pool)).toBe(`${user}@%`);

    // Rotation 1 sets the clone's password and makes it current; the user's password still works.
    const first = await secret.putPending(clone, cloneNext);
    await server.setPassword(clone, cloneNext);
    await secret.finish(first);
    const duringFirst = await newLogin(pool);
    // Rotation 2 changes the first user's password: the pool moves to the new AWSCURRENT user.
    await secret.putPending(user, userNext);
    await server.setPassword(user, userNext);
    const afterSecond = await newLogin(pool);

    expect(duringFirst).toBe(`${user}@%`);
    expect(afterSecond).toBe(`${clone}@%`);
    expect(changes.at(-1)).toMatchObject({ label: 'AWSCURRENT', username: clone, versionId: first });
    await pool.end();
  });

  it('comes back to AWSCURRENT after a rollback without a failed query', async () => {
    const server = instances[1] as MariaDbServer;
    const oldPassword = newPassword();
    const nextPassword = newPassword();
    const user = await newUser([server], oldPassword);
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, oldPassword);
    const changes: CredentialsChange[] = [];
    const pool = poolFor(server, secret, countingClient(moto.endpoint).client, changes);
    await newLogin(pool);
    const pending = await secret.putPending(user, nextPassword);
    await server.setPassword(user, nextPassword);
    const onPending = await pool.getConnection();
    expect(changes.at(-1)?.label).toBe('AWSPENDING');

    // The rotation failed elsewhere: this instance is set back and AWSPENDING removed.
    await server.setPassword(user, oldPassword);
    await secret.removePending(pending);
    const results = await Promise.allSettled([1, 2, 3].map(() => newLogin(pool)));

    expect(results).toEqual(Array(3).fill({ status: 'fulfilled', value: `${user}@%` }));
    expect(changes.at(-1)).toMatchObject({ label: 'AWSCURRENT', versionId: secret.currentVersion });
    // The connection opened on AWSPENDING stays open and usable.
    await onPending.query('SELECT 1');
    onPending.release();
    await pool.end();
  });
});

describe('the client set up', () => {
  it('reads the secret with a default client configured from the environment', async () => {
    const server = instances[0] as MariaDbServer;
    const password = newPassword();
    const user = await newUser([server], password);
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, password);
    for (const [name, value] of Object.entries(awsEnv(moto.endpoint))) vi.stubEnv(name, value);

    const pool = createPool({
      host: 'localhost',
      port: server.port,
      secretId: secret.id,
      ssl: { ca: caPem },
    });
    const me = await newLogin(pool).finally(() => vi.unstubAllEnvs());

    expect(me).toBe(`${user}@%`);
    await pool.end();
  });

  it('keeps connecting when the onCredentialsChange hook throws', async () => {
    const server = instances[0] as MariaDbServer;
    const password = newPassword();
    const user = await newUser([server], password);
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, password);
    const pool = poolFor(server, secret, countingClient(moto.endpoint).client, [], {
      onCredentialsChange: () => {
        throw new Error('metrics backend down');
      },
    });

    await expect(newLogin(pool)).resolves.toBe(`${user}@%`);
    await pool.end();
  });
});

describe('the client refuses', () => {
  it('to go on when nothing in the secret logs in, saying what it tried', async () => {
    const server = instances[0] as MariaDbServer;
    const user = await newUser([server], newPassword());
    const secret = await MotoSecret.create(motoClient(moto.endpoint), user, newPassword());
    const pending = await secret.putPending(user, newPassword());
    const pool = poolFor(server, secret, countingClient(moto.endpoint).client, [], {
      accessDeniedRetries: 1,
      backoffBaseMs: 10,
      backoffMaxMs: 20,
    });
    const abortedBefore = await abortedBeforeLogin(server);

    const error = (await pool.query('SELECT 1').catch((e: unknown) => e)) as CredentialsRejectedError;
    emitted.push(error);
    // The spare socket opened at the end of the first round served the second round's login.
    expect(await abortedBeforeLogin(server)).toBe(abortedBefore);

    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(error.message).toContain(
      `localhost:${server.port} refused every credential of secret "${secret.id}"`,
    );
    expect(error.message).toContain('4 logins in 2 rounds');
    expect(error.message).toContain(`AWSCURRENT version ${secret.currentVersion} (user ${user}) 2x`);
    expect(error.message).toContain(`AWSPENDING version ${pending} (user ${user}) 2x`);
    expect((error.cause as { errno?: number }).errno).toBe(1045);
    await pool.end();
  });

  it('a server whose certificate names another host', async () => {
    const { pool, reads } = await poolWithUser(otherHostServer, {});

    const error = (await pool.query('SELECT 1').catch((e: unknown) => e)) as Error & { code?: string };
    emitted.push(error);

    expect(error.code).toBe('HANDSHAKE_SSL_ERROR');
    expect(error.message).toMatch(/Hostname\/IP does not match certificate's altnames/);
    expect(reads).toEqual(['AWSCURRENT']);
    await pool.end();
  });

  it('a server without TLS', async () => {
    const { pool } = await poolWithUser(plainServer, {}, { requireSsl: false });

    const error = (await pool.query('SELECT 1').catch((e: unknown) => e)) as Error & { code?: string };
    emitted.push(error);

    expect(error.code).toBe('HANDSHAKE_NO_SSL_SUPPORT');
    await pool.end();
  });

  it('a certificate from a CA outside the Amazon RDS bundle when no CA is given', async () => {
    const { pool } = await poolWithUser(instances[0] as MariaDbServer, { ssl: undefined });

    const error = (await pool.query('SELECT 1').catch((e: unknown) => e)) as Error & { code?: string };
    emitted.push(error);

    expect(error.code).toBe('HANDSHAKE_SSL_ERROR');
    expect(error.message).toMatch(/self-signed certificate in certificate chain|unable to get local issuer/);
    await pool.end();
  });
});

async function poolWithUser(
  server: MariaDbServer,
  extra: Partial<Parameters<typeof createPool>[0]>,
  userOptions: { requireSsl?: boolean } = {},
) {
  const password = newPassword();
  const user = `app${++userCount}`;
  await server.createUser(user, password, userOptions);
  const secret = await MotoSecret.create(motoClient(moto.endpoint), user, password);
  const app = countingClient(moto.endpoint);
  return { pool: poolFor(server, secret, app.client, [], extra), reads: app.reads };
}

async function refusedLogins(server: MariaDbServer): Promise<number> {
  return statusCount(server, 'Access_denied_errors');
}

/** Holds every AWSPENDING read of `client` until `release()`; `asked` settles at the first. */
function holdPendingReads(client: ReturnType<typeof countingClient>['client']) {
  let asked!: () => void;
  let release!: () => void;
  const askedPromise = new Promise<void>((resolve) => {
    asked = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const stage = (args.input as { VersionStage?: string }).VersionStage;
      if (context.commandName === 'GetSecretValueCommand' && stage === 'AWSPENDING') {
        asked();
        await gate;
      }
      return next(args);
    },
    { step: 'initialize', name: 'holdPendingReads' },
  );
  return { asked: askedPromise, release };
}

/** Connections to `server` that have not logged in (yet). */
async function unauthenticatedConnections(server: MariaDbServer): Promise<number> {
  const rows = await server.adminQuery(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'unauthenticated user'",
  );
  return Number(rows[0]?.n);
}

/** Connections closed before they logged in: a spare socket the client left unused would count. */
async function abortedBeforeLogin(server: MariaDbServer): Promise<number> {
  return statusCount(server, 'Aborted_connects_preauth');
}

async function statusCount(server: MariaDbServer, name: string): Promise<number> {
  const rows = await server.adminQuery(`SHOW GLOBAL STATUS LIKE '${name}'`);
  return Number(rows[0]?.Value);
}

describe('the mysql2 internals the client relies on', () => {
  it('new pooled connections log in with the user and password set on pool.config.connectionConfig', async () => {
    // If this fails, mysql2 changed how its pool creates connections: the client must follow.
    const server = instances[0] as MariaDbServer;
    const [first, second] = [newPassword(), newPassword()];
    const userA = await newUser([server], first);
    const userB = await newUser([server], second);
    const pool = createMysqlPool({
      host: 'localhost',
      port: server.port,
      user: userA,
      password: first,
      ssl: { ca: caPem, rejectUnauthorized: true, verifyIdentity: true },
    });
    const open = await pool.getConnection();

    const config = (
      pool.pool as unknown as { config: { connectionConfig: { user: string; password: string } } }
    ).config.connectionConfig;
    config.user = userB;
    config.password = second;
    const fresh = await pool.getConnection();
    const [openAs] = await open.query<RowDataPacket[]>('SELECT CURRENT_USER() AS me');
    const [freshAs] = await fresh.query<RowDataPacket[]>('SELECT CURRENT_USER() AS me');

    expect(openAs[0]?.me).toBe(`${userA}@%`);
    expect(freshAs[0]?.me).toBe(`${userB}@%`);
    open.release();
    fresh.release();
    await pool.end();
  });

  it('a new pooled connection runs on the socket a function set as pool.config.connectionConfig.stream gives', async () => {
    // The client's spare socket (opened while a refused login waits for the read) relies on it.
    const server = instances[0] as MariaDbServer;
    const password = newPassword();
    const user = await newUser([server], password);
    const pool = createMysqlPool({
      host: 'localhost',
      port: server.port,
      user,
      password,
      ssl: { ca: caPem, rejectUnauthorized: true, verifyIdentity: true },
    });
    const config = (pool.pool as unknown as { config: { connectionConfig: { stream?: unknown } } }).config
      .connectionConfig;
    const socket = connect(server.port, 'localhost');
    let given = 0;
    config.stream = () => {
      given++;
      return socket;
    };

    const connection = await pool.getConnection();
    config.stream = undefined;
    const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS me');

    expect(rows[0]?.me).toBe(`${user}@%`);
    expect(given).toBe(1);
    // The login ran over it: the SSL request, then TLS records.
    expect(socket.bytesWritten).toBeGreaterThan(100);
    connection.release();
    await pool.end();
  });
});

describe('secrecy', () => {
  it('no password appears in any error, event, console line or warning', () => {
    const texts = [
      ...emitted.map((e) => inspect(e, { depth: 6 })),
      ...consoleSpies.flatMap((spy) => spy.mock.calls.map((call) => call.map(String).join(' '))),
      ...warnings.map((w) => `${w.name} ${w.message}`),
    ].join('\n');

    expect(passwords.length).toBeGreaterThan(15);
    expect(emitted.length).toBeGreaterThan(15);
    for (const password of passwords) expect(texts).not.toContain(password);
  });
});
