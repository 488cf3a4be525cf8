import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Invocation } from '../test/driver/bundle.ts';
import type { RotationRun, Step } from '../test/driver/secretsManagerDriver.ts';
import { App, RotationWorld } from '../test/driver/world.ts';

// A person should understand the product from this output alone: each phase says what a real
// deployment would do, then what the built function did. No password is ever printed.
const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
  },
});
const count = Number(values.instances);
if (!Number.isInteger(count) || count < 1 || count > 32) {
  console.error('--instances must be a whole number from 1 to 32');
  process.exit(2);
}

const started = Date.now();
const problems: string[] = [];
const say = (text: string) => console.log(text);
const phase = (title: string) => say(`\n== ${title}`);
const expectThat = (ok: boolean, what: string) => {
  say(`   ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) problems.push(what);
};

interface InstanceRow {
  outcome: string;
  ms: number;
}
const lastOutcome = new Map<string, InstanceRow>();

function record(invocation: Invocation): void {
  const result = invocation.result as { instances?: { instance: string; outcome: string; ms: number }[] };
  for (const report of result?.instances ?? []) lastOutcome.set(report.instance, report);
  if (values.debug) for (const line of invocation.logs) say(`      ${line}`);
}

/** One rotation through the four steps, one line per step as it happens. */
async function rotate(app: App): Promise<RotationRun> {
  const run = await app.driver.rotate(app.secretId, {
    afterStep: (step: Step, attempt: number, invocation: Invocation) => {
      record(invocation);
      const result = invocation.result as { message?: string; instances?: unknown[] } | undefined;
      const text = invocation.ok
        ? `${result?.message ?? 'done'}`
        : `FAILED: ${invocation.error?.message ?? 'unknown error'}`;
      say(`   ${step.padEnd(12)} #${attempt} ${String(invocation.ms).padStart(5)} ms  ${text}`);
    },
  });
  say(`   rotation ${run.ok ? 'finished' : 'did not finish'} in ${run.ms} ms`);
  return run;
}

async function action(app: App, event: Record<string, unknown>): Promise<Invocation> {
  const invocation = await app.invoke({ secretId: app.secretId, ...event });
  record(invocation);
  const answer = invocation.result as { ok?: boolean; message?: string } | undefined;
  const text = invocation.ok ? (answer?.message ?? JSON.stringify(answer)) : invocation.error?.message;
  say(`   ${String(event.action).padEnd(8)} ${String(invocation.ms).padStart(5)} ms  ${text}`);
  return invocation;
}

const actionOk = (invocation: Invocation) =>
  invocation.ok && (invocation.result as { ok?: boolean } | undefined)?.ok !== false;

