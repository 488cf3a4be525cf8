import { type DBInstance, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiscoveryError, SecretStateError, SecretValueError } from '../../function/src/errors.ts';
import { Deadline } from '../../function/src/instances.ts';
import type { RotationStep } from '../../function/src/protocol.ts';
import { type RotationEnvironment, runRotationStep } from '../../function/src/rotation.ts';
import { SecretStaging } from '../../function/src/staging.ts';
import {
  notFound,
  rdsClient,
  secretsClient,
  silenceLogs,
  stubAwsEnvironment,
  testConfig,
  testSecret,
} from './helpers.ts';

const SECRET_ID = 'app-db-credentials';
const TOKEN = '22222222-0000-0000-0000-00000000000b';
const CURRENT_ID = '11111111-0000-0000-0000-00000000000a';
const PREVIOUS_ID = '00000000-0000-0000-0000-000000000009';
const CURRENT_VALUE = {
  username: 'app',
  password: 'Current#Pass1word!xyz',
  engine: 'mysql',
  dbname: 'shop',
  options: { ssl: true },
};
const PENDING_VALUE = { ...CURRENT_VALUE, password: 'Pending#Pass2word!xyz' };
const PREVIOUS_VALUE = { ...CURRENT_VALUE, password: 'Previous#Pass0word!xyz' };

const secretsMock = mockClient(SecretsManagerClient);
const rdsMock = mockClient(RDSClient);

