import {
  DescribeSecretCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AWS_TEST_CREDENTIALS, TEST_REGION } from '../../sandbox/moto.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { EXIT, run } from '../../scripts/invoke.ts';
import { run as runLogs } from '../../scripts/logs.ts';
import { FunctionInTheCloud } from './functionInTheCloud.ts';

// `scripts/invoke rotate` and `history` as an application team runs them against an account: the
// real command, Secrets Manager and CloudWatch Logs in moto, and the built function rotating two
// MariaDB servers with TLS. FunctionInTheCloud plays what moto cannot without Docker: Lambda running
// the bundle, its logs in the log group, and Secrets Manager invoking the steps after RotateSecret.
const FUNCTION = 'app-rotation';
let world: RotationWorld;
let app: App;
let cloud: FunctionInTheCloud;

beforeAll(async () => {
  world = await RotationWorld.start(2);
  app = await world.createApp();
  cloud = await FunctionInTheCloud.start(world, app, FUNCTION);
});

afterAll(async () => {
  await cloud?.stop();
  app?.cleanup();
  await world?.stop();
});

beforeEach(() => {
  cloud.hooks = {};
  vi.stubEnv('AWS_ENDPOINT_URL', cloud.endpoint);
  vi.stubEnv('AWS_REGION', TEST_REGION);
  vi.stubEnv('AWS_ACCESS_KEY_ID', AWS_TEST_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', AWS_TEST_CREDENTIALS.secretAccessKey);
  return () => vi.unstubAllEnvs();
});

/** Runs the command; `lines` fills as it prints, for hooks that look while it runs. */
function invoke(...argv: string[]) {
  const lines: string[] = [];
  const errors: string[] = [];
  const done = run(argv, {
    out: (text) => lines.push(...text.split('\n')),
    err: (text) => errors.push(text),
    pollMs: 100,
  });
  return { lines, errors, done };
}

async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const currentVersion = async () =>
  Object.entries(await app.stages()).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];

describe('scripts/invoke rotate --wait', () => {
  it('prints each step as it completes and reports success only once finishSecret moved AWSCURRENT', async () => {
    const before = await currentVersion();
    const seenBeforeFinish: { labels: Record<string, string[]>; printed: string[] }[] = [];
    const cli = invoke(FUNCTION, 'rotate', '--secret', app.secretId, '--wait', '--timeout', '5m');
    cloud.hooks = {
      beforeStep: async (step) => {
        if (step !== 'finishSecret') return;
        // Hold the last step until the command has shown testSecret: it follows as things happen.
        await until(() => cli.lines.some((line) => /testSecret +ok/.test(line)), 'the testSecret line');
        seenBeforeFinish.push({ labels: await app.stages(), printed: [...cli.lines] });
      },
    };

    const code = await cli.done;

    const token = [...cloud.rotations.keys()].at(-1) as string;
    expect(cli.errors).toEqual([]);
    expect(code).toBe(EXIT.ok);
    expect(seenBeforeFinish).toHaveLength(1);
    const [held] = seenBeforeFinish;
    expect(held?.labels[token]).toEqual(['AWSPENDING']);
    expect(held?.labels[before as string]).toContain('AWSCURRENT');
    expect(held?.printed.some((line) => line.startsWith('rotation succeeded'))).toBe(false);
    expect(cli.lines[0]).toBe(
      `on-demand rotation of rotation/app1-secret started: new version ${token} carries AWSPENDING`,
    );
    expect(cli.lines[1]).toContain('the schedule (every 30 days) restarts from this rotation');
    expect(cli.lines[2]).toBe(
      `following it for up to 5m: the secret's labels, and log group /aws/lambda/${FUNCTION}`,
    );
    const steps = cli.lines.slice(3, 7);
    expect(steps[0]).toMatch(/^ +\+\d+\.\ds {2}createSecret {2}ok +\d+ ms {2}no instances$/);
    expect(steps[1]).toMatch(/^ +\+\d+\.\ds {2}setSecret +ok +\d+ ms {2}2 instances: 2 changed$/);
    expect(steps[2]).toMatch(/^ +\+\d+\.\ds {2}testSecret +ok +\d+ ms {2}2 instances: 2 verified$/);
    expect(steps[3]).toMatch(/^ +\+\d+\.\ds {2}finishSecret {2}ok +\d+ ms/);
    expect(cli.lines[7]).toMatch(
      new RegExp(`^rotation succeeded after \\d+\\.\\d s: version ${token} is AWSCURRENT$`),
    );
    expect(cli.lines).toHaveLength(8);
    expect(await currentVersion()).toBe(token);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current']);
  });

  it("reports a failed rotation with the step and the function's error; the secret keeps its password", async () => {
    const before = await currentVersion();
    await world.servers[1]?.kill();
    try {
      const cli = invoke(FUNCTION, 'rotate', '--secret', 'rotation/app1-secret', '--wait');

      const code = await cli.done;

      expect(code).toBe(EXIT.failed);
      const failedStep = cli.lines.find((line) => / setSecret +FAILED /.test(line));
      expect(failedStep).toContain('RotationError: setSecret failed on app1-db1');
      const closing = cli.lines.at(-2) as string;
      expect(closing).toMatch(
        /^rotation FAILED after \d+\.\d s at setSecret: RotationError: setSecret failed on app1-db1/,
      );
      expect(cli.lines.at(-1)).toBe(
        `the secret keeps its current password; the step's lines: scripts/logs --function ${FUNCTION} --token ${[...cloud.rotations.keys()].at(-1)}; what to do: docs/troubleshooting.md`,
      );
      expect(await currentVersion()).toBe(before);
      expect(await app.hasPendingLabel()).toBe(false);
    } finally {
      await world.servers[1]?.restart();
    }
    expect(await app.acceptedPasswords()).toEqual(['current', 'current']);
  });

  it('gives up waiting after --timeout while a step is held, and says where to look; the rotation goes on', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    cloud.hooks = { beforeStep: (step) => (step === 'setSecret' ? held : undefined) };
    const cli = invoke(FUNCTION, 'rotate', '--wait', '--timeout', '2s', '--secret', app.secretId);

    const code = await cli.done;
    release();

    const token = [...cloud.rotations.keys()].at(-1) as string;
    expect(code).toBe(EXIT.timeout);
    expect(cli.lines.at(-1)).toBe(
      `still running after 2s: version ${token} still carries AWSPENDING. Secrets Manager goes on without this command; ` +
        `see it with scripts/invoke ${FUNCTION} history --secret ${app.secretId} or scripts/logs --function ${FUNCTION} --token ${token}`,
    );
    expect((await cloud.rotations.get(token))?.ok).toBe(true);
    expect(await currentVersion()).toBe(token);
  });
});

