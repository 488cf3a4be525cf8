import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, RowDataPacket } from 'mysql2/promise';

// Application-side helpers for the client's integration tests: logins, and a small load that
// counts failed queries while the test rotates the password underneath.

/**
 * CURRENT_USER() of a new connection: the connection is destroyed after use, so that the pool
 * keeps no idle one and the next call logs in again (these pools are never given one back).
 */
export async function newLogin(pool: Pool): Promise<string> {
  const connection = await pool.getConnection();
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS me');
    return String(rows[0]?.me);
  } finally {
    connection.destroy();
  }
}

export type Phase = 'before' | 'window' | 'after';

/**
 * Application load on each pool until stopped: pooled queries, and new logins (a connection
 * taken, used and destroyed, so that the next one logs in again), every 10 ms each.
 */
export function startLoad(pools: Pool[], onFailure: (error: unknown) => void = () => {}) {
  let running = true;
  let phase: Phase = 'before';
  const newLogins = pools.map(() => ({ before: 0, window: 0, after: 0 }));
  const stats = { queries: 0, failures: [] as unknown[] };
  const loop = async (work: () => Promise<void>) => {
    while (running) {
      try {
        await work();
      } catch (error) {
        stats.failures.push(error);
        onFailure(error);
      }
      await sleep(10);
    }
  };
  const loops = pools.flatMap((pool, i) => [
    loop(async () => {
      await pool.query('SELECT 1');
      stats.queries++;
    }),
    loop(async () => {
      const connection = await pool.getConnection();
      await connection.query('SELECT 1');
      connection.destroy();
      const counts = newLogins[i];
      if (counts !== undefined) counts[phase]++;
    }),
  ]);
  return {
    enter(next: Phase) {
      phase = next;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ...stats, newLogins };
    },
  };
}

export async function threadIds(connections: { query: Pool['query'] }[]): Promise<number[]> {
  return Promise.all(
    connections.map(async (c) => {
      const [rows] = await c.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
      return Number(rows[0]?.id);
    }),
  );
}