beforeAll(() => silenceLogs());
beforeEach(() => {
  secretsMock.reset();
  rdsMock.reset();
  stubAwsEnvironment();
  secretsMock.on(PutSecretValueCommand).resolves({ VersionId: TOKEN });
  secretsMock.on(UpdateSecretVersionStageCommand).resolves({});
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function environment(): RotationEnvironment {
  return {
    config: testConfig(),
    secret: testSecret({ secretId: SECRET_ID }),
    staging: new SecretStaging(secretsClient(), SECRET_ID),
    rds: rdsClient(),
    deadline: Deadline.unlimited(),
  };
}

/** The secret's labels: token -> stages, plus the current and previous versions. */
function labels(tokenStages: string[] | undefined): void {
  const versions: Record<string, string[]> = { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'] };
  if (tokenStages !== undefined) versions[TOKEN] = tokenStages;
  secretsMock.on(DescribeSecretCommand).resolves({
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_ID}-AbCdEf`,
    Name: SECRET_ID,
    RotationEnabled: true,
    VersionIdsToStages: versions,
  });
}

/** The stored values; `pending` undefined means the token version has no value yet. */
function values({
  current = CURRENT_VALUE,
  pending,
  previous = PREVIOUS_VALUE,
}: {
  current?: object;
  pending?: object;
  previous?: object | null;
}): void {
  secretsMock
    .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
    .resolves({ VersionId: CURRENT_ID, SecretString: JSON.stringify(current) });
  if (pending === undefined) {
    secretsMock.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
  } else {
    secretsMock
      .on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN })
      .resolves({ VersionId: TOKEN, SecretString: JSON.stringify(pending) });
  }
  if (previous === null) {
    secretsMock.on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' }).rejects(notFound());
  } else {
    secretsMock
      .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
      .resolves({ VersionId: PREVIOUS_ID, SecretString: JSON.stringify(previous) });
  }
}

function stageUpdates() {
  return secretsMock.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input);
}

function rdsInstance(id: string, status: string): DBInstance {
  return {
    DBInstanceIdentifier: id,
    Engine: 'mysql',
    DBInstanceStatus: status,
    Endpoint: { Address: `${id}.abc.us-east-1.rds.amazonaws.com`, Port: 3306 },
  };
}

const REMOVE_PENDING = { SecretId: SECRET_ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN };

describe('runRotationStep guard', () => {
  it.each<RotationStep>(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    'refuses %s for a token that is not a version of the secret',
    async (step) => {
      // prepare
      labels(undefined);
      values({});

      // act
      const run = runRotationStep(environment(), step, TOKEN);

      // assess
      await expect(run).rejects.toThrow(SecretStateError);
      await expect(run).rejects.toThrow(`version ${TOKEN} is not a version of secret ${SECRET_ID}`);
      expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
      expect(stageUpdates()).toEqual([]);
    },
  );

  it.each<RotationStep>(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    'does nothing for %s when the token is already AWSCURRENT',
    async (step) => {
      // prepare
      secretsMock.on(DescribeSecretCommand).resolves({
        Name: SECRET_ID,
        VersionIdsToStages: { [TOKEN]: ['AWSCURRENT'], [CURRENT_ID]: ['AWSPREVIOUS'] },
      });
      values({});

      // act
      const result = await runRotationStep(environment(), step, TOKEN);

      // assess
      expect(result).toMatchObject({
        step,
        token: TOKEN,
        secretId: SECRET_ID,
        outcome: 'nothing-to-do',
        instances: [],
      });
      expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
      expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
      expect(stageUpdates()).toEqual([]);
      expect(rdsMock.calls()).toHaveLength(0);
    },
  );

  it.each<RotationStep>(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    'refuses %s for a token that is not AWSPENDING, listing its labels',
    async (step) => {
      // prepare
      labels(['SOMETHING_ELSE']);
      values({ pending: PENDING_VALUE });

      // act
      const run = runRotationStep(environment(), step, TOKEN);

      // assess
      await expect(run).rejects.toThrow(SecretStateError);
      await expect(run).rejects.toThrow('is not AWSPENDING (its labels: SOMETHING_ELSE)');
      expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
      expect(stageUpdates()).toEqual([]);
    },
  );

  it('says "none" for a token version without any label', async () => {
    // prepare
    labels([]);
    values({});

    // act
    const run = runRotationStep(environment(), 'setSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow('(its labels: none)');
  });
});

describe('createSecret', () => {
  it('generates a new password and puts it as AWSPENDING keeping the username and other keys', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({});

    // act
    const result = await runRotationStep(environment(), 'createSecret', TOKEN, 'the-rotation-token');

    // assess
    expect(result).toMatchObject({ step: 'createSecret', outcome: 'done' });
    const puts = secretsMock.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0]?.args[0].input;
    expect(input).toMatchObject({
      SecretId: SECRET_ID,
      ClientRequestToken: TOKEN,
      VersionStages: ['AWSPENDING'],
      RotationToken: 'the-rotation-token',
    });
    const stored = JSON.parse(input?.SecretString ?? '{}');
    expect(stored).toEqual({ ...CURRENT_VALUE, password: stored.password });
    expect(stored.password).toHaveLength(32);
    expect(stored.password).not.toBe(CURRENT_VALUE.password);
    expect(JSON.stringify(result)).not.toContain(stored.password);
  });

  it('reads the current version by stage and the pending one by stage and token', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({});

    // act
    await runRotationStep(environment(), 'createSecret', TOKEN);

    // assess
    const reads = secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
    expect(reads).toContainEqual(expect.objectContaining({ VersionStage: 'AWSCURRENT' }));
    expect(reads).toContainEqual({ SecretId: SECRET_ID, VersionStage: 'AWSPENDING', VersionId: TOKEN });
    for (const read of reads) expect(read.VersionStage).toBeDefined();
  });

  it("uses the served secret's password length and exclusions", async () => {
    // prepare
    labels(['AWSPENDING']);
    values({});
    const env = {
      ...environment(),
      secret: testSecret({ passwordLength: 20, passwordExcludeChars: '012345678' }),
    };

    // act
    await runRotationStep(env, 'createSecret', TOKEN);

    // assess
    const stored = JSON.parse(
      secretsMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input.SecretString ?? '{}',
    );
    expect(stored.password).toHaveLength(20);
    expect(stored.password).toMatch(/^[^0-8]+$/);
    expect(stored.password).toContain('9');
  });

  it('reuses an existing pending value without putting a new one', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });

    // act
    const result = await runRotationStep(environment(), 'createSecret', TOKEN);

    // assess
    expect(result).toMatchObject({ step: 'createSecret', outcome: 'nothing-to-do' });
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('refuses an invalid current value without putting anything', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ current: { user: 'app', password: 'x' } });

    // act
    const run = runRotationStep(environment(), 'createSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow(SecretValueError);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('fails when the secret has no AWSCURRENT value', async () => {
    // prepare
    labels(['AWSPENDING']);
    secretsMock.on(GetSecretValueCommand).rejects(notFound());

    // act
    const run = runRotationStep(environment(), 'createSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow(`secret ${SECRET_ID} has no AWSCURRENT value`);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('setSecret', () => {
  it('refuses a pending username that differs from the current one and removes AWSPENDING', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: { ...PENDING_VALUE, username: 'admin' } });

    // act
    const error = await runRotationStep(environment(), 'setSecret', TOKEN).catch(
      (caught: unknown) => caught as Error,
    );

    // assess
    expect(error).toBeInstanceOf(SecretValueError);
    expect(error?.message).toContain('"admin" differs from the current username "app"');
    expect(error?.message).not.toContain(PENDING_VALUE.password);
    expect(stageUpdates()).toEqual([REMOVE_PENDING]);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('succeeds with zero instances', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });

    // act
    const result = await runRotationStep(environment(), 'setSecret', TOKEN);

    // assess
    expect(result).toMatchObject({ step: 'setSecret', outcome: 'done', instances: [] });
    expect(result.message).toContain('0 instance(s)');
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
    expect(stageUpdates()).toEqual([]);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('succeeds with zero instances when there is no previous version', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE, previous: null });

    // act
    const result = await runRotationStep(environment(), 'setSecret', TOKEN);

    // assess
    expect(result).toMatchObject({ outcome: 'done', instances: [] });
  });

  it('refuses to run before createSecret stored a value', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({});

    // act
    const run = runRotationStep(environment(), 'setSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow(SecretStateError);
    await expect(run).rejects.toThrow('createSecret must run before setSecret');
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('removes AWSPENDING and changes nothing when an instance is stopped', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [rdsInstance('db-1', 'available'), rdsInstance('db-2', 'stopped')],
    });

    // act
    const run = runRotationStep(environment(), 'setSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow(DiscoveryError);
    await expect(run).rejects.toThrow('db-2 is stopped');
    expect(stageUpdates()).toEqual([REMOVE_PENDING]);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('still reports the discovery failure when removing AWSPENDING fails too', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance('db-2', 'stopped')] });
    secretsMock.on(UpdateSecretVersionStageCommand).rejects(new Error('AccessDeniedException'));

    // act
    const run = runRotationStep(environment(), 'setSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow(DiscoveryError);
    expect(stageUpdates()).toEqual([REMOVE_PENDING]);
  });
});

describe('testSecret', () => {
  it('tests the current credentials when the pending version has no value', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({});

    // act
    const result = await runRotationStep(environment(), 'testSecret', TOKEN);

    // assess
    expect(result).toMatchObject({ step: 'testSecret', outcome: 'done', instances: [] });
    expect(result.message).toBe('the current password works on 0 of 0 instance(s)');
    expect(stageUpdates()).toEqual([]);
  });

  it('tests the pending credentials with zero instances', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });

    // act
    const result = await runRotationStep(environment(), 'testSecret', TOKEN);

    // assess
    expect(result.message).toBe('the pending password works on 0 of 0 instance(s)');
    expect(stageUpdates()).toEqual([]);
  });

  it('keeps AWSPENDING when discovery fails (the instances may already be on the pending password)', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance('db-1', 'modifying')] });

    // act
    const run = runRotationStep(environment(), 'testSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow('db-1 is modifying');
    expect(stageUpdates()).toEqual([]);
  });
});

describe('finishSecret', () => {
  it('moves AWSCURRENT from the old current version and then removes AWSPENDING', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });

    // act
    const result = await runRotationStep(environment(), 'finishSecret', TOKEN);

    // assess
    expect(result).toMatchObject({ step: 'finishSecret', outcome: 'done' });
    expect(stageUpdates()).toEqual([
      {
        SecretId: SECRET_ID,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN,
        RemoveFromVersionId: CURRENT_ID,
      },
      REMOVE_PENDING,
    ]);
    // Discovery ran (to check every instance first), and it found none to log in to.
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('refuses to move AWSCURRENT to a version without a value, keeping AWSPENDING for createSecret', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({});

    // act
    const run = runRotationStep(environment(), 'finishSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow(
      `version ${TOKEN} has no value yet: createSecret must run before finishSecret`,
    );
    expect(stageUpdates()).toEqual([]);
  });

  it('removes a leftover AWSPENDING when repeated after AWSCURRENT was moved', async () => {
    // prepare
    secretsMock.on(DescribeSecretCommand).resolves({
      Name: SECRET_ID,
      VersionIdsToStages: { [TOKEN]: ['AWSCURRENT', 'AWSPENDING'], [CURRENT_ID]: ['AWSPREVIOUS'] },
    });

    // act
    const result = await runRotationStep(environment(), 'finishSecret', TOKEN);

    // assess
    expect(result.outcome).toBe('nothing-to-do');
    expect(stageUpdates()).toEqual([REMOVE_PENDING]);
  });

  it('fails without changing anything when the secret has no AWSCURRENT version', async () => {
    // prepare
    secretsMock
      .on(DescribeSecretCommand)
      .resolves({ Name: SECRET_ID, VersionIdsToStages: { [TOKEN]: ['AWSPENDING'] } });

    // act
    const run = runRotationStep(environment(), 'finishSecret', TOKEN);

    // assess
    await expect(run).rejects.toThrow(SecretStateError);
    expect(stageUpdates()).toEqual([]);
  });

  it('surfaces a refused promotion and leaves AWSPENDING for the retry', async () => {
    // prepare
    labels(['AWSPENDING']);
    values({ pending: PENDING_VALUE });
    const refused = Object.assign(new Error('RemoveFromVersionId does not match'), {
      name: 'InvalidParameterException',
    });
    secretsMock.on(UpdateSecretVersionStageCommand).rejects(refused);

    // act
    const run = runRotationStep(environment(), 'finishSecret', TOKEN);

    // assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(stageUpdates()).toHaveLength(1);
    expect(stageUpdates()[0]).toMatchObject({ VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN });
  });
});