describe('scripts/invoke rotate', () => {
  it('asks the function for its secret through the manual alias, starts the rotation and says how to follow it', async () => {
    const cli = invoke(FUNCTION, 'rotate');

    const code = await cli.done;

    const token = [...cloud.rotations.keys()].at(-1) as string;
    expect(code).toBe(EXIT.ok);
    expect(cloud.invocations.at(-1)).toEqual({ qualifier: 'manual', event: { action: 'status' } });
    expect(cli.lines.at(-1)).toBe(
      `follow it with scripts/logs --function ${FUNCTION} --token ${token} or scripts/invoke ${FUNCTION} history --secret ${app.secretId}`,
    );
    expect((await cloud.rotations.get(token))?.ok).toBe(true);
  });

  it("refuses while a previous rotation isn't complete, before asking Secrets Manager for anything", async () => {
    // An abandoned rotation: RotateSecret went through, but no step will ever finish it.
    // moto needs the stored ARN to label as AWS does (see FunctionInTheCloud).
    const { RotationLambdaARN } = await world.secrets.send(
      new DescribeSecretCommand({ SecretId: app.secretId }),
    );
    const { VersionId: stale } = await world.secrets.send(
      new RotateSecretCommand({ SecretId: app.secretId, RotationLambdaARN }),
    );
    const versionsBefore = Object.keys(await app.stages());
    try {
      const cli = invoke(FUNCTION, 'rotate', '--secret', app.secretId);

      const code = await cli.done;

      expect(code).toBe(EXIT.error);
      expect(cli.lines).toEqual([]);
      expect(cli.errors).toEqual([
        `scripts/invoke: A previous rotation isn't complete: version ${stale} of rotation/app1-secret still carries AWSPENDING ` +
          `(Secrets Manager would continue that rotation instead). See whether it is running or stale: ` +
          `scripts/invoke ${FUNCTION} status; remove a stale one with scripts/invoke ${FUNCTION} heal`,
      ]);
      expect(Object.keys(await app.stages())).toEqual(versionsBefore);
    } finally {
      await world.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: app.secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: stale,
        }),
      );
    }
    expect(await app.hasPendingLabel()).toBe(false);
  });

  it('refuses a function that does not rotate the secret, naming the one that does', async () => {
    const cli = invoke('other-rotation', 'rotate', '--secret', app.secretId);

    const code = await cli.done;

    expect(code).toBe(EXIT.error);
    expect(cli.errors).toEqual([
      `scripts/invoke: secret rotation/app1-secret is rotated by function ${FUNCTION}, not other-rotation: run scripts/invoke ${FUNCTION} rotate`,
    ]);
  });
});

