import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Invocation } from '../sandbox/bundleInvoker.ts';
import { App, RotationWorld } from '../sandbox/rotationWorld.ts';
import { type RotationRun, SecretsManagerDriver, type Step } from '../sandbox/secretsManagerDriver.ts';
import { textTable } from './cli/table.ts';
import { DemoApplication } from './demoApplication.ts';
import { LogView, wantsColour } from './logView.ts';

export interface DemoOptions {
  count: number;
  keep: boolean;
  debug: boolean;
}

/**
 * Tells what happens as it happens. A person should understand the product from this output
 * alone: each phase says what a real deployment would do, then what the built function did. No
 * password is ever printed.
 */
class Narrator {
  readonly problems: string[] = [];
  readonly lastOutcome = new Map<string, { outcome: string; ms: number }>();
  private readonly logView = new LogView({ colour: wantsColour(process.stdout) });

  constructor(private readonly debug: boolean) {}

  say(text: string): void {
    console.log(text);
  }

  phase(title: string): void {
    this.say(`\n== ${title}`);
  }

  expectThat(ok: boolean, what: string): void {
    this.say(`   ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) this.problems.push(what);
  }

  /** One rotation through the four steps, one line per step as it happens. */
  async rotate(app: App, driver = app.driver): Promise<RotationRun> {
    const run = await driver.rotate(app.secretId, {
      afterStep: (step: Step, attempt: number, invocation: Invocation) => {
        this.record(invocation);
        const result = invocation.result as { message?: string; instances?: unknown[] } | undefined;
        const text = invocation.ok
          ? `${result?.message ?? 'done'}`
          : `FAILED: ${invocation.error?.message ?? 'unknown error'}`;
        this.say(`   ${step.padEnd(12)} #${attempt} ${String(invocation.ms).padStart(5)} ms  ${text}`);
      },
    });
    this.say(`   rotation ${run.ok ? 'finished' : 'did not finish'} in ${run.ms} ms`);
    return run;
  }

  /** One manual action; true when it succeeded on every instance. */
  async action(app: App, event: Record<string, unknown>): Promise<boolean> {
    const invocation = await app.invoke({ secretId: app.secretId, ...event });
    this.record(invocation);
    const answer = invocation.result as { ok?: boolean; message?: string } | undefined;
    const text = invocation.ok ? (answer?.message ?? JSON.stringify(answer)) : invocation.error?.message;
    this.say(`   ${String(event.action).padEnd(8)} ${String(invocation.ms).padStart(5)} ms  ${text}`);
    return invocation.ok && answer?.ok !== false;
  }

  private record(invocation: Invocation): void {
    const result = invocation.result as { instances?: { instance: string; outcome: string; ms: number }[] };
    for (const report of result?.instances ?? []) this.lastOutcome.set(report.instance, report);
    if (this.debug) for (const line of invocation.logs) this.say(`      ${this.logView.format(line)}`);
  }
}

