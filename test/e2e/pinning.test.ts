import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusAnswer } from '../../function/src/actions/answers.ts';
import { MANUAL_ALIAS, type Qualifier, ROTATION_ALIAS } from '../../sandbox/bundleInvoker.ts';
import { type App, newPassword, RotationWorld } from '../../sandbox/rotationWorld.ts';

// The function acts only for Secrets Manager and only on its own secret, through the built bundle
// against moto and a MariaDB server with TLS. Two applications share the server; each function
// is configured, as the module does, with ROTATION_ALIAS=rotation, and the driver invokes the
// steps through that alias as Secrets Manager does.
let world: RotationWorld;
let app: App;
let other: App;

beforeAll(async () => {
  world = await RotationWorld.start(1);
  app = await world.createApp({ servers: [0], namePrefix: 'pinned' });
  other = await world.createApp({ servers: [0], namePrefix: 'neighbour' });
});

afterAll(async () => {
  app?.cleanup();
  other?.cleanup();
  await world?.stop();
});

describe('rotation steps only from Secrets Manager (finding 1)', () => {
  it.each<[string, Qualifier]>([
    ['through the manual alias', MANUAL_ALIAS],
    ['to the unqualified function', null],
  ])(
    'refuses a finishSecret sent %s right after createSecret, and AWSCURRENT stays',
    async (_name, qualifier) => {
      // prepare: a rotation has started and its pending version, which no database has yet, is stored
      const before = await app.password('AWSCURRENT');
      const token = randomUUID();
      await app.driver.startRotation(app.secretId, token);
      expect((await app.driver.invokeStep(app.secretId, token, 'createSecret')).ok).toBe(true);
      const status = (await app.invoke({ action: 'status' })).result as StatusAnswer;

      // act: whoever may run manual actions reads the pending id and sends the last step by hand
      const attack = await app.invoke(
        { Step: 'finishSecret', SecretId: app.secretId, ClientRequestToken: status.pending?.versionId },
        undefined,
        qualifier,
      );

      // assess
      expect(status.pending?.versionId).toBe(token);
      expect(attack.ok).toBe(false);
      expect(attack.error?.name).toBe('InvalidEventError');
      expect(attack.error?.message).toContain('accepted only through the Lambda alias "rotation"');
      expect(await app.password('AWSCURRENT')).toBe(before);
      expect(await app.acceptedPasswords()).toEqual(['current']);
      // Secrets Manager's own rotation goes on undisturbed through the alias.
      expect((await app.driver.resume(app.secretId, token)).ok).toBe(true);
      expect(await app.password('AWSCURRENT')).not.toBe(before);
      expect(await app.acceptedPasswords()).toEqual(['current']);
      expect(await app.leakedLogLines()).toEqual([]);
    },
  );

  it('refuses a manual action sent through the rotation alias', async () => {
    // act
    const invocation = await app.invoke({ action: 'status' }, undefined, ROTATION_ALIAS);

    // assess
    expect(invocation.ok).toBe(false);
    expect(invocation.error?.message).toContain(
      'manual actions are refused through the Lambda alias "rotation"',
    );
  });
});

describe('pinned to its own secret (finding 2)', () => {
  it("refuses a reset naming another application's secret, and that user's password stays", async () => {
    // prepare: the neighbour's user still has a provision password on the shared server
    const provision = newPassword('Provision');
    await world.servers[0]?.setPassword(other.username, provision);

    // act
    const invocation = await app.invoke(
      { action: 'reset', secretId: other.secretId },
      { DEFAULT_PROVISION_PASSWORD: provision },
    );

    // assess
    expect(invocation.ok).toBe(false);
    expect(invocation.error?.name).toBe('InvalidEventError');
    expect(invocation.error?.message).toBe(
      `"secretId" "${other.secretId}" is not a secret this function serves; this function serves the users ` +
        '"default". Nothing was read.',
    );
    expect(await world.servers[0]?.accepts(other.username, provision, world.ca.caFile)).toBe(true);
    await world.servers[0]?.setPassword(other.username, (await other.password('AWSCURRENT')) as string);
    expect(await app.leakedLogLines([provision])).toEqual([]);
  });

  it("refuses a rotation step for another application's secret, whose pending version stays empty", async () => {
    // prepare: the neighbour's rotation has started
    const token = randomUUID();
    await other.driver.startRotation(other.secretId, token);

    // act: this app's rotation alias is sent the neighbour's event
    const invocation = await app.invoke(
      { Step: 'createSecret', SecretId: other.secretId, ClientRequestToken: token },
      undefined,
      ROTATION_ALIAS,
    );

    // assess
    expect(invocation.ok).toBe(false);
    expect(invocation.error?.message).toBe(
      `the event's SecretId "${other.secretId}" is not a secret this function serves ` +
        '(it serves the users "default"); nothing was read',
    );
    expect(await other.password('AWSPENDING')).toBeUndefined();
    // The neighbour's own function completes the rotation.
    expect((await other.driver.resume(other.secretId, token)).ok).toBe(true);
    expect(await other.acceptedPasswords()).toEqual(['current']);
  });
});