describe('scripts/invoke history', () => {
  it('lists the versions with their dates and labels, and each logged rotation with its outcome and duration', async () => {
    const rotations = await Promise.all(
      [...cloud.rotations].map(async ([token, runs]) => [token, (await runs).ok] as const),
    );
    const cli = invoke(FUNCTION, 'history', '--secret', app.secretId, '--json');

    const code = await cli.done;

    expect(code).toBe(EXIT.ok);
    const report = JSON.parse(cli.lines.join('\n'));
    const labels = await app.stages();
    expect(report.versions).toHaveLength(Object.keys(labels).length);
    for (const version of report.versions) {
      expect(version.labels).toEqual(labels[version.versionId]);
      expect(version.created).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(version.lastAccessed).toMatch(/^\d{4}-\d\d-\d\d$/);
    }
    const outcomes = Object.fromEntries(
      report.rotations.map((r: { token: string; outcome: string }) => [r.token, r.outcome]),
    );
    expect(outcomes).toEqual(
      Object.fromEntries(rotations.map(([token, ok]) => [token, ok ? 'succeeded' : 'failed'])),
    );
    const failed = report.rotations.find((r: { outcome: string }) => r.outcome === 'failed');
    expect(failed.lastError).toMatch(/^setSecret: RotationError: setSecret failed on app1-db1/);
    for (const rotation of report.rotations) expect(rotation.durationMs).toBeGreaterThan(0);
    expect(report.logsNote).toBeNull();
  });

  it('prints tables, newest first', async () => {
    const cli = invoke(FUNCTION, 'history', '--secret', app.secretId);

    const code = await cli.done;

    expect(code).toBe(EXIT.ok);
    const text = cli.lines.join('\n');
    expect(text).toContain(`history of rotation/app1-secret (${app.secretId})`);
    expect(text).toContain('rotation:      enabled (every 30 days)');
    expect(text).toMatch(/^VERSION +LABELS +CREATED +LAST ACCESSED$/m);
    expect(text).toMatch(
      new RegExp(`^${await currentVersion()} +AWSCURRENT +\\S+ +\\d{4}-\\d\\d-\\d\\d$`, 'm'),
    );
    expect(text).toMatch(/^STARTED +VERSION +OUTCOME +DURATION +FAILED RUNS +LAST ERROR$/m);
    expect(text).toMatch(/ failed +\d+\.\d s +1 +setSecret: RotationError: setSecret failed on app1-db1/);
  });

  it('still lists the versions when the log group cannot be read, saying why', async () => {
    const cli = invoke(FUNCTION, 'history', '--secret', app.secretId, '--log-group', '/aws/lambda/nowhere');

    const code = await cli.done;

    expect(code).toBe(EXIT.ok);
    expect(cli.lines).toContain('versions, newest first:');
    expect(cli.lines.at(-1)).toBe(
      'rotation outcomes unavailable: log group /aws/lambda/nowhere does not exist: the function has not logged yet in this region, or its logs go elsewhere (give --log-group)',
    );
  });
});

describe('scripts/logs --function', () => {
  it("shows a rotation's lines from the function's log group readably, one event a line", async () => {
    const [token] = [...cloud.rotations.keys()];
    const out: string[] = [];

    const code = await runLogs(['--function', FUNCTION, '--token', token as string, '--level', 'info'], {
      colour: false,
      out: (text) => out.push(...text.split('\n')),
    });

    expect(code).toBe(0);
    expect(out[0]).toMatch(/^-- \d{4}-\d\d-\d\d \(times in UTC\)$/);
    const steps = out.filter((line) => line.includes('rotation step succeeded'));
    expect(steps.map((line) => line.split(/ +/)[2])).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(steps[1]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}INFO {4}setSecret +rotation step succeeded {2}\d+ ms {2}2 instances: 2 changed$/,
    );
    expect(out.filter((line) => / (DEBUG|LAMBDA) /.test(line))).toEqual([]);
  });

  it("shows Lambda's report lines beside the function's when no token is given", async () => {
    const out: string[] = [];

    const code = await runLogs(
      ['--function', `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}:manual`, '--since', '1h'],
      {
        colour: false,
        out: (text) => out.push(...text.split('\n')),
      },
    );

    expect(code).toBe(0);
    expect(
      out.some((line) =>
        /^\d\d:\d\d:\d\d\.\d{3} {2}LAMBDA {16}report {2}\d+ ms {2}max memory 96 MB/.test(line),
      ),
    ).toBe(true);
    expect(out.some((line) => / DEBUG {3}\w+ .*calling DescribeSecret/.test(line))).toBe(true);
  });
});
