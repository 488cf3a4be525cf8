import { randomBytes, randomUUID } from 'node:crypto';
import {
  GetSecretValueCommand,
  ReplicateSecretToRegionsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatusAnswer, WorkAnswer } from '../../function/src/actions/answers.ts';
import type { InstanceReport } from '../../function/src/instances.ts';
import { ensureBuiltZip } from '../../sandbox/bundleInvoker.ts';
import type { FleetLayout } from '../../sandbox/fleetLayout.ts';
import {
  replicaState,
  resumeReplication,
  setReplicationDelay,
  stopReplication,
  waitForReplica,
} from '../../sandbox/mariadbReplication.ts';
import type { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { AWS_TEST_CREDENTIALS, createRdsInstance, createRdsReadReplica } from '../../sandbox/moto.ts';
import { type App, type AppOptions, RotationWorld } from '../../sandbox/rotationWorld.ts';
import type { RotationRun } from '../../sandbox/secretsManagerDriver.ts';
import { textTable } from '../../scripts/cli/table.ts';

// Each scenario is a whole rotation (four fresh Node processes) or more: a busy machine needs time.
vi.setConfig({ testTimeout: 180_000 });

// Real fleets through the built bundle: MariaDB replication over loopback (GTIDs, TLS on the
// replication link and to the function, read_only=ON on the replicas), RDS read replicas and an
// Aurora cluster registered in moto, a reader with read_only and innodb_read_only. Every log
// line of every scenario is searched for every password, the default provision password too.
const PRIMARY = 0;
const REPLICA = 1;
const LAGGING = 2; // delayed or stopped by some tests, put back after each
const CHAINED = 3; // a replica of REPLICA
const WRITER = 4;
const READER = 5;
const SPARE = 6; // no replication: plays a new instance
const DPP = `Provision-${randomBytes(9).toString('base64url')}`;
const ROLES = [
  { serverId: 1 },
  { serverId: 2, readOnly: true },
  { serverId: 3, readOnly: true },
  { serverId: 4, readOnly: true },
  { serverId: 5 },
  { serverId: 6, readOnly: true, innodbReadOnly: true },
];

let world: RotationWorld;
const apps: App[] = [];
const timings: (string | number)[][] = [];

beforeAll(async () => {
  ensureBuiltZip();
  world = await RotationWorld.start(7, (index) => (ROLES[index] ? { replication: ROLES[index] } : {}));
  await world.replicate(REPLICA, PRIMARY);
  await world.replicate(LAGGING, PRIMARY);
  await world.replicate(CHAINED, REPLICA);
  await world.replicate(READER, WRITER);
});

afterAll(async () => {
  if (timings.length > 0) {
    const headers = ['fleet', 'process ms', 'handler ms', 'primary ms', 'replica wait ms', 'replica logins'];
    console.log(
      `\nsetSecret on a primary with two replicas:\n${textTable(headers, timings, { rule: true })}`,
    );
  }
  for (const app of apps) app.cleanup();
  await world?.stop();
});

afterEach(async () => {
  if (world === undefined) return;
  const lagging = server(LAGGING);
  const state = await replicaState(lagging);
  if (state.delaySeconds !== 0) await setReplicationDelay(lagging, 0);
  else if (state.sqlRunning !== 'Yes') await resumeReplication(lagging);
  await waitForReplica(lagging, server(PRIMARY));
});

const server = (index: number) => world.servers[index] as MariaDbServer;

const TWO_REPLICAS: FleetLayout = {
  primaries: [PRIMARY],
  replicas: [
    { server: REPLICA, source: PRIMARY },
    { server: LAGGING, source: PRIMARY },
  ],
};
const WITH_CHAIN: FleetLayout = {
  primaries: [PRIMARY],
  replicas: [...(TWO_REPLICAS.replicas ?? []), { server: CHAINED, source: REPLICA }],
};

async function newApp(fleet: FleetLayout, options: AppOptions = {}): Promise<App> {
  const app = await world.createApp({
    fleet,
    ...options,
    env: { DEFAULT_PROVISION_PASSWORD: DPP, REPLICATION_WAIT_MS: '10000', ...options.env },
  });
  apps.push(app);
  return app;
}

function reports(run: RotationRun, step: string): InstanceReport[] {
  const last = run.runs.filter((r) => r.step === step).at(-1);
  return ((last?.invocation.result as { instances?: InstanceReport[] } | undefined)?.instances ??
    []) as InstanceReport[];
}

const outcomes = (list: InstanceReport[]) => list.map((r) => `${r.instance}:${r.outcome}`);

async function expectAllOn(app: App, state: 'current'): Promise<void> {
  expect(await app.acceptedPasswords()).toEqual(app.serverIndexes.map(() => state));
}

async function expectNoLeak(app: App): Promise<void> {
  expect(app.logs.length).toBeGreaterThan(0);
  expect(await app.leakedLogLines([DPP])).toEqual([]);
}

/**
 * setSecret's timing row: the invocation's wall time (a fresh Node process, like a cold Lambda),
 * the handler's own time (its "rotation step succeeded" log line), the primary's change and
 * verification, the longest replica wait and the logins each replica wait made.
 */
function timing(fleet: string, run: RotationRun): void {
  const invocation = run.runs.find((r) => r.step === 'setSecret')?.invocation;
  const handlerMs = invocation?.logs
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message?: string; ms?: number })
    .find((line) => line.message === 'rotation step succeeded')?.ms;
  const list = reports(run, 'setSecret');
  const replicas = list.filter((r) => r.outcome === 'replicated');
  timings.push([
    fleet,
    invocation?.ms ?? 0,
    handlerMs ?? 0,
    list.find((r) => r.outcome === 'changed')?.ms ?? 0,
    Math.max(...replicas.map((r) => r.ms)),
    replicas.map((r) => r.logins).join('+'),
  ]);
}

