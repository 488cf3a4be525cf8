import { randomBytes } from 'node:crypto';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealAnswer, StatusAnswer, WorkAnswer } from '../../function/src/actions/answers.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';

// The manual actions through the built bundle (a fresh Node process per invocation) against moto
// and three MariaDB servers with TLS. Every answer and every log line is searched for every
// password involved, the default provision password (DPP) included.
const DPP = `Provision-${randomBytes(9).toString('base64url')}`;

let world: RotationWorld;
const apps: App[] = [];
const answers = new Map<App, unknown[]>();

beforeAll(async () => {
  world = await RotationWorld.start(3);
});

afterAll(async () => {
  for (const app of apps) app.cleanup();
  await world?.stop();
});

async function newApp(servers: number[]): Promise<App> {
  const app = await world.createApp({ servers, env: { DEFAULT_PROVISION_PASSWORD: DPP, RETRIES: '1' } });
  apps.push(app);
  answers.set(app, []);
  return app;
}

/** Invokes a manual action and returns its answer; a thrown function error fails the test. */
async function act<T>(
  app: App,
  event: Record<string, unknown>,
  extraEnv?: Record<string, string>,
): Promise<T> {
  const invocation = await app.invoke(event, extraEnv);
  answers.get(app)?.push(invocation.result ?? invocation.error);
  if (!invocation.ok) throw new Error(`${invocation.error?.name}: ${invocation.error?.message}`);
  return invocation.result as T;
}

/** Invokes a manual action that must throw, and returns the error the caller sees. */
async function refusal(app: App, event: unknown, extraEnv?: Record<string, string>) {
  const invocation = await app.invoke(event, extraEnv);
  answers.get(app)?.push(invocation.result ?? invocation.error);
  expect(invocation.ok).toBe(false);
  return invocation.error as { name: string; message: string };
}

/** No answer and no log line holds any password the secret ever had, nor the DPP. */
async function expectZeroKnowledge(app: App): Promise<void> {
  expect(app.logs.length).toBeGreaterThan(0);
  expect(await app.leakedLogLines([DPP])).toEqual([]);
  const passwords = [...(await app.allPasswords()), DPP];
  const text = JSON.stringify(answers.get(app));
  expect(passwords.filter((password) => text.includes(password))).toEqual([]);
}

const outcomes = (answer: WorkAnswer) =>
  answer.instances.map((i) => (i.from ? `${i.outcome}:${i.from}` : i.outcome));

describe('status', () => {
  it('shows the rotation set-up, each version with its labels and the instances with their RDS status', async () => {
    const app = await newApp([0, 1]);

    const status = await act<StatusAnswer>(app, { action: 'status' });

    expect(status.secretId).toBe(app.secretId);
    expect(status.versions).toEqual([
      expect.objectContaining({
        versionId: expect.any(String),
        stages: ['AWSCURRENT'],
        created: expect.any(String),
      }),
    ]);
    expect(status.pending).toBeNull();
    expect(status.instances.map((i) => [i.instance, i.rdsStatus, i.outcome])).toEqual(
      app.instanceIds.map((id) => [id, 'available', 'included']),
    );
    expect(status.instances[0]?.endpoint).toMatch(/\.rds\.amazonaws\.com:\d+$/);
    // createApp's secret has no rotation configured: that is the one thing needing attention.
    expect(status.rotation.enabled).toBe(false);
    expect(status.attention).toEqual(['rotation is not enabled on the secret']);
    expect(status.ok).toBe(false);
    await expectZeroKnowledge(app);
  });
});