let world: RotationWorld | undefined;
let app: App | undefined;
try {
  phase('Build');
  const sha = execFileSync('scripts/build', { encoding: 'utf8' }).trim().split('\n').at(-1);
  say(`   dist/function.zip built (${sha})`);

  phase(`Start a local AWS (moto) and ${count} MariaDB server(s) with TLS from a local CA`);
  world = await RotationWorld.start(count);
  say(`   moto on ${world.moto.endpoint}; MariaDB on ports ${world.servers.map((s) => s.port).join(', ')}`);

  phase('Terraform creates the secret holding the default provision password (DPP)');
  // The DPP is what the DBA backend creates new users with; only the function ever reads it back.
  const dpp = `Dpp-${randomBytes(12).toString('base64url')}`;
  const empty = await world.createApp({
    servers: [],
    initialPassword: dpp,
    env: {
      DEFAULT_PROVISION_PASSWORD: dpp,
      CONNECT_TIMEOUT_MS: '2000',
      QUERY_TIMEOUT_MS: '3000',
      RETRY_WAIT_MS: '200',
      LOG_LEVEL: values.debug ? 'DEBUG' : 'INFO',
    },
  });
  say(`   secret ${empty.secretId}, user "${empty.username}"`);

  phase('The initial rotation, before any database exists: the secret gets its first random password');
  const initial = await rotate(empty);
  expectThat(initial.ok, 'initial rotation finished');
  expectThat((await empty.password('AWSCURRENT')) !== dpp, 'AWSCURRENT is no longer the DPP');

  phase(`The app team creates ${count} RDS instance(s); the DBA backend creates the user with the DPP`);
  const prefix = empty.env.DB_IDENTIFIER_PREFIX as string;
  const indexes = world.servers.map((_, index) => index);
  const ids = await world.registerInstances(prefix, empty.username, dpp, indexes);
  for (const [index, id] of ids.entries()) say(`   ${id} -> 127.0.0.1:${world.servers[index]?.port}`);
  empty.cleanup();
  app = new App(world, empty.secretId, empty.username, indexes, ids, empty.env);

  phase('Application password reset (APR): the backend invokes "reset" for each new instance');
  for (const id of ids) {
    const reset = await action(app, { action: 'reset', instances: [id] });
    expectThat(actionOk(reset), `reset of ${id}`);
  }
  expectThat(
    (await app.acceptedPasswords()).every((s) => s === 'current'),
    'every instance accepts AWSCURRENT',
  );

  phase('A scheduled rotation: Secrets Manager invokes the four steps');
  const scheduled = await rotate(app);
  expectThat(scheduled.ok, 'scheduled rotation finished');

  phase('"verify": log in with AWSCURRENT on every instance');
  expectThat(actionOk(await action(app, { action: 'verify' })), 'verify');

  const stopped = world.servers[count - 1];
  const stoppedId = ids[count - 1] as string;
  phase(`A rotation while ${stoppedId} is stopped: rolled back, the secret keeps its password`);
  await stopped?.kill();
  const failed = await rotate(app);
  expectThat(
    !failed.ok && (failed.error ?? '').includes(stoppedId),
    `the rotation failed naming ${stoppedId}`,
  );
  expectThat(!(await app.hasPendingLabel()), 'no AWSPENDING left');
  await stopped?.restart();
  say(`   ${stoppedId} started again`);
  expectThat(
    (await app.acceptedPasswords()).every((s) => s === 'current'),
    'every instance still accepts AWSCURRENT',
  );

  phase('The next rotation succeeds');
  expectThat((await rotate(app)).ok, 'rotation finished');

  phase('Result');
  const states = await app.acceptedPasswords();
  const versions = await app.stages();
  const currentVersion = Object.entries(versions).find(([, s]) => s.includes('AWSCURRENT'))?.[0] ?? '?';
  const rows = ids.map((id, i) => [
    id,
    states[i] === 'current' ? `AWSCURRENT (${currentVersion.slice(0, 8)})` : String(states[i]),
    lastOutcome.get(id)?.outcome ?? '-',
    String(lastOutcome.get(id)?.ms ?? '-'),
  ]);
  printTable(['instance', 'password accepted', 'last outcome', 'ms'], rows);
  expectThat(
    states.every((s) => s === 'current'),
    'every instance accepts AWSCURRENT',
  );
  const leaks = await app.leakedLogLines([dpp]);
  expectThat(leaks.length === 0, `no password in any of ${app.logs.length} log lines`);
} catch (error) {
  problems.push(`unexpected error: ${(error as Error).message}`);
  console.error(error);
} finally {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (values.keep && world !== undefined) {
    say(`\nLeft running (--keep): moto ${world.moto.endpoint} (pid ${world.moto.pid})`);
    for (const server of world.servers) {
      say(
        `   MariaDB pid ${server.pid}: mariadb -h 127.0.0.1 -P ${server.port} --ssl-ca ${world.ca.caFile} -u root (as root: -S ${server.socketPath})`,
      );
    }
    const pids = [world.moto.pid, ...world.servers.map((s) => s.pid)].join(' ');
    say(`   stop them with: kill ${pids}`);
  } else {
    app?.cleanup();
    await world?.stop();
  }
  say(
    `\n${problems.length === 0 ? 'Demo finished as expected' : `Demo FAILED: ${problems.join('; ')}`} (${seconds} s)`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}

function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `   ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')}`;
  say(line(headers));
  for (const row of rows) say(line(row));
}