describe('read replicas', () => {
  it('rotates a primary with two replicas: the primary written, each replica found with the new password', async () => {
    // prepare
    const app = await newApp(TWO_REPLICAS);

    // act
    const run = await app.driver.rotate(app.secretId);

    // assess
    expect(run.error).toBeUndefined();
    const [primary, replica, lagging] = app.instanceIds;
    expect(outcomes(reports(run, 'setSecret'))).toEqual([
      `${primary}:changed`,
      `${replica}:replicated`,
      `${lagging}:replicated`,
    ]);
    expect(outcomes(reports(run, 'testSecret'))).toEqual([
      `${primary}:verified`,
      `${replica}:replicated`,
      `${lagging}:replicated`,
    ]);
    expect(reports(run, 'finishSecret').map((r) => r.logins ?? 1)).toEqual([1, 1, 1]);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
    timing('no delay', run);
  });

  it('waits for a replica that applies events 3 s late', async () => {
    // prepare
    const app = await newApp(TWO_REPLICAS);
    await setReplicationDelay(server(LAGGING), 3);

    // act
    const run = await app.driver.rotate(app.secretId);

    // assess
    expect(run.error).toBeUndefined();
    const late = reports(run, 'setSecret')[2];
    expect(late?.outcome).toBe('replicated');
    expect(late?.ms).toBeGreaterThanOrEqual(2500);
    expect(late?.ms).toBeLessThan(10_000);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
    timing('one replica 3 s late', run);
  });

  it('fails before finishSecret when a replica stopped replicating, and leaves everything on the current password', async () => {
    // prepare
    const app = await newApp(TWO_REPLICAS, { env: { REPLICATION_WAIT_MS: '1500' } });
    const before = await app.password('AWSCURRENT');
    await stopReplication(server(LAGGING));

    // act
    const run = await app.driver.rotate(app.secretId);

    // assess
    expect(run.ok).toBe(false);
    expect(run.runs.map((r) => r.step)).toEqual(['createSecret', 'setSecret']);
    expect(run.error).toContain(`setSecret failed on ${app.instanceIds[2]} (`);
    expect(run.error).toMatch(
      /does not accept the pending password \d+ ms after its source changed \(REPLICATION_WAIT_MS=1500\); it still accepts the current password: its replication is stopped/,
    );
    expect(run.error).toContain(
      'AWSPENDING was removed and the secret keeps its current password; 3 of 3 instance(s) accept it.',
    );
    expect(run.error).not.toContain('MANUAL ACTION NEEDED');
    expect(await app.password('AWSCURRENT')).toBe(before);
    expect(await app.hasPendingLabel()).toBe(false);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });

  it('rotates through a replica of a replica, and for a user defined for loopback addresses only', async () => {
    // prepare
    const app = await newApp(WITH_CHAIN, { userOptions: () => ({ host: '127.%' }) });
    const accounts = await server(PRIMARY).adminQuery('SELECT Host AS host FROM mysql.user WHERE User = ?', [
      app.username,
    ]);

    // act
    const run = await app.driver.rotate(app.secretId);

    // assess
    expect(accounts.map((account) => account.host)).toEqual(['127.%']);
    expect(run.error).toBeUndefined();
    expect(outcomes(reports(run, 'setSecret')).map((o) => o.split(':')[1])).toEqual([
      'changed',
      'replicated',
      'replicated',
      'replicated',
    ]);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });

  it('rotates two users of the same instances at the same time without either disturbing the other', async () => {
    // prepare
    const first = await newApp(WITH_CHAIN);
    const second = await newApp(WITH_CHAIN);

    // act
    const windows: { start: number; end: number }[] = [];
    const rotate = (app: App) => {
      const window = { start: 0, end: 0 };
      windows.push(window);
      return app.driver.rotate(app.secretId, {
        beforeStep: (step) => {
          if (step === 'setSecret') window.start = Date.now();
        },
        afterStep: (step) => {
          if (step === 'testSecret') window.end = Date.now();
        },
      });
    };
    const [a, b] = await Promise.all([rotate(first), rotate(second)]);

    // assess
    expect([a.error, b.error]).toEqual([undefined, undefined]);
    // Each one's setSecret to testSecret overlapped the other's.
    const [x, y] = windows as [{ start: number; end: number }, { start: number; end: number }];
    expect(x.start < y.end && y.start < x.end).toBe(true);
    for (const app of [first, second]) {
      await expectAllOn(app, 'current');
      expect(await app.hasPendingLabel()).toBe(false);
      await expectNoLeak(app);
    }
    expect(await first.password('AWSCURRENT')).not.toBe(await second.password('AWSCURRENT'));
  });
});

