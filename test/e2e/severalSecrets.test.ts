import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusAnswer, WorkAnswer } from '../../function/src/actions/answers.ts';
import { type App, newPassword, RotationWorld } from '../../sandbox/rotationWorld.ts';

// One function serving two users of the same instances (SECRETS), each with its own secret and
// password rules, their default provision passwords (DPP) in a secret of their own
// (PROVISION_SECRET_ARN): through the built bundle against moto and two MariaDB servers with TLS.
const DPP = { several_app: newPassword('Dpp-app'), several_ro: newPassword('Dpp-ro') };

let world: RotationWorld;
let app: App;
let reader: App;
let provisionArn: string;
const answers: unknown[] = [];

beforeAll(async () => {
  world = await RotationWorld.start(2);
  provisionArn = await world.createSecret('rotation/several-provision', JSON.stringify(DPP));
  app = await world.createApp({
    namePrefix: 'several',
    username: 'several_app',
    otherUsers: ['several_ro'],
    entryFields: { several_ro: { passwordLength: 20, passwordExcludeChars: 'abcdefXYZ' } },
    env: { PASSWORD_LENGTH: '40', PROVISION_SECRET_ARN: provisionArn, RETRIES: '1' },
  });
  reader = app.others[0] as App;
});

afterAll(async () => {
  app?.cleanup();
  await world?.stop();
});

/** A manual action through the function both users share; its answer or error is kept for the leak check. */
async function act(event: Record<string, unknown>, extraEnv?: Record<string, string>) {
  const invocation = await app.invoke(event, extraEnv);
  answers.push(invocation.result ?? invocation.error);
  return invocation;
}

/** Neither user's passwords nor a DPP appear in any answer or log line of the function. */
async function expectZeroKnowledge(): Promise<void> {
  const passwords = [...(await app.allPasswords()), ...(await reader.allPasswords()), ...Object.values(DPP)];
  const text = JSON.stringify(answers);
  expect(passwords.filter((password) => text.includes(password))).toEqual([]);
  expect(await app.leakedLogLines(passwords)).toEqual([]);
  expect(await reader.leakedLogLines(passwords)).toEqual([]);
}

describe('one function, two users of the same instances', () => {
  it('rotates both at the same time, each with its own password rules', async () => {
    // prepare
    const before = [await app.password('AWSCURRENT'), await reader.password('AWSCURRENT')];

    // act: Secrets Manager runs the two rotations independently, so their steps interleave
    const [appRun, readerRun] = await Promise.all([
      app.driver.rotate(app.secretId),
      reader.driver.rotate(reader.secretId),
    ]);

    // assess
    expect([appRun.error, readerRun.error]).toEqual([undefined, undefined]);
    const after = [await app.password('AWSCURRENT'), await reader.password('AWSCURRENT')];
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[0]).toHaveLength(40);
    expect(after[1]).toHaveLength(20);
    expect(after[1]).not.toMatch(/[a-fX-Z]/);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current']);
    expect(await reader.acceptedPasswords()).toEqual(['current', 'current']);
    await expectZeroKnowledge();
  });

  it('asks which user a manual action is for, listing both', async () => {
    // act
    const invocation = await act({ action: 'status' });

    // assess
    expect(invocation.error?.name).toBe('InvalidEventError');
    expect(invocation.error?.message).toBe(
      'the event names no "user"; this function serves the users "several_app", "several_ro": pass "user" to choose one',
    );
  });

  it('works on the user a manual action names', async () => {
    // act
    const status = (await act({ action: 'status', user: 'several_ro' })).result as StatusAnswer;
    const verify = (await act({ action: 'verify', user: 'several_ro' })).result as WorkAnswer;

    // assess
    expect(status).toMatchObject({ user: 'several_ro', secretId: reader.secretId, ok: true });
    expect(verify).toMatchObject({ user: 'several_ro', secretId: reader.secretId, ok: true });
    expect(verify.instances.map((i) => i.outcome)).toEqual(['verified', 'verified']);
  });

  it("resets an instance still on the user's default provision password, read from the provision secret", async () => {
    // prepare: server 1 was rebuilt and its user created with the DPP
    await world.servers[1]?.setPassword('several_ro', DPP.several_ro);

    // act
    const reset = (await act({ action: 'reset', user: 'several_ro' })).result as WorkAnswer;

    // assess
    expect(reset.ok).toBe(true);
    expect(reset.instances.map((i) => (i.from ? `${i.outcome}:${i.from}` : i.outcome))).toEqual([
      'unchanged',
      'changed:provision',
    ]);
    expect(await reader.acceptedPasswords()).toEqual(['current', 'current']);
    expect(await app.acceptedPasswords()).toEqual(['current', 'current']);
    await expectZeroKnowledge();
  });

  it('refuses a reset, changing nothing, when the provision secret has no password for the user', async () => {
    // prepare
    const partial = await world.createSecret(
      'rotation/several-provision-partial',
      JSON.stringify({ several_app: DPP.several_app }),
    );
    await world.servers[0]?.setPassword('several_ro', DPP.several_ro);

    // act
    const invocation = await act({ action: 'reset', user: 'several_ro' }, { PROVISION_SECRET_ARN: partial });

    // assess
    expect(invocation.error?.name).toBe('ConfigError');
    expect(invocation.error?.message).toBe(
      'PROVISION_SECRET_ARN: the secret has no default provision password for user "several_ro": its value ' +
        'must be a JSON object with a non-empty string under the key "several_ro" (it has 1 key(s)). ' +
        'Nothing was changed.',
    );
    expect(await world.servers[0]?.accepts('several_ro', DPP.several_ro, world.ca.caFile)).toBe(true);
    await expectZeroKnowledge();
  });

  it('refuses a reset, changing nothing, when the provision secret is not JSON', async () => {
    // prepare
    const broken = await world.createSecret(
      'rotation/several-provision-broken',
      `several_ro=${DPP.several_ro}`,
    );

    // act
    const invocation = await act({ action: 'reset', user: 'several_ro' }, { PROVISION_SECRET_ARN: broken });

    // assess
    expect(invocation.error?.name).toBe('ConfigError');
    expect(invocation.error?.message).toMatch(
      /^PROVISION_SECRET_ARN: the secret could not be read \(SecretValueError: the AWSCURRENT value of secret .* is not JSON\)/,
    );
    expect(await world.servers[0]?.accepts('several_ro', DPP.several_ro, world.ca.caFile)).toBe(true);
    await expectZeroKnowledge();
  });
});
