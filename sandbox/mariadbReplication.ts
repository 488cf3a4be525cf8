import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import type { MariaDbServer } from './mariadbServer.ts';

/** How one server of a replication topology is started. */
export interface ReplicationRole {
  /** server_id: unique among the servers that replicate from one another. */
  serverId: number;
  /** read_only=ON from start-up, as on an RDS read replica. */
  readOnly?: boolean;
  /**
   * innodb_read_only=ON (a start-up option only), as on an Aurora reader. Replication still
   * applies user changes (the privilege tables are Aria), but the replica cannot record its
   * position (an InnoDB table): restarted, it would replay everything. Never restart one.
   */
  innodbReadOnly?: boolean;
}

/**
 * mariadbd options for a role: a binary log (with the changes it applies as a replica, so that a
 * replica can itself be a source), GTIDs, and the read-only flags. No role: no binary log.
 */
export function replicationArgs(role: ReplicationRole | undefined): string[] {
  if (role === undefined) return ['--skip-log-bin'];
  const args = [
    `--server-id=${role.serverId}`,
    '--log-bin=mariadb-bin',
    '--relay-log=relay-bin',
    '--log-slave-updates',
    '--binlog-format=ROW',
    // A replica started again resumes replicating on its own, as RDS's do.
    '--master-retry-count=100000',
  ];
  if (role.readOnly) args.push('--read-only');
  if (role.innodbReadOnly) args.push('--innodb-read-only');
  return args;
}

/** What SHOW SLAVE STATUS says about a replica, as far as the tests look at it. */
export interface ReplicaState {
  ioRunning: string;
  sqlRunning: string;
  lastError: string;
  delaySeconds: number;
}

const REPLICATION_USER = 'replicator';

/**
 * Makes `replica` replicate from `source` over 127.0.0.1 with GTIDs and a verified TLS link (the
 * source's certificate must name 127.0.0.1), waits until it has applied everything the source
 * has, then sets the delay (MASTER_DELAY) it applies later events with. Everything the source
 * has (its users included) arrives on the replica: create users on sources only.
 */
export async function startReplication(
  replica: MariaDbServer,
  source: MariaDbServer,
  {
    caFile,
    delaySeconds = 0,
    timeoutMs = 20_000,
    from = 'slave_pos',
  }: {
    caFile: string;
    delaySeconds?: number;
    timeoutMs?: number;
    /** `current_pos` for a server that was a source itself: its own transactions count as applied. */
    from?: 'slave_pos' | 'current_pos';
  },
): Promise<void> {
  const password = await replicationAccount(source);
  await runAsRoot(replica, [
    ['STOP SLAVE'],
    [
      'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ' +
        'MASTER_SSL = 1, MASTER_SSL_CA = ?, MASTER_SSL_VERIFY_SERVER_CERT = 1, ' +
        `MASTER_USE_GTID = ${from}, MASTER_CONNECT_RETRY = 1, MASTER_DELAY = 0`,
      ['127.0.0.1', source.port, REPLICATION_USER, password, caFile],
    ],
    ['START SLAVE'],
  ]);
  await waitForReplica(replica, source, timeoutMs);
  if (delaySeconds > 0) await setReplicationDelay(replica, delaySeconds);
}

/** Each source's replication account, created once and shared by all its replicas. */
const accounts = new WeakMap<MariaDbServer, Promise<string>>();