describe('a replica whose source is not part of the rotation', () => {
  it('refuses the rotation before any change, and status names it', async () => {
    // prepare
    const app = await newApp({ primaries: [PRIMARY] });
    const before = await app.password('AWSCURRENT');
    const outsider = `outside-${app.instanceIds[0]}`;
    await createRdsInstance(world.rds, { id: outsider, engine: 'mariadb', port: server(PRIMARY).port });
    const orphan = (app.instanceIds[0] as string).replace(/db\d+$/, `db${REPLICA}`);
    await createRdsReadReplica(world.rds, { id: orphan, sourceId: outsider, port: server(REPLICA).port });

    // act
    const status = await app.invoke({ action: 'status', secretId: app.secretId });
    const run = await app.driver.rotate(app.secretId);

    // assess
    const answer = status.result as StatusAnswer;
    expect(answer.ok).toBe(false);
    expect(answer.attention).toContain(
      `instance ${orphan}: it is a read replica of ${outsider}, which this rotation does not include ` +
        '(another region or account, or left out by the discovery rules): rotations fail until the discovery ' +
        'rules include its source or leave it out',
    );
    expect(run.ok).toBe(false);
    expect(run.error).toContain('instances whose source is not part of the rotation, nothing was changed');
    expect(run.error).toContain(orphan);
    expect(await app.password('AWSCURRENT')).toBe(before);
    expect(await app.hasPendingLabel()).toBe(false);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });
});

describe('Aurora MySQL clusters', () => {
  it('changes the password through the writer and finds it on the reader (read_only, innodb_read_only)', async () => {
    // prepare
    const app = await newApp({ clusters: [{ writer: WRITER, readers: [READER] }] });

    // act
    const run = await app.driver.rotate(app.secretId);

    // assess
    expect(run.error).toBeUndefined();
    const [writer, reader] = app.instanceIds;
    expect(writer).toMatch(/-c1-db4$/);
    expect(outcomes(reports(run, 'setSecret'))).toEqual([`${writer}:changed`, `${reader}:replicated`]);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });
});

describe('finishSecret', () => {
  it('moves no label when invoked right after createSecret: every instance keeps working with AWSCURRENT', async () => {
    // prepare
    const app = await newApp(TWO_REPLICAS);
    const before = await app.password('AWSCURRENT');
    const token = randomUUID();
    await app.driver.startRotation(app.secretId, token);
    expect((await app.driver.invokeStep(app.secretId, token, 'createSecret')).ok).toBe(true);

    // act
    const finish = await app.driver.invokeStep(app.secretId, token, 'finishSecret');

    // assess
    expect(finish.ok).toBe(false);
    expect(finish.error?.message).toContain(
      'finishSecret did not move AWSCURRENT: not every instance accepts the pending password on',
    );
    expect(finish.error?.message).toContain(
      'it refuses the pending password but accepts the current password',
    );
    expect(finish.error?.message).toContain('3 of 3 instance(s) accept it');
    expect(await app.password('AWSCURRENT')).toBe(before);
    expect(await app.hasPendingLabel()).toBe(false);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });
});

