/**
 * What one database session and one password change cost the function, in one process against a
 * real MariaDB server with TLS: CPU per change (bringToPassword, the setSecret path) beside the
 * floor (plain mysql2 doing the same two logins and one change), statements per change as the
 * server counted them, and memory after many logins with mysql2's prepared-statement cache at its
 * default size and at one entry. Each measurement runs in a fresh Node process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { command, readCommandLine, UsageError, wholeNumber } from './cli/commandLine.ts';
import { isMainModule } from './cli/mainModule.ts';
import { textTable } from './cli/table.ts';

const USAGE = `Usage: node --import tsx scripts/measure-sessions.ts [--logins N] [--changes N] [--runs N]

Starts one MariaDB server with TLS on 127.0.0.1 and measures, each in a fresh Node process:
  - memory after N verified TLS logins: plain mysql2 with its default prepared-statement cache
    and with a one-entry cache, and the function's own DbSession;
  - CPU per password change of bringToPassword (log in with current, change, verify) against the
    floor (plain mysql2: log in, SET PASSWORD, log in with the new password), and the statements
    the server counted per change.

  --logins N   logins per memory measurement, 10 to 5000 (default 400)
  --changes N  password changes per CPU measurement, 10 to 2000 (default 200)
  --runs N     CPU measurements of each kind, alternating, 1 to 20 (default 3)
  -h, --help   this text`;

const CHILD = process.env.MEASURE_SESSIONS_CHILD;

interface Target {
  port: number;
  ca: string;
  socket: string;
  user: string;
  passwords: [string, string];
}

interface MemoryResult {
  logins: number;
  peakRssMiB: number;
  heapGrowthMiB: number;
  heapAfterGcMiB: number;
}

interface CpuResult {
  changes: number;
  cpuMsPerChange: number;
  statementsPerChange: number;
}

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const options = readCommandLine(
    command({
      name: 'scripts/measure-sessions.ts',
      usage: USAGE,
      options: { logins: { type: 'string' }, changes: { type: 'string' }, runs: { type: 'string' } },
    }),
    ({ values }) => ({
      logins: wholeNumber('--logins', values.logins, 400, 10, 5000),
      changes: 2 * Math.ceil(wholeNumber('--changes', values.changes, 200, 10, 2000) / 2),
      runs: wholeNumber('--runs', values.runs, 3, 1, 20),
    }),
  );
  const { MariaDbServer } = await import('../sandbox/mariadbServer.ts');
  const { createTestCa } = await import('../sandbox/testCa.ts');
  const dir = mkdtempSync(join(tmpdir(), 'measure-sessions-'));
  const ca = createTestCa(dir);
  const server = new MariaDbServer({
    tls: ca.issueServerCert('measure', ['localhost'], ['127.0.0.1']),
    maxLifetimeMs: 30 * 60_000,
  });
  try {
    await server.start();
    const target = (user: string): Target => ({
      port: server.port,
      ca: ca.caFile,
      socket: server.socketPath,
      user,
      passwords: ['Measure-Password-One-1', 'Measure-Password-Two-2'],
    });
    for (const user of ['memory', 'changes', 'floor'])
      await server.createUser(user, 'Measure-Password-One-1');

    const memoryRows = [];
    for (const kind of ['mysql2-default-cache', 'mysql2-one-entry-cache', 'function-session']) {
      const result = runChild<MemoryResult>(kind, target('memory'), options.logins);
      memoryRows.push({ measurement: kind, ...result });
    }
    console.log(`\nMemory after ${options.logins} logins (heap growth before GC, live heap after GC):`);
    console.log(table(memoryRows));

    const cpuRows = [];
    for (let run = 1; run <= options.runs; run++) {
      for (const kind of ['function-change', 'floor-change']) {
        const user = kind === 'floor-change' ? 'floor' : 'changes';
        const result = runChild<CpuResult>(kind, target(user), options.changes);
        cpuRows.push({ run, measurement: kind, ...result });
      }
    }
    console.log(`\nCPU per password change (${options.changes} changes per run):`);
    console.log(table(cpuRows));
    console.log(`load average: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild<T>(kind: string, target: Target, count: number): T {
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', import.meta.filename], {
    env: {
      ...process.env,
      MEASURE_SESSIONS_CHILD: JSON.stringify({ kind, target, count }),
    },
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  const last = output.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}

/** One measurement, in this fresh process; prints its result as the last line of JSON. */
async function child(spec: { kind: string; target: Target; count: number }): Promise<void> {
  const { kind, target, count } = spec;
  const result = kind.endsWith('-change')
    ? await measureChanges(kind, target, count)
    : await measureLogins(kind, target, count);
  console.log(JSON.stringify(result));
}