describe('reset (application password reset)', () => {
  it('sets new instances from the DPP to the current password, reports one that accepts neither, and a dry run changes nothing', async () => {
    const app = await newApp([0, 1, 2]);
    await world.servers[1]?.setPassword(app.username, DPP);
    await world.servers[2]?.setPassword(app.username, DPP);
    const stagesBefore = await app.stages();

    const dryRun = await act<WorkAnswer>(app, { action: 'reset', dryRun: true });

    expect(dryRun.ok).toBe(true);
    expect(dryRun.dryRun).toBe(true);
    expect(outcomes(dryRun)).toEqual(['unchanged', 'would-change:provision', 'would-change:provision']);
    expect(await app.acceptedPasswords({ provision: DPP })).toEqual(['current', 'provision', 'provision']);
    expect(await app.stages()).toEqual(stagesBefore);

    const one = await act<WorkAnswer>(app, { action: 'reset', instances: [app.instanceIds[1]] });

    expect(one.instances.map((i) => [i.instance, i.outcome, i.from])).toEqual([
      [app.instanceIds[1], 'changed', 'provision'],
    ]);
    expect(await app.acceptedPasswords({ provision: DPP })).toEqual(['current', 'current', 'provision']);

    await world.servers[2]?.setPassword(app.username, `Lost-${randomBytes(9).toString('base64url')}`);
    const all = await act<WorkAnswer>(app, { action: 'reset' });

    expect(all.ok).toBe(false);
    expect(outcomes(all)).toEqual(['unchanged', 'unchanged', 'failed']);
    expect(all.instances[2]?.error).toMatch(
      /none of the known passwords is accepted \(tried current, provision\)/,
    );
    expect(all.message).toContain(`FAILED on 1 of 3: ${app.instanceIds[2]}`);
    expect(await app.acceptedPasswords({ provision: DPP })).toEqual(['current', 'current', 'none']);
    expect(await app.stages()).toEqual(stagesBefore);
    await expectZeroKnowledge(app);
  });

  it('refuses to run without a default provision password, naming both ways to give one', async () => {
    const app = await newApp([0]);

    const error = await refusal(app, { action: 'reset' }, { DEFAULT_PROVISION_PASSWORD: '' });

    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(
      /^PROVISION_SECRET_ARN: is not set \(nor DEFAULT_PROVISION_PASSWORD\), and "reset" needs the default provision password/,
    );
    await expectZeroKnowledge(app);
  });
});

describe('heal', () => {
  it('leaves a rotation in progress alone, then brings every instance to AWSCURRENT and removes the stale AWSPENDING', async () => {
    const app = await newApp([0, 1, 2]);
    expect((await app.driver.rotate(app.secretId)).ok).toBe(true);
    const previous = (await app.password('AWSPREVIOUS')) as string;
    const token = crypto.randomUUID();
    await app.driver.startRotation(app.secretId, token);
    expect((await app.driver.invokeStep(app.secretId, token, 'createSecret')).ok).toBe(true);
    const pending = (await app.password('AWSPENDING')) as string;
    await world.servers[0]?.setPassword(app.username, DPP);
    await world.servers[1]?.setPassword(app.username, previous);
    await world.servers[2]?.setPassword(app.username, pending);
    const left = ['provision', 'previous', 'pending'];
    const stagesBefore = await app.stages();

    // moto dates every version "now"; the default threshold (60 min) makes it a running rotation.
    const running = await act<StatusAnswer>(app, { action: 'status' });
    expect(running.pending).toMatchObject({
      versionId: token,
      stale: false,
      onCurrent: false,
      ageMinutes: 0,
    });
    expect(running.pending?.rule).toMatch(
      /less than STALE_PENDING_MINUTES=60: a rotation may still be running/,
    );
    const refused = await act<HealAnswer>(app, { action: 'heal' });
    expect(refused.ok).toBe(false);
    expect(refused.instances).toEqual([]);
    expect(refused.message).toMatch(/a rotation may be in progress .* heal changed nothing/);
    expect(refused.pending?.label).toBe('kept');
    expect(await app.acceptedPasswords({ provision: DPP })).toEqual(left);

    const stale = { STALE_PENDING_MINUTES: '0' };
    const staleStatus = await act<StatusAnswer>(app, { action: 'status' }, stale);
    expect(staleStatus.pending).toMatchObject({ versionId: token, stale: true });
    expect(staleStatus.attention).toContain(
      `AWSPENDING on version ${token} is stale and blocks new rotations; run "heal" to remove it`,
    );
    expect(staleStatus.versions.map((v) => v.stages.join('+')).sort()).toEqual([
      'AWSCURRENT',
      'AWSPENDING',
      'AWSPREVIOUS',
    ]);

    const dryRun = await act<HealAnswer>(app, { action: 'heal', dryRun: true }, stale);
    expect(outcomes(dryRun)).toEqual([
      'would-change:provision',
      'would-change:previous',
      'would-change:pending',
    ]);
    expect(dryRun.pending?.label).toBe('would-remove');
    expect(await app.acceptedPasswords({ provision: DPP })).toEqual(left);
    expect(await app.stages()).toEqual(stagesBefore);

    const healed = await act<HealAnswer>(app, { action: 'heal' }, stale);
    expect(healed.ok).toBe(true);
    expect(outcomes(healed)).toEqual(['changed:provision', 'changed:previous', 'changed:pending']);
    expect(healed.pending).toMatchObject({ versionId: token, label: 'removed' });
    expect(await app.hasPendingLabel()).toBe(false);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current', 'current']);

    // The removed label no longer blocks rotations.
    const next = await app.driver.rotate(app.secretId);
    expect(next.error).toBeUndefined();
    expect(await app.acceptedPasswords()).toEqual(['current', 'current', 'current']);
    await expectZeroKnowledge(app);
  });
  it('repairs an instance the rollback could not reach, left on the password of a rolled-back rotation', async () => {
    const app = await newApp([0, 1]);
    const token = crypto.randomUUID();
    await app.driver.startRotation(app.secretId, token);
    expect((await app.driver.invokeStep(app.secretId, token, 'createSecret')).ok).toBe(true);
    const abandoned = (await app.password('AWSPENDING')) as string;
    await world.servers[1]?.setPassword(app.username, abandoned);
    // What a rollback that could not reach server 1 leaves: the label gone, the password still there.
    await world.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: app.secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token,
      }),
    );
    expect(await app.acceptedPasswords({ abandoned })).toEqual(['current', 'abandoned']);

    const healed = await act<HealAnswer>(app, { action: 'heal' });

    expect(healed.ok).toBe(true);
    expect(healed.pending).toBeNull();
    expect(outcomes(healed)).toEqual(['unchanged', 'changed:abandoned']);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current']);
    await expectZeroKnowledge(app);
  });
});