describe('a secret replicated to other regions', () => {
  it('finishes once every replica region reports InSync (moto: at once), and the eu-west-1 copy holds the new password', async () => {
    // prepare
    const app = await newApp({ primaries: [SPARE] });
    await world.secrets.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: app.secretId,
        AddReplicaRegions: [{ Region: 'eu-west-1' }, { Region: 'ap-south-1' }],
      }),
    );

    // act
    const run = await app.driver.rotate(app.secretId);

    // assess
    expect(run.error).toBeUndefined();
    const finished = run.runs.find((r) => r.step === 'finishSecret')?.invocation.result as {
      message: string;
    };
    expect(finished.message).toMatch(/; 2 replica region\(s\) in sync after \d+ ms$/);
    const replica = new SecretsManagerClient({
      endpoint: world.moto.endpoint,
      region: 'eu-west-1',
      credentials: AWS_TEST_CREDENTIALS,
    });
    const copy = await replica.send(
      new GetSecretValueCommand({
        SecretId: app.secretId.replace(':us-east-1:', ':eu-west-1:'),
        VersionStage: 'AWSCURRENT',
      }),
    );
    replica.destroy();
    expect(JSON.parse(copy.SecretString ?? '{}').password).toBe(await app.password('AWSCURRENT'));
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });
});

describe('an instance that appears during a rotation', () => {
  /** The prefix of the app's RDS identifiers: `app7-` for `app7-db0`. */
  const prefixOf = (app: App) => (app.instanceIds[0] as string).replace(/db\d+$/, '');

  /** The DBA backend's part: the user with the default provision password on a new instance. */
  async function newInstance(app: App): Promise<void> {
    await world.registerInstances(prefixOf(app), app.username, DPP, [SPARE]);
    app.serverIndexes.push(SPARE);
    app.instanceIds.push(`${prefixOf(app)}db${SPARE}`);
  }

  it('awaits its reset without failing the rotation, and reset then gives it the new current password', async () => {
    // prepare
    const app = await newApp({ primaries: [PRIMARY], replicas: [{ server: REPLICA, source: PRIMARY }] });

    // act
    const run = await app.driver.rotate(app.secretId, {
      afterStep: async (step) => {
        if (step === 'setSecret') await newInstance(app);
      },
    });
    const reset = await app.invoke({ action: 'reset', secretId: app.secretId });

    // assess
    expect(run.error).toBeUndefined();
    const appeared = `${prefixOf(app)}db${SPARE}`;
    for (const step of ['testSecret', 'finishSecret']) {
      expect(reports(run, step).find((r) => r.instance === appeared)?.outcome).toBe('awaiting-reset');
    }
    const finished = run.runs.find((r) => r.step === 'finishSecret')?.invocation.result as {
      message: string;
    };
    expect(finished.message).toContain(
      `1 new instance(s) await the application password reset (${appeared})`,
    );
    expect(JSON.stringify(run.runs.map((r) => r.invocation))).not.toMatch(/MANUAL ACTION|acknowledged/);
    const answer = reset.result as WorkAnswer;
    expect(answer.instances.find((i) => i.instance === appeared)).toMatchObject({
      outcome: 'changed',
      from: 'provision',
    });
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });

  it('is reset with its replicas: the new primary written, the replicas waited for', async () => {
    // prepare
    const app = await newApp(TWO_REPLICAS);
    await server(PRIMARY).setPassword(app.username, DPP);
    for (const replica of [REPLICA, LAGGING]) await waitForReplica(server(replica), server(PRIMARY));

    // act
    const reset = await app.invoke({ action: 'reset', secretId: app.secretId });

    // assess
    const answer = reset.result as WorkAnswer;
    expect(answer.ok).toBe(true);
    expect(answer.instances.map((i) => `${i.outcome}:${i.from ?? ''}`)).toEqual([
      'changed:provision',
      'replicated:',
      'replicated:',
    ]);
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });

  it('is brought to the pending password by testSecret when its reset gave it the old current one', async () => {
    // prepare
    const app = await newApp({ primaries: [PRIMARY], replicas: [{ server: REPLICA, source: PRIMARY }] });

    // act
    const run = await app.driver.rotate(app.secretId, {
      afterStep: async (step) => {
        if (step !== 'setSecret') return;
        await newInstance(app);
        // The backend's reset, racing the rotation: AWSCURRENT is still the old password.
        const reset = await app.invoke({ action: 'reset', secretId: app.secretId });
        expect(reset.ok).toBe(true);
      },
    });

    // assess
    expect(run.error).toBeUndefined();
    const appeared = `${prefixOf(app)}db${SPARE}`;
    expect(reports(run, 'testSecret').find((r) => r.instance === appeared)).toMatchObject({
      outcome: 'changed',
      from: 'current',
    });
    await expectAllOn(app, 'current');
    await expectNoLeak(app);
  });
});
