import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createPool } from '../../client/src/index.ts';
import { appInstances } from '../../sandbox/applicationLoad.ts';
import { median } from '../../sandbox/applicationLoadAnalysis.ts';
import type { SecretRead } from '../../sandbox/applicationLoadRecord.ts';
import type { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { MotoSecret, motoClient } from '../../sandbox/motoSecret.ts';
import { newPassword, type RotationWorld } from '../../sandbox/rotationWorld.ts';
import { recordSecretReads } from '../../sandbox/secretReads.ts';
import { type BenchPlan, progress } from './plan.ts';

/** Medians over the repetitions, in ms. */
export interface FallbackLatencyResult {
  repetitions: number;
  /**
   * A new connection (login, `SELECT 1`, close) in the same circumstances as the logins of the
   * refused one: the process had just waited on a call (here createSecret's, just before the
   * password changed), with nothing else to do meanwhile.
   */
  newConnectionMs: number;
  /** A new connection straight after another (caches hot): for comparison, not judged. */
  loopConnectionMs: number;
  /** The connection refused first: refused login, read, login with AWSPENDING, `SELECT 1`. */
  fallbackMs: number;
  /** What it paid beyond two new connections (the refused login and the one that worked). */
  extraMs: number;
  /** The read it waited for: AWSCURRENT and AWSPENDING asked at once, to the last answer. */
  readBothMs: number;
  /** Before the read: the refused login and the client's own work until it calls `send`. */
  beforeReadMs: number;
  /** After the read's last answer: the client's own work, the login with AWSPENDING, `SELECT 1`. */
  afterReadMs: number;
  /** Refused logins per fallback: 1 when nothing but the changed password was tried. */
  refusedLogins: number;
}

const CONNECTIONS_IN_A_ROW = 3;

/**
 * The client's own cost of a rotation window, one connection at a time on an otherwise idle
 * machine: a pool of the client on one server, then per repetition a few new connections in a
 * row, createSecret (a new AWSPENDING), one new connection, setSecret's change of the password on
 * the server, one new connection (refused, then AWSPENDING after one read), and finishSecret. The
 * server is changed directly, as the function would, so that the function's own process does not
 * share the CPU with the client (the application-load measurement shows that case).
 *
 * The refused connection's two logins each start after the process waited on a call (the
 * password change, the read), so they are compared with the new connection opened after
 * createSecret's call, not with those in a row: one connection straight after another finds the
 * CPU's caches and the TLS and mysql2 code hot, and took 0 to 0.8 ms less (medians of 31, in
 * 14 runs).
 */
export async function measureFallbackLatency(
  plan: BenchPlan,
  world: RotationWorld,
): Promise<FallbackLatencyResult> {
  const repetitions = plan.fallbackRepetitions;
  progress(`client fallback one at a time: ${repetitions} password changes`);
  const app = await world.createApp({ servers: [0], namePrefix: 'fallback' });
  const server = world.servers[0];
  if (server === undefined) throw new Error('no server for the fallback measurement');
  const secrets = motoClient(world.moto.endpoint);
  const reads: SecretRead[] = [];
  recordSecretReads(secrets, reads);
  const initial = await secrets.send(new GetSecretValueCommand({ SecretId: app.secretId }));
  const { password } = JSON.parse(initial.SecretString ?? '{}') as { password: string };
  const secret = await MotoSecret.create(secrets, app.username, password);
  let refused = 0;
  const pool = createPool({
    ...(appInstances(app)[0] as { host: string; port: number }),
    secretId: secret.id,
    secretsManager: secrets,
    ssl: { ca: readFileSync(world.ca.caFile, 'utf8') },
    connectionLimit: 4,
    // As in the application load: no statement is prepared, and its cache would cost CPU.
    maxPreparedStatements: 1,
  });
  // `at` is on the clock of the recorded reads (fractional epoch milliseconds).
  const connect = async (): Promise<{ at: number; ms: number }> => {
    const started = performance.now();
    const connection = await pool.getConnection();
    try {
      await connection.query('SELECT 1');
    } finally {
      connection.destroy();
    }
    return { at: performance.timeOrigin + started, ms: performance.now() - started };
  };
  const samples = {
    loop: [] as number[],
    before: [] as number[],
    fallback: [] as number[],
    extra: [] as number[],
    read: [] as number[],
    beforeRead: [] as number[],
    afterRead: [] as number[],
  };
  try {
    // Warm: the TLS session, the pool, the SDK's connection to moto.
    for (let i = 0; i < 5; i++) await connect();
    const deniedBefore = await accessDenied(server);
    for (let r = 0; r < repetitions; r++) {
      const loop: number[] = [];
      for (let i = 0; i < CONNECTIONS_IN_A_ROW; i++) loop.push((await connect()).ms);
      const next = newPassword('Fallback');
      const pending = await secret.putPending(app.username, next);
      const normal = (await connect()).ms;
      await server.setPassword(app.username, next);
      const readsBefore = reads.length;
      const fallback = await connect();
      const read = oneReadOfBothLabels(reads.slice(readsBefore));
      await secret.finish(pending);
      samples.loop.push(median(loop) as number);
      samples.before.push(normal);
      samples.fallback.push(fallback.ms);
      samples.extra.push(fallback.ms - 2 * normal);
      samples.read.push(read.to - read.from);
      samples.beforeRead.push(read.from - fallback.at);
      samples.afterRead.push(fallback.at + fallback.ms - read.to);
    }
    refused = (await accessDenied(server)) - deniedBefore;
  } finally {
    await pool.end();
    secrets.destroy();
    app.cleanup();
  }
  const round = (values: number[]) => Number((median(values) as number).toFixed(1));
  return {
    repetitions,
    newConnectionMs: round(samples.before),
    loopConnectionMs: round(samples.loop),
    fallbackMs: round(samples.fallback),
    extraMs: round(samples.extra),
    readBothMs: round(samples.read),
    beforeReadMs: round(samples.beforeRead),
    afterReadMs: round(samples.afterRead),
    refusedLogins: refused / repetitions,
  };
}

/**
 * The one read a fallback makes: its AWSCURRENT and AWSPENDING calls, from the first start to the
 * last answer (epoch ms). Anything else (no read, two reads) means the client misbehaved.
 */
function oneReadOfBothLabels(calls: SecretRead[]): { from: number; to: number } {
  const stages = calls.map(([, , stage]) => stage).sort();
  if (stages.join() !== 'AWSCURRENT,AWSPENDING' || calls.some(([, , , error]) => error !== '')) {
    throw new Error(
      `the client's fallback called GetSecretValue for ${stages.join(', ') || 'nothing'}` +
        `${calls.some(([, , , error]) => error !== '') ? ' (with failures)' : ''}: expected one read of AWSCURRENT and AWSPENDING`,
    );
  }
  return {
    from: Math.min(...calls.map(([at]) => at)),
    to: Math.max(...calls.map(([at, ms]) => at + ms)),
  };
}

/** The server's count of refused logins since it started. */
async function accessDenied(server: MariaDbServer): Promise<number> {
  const rows = await server.adminQuery("SHOW GLOBAL STATUS LIKE 'Access_denied_errors'");
  return Number((rows[0] as { Value?: unknown } | undefined)?.Value ?? Number.NaN);
}
