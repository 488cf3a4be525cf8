// Proves the test-server support library: real mariadbd processes with TLS, loopback DNS for
// RDS host names, and moto. Each server is started here and stopped by pid at the end.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeDBInstancesCommand, RDSClient, StopDBInstanceCommand } from '@aws-sdk/client-rds';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installLoopbackDns, LOOPBACK_DNS_PRELOAD } from '../../sandbox/loopbackDns.ts';
import { type MariaDbFleet, startMariaDbFleet } from '../../sandbox/mariadbFleet.ts';
import { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import {
  AWS_TEST_CREDENTIALS,
  createRdsInstance,
  type MotoServer,
  rdsHostname,
  startMoto,
  TEST_REGION,
} from '../../sandbox/moto.ts';
import { createTestCa, type TestCa } from '../../sandbox/testCa.ts';

const USER = 'app';
const PASSWORD = 'first-Password-1';

let workDir: string;
let ca: TestCa;
let otherCa: TestCa;
let fleet: MariaDbFleet;
let fleetStartMs: number;
const extraServers: MariaDbServer[] = [];
let moto: MotoServer | undefined;

async function startExtraServer(server: MariaDbServer): Promise<MariaDbServer> {
  extraServers.push(server);
  await server.start();
  return server;
}

function childCommands(): string[] {
  const out = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => /mariadbd|moto_server|watchdog/.test(line));
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'support-test-'));
  ca = createTestCa(workDir);
  otherCa = createTestCa(workDir, 'Unrelated CA');
  const started = Date.now();
  fleet = await startMariaDbFleet(3, (i) => ({
    tls: ca.issueServerCert(`db-${i}`, [rdsHostname(`db-${i}`)], ['127.0.0.1']),
  }));
  fleetStartMs = Date.now() - started;
  await Promise.all(fleet.servers.map((s) => s.createUser(USER, PASSWORD)));
  installLoopbackDns();
});

