import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Candidate } from '../../function/src/candidates.ts';
import type { ConnectOptions } from '../../function/src/database.ts';
import { bringFleetTo, checkFleet, type FleetPlan, type FleetRun } from '../../function/src/fleet.ts';
import { Deadline, type InstanceReport, instanceWork } from '../../function/src/instances.ts';
import type { FleetMember, Role } from '../../function/src/topology.ts';
import {
  replicaState,
  resumeReplication,
  setReplicationDelay,
  startReplication,
  stopReplication,
  waitForReplica,
} from '../../sandbox/mariadbReplication.ts';
import { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { createTestCa } from '../../sandbox/testCa.ts';
import { silenceLogs } from '../unit/helpers.ts';

// The fleet work in-process against real MariaDB replication over loopback: GTIDs, TLS on the
// replication link, read_only=ON on the replicas, and a reader with innodb_read_only=ON alone
// (read_only OFF), where an unprivileged user's SET PASSWORD would succeed. Refused logins are
// counted on the servers: each one counts towards an account lock.
const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
const ca = createTestCa(dir);
const tls = (name: string) => ca.issueServerCert(name, ['localhost'], ['127.0.0.1']);
const primary = new MariaDbServer({ tls: tls('primary'), replication: { serverId: 1 } });
const replica = new MariaDbServer({ tls: tls('replica'), replication: { serverId: 2, readOnly: true } });
const lagging = new MariaDbServer({ tls: tls('lagging'), replication: { serverId: 3, readOnly: true } });
const reader = new MariaDbServer({ tls: tls('reader'), replication: { serverId: 4, innodbReadOnly: true } });
const servers = [primary, replica, lagging, reader];
let connect: ConnectOptions;
let users = 0;

beforeAll(async () => {
  silenceLogs();
  await Promise.all(servers.map((server) => server.start()));
  for (const server of [replica, lagging, reader])
    await startReplication(server, primary, { caFile: ca.caFile });
  connect = { tlsCa: readFileSync(ca.caFile, 'utf8'), connectTimeoutMs: 2000, queryTimeoutMs: 2000 };
});

afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  const state = await replicaState(lagging);
  if (state.delaySeconds !== 0) await setReplicationDelay(lagging, 0);
  else if (state.sqlRunning !== 'Yes') await resumeReplication(lagging);
  await waitForReplica(lagging, primary);
});

const current: Candidate = { label: 'current', password: 'Current-Password-1' };
const pending: Candidate = { label: 'pending', password: 'Pending-Password-2' };
const provision: Candidate = { label: 'provision', password: 'Provision-Password-0' };

function member(server: MariaDbServer, id: string, role: Role, origin?: string): FleetMember {
  return {
    id,
    host: 'localhost',
    port: server.port,
    role,
    ...(origin ? { origin, via: `read replica of ${origin}` } : {}),
  };
}

/** The primary and its three replicas as discovery would give them. */
function fleet(): FleetMember[] {
  return [
    member(primary, 'primary', 'primary'),
    member(replica, 'replica', 'replica', 'primary'),
    member(lagging, 'lagging', 'replica', 'primary'),
    member(reader, 'reader', 'reader', 'primary'),
  ];
}

/** A new user on the primary with `password`, once every replica has it. */
async function newUser(password: string): Promise<string> {
  const name = `fleet${++users}`;
  await primary.createUser(name, password);
  for (const server of [replica, reader]) {
    server.knowUser(name, '%');
    await waitForReplica(server, primary);
  }
  lagging.knowUser(name, '%');
  if ((await replicaState(lagging)).sqlRunning === 'Yes') await waitForReplica(lagging, primary);
  return name;
}

function plan(username: string, target: Candidate, from: Candidate[], dpp?: Candidate): FleetPlan {
  return {
    username,
    target,
    order: [...from.map((c) => c.label), target.label],
    candidates: from,
    provision: async () => dpp,
  };
}

function run(replicationWaitMs: number, parallel = 10): FleetRun {
  const work = instanceWork(
    {
      tlsCa: connect.tlsCa,
      connectTimeoutMs: 2000,
      queryTimeoutMs: 2000,
      parallel,
      retries: 0,
      retryWaitMs: 0,
    },
    Deadline.unlimited(),
  );
  return { work, phase: 'test', replicationWaitMs };
}

async function refusedLogins(server: MariaDbServer): Promise<number> {
  const [row] = await server.adminQuery("SHOW GLOBAL STATUS LIKE 'Access_denied_errors'");
  return Number(row?.Value);
}