/** The whole life of a secret in the sandbox; returns the exit status. */
export async function walkThrough({ count, keep, debug }: DemoOptions): Promise<number> {
  const started = Date.now();
  const n = new Narrator(debug);
  let world: RotationWorld | undefined;
  let empty: App | undefined;
  let app: App | undefined;
  let application: DemoApplication | undefined;
  try {
    n.phase('Build');
    const sha = execFileSync('scripts/build', { encoding: 'utf8' }).trim().split('\n').at(-1);
    n.say(`   dist/function.zip built (${sha})`);

    n.phase(`Start a local AWS (moto) and ${count} MariaDB server(s) with TLS from a local CA`);
    world = await RotationWorld.start(count);
    n.say(
      `   moto on ${world.moto.endpoint}; MariaDB on ports ${world.servers.map((s) => s.port).join(', ')}`,
    );

    n.phase('Terraform creates the secret holding the default provision password (DPP)');
    // The DPP is what the DBA backend creates new users with; only the function ever reads it back.
    const dpp = `Dpp-${randomBytes(12).toString('base64url')}`;
    empty = await world.createApp({
      servers: [],
      initialPassword: dpp,
      env: {
        DEFAULT_PROVISION_PASSWORD: dpp,
        CONNECT_TIMEOUT_MS: '2000',
        QUERY_TIMEOUT_MS: '3000',
        RETRY_WAIT_MS: '200',
        LOG_LEVEL: debug ? 'DEBUG' : 'INFO',
      },
    });
    const { secretId, username } = empty;
    n.say(`   secret ${secretId}, user "${username}"`);

    n.phase('The initial rotation, before any database exists: the secret gets its first random password');
    const initial = await n.rotate(empty);
    n.expectThat(initial.ok, 'initial rotation finished');
    n.expectThat((await empty.password('AWSCURRENT')) !== dpp, 'AWSCURRENT is no longer the DPP');

    n.phase(`The app team creates ${count} RDS instance(s); the DBA backend creates the user with the DPP`);
    const prefix = empty.env.DB_IDENTIFIER_PREFIX as string;
    const indexes = world.servers.map((_, index) => index);
    const ids = await world.registerInstances(prefix, empty.username, dpp, indexes);
    for (const [index, id] of ids.entries()) n.say(`   ${id} -> 127.0.0.1:${world.servers[index]?.port}`);
    empty.cleanup();
    app = new App(world, empty.secretId, empty.username, indexes, ids, empty.env);

    n.phase('Application password reset (APR): the backend invokes "reset" for each new instance');
    for (const id of ids)
      n.expectThat(await n.action(app, { action: 'reset', instances: [id] }), `reset of ${id}`);
    n.expectThat(
      (await app.acceptedPasswords()).every((s) => s === 'current'),
      'every instance accepts AWSCURRENT',
    );

    n.phase('An application starts, built on the client (client/): it never notices a rotation');
    application = await DemoApplication.start(app);
    n.say(
      '   a new connection every 20 ms round-robin over the instances, 4 pooled connections querying every 50 ms',
    );
    // As in AWS, where each step is an invocation of its own: the window between setSecret and
    // finishSecret lasts seconds, and the application meets it.
    const paced = new SecretsManagerDriver(world.secrets, app.invoke.bind(app), { stepDelayMs: 1_000 });

    n.phase('A scheduled rotation: Secrets Manager invokes the four steps, about a second apart');
    const scheduled = await n.rotate(app, paced);
    n.say(`   ${await application.line()}`);
    n.expectThat(scheduled.ok, 'scheduled rotation finished');

    n.phase('"verify": log in with AWSCURRENT on every instance');
    n.expectThat(await n.action(app, { action: 'verify' }), 'verify');

    const stopped = world.servers[count - 1];
    const stoppedId = ids[count - 1] as string;
    n.phase(`A rotation while ${stoppedId} is stopped: rolled back, the secret keeps its password`);
    application.stopping(count - 1);
    await stopped?.kill();
    const failed = await n.rotate(app, paced);
    n.expectThat(
      !failed.ok && (failed.error ?? '').includes(stoppedId),
      `the rotation failed naming ${stoppedId}`,
    );
    n.expectThat(!(await app.hasPendingLabel()), 'no AWSPENDING left');
    await stopped?.restart();
    application.restarted(count - 1);
    n.say(`   ${stoppedId} started again`);
    n.say(`   ${await application.line()}`);
    n.expectThat(
      (await app.acceptedPasswords()).every((s) => s === 'current'),
      'every instance still accepts AWSCURRENT',
    );

    n.phase('The next rotation succeeds');
    const next = await n.rotate(app, paced);
    n.say(`   ${await application.line()}`);
    n.expectThat(next.ok, 'rotation finished');

    n.phase('Result');
    const states = await app.acceptedPasswords();
    const versions = await app.stages();
    const currentVersion = Object.entries(versions).find(([, s]) => s.includes('AWSCURRENT'))?.[0] ?? '?';
    const rows = ids.map((id, i) => [
      id,
      states[i] === 'current' ? `AWSCURRENT (${currentVersion.slice(0, 8)})` : String(states[i]),
      n.lastOutcome.get(id)?.outcome ?? '-',
      n.lastOutcome.get(id)?.ms ?? '-',
    ]);
    n.say(textTable(['instance', 'password accepted', 'last outcome', 'ms'], rows, { indent: '   ' }));
    n.expectThat(
      states.every((s) => s === 'current'),
      'every instance accepts AWSCURRENT',
    );
    const leaks = await app.leakedLogLines([dpp]);
    n.expectThat(leaks.length === 0, `no password in any of ${app.logs.length} log lines`);
    const seen = await application.stop();
    const output = application.output();
    application = undefined;
    const whileStopped =
      seen.failedWhileStopped > 0
        ? `; ${seen.failedWhileStopped} refused by ${stoppedId} while it was stopped`
        : '';
    const codes = Object.entries(seen.failedByCode).map(([code, k]) => `${k} ${code}`);
    n.expectThat(
      seen.failed === 0,
      `the application saw 0 failed queries (${seen.queries} queries${whileStopped})` +
        (codes.length > 0 ? `: ${seen.failed} failed (${codes.join(', ')})` : ''),
    );
    const appPasswords = [...(await app.allPasswords()), dpp];
    n.expectThat(
      !appPasswords.some((password) => output.includes(password)),
      "no password in the application's output",
    );
  } catch (error) {
    n.problems.push(`unexpected error: ${(error as Error).message}`);
    console.error(error);
  } finally {
    await application?.discard();
    empty?.cleanup();
    app?.cleanup();
    if (keep && world !== undefined) {
      const kept = world.keep();
      n.say(`\nLeft running (--keep) until ${kept.until.toLocaleTimeString()}: moto ${world.moto.endpoint}`);
      for (const server of world.servers.filter((s) => s.pid !== undefined)) {
        n.say(
          `   MariaDB: mariadb -h 127.0.0.1 -P ${server.port} --ssl-ca ${world.ca.caFile} -u root (or -S ${server.socketPath})`,
        );
      }
      n.say(`   stop everything and remove its folders and keys: ${kept.stopCommand}`);
    } else {
      await world?.stop();
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const outcome =
    n.problems.length === 0 ? 'Demo finished as expected' : `Demo FAILED: ${n.problems.join('; ')}`;
  n.say(`\n${outcome} (${seconds} s)`);
  return n.problems.length === 0 ? 0 : 1;
}