function replicationAccount(source: MariaDbServer): Promise<string> {
  let account = accounts.get(source);
  if (account === undefined) {
    const password = randomBytes(12).toString('hex');
    // Kept out of the binary log: each source has its own account, never replicated.
    account = runAsRoot(source, [
      ['SET SESSION sql_log_bin = 0'],
      ['CREATE OR REPLACE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [REPLICATION_USER, '127.0.0.1', password]],
      ['GRANT REPLICATION SLAVE ON *.* TO ?@?', [REPLICATION_USER, '127.0.0.1']],
    ]).then(() => password);
    accounts.set(source, account);
  }
  return account;
}

/** Applies events `seconds` late from now on (MASTER_DELAY), like a replica far behind its source. */
export async function setReplicationDelay(replica: MariaDbServer, seconds: number): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 0)
    throw new Error(`the delay must be whole seconds, got ${seconds}`);
  // CHANGE MASTER needs both threads stopped; the received events wait in the relay log.
  await runAsRoot(replica, [['STOP SLAVE'], [`CHANGE MASTER TO MASTER_DELAY = ${seconds}`], ['START SLAVE']]);
}

/** STOP SLAVE: the replica keeps what it has and receives nothing more, as RDS's stopped replication. */
export async function stopReplication(replica: MariaDbServer): Promise<void> {
  await replica.adminQuery('STOP SLAVE');
}

export async function resumeReplication(replica: MariaDbServer): Promise<void> {
  await replica.adminQuery('START SLAVE');
}

/**
 * Waits until `replica` has applied every transaction `source` has written so far. Compared on
 * the binary logs (every server logs what it applies): an innodb_read_only replica cannot
 * record its replication position, which MASTER_GTID_WAIT relies on.
 */
export async function waitForReplica(
  replica: MariaDbServer,
  source: MariaDbServer,
  timeoutMs = 20_000,
): Promise<void> {
  const wanted = await binlogPosition(source);
  const deadline = Date.now() + timeoutMs;
  while ((await binlogPosition(replica)) !== wanted) {
    if (Date.now() > deadline) {
      const state = await replicaState(replica);
      throw new Error(
        `the replica on port ${replica.port} did not reach the source's position ${wanted} within ${timeoutMs} ms ` +
          `(IO ${state.ioRunning}, SQL ${state.sqlRunning}, delay ${state.delaySeconds} s, last error: ${state.lastError || 'none'})`,
      );
    }
    await sleep(20);
  }
}

async function binlogPosition(server: MariaDbServer): Promise<string> {
  const [row] = await server.adminQuery('SELECT @@GLOBAL.gtid_binlog_pos AS pos');
  return String(row?.pos ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .sort()
    .join(',');
}

export async function replicaState(replica: MariaDbServer): Promise<ReplicaState> {
  const [row] = await replica.adminQuery('SHOW SLAVE STATUS');
  if (row === undefined)
    return { ioRunning: 'No', sqlRunning: 'No', lastError: 'not a replica', delaySeconds: 0 };
  return {
    ioRunning: String(row.Slave_IO_Running),
    sqlRunning: String(row.Slave_SQL_Running),
    lastError: String(row.Last_IO_Error || row.Last_SQL_Error || ''),
    delaySeconds: Number(row.SQL_Delay ?? 0),
  };
}

/**
 * What a failover does to the servers: `replica` stops replicating and accepts writes; the old
 * writer (when still running) becomes read-only and replicates from it.
 */
export async function failOver(
  newWriter: MariaDbServer,
  oldWriter: MariaDbServer,
  options: { caFile: string },
): Promise<void> {
  await runAsRoot(oldWriter, [['SET GLOBAL read_only = ON']]);
  await waitForReplica(newWriter, oldWriter);
  await runAsRoot(newWriter, [['STOP SLAVE'], ['RESET SLAVE ALL'], ['SET GLOBAL read_only = OFF']]);
  await startReplication(oldWriter, newWriter, { ...options, from: 'current_pos' });
}

/** Statements on one root session over the unix socket (session settings hold for the rest). */
async function runAsRoot(server: MariaDbServer, statements: [string, unknown[]?][]): Promise<void> {
  const connection = await createConnection({ socketPath: server.socketPath, user: 'root' });
  try {
    for (const [sql, values] of statements) await connection.query<RowDataPacket[]>(sql, values);
  } finally {
    await connection.end();
  }
}