async function accepted(username: string, password: string): Promise<boolean[]> {
  return Promise.all(servers.map((server) => server.accepts(username, password, ca.caFile)));
}

const outcomes = (reports: InstanceReport[]) => reports.map((r) => `${r.instance}:${r.outcome}`);

describe('the sandbox replication', () => {
  it('replicates over TLS with GTIDs to read-only replicas, which refuse an unprivileged SET PASSWORD', async () => {
    // prepare
    const username = await newUser(current.password);

    // act
    const states = await Promise.all(
      [replica, lagging, reader].map((server) => server.adminQuery('SHOW SLAVE STATUS')),
    );
    const readOnly = await Promise.all(
      servers.map((server) => server.adminQuery('SELECT @@read_only AS r, @@innodb_read_only AS i')),
    );

    // assess
    expect(
      states.map(([row]) => [row?.Master_SSL_Allowed, row?.Master_SSL_Verify_Server_Cert, row?.Using_Gtid]),
    ).toEqual([0, 1, 2].map(() => ['Yes', 'Yes', 'Slave_Pos']));
    expect(readOnly.map(([row]) => [row?.r, row?.i])).toEqual([
      [0, 0],
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(await accepted(username, current.password)).toEqual([true, true, true, true]);
  });
});

describe('bringFleetTo', () => {
  it('writes the primary only and finds the change on every replica, one login each', async () => {
    // prepare
    const username = await newUser(current.password);
    const refusedBefore = await Promise.all(servers.map(refusedLogins));

    // act
    const reports = await bringFleetTo(fleet(), plan(username, pending, [current]), run(5000));

    // assess
    expect(outcomes(reports)).toEqual([
      'primary:changed',
      'replica:replicated',
      'lagging:replicated',
      'reader:replicated',
    ]);
    expect(await accepted(username, pending.password)).toEqual([true, true, true, true]);
    // On loopback the change has usually arrived by the time the primary's verification is over.
    const refused = (await Promise.all(servers.map(refusedLogins))).map(
      (n, i) => n - (refusedBefore[i] as number),
    );
    expect(refused[0]).toBe(0);
    for (const report of reports.slice(1)) expect(report.logins).toBeLessThanOrEqual(3);
    expect(refused.slice(1).every((n) => n <= 2)).toBe(true);
  });

  it('waits for a replica applying events 2 s late, with at most two refused logins there', async () => {
    // prepare
    const username = await newUser(current.password);
    await setReplicationDelay(lagging, 2);
    const refusedBefore = await refusedLogins(lagging);

    // act
    const reports = await bringFleetTo(fleet(), plan(username, pending, [current]), run(6000));

    // assess
    const late = reports.find((r) => r.instance === 'lagging');
    expect(late?.outcome).toBe('replicated');
    expect(late?.ms).toBeGreaterThanOrEqual(1500);
    expect((await refusedLogins(lagging)) - refusedBefore).toBeLessThanOrEqual(2);
    expect(late?.logins).toBeGreaterThan(2);
    expect(await accepted(username, pending.password)).toEqual([true, true, true, true]);
  });

  it('fails a replica whose replication is stopped once the bound passes, saying it still has the old password', async () => {
    // prepare
    const username = await newUser(current.password);
    await stopReplication(lagging);

    // act
    const started = Date.now();
    const reports = await bringFleetTo(fleet(), plan(username, pending, [current]), run(800));
    const waited = Date.now() - started;

    // assess
    const stopped = reports.find((r) => r.instance === 'lagging');
    expect(stopped).toMatchObject({ outcome: 'failed', errorKind: 'replication' });
    expect(stopped?.error).toMatch(
      /read replica of primary does not accept the pending password \d+ ms after its source changed \(REPLICATION_WAIT_MS=800\); it still accepts the current password: its replication is stopped or further behind than that/,
    );
    expect(waited).toBeLessThan(5000);
    expect(outcomes(reports).filter((o) => !o.startsWith('lagging'))).toEqual([
      'primary:changed',
      'replica:replicated',
      'reader:replicated',
    ]);
  });

  it('goes back to the current password the same way: the source written, the replicas waited for', async () => {
    // prepare
    const username = await newUser(current.password);
    await bringFleetTo(fleet(), plan(username, pending, [current]), run(5000));

    // act
    const reports = await bringFleetTo(fleet(), plan(username, current, [pending]), run(5000));

    // assess
    expect(outcomes(reports)).toEqual([
      'primary:changed',
      'replica:replicated',
      'lagging:replicated',
      'reader:replicated',
    ]);
    expect(reports[0]?.from).toBe('pending');
    expect(await accepted(username, current.password)).toEqual([true, true, true, true]);
  });

  it('refuses to write on a server RDS calls a primary when it reports read-only, and writes nothing there', async () => {
    // prepare
    const username = await newUser(current.password);

    // act
    const [report] = await bringFleetTo(
      [member(replica, 'said-primary', 'primary')],
      plan(username, pending, [current]),
      run(500),
    );

    // assess
    expect(report).toMatchObject({ outcome: 'failed', errorKind: 'fatal' });
    expect(report?.error).toContain('RDS lists it as a primary');
    expect(report?.error).toContain('the server reports read-only');
    expect(await accepted(username, current.password)).toEqual([true, true, true, true]);
  });

  it('treats a static endpoint that reports only innodb_read_only as a replica, never writing to it', async () => {
    // prepare
    const username = await newUser(current.password);
    // One at a time, the reader first: it still has the current password when it is logged in to.
    const members = [member(reader, 'reader:2', 'endpoint'), member(primary, 'primary:1', 'endpoint')];

    // act
    const reports = await bringFleetTo(members, plan(username, pending, [current]), run(5000, 1));

    // assess
    expect(outcomes(reports)).toEqual(['reader:2:replicated', 'primary:1:changed']);
    expect(await accepted(username, pending.password)).toEqual([true, true, true, true]);
  });

  it('leaves a new instance with the default provision password, and its replicas, awaiting a reset', async () => {
    // prepare
    const username = await newUser(provision.password);

    // act
    const reports = await bringFleetTo(fleet(), plan(username, pending, [current], provision), run(2000));

    // assess
    expect(outcomes(reports)).toEqual([
      'primary:awaiting-reset',
      'replica:awaiting-reset',
      'lagging:awaiting-reset',
      'reader:awaiting-reset',
    ]);
    expect(await accepted(username, provision.password)).toEqual([true, true, true, true]);
  });

  it('fails an instance that accepts no known password when there is no default provision password', async () => {
    // prepare
    const username = await newUser('Someone-Elses-Password-9');

    // act
    const reports = await bringFleetTo(fleet(), plan(username, pending, [current]), run(500));

    // assess
    expect(reports[0]).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(reports.slice(1).map((r) => [r.outcome, r.errorKind, r.error])).toEqual(
      [1, 2, 3].map(() => ['skipped', 'source', 'not checked: its source primary failed']),
    );
  });
});

describe('checkFleet', () => {
  it('logs in once on every instance in the normal case', async () => {
    // prepare
    const username = await newUser(current.password);
    await bringFleetTo(fleet(), plan(username, pending, [current]), run(5000));
    const refusedBefore = await Promise.all(servers.map(refusedLogins));

    // act
    const reports = await checkFleet(fleet(), plan(username, pending, [current]), run(5000), {
      catchUp: false,
    });

    // assess
    expect(outcomes(reports)).toEqual([
      'primary:verified',
      'replica:replicated',
      'lagging:replicated',
      'reader:replicated',
    ]);
    expect(reports.slice(1).map((r) => r.logins)).toEqual([1, 1, 1]);
    expect(await Promise.all(servers.map(refusedLogins))).toEqual(refusedBefore);
  });

  it('brings back to the pending password a primary reset to the current one, when catching up', async () => {
    // prepare
    const username = await newUser(current.password);
    await bringFleetTo(fleet(), plan(username, pending, [current]), run(5000));
    await primary.setPassword(username, current.password);

    // act
    const reports = await checkFleet(fleet(), plan(username, pending, [current]), run(5000), {
      catchUp: true,
    });

    // assess
    expect(outcomes(reports)).toEqual([
      'primary:changed',
      'replica:replicated',
      'lagging:replicated',
      'reader:replicated',
    ]);
    expect(reports[0]?.from).toBe('current');
    expect(await accepted(username, pending.password)).toEqual([true, true, true, true]);
  });

  it('names the password a primary accepts instead, when not catching up, and changes nothing', async () => {
    // prepare
    const username = await newUser(current.password);

    // act
    const reports = await checkFleet(fleet().slice(0, 1), plan(username, pending, [current]), run(500), {
      catchUp: false,
    });

    // assess
    expect(reports[0]).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(reports[0]?.error).toContain('it refuses the pending password but accepts the current password');
    expect(await accepted(username, current.password)).toEqual([true, true, true, true]);
  });
});