afterAll(async () => {
  await fleet?.stopAll();
  await Promise.all(extraServers.map((s) => s.stop()));
  await moto?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('MariaDB test servers', () => {
  it('starts a fleet of three TLS servers in a few seconds, each on its own port', () => {
    expect(fleetStartMs).toBeLessThan(10_000);
    expect(new Set(fleet.servers.map((s) => s.port)).size).toBe(3);
  });

  it('lets a REQUIRE SSL user in over TLS with host name verification through loopback DNS', async () => {
    const server = fleet.servers[0] as MariaDbServer;
    const connection = await createConnection({
      host: rdsHostname('db-0'),
      port: server.port,
      user: USER,
      password: PASSWORD,
      ssl: {
        ca: readFileSync(ca.caFile, 'utf8'),
        rejectUnauthorized: true,
        verifyIdentity: true,
      },
    });
    const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS me');
    await connection.end();
    expect(rows[0]?.me).toBe(`${USER}@%`);
    expect(await server.accepts(USER, PASSWORD, ca.caFile, rdsHostname('db-0'))).toBe(true);
  });

  it('refuses the REQUIRE SSL user without TLS, like a wrong password (1045)', async () => {
    const server = fleet.servers[0] as MariaDbServer;
    expect(await server.loginError(USER, PASSWORD)).toMatchObject({ errno: 1045 });
    expect(await server.accepts(USER, 'wrong-password', ca.caFile)).toBe(false);
  });

  it('fails the handshake against an unrelated CA', async () => {
    const error = await fleet.servers[0]?.loginError(USER, PASSWORD, { caFile: otherCa.caFile });
    expect(error).toMatchObject({
      code: 'HANDSHAKE_SSL_ERROR',
      message: expect.stringMatching(/certificate/),
    });
  });

  it('refuses a certificate issued for another host name', async () => {
    const error = await fleet.servers[0]?.loginError(USER, PASSWORD, {
      caFile: ca.caFile,
      servername: rdsHostname('db-1'),
    });
    // mysql2 reports the failed host name check with the same code as an untrusted CA.
    expect(error).toMatchObject({ code: 'HANDSHAKE_SSL_ERROR', message: expect.stringMatching(/altnames/) });
  });

  it('sets passwords and locks accounts as admin', async () => {
    const server = fleet.servers[1] as MariaDbServer;
    await server.setPassword(USER, 'second-Password-2');
    expect(await server.accepts(USER, PASSWORD, ca.caFile)).toBe(false);
    expect(await server.accepts(USER, 'second-Password-2', ca.caFile)).toBe(true);
    await server.lockAccount(USER);
    expect(await server.loginError(USER, 'second-Password-2', { caFile: ca.caFile })).toMatchObject({
      errno: 4151,
    });
    await server.unlockAccount(USER);
    expect(await server.accepts(USER, 'second-Password-2', ca.caFile)).toBe(true);
  });

  it('refuses connections beyond max_user_connections (1226)', async () => {
    const server = fleet.servers[2] as MariaDbServer;
    await server.createUser('limited', PASSWORD, { maxUserConnections: 2 });
    const release = await server.holdConnections('limited', PASSWORD, 2, { caFile: ca.caFile });
    expect(await server.loginError('limited', PASSWORD, { caFile: ca.caFile })).toMatchObject({
      errno: 1226,
    });
    await release();
    expect(await server.accepts('limited', PASSWORD, ca.caFile)).toBe(true);
  });

  it('hangs logins while paused and serves them again after resume', async () => {
    const server = fleet.servers[2] as MariaDbServer;
    server.pause();
    let settled = false;
    const login = server.accepts(USER, PASSWORD, ca.caFile).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    server.resume();
    expect(await login).toBe(true);
  });

  it('keeps port and data across kill and restart', async () => {
    const server = fleet.servers[2] as MariaDbServer;
    const { port, pid } = server;
    await server.kill();
    expect(server.pid).toBeUndefined();
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(await server.accepts(USER, PASSWORD, ca.caFile)).toBe(true);
  });

  it('runs a server without TLS, which refuses TLS logins', async () => {
    const server = await startExtraServer(new MariaDbServer());
    await server.createUser('plain', PASSWORD, { requireSsl: false });
    expect(await server.loginError('plain', PASSWORD)).toBeUndefined();
    expect((await server.loginError('plain', PASSWORD, { caFile: ca.caFile }))?.code).toBe(
      'HANDSHAKE_NO_SSL_SUPPORT',
    );
  });

  it('overrides VERSION(), so a MySQL-style ALTER USER CURRENT_USER() silently changes nothing', async () => {
    const server = await startExtraServer(
      new MariaDbServer({
        tls: ca.issueServerCert('mysql-like', ['mysql-like.test']),
        versionString: '8.0.35',
      }),
    );
    await server.createUser(USER, PASSWORD, { grantCreateUser: true });
    const connection = await createConnection({
      host: 'mysql-like.test',
      port: server.port,
      user: USER,
      password: PASSWORD,
      ssl: {
        ca: readFileSync(ca.caFile, 'utf8'),
        rejectUnauthorized: true,
        verifyIdentity: true,
      },
    });
    const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS v');
    expect(rows[0]?.v).toBe('8.0.35');
    // The user's CREATE USER privilege is what turns the statement into a no-op; without it: 1227.
    await connection.query('ALTER USER CURRENT_USER() IDENTIFIED BY ?', ['changed-Password-3']);
    expect(await server.accepts(USER, 'changed-Password-3', ca.caFile)).toBe(false);
    expect(await server.accepts(USER, PASSWORD, ca.caFile)).toBe(true);
    // The MariaDB statement does change it.
    await connection.query('SET PASSWORD = PASSWORD(?)', ['changed-Password-3']);
    await connection.end();
    expect(await server.accepts(USER, 'changed-Password-3', ca.caFile)).toBe(true);

    await server.createUser('unprivileged', PASSWORD);
    const unprivileged = await createConnection({
      host: 'mysql-like.test',
      port: server.port,
      user: 'unprivileged',
      password: PASSWORD,
      ssl: { ca: readFileSync(ca.caFile, 'utf8'), rejectUnauthorized: true, verifyIdentity: true },
    });
    await expect(
      unprivileged.query('ALTER USER CURRENT_USER() IDENTIFIED BY ?', ['changed-Password-3']),
    ).rejects.toMatchObject({ errno: 1227 });
    await unprivileged.end();
  });
});

describe('loopback DNS preload', () => {
  it('resolves RDS and .test names to 127.0.0.1 in a child process', () => {
    const script =
      "require('node:dns').lookup(process.argv[1], { all: true }, (e, a) => console.log(JSON.stringify(a)))";
    const out = execFileSync(
      process.execPath,
      ['--import', LOOPBACK_DNS_PRELOAD, '-e', script, rdsHostname('db-9')],
      { encoding: 'utf8', timeout: 10_000 },
    );
    expect(JSON.parse(out)).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });
});

describe('moto', () => {
  it('answers CreateDBInstance and DescribeDBInstances with the RDS host name format', async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    moto = await startMoto();
    const rds = new RDSClient({
      endpoint: moto.endpoint,
      region: TEST_REGION,
      credentials: AWS_TEST_CREDENTIALS,
    });
    const created = await createRdsInstance(rds, {
      id: 'db-0',
      engine: 'mariadb',
      port: 3307,
      tags: { app: 'x' },
    });
    expect(created.DBInstanceStatus).toBe('available');
    await createRdsInstance(rds, { id: 'db-1', engine: 'mysql', port: 3308 });
    await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'db-1' }));
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({}));
    expect(DBInstances.map((i) => [i.DBInstanceIdentifier, i.DBInstanceStatus, i.Endpoint])).toEqual([
      ['db-0', 'available', { Address: rdsHostname('db-0'), Port: 3307 }],
      ['db-1', 'stopped', { Address: rdsHostname('db-1'), Port: 3308 }],
    ]);
    await moto.reset();
    expect((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances).toEqual([]);
  });
});

describe('clean-up', () => {
  it('stops paused servers too and leaves no server, moto or watchdog process behind', async () => {
    const pids = [...fleet.servers, ...extraServers].map((s) => s.pid);
    fleet.servers[1]?.pause();
    await fleet.stopAll();
    await Promise.all(extraServers.map((s) => s.stop()));
    await moto?.stop();
    for (const pid of pids) expect(() => process.kill(pid as number, 0)).toThrow();
    expect(childCommands()).toEqual([]);
  });
});