describe('verify', () => {
  it('reports a stopped instance as failed while the others pass, and verifies only the named ones', async () => {
    const app = await newApp([0, 1, 2]);
    await world.servers[1]?.kill();
    try {
      const all = await act<WorkAnswer>(app, { action: 'verify' });

      expect(all.ok).toBe(false);
      expect(all.instances.map((i) => [i.instance, i.outcome, i.errorKind])).toEqual([
        [app.instanceIds[0], 'verified', undefined],
        [app.instanceIds[1], 'failed', 'transient'],
        [app.instanceIds[2], 'verified', undefined],
      ]);
      expect(all.instances[1]?.attempts).toBe(2);

      const named = await act<WorkAnswer>(app, { action: 'verify', instances: [app.instanceIds[0]] });
      expect(named.ok).toBe(true);
      expect(named.instances.map((i) => [i.instance, i.outcome])).toEqual([[app.instanceIds[0], 'verified']]);
    } finally {
      await world.servers[1]?.restart();
    }
    await expectZeroKnowledge(app);
  });
});

describe('bad input', () => {
  let app: App;
  beforeAll(async () => {
    app = await newApp([0]);
  });
  afterAll(async () => {
    await expectZeroKnowledge(app);
  });

  it.each([
    [
      { action: 'explode' },
      'unknown action "explode"; valid actions: version, status, verify, reset, heal, notice',
    ],
    [
      { action: 'verify', foo: 1 },
      'unknown field "foo" for action "verify"; accepted fields: action, user, secretId, instances',
    ],
    [
      { action: 'verify', dryRun: true },
      /"dryRun" is not accepted by action "verify".*only reset, heal and notice take it/,
    ],
    [{ action: 'reset', dryRun: 'yes' }, '"dryRun" must be true or false, got the string "yes"'],
    [
      { action: 'verify', instances: [] },
      /"instances" must be an array of 1 to 1000 instance identifiers .*got 0 entries/,
    ],
    [
      { action: 'heal', instances: 'db0' },
      /"instances" must be an array of 1 to 1000 instance identifiers .*got the string "db0"/,
    ],
    [{ action: 'status', secretId: '' }, '"secretId" must be a non-empty string, got the string ""'],
  ])('refuses %j', async (event, message) => {
    const error = await refusal(app, event);

    expect(error.name).toBe('InvalidEventError');
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  });

  it('refuses an unknown instance name listing the discovered instances, changing nothing', async () => {
    const error = await refusal(app, { action: 'reset', instances: ['nope', app.instanceIds[0]] });

    expect(error.name).toBe('InvalidEventError');
    expect(error.message).toBe(
      `unknown instance "nope"; the discovered instances are: ${app.instanceIds[0]}`,
    );
    expect(await app.acceptedPasswords()).toEqual(['current']);
  });
});
