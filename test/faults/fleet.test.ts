import { afterAll, beforeAll, describe, expect } from 'vitest';
import { setReplicationDelay, waitForReplica } from '../../sandbox/mariadbReplication.ts';
import { expectFailureNames, expectSettled, FaultWorld, scenario, summary } from './faultWorld.ts';

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

beforeAll(async () => {
  fw = await FaultWorld.start(4, (index) => ({ replication: ROLES[index] }));
  await fw.world.replicate(REPLICA, PRIMARY);
  await fw.world.replicate(3, 2);
});

afterAll(async () => {
  await fw?.stop('Fault scenarios: replication');
});

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
});