async function measureLogins(kind: string, target: Target, logins: number): Promise<MemoryResult> {
  const login = await loginFunction(kind, target);
  for (let i = 0; i < 5; i++) await login();
  const gc = globalThis.gc as () => void;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakRss = process.memoryUsage.rss();
  for (let i = 0; i < logins; i++) {
    await login();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  gc();
  const heapAfterGc = process.memoryUsage().heapUsed - heapBefore;
  return {
    logins,
    peakRssMiB: round(peakRss / MiB),
    heapGrowthMiB: round(heapGrowth / MiB),
    heapAfterGcMiB: round(heapAfterGc / MiB),
  };
}

async function loginFunction(kind: string, target: Target): Promise<() => Promise<void>> {
  const ca = readFileSync(target.ca, 'utf8');
  if (kind === 'function-session') {
    const { DbSession } = await import('../function/src/database.ts');
    const instance = { id: 'measure', host: 'localhost', port: target.port };
    const connect = { tlsCa: ca, connectTimeoutMs: 5000, queryTimeoutMs: 5000 };
    return async () => {
      const session = await DbSession.open(instance, target.user, target.passwords[0], connect);
      await session.close();
    };
  }
  const ssl = { ca, rejectUnauthorized: true, verifyIdentity: true };
  const cache = kind === 'mysql2-one-entry-cache' ? { maxPreparedStatements: 1 } : {};
  return async () => {
    const connection = await createConnection({
      host: 'localhost',
      port: target.port,
      user: target.user,
      password: target.passwords[0],
      ssl,
      ...cache,
    });
    await connection.end();
  };
}

async function measureChanges(kind: string, target: Target, changes: number): Promise<CpuResult> {
  const change = await changeFunction(kind, target);
  // Warm-up and measured changes are even in number: each process ends on the password it began with.
  const warmUp = 6;
  for (let i = 0; i < warmUp; i++) await change(i);
  // Reading the counter costs statements of its own (the read, the admin's quit): measured, then taken off.
  const first = await statements(target);
  const before = await statements(target);
  const overhead = before - first;
  const cpu = process.cpuUsage();
  for (let i = warmUp; i < changes + warmUp; i++) await change(i);
  const used = process.cpuUsage(cpu);
  const counted = (await statements(target)) - before - overhead;
  return {
    changes,
    cpuMsPerChange: round((used.user + used.system) / 1000 / changes, 3),
    statementsPerChange: round(counted / changes, 2),
  };
}

async function changeFunction(kind: string, target: Target): Promise<(i: number) => Promise<void>> {
  const ca = readFileSync(target.ca, 'utf8');
  const [one, two] = target.passwords;
  if (kind === 'function-change') {
    const { bringToPassword } = await import('../function/src/passwordSetter.ts');
    const instance = { id: 'measure', host: 'localhost', port: target.port };
    const connect = { tlsCa: ca, connectTimeoutMs: 5000, queryTimeoutMs: 5000 };
    return async (i) => {
      const [from, to] = i % 2 === 0 ? [one, two] : [two, one];
      const outcome = await bringToPassword(
        instance,
        {
          username: target.user,
          target: { label: 'pending', password: to },
          order: ['current', 'pending', 'previous'],
          candidates: [{ label: 'current', password: from }],
        },
        connect,
      );
      if (outcome.outcome !== 'changed') throw new Error(`change ${i} took another path: ${outcome.outcome}`);
    };
  }
  if (kind !== 'floor-change') throw new UsageError(`unknown measurement ${kind}`);
  // What a careful client does with mysql2's defaults: one TLS options object for every login.
  const ssl = { ca, rejectUnauthorized: true, verifyIdentity: true };
  const login = (password: string) =>
    createConnection({ host: 'localhost', port: target.port, user: target.user, password, ssl });
  return async (i) => {
    const [from, to] = i % 2 === 0 ? [one, two] : [two, one];
    const session = await login(from);
    await session.query('SET PASSWORD = PASSWORD(?)', [to]);
    await session.end();
    const check = await login(to);
    await check.end();
  };
}

/** Statements the server received from every client (SHOW GLOBAL STATUS 'Questions'). */
async function statements(target: Target): Promise<number> {
  const connection = await createConnection({ socketPath: target.socket, user: 'root' });
  try {
    const [rows] = await connection.query("SHOW GLOBAL STATUS LIKE 'Questions'");
    return Number((rows as { Value: string }[])[0]?.Value);
  } finally {
    await connection.end();
  }
}

function table(rows: Record<string, string | number>[]): string {
  const headers = Object.keys(rows[0] ?? {});
  return textTable(
    headers,
    rows.map((row) => headers.map((header) => row[header])),
  );
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

if (isMainModule(import.meta)) {
  if (CHILD !== undefined) await child(JSON.parse(CHILD));
  else await main();
}
