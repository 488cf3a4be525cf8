import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  failOver,
  replicaState,
  setReplicationDelay,
  waitForReplica,
} from '../../sandbox/mariadbReplication.ts';
import { failOverRdsCluster } from '../../sandbox/moto.ts';
import type { App } from '../../sandbox/rotationWorld.ts';
import { expectFailureNames, expectSettled, FaultWorld, reportsOf, scenario, summary } from './faultWorld.ts';

// Replication faults: a replica lagging past REPLICATION_WAIT_MS, a cluster failing over between
// setSecret and testSecret, and a writer that RDS still names while the server is read-only.
// Servers: a primary and its replica; a cluster writer and its reader (read_only, which a
// failover turns off).
let fw: FaultWorld;
const world = () => fw;
const PRIMARY = 0;
const REPLICA = 1;
const ROLES = [
  { serverId: 1 },
  { serverId: 2, readOnly: true },
  { serverId: 3 },
  { serverId: 4, readOnly: true },
];
/** The cluster's servers, writer first; a failover swaps them. */
let cluster = [2, 3];

beforeAll(async () => {
  fw = await FaultWorld.start(4, (index) => ({ replication: ROLES[index] }));
  await fw.world.replicate(REPLICA, PRIMARY);
  await fw.world.replicate(3, 2);
});

afterAll(async () => {
  await fw?.stop('Fault scenarios: replication');
});

const caFile = () => fw.world.ca.caFile;
const clusterApp = () =>
  fw.createFleetApp({ clusters: [{ writer: cluster[0] as number, readers: [cluster[1] as number] }] });
const clusterId = (app: App) => (app.instanceIds[0] as string).replace(/-db\d+$/, '');

describe('replication faults', () => {
  scenario(world, 'a replica applies events 3 s late, past REPLICATION_WAIT_MS=1000', async () => {
    const app = await fw.createFleetApp(
      { primaries: [PRIMARY], replicas: [{ server: REPLICA, source: PRIMARY }] },
      { REPLICATION_WAIT_MS: '1000' },
    );
    await setReplicationDelay(fw.server(REPLICA), 3);
    try {
      const run = await app.driver.rotate(app.secretId);
      expectFailureNames(
        run,
        app.instanceIds[1] as string,
        /it still accepts the current password: its replication is stopped or further behind than that/,
      );
      expect(run.error).toContain('2 of 2 instance(s) accept it');
      expect(run.error).toContain('A replica behind its source replays the change and then the rollback');
      // The replica replays the change and the rollback 3 s late; afterwards it is back on current.
      await waitForReplica(fw.server(REPLICA), fw.server(PRIMARY), 20_000);
      await expectSettled(app);
      return { rotation: summary(run), detail: 'rolled back; the replica replayed both later' };
    } finally {
      await setReplicationDelay(fw.server(REPLICA), 0);
    }
  });

  scenario(world, 'the cluster fails over between setSecret and testSecret', async () => {
    const app = await clusterApp();
    const [writer, reader] = [fw.server(cluster[0] as number), fw.server(cluster[1] as number)];
    const run = await app.driver.rotate(app.secretId, {
      beforeStep: async (step, attempt) => {
        if (step !== 'testSecret' || attempt !== 1) return;
        await failOverRdsCluster(fw.world.rds, clusterId(app), app.instanceIds[1] as string);
        await failOver(reader, writer, { caFile: caFile() });
        cluster = [cluster[1] as number, cluster[0] as number];
      },
    });
    expect(run.error).toBeUndefined();
    expect(reportsOf(run, 'testSecret').map((r) => r.outcome)).toEqual(['replicated', 'verified']);
    // The next rotation goes through the new writer; the old one receives it.
    const next = await app.driver.rotate(app.secretId);
    expect(next.error).toBeUndefined();
    expect(reportsOf(next, 'setSecret').map((r) => `${r.instance.slice(-3)}:${r.outcome}`)).toEqual([
      'db2:replicated',
      'db3:changed',
    ]);
    expect((await replicaState(fw.server(cluster[1] as number))).sqlRunning).toBe('Yes');
    await expectSettled(app);
    return {
      rotation: summary(run),
      detail: 'testSecret checked both members in their new roles; next rotation via the new writer',
    };
  });

  scenario(world, 'the writer RDS names reports read-only (a failover under way)', async () => {
    const app = await clusterApp();
    const writer = fw.server(cluster[0] as number);
    try {
      const run = await app.driver.rotate(app.secretId, {
        beforeStep: async (step) => {
          if (step === 'setSecret') await writer.adminQuery('SET GLOBAL read_only = ON');
        },
      });
      expectFailureNames(
        run,
        app.instanceIds[0] as string,
        /RDS lists it as the writer of its cluster, but the server reports read-only: a failover is probably under way/,
      );
      expect(run.error).toContain('2 of 2 instance(s) accept it');
      expect(run.error).not.toContain('MANUAL ACTION NEEDED');
      await expectSettled(app);
      return { rotation: summary(run), detail: 'nothing written; AWSPENDING removed' };
    } finally {
      await writer.adminQuery('SET GLOBAL read_only = OFF');
    }
  });
});
